/* rpt_leaky_prog.c: a program whose runs differ by a known amount, for `mtdb diff` and
 * `mtdb check` on real recordings: `rpt_leaky_prog LEAKS [TEMPS]` leaks LEAKS blocks of
 * 100 bytes from leak_blocks(), makes TEMPS (default 10) temporaries of 64 bytes
 * (allocated and freed at once) in churn(), and always the same 5 of 48 bytes in
 * steady(). Tests only.
 */
#include <stdio.h>
#include <stdlib.h>

static void *volatile rpt_sink;

__attribute__((noinline)) static void leak_blocks(int n)
{
    for (int i = 0; i < n; i++)
        rpt_sink = malloc(100);
}

__attribute__((noinline)) static void churn(int n)
{
    for (int i = 0; i < n; i++) {
        void *p = malloc(64);
        rpt_sink = p;
        free(p);
    }
}

__attribute__((noinline)) static void steady(void)
{
    for (int i = 0; i < 5; i++) {
        void *p = malloc(48);
        rpt_sink = p;
        free(p);
    }
}

int main(int argc, char **argv)
{
    int leaks = argc > 1 ? atoi(argv[1]) : 1;
    int temps = argc > 2 ? atoi(argv[2]) : 10;
    steady();
    churn(temps);
    leak_blocks(leaks);
    return 0;
}
