/* test_reader_roundtrip.c: what trace_writer.h writes, the reader returns exactly.
 *
 * Images with every record type, several threads, a thread takeover, PAD blocks, growing
 * chunks and an open last block are read back from memory and from a file, and every
 * field is compared with what was written. No damage here: see test_reader_damage.c.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tst_scratch.h"
#include "trace_build.h"

static tb_t img;

static mtdb_reader_t *open_img(const tb_t *t)
{
    mtdb_reader_t *r = NULL;
    char msg[256] = "";
    int rc = mtdb_reader_open_mem(t->buf, t->size, "img.trace", &r, msg, sizeof msg);
    ck_assert_msg(rc == 0, "open failed: %d %s", rc, msg);
    return r;
}

/* Reads the next record and checks it is the written record number i. */
static void expect_rec(mtdb_reader_t *r, const tb_t *t, size_t i, mtdb_record_t *rec)
{
    ck_assert_int_eq(mtdb_reader_next(r, rec), 1);
    ck_assert_uint_eq(rec->offset, t->recs[i].offset);
    ck_assert_msg(tb_same(&t->recs[i], rec), "record %zu (type %u at %llu) differs", i,
                  t->recs[i].type, (unsigned long long)t->recs[i].offset);
}

START_TEST(test_reader_sample_reads_every_record_exactly)
{
    tb_build_sample(&img, 0);
    mtdb_reader_t *r = open_img(&img);
    mtdb_record_t rec;
    for (size_t i = 0; i < img.nrec; i++) {
        expect_rec(r, &img, i, &rec);
        if (img.recs[i].type == MTDB_REC_STACK)
            ck_assert_uint_eq(rec.stack_id, img.recs[i].stack_id);
        ck_assert_int_eq(rec.stack_ids_uncertain, 0);
    }
    ck_assert_int_eq(mtdb_reader_next(r, &rec), 0);
    ck_assert_int_eq(mtdb_reader_next(r, &rec), 0);
    const mtdb_read_stats_t *s = mtdb_reader_stats(r);
    ck_assert_uint_eq(s->records, img.nrec);
    ck_assert_uint_eq(s->heap_events, img.events);
    ck_assert_uint_eq(s->blocks, img.nblock + 2); /* + 2 PAD blocks */
    ck_assert_uint_eq(s->sealed_blocks, img.nblock + 2);
    ck_assert_uint_eq(s->open_blocks, 0);
    ck_assert_uint_eq(s->bad_blocks + s->bytes_skipped + s->events_lost + s->diagnostics, 0);
    ck_assert_int_eq(s->clean_end, 1);
    mtdb_reader_close(r);
    tb_free(&img);
}
END_TEST

START_TEST(test_reader_sample_file_header_info)
{
    tb_build_sample(&img, 0);
    mtdb_reader_t *r = open_img(&img);
    const mtdb_file_info_t *fi = mtdb_reader_info(r);
    ck_assert_uint_eq(fi->kind, MTDB_FILE_KIND_STREAM);
    ck_assert_uint_eq(fi->major, MTDB_FORMAT_MAJOR);
    ck_assert_uint_eq(fi->minor, MTDB_FORMAT_MINOR);
    ck_assert_uint_eq(fi->pid, 4242);
    ck_assert_uint_eq(fi->nonce, 0x1122334455667788ull);
    ck_assert_uint_eq(fi->stream, 1);
    ck_assert_uint_eq(fi->chunk_first, 4096);
    ck_assert_uint_eq(fi->chunk_largest, 8192);
    ck_assert_uint_eq(fi->created_ns, 123456789);
    ck_assert_uint_eq(fi->file_bytes, 4096 + 8192 + 8192);
    ck_assert_uint_eq(img.size, 4096 + 8192 + 8192);
    mtdb_reader_close(r);
    tb_free(&img);
}
END_TEST

START_TEST(test_reader_open_last_block_decoded_to_payload_bytes)
{
    tb_build_sample(&img, 1);
    mtdb_reader_t *r = open_img(&img);
    mtdb_record_t rec;
    for (size_t i = 0; i < img.nrec; i++)
        expect_rec(r, &img, i, &rec);
    ck_assert_uint_eq(rec.block_flags & MTDB_BLOCK_SEALED, 0);
    ck_assert_uint_eq(rec.seq, img.recs[img.nrec - 1].seq);
    ck_assert_int_eq(mtdb_reader_next(r, &rec), 0);
    const mtdb_read_stats_t *s = mtdb_reader_stats(r);
    ck_assert_uint_eq(s->open_blocks, 1);
    ck_assert_uint_eq(s->heap_events, img.events);
    ck_assert_uint_eq(s->diagnostics, 0);
    ck_assert_int_eq(s->clean_end, 1);
    mtdb_reader_close(r);
    tb_free(&img);
}
END_TEST

/* Skips records until one of the given type; returns its index in img.recs. */
static size_t next_of_type(mtdb_reader_t *r, uint8_t type, mtdb_record_t *rec)
{
    while (mtdb_reader_next(r, rec) == 1)
        if (rec->type == type)
            return (size_t)(tb_find(&img, rec->offset) - img.recs);
    ck_abort_msg("no record of type %u", type);
    return 0;
}

START_TEST(test_reader_process_record_fields)
{
    tb_build_sample(&img, 0);
    mtdb_reader_t *r = open_img(&img);
    mtdb_record_t rec;
    next_of_type(r, MTDB_REC_PROCESS, &rec);
    const mtdb_process_info_t *p = rec.process;
    ck_assert_uint_eq(rec.thread, 0);
    ck_assert_uint_eq(p->pid, 4242);
    ck_assert_uint_eq(p->ppid, 1);
    ck_assert_uint_eq(p->parent_nonce, 7);
    ck_assert_uint_eq(p->mono_ns, 1000);
    ck_assert_uint_eq(p->wall_ns, 1700000000123456789ull);
    ck_assert_uint_eq(p->clock_cost_ns, 25);
    ck_assert_uint_eq(p->argc, 3);
    ck_assert_str_eq(p->argv[0], "prog");
    ck_assert_str_eq(p->argv[1], "-x");
    ck_assert_str_eq(p->argv[2], "input file");
    ck_assert_ptr_null(p->argv[3]);
    ck_assert_str_eq(p->exe, "/usr/bin/prog");
    ck_assert_str_eq(p->recorder_version, "0.1.0");
    ck_assert_str_eq(p->unwinder, "libunwind 1.6.2");
    ck_assert_str_eq(p->settings, "MTDB_DEPTH=64\nMTDB_PRESET=precise\n");
    mtdb_reader_close(r);
    tb_free(&img);
}
END_TEST

START_TEST(test_reader_modules_record_fields)
{
    tb_build_sample(&img, 0);
    mtdb_reader_t *r = open_img(&img);
    mtdb_record_t rec;
    next_of_type(r, MTDB_REC_MODULES, &rec);
    ck_assert_uint_eq(rec.module_count, 3);
    for (unsigned i = 0; i < 3; i++) {
        const mtdb_module_t *m = &rec.modules[i];
        char path[32];
        snprintf(path, sizeof path, "/lib/mod%u.so", i);
        ck_assert_uint_eq(m->base, 0x400000u + i * 0x100000u);
        ck_assert_uint_eq(m->text_size, 0x1000u * (i + 1));
        ck_assert_uint_eq(m->path_len, strlen(path));
        ck_assert_int_eq(memcmp(m->path, path, m->path_len), 0);
        ck_assert_uint_eq(m->build_id_len, 4);
        ck_assert_uint_eq(m->build_id[0], i);
        ck_assert_uint_eq(m->build_id[3], 3);
    }
    mtdb_reader_close(r);
    tb_free(&img);
}
END_TEST

/* The recorder learns the module count after writing the entries: a head whose count is
 * filled in afterwards keeps its 5 bytes and reads back like any other. */
START_TEST(test_reader_modules_count_filled_in_afterwards)
{
    const uint32_t counts[] = {0, 2, 300, UINT32_MAX};
    const uint8_t wide[][5] = {{0x80, 0x80, 0x80, 0x80, 0x00},
                               {0x82, 0x80, 0x80, 0x80, 0x00},
                               {0xAC, 0x82, 0x80, 0x80, 0x00},
                               {0xFF, 0xFF, 0xFF, 0xFF, 0x0F}};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        uint8_t buf[6], *count_at = NULL;
        ck_assert_ptr_eq(mtdb_enc_modules_head_open(buf, &count_at), buf + 6);
        ck_assert_ptr_eq(count_at, buf + 1);
        mtdb_modules_set_count(count_at, counts[i]);
        ck_assert_uint_eq(buf[0], 0x09); /* MODULES, sub 0 */
        ck_assert_int_eq(memcmp(buf + 1, wide[i], 5), 0);
    }

    uint8_t rec_bytes[128], *count_at;
    uint8_t *p = mtdb_enc_modules_head_open(rec_bytes, &count_at);
    const uint8_t id[] = {0xDE, 0xAD};
    p = mtdb_enc_module(p, 0x7f0000000000u, 0x2345, "/usr/lib/liba.so", 16, id, sizeof id);
    p = mtdb_enc_module(p, 0x400000, 0x1000, "/bin/prog", 9, NULL, 0);
    mtdb_modules_set_count(count_at, 2);
    tb_init(&img, MTDB_FILE_KIND_STREAM, 4096, 4096);
    tb_begin(&img, 1, MTDB_BLOCK_THREAD_FIRST, 0, 0);
    tb_raw(&img, rec_bytes, (size_t)(p - rec_bytes), 0);
    tb_seal(&img, 0);
    mtdb_reader_t *r = open_img(&img);
    mtdb_record_t rec;
    next_of_type(r, MTDB_REC_MODULES, &rec);
    ck_assert_uint_eq(rec.module_count, 2);
    ck_assert_uint_eq(rec.modules[0].base, 0x7f0000000000u);
    ck_assert_uint_eq(rec.modules[0].text_size, 0x2345);
    ck_assert_uint_eq(rec.modules[0].path_len, 16);
    ck_assert_int_eq(memcmp(rec.modules[0].path, "/usr/lib/liba.so", 16), 0);
    ck_assert_uint_eq(rec.modules[0].build_id_len, 2);
    ck_assert_int_eq(memcmp(rec.modules[0].build_id, id, 2), 0);
    ck_assert_uint_eq(rec.modules[1].base, 0x400000);
    ck_assert_uint_eq(rec.modules[1].text_size, 0x1000);
    ck_assert_uint_eq(rec.modules[1].path_len, 9);
    ck_assert_uint_eq(rec.modules[1].build_id_len, 0);
    ck_assert_int_eq(mtdb_reader_next(r, &rec), 0);
    const mtdb_read_stats_t *s = mtdb_reader_stats(r);
    ck_assert_uint_eq(s->records, 1); /* the record's bytes were all its own */
    ck_assert_uint_eq(s->bad_blocks + s->bytes_skipped + s->diagnostics, 0);
    mtdb_reader_close(r);
    tb_free(&img);
}
END_TEST

START_TEST(test_reader_heap_event_values)
{
    tb_build_sample(&img, 0);
    mtdb_reader_t *r = open_img(&img);
    mtdb_record_t rec;
    next_of_type(r, MTDB_REC_ALLOC, &rec);
    ck_assert_uint_eq(rec.sub, MTDB_FUNC_MALLOC);
    ck_assert_uint_eq(rec.thread, 1);
    ck_assert_uint_eq(rec.seq, 0);
    ck_assert_uint_eq(rec.ts_ns, 1010);
    ck_assert_uint_eq(rec.addr, 0x10000);
    ck_assert_uint_eq(rec.size, 16);
    ck_assert_uint_eq(rec.stack_id, 1);
    ck_assert_uint_eq(rec.weight, 1);
    next_of_type(r, MTDB_REC_ALLOC, &rec);
    ck_assert_uint_eq(rec.sub, MTDB_FUNC_CALLOC);
    ck_assert_uint_eq(rec.seq, 1);
    ck_assert_uint_eq(rec.ts_ns, 1005);
    ck_assert_uint_eq(rec.weight, 3);
    next_of_type(r, MTDB_REC_FREE, &rec);
    ck_assert_uint_eq(rec.seq, 2);
    ck_assert_uint_eq(rec.addr, 0x10000);
    ck_assert_int_eq(rec.has_stack, 0);
    next_of_type(r, MTDB_REC_REALLOC, &rec);
    ck_assert_uint_eq(rec.ts_ns, 1030);
    ck_assert_uint_eq(rec.ts2_ns, 1045);
    ck_assert_uint_eq(rec.old_addr, 0x20000);
    ck_assert_uint_eq(rec.addr, 0x8000);
    ck_assert_uint_eq(rec.size, 8192);
    next_of_type(r, MTDB_REC_FAIL, &rec);
    ck_assert_uint_eq(rec.ts_ns, 1050); /* the delta counts from the realloc's "after" time */
    ck_assert_uint_eq(rec.size, 1ull << 40);
    ck_assert_uint_eq(rec.seq, 4);
    next_of_type(r, MTDB_REC_FREE, &rec);
    ck_assert_uint_eq(rec.sub, MTDB_FREE_FUNC_REALLOC | MTDB_SUB_FREE_STACK);
    ck_assert_int_eq(rec.has_stack, 1);
    ck_assert_uint_eq(rec.stack_id, 2);
    mtdb_reader_close(r);
    tb_free(&img);
}
END_TEST

/* STACK records that share outer frames with the block's previous one come back whole,
 * own frames inner, shared ones outer, ids in order; a new block starts over. */
START_TEST(test_reader_shared_stacks_rebuilt_exactly)
{
    static const uintptr_t a[] = {0x401010, 0x401020, 0x7f0000001000, 0x401300, 0x401400};
    static const uintptr_t b[] = {0x402000, 0x401999, 0x401888, 0x7f0000001000, 0x401300, 0x401400};
    static const uintptr_t c[] = {0x401888, 0x7f0000001000, 0x401300, 0x401400};
    static const uintptr_t d[] = {0x403000, 0x403001, 0x403002, 0x403003,
                                  0x403004, 0x401300, 0x401400};
    static const uintptr_t e[] = {0x405000, 0x405001, 0x401300, 0x401400};
    tb_init(&img, MTDB_FILE_KIND_STREAM, 4096, 4096);
    tb_begin(&img, 1, MTDB_BLOCK_THREAD_FIRST, 100, 0);
    tb_stack(&img, a, 5);
    tb_stack_shared(&img, b, 6, 3);
    tb_stack_shared(&img, c, 4, 4); /* all of it: the outer 4 of b */
    tb_stack_shared(&img, d, 7, 2);
    tb_alloc(&img, MTDB_FUNC_MALLOC, 101, 0x1000, 8, 4, 1);
    tb_seal(&img, 0);
    tb_begin(&img, 1, 0, 200, 0);
    tb_stack(&img, e, 4);
    tb_stack_shared(&img, a, 5, 2);
    tb_seal(&img, 0);
    mtdb_reader_t *r = open_img(&img);
    mtdb_record_t rec;
    for (size_t i = 0; i < img.nrec; i++) {
        expect_rec(r, &img, i, &rec);
        if (rec.type == MTDB_REC_STACK) {
            ck_assert_uint_eq(rec.stack_id, img.recs[i].stack_id);
            ck_assert_uint_eq(rec.depth, img.recs[i].depth);
        }
    }
    ck_assert_int_eq(mtdb_reader_next(r, &rec), 0);
    const mtdb_read_stats_t *s = mtdb_reader_stats(r);
    ck_assert_uint_eq(s->records, 7);
    ck_assert_uint_eq(s->bad_blocks + s->bytes_skipped + s->events_lost + s->diagnostics, 0);
    mtdb_reader_close(r);
    tb_free(&img);
}
END_TEST

START_TEST(test_reader_stack_ids_restart_for_taken_over_thread)
{
    tb_build_sample(&img, 0);
    mtdb_reader_t *r = open_img(&img);
    mtdb_record_t rec;
    uint64_t ids[8] = {0};
    uint32_t threads[8] = {0};
    size_t n = 0;
    while (mtdb_reader_next(r, &rec) == 1)
        if (rec.type == MTDB_REC_STACK && n < 8)
            ids[n] = rec.stack_id, threads[n++] = rec.thread;
    ck_assert_uint_eq(n, 5);
    ck_assert(threads[0] == 1 && ids[0] == 1);
    ck_assert(threads[1] == 1 && ids[1] == 2);
    ck_assert(threads[2] == 2 && ids[2] == 1);
    ck_assert(threads[3] == 1 && ids[3] == 3);
    ck_assert(threads[4] == 3 && ids[4] == 1);
    mtdb_reader_close(r);
    tb_free(&img);
}
END_TEST

START_TEST(test_reader_reads_from_a_file)
{
    tb_build_sample(&img, 1);
    char path[4096];
    ck_assert_int_eq(tst_scratch_file(path, sizeof path, "fmt", img.buf, img.size), 0);
    mtdb_reader_t *r = NULL;
    ck_assert_int_eq(mtdb_reader_open(path, &r, NULL, 0), 0);
    mtdb_record_t rec;
    size_t n = 0;
    while (mtdb_reader_next(r, &rec) == 1)
        ck_assert(tb_same(&img.recs[n++], &rec));
    ck_assert_uint_eq(n, img.nrec);
    ck_assert_uint_eq(mtdb_reader_info(r)->file_bytes, img.size);
    mtdb_reader_close(r);
    unlink(path);
    tb_free(&img);
}
END_TEST

/* A block that ends fewer than 48 bytes before its chunk's end leaves no room for a PAD:
 * the reader moves to the next chunk. */
START_TEST(test_reader_chunk_tail_without_pad)
{
    tb_init(&img, MTDB_FILE_KIND_STREAM, 4096, 4096);
    tb_begin(&img, 1, MTDB_BLOCK_THREAD_FIRST, 10, 0);
    uint8_t name[4096 - 64 - 48 - 24];
    memset(name, 'a', sizeof name);
    name[sizeof name - 1] = 0;
    tb_name(&img, (const char *)name); /* 1 + 2 + len bytes */
    tb_seal(&img, 0);
    ck_assert_uint_lt(4096 - img.pos, 48);
    ck_assert_uint_gt(4096 - img.pos, 0);
    tb_pad(&img); /* too little room: no PAD block, only the next chunk */
    tb_begin(&img, 1, 0, 20, 0);
    tb_alloc(&img, MTDB_FUNC_MALLOC, 21, 0x1000, 1, 0, 1);
    tb_seal(&img, 0);
    tb_read_t res;
    tb_read_image(&img, img.buf, img.size, &res);
    ck_assert_uint_eq(res.records, 2);
    ck_assert_uint_eq(res.mismatches + res.unknown + res.diags, 0);
    ck_assert_int_eq(res.stats.clean_end, 1);
    tb_free(&img);
}
END_TEST

START_TEST(test_reader_process_file_kind)
{
    tb_init(&img, MTDB_FILE_KIND_PROCESS, 4096, 4096);
    tb_begin(&img, 0, MTDB_BLOCK_THREAD_FIRST, 10, 0);
    tb_process(&img);
    tb_modules(&img, 2);
    tb_seal(&img, 0);
    tb_begin(&img, 0, 0, 99, 0);
    tb_exit(&img, MTDB_EXIT_EXIT_CALL, 100, 255);
    tb_seal(&img, 0);
    tb_read_t res;
    tb_read_image(&img, img.buf, img.size, &res);
    ck_assert_int_eq(res.open_rc, 0);
    ck_assert_uint_eq(res.records, 3);
    ck_assert_uint_eq(res.mismatches + res.unknown + res.diags, 0);
    tb_free(&img);
}
END_TEST

static Suite *roundtrip_suite(void)
{
    Suite *s = suite_create("reader_roundtrip");
    TCase *tc = tcase_create("roundtrip");
    tcase_add_test(tc, test_reader_sample_reads_every_record_exactly);
    tcase_add_test(tc, test_reader_sample_file_header_info);
    tcase_add_test(tc, test_reader_open_last_block_decoded_to_payload_bytes);
    tcase_add_test(tc, test_reader_process_record_fields);
    tcase_add_test(tc, test_reader_modules_record_fields);
    tcase_add_test(tc, test_reader_modules_count_filled_in_afterwards);
    tcase_add_test(tc, test_reader_heap_event_values);
    tcase_add_test(tc, test_reader_stack_ids_restart_for_taken_over_thread);
    tcase_add_test(tc, test_reader_shared_stacks_rebuilt_exactly);
    tcase_add_test(tc, test_reader_reads_from_a_file);
    tcase_add_test(tc, test_reader_chunk_tail_without_pad);
    tcase_add_test(tc, test_reader_process_file_kind);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(roundtrip_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
