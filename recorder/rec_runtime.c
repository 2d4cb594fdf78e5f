/* rec_runtime.c: where the runtime's code lies (libc, ld.so, libstdc++, libgcc_s...).
 *
 * The fast preset names an allocation that gets no full stack by its call site. When
 * that call site is inside the runtime (C++ operator new, strdup), the site alone would
 * name the wrapper for every caller; rec_stack.c then walks a few frames to the user's
 * code, and asks here which frames are the runtime's. The executable code ranges of the
 * modules named in mtdb_runtime_modules.h are collected with dl_iterate_phdr, without
 * allocating, and rebuilt when the module generation the recorder tracks has moved
 * (rec_modules.c). Readers take no lock: two tables alternate, the one in use is
 * published with a release store, and a rebuild is done by one thread at a time; a
 * reader racing a second rebuild in a row could classify one frame wrongly, which only
 * moves that one allocation's site to a neighbouring frame (dlopen during allocation).
 */
#include <link.h>
#include <string.h>

#include "mtdb_runtime_modules.h"
#include "rec_internal.h"

#define REC_RUNTIME_MAX_RANGES 64

typedef struct rec_runtime_ranges {
    uint32_t count;
    uintptr_t lo[REC_RUNTIME_MAX_RANGES], hi[REC_RUNTIME_MAX_RANGES];
} rec_runtime_ranges_t;

static rec_runtime_ranges_t runtime_tables[2];
static rec_runtime_ranges_t *runtime_current; /* atomic; NULL until the first build */
static uint64_t runtime_gen;                  /* atomic: module generation built at, plus 1 */
static int runtime_building;                  /* atomic try-lock */

static const char *const runtime_patterns[] = {
#define REC_RUNTIME_PATTERN(p) p,
    MTDB_RUNTIME_MODULES(REC_RUNTIME_PATTERN)
#undef REC_RUNTIME_PATTERN
};

/* A GLOB with '*' only, as the module patterns need; no allocation, no locale. */
int rec_runtime_glob(const char *pattern, const char *name)
{
    const char *star = NULL, *resume = NULL;
    while (*name) {
        if (*pattern == '*') {
            star = pattern++, resume = name;
        } else if (*pattern == *name) {
            pattern++, name++;
        } else if (star) {
            pattern = star + 1, name = ++resume;
        } else {
            return 0;
        }
    }
    while (*pattern == '*')
        pattern++;
    return *pattern == 0;
}

int rec_runtime_module_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (!*base)
        return 0; /* the executable: dl_iterate_phdr names it "" */
    for (size_t i = 0; i < sizeof runtime_patterns / sizeof runtime_patterns[0]; i++)
        if (rec_runtime_glob(runtime_patterns[i], base))
            return 1;
    return 0;
}

static int collect_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    rec_runtime_ranges_t *r = arg;
    if (!info->dlpi_name || !rec_runtime_module_name(info->dlpi_name))
        return 0;
    for (int i = 0; i < info->dlpi_phnum && r->count < REC_RUNTIME_MAX_RANGES; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        r->lo[r->count] = info->dlpi_addr + ph->p_vaddr;
        r->hi[r->count] = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
        r->count++;
    }
    return 0;
}

static void runtime_rebuild(uint64_t gen)
{
    if (__atomic_exchange_n(&runtime_building, 1, __ATOMIC_ACQUIRE))
        return; /* another thread builds: use what is published meanwhile */
    rec_runtime_ranges_t *cur = __atomic_load_n(&runtime_current, __ATOMIC_ACQUIRE);
    rec_runtime_ranges_t *next =
        cur == &runtime_tables[0] ? &runtime_tables[1] : &runtime_tables[0];
    next->count = 0;
    dl_iterate_phdr(collect_cb, next);
    __atomic_store_n(&runtime_current, next, __ATOMIC_RELEASE);
    __atomic_store_n(&runtime_gen, gen + 1, __ATOMIC_RELEASE);
    __atomic_store_n(&runtime_building, 0, __ATOMIC_RELEASE);
}

void rec_runtime_refresh(void)
{
    uint64_t gen = __atomic_load_n(&rec_proc.modules_gen, __ATOMIC_ACQUIRE);
    if (__atomic_load_n(&runtime_gen, __ATOMIC_ACQUIRE) != gen + 1)
        runtime_rebuild(gen);
}

int rec_runtime_contains(uintptr_t pc)
{
    const rec_runtime_ranges_t *r = __atomic_load_n(&runtime_current, __ATOMIC_ACQUIRE);
    if (!r)
        return 0;
    uint32_t n = r->count < REC_RUNTIME_MAX_RANGES ? r->count : REC_RUNTIME_MAX_RANGES;
    for (uint32_t i = 0; i < n; i++)
        if (pc >= r->lo[i] && pc < r->hi[i])
            return 1;
    return 0;
}
