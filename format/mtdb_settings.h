/* mtdb_settings.h: the recorder's settings, one table for the recorder and the CLI.
 *
 * Each setting is an environment variable MTDB_<NAME> read by libmtrec.so at start-up
 * and an option --<option> of `mtdb record`, mapped 1:1. Integer settings carry their
 * valid range; choice settings list their words. Both sides validate with
 * mtdb_setting_parse() so they cannot disagree. Allocation-free: the recorder calls it
 * before it can allocate.
 */
#ifndef MTDB_SETTINGS_H
#define MTDB_SETTINGS_H

#include <stdint.h>

#include "mtdb_format.h" /* MTDB_DEFAULT_DIR */

/* X(ID, env suffix, option, kind, min, max, default, choices, doc)
 * kind: 'i' integer in [min, max]; 'c' choice: index into the '|'-separated choices;
 * 's' string (any non-empty value). Defaults of choice settings are choice indexes. */
#define MTDB_SETTINGS(X)                                                                           \
    X(OUTPUT, "OUTPUT", "output", 's', 0, 0, 0, "", "trace directory (default " MTDB_DEFAULT_DIR ")")          \
    X(PRESET, "PRESET", "preset", 'c', 0, 2, 0, "precise|fast|leaks",                              \
      "precise: every allocation with a full stack; fast: sample stacks by size and "              \
      "frequency; leaks: full stacks on allocations and frees, deeper")                            \
    X(DEPTH, "DEPTH", "depth", 'i', 1, 256, 64, "", "frames per stack")                            \
    X(UNWIND, "UNWIND", "unwind", 'c', 0, 1, 0, "libunwind|fp",                                    \
      "stack walker: libunwind (unw_backtrace) or frame pointers")                                 \
    X(STACK_CACHE, "STACK_CACHE", "stack-cache", 'c', 0, 2, 0, "on|off|verify",                    \
      "libunwind walker: reuse the outer frames of the thread's last stack when every stack "      \
      "word they were read from is unchanged (on); walk every frame (off); or do both and "        \
      "count any difference in unwind_mismatch (verify, for testing: slower)")                     \
    X(SAMPLE_LARGE, "SAMPLE_LARGE", "sample-large", 'i', 0, 1099511627776LL, 65536, "",            \
      "fast preset: allocations of at least this many bytes always get a stack")                   \
    X(SAMPLE_FIRST, "SAMPLE_FIRST", "sample-first", 'i', 0, 1000000, 8, "",                        \
      "fast preset: the first N allocations of each call site always get a stack")                 \
    X(SAMPLE_EVERY, "SAMPLE_EVERY", "sample-every", 'i', 1, 1000000, 64, "",                       \
      "fast preset: after that, 1 in N allocations of a call site get a stack")                    \
    X(START, "START", "start", 'c', 0, 1, 0, "running|paused",                                     \
      "record from the start, or start paused until resumed")                                      \
    X(FOLLOW, "FOLLOW", "follow", 'c', 0, 1, 1, "no|yes",                                          \
      "record child processes and the programs they exec")                                         \
    X(PAUSE_SIGNAL, "PAUSE_SIGNAL", "pause-signal", 'i', 0, 64, 0, "",                             \
      "signal number that toggles pause/resume (0: none)")                                         \
    X(BLOCK_KB, "BLOCK_KB", "block-kb", 'i', 1, 1024, 32, "",                                      \
      "largest block payload in KiB (checksum and damage granularity)")                            \
    X(CHUNK_MB, "CHUNK_MB", "chunk-mb", 'i', 1, 1024, 1, "", "largest file growth step in MiB")    \
    X(STACK_TABLE_KB, "STACK_TABLE_KB", "stack-table-kb", 'i', 32, 4194304, 32768, "",             \
      "most KiB each thread's table of known stacks may map; past it the table is "                \
      "cleared and stacks are written again (counted in stack_table_resets)")                      \
    X(LOG, "LOG", "log", 'c', 0, 2, 0, "off|info|debug", "recorder log level on stderr")           \
    X(CLOCK, "CLOCK", "clock", 'c', 0, 1, 0, "auto|monotonic",                                     \
      "auto: the invariant TSC where the kernel keeps time with it, else "                         \
      "clock_gettime; monotonic: always clock_gettime(CLOCK_MONOTONIC)")                           \
    X(ROOT_PID, "ROOT_PID", "root-pid", 'i', 0, 4194304, 0, "",                                    \
      "set by mtdb record: pid of the launched program (for follow=no)")

enum mtdb_setting_id {
#define MTDB_SETTING_ENUM(id, env, opt, kind, min, max, def, choices, doc) MTDB_SET_##id,
    MTDB_SETTINGS(MTDB_SETTING_ENUM)
#undef MTDB_SETTING_ENUM
        MTDB_SET_COUNT
};

typedef struct mtdb_setting_desc {
    const char *env;    /* "MTDB_DEPTH" */
    const char *option; /* "depth" */
    char kind;          /* 'i', 'c', 's' */
    long long min, max, def;
    const char *choices; /* "a|b|c" for kind 'c' */
    const char *doc;
} mtdb_setting_desc_t;

static const mtdb_setting_desc_t mtdb_setting_descs[MTDB_SET_COUNT] = {
#define MTDB_SETTING_DESC(id, env, opt, kind, min, max, def, choices, doc)                         \
    {"MTDB_" env, opt, kind, min, max, def, choices, doc},
    MTDB_SETTINGS(MTDB_SETTING_DESC)
#undef MTDB_SETTING_DESC
};

/* Parses text for setting id into *value (the integer, or the choice index; strings
 * leave *value alone). Returns 0, or -1 when text is empty, not a number, out of range
 * or not one of the choices. Pure: no allocation, no libc state. */
static inline int mtdb_setting_parse(int id, const char *text, long long *value)
{
    const mtdb_setting_desc_t *d = &mtdb_setting_descs[id];
    if (!text || !*text)
        return -1;
    if (d->kind == 's')
        return 0;
    if (d->kind == 'c') {
        long long index = 0;
        for (const char *c = d->choices; *c; index++) {
            const char *t = text;
            while (*c && *c != '|' && *t == *c)
                c++, t++;
            if (*t == 0 && (*c == 0 || *c == '|')) {
                *value = index;
                return 0;
            }
            while (*c && *c != '|')
                c++;
            if (*c == '|')
                c++;
        }
        return -1;
    }
    long long v = 0;
    const char *t = text;
    for (; *t >= '0' && *t <= '9'; t++) {
        if (v > (d->max - (*t - '0')) / 10)
            return -1;
        v = v * 10 + (*t - '0');
    }
    if (*t != 0 || v < d->min || v > d->max)
        return -1;
    *value = v;
    return 0;
}

#endif
