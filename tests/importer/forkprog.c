/* forkprog.c: a parent and its fork child allocate through the same call sites, so the
 * same stacks belong to two processes (stack ids are shared by the whole import). Each
 * process keeps some blocks live at exit and frees the rest; the child makes a different
 * number of blocks, so the two processes' totals differ. Before the fork it allocates
 * twice on one line: two stacks (two return addresses) with one site row. Exits 0 when
 * both processes did.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void *keep[64];

__attribute__((noinline)) static void churn(int n, int kept)
{
    void *p[64];
    for (int i = 0; i < n; i++) {
        p[i] = malloc(100 + (size_t)i % 3 * 1000);
        memset(p[i], 1, 100);
    }
    for (int i = 0; i < n; i++) {
        if (i < kept)
            keep[i] = p[i];
        else
            free(p[i]);
    }
}

/* clang-format off */
__attribute__((noinline)) static void two_on_one_line(void)
{
    void *volatile a = malloc(16); void *volatile b = malloc(32);
    free(a), free(b);
}
/* clang-format on */

/* The child ends, the parent waits for it: after the shared call, in one place. */
__attribute__((noinline)) static int finish(pid_t pid)
{
    if (pid == 0)
        _exit(0);
    int status;
    return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : 1;
}

int main(void)
{
    churn(10, 2);
    two_on_one_line();
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    /* one call site for both processes (volatile: nothing for the compiler to split) */
    volatile int n = pid == 0 ? 40 : 25, kept = pid == 0 ? 5 : 3;
    churn(n, kept);
    return finish(pid);
}
