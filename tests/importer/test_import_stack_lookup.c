/* test_import_stack_lookup.c: the importer's lookup of stack tree nodes, on synthetic
 * traces whose stacks are known frame by frame.
 *
 * Thread 1 defines STACKS stacks of DEPTH frames: a trunk of TRUNK frames every stack
 * shares, then frames of its own. Each stack after the first therefore adds a chain of
 * DEPTH - TRUNK nodes under an existing one (longer than the 16 levels whose lookups
 * are started together), and the nodes outnumber what the lookup first has room for, so
 * it grows while they are added. Thread 2 defines the same stacks again in the reverse
 * order, without the shared form: each must be found, level by level from the root, as
 * the stack thread 1 made, and add no node. Its last stack is one of them with one more
 * inner frame: one node and one stack more.
 */
#include <stdlib.h>
#include <string.h>

#include "itest.h"
#include "synth.h"

#define STACKS 300
#define DEPTH 40
#define TRUNK 20

/* Stack k's frames, innermost first. */
static void stack_frames(unsigned k, uintptr_t *frames)
{
    for (unsigned level = 0; level < DEPTH; level++) {
        uintptr_t at =
            level < TRUNK ? 0x100000 + level * 16 : 0x200000 + (uintptr_t)k * 0x1000 + level * 16;
        frames[DEPTH - 1 - level] = at;
    }
}

/* One thread's stream: its stacks in order (each stack k's block is k + 1 bytes), and
 * for thread 2 the extra stack (7 bytes' stack with one more frame, a block of 5000). */
static void write_thread(const char *dir, unsigned stream, uint64_t tid, uint64_t t0)
{
    char path[512];
    synth_path(path, sizeof path, dir, 300, 0xC3, (int)stream);
    synth_t *s = synth_open(path, MTDB_FILE_KIND_STREAM, 300, 0xC3, stream, t0);
    synth_block_begin(s, stream, MTDB_BLOCK_THREAD_FIRST, t0);
    synth_thread(s, tid, t0, stream == 1 ? MTDB_THREAD_MAIN : 0);
    uintptr_t frames[DEPTH + 1];
    for (unsigned i = 0; i < STACKS; i++) {
        unsigned k = stream == 1 ? i : STACKS - 1 - i;
        stack_frames(k, frames);
        synth_stack(s, frames, DEPTH);
        synth_alloc(s, MTDB_FUNC_MALLOC, t0 + 10 + i, 0x10000000 * stream + 0x100 * i, k + 1, i + 1,
                    1);
    }
    if (stream == 2) {
        stack_frames(6, frames + 1);
        frames[0] = 0x300000;
        synth_stack(s, frames, DEPTH + 1);
        synth_alloc(s, MTDB_FUNC_MALLOC, t0 + 5000, 0x30000000, 5000, STACKS + 1, 1);
    }
    synth_block_end(s, 1, MTDB_BLOCK_THREAD_LAST);
    synth_close(s);
}

START_TEST(every_stack_found_again)
{
    char *dir = it_tmpdir();
    synth_proc_file(dir, 300, 0xC3, 1, 0, 1000, 100000);
    write_thread(dir, 1, 300, 2000);
    write_thread(dir, 2, 301, 20000);
    char *db = strdup(it_path(dir, "t.db"));
    ck_assert_int_eq(it_import(dir, db, 0), 0);
    /* trunk once, each stack's own chain once, the extra frame once */
    ck_query(db,
             "SELECT count(*), count(DISTINCT ifnull(parent_id, 0) || ',' || frame_id),"
             " sum(parent_id IS NULL) FROM stack_nodes;",
             "6021|6021|1");
    ck_query(db, "SELECT count(*), min(depth), max(depth) FROM stacks;", "301|40|41");
    /* the same frames in both threads: the same stack */
    ck_query(db,
             "SELECT count(*) FROM allocations a JOIN allocations b"
             " ON b.size_bytes = a.size_bytes AND b.thread_id > a.thread_id"
             " WHERE a.stack_id = b.stack_id;",
             "300");
    ck_query(db, "SELECT count(DISTINCT stack_id) FROM allocations WHERE size_bytes <= 300;",
             "300");
    /* the extra stack: one node under the innermost node of the stack of the 7-byte blocks */
    ck_query(db,
             "SELECT s.depth, n.parent_id = (SELECT t.node_id FROM stacks t JOIN allocations c"
             "  USING (stack_id) WHERE c.size_bytes = 7 LIMIT 1), n.frame_id NOT IN"
             "  (SELECT frame_id FROM stack_nodes WHERE node_id <> n.node_id)"
             " FROM allocations a JOIN stacks s USING (stack_id)"
             " JOIN stack_nodes n ON n.node_id = s.node_id WHERE a.size_bytes = 5000;",
             "41|1|1");
    it_rm_rf(dir);
    free(dir);
    free(db);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("import_stack_lookup");
    TCase *tc = tcase_create("lookup");
    tcase_add_test(tc, every_stack_found_again);
    suite_add_tcase(s, tc);
    return it_run_suite(s);
}
