/* e2e_throw.cpp: exceptions whose message the C++ library copies (std::runtime_error
 * from a std::string: a 3025-byte copy made by the library, in a function that a stripped
 * libstdc++ does not name). Prints "key value" lines.
 */
#include <cstdio>
#include <stdexcept>
#include <string>

#define THROWS 30

static __attribute__((noinline)) void fail_parse(int i)
{
    std::string msg(3000, static_cast<char>('a' + i % 26));
    throw std::runtime_error(msg);
}

int main()
{
    int caught = 0;
    for (int i = 0; i < THROWS; i++) {
        try {
            fail_parse(i);
        } catch (const std::runtime_error &e) {
            caught += e.what()[0] != 0;
        }
    }
    std::printf("throws %d\ncaught %d\n", THROWS, caught);
    return caught == THROWS ? 0 : 1;
}
