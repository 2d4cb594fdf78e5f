/* test_import_links.c: processes linked to where they came from: a root, a fork child
 * (parent_nonce), a spawned child (ppid, lifetime) and an exec'd image (same pid, the
 * old image recorded STATE exec); plus module maps and health counters.
 */
#include <stdlib.h>

#include "itest.h"
#include "synth.h"

static char *dir, *db;

/* A stream with one allocation of `size` bytes at ts by thread 1 (the main thread). */
static void one_stream(uint32_t pid, uint64_t nonce, uint64_t ts, uint64_t size, int exec_at)
{
    char path[512];
    synth_path(path, sizeof path, dir, pid, nonce, 1);
    synth_t *s = synth_open(path, MTDB_FILE_KIND_STREAM, pid, nonce, 1, ts);
    synth_block_begin(s, 1, MTDB_BLOCK_THREAD_FIRST, ts);
    synth_thread(s, pid, ts, MTDB_THREAD_MAIN);
    synth_alloc(s, MTDB_FUNC_MALLOC, ts + 1, 0x1000, size, 0, 1);
    if (exec_at)
        synth_state(s, MTDB_STATE_EXEC, (uint64_t)exec_at, "/bin/next", 0);
    uint64_t counters[MTDB_COUNTER_COUNT] = {1, 100, 3, 4};
    synth_counters(s, counters);
    synth_block_end(s, 1, 0);
    synth_close(s);
}

static void setup(void)
{
    dir = it_tmpdir();
    db = strdup(it_path(dir, "t.db"));
    synth_proc_file(dir, 300, 1, 1, 0, 1000, 9000);   /* root */
    synth_proc_file(dir, 301, 2, 300, 1, 2000, 0);    /* fork child of nonce 1 */
    synth_proc_file(dir, 302, 4, 300, 0, 3000, 4000); /* spawned by 300 */
    synth_proc_file(dir, 301, 3, 300, 0, 6000, 7000); /* what 301 exec'd */
    one_stream(300, 1, 1000, 10, 0);
    one_stream(301, 2, 2000, 20, 5000);
    /* the counters say 7 events were dropped and no gap shows them: a warning, exit 3 */
    ck_assert_int_eq(it_import(dir, db, 0), 3);
}

static void teardown(void)
{
    it_rm_rf(dir);
    free(dir);
    free(db);
}

START_TEST(test_links_started_by)
{
    ck_query(db,
             "SELECT process_id, pid, nonce, started_by, parent_process_id, ppid, exec_path, "
             "exit_how FROM processes ORDER BY process_id;",
             "1|300|0000000000000001|root||1||atexit\n"
             "2|301|0000000000000002|fork|1|300|/bin/next|\n"
             "3|302|0000000000000004|spawn|1|300||atexit\n"
             "4|301|0000000000000003|exec|2|300||atexit");
}
END_TEST

START_TEST(test_links_counters_and_states)
{
    ck_query(db,
             "SELECT process_id, thread_id, counter, value FROM health_counters "
             "WHERE value > 0 ORDER BY process_id, counter;",
             "1|1|bytes_written|100\n1|1|dropped_reentry_full|4\n1|1|dropped_write_error|3\n"
             "1|1|events|1\n2|2|bytes_written|100\n2|2|dropped_reentry_full|4\n"
             "2|2|dropped_write_error|3\n2|2|events|1");
    ck_query(db, "SELECT process_id, dropped_events FROM summary ORDER BY process_id;",
             "1|7\n2|7\n3|0\n4|0");
    ck_query(db,
             "SELECT process_id, kind, thread_number, events_lost, offset_bytes IS NULL "
             "FROM import_problems ORDER BY process_id;",
             "1|not_recorded|1|7|1\n2|not_recorded|1|7|1");
    ck_query(db, "SELECT process_id, skipped_events FROM summary ORDER BY process_id;",
             "1|7\n2|7\n3|0\n4|0");
    ck_query(db, "SELECT process_id, thread_id, ts_ns, state, text FROM thread_states;",
             "2|2|5000|exec|/bin/next");
}
END_TEST

/* A library replaced at the same address (dlclose, dlopen): each stack resolves with
 * the module map in force when it was recorded. */
START_TEST(test_links_module_snapshots_by_time)
{
    char *d = it_tmpdir(), path[512];
    char *db2 = strdup(it_path(d, "m.db"));
    synth_path(path, sizeof path, d, 600, 6, -1);
    synth_t *s = synth_open(path, MTDB_FILE_KIND_PROCESS, 600, 6, 0, 1000);
    synth_block_begin(s, 0, 0, 1000);
    synth_process(s, 600, 1, 0, 1000, 5000, "prog", "/usr/bin/prog");
    synth_module(s, 0x400000, 0x1000, "/lib/a.so", "\x01\x02");
    synth_block_end(s, 1, 0);
    synth_block_begin(s, 0, 0, 2000); /* written at dlopen time */
    synth_module(s, 0x400000, 0x1000, "/lib/b.so", NULL);
    synth_block_end(s, 1, 0);
    synth_close(s);
    synth_path(path, sizeof path, d, 600, 6, 1);
    s = synth_open(path, MTDB_FILE_KIND_STREAM, 600, 6, 1, 1000);
    static const uintptr_t f1[] = {0x400100}, f2[] = {0x400200};
    synth_block_begin(s, 1, MTDB_BLOCK_THREAD_FIRST, 1000);
    synth_thread(s, 600, 1000, MTDB_THREAD_MAIN);
    synth_stack(s, f1, 1);
    synth_alloc(s, MTDB_FUNC_MALLOC, 1100, 0x9000, 7, 1, 1);
    synth_block_end(s, 1, 0);
    synth_block_begin(s, 1, 0, 2100);
    synth_stack(s, f2, 1);
    synth_alloc(s, MTDB_FUNC_MALLOC, 2200, 0x9100, 8, 2, 1);
    synth_block_end(s, 1, 0);
    synth_close(s);
    ck_assert_int_eq(it_import(d, db2, 0), 3); /* the two libraries are not on this disk */
    ck_query(db2, "SELECT kind, count(*) FROM import_problems GROUP BY kind;", "missing_module|2");
    ck_query(db2,
             "SELECT a.size_bytes, s.module, printf('%x', s.module_offset) FROM allocations a "
             "JOIN stack_symbols s ON s.stack_id = a.stack_id ORDER BY a.alloc_ns;",
             "7|/lib/a.so|100\n8|/lib/b.so|200");
    ck_query(db2,
             "SELECT m.path, m.build_id, printf('%x', base_address), text_size_bytes, from_ns, "
             "until_ns FROM module_maps JOIN modules m USING (module_id) ORDER BY from_ns;",
             "/lib/a.so|0102|400000|4096|1000|2000\n/lib/b.so||400000|4096|2000|");
    it_rm_rf(d);
    free(d);
    free(db2);
}
END_TEST

/* A fork child frees a block its parent had live at the fork (linked to the parent's
 * block), one the parent had freed before the fork, and one never seen (both NULL). */
START_TEST(test_links_fork_child_frees_inherited_block)
{
    char *d = it_tmpdir();
    char *path = strdup(it_path(d, "f.db"));
    char stream[1024];
    synth_proc_file(d, 400, 0x10, 1, 0, 1000, 9000);
    synth_proc_file(d, 401, 0x11, 400, 0x10, 2000, 3000);
    synth_path(stream, sizeof stream, d, 400, 0x10, 1);
    synth_t *s = synth_open(stream, MTDB_FILE_KIND_STREAM, 400, 0x10, 1, 1000);
    synth_block_begin(s, 1, MTDB_BLOCK_THREAD_FIRST, 1000);
    synth_thread(s, 400, 1000, MTDB_THREAD_MAIN);
    synth_alloc(s, MTDB_FUNC_MALLOC, 1001, 0x5000, 77, 0, 1);
    synth_alloc(s, MTDB_FUNC_MALLOC, 1002, 0x6000, 88, 0, 1);
    synth_free(s, MTDB_FREE_FUNC_FREE, 1500, 0x6000);
    synth_block_end(s, 1, 0);
    synth_close(s);
    synth_path(stream, sizeof stream, d, 401, 0x11, 1);
    s = synth_open(stream, MTDB_FILE_KIND_STREAM, 401, 0x11, 1, 2000);
    synth_block_begin(s, 1, MTDB_BLOCK_THREAD_FIRST, 2000);
    synth_thread(s, 401, 2000, MTDB_THREAD_MAIN | MTDB_THREAD_FORK_CHILD);
    synth_free(s, MTDB_FREE_FUNC_FREE, 2100, 0x5000);
    synth_free(s, MTDB_FREE_FUNC_FREE, 2200, 0x6000);
    synth_free(s, MTDB_FREE_FUNC_FREE, 2300, 0x7000);
    synth_block_end(s, 1, 0);
    synth_close(s);
    ck_assert_int_eq(it_import(d, path, 0), 0);
    ck_query(path,
             "SELECT u.process_id, printf('%x', u.address), a.process_id, a.size_bytes "
             "FROM unmatched_frees u LEFT JOIN allocations a ON a.block_id = u.inherited_block_id "
             "ORDER BY u.free_ns;",
             "2|5000|1|77\n2|6000||\n2|7000||");
    it_rm_rf(d);
    free(d);
    free(path);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("importer links");
    TCase *tc = tcase_create("links");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_links_started_by);
    tcase_add_test(tc, test_links_counters_and_states);
    tcase_add_test(tc, test_links_module_snapshots_by_time);
    tcase_add_test(tc, test_links_fork_child_frees_inherited_block);
    suite_add_tcase(s, tc);
    return it_run_suite(s);
}
