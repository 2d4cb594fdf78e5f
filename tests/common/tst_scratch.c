/* tst_scratch.c: scratch directories of tst_scratch.h.
 *
 * A Check case that fails ends its process with _exit, so what it made is removed (and
 * named) by tst_run_runner with the rest of the run's root; atexit covers the processes
 * that call exit early, in the process that made the directory only (a forked child
 * that calls exit must not take its parent's directory away). Tests only.
 */
#include "tst_scratch.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LIVE_MAX 32

static struct {
    char path[4096];
    pid_t owner;
} live[LIVE_MAX];

static int keep(void)
{
    const char *k = getenv("MTDB_TEST_KEEP");
    return k && *k && strcmp(k, "0") != 0;
}

static const char *tmp_base(void)
{
    const char *tmp = getenv("TMPDIR");
    return tmp && *tmp ? tmp : "/tmp";
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    if (remove(path) != 0 && errno != ENOENT)
        fprintf(stderr, "scratch: cannot remove %s: %s\n", path, strerror(errno));
    return 0; /* go on: remove what can be removed */
}

static int remove_tree(const char *path)
{
    nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    return access(path, F_OK) == 0 ? -1 : 0;
}

/* At exit of the maker: whatever it still holds was left by a test that stopped early. */
static void remove_live(void)
{
    for (int i = 0; i < LIVE_MAX; i++) {
        if (!live[i].path[0] || live[i].owner != getpid())
            continue;
        if (keep()) {
            fprintf(stderr, "scratch: test stopped early; kept %s\n", live[i].path);
        } else {
            fprintf(stderr, "scratch: test stopped early; removing %s\n", live[i].path);
            remove_tree(live[i].path);
        }
        live[i].path[0] = 0;
    }
}

static void track(const char *path)
{
    static pid_t registered;
    if (registered != getpid()) { /* a fork inherits the parent's handler, which checks */
        if (registered == 0)
            atexit(remove_live);
        registered = getpid();
    }
    for (int i = 0; i < LIVE_MAX; i++)
        if (!live[i].path[0] || live[i].owner != getpid()) {
            snprintf(live[i].path, sizeof live[i].path, "%s", path);
            live[i].owner = getpid();
            return;
        }
}

static void untrack(const char *path)
{
    for (int i = 0; i < LIVE_MAX; i++)
        if (live[i].owner == getpid() && strcmp(live[i].path, path) == 0)
            live[i].path[0] = 0;
}

int tst_scratch_make(char *path, size_t len, const char *tag)
{
    int n = snprintf(path, len, "%s/mtdb-%s-XXXXXX", tmp_base(), tag);
    if (n < 0 || (size_t)n >= len || !mkdtemp(path)) {
        fprintf(stderr, "scratch: cannot make %s: %s\n", path, strerror(errno));
        return -1;
    }
    track(path);
    return 0;
}

char *tst_scratch_new(const char *tag)
{
    char *path = malloc(4096);
    ck_assert_msg(path && tst_scratch_make(path, 4096, tag) == 0,
                  "cannot make a scratch directory %s/mtdb-%s-XXXXXX", tmp_base(), tag);
    return path;
}

int tst_scratch_remove(const char *path)
{
    untrack(path);
    if (keep()) {
        fprintf(stderr, "scratch: kept %s\n", path);
        return 0;
    }
    if (remove_tree(path) == 0)
        return 0;
    fprintf(stderr, "scratch: %s is still there\n", path);
    return -1;
}

int tst_scratch_file(char *path, size_t len, const char *tag, const void *data, size_t n)
{
    int k = snprintf(path, len, "%s/mtdb-%s-XXXXXX", tmp_base(), tag);
    int fd = k < 0 || (size_t)k >= len ? -1 : mkstemp(path);
    if (fd < 0) {
        fprintf(stderr, "scratch: cannot make %s: %s\n", path, strerror(errno));
        return -1;
    }
    int ok = write(fd, data, n) == (ssize_t)n;
    close(fd);
    if (!ok) {
        fprintf(stderr, "scratch: cannot write %s\n", path);
        unlink(path);
        return -1;
    }
    return 0;
}

/* Names everything a run left in root; returns how many entries there were. */
static int list_leftovers(const char *root)
{
    DIR *d = opendir(root);
    int n = 0;
    for (struct dirent *de; d && (de = readdir(d));) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        fprintf(stderr, "scratch: left in the temp directory (removed now): %s/%s\n", root,
                de->d_name);
        n++;
    }
    if (d)
        closedir(d);
    return n;
}

int tst_run_runner(SRunner *sr, int *ran)
{
    char root[4096], *old = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
    if (tst_scratch_make(root, sizeof root, "run") != 0) { /* named there */
        srunner_free(sr);
        free(old);
        return EXIT_FAILURE;
    }
    untrack(root); /* removed below, after the leftovers are named */
    chmod(root, 0711); /* others may pass through, as through /tmp (privilege-drop cases) */
    setenv("TMPDIR", root, 1);
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    if (ran)
        *ran = srunner_ntests_run(sr);
    srunner_free(sr);
    if (old)
        setenv("TMPDIR", old, 1);
    else
        unsetenv("TMPDIR");
    free(old);
    int left = keep() ? 0 : list_leftovers(root);
    if (keep())
        fprintf(stderr, "scratch: kept %s\n", root);
    else if (remove_tree(root) != 0)
        fprintf(stderr, "scratch: %s is still there\n", root);
    return failed || left ? EXIT_FAILURE : EXIT_SUCCESS;
}

int tst_run_suite(Suite *s)
{
    return tst_run_runner(srunner_create(s), NULL);
}
