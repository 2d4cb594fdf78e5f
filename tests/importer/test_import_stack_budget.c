/* test_import_stack_budget.c: a thread's stack table stays within MTDB_STACK_TABLE_KB,
 * and forgetting stacks never changes which stack an allocation has. deepstacks makes
 * allocations from thousands of distinct stacks; under a 32 KiB budget (512 stacks
 * before the table is cleared) the database must hold the program's own counts, a stack
 * on every block, one stack per distinct path, the same frame lists as a run with the
 * default budget, and stack_table_resets > 0. Skipped without the recorder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"

#ifndef IMP_RECORDER_LIB
#define IMP_RECORDER_LIB ""
#endif

#define COUNT 6000 /* allocations; depth 7 gives 4^7 = 16384 paths, so all distinct */
#define DEPTH 7
#define SIZE 3333 /* marks the program's own blocks */
#define KEEP 7    /* every 7th block stays live */

typedef struct run {
    char *dir, *db;
    long own[4]; /* allocs, frees, live, distinct_stacks */
} run_t;

static void run_deep(run_t *r, const char *budget_env)
{
    r->dir = it_tmpdir();
    r->db = strdup(it_path(r->dir, "t.db"));
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s MTDB_OUTPUT='%s/out' LD_PRELOAD='%s' '%s' %d %d %d %d > '%s/counts'",
             budget_env, r->dir, IMP_RECORDER_LIB, IMP_DEEPSTACKS, COUNT, DEPTH, SIZE, KEEP,
             r->dir);
    ck_assert_int_eq(system(cmd), 0);
    FILE *f = fopen(it_path(r->dir, "counts"), "r");
    ck_assert_ptr_nonnull(f);
    char key[32];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(fscanf(f, "%31s %ld", key, &r->own[i]), 2);
    fclose(f);
    char out[1024];
    snprintf(out, sizeof out, "%s/out", r->dir);
    ck_assert_int_eq(it_import(out, r->db, 0), 0);
}

static void free_run(run_t *r)
{
    it_rm_rf(r->dir);
    free(r->dir);
    free(r->db);
}

#define OWN "FROM allocations WHERE size_bytes = 3333"

static void check_counts(const run_t *r)
{
    ck_assert_int_eq(r->own[0], COUNT);
    ck_assert_int_eq(r->own[3], COUNT);
    char expect[128];
    snprintf(expect, sizeof expect, "%ld|%ld|%ld|%ld", r->own[0], r->own[1], r->own[0], r->own[3]);
    ck_query(r->db, "SELECT count(*), count(free_ns), count(stack_id), count(DISTINCT stack_id) " OWN ";",
             expect);
    snprintf(expect, sizeof expect, "%ld", r->own[2]);
    ck_query(r->db, "SELECT count(*) FROM live_blocks WHERE size_bytes = 3333;", expect);
}

static long resets(const run_t *r)
{
    char *got = it_query(r->db, "SELECT sum(value) FROM health_counters "
                                "WHERE counter = 'stack_table_resets';");
    long n = atol(got);
    free(got);
    return n;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Each block's frame list as "module+offset,..." (innermost first), sorted: the
 * multiset of stacks, independent of stack ids and load addresses. */
static char **frame_lists(const run_t *r, size_t *n)
{
    /* Tens of thousands of rows: read as a stream, past it_query's buffer. */
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "sqlite3 -batch '%s' \"SELECT a.block_id, m.path || '+' || f.module_offset "
             "FROM allocations a JOIN stack_frames s USING (stack_id) "
             "JOIN frames f USING (frame_id) LEFT JOIN modules m USING (module_id) "
             "WHERE a.size_bytes = 3333 ORDER BY a.block_id, s.position;\"",
             r->db);
    FILE *rows = popen(cmd, "r");
    ck_assert_ptr_nonnull(rows);
    char **lists = calloc(COUNT + 1, sizeof *lists);
    ck_assert_ptr_nonnull(lists);
    size_t count = 0, len = 0;
    long last = -1;
    char line[4096];
    while (fgets(line, sizeof line, rows)) {
        line[strcspn(line, "\n")] = 0;
        char *bar = strchr(line, '|');
        ck_assert_ptr_nonnull(bar);
        long block = atol(line);
        if (block != last) {
            ck_assert_uint_lt(count, COUNT);
            lists[count++] = calloc(1, 4096);
            len = 0, last = block;
        }
        len += (size_t)snprintf(lists[count - 1] + len, 4096 - len, "%s,", bar + 1);
        ck_assert_uint_lt(len, 4000);
    }
    ck_assert_int_eq(pclose(rows), 0);
    qsort(lists, count, sizeof *lists, cmp_str);
    *n = count;
    return lists;
}

START_TEST(small_budget_same_stacks)
{
    if (!*IMP_RECORDER_LIB)
        return;
    run_t small, large;
    run_deep(&small, "MTDB_STACK_TABLE_KB=32");
    run_deep(&large, "");
    check_counts(&small);
    check_counts(&large);
    ck_assert_int_gt(resets(&small), COUNT / 512 - 2);
    ck_assert_int_eq(resets(&large), 0);
    size_t ns, nl;
    char **a = frame_lists(&small, &ns), **b = frame_lists(&large, &nl);
    ck_assert_uint_eq(ns, COUNT);
    ck_assert_uint_eq(nl, COUNT);
    for (size_t i = 0; i < ns; i++) {
        ck_assert_str_eq(a[i], b[i]);
        ck_assert_ptr_nonnull(strstr(a[i], "+")); /* a frame, not an empty list */
    }
    for (size_t i = 0; i < ns; i++)
        free(a[i]), free(b[i]);
    free(a), free(b);
    free_run(&small);
    free_run(&large);
}
END_TEST

START_TEST(budget_out_of_range_refused)
{
    if (!*IMP_RECORDER_LIB)
        return;
    char *dir = it_tmpdir();
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "MTDB_STACK_TABLE_KB=31 MTDB_OUTPUT='%s/out' LD_PRELOAD='%s' '%s' 4 2 %d 0 "
             "> '%s/counts' 2> '%s/err'", dir, IMP_RECORDER_LIB, IMP_DEEPSTACKS, SIZE, dir, dir);
    ck_assert_int_eq(system(cmd), 0); /* the program runs, untraced */
    long len;
    char *err = it_read_file(it_path(dir, "err"), &len);
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_nonnull(strstr(err, "invalid MTDB_STACK_TABLE_KB='31': expected an integer in "
                                      "32..4194304; this program runs untraced"));
    free(err);
    it_rm_rf(dir);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("import_stack_budget");
    TCase *tc = tcase_create("budget");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, small_budget_same_stacks);
    tcase_add_test(tc, budget_out_of_range_refused);
    suite_add_tcase(s, tc);
    return it_run_suite(s);
}
