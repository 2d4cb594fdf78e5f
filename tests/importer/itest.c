/* itest.c: helpers of itest.h. Runs the sqlite3 shell for queries: test code never
 * links SQLite itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "itest.h"

char *it_tmpdir(void)
{
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char *dir = malloc(strlen(base) + 32);
    sprintf(dir, "%s/mtdb-imp-XXXXXX", base);
    if (!mkdtemp(dir))
        abort();
    return dir;
}

int it_import(const char *dir, const char *db, int force)
{
    char *argv[] = {"import", "-q", "-o", (char *)db, (char *)dir, NULL, NULL};
    int argc = 5;
    if (force) {
        argv[5] = argv[4];
        argv[4] = "--force";
        argc = 6;
    }
    return mtdb_cmd_import(argc, argv);
}

char *it_query(const char *db, const char *sql)
{
    char sqlpath[] = "/tmp/mtdb-imp-sql-XXXXXX";
    int fd = mkstemp(sqlpath);
    if (fd < 0 || write(fd, sql, strlen(sql)) != (ssize_t)strlen(sql))
        abort();
    close(fd);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "sqlite3 -batch '%s' < '%s' 2>&1", db, sqlpath);
    FILE *f = popen(cmd, "r");
    size_t cap = 1 << 16, len = 0;
    char *out = calloc(1, cap);
    for (size_t n; f && (n = fread(out + len, 1, cap - 1 - len, f)) > 0;)
        len += n;
    if (f)
        pclose(f);
    unlink(sqlpath);
    while (len && out[len - 1] == '\n')
        out[--len] = 0;
    return out;
}

const char *it_path(const char *dir, const char *name)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/%s", dir, name);
    return buf;
}

char *it_read_file(const char *path, long *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc(*len + 1);
    if (fread(buf, 1, *len, f) != (size_t)*len)
        abort();
    buf[*len] = 0;
    fclose(f);
    return buf;
}

void it_rm_rf(const char *dir)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
}

int it_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
