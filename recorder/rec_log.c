/* rec_log.c: the recorder's voice on stderr, allocation-free.
 *
 * Messages are assembled in a stack buffer and written with one write(2), so lines from
 * several threads do not interleave. Warnings print once per process; debug lines only
 * at MTDB_LOG=debug. Never stdio, never malloc.
 */
#include <unistd.h>

#include "rec_internal.h"

static void log_write(const char *a, const char *b, const char *c, const uint64_t *num)
{
    char line[512];
    size_t n = rec_strlcpy(line, "mtdb: ", sizeof line);
    const char *parts[3] = {a, b, c};
    for (int i = 0; i < 3; i++) {
        if (parts[i])
            n += rec_strlcpy(line + n, parts[i], sizeof line - n - 24);
        if (i == 0 && num)
            n += rec_fmt_u64(line + n, *num);
    }
    line[n++] = '\n';
    rec_write_all(2, line, n);
}

void rec_log(int level, const char *a, const char *b, const char *c)
{
    if (rec_proc.settings.log_level >= level)
        log_write(a, b, c, NULL);
}

void rec_log_num(int level, const char *a, uint64_t n, const char *b)
{
    if (rec_proc.settings.log_level >= level)
        log_write(a, b, NULL, &n);
}

void rec_warn(const char *a, const char *b)
{
    log_write("warning: ", a, b, NULL);
}

void rec_error(const char *a, const char *b)
{
    log_write("error: ", a, b, NULL);
}
