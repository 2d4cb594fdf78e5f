/* crc32c.c: CRC-32C (Castagnoli), the checksum of trace blocks and headers.
 *
 * Uses the SSE4.2 crc32 instruction where the CPU has it (about 8 bytes a cycle) and
 * a bitwise loop elsewhere. Called by the recorder when it seals a block: it must not
 * allocate, lock or touch errno.
 */
#include "mtdb_format.h"

#define CRC32C_POLY_REVERSED 0x82F63B78u

static uint32_t crc32c_bitwise(uint32_t crc, const uint8_t *p, size_t len)
{
    while (len--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (CRC32C_POLY_REVERSED & (0u - (crc & 1u)));
    }
    return crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(uint32_t crc, const uint8_t *p,
                                                               size_t len)
{
    uint64_t c = crc;
    while (len >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = __builtin_ia32_crc32di(c, word);
        p += 8, len -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (len--)
        c32 = __builtin_ia32_crc32qi(c32, *p++);
    return c32;
}

static int cpu_has_sse42(void)
{
    unsigned a, b, c, d;
    __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
    return (c >> 20) & 1u;
}
#endif

uint32_t mtdb_crc32c(uint32_t crc, const void *buf, size_t len)
{
    crc = ~crc;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    /* Racy first use is harmless: every thread computes the same answer. */
    static int has_sse42 = -1;
    int has = __atomic_load_n(&has_sse42, __ATOMIC_RELAXED);
    if (has < 0) {
        has = cpu_has_sse42();
        __atomic_store_n(&has_sse42, has, __ATOMIC_RELAXED);
    }
    if (has)
        return ~crc32c_sse42(crc, buf, len);
#endif
    return ~crc32c_bitwise(crc, buf, len);
}
