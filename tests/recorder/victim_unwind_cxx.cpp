// victim_unwind_cxx.cpp: C++ exceptions through frames that allocate and free.
//
// Each thread recurses through three call sites to a random depth, holding at every
// level an object whose constructor allocates and whose destructor frees, then throws
// from the bottom or returns normally; the catch is at a random level above. So blocks
// are freed by destructors while the unwinder runs, exception objects are allocated by
// the runtime, and the handler allocates on a stack that has just shrunk. The cached
// stack walker must return what a full unw_backtrace returns every time
// (MTDB_STACK_CACHE=verify). Reports its marked allocations and frees.
#include <cstdint>
#include <cstdlib>
#include <pthread.h>
#include <stdexcept>
#include <vector>

#include "victim_common.h"

namespace
{

constexpr int kThreads = 3;
constexpr int kMaxDepth = 30;

struct Worker {
    uint64_t rng;
    long rounds;
    long allocs = 0, frees = 0;

    unsigned next(unsigned bound)
    {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        return static_cast<unsigned>(rng >> 33) % bound;
    }
};

struct Thrown {
    int level;
};

// A marked block held for the lifetime of a frame.
class Held
{
  public:
    Held(Worker &w, unsigned k) : w_(w), p_(new char[VC_MARK(k % 1000)])
    {
        vc_touch(p_);
        w_.allocs++;
    }
    ~Held()
    {
        delete[] p_;
        w_.frees++;
    }
    Held(const Held &) = delete;
    Held &operator=(const Held &) = delete;

  private:
    Worker &w_;
    char *p_;
};

int descend(Worker &w, int depth, int throw_at);

__attribute__((noinline)) int via_a(Worker &w, int depth, int throw_at)
{
    Held h(w, static_cast<unsigned>(depth));
    return descend(w, depth - 1, throw_at) + 1;
}

__attribute__((noinline)) int via_b(Worker &w, int depth, int throw_at)
{
    Held h(w, 100u + static_cast<unsigned>(depth));
    std::vector<int> grow; // reallocations on the way down
    for (int i = 0; i < depth; i++)
        grow.push_back(i);
    return descend(w, depth - 1, throw_at) + static_cast<int>(grow.size() & 1);
}

// Catches what is thrown below it when it is the chosen level.
__attribute__((noinline)) int via_catch(Worker &w, int depth, int throw_at)
{
    Held h(w, 200u + static_cast<unsigned>(depth));
    try {
        return descend(w, depth - 1, throw_at);
    } catch (const Thrown &t) {
        Held in_handler(w, 300u + static_cast<unsigned>(t.level));
        if (w.next(3) == 0)
            throw; // on up to the next catching level, or the round's own catch
        return -1;
    }
}

int descend(Worker &w, int depth, int throw_at)
{
    if (depth <= 0) {
        Held bottom(w, 400);
        if (throw_at >= 0)
            throw Thrown{throw_at};
        return 0;
    }
    switch (w.next(3)) {
    case 0:
        return via_a(w, depth, throw_at);
    case 1:
        return via_b(w, depth, throw_at);
    default:
        return via_catch(w, depth, throw_at);
    }
}

void *work(void *arg)
{
    Worker &w = *static_cast<Worker *>(arg);
    for (long i = 0; i < w.rounds; i++) {
        int depth = 1 + static_cast<int>(w.next(kMaxDepth));
        int throw_at = w.next(2) ? static_cast<int>(w.next(64)) : -1;
        try {
            descend(w, depth, throw_at);
        } catch (const Thrown &) {
            Held after(w, 500);
        }
    }
    return nullptr;
}

} // namespace

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? std::atol(argv[1]) : 20000;
    static Worker workers[kThreads];
    pthread_t threads[kThreads];
    for (int i = 0; i < kThreads; i++) {
        workers[i].rng = static_cast<uint64_t>(i) * 7919u + 17u;
        workers[i].rounds = rounds;
        if (i > 0)
            pthread_create(&threads[i], nullptr, work, &workers[i]);
    }
    work(&workers[0]);
    long allocs = 0, frees = 0;
    for (int i = 0; i < kThreads; i++) {
        if (i > 0)
            pthread_join(threads[i], nullptr);
        allocs += workers[i].allocs;
        frees += workers[i].frees;
    }
    vc_put("allocs", allocs);
    vc_put("frees", frees);
    return 0;
}
