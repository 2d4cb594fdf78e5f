/* bench_bare_insert.h: the bare SQLite insert rate of this machine, the yardstick of
 * the importer benchmark (bench_bare_insert.c). Never part of the product.
 */
#ifndef BENCH_BARE_INSERT_H
#define BENCH_BARE_INSERT_H

/* Creates path, loads `rows` rows of 8 integer columns with one prepared statement in
 * one transaction (64 KiB pages, journal and sync off) and returns the seconds taken,
 * or -1 when SQLite failed. */
double bench_bare_insert(const char *path, long rows);

#endif
