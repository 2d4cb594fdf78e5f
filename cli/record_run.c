/* record_run.c: finds the recorder library, exports the settings and LD_PRELOAD, runs the
 * program with its signals forwarded and passes its exit status on (record.h).
 * Changes only the environment the child inherits.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "mtdb_allocators.h"
#include "mtdb_names.h"
#include "mtdb_settings.h"
#include "record.h"

/* ---- the recorder library -------------------------------------------------------------- */

static int is_readable_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, R_OK) == 0;
}

/* Build tree: <exe dir>/../recorder/libmtrec.so; installed: <prefix>/lib/mtdb/libmtrec.so
 * with the exe in <prefix>/bin. */
static int find_library_near_exe(char *out, size_t len)
{
    static const char *const rel[] = {"/../recorder/libmtrec.so", "/../lib/mtdb/libmtrec.so"};
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return RECORD_ENOLIB;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = 0;
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
        char candidate[PATH_MAX + 64];
        snprintf(candidate, sizeof candidate, "%s%s", exe, rel[i]);
        if (is_readable_file(candidate) && realpath(candidate, out) && strlen(out) < len)
            return RECORD_OK;
    }
    record_print_error("cannot find libmtrec.so: looked in %s/../recorder/ and %s/../lib/mtdb/; "
                       "set MTDB_LIBRARY to its path",
                       exe, exe);
    return RECORD_ENOLIB;
}

int record_find_library(char *out, size_t len)
{
    const char *env = getenv("MTDB_LIBRARY");
    int rc = RECORD_OK;
    if (env && *env) {
        if (!is_readable_file(env) || !realpath(env, out)) {
            record_print_error("MTDB_LIBRARY=%s: not a readable file", env);
            return RECORD_ENOLIB;
        }
    } else {
        rc = find_library_near_exe(out, len);
    }
    if (rc == RECORD_OK && strpbrk(out, " :")) {
        record_print_error("%s: LD_PRELOAD cannot name a path with spaces or colons", out);
        return RECORD_ENOLIB;
    }
    return rc;
}

/* ---- environment and running ----------------------------------------------------------- */

static int append_preload(const char *lib)
{
    const char *old = getenv("LD_PRELOAD");
    if (!old || !*old)
        return setenv("LD_PRELOAD", lib, 1);
    if (strstr(old, lib))
        return 0;
    size_t len = strlen(old) + strlen(lib) + 2;
    char *joined = malloc(len);
    if (!joined)
        return -1;
    snprintf(joined, len, "%s:%s", old, lib);
    int rc = setenv("LD_PRELOAD", joined, 1);
    free(joined);
    return rc;
}

int record_export_settings(const record_options_t *o, const char *abs_output, const char *lib)
{
    for (int i = 0; i < MTDB_SET_COUNT; i++)
        if (o->values[i] && i != MTDB_SET_OUTPUT &&
            setenv(mtdb_setting_descs[i].env, o->values[i], 1))
            return RECORD_ESYS;
    if (setenv(mtdb_setting_descs[MTDB_SET_OUTPUT].env, abs_output, 1) || append_preload(lib)) {
        record_print_error("cannot set the environment: %s", strerror(errno));
        return RECORD_ESYS;
    }
    return RECORD_OK;
}

static volatile sig_atomic_t record_child_pid;

/* SIGTERM/SIGHUP to mtdb go to the program: its status then tells what happened. */
static void forward_signal(int sig)
{
    if (record_child_pid > 0)
        kill((pid_t)record_child_pid, sig);
}

static void set_parent_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* SIGINT and SIGQUIT as they were before mtdb ignored them (nohup, background jobs). */
static struct sigaction record_saved_int, record_saved_quit;

static void ignore_terminal_signals(void)
{
    struct sigaction ignore;
    memset(&ignore, 0, sizeof ignore);
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGINT, &ignore, &record_saved_int);
    sigaction(SIGQUIT, &ignore, &record_saved_quit);
}

/* In the child: signals as inherited, ROOT_PID, exec. Only reports errno through the pipe. */
static void exec_child(char **argv, int report_fd)
{
    char pid[24];
    sigaction(SIGINT, &record_saved_int, NULL);
    sigaction(SIGQUIT, &record_saved_quit, NULL);
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    setenv(mtdb_setting_descs[MTDB_SET_ROOT_PID].env, pid, 1);
    execvp(argv[0], argv);
    int err = errno;
    if (write(report_fd, &err, sizeof err) < 0)
        err = 0;
    _exit(127);
}

static int wait_child(pid_t pid, int *status)
{
    while (waitpid(pid, status, 0) < 0)
        if (errno != EINTR) {
            record_print_error("waitpid: %s", strerror(errno));
            return RECORD_ESYS;
        }
    return RECORD_OK;
}

/* Reads the exec errno from the pipe: 0 when exec succeeded (the pipe closed empty). */
static int read_exec_error(int fd)
{
    int err = 0;
    ssize_t n;
    while ((n = read(fd, &err, sizeof err)) < 0 && errno == EINTR)
        ;
    return n == (ssize_t)sizeof err ? err : 0;
}

static int collect_child(pid_t pid, int report_fd, const char *prog, int *status)
{
    int err = read_exec_error(report_fd);
    close(report_fd);
    int rc = wait_child(pid, status);
    if (rc != RECORD_OK || !err)
        return rc;
    record_print_error("cannot run %s: %s", prog, strerror(err));
    return err == ENOENT ? RECORD_ENOPROG : RECORD_EEXEC;
}

/* Runs argv; *status gets the wait status. SIGINT and SIGQUIT reach the program from the
 * terminal; mtdb ignores them meanwhile, like system(3). */
int record_run_program(char **argv, pid_t *pid_out, int *status)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return record_print_error("pipe: %s", strerror(errno)), RECORD_ESYS;
    ignore_terminal_signals();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]), close(fds[1]);
        return record_print_error("fork: %s", strerror(errno)), RECORD_ESYS;
    }
    if (pid == 0) {
        close(fds[0]);
        exec_child(argv, fds[1]);
    }
    close(fds[1]);
    record_child_pid = pid;
    set_parent_signals();
    *pid_out = pid;
    return collect_child(pid, fds[0], argv[0], status);
}

/* The program's status as ours: its exit code, or 128+N when signal N killed it. */
int record_pass_status(const char *prog, int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        fprintf(stderr, "mtdb: %s was killed by signal %d (%s)%s\n", prog, sig, strsignal(sig),
                WCOREDUMP(status) ? ", core dumped" : "");
        return 128 + sig;
    }
    return CLI_EXIT_FAILURE;
}
