// workload_cxx.cpp: C++ allocations behind the runtime's wrappers, for the fast preset's
// cost (bench/run_sites_bench.sh). Each thread recurses to --depth, then per op makes a
// 40-character std::string (new inside libstdc++), a Node by new and a vector of 8 ints,
// and frees all three: 3 allocations and 3 frees per op.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

struct Node {
    Node *next;
    long payload[4];
};

static volatile size_t sink;

__attribute__((noinline)) static void churn(long ops)
{
    for (long i = 0; i < ops; i++) {
        std::string s(40, static_cast<char>('a' + i % 26));
        Node *n = new Node{nullptr, {i, i, i, i}};
        std::vector<int> v(8, static_cast<int>(i));
        sink = sink + s.size() + static_cast<size_t>(n->payload[0]) + v.size();
        delete n;
    }
}

__attribute__((noinline)) static void descend(int depth, long ops)
{
    if (depth <= 1) {
        churn(ops);
        return;
    }
    descend(depth - 1, ops);
    sink = sink + 1; // not a tail call: every level keeps its frame
}

int main(int argc, char **argv)
{
    int threads = 1, depth = 5;
    long ops = 100000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--threads"))
            threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--depth"))
            depth = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--ops"))
            ops = atol(argv[i + 1]);
        else {
            fprintf(stderr, "usage: bench_workload_cxx [--threads N] [--depth D] [--ops N]\n");
            return 2;
        }
    }
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; t++)
        pool.emplace_back(descend, depth, ops);
    for (auto &t : pool)
        t.join();
    return 0;
}
