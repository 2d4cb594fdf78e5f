/* tt_run.c: starting victims under the recorder, waiting for them with a deadline.
 *
 * The child gets its environment built from scratch (the parent's minus every MTDB_*
 * and LD_PRELOAD, plus the spec's), its stdout and stderr in files, and its limits set
 * between fork and exec. The parent never blocks without a deadline. Tests only.
 */
#include "tst_scratch.h"
#include "tt_run.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int tt_scratch(char *path, size_t len)
{
    return tst_scratch_make(path, len, "rtest");
}

void tt_remove_tree(const char *path)
{
    tst_scratch_remove(path);
}

static char **build_env(const tt_spec_t *spec, char *preload, char *output)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + TT_ENV_MAX + 3, sizeof *env);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "MTDB_", 5) && strncmp(environ[i], "LD_PRELOAD=", 11))
            env[k++] = environ[i];
    if (spec->preload) {
        snprintf(preload, 4200, "LD_PRELOAD=%s", spec->preload);
        env[k++] = preload;
    }
    if (spec->trace_dir) {
        snprintf(output, 4200, "MTDB_OUTPUT=%s", spec->trace_dir);
        env[k++] = output;
    }
    for (int i = 0; i < TT_ENV_MAX && spec->env[i]; i++)
        env[k++] = (char *)spec->env[i];
    return env;
}

static void child_exec(const tt_spec_t *spec, const tt_child_t *child)
{
    static char preload[4200], output[4200];
    int out = open(child->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(child->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
        _exit(126);
    closefrom(3); /* the victim starts with stdin, stdout and stderr only */
    if (spec->fsize_limit) {
        struct rlimit lim = {(rlim_t)spec->fsize_limit, (rlim_t)spec->fsize_limit};
        if (setrlimit(RLIMIT_FSIZE, &lim) != 0)
            _exit(126);
    }
    char **env = build_env(spec, preload, output);
    execve(spec->argv[0], (char *const *)spec->argv, env);
    _exit(127);
}

int tt_start(const tt_spec_t *spec, const char *scratch, tt_child_t *child)
{
    static unsigned runs;
    runs++;
    snprintf(child->out_path, sizeof child->out_path, "%s/stdout.%u", scratch, runs);
    snprintf(child->err_path, sizeof child->err_path, "%s/stderr.%u", scratch, runs);
    fflush(NULL);
    child->pid = fork();
    if (child->pid < 0)
        return -1;
    if (child->pid == 0)
        child_exec(spec, child);
    return 0;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;
    if (f) {
        int c;
        while ((c = fgetc(f)) != EOF) {
            if (n + 1 >= cap)
                buf = realloc(buf, cap = cap ? cap * 2 : 4096);
            buf[n++] = (char)c;
        }
        fclose(f);
    }
    if (!buf)
        buf = malloc(1);
    buf[n] = 0;
    *len = n;
    return buf;
}

static void fill_status(tt_result_t *res, int status)
{
    res->exited = WIFEXITED(status);
    res->exit_code = res->exited ? WEXITSTATUS(status) : -1;
    res->signaled = WIFSIGNALED(status);
    res->signal = res->signaled ? WTERMSIG(status) : 0;
}

int tt_wait(tt_child_t *child, int timeout_ms, tt_result_t *res)
{
    memset(res, 0, sizeof *res);
    res->pid = child->pid;
    struct timespec start, now, nap = {0, 2000000};
    clock_gettime(CLOCK_MONOTONIC, &start);
    int status = 0;
    for (;;) {
        pid_t r = waitpid(child->pid, &status, WNOHANG);
        if (r == child->pid)
            break;
        if (r < 0 && errno != EINTR)
            return -1;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (ms > (timeout_ms ? timeout_ms : 60000)) {
            kill(child->pid, SIGKILL);
            waitpid(child->pid, &status, 0);
            res->timed_out = 1;
            break;
        }
        nanosleep(&nap, NULL);
    }
    fill_status(res, status);
    res->out = slurp(child->out_path, &res->out_len);
    res->err = slurp(child->err_path, &res->err_len);
    return 0;
}

int tt_run(const tt_spec_t *spec, const char *scratch, tt_result_t *res)
{
    tt_child_t child;
    if (tt_start(spec, scratch, &child) < 0)
        return -1;
    return tt_wait(&child, spec->timeout_ms, res);
}

void tt_result_free(tt_result_t *res)
{
    free(res->out);
    free(res->err);
    res->out = res->err = NULL;
}

long long tt_value(const tt_result_t *res, const char *key)
{
    size_t klen = strlen(key);
    for (const char *p = res->out; p && *p;) {
        if (!strncmp(p, key, klen) && p[klen] == ' ')
            return strtoll(p + klen + 1, NULL, 0);
        const char *nl = strchr(p, '\n');
        p = nl ? nl + 1 : NULL;
    }
    return TT_MISSING;
}

int tt_count_lines(const char *text)
{
    int n = 0;
    for (const char *p = text; *p; p++)
        n += *p == '\n' || (p[1] == 0 && *p != '\n');
    return n;
}

int tt_count_prefixed(const char *text, const char *prefix)
{
    int n = 0;
    size_t len = strlen(prefix);
    for (const char *p = text; p && *p;) {
        n += strncmp(p, prefix, len) == 0;
        const char *nl = strchr(p, '\n');
        p = nl ? nl + 1 : NULL;
    }
    return n;
}
