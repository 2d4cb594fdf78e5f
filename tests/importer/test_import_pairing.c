/* test_import_pairing.c: synthetic traces with known events -> exact rows: blocks,
 * cross-thread frees, realloc links, unmatched and double frees, failed allocations,
 * shared stacks, address reuse across threads at equal times, per-thread totals.
 */
#include <stdlib.h>

#include "itest.h"
#include "synth.h"

static const uintptr_t frames_ab[] = {0x1000, 0x2000};

/* pid 100: thread 1 (main) and thread 2, see the expectations in the tests. */
static void build_basic(const char *dir)
{
    char path[512];
    synth_proc_file(dir, 100, 0xA1, 1, 0, 1000, 10000);
    synth_path(path, sizeof path, dir, 100, 0xA1, 1);
    synth_t *s = synth_open(path, MTDB_FILE_KIND_STREAM, 100, 0xA1, 1, 1000);
    synth_block_begin(s, 1, MTDB_BLOCK_THREAD_FIRST, 1000);
    synth_thread(s, 100, 1000, MTDB_THREAD_MAIN);
    synth_name(s, "main");
    synth_stack(s, frames_ab, 2);
    synth_alloc(s, MTDB_FUNC_MALLOC, 1100, 0x10000, 100, 1, 1);
    synth_alloc(s, MTDB_FUNC_CALLOC, 1200, 0x20000, 200, 1, 1);
    synth_realloc(s, MTDB_FUNC_REALLOC, 1300, 0x20000, 1310, 0x30000, 300, 1);
    synth_realloc(s, MTDB_FUNC_REALLOC, 1400, 0x30000, 1410, 0x30000, 310, 1);
    synth_fail(s, MTDB_FUNC_MALLOC, 1500, 1ULL << 40);
    synth_free(s, MTDB_FREE_FUNC_FREE, 1600, 0xdead0);
    synth_mark(s, MTDB_MARK_POINT, 1700, "checkpoint");
    synth_block_end(s, 1, MTDB_BLOCK_THREAD_LAST);
    synth_close(s);
    synth_path(path, sizeof path, dir, 100, 0xA1, 2);
    s = synth_open(path, MTDB_FILE_KIND_STREAM, 100, 0xA1, 2, 1050);
    synth_block_begin(s, 2, MTDB_BLOCK_THREAD_FIRST, 1050);
    synth_thread(s, 101, 1050, 0);
    synth_stack(s, frames_ab, 2);
    synth_free(s, MTDB_FREE_FUNC_FREE, 2000, 0x10000);
    synth_alloc(s, MTDB_FUNC_MALLOC, 2100, 0x40000, 50, 1, 1);
    synth_free(s, MTDB_FREE_FUNC_FREE, 2200, 0x40000);
    synth_free(s, MTDB_FREE_FUNC_FREE, 2300, 0x40000);
    synth_block_end(s, 1, 0);
    synth_close(s);
}

static char *dir, *db;

static void setup_basic(void)
{
    dir = it_tmpdir();
    build_basic(dir);
    db = strdup(it_path(dir, "t.db"));
    ck_assert_int_eq(it_import(dir, db, 0), 0);
}

static void teardown(void)
{
    it_rm_rf(dir);
    free(dir);
    free(db);
}

START_TEST(test_pairing_blocks_exact)
{
    ck_query(db,
             "SELECT block_id, thread_id, printf('%x', address), size_bytes, alloc_ns, "
             "alloc_function, stack_id, weight, prev_block_id, free_thread_id, free_ns, "
             "free_function FROM allocations ORDER BY alloc_ns;",
             "3|1|10000|100|1100|malloc|1|1||2|2000|free\n"
             "1|1|20000|200|1200|calloc|1|1||1|1300|realloc\n"
             "2|1|30000|300|1310|realloc|1|1|1|1|1400|realloc\n"
             "5|1|30000|310|1410|realloc|1|1|2|||\n"
             "4|2|40000|50|2100|malloc|1|1||2|2200|free");
}
END_TEST

START_TEST(test_pairing_lone_frees_and_failures)
{
    ck_query(db, "SELECT thread_id, printf('%x', address), free_ns, function FROM unmatched_frees;",
             "1|dead0|1600|free");
    ck_query(db, "SELECT thread_id, printf('%x', address), free_ns, block_id FROM double_frees;",
             "2|40000|2300|4");
    ck_query(db, "SELECT thread_id, ts_ns, function, size_bytes FROM failed_allocations;",
             "1|1500|malloc|1099511627776");
}
END_TEST

START_TEST(test_pairing_summary_exact)
{
    ck_query(db,
             "SELECT process_id, pid, started_by, command, threads, alloc_calls, frees, "
             "bytes_allocated, live_blocks_at_exit, live_bytes_at_exit, peak_live_bytes, "
             "failed_allocations, unmatched_frees, double_frees, dropped_events, skipped_events "
             "FROM summary;",
             "1|100|root|prog --test|2|5|4|960|1|310|410|1|1|1|0|0");
    ck_query(db, "SELECT peak_ns, realloc_calls, events FROM process_stats;", "1410|2|10");
}
END_TEST

START_TEST(test_pairing_threads_exact)
{
    ck_query(db,
             "SELECT thread_id, thread_number, tid, name, is_main, start_ns, end_ns, "
             "ended_cleanly, alloc_calls, bytes_allocated, free_calls, bytes_freed, "
             "cross_thread_frees FROM threads ORDER BY thread_id;",
             "1|1|100|main|1|1000|1600|1|4|910|2|500|0\n"
             "2|2|101||0|1050|2300|0|1|50|2|150|1");
    ck_query(db,
             "SELECT process_id, alloc_thread_id, free_thread_id, blocks, bytes "
             "FROM thread_interaction ORDER BY alloc_thread_id, free_thread_id;",
             "1|1|1|2|500\n1|1|2|1|100\n1|2|2|1|50");
    ck_query(db, "SELECT count(*) FROM cross_thread_frees;", "1");
}
END_TEST

START_TEST(test_pairing_stacks_shared)
{
    ck_query(db, "SELECT count(*) FROM stacks;", "1");
    ck_query(db,
             "SELECT position, module, module_offset FROM stack_symbols WHERE stack_id = 1 "
             "ORDER BY position;",
             "0||4096\n1||8192");
    ck_query(db, "SELECT kind, label, ts_ns, thread_id FROM marks;", "point|checkpoint|1700|1");
}
END_TEST

START_TEST(test_pairing_schema_identity)
{
    ck_query(db, "PRAGMA application_id; PRAGMA user_version; PRAGMA page_size;",
             "1297368130\n5\n65536");
    ck_query(db, "SELECT count(*) FROM import_problems;", "0");
    ck_query(db, "SELECT value FROM import_info WHERE key = 'schema_version';", "5");
}
END_TEST

/* Thread 2 frees P at t=200 and thread 1 allocates P at t=200: the free goes first,
 * although thread 1's file sorts first. */
START_TEST(test_pairing_reuse_equal_time)
{
    char path[512];
    dir = it_tmpdir();
    db = strdup(it_path(dir, "t.db"));
    synth_proc_file(dir, 200, 0xB2, 1, 0, 10, 0);
    synth_path(path, sizeof path, dir, 200, 0xB2, 1);
    synth_t *s = synth_open(path, MTDB_FILE_KIND_STREAM, 200, 0xB2, 1, 10);
    synth_block_begin(s, 1, MTDB_BLOCK_THREAD_FIRST, 10);
    synth_thread(s, 200, 10, MTDB_THREAD_MAIN);
    synth_alloc(s, MTDB_FUNC_MALLOC, 100, 0x5000, 8, 0, 1);
    synth_alloc(s, MTDB_FUNC_MALLOC, 200, 0x5000, 16, 0, 1);
    synth_block_end(s, 1, 0);
    synth_close(s);
    synth_path(path, sizeof path, dir, 200, 0xB2, 2);
    s = synth_open(path, MTDB_FILE_KIND_STREAM, 200, 0xB2, 2, 10);
    synth_block_begin(s, 2, MTDB_BLOCK_THREAD_FIRST, 10);
    synth_thread(s, 201, 10, 0);
    synth_free(s, MTDB_FREE_FUNC_FREE, 200, 0x5000);
    synth_block_end(s, 1, 0);
    synth_close(s);
    ck_assert_int_eq(it_import(dir, db, 0), 0);
    ck_query(db,
             "SELECT thread_id, size_bytes, alloc_ns, free_thread_id, free_ns, stack_id "
             "FROM allocations ORDER BY alloc_ns;",
             "1|8|100|2|200|\n1|16|200|||");
    ck_query(db, "SELECT count(*) FROM import_problems;", "0");
    ck_query(db, "SELECT live_blocks_at_exit, live_bytes_at_exit FROM summary;", "1|16");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("importer pairing");
    TCase *tc = tcase_create("basic");
    tcase_add_checked_fixture(tc, setup_basic, teardown);
    tcase_add_test(tc, test_pairing_blocks_exact);
    tcase_add_test(tc, test_pairing_lone_frees_and_failures);
    tcase_add_test(tc, test_pairing_summary_exact);
    tcase_add_test(tc, test_pairing_threads_exact);
    tcase_add_test(tc, test_pairing_stacks_shared);
    tcase_add_test(tc, test_pairing_schema_identity);
    suite_add_tcase(s, tc);
    TCase *reuse = tcase_create("reuse");
    tcase_add_checked_fixture(reuse, NULL, teardown);
    tcase_add_test(reuse, test_pairing_reuse_equal_time);
    suite_add_tcase(s, reuse);
    return it_run_suite(s);
}
