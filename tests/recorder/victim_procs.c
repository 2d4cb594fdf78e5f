/* victim_procs.c: processes: fork, exec, posix_spawn.
 *
 *   fork    allocate, fork; the child allocates its own sizes (VC_MARK(1000+)) and exits;
 *           the parent goes on with its sizes (VC_MARK(0..99)).
 *   exec    allocate, then exec this program as "target".
 *   spawn   posix_spawn this program as "target" and wait.
 *   target  allocate VC_MARK(1500+) blocks, report.
 *   execl   like exec, through execl.
 *   execveat  like exec, through execveat (a directory descriptor and a relative path).
 * Each process reports with a prefix (parent., child., pre., target.).
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "victim_common.h"

extern char **environ;

/* n marked blocks of sizes base+k; frees all but `keep`; returns the frees. */
static long churn(size_t base, int n, int keep)
{
    void *p[64];
    for (int k = 0; k < n; k++)
        p[k] = malloc(VC_MARK(base + (size_t)k)), vc_touch(p[k]);
    for (int k = keep; k < n; k++)
        free(p[k]);
    return n - keep;
}

static void report(const char *who, long allocs, long frees)
{
    char key[64];
    snprintf(key, sizeof key, "%s.pid", who);
    vc_put(key, getpid());
    snprintf(key, sizeof key, "%s.allocs", who);
    vc_put(key, allocs);
    snprintf(key, sizeof key, "%s.frees", who);
    vc_put(key, frees);
}

static int run_fork(void)
{
    long frees = churn(0, 20, 2);
    pid_t pid = fork();
    if (pid == 0) {
        report("child", 30, churn(1000, 30, 5));
        exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    frees += churn(20, 10, 0);
    report("parent", 30, frees);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

enum exec_form { EXEC_VECTOR, EXEC_LIST, EXEC_AT };

static int run_exec(const char *self, enum exec_form form)
{
    report("pre", 25, churn(0, 25, 4));
    char *argv[] = {(char *)self, "target", NULL};
    if (form == EXEC_LIST)
        execl(self, self, "target", (char *)NULL);
    else if (form == EXEC_AT)
        execveat(open("/proc/self", O_PATH | O_DIRECTORY), "exe", argv, environ, 0);
    else
        execv(self, argv);
    return 127;
}

static int run_spawn(const char *self)
{
    long frees = churn(0, 10, 1);
    char *argv[] = {(char *)self, "target", NULL};
    pid_t pid;
    if (posix_spawn(&pid, self, NULL, NULL, argv, environ) != 0)
        return 3;
    int status;
    waitpid(pid, &status, 0);
    vc_put("spawned.pid", pid);
    report("parent", 10, frees);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "fork"))
        return run_fork();
    if (!strcmp(mode, "exec") || !strcmp(mode, "execl") || !strcmp(mode, "execveat"))
        return run_exec("/proc/self/exe", !strcmp(mode, "execl")      ? EXEC_LIST
                                          : !strcmp(mode, "execveat") ? EXEC_AT
                                                                      : EXEC_VECTOR);
    if (!strcmp(mode, "spawn"))
        return run_spawn(argv[0]);
    if (!strcmp(mode, "target")) {
        report("target", 15, churn(1500, 15, 3));
        return 0;
    }
    return 2;
}
