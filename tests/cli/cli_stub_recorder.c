/* cli_stub_recorder.c: a stand-in for libmtrec.so in the CLI tests.
 *
 * Preloaded by `mtdb record` through MTDB_LIBRARY, it writes one process file per process
 * image, named as the recorder names them, holding the MTDB_* settings and LD_PRELOAD it
 * saw, one NAME=value line each. With MTDB_STUB_SILENT set it writes nothing (a program
 * the recorder never reached). Never records a heap event.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "mtdb_settings.h"

static void write_variable(FILE *f, const char *name)
{
    const char *value = getenv(name);
    if (value)
        fprintf(f, "%s=%s\n", name, value);
}

__attribute__((constructor)) static void stub_start(void)
{
    const char *dir = getenv("MTDB_OUTPUT");
    if (!dir || getenv("MTDB_STUB_SILENT"))
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    unsigned long long nonce = (unsigned long long)ts.tv_sec * 1000000000ull + ts.tv_nsec;
    char path[4096];
    snprintf(path, sizeof path, "%s/mtdb-%d-%016llx.proc", dir, (int)getpid(), nonce);
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    for (int i = 0; i < MTDB_SET_COUNT; i++)
        write_variable(f, mtdb_setting_descs[i].env);
    write_variable(f, "LD_PRELOAD");
    fclose(f);
}
