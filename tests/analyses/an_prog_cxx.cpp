// an_prog_cxx.cpp: the C++ program of the analysis tests: known patterns behind `new`
// and the standard library, each from a named function, asserted row by row in
// expected/cxx/ (test_analyses.c). leak_names leaks 3 x new char[100]; make_peak holds
// 1 MiB at the peak; render_label makes std::string temporaries and collect_ids a growing
// std::vector (both named by their own function); make_temporaries makes
// 5000 x new char[24] at once; cache_add grows a cache all run long that a static
// destructor frees at exit (freed_at_exit); make_message/consume_message are a producer
// -> consumer pair with a hold of at least 1 ms.
#include <pthread.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Cache {
    std::vector<char *> items;
    ~Cache()
    {
        for (char *p : items)
            delete[] p;
    }
};
Cache cache;

const int kMessages = 50;
char *ring[kMessages];
int produced, consumed;
pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

} // namespace

__attribute__((noinline)) void leak_names()
{
    for (int i = 0; i < 3; i++) {
        char *p = new char[100];
        asm volatile("" ::"r"(p) : "memory");
    }
}

__attribute__((noinline)) void make_peak()
{
    char *p = new char[1 << 20];
    memset(p, 1, 1 << 20);
    asm volatile("" ::"r"(p) : "memory");
    delete[] p;
}

__attribute__((noinline)) size_t render_label(int i)
{
    std::string label = "label-" + std::to_string(i) + std::string(40, 'x');
    return label.size();
}

__attribute__((noinline)) size_t collect_ids()
{
    std::vector<int> ids;
    for (int i = 0; i < 100; i++)
        ids.push_back(i);
    return ids.size();
}

__attribute__((noinline)) void make_temporaries()
{
    for (int i = 0; i < 5000; i++) {
        char *p = new char[24];
        asm volatile("" ::"r"(p) : "memory");
        delete[] p;
    }
}

__attribute__((noinline)) void cache_add(int i)
{
    char *p = new char[64];
    p[0] = static_cast<char>(i);
    cache.items.push_back(p);
}

__attribute__((noinline)) char *make_message(int i)
{
    char *m = new char[48];
    m[0] = static_cast<char>(i);
    return m;
}

__attribute__((noinline)) void consume_message(char *m)
{
    usleep(1000);
    delete[] m;
}

static void *producer(void *)
{
    pthread_setname_np(pthread_self(), "producer");
    for (int i = 0; i < kMessages; i++) {
        char *m = make_message(i);
        pthread_mutex_lock(&mu);
        ring[produced++] = m;
        pthread_cond_signal(&cv);
        pthread_mutex_unlock(&mu);
        usleep(1000); // paced: a message lives about its hold, never most of the run
    }
    return nullptr;
}

static void *consumer(void *)
{
    pthread_setname_np(pthread_self(), "consumer");
    for (int i = 0; i < kMessages; i++) {
        pthread_mutex_lock(&mu);
        while (consumed == produced)
            pthread_cond_wait(&cv, &mu);
        char *m = ring[consumed++];
        pthread_mutex_unlock(&mu);
        consume_message(m);
    }
    return nullptr;
}

int main()
{
    cache.items.reserve(100);
    leak_names();
    make_peak();
    size_t ids = collect_ids();
    pthread_t tp, tc;
    pthread_create(&tc, nullptr, consumer, nullptr);
    pthread_create(&tp, nullptr, producer, nullptr);
    size_t total = 0;
    for (int i = 0; i < 100; i++) {
        cache_add(i);
        total += render_label(i);
        if (i == 50)
            make_temporaries();
        usleep(1000);
    }
    pthread_join(tp, nullptr);
    pthread_join(tc, nullptr);
    std::printf("labels %zu ids %zu messages %d\n", total, ids, consumed);
    return 0;
}
