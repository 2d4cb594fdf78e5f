/* bench_bare_insert.c: as fast as this machine inserts rows into SQLite, with nothing
 * of the importer in the way (bench_bare_insert.h). Talks to SQLite directly.
 */
#include <time.h>

#include <sqlite3.h>

#include "bench_bare_insert.h"

static double bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

double bench_bare_insert(const char *path, long rows)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        return -1;
    double t0 = bench_now_s();
    sqlite3_exec(db,
                 "PRAGMA page_size = 65536; PRAGMA journal_mode = OFF;"
                 "PRAGMA synchronous = OFF; CREATE TABLE t(a INTEGER, b INTEGER, c INTEGER,"
                 " d INTEGER, e INTEGER, f INTEGER, g INTEGER, h INTEGER) STRICT; BEGIN",
                 NULL, NULL, NULL);
    sqlite3_prepare_v2(db, "INSERT INTO t VALUES(?,?,?,?,?,?,?,?)", -1, &st, NULL);
    for (long i = 0; i < rows; i++) {
        for (int c = 1; c <= 8; c++)
            sqlite3_bind_int64(st, c, i * 7919 + c * 1000003LL);
        sqlite3_step(st);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    int rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    double s = bench_now_s() - t0;
    sqlite3_close(db);
    return rc == SQLITE_OK ? s : -1;
}
