/* e2e_hdrlib.h: a header-only library's allocation helpers, as Boost's, fmt's or a
 * JSON library's are: compiled into each program that includes them (for
 * e2e_hdrlib.c). */
#ifndef E2E_HDRLIB_H
#define E2E_HDRLIB_H

#include <stdlib.h>
#include <string.h>

static inline char *hdrlib_buffer(size_t n)
{
    char *p = malloc(n);
    if (p)
        memset(p, 0, n);
    return p;
}

static inline char *hdrlib_dup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = hdrlib_buffer(n + 2200); /* room to grow: test blocks are 2200..2300 bytes */
    if (p)
        memcpy(p, s, n);
    return p;
}

#endif
