// e2e_sites_cxx.cpp: C++ call sites behind the runtime's wrappers, with known counts, for
// test_import_fast_sites. Two threads each make, per named function:
//   keep_node      150 Node objects by new, live at exit          (300 in all)
//   temp_string    6000 std::string of 40 chars, freed at once    (12000)
//   grow_vector    25 vectors grown by push_back to 1000 ints: 11 blocks each, through
//                  std::vector<>::_M_realloc_insert compiled into this program (550)
//   dup_name       250 strdup copies, freed                        (500)
//   leak_array     5 new char[77], never freed                      (10)
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

struct Node {
    Node *next;
    long payload[5];
};

static Node *kept[2][150];
static volatile size_t sink;

__attribute__((noinline)) Node *keep_node(int i) { return new Node{nullptr, {i, i, i, i, i}}; }

__attribute__((noinline)) size_t temp_string(int i)
{
    std::string s(40, static_cast<char>('a' + i % 26));
    return s.size();
}

__attribute__((noinline)) size_t grow_vector()
{
    std::vector<int> v;
    for (int i = 0; i < 1000; i++)
        v.push_back(i);
    return v.size();
}

__attribute__((noinline)) size_t dup_name(const char *name)
{
    char *copy = strdup(name);
    size_t n = strlen(copy);
    free(copy);
    return n;
}

__attribute__((noinline)) char *leak_array()
{
    char *p = new char[77]; // not a tail call: leak_array keeps its frame
    memset(p, 0, 77);
    return p;
}

static void work(int id)
{
    for (int i = 0; i < 150; i++)
        kept[id][i] = keep_node(i);
    for (int i = 0; i < 6000; i++)
        sink = sink + temp_string(i);
    for (int i = 0; i < 25; i++)
        sink = sink + grow_vector();
    for (int i = 0; i < 250; i++)
        sink = sink + dup_name("a name to copy");
    for (int i = 0; i < 5; i++)
        sink = sink + reinterpret_cast<size_t>(leak_array());
}

int main()
{
    std::thread other(work, 1);
    work(0);
    other.join();
    return sink == 0;
}
