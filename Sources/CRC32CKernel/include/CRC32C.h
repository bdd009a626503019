// CRC-32C of a byte range: what a checkpoint records for each tensor. In C because the x86 `crc32`
// instruction (SSE4.2) checksums 8 bytes at once, which Swift cannot select per function; a table
// of 256 entries serves every other CPU. Both give the same checksum; the tests check the standard value.
#ifndef DINO_CRC32C_H
#define DINO_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/// Continues the CRC-32C `crc` (start with 0) over `count` bytes at `bytes`.
uint32_t dino_crc32c(uint32_t crc, const void *bytes, size_t count);

/// The same with the table, whatever the CPU: what CPUs without the instruction run, for the tests.
uint32_t dino_crc32c_table(uint32_t crc, const void *bytes, size_t count);

#endif
