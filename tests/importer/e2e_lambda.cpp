/* e2e_lambda.cpp: standard-library code instantiated on a caller's lambda. Such code has
 * no linkage name in the debug information, so its frames are named from their scopes:
 *   make_callbacks   40 std::function objects from a lambda capturing 48 bytes, which
 *                    std::function keeps on the heap (std::_Function_base code made for
 *                    this lambda): 40 blocks of 48 bytes
 *   run_callbacks    calls each: the lambda's body allocates 2048 bytes, kept
 *                    (40 blocks, its site the lambda's operator())
 * Prints "key value" lines.
 */
#include <cstdio>
#include <functional>
#include <vector>

static std::vector<char *> kept;

__attribute__((noinline)) std::vector<std::function<void()>> make_callbacks()
{
    std::vector<std::function<void()>> out;
    out.reserve(40);
    for (long i = 0; i < 40; i++) {
        long a = i, b = i * 2, c = i * 3, d = i * 4, e = i * 5, f = i * 6;
        out.emplace_back([a, b, c, d, e, f] {
            char *p = new char[2048];
            p[0] = static_cast<char>(a + b + c + d + e + f);
            kept.push_back(p);
        });
    }
    return out;
}

__attribute__((noinline)) void run_callbacks(const std::vector<std::function<void()>> &cbs)
{
    for (const auto &cb : cbs)
        cb();
}

int main()
{
    kept.reserve(40);
    {
        auto cbs = make_callbacks();
        run_callbacks(cbs);
    }
    std::printf("callbacks 40\nkept %zu\n", kept.size());
    for (char *p : kept)
        delete[] p;
    return 0;
}
