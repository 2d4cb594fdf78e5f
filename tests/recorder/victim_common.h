/* victim_common.h: what the victim programs share: marker sizes and a way to report.
 *
 * Victims allocate their own blocks with sizes in [VC_MARK_LO, VC_MARK_HI), sizes the
 * C library and the recorder never ask for, and print their own counts as lines
 * "key value" with one write(2) each: reporting must not allocate.
 */
#ifndef VICTIM_COMMON_H
#define VICTIM_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define VC_MARK_LO 41000u
#define VC_MARK_HI 43000u
#define VC_MARK(k) ((size_t)VC_MARK_LO + (size_t)(k))

static inline void vc_put(const char *key, long long value)
{
    char line[160];
    int n = snprintf(line, sizeof line, "%s %lld\n", key, value);
    if (write(1, line, (size_t)n) < 0)
        _exit(125);
}

static inline void vc_put2(const char *prefix, long long id, const char *key, long long value)
{
    char name[96];
    snprintf(name, sizeof name, "%s.%lld.%s", prefix, id, key);
    vc_put(name, value);
}

static inline long vc_gettid(void)
{
    return (long)syscall(SYS_gettid);
}

/* Keeps the compiler from proving a block unused. */
static inline void vc_touch(void *p)
{
    if (p)
        *(volatile char *)p = 1;
}

#endif
