/* imp_texts.c: texts kept once each (imp_texts.h). */
#include <stdlib.h>
#include <string.h>

#include "imp_array.h"
#include "imp_texts.h"

void imp_texts_init(imp_texts_t *t)
{
    memset(t, 0, sizeof *t);
    imp_hashmap_init(&t->by_hash);
}

static int imp_texts_same(const void *ctx, uint64_t number, const void *want)
{
    return !strcmp(imp_texts_get(ctx, number), want);
}

int64_t imp_texts_intern(imp_texts_t *t, const char *s)
{
    if (!s)
        return 0;
    if (imp_grow((void **)&t->texts, &t->cap, t->n, sizeof *t->texts))
        return -1;
    int added;
    uint64_t *slot = imp_hashmap_probe(&t->by_hash, imp_hash_bytes(IMP_FNV_OFFSET, s, strlen(s)),
                                       imp_texts_same, t, s, &added);
    if (!slot)
        return -1;
    if (added) {
        if (!(t->texts[t->n] = strdup(s)))
            return -1; /* the slot stays 0: the import ends here */
        *slot = ++t->n;
    }
    return (int64_t)*slot;
}

void imp_texts_free(imp_texts_t *t)
{
    for (uint64_t i = 0; i < t->n; i++)
        free(t->texts[i]);
    free(t->texts);
    imp_hashmap_free(&t->by_hash);
    memset(t, 0, sizeof *t);
}
