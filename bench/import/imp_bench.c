/* imp_bench.c: the importer benchmark's tools.
 *   imp_bench gen DIR THREADS EVENTS   writes a synthetic trace (tests/importer/synth.c):
 *       threads allocate and free in global time order, 20% of frees cross threads,
 *       addresses are reused, 32 stacks of depth 12 per thread, live set ~4096/thread.
 *   imp_bench bare DB ROWS            bare insert rate: ROWS rows into an 8-column table.
 * Prints machine-readable lines "key value". Never part of the product.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench_bare_insert.h"
#include "synth.h"

#define LIVE_PER_THREAD 4096
#define STACKS 32
#define DEPTH 12

typedef struct gen_thread {
    synth_t *s;
    uint64_t live[LIVE_PER_THREAD];
    uint32_t nlive;
} gen_thread_t;

static uint64_t gen_rand(uint64_t *x)
{
    *x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
    return *x;
}

static void gen_thread_open(gen_thread_t *t, const char *dir, uint32_t n, uint64_t ts)
{
    char path[512];
    synth_path(path, sizeof path, dir, 4242, 0xBE, (int)n);
    t->s = synth_open(path, MTDB_FILE_KIND_STREAM, 4242, 0xBE, n, ts);
    synth_block_begin(t->s, n, MTDB_BLOCK_THREAD_FIRST, ts);
    synth_thread(t->s, 4242 + n, ts, n == 1 ? MTDB_THREAD_MAIN : 0);
    for (int k = 0; k < STACKS; k++) {
        uintptr_t frames[DEPTH];
        for (int d = 0; d < DEPTH; d++)
            frames[d] = 0x400000 + (uintptr_t)(k * 977 + d * 131 + (k % 4) * n) * 16;
        synth_stack(t->s, frames, DEPTH);
    }
}

/* Ends the current block when it is nearly full and opens the next. */
static void gen_room(gen_thread_t *t, uint32_t n, uint64_t ts)
{
    if (synth_block_room(t->s) > 64)
        return;
    synth_block_end(t->s, 1, 0);
    synth_block_begin(t->s, n, 0, ts);
}

static int gen(const char *dir, uint32_t nthreads, uint64_t events)
{
    mkdir(dir, 0777);
    synth_proc_file(dir, 4242, 0xBE, 1, 0, 1000, 0);
    gen_thread_t *th = calloc(nthreads, sizeof *th);
    uint64_t *pool = malloc(sizeof *pool * (LIVE_PER_THREAD * (uint64_t)nthreads + 1));
    uint64_t npool = 0, next_addr = 0x10000000, x = 88172645463325252ULL, ts = 1000;
    for (uint32_t i = 0; i < nthreads; i++)
        gen_thread_open(&th[i], dir, i + 1, ts);
    uint64_t written = 0;
    for (uint64_t e = 0; written < events; e++) {
        uint32_t n = (uint32_t)(e % nthreads);
        gen_thread_t *t = &th[n];
        ts += 1 + gen_rand(&x) % 3;
        gen_room(t, n + 1, ts);
        uint64_t r = gen_rand(&x);
        gen_thread_t *victim = r % 5 == 0 ? &th[(n + 1) % nthreads] : t;
        if (victim->nlive && (victim->nlive == LIVE_PER_THREAD || r % 2)) {
            uint32_t k = (uint32_t)((r >> 8) % victim->nlive);
            uint64_t addr = victim->live[k];
            victim->live[k] = victim->live[--victim->nlive];
            synth_free(t->s, MTDB_FREE_FUNC_FREE, ts, addr);
            pool[npool++] = addr;
            written++;
        } else if (t->nlive < LIVE_PER_THREAD) {
            uint64_t addr = npool ? pool[--npool] : (next_addr += 64);
            t->live[t->nlive++] = addr;
            synth_alloc(t->s, MTDB_FUNC_MALLOC, ts, addr, 16 + (r >> 20) % 48,
                        1 + (r >> 40) % STACKS, 1);
            written++;
        }
    }
    for (uint32_t i = 0; i < nthreads; i++) {
        synth_block_end(th[i].s, 1, MTDB_BLOCK_THREAD_LAST);
        synth_close(th[i].s);
    }
    free(pool);
    free(th);
    printf("generated_events %llu\n", (unsigned long long)written);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "gen"))
        return gen(argv[2], (uint32_t)atoi(argv[3]), strtoull(argv[4], NULL, 10));
    if (argc == 4 && !strcmp(argv[1], "bare")) {
        long rows = atol(argv[3]);
        double s = bench_bare_insert(argv[2], rows);
        if (s <= 0)
            return 1;
        printf("bare_rows %ld\nbare_seconds %.3f\nbare_rows_per_s %.0f\n", rows, s, rows / s);
        return 0;
    }
    fprintf(stderr, "usage: imp_bench gen DIR THREADS EVENTS | imp_bench bare DB ROWS\n");
    return 2;
}
