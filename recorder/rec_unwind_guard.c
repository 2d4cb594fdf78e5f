/* rec_unwind_guard.c: keeps libunwind's address validation away from file descriptors.
 *
 * libunwind 1.6 checks that an address is readable before it trusts a guessed frame by
 * writing one byte of it into a pipe it opens at start-up (mem_validate_pipe). A program
 * that closes its inherited descriptors and opens its own files gets those numbers: then
 * libunwind reads the program's input and writes into its output, or closes its files
 * and puts a pipe in their place. So, before libunwind starts, its own references to
 * pipe/pipe2/read/write/close/syscall/open (its GOT slots, nothing else in the process)
 * are pointed here: the pipe is two numbers no descriptor can have, and "writing" an
 * address into it asks the kernel whether the byte is readable instead; anything else
 * goes on to libc unchanged (open gains O_CLOEXEC). Must never open, close or hold a
 * descriptor of its own, allocate, or take a lock.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "rec_internal.h"

/* Never a descriptor (they are never negative), and never -1, which libunwind reads as
 * "no pipe". */
#define QUIET_PIPE_READ (-4001)
#define QUIET_PIPE_WRITE (-4002)

static int is_quiet_fd(long fd)
{
    return fd == QUIET_PIPE_READ || fd == QUIET_PIPE_WRITE;
}

/* The kernel copies a signal set from addr before it rejects an unknown `how`, so the
 * error tells whether the 8 aligned bytes at addr are readable, and nothing changes. */
static int readable_by_sigmask_probe(uintptr_t addr)
{
    long rc = syscall(SYS_rt_sigprocmask, 0x7fff, (void *)(addr & ~(uintptr_t)7), NULL, 8);
    return rc < 0 && errno == EINVAL;
}

/* 1 when the byte at addr can be read. process_vm_readv on ourselves touches no fd;
 * where a sandbox forbids it, the signal-mask probe answers instead. */
int rec_memory_readable(const void *addr)
{
    char byte;
    struct iovec local = {&byte, 1}, remote = {(void *)addr, 1};
    long n = syscall(SYS_process_vm_readv, (long)getpid(), &local, 1L, &remote, 1L, 0L);
    if (n == 1)
        return 1;
    if (errno == EFAULT)
        return 0;
    return readable_by_sigmask_probe((uintptr_t)addr);
}

/* ---- what libunwind calls instead of libc ------------------------------------------ */

static int quiet_pipe2(int fds[2], int flags)
{
    (void)flags;
    fds[0] = QUIET_PIPE_READ;
    fds[1] = QUIET_PIPE_WRITE;
    return 0;
}

static int quiet_pipe(int fds[2])
{
    return quiet_pipe2(fds, 0);
}

/* The pipe is always empty: libunwind reads it to drain it and to see that it is open. */
static ssize_t quiet_read(int fd, void *buf, size_t n)
{
    if (!is_quiet_fd(fd))
        return rec_read(fd, buf, n);
    errno = EAGAIN;
    return -1;
}

/* libunwind loops while errno is EINTR, whatever the result: errno is always set. */
static long quiet_validate(const void *addr, size_t n)
{
    if (n == 0) {
        errno = 0;
        return 0;
    }
    if (rec_memory_readable(addr)) {
        errno = 0;
        return 1;
    }
    errno = EFAULT;
    return -1;
}

static ssize_t quiet_write(int fd, const void *buf, size_t n)
{
    if (!is_quiet_fd(fd))
        return rec_write(fd, buf, n);
    return quiet_validate(buf, n);
}

/* libunwind opens an ELF file only for an object without .eh_frame_hdr, and closes it
 * before it returns; close-on-exec keeps a fork and exec elsewhere from inheriting it. */
static int quiet_open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    return rec_open(path, flags | O_CLOEXEC, mode);
}

static int quiet_close(int fd)
{
    return is_quiet_fd(fd) ? 0 : rec_close(fd);
}

/* syscall(2) reads six argument words whatever the call; so does this. An int argument
 * (the descriptor) arrives in a register whose upper half is undefined: compare it as an
 * int, as the kernel does. */
static long quiet_syscall(long nr, ...)
{
    va_list ap;
    va_start(ap, nr);
    long a[6];
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    if (nr == SYS_write && is_quiet_fd((int)a[0]))
        return quiet_validate((const void *)a[1], (size_t)a[2]);
    return syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static const struct quiet_fn {
    const char *name;
    void *fn;
} quiet_fns[] = {
    {"pipe", (void *)quiet_pipe},   {"pipe2", (void *)quiet_pipe2},
    {"read", (void *)quiet_read},   {"write", (void *)quiet_write},
    {"close", (void *)quiet_close}, {"syscall", (void *)quiet_syscall},
    {"open", (void *)quiet_open},
};

static void *quiet_fn_named(const char *name)
{
    for (size_t i = 0; i < sizeof quiet_fns / sizeof quiet_fns[0]; i++)
        if (strcmp(quiet_fns[i].name, name) == 0)
            return quiet_fns[i].fn;
    return NULL;
}

/* ---- finding and rewriting libunwind's GOT slots ------------------------------------ */

#if defined(__x86_64__)
#define REC_R_JUMP_SLOT R_X86_64_JUMP_SLOT
#define REC_R_GLOB_DAT R_X86_64_GLOB_DAT
#elif defined(__aarch64__)
#define REC_R_JUMP_SLOT R_AARCH64_JUMP_SLOT
#define REC_R_GLOB_DAT R_AARCH64_GLOB_DAT
#endif

typedef struct elf_object {
    uintptr_t base;
    const ElfW(Phdr) * phdr;
    int phnum;
    const char *name;
} elf_object_t;

typedef struct find_ctx {
    uintptr_t addr;
    elf_object_t found;
    int ok;
} find_ctx_t;

static int find_object_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    find_ctx_t *ctx = arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && ctx->addr >= lo && ctx->addr - lo < ph->p_memsz) {
            ctx->found = (elf_object_t){info->dlpi_addr, info->dlpi_phdr, info->dlpi_phnum,
                                        info->dlpi_name ? info->dlpi_name : ""};
            ctx->ok = 1;
            return 1;
        }
    }
    return 0;
}

/* The loader relocates some dynamic entries in place and not others, by architecture. */
static uintptr_t dyn_address(uintptr_t base, uintptr_t value)
{
    return value < base ? value + base : value;
}

typedef struct dyn_tables {
    const ElfW(Sym) * symtab;
    const char *strtab;
    const ElfW(Rela) * jmprel, *rela;
    size_t jmprel_bytes, rela_bytes;
    uintptr_t relro_lo, relro_hi;
} dyn_tables_t;

static int read_dynamic(const elf_object_t *obj, dyn_tables_t *d)
{
    memset(d, 0, sizeof *d);
    const ElfW(Dyn) *dyn = NULL;
    for (int i = 0; i < obj->phnum; i++) {
        const ElfW(Phdr) *ph = &obj->phdr[i];
        if (ph->p_type == PT_DYNAMIC)
            dyn = (const ElfW(Dyn) *)(obj->base + ph->p_vaddr);
        if (ph->p_type == PT_GNU_RELRO)
            d->relro_lo = obj->base + ph->p_vaddr, d->relro_hi = d->relro_lo + ph->p_memsz;
    }
    if (!dyn)
        return -ENOENT;
    for (; dyn->d_tag != DT_NULL; dyn++) {
        uintptr_t v = dyn->d_un.d_ptr;
        switch (dyn->d_tag) {
        case DT_SYMTAB:
            d->symtab = (const ElfW(Sym) *)dyn_address(obj->base, v);
            break;
        case DT_STRTAB:
            d->strtab = (const char *)dyn_address(obj->base, v);
            break;
        case DT_JMPREL:
            d->jmprel = (const ElfW(Rela) *)dyn_address(obj->base, v);
            break;
        case DT_PLTRELSZ:
            d->jmprel_bytes = dyn->d_un.d_val;
            break;
        case DT_RELA:
            d->rela = (const ElfW(Rela) *)dyn_address(obj->base, v);
            break;
        case DT_RELASZ:
            d->rela_bytes = dyn->d_un.d_val;
            break;
        case DT_PLTREL:
            if (dyn->d_un.d_val != DT_RELA)
                return -ENOTSUP;
            break;
        default:
            break;
        }
    }
    return d->symtab && d->strtab ? 0 : -ENOENT;
}

/* A slot inside PT_GNU_RELRO was made read-only after relocation: open it for the write. */
static int write_slot(void **slot, void *fn, const dyn_tables_t *d)
{
    uintptr_t at = (uintptr_t)slot;
    if (at < d->relro_lo || at >= d->relro_hi) {
        __atomic_store_n(slot, fn, __ATOMIC_RELEASE);
        return 0;
    }
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    void *start = (void *)(at & ~(page - 1));
    if (mprotect(start, page, PROT_READ | PROT_WRITE) != 0)
        return -errno;
    __atomic_store_n(slot, fn, __ATOMIC_RELEASE);
    mprotect(start, page, PROT_READ);
    return 0;
}

static int patch_relocs(const elf_object_t *obj, const dyn_tables_t *d, const ElfW(Rela) * r,
                        size_t bytes)
{
    int patched = 0;
    for (size_t i = 0; r && i < bytes / sizeof *r; i++) {
        unsigned long type = ELF64_R_TYPE(r[i].r_info);
        if (type != REC_R_JUMP_SLOT && type != REC_R_GLOB_DAT)
            continue;
        void *fn = quiet_fn_named(d->strtab + d->symtab[ELF64_R_SYM(r[i].r_info)].st_name);
        if (fn && write_slot((void **)(obj->base + r[i].r_offset), fn, d) == 0)
            patched++;
    }
    return patched;
}

static int is_libunwind(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    return strncmp(base, "libunwind", 9) == 0;
}

/* Returns how many slots now point here: 0 when libunwind could not be found (linked
 * into the program itself, say) or imports none of those functions. */
int rec_unwind_guard_install(void *unwinder_fn)
{
#if defined(REC_R_JUMP_SLOT)
    find_ctx_t ctx = {.addr = (uintptr_t)unwinder_fn};
    dl_iterate_phdr(find_object_cb, &ctx);
    dyn_tables_t d;
    if (!ctx.ok || !is_libunwind(ctx.found.name) || read_dynamic(&ctx.found, &d) != 0)
        return 0;
    return patch_relocs(&ctx.found, &d, d.jmprel, d.jmprel_bytes) +
           patch_relocs(&ctx.found, &d, d.rela, d.rela_bytes);
#else
    (void)unwinder_fn;
    return 0;
#endif
}
