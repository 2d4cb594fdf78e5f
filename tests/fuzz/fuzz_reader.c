/* fuzz_reader.c: libFuzzer harness: any bytes as a trace file, read to the end.
 *
 * Opens the input with the reader's in-memory open, decodes every record and touches
 * every byte a record points to, so the sanitizers see any read out of bounds. Traps
 * when the reader's totals disagree with what it returned. Must never write to the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "trace_reader.h"

static uint64_t fz_sink;

static void fz_touch(const void *p, size_t len)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < len; i++)
        fz_sink += b[i];
}

static void fz_touch_process(const mtdb_process_info_t *p)
{
    for (uint32_t i = 0; i < p->argc; i++)
        fz_touch(p->argv[i], strlen(p->argv[i]));
    fz_touch(p->exe, strlen(p->exe));
    fz_touch(p->recorder_version, strlen(p->recorder_version));
    fz_touch(p->unwinder, strlen(p->unwinder));
    fz_touch(p->settings, strlen(p->settings));
}

static void fz_touch_record(const mtdb_record_t *rec)
{
    if (rec->frames)
        fz_touch(rec->frames, rec->depth * sizeof *rec->frames);
    if (rec->str)
        fz_touch(rec->str, rec->str_len);
    for (uint32_t i = 0; i < rec->module_count; i++) {
        fz_touch(rec->modules[i].path, rec->modules[i].path_len);
        fz_touch(rec->modules[i].build_id, rec->modules[i].build_id_len);
    }
    if (rec->process)
        fz_touch_process(rec->process);
}

static void fz_on_diag(void *ctx, const mtdb_diag_t *d)
{
    (void)ctx;
    fz_touch(d->message, strlen(d->message));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mtdb_reader_t *r;
    char msg[256];
    if (mtdb_reader_open_mem(data, size, "fuzz.trace", &r, msg, sizeof msg) != 0)
        return 0;
    mtdb_reader_set_diag(r, fz_on_diag, NULL);
    mtdb_record_t rec;
    uint64_t records = 0;
    while (mtdb_reader_next(r, &rec) == 1) {
        fz_touch_record(&rec);
        records++;
    }
    if (mtdb_reader_stats(r)->records != records)
        __builtin_trap();
    mtdb_reader_close(r);
    return 0;
}
