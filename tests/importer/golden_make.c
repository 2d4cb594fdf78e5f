/* golden_make.c: writes the golden trace of the current format version: golden/v2/basic/
 * (format 2.0: the v1 trace plus a STACK record in the shared form and a block that uses
 * it); its format 1 version, without those two records, wrote golden/v1/basic/. Run once
 * when a version's golden set is made; the files it wrote are kept in the repository
 * forever and must keep importing to their expected.out. Never regenerate them to make a
 * failing test pass.
 */
#include <stdio.h>

#include "synth.h"

static const uintptr_t frames_main[] = {0x401136, 0x401200, 0x7f0000012345};
static const uintptr_t frames_worker[] = {0x401180, 0x401300};
/* two frames of its own under the outer two of frames_main */
static const uintptr_t frames_deep[] = {0x401150, 0x401160, 0x401200, 0x7f0000012345};

static void golden_main_thread(const char *dir)
{
    char path[512];
    synth_path(path, sizeof path, dir, 1000, 0x1111222233334444ULL, 1);
    synth_t *s = synth_open(path, MTDB_FILE_KIND_STREAM, 1000, 0x1111222233334444ULL, 1, 5000);
    synth_block_begin(s, 1, MTDB_BLOCK_THREAD_FIRST, 5000);
    synth_thread(s, 1000, 5000, MTDB_THREAD_MAIN);
    synth_name(s, "main");
    synth_stack(s, frames_main, 3);
    synth_stack_shared(s, frames_deep, 4, 2);
    synth_mark(s, MTDB_MARK_PHASE_BEGIN, 5010, "load");
    synth_alloc(s, MTDB_FUNC_MALLOC, 5050, 0x55540000, 48, 2, 1);
    synth_alloc(s, MTDB_FUNC_MALLOC, 5100, 0x55550000, 64, 1, 1);
    synth_alloc(s, MTDB_FUNC_CALLOC, 5200, 0x55550100, 128, 1, 1);
    synth_alloc(s, MTDB_FUNC_POSIX_MEMALIGN, 5300, 0x55551000, 4096, 1, 3);
    synth_realloc(s, MTDB_FUNC_REALLOC, 5400, 0x55550100, 5410, 0x55560000, 1024, 1);
    synth_block_end(s, 1, 0);
    synth_block_begin(s, 1, 0, 6000);
    synth_free(s, MTDB_FREE_FUNC_FREE, 6000, 0x55550000);
    synth_fail(s, MTDB_FUNC_MALLOC, 6100, 1ULL << 45);
    synth_free(s, MTDB_FREE_FUNC_FREE, 6200, 0x77770000);
    synth_mark(s, MTDB_MARK_PHASE_END, 6300, "load");
    synth_state(s, MTDB_STATE_PAUSED, 6400, NULL, 0);
    synth_state(s, MTDB_STATE_RESUMED, 6500, NULL, 0);
    uint64_t counters[MTDB_COUNTER_COUNT] = {9, 512, 0, 0, 0, 2};
    synth_counters(s, counters);
    synth_block_end(s, 1, MTDB_BLOCK_THREAD_LAST);
    synth_close(s);
}

static void golden_worker_thread(const char *dir)
{
    char path[512];
    synth_path(path, sizeof path, dir, 1000, 0x1111222233334444ULL, 2);
    synth_t *s = synth_open(path, MTDB_FILE_KIND_STREAM, 1000, 0x1111222233334444ULL, 2, 5050);
    synth_block_begin(s, 2, MTDB_BLOCK_THREAD_FIRST, 5050);
    synth_thread(s, 1001, 5050, 0);
    synth_name(s, "worker");
    synth_stack(s, frames_worker, 2);
    synth_stack(s, frames_main, 3);
    synth_free(s, MTDB_FREE_FUNC_FREE, 5500, 0x55560000);
    synth_alloc(s, MTDB_FUNC_MALLOC, 6000, 0x55550000, 32, 2, 1);
    synth_free(s, MTDB_FREE_FUNC_FREE, 6600, 0x55560000);
    synth_alloc(s, MTDB_FUNC_ALIGNED_ALLOC, 6700, 0x55570000, 256, 1, 1);
    synth_block_end(s, 1, MTDB_BLOCK_THREAD_LAST);
    synth_close(s);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: golden_make DIR\n");
        return 2;
    }
    synth_proc_file(argv[1], 1000, 0x1111222233334444ULL, 1, 0, 5000, 7000);
    golden_main_thread(argv[1]);
    golden_worker_thread(argv[1]);
    return 0;
}
