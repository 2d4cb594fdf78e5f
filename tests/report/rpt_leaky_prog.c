/* rpt_leaky_prog.c: a program whose runs differ by a known amount, for `mtdb diff` and
 * `mtdb check` on real recordings: `rpt_leaky_prog N` leaks N blocks of 100 bytes from
 * leak_blocks() and allocates and frees 10 blocks of 64 bytes in churn(). Tests only.
 */
#include <stdio.h>
#include <stdlib.h>

static void *volatile rpt_sink;

__attribute__((noinline)) static void leak_blocks(int n)
{
    for (int i = 0; i < n; i++)
        rpt_sink = malloc(100);
}

__attribute__((noinline)) static void churn(void)
{
    for (int i = 0; i < 10; i++) {
        void *p = malloc(64);
        rpt_sink = p;
        free(p);
    }
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1;
    churn();
    leak_blocks(n);
    return 0;
}
