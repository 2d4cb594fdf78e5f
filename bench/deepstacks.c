/* deepstacks.c: allocations from as many distinct stacks as asked for.
 *
 * A recursive descent that goes through one of four call sites at each level, as
 * recursive parsers and interpreters do: allocation i follows the path spelled by the
 * base-4 digits of i, so COUNT allocations at DEPTH >= log4(COUNT) levels come from
 * COUNT distinct stacks. Every KEEP-th block stays live (0: none); the rest are freed at
 * once. With ORDER "dfs" the digits are taken highest first, so that consecutive
 * allocations share their outer frames, as a depth-first descent's do; by default the
 * lowest digit picks the outermost site, so consecutive stacks differ from the top.
 * Prints its own counts as "key value" lines, with one write(2) each.
 *
 *   deepstacks COUNT DEPTH SIZE [KEEP [ORDER]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile unsigned long site_hits[4]; /* also keeps the four sites distinct code */

static void *descend(unsigned long path, int level, size_t size);

/* Work after each call keeps it a real call: a tail call would flatten the stack. */
#define SITE(k)                                                                                    \
    static __attribute__((noinline)) void *site##k(unsigned long path, int level, size_t size)     \
    {                                                                                              \
        void *p = descend(path, level, size);                                                      \
        site_hits[k]++;                                                                            \
        return p;                                                                                  \
    }
SITE(0)
SITE(1)
SITE(2)
SITE(3)

static __attribute__((noinline)) void *descend(unsigned long path, int level, size_t size)
{
    if (level == 0)
        return malloc(size);
    switch (path & 3) {
    case 0:
        return site0(path >> 2, level - 1, size);
    case 1:
        return site1(path >> 2, level - 1, size);
    case 2:
        return site2(path >> 2, level - 1, size);
    default:
        return site3(path >> 2, level - 1, size);
    }
}

static void put(const char *key, unsigned long long value)
{
    char line[96];
    int n = snprintf(line, sizeof line, "%s %llu\n", key, value);
    if (write(1, line, (size_t)n) != n)
        _exit(125);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: deepstacks COUNT DEPTH SIZE [KEEP [dfs]]\n");
        return 2;
    }
    unsigned long count = strtoul(argv[1], NULL, 10), keep = argc > 4 ? strtoul(argv[4], NULL, 10) : 0;
    int depth = atoi(argv[2]), dfs = argc > 5 && !strcmp(argv[5], "dfs");
    size_t size = strtoul(argv[3], NULL, 10);
    unsigned long long frees = 0, live = 0;
    for (unsigned long i = 0; i < count; i++) {
        unsigned long path = i;
        if (dfs) {
            path = 0;
            for (int k = 0; k < depth && k < 32; k++)
                path = path << 2 | ((i >> (2 * k)) & 3);
        }
        void *p = descend(path, depth, size);
        if (!p)
            return 1;
        *(volatile char *)p = 1;
        if (keep && i % keep == 0)
            live++;
        else
            free(p), frees++;
    }
    unsigned long long distinct = count;
    if (depth < 32 && (1ull << (2 * depth)) < distinct)
        distinct = 1ull << (2 * depth);
    put("allocs", count);
    put("frees", frees);
    put("live", live);
    put("distinct_stacks", distinct);
    return 0;
}
