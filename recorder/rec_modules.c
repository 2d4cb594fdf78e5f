/* rec_modules.c: the module map (path, load address, build-id) for offline symbols.
 *
 * A full snapshot goes into the process file at start-up. dlopen is not intercepted
 * (that changes the caller's RUNPATH lookup; dlclose is, for the stack cache only, in
 * rec_dlclose.c); instead a thread that meets a
 * new stack compares the loader's dlpi_adds + dlpi_subs with the last snapshot and, when
 * they moved, writes a new snapshot into its own stream. Paths are absolute: a library
 * loaded by a relative path (dlopen("./lib.so")) is named by the file the kernel mapped.
 * Never holds a lock of ours while inside dl_iterate_phdr, never allocates.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <unistd.h>

#include "rec_internal.h"

static int generation_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    *(uint64_t *)arg = info->dlpi_adds + info->dlpi_subs;
    return 1; /* the counters are the same in every entry: one is enough */
}

uint64_t rec_modules_generation(void)
{
    uint64_t gen = 0;
    dl_iterate_phdr(generation_cb, &gen);
    return gen;
}

static uint32_t find_build_id(const struct dl_phdr_info *info, const uint8_t **id)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
        const uint8_t *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)(const void *)p;
            const uint8_t *name = p + sizeof *nh;
            const uint8_t *desc = name + ((nh->n_namesz + 3) & ~3u);
            const uint8_t *next = desc + ((nh->n_descsz + 3) & ~3u);
            if (next > end)
                break;
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && !memcmp(name, "GNU", 4)) {
                *id = desc;
                return nh->n_descsz;
            }
            p = next;
        }
    }
    return 0;
}

typedef struct encode_ctx {
    uint8_t *p, *end;
    uint32_t count;
    int overflow;
    char exe[REC_PATH_MAX];
    char resolved[REC_PATH_MAX];
    char maps[8192]; /* /proc/self/maps, read a piece at a time */
} encode_ctx_t;

static uintptr_t parse_hex(char **at)
{
    uintptr_t v = 0;
    for (char *p = *at;; p++) {
        unsigned d = *p >= '0' && *p <= '9'   ? (unsigned)(*p - '0')
                     : *p >= 'a' && *p <= 'f' ? (unsigned)(*p - 'a' + 10)
                                              : 16u;
        if (d == 16) {
            *at = p;
            return v;
        }
        v = v << 4 | d;
    }
}

/* The path of one /proc/self/maps line ("lo-hi perms offset dev inode path") when its
 * range holds addr and it maps a file; NULL otherwise. */
static const char *maps_line_path(char *line, uintptr_t addr)
{
    char *p = line;
    uintptr_t lo = parse_hex(&p), hi = 0;
    if (*p == '-')
        p++, hi = parse_hex(&p);
    if (addr < lo || addr >= hi)
        return NULL;
    for (int field = 0; field < 4; field++) { /* perms, offset, dev, inode */
        while (*p == ' ')
            p++;
        while (*p && *p != ' ')
            p++;
    }
    while (*p == ' ')
        p++;
    return *p == '/' ? p : NULL;
}

/* Copies into c->resolved the absolute path of the file mapped at addr, as the kernel
 * knows it (/proc/self/maps, read with read(2), so nothing is allocated). */
static int mapped_file_path(encode_ctx_t *c, uintptr_t addr)
{
    int fd = rec_open("/proc/self/maps", O_RDONLY | O_CLOEXEC, 0), found = 0;
    size_t have = 0;
    while (fd >= 0 && !found) {
        ssize_t r = rec_read(fd, c->maps + have, sizeof c->maps - 1 - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        char *line = c->maps, *end = c->maps + have + (size_t)r, *nl;
        while (!found && (nl = memchr(line, '\n', (size_t)(end - line)))) {
            *nl = 0;
            const char *path = maps_line_path(line, addr);
            if (path && strlen(path) < sizeof c->resolved)
                found = rec_strlcpy(c->resolved, path, sizeof c->resolved) > 0;
            line = nl + 1;
        }
        have = (size_t)(end - line);
        memmove(c->maps, line, have);
        if (have == sizeof c->maps - 1)
            have = 0; /* a line longer than the buffer names no file we can use */
    }
    if (fd >= 0)
        rec_close(fd);
    return found;
}

/* An absolute path for a module named relative to the directory it was loaded from:
 * the mapped file's path, else the current directory joined with the name. */
static const char *absolute_path(encode_ctx_t *c, const char *name, uintptr_t text_addr)
{
    int saved = errno;
    const char *path = name;
    if (mapped_file_path(c, text_addr)) {
        path = c->resolved;
    } else if (getcwd(c->resolved, sizeof c->resolved - 2)) {
        size_t n = strlen(c->resolved);
        c->resolved[n++] = '/';
        rec_strlcpy(c->resolved + n, name[0] == '.' && name[1] == '/' ? name + 2 : name,
                    sizeof c->resolved - n);
        path = c->resolved;
    }
    errno = saved;
    return path;
}

static int encode_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    encode_ctx_t *c = arg;
    uint64_t text_end = 0, text_start = UINT64_MAX;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && ph->p_vaddr + ph->p_memsz > text_end)
            text_end = ph->p_vaddr + ph->p_memsz;
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && ph->p_vaddr < text_start)
            text_start = ph->p_vaddr;
    }
    const char *path =
        info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : (c->count == 0 ? c->exe : "");
    if (path[0] && path[0] != '/' && strchr(path, '/') && text_end)
        path = absolute_path(c, path, info->dlpi_addr + text_start);
    size_t path_len = strlen(path);
    const uint8_t *id = NULL;
    uint32_t id_len = find_build_id(info, &id);
    if ((size_t)(c->end - c->p) < MTDB_MAX_MODULE_ENTRY(path_len, id_len)) {
        c->overflow = 1;
        return 1;
    }
    c->p = mtdb_enc_module(c->p, info->dlpi_addr, text_end, path, path_len, id, id_len);
    c->count++;
    return 0;
}

/* One MODULES record; its count is filled in after the walk (see
 * mtdb_enc_modules_head_open). */
uint32_t rec_modules_encode(uint8_t *buf, uint32_t cap)
{
    /* The walk's state is large: it lives at the end of the caller's buffer. */
    if (cap < sizeof(encode_ctx_t) + 64)
        return 0;
    uintptr_t at = ((uintptr_t)buf + cap - sizeof(encode_ctx_t)) & ~(uintptr_t)7;
    encode_ctx_t *c = (encode_ctx_t *)at;
    cap = (uint32_t)(at - (uintptr_t)buf);
    c->count = 0, c->overflow = 0;
    ssize_t n = readlink("/proc/self/exe", c->exe, sizeof c->exe - 1);
    c->exe[n > 0 ? n : 0] = 0;
    uint8_t *count_at;
    c->p = mtdb_enc_modules_head_open(buf, &count_at);
    c->end = buf + cap;
    dl_iterate_phdr(encode_cb, c);
    if (c->overflow)
        return 0;
    mtdb_modules_set_count(count_at, c->count);
    return (uint32_t)(c->p - buf);
}

void rec_modules_check(rec_thread_t *t)
{
    uint64_t gen = rec_modules_generation();
    uint64_t seen = __atomic_load_n(&rec_proc.modules_gen, __ATOMIC_ACQUIRE);
    if (gen == seen || !__atomic_compare_exchange_n(&rec_proc.modules_gen, &seen, gen, 0,
                                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return; /* unchanged, or another thread is writing this snapshot */
    uint32_t cap = 1u << 20;
    uint8_t *buf = rec_map(cap);
    if (!buf)
        return;
    uint32_t len = rec_modules_encode(buf, cap);
    if (len && rec_append_meta(t, buf, len) == 0)
        rec_log_num(2, "debug: module map changed; snapshot written by thread ", t->serial, NULL);
    rec_unmap(buf, cap);
}

static int self_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    uintptr_t *range = arg;
    uintptr_t probe = range[0];
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && probe >= lo &&
            probe < lo + ph->p_memsz) {
            range[0] = lo, range[1] = lo + ph->p_memsz;
            return 1;
        }
    }
    return 0;
}

void rec_modules_self_range(uintptr_t *lo, uintptr_t *hi)
{
    uintptr_t range[2] = {(uintptr_t)&rec_modules_self_range, 0};
    dl_iterate_phdr(self_cb, range);
    *lo = range[1] ? range[0] : 0;
    *hi = range[1];
}
