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
    ck_assert_int_eq(it_import(dir, db, 0), 0);
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
    ck_query(db, "SELECT process_id, thread_id, ts_ns, state, text FROM thread_states;",
             "2|2|5000|exec|/bin/next");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("importer links");
    TCase *tc = tcase_create("links");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_links_started_by);
    tcase_add_test(tc, test_links_counters_and_states);
    suite_add_tcase(s, tc);
    return it_run_suite(s);
}
