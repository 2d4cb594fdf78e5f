/* bench_measure.c: runs one command and writes what it cost: wall time, user and system
 * CPU time and peak resident memory (getrusage of the child through wait4).
 *
 *   bench_measure RESULT [-e NAME=VALUE]... -- COMMAND [ARG]...
 *
 * The -e settings go to the child only, so an LD_PRELOAD never measures this program.
 * Must not change what the command sees beyond those settings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_error.h"

typedef struct bench_cost {
    unsigned long long wall_ns, user_ns, sys_ns;
    long maxrss_kb;
    int status; /* exit status, or 128 + signal */
} bench_cost_t;

static unsigned long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static unsigned long long timeval_ns(struct timeval tv)
{
    return (unsigned long long)tv.tv_sec * 1000000000ull + (unsigned long long)tv.tv_usec * 1000ull;
}

/* In the child: applies the NAME=VALUE settings in env[0..n) and execs argv. */
static void exec_child(char **env, int n, char **argv)
{
    for (int i = 0; i < n; i++)
        if (putenv(env[i]) != 0)
            _exit(127);
    execvp(argv[0], argv);
    perror(argv[0]);
    _exit(127);
}

static int run_command(char **env, int n, char **argv, bench_cost_t *cost)
{
    unsigned long long start = now_ns();
    pid_t pid = fork();
    if (pid < 0)
        return BENCH_ESPAWN;
    if (pid == 0)
        exec_child(env, n, argv);
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid)
        return BENCH_ESPAWN;
    cost->wall_ns = now_ns() - start;
    cost->user_ns = timeval_ns(ru.ru_utime);
    cost->sys_ns = timeval_ns(ru.ru_stime);
    cost->maxrss_kb = ru.ru_maxrss;
    cost->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return BENCH_OK;
}

static int write_cost(const char *path, const bench_cost_t *c)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return BENCH_EIO;
    fprintf(f, "wall_ns=%llu user_ns=%llu sys_ns=%llu maxrss_kb=%ld status=%d\n", c->wall_ns,
            c->user_ns, c->sys_ns, c->maxrss_kb, c->status);
    return fclose(f) == 0 ? BENCH_OK : BENCH_EIO;
}

/* Finds the -e settings between argv[2] and "--"; returns the index of the command. */
static int split_args(int argc, char **argv, char **env, int *n)
{
    int i = 2;
    *n = 0;
    for (; i + 1 < argc && strcmp(argv[i], "-e") == 0; i += 2) {
        if (!strchr(argv[i + 1], '='))
            return BENCH_EUSAGE;
        env[(*n)++] = argv[i + 1];
    }
    if (i >= argc || strcmp(argv[i], "--") != 0 || i + 1 >= argc)
        return BENCH_EUSAGE;
    return i + 1;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fputs("usage: bench_measure RESULT [-e NAME=VALUE]... -- COMMAND [ARG]...\n", stderr);
        return 2;
    }
    char *env[argc];
    int n;
    int cmd = split_args(argc, argv, env, &n);
    if (cmd < 0) {
        fputs("usage: bench_measure RESULT [-e NAME=VALUE]... -- COMMAND [ARG]...\n", stderr);
        return 2;
    }
    bench_cost_t cost;
    int rc = run_command(env, n, argv + cmd, &cost);
    if (rc == BENCH_OK)
        rc = write_cost(argv[1], &cost);
    if (rc != BENCH_OK) {
        fprintf(stderr, "bench_measure: error: %s\n", bench_strerror(rc));
        return 1;
    }
    return cost.status;
}
