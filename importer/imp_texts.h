/* imp_texts.h: texts kept once each, numbered from 1 in the order they were first seen
 * (imp_texts.c). Callers keep the small number where they would keep a copy: a recursive
 * program's millions of stacks name a handful of modules and paths. */
#ifndef IMP_TEXTS_H
#define IMP_TEXTS_H

#include <stdint.h>

#include "imp_hashmap.h"

typedef struct imp_texts {
    char **texts; /* index = number - 1 */
    uint64_t n, cap;
    imp_hashmap_t by_hash; /* text hashes -> number */
} imp_texts_t;

void imp_texts_init(imp_texts_t *t);

/* The number of s, added when new; 0 for NULL, -1 when out of memory. */
int64_t imp_texts_intern(imp_texts_t *t, const char *s);

/* The text of a number imp_texts_intern gave (not 0). */
static inline const char *imp_texts_get(const imp_texts_t *t, uint64_t number)
{
    return t->texts[number - 1];
}

void imp_texts_free(imp_texts_t *t);

#endif
