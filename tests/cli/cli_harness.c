/* cli_harness.c: runs programs for the CLI tests and captures their output (see .h).
 *
 * Output goes to files, not pipes, so a chatty program can never block the test.
 * Tests only: plain stdio and malloc are fine here.
 */
#include "tst_scratch.h"
#include "cli_harness.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void apply_env(const char *const *env)
{
    for (; env && *env; env++) {
        const char *eq = strchr(*env, '=');
        if (!eq) {
            unsetenv(*env);
            continue;
        }
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(eq - *env), *env);
        setenv(name, eq + 1, 1);
    }
}

static void redirect(const char *path, int fd)
{
    int f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (f < 0 || dup2(f, fd) < 0)
        _exit(120);
    close(f);
}

static void run_child(const char *const *argv, const char *const *env, const char *cwd,
                      const char *out, const char *err)
{
    redirect(out, 1);
    redirect(err, 2);
    apply_env(env);
    if (cwd && chdir(cwd) != 0)
        _exit(121);
    execv(argv[0], (char *const *)argv);
    _exit(122);
}

static int decode_status(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

int cli_run(const char *const *argv, const char *const *env, const char *cwd, cli_result_t *res)
{
    char scratch[512], out[600], err[600];
    if (cli_make_scratch(scratch, sizeof scratch) != 0)
        return -1;
    snprintf(out, sizeof out, "%s/stdout", scratch);
    snprintf(err, sizeof err, "%s/stderr", scratch);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        run_child(argv, env, cwd, out, err);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        return -1;
    res->status = decode_status(status);
    if (cli_read_file(out, res->out, sizeof res->out) < 0 ||
        cli_read_file(err, res->err, sizeof res->err) < 0)
        return -1;
    cli_remove_tree(scratch);
    return 0;
}

int cli_make_scratch(char *path, size_t len)
{
    return tst_scratch_make(path, len, "cli-test");
}

void cli_remove_tree(const char *path)
{
    tst_scratch_remove(path);
}

long cli_read_file(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = 0;
    fclose(f);
    return (long)n;
}

static int has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), m = strlen(suffix);
    return n >= m && strcmp(name + n - m, suffix) == 0;
}

int cli_count_files(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int count = 0;
    for (struct dirent *e; (e = readdir(d));)
        count += e->d_name[0] != '.' && has_suffix(e->d_name, suffix);
    closedir(d);
    return count;
}

long long cli_largest_file(const char *dir, const char *suffix, int *misaligned)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    long long largest = 0;
    *misaligned = 0;
    for (struct dirent *e; (e = readdir(d));) {
        struct stat st;
        if (e->d_name[0] == '.' || !has_suffix(e->d_name, suffix) ||
            fstatat(dirfd(d), e->d_name, &st, 0) != 0)
            continue;
        largest = st.st_size > largest ? (long long)st.st_size : largest;
        *misaligned += st.st_size % 8 != 0;
    }
    closedir(d);
    return largest;
}

int cli_find_file(const char *dir, const char *suffix, char *out, size_t len)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int rc = -1;
    for (struct dirent *e; rc != 0 && (e = readdir(d));)
        if (e->d_name[0] != '.' && has_suffix(e->d_name, suffix)) {
            snprintf(out, len, "%s/%s", dir, e->d_name);
            rc = 0;
        }
    closedir(d);
    return rc;
}
