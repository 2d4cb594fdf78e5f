/* fuzz_seeds.c: writes the reader fuzzer's seed corpus into a directory.
 *
 * Valid images from the format tests' builder (sealed, open tail, process file, one
 * small block) and a few cut and damaged copies, so the fuzzer starts past the header
 * checks; the sample also packed (trace_pack.h, pieces of 4 KiB), whole and damaged. Must
 * write only inside the directory it is given.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_build.h"
#include "trace_pack.h"

static int fs_write(const char *dir, const char *name, const uint8_t *buf, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t n = fwrite(buf, 1, len, f);
    return fclose(f) == 0 && n == len ? 0 : -1;
}

static void fs_small(tb_t *t)
{
    tb_init(t, MTDB_FILE_KIND_STREAM, 4096, 4096);
    tb_begin(t, 1, MTDB_BLOCK_THREAD_FIRST, 100, 0);
    tb_thread(t, 7, 90, MTDB_THREAD_MAIN);
    static const uintptr_t frames[] = {0x401000, 0x401200};
    tb_stack(t, frames, 2);
    tb_alloc(t, MTDB_FUNC_MALLOC, 101, 0x1000, 8, 1, 1);
    tb_free_rec(t, MTDB_FREE_FUNC_FREE, 102, 0x1000, 1, 1);
    tb_seal(t, 0);
    tb_begin(t, 1, 0, 200, 0);
    tb_realloc(t, MTDB_FUNC_REALLOC, 201, 0x2000, 205, 0x3000, 64, 1, 2);
    tb_leave_open(t);
}

static void fs_process(tb_t *t)
{
    tb_init(t, MTDB_FILE_KIND_PROCESS, 4096, 4096);
    tb_begin(t, 0, MTDB_BLOCK_THREAD_FIRST, 10, 0);
    tb_process(t);
    tb_modules(t, 2);
    tb_seal(t, 0);
    tb_begin(t, 0, 0, 50, 0);
    tb_exit(t, MTDB_EXIT_ATEXIT, 60, 0);
    tb_seal(t, 0);
}

/* The packed form of buf, written as name (and a copy with one piece's frame damaged). */
static int fs_packed(const char *dir, const char *name, const uint8_t *buf, size_t len)
{
    char path[4096], damaged[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    mtdb_pack_stats_t st;
    if (fs_write(dir, name, buf, len) != 0 || mtdb_pack_file(path, MTDB_PACK_CODEC_SPLIT, 1, 4096, &st, NULL, 0) != 0)
        return -1;
    FILE *f = fopen(path, "rb");
    uint8_t *img = malloc(st.packed_bytes);
    size_t n = f && img ? fread(img, 1, st.packed_bytes, f) : 0;
    if (f)
        fclose(f);
    int rc = n == st.packed_bytes && n > MTDB_PACK_HEADER_BYTES + 40 ? 0 : -1;
    if (rc == 0) {
        img[n - 20] ^= 0x40; /* inside the last piece's frame */
        snprintf(damaged, sizeof damaged, "%s-damaged", name);
        rc = fs_write(dir, damaged, img, n);
    }
    free(img);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_seeds DIR\n");
        return 2;
    }
    static tb_t t;
    int rc = 0;
    tb_build_sample(&t, 0);
    rc |= fs_write(argv[1], "sample-sealed", t.buf, t.size);
    rc |= fs_packed(argv[1], "sample-packed", t.buf, t.size);
    rc |= fs_write(argv[1], "sample-cut", t.buf, t.blocks[4].payload_end - 9);
    t.buf[t.blocks[2].offset + 60] ^= 4;
    rc |= fs_write(argv[1], "sample-flipped", t.buf, t.size);
    tb_free(&t);
    tb_build_sample(&t, 1);
    rc |= fs_write(argv[1], "sample-open", t.buf, t.size);
    tb_free(&t);
    fs_small(&t);
    rc |= fs_write(argv[1], "small", t.buf, t.blocks[1].payload_end + 8);
    tb_free(&t);
    fs_process(&t);
    rc |= fs_write(argv[1], "process", t.buf, t.blocks[1].payload_end + 8);
    tb_free(&t);
    return rc ? 1 : 0;
}
