/* itest.c: helpers of itest.h. Runs the sqlite3 shell for queries: test code never
 * links SQLite itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tst_scratch.h"
#include "commands.h"
#include "itest.h"

char *it_tmpdir(void)
{
    return tst_scratch_new("imp");
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

int it_import_with(const char *dir, const char *db, const char *option)
{
    char *argv[] = {"import", "-q", "-o", (char *)db, (char *)option, (char *)dir, NULL};
    return mtdb_cmd_import(6, argv);
}

char *it_query(const char *db, const char *sql)
{
    char sqlpath[1024];
    if (tst_scratch_file(sqlpath, sizeof sqlpath, "imp-sql", sql, strlen(sql)) != 0)
        abort();
    char cmd[3072];
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
    tst_scratch_remove(dir);
}

int it_run_suite(Suite *s)
{
    return tst_run_suite(s);
}
