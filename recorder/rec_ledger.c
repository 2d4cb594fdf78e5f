/* rec_ledger.c: the process file's reserved space, for what must reach the file late.
 *
 * When the process file is created, space after its first blocks is reserved on disk
 * and mapped MAP_SHARED; later process-level blocks (EXIT, the counters of threads whose
 * own stream could not take them, the moment a thread starts losing events) are copied
 * into that mapping. So they still reach the file after the disk filled, the descriptors
 * ran out or the program dropped the privileges that created the file. No descriptor is
 * held. Never on the event path but when a thread loses its first event; the short
 * spinlock is given up rather than waited on (a signal handler may come back here).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rec_internal.h"

/* Reserved at creation beyond the first blocks: a thread that loses events takes two
 * blocks of about 90 bytes (its first loss, its last counters), so 128 KiB holds some 700
 * such threads before the ledger must grow, which a full disk may not allow. */
#define LEDGER_FIRST (128u * 1024)
#define LEDGER_GROW (64u * 1024)
#define LEDGER_MAX (8u << 20) /* stays inside the process file's one declared chunk */
#define LEDGER_RECORD_MAX 512

static struct {
    uint8_t *map;   /* the whole file [0, bytes), or NULL: no ledger (appends by write) */
    uint64_t bytes; /* mapped and reserved */
    uint64_t used;  /* end of the last block */
    int lock;
    int full; /* growing failed: nothing more fits */
} ledger;

static int ledger_lock(void)
{
    for (unsigned i = 0; i < (1u << 16); i++) {
        if (!__atomic_exchange_n(&ledger.lock, 1, __ATOMIC_ACQUIRE))
            return 0;
        if ((i & 63) == 63)
            sched_yield();
    }
    return -EBUSY;
}

static void ledger_unlock(void)
{
    __atomic_store_n(&ledger.lock, 0, __ATOMIC_RELEASE);
}

static uint64_t round_page(uint64_t n)
{
    return (n + 4095) & ~(uint64_t)4095;
}

int rec_ledger_start(int fd, uint64_t content_bytes)
{
    rec_ledger_forget();
    uint64_t bytes = round_page(content_bytes + LEDGER_FIRST);
    int err = rec_reserve_disk(fd, content_bytes, bytes - content_bytes);
    if (err)
        return err;
    int fault = rec_fault_next();
    void *m = fault ? MAP_FAILED : mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
        int err = fault ? fault : -errno;
        int rc = ftruncate(fd, (off_t)content_bytes); /* no zeros before later appends */
        (void)rc;
        return err;
    }
    ledger.map = m;
    ledger.bytes = bytes;
    ledger.used = content_bytes;
    return 0;
}

void rec_ledger_forget(void)
{
    if (ledger.map)
        munmap(ledger.map, ledger.bytes);
    ledger.map = NULL;
    ledger.bytes = ledger.used = 0;
    ledger.full = 0;
    __atomic_store_n(&ledger.lock, 0, __ATOMIC_RELEASE);
}

/* Reserves and maps more of the file (by its path: this fails once the process lost the
 * right to open it, and the ledger is then full): LEDGER_GROW ahead, or on a disk too full
 * for that, only the pages this block needs. Called with the lock held. */
static int ledger_grow(uint64_t need)
{
    uint64_t bytes = round_page(ledger.used + need + LEDGER_GROW);
    if (ledger.full || bytes > LEDGER_MAX)
        return -ENOSPC;
    int fault = rec_fault_next();
    int fd = fault ? -1 : rec_open(rec_proc.proc_path, O_RDWR | O_CLOEXEC, 0);
    if (fd < 0)
        return fault ? fault : -errno;
    int err = rec_reserve_disk(fd, ledger.bytes, bytes - ledger.bytes);
    if (err == -ENOSPC && round_page(ledger.used + need) < bytes) {
        bytes = round_page(ledger.used + need);
        err = rec_reserve_disk(fd, ledger.bytes, bytes - ledger.bytes);
    }
    void *m = err ? MAP_FAILED : mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (!err && m == MAP_FAILED)
        err = -errno;
    rec_close(fd);
    if (err)
        return err;
    munmap(ledger.map, ledger.bytes);
    ledger.map = m;
    ledger.bytes = bytes;
    return 0;
}

/* Copies a sealed block into the file; its magic goes last, so a reader never sees a
 * block whose other bytes are not there yet. */
static void ledger_put(const uint8_t *blk, uint32_t span)
{
    uint8_t *at = ledger.map + ledger.used;
    memcpy(at + 4, blk + 4, span - 4);
    uint32_t magic;
    memcpy(&magic, blk, 4);
    __atomic_store_n((uint32_t *)at, magic, __ATOMIC_RELEASE);
    ledger.used += span;
}

static void ledger_warn(int err)
{
    char msg[REC_PATH_MAX + 96];
    size_t n = rec_strlcpy(msg, rec_proc.proc_path, sizeof msg);
    n += rec_strlcpy(msg + n, " (", sizeof msg - n);
    n += rec_strlcpy(msg + n, rec_errno_text(err), sizeof msg - n);
    rec_strlcpy(msg + n, "); process-level records from now on are lost", sizeof msg - n);
    rec_warn_once("cannot add to the process file ", msg);
}

int rec_ledger_append(uint32_t thread, uint32_t flags, uint64_t ts, const uint8_t *records,
                      uint32_t len)
{
    if (!ledger.map)
        return -ENOSPC; /* no space was reserved (or the ledger gave up) */
    if (len > LEDGER_RECORD_MAX)
        return -EMSGSIZE;
    uint8_t blk[MTDB_BLOCK_HEADER_BYTES + LEDGER_RECORD_MAX + 8];
    uint32_t span = mtdb_block_span(len);
    memset(blk, 0, span);
    mtdb_block_open(blk, thread, 0, 0, ts);
    memcpy(blk + MTDB_BLOCK_HEADER_BYTES, records, len);
    mtdb_block_seal(blk, len, 0, flags);
    int err = ledger_lock();
    if (err)
        return err;
    if (ledger.used + span > ledger.bytes)
        err = ledger_grow(span);
    if (!err)
        ledger_put(blk, span);
    else
        ledger.full = 1;
    ledger_unlock();
    if (err)
        ledger_warn(-err);
    return err;
}

int rec_ledger_ready(void)
{
    return ledger.map != NULL;
}

void rec_ledger_counters(const rec_thread_t *t, uint32_t flags, uint64_t ts)
{
    uint8_t rec[MTDB_MAX_COUNTERS_RECORD];
    uint8_t *end = mtdb_enc_counters(rec, t->counters);
    rec_ledger_append(t->serial, flags, ts, rec, (uint32_t)(end - rec));
}
