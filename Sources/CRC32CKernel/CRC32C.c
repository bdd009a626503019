// CRC-32C (Castagnoli), reflected polynomial 0x82F63B78: see include/CRC32C.h.
#include "CRC32C.h"

#include <string.h>

static uint32_t table_crc(uint32_t crc, const unsigned char *p, size_t count) {
    static uint32_t table[256];
    static int ready = 0;
    if (!ready) {  // idempotent: two threads racing here write the same values
        for (uint32_t value = 0; value < 256; value++) {
            uint32_t entry = value;
            for (int bit = 0; bit < 8; bit++) entry = entry & 1 ? 0x82F63B78u ^ (entry >> 1) : entry >> 1;
            table[value] = entry;
        }
        ready = 1;
    }
    for (size_t i = 0; i < count; i++) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return crc;
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <nmmintrin.h>

__attribute__((target("sse4.2"))) static uint32_t hardware_crc(uint32_t crc, const unsigned char *p, size_t count) {
    uint64_t wide = crc;
    for (; count >= 8; count -= 8, p += 8) {
        uint64_t word;
        memcpy(&word, p, 8);  // unaligned load
        wide = _mm_crc32_u64(wide, word);
    }
    crc = (uint32_t)wide;
    for (; count > 0; count--, p++) crc = _mm_crc32_u8(crc, *p);
    return crc;
}

static int has_sse42(void) {
    unsigned a, b, c, d;
    return __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 20));
}
#endif

uint32_t dino_crc32c_table(uint32_t crc, const void *bytes, size_t count) { return ~table_crc(~crc, bytes, count); }

uint32_t dino_crc32c(uint32_t crc, const void *bytes, size_t count) {
    crc = ~crc;
#if defined(__x86_64__)
    static int hardware = -1;
    if (hardware < 0) hardware = has_sse42();
    crc = hardware ? hardware_crc(crc, bytes, count) : table_crc(crc, bytes, count);
#else
    crc = table_crc(crc, bytes, count);
#endif
    return ~crc;
}
