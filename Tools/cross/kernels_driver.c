// A small static test of the C kernels' portable side, for a CPU this project's machines do not have:
// Tools/cross/check-aarch64.sh cross-compiles it with Sources/VectorKernels and Sources/CRC32CKernel for
// aarch64 (-Wall -Werror) and runs it under qemu-aarch64-static. There the AVX kernels must report
// themselves absent (the Swift fallbacks run instead), and what is portable C must compute the standard
// values: CRC-32C's check value and bfloat16 rounding to nearest with ties to even.
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "BFloat16GEMM.h"
#include "CRC32C.h"
#include "VectorKernels.h"

static int failures = 0, checks = 0;

static void expect(int condition, const char *what) {
    printf("%s %s\n", condition ? "ok  " : "FAIL", what);
    checks++;
    if (!condition) failures++;
}

int main(void) {
    expect(!dino_vector_kernels_available(), "the AVX2 kernels report themselves absent (the Swift fallbacks run)");
    expect(!dino_bf16_available(), "the AVX-512 bf16 kernel reports itself absent (the portable bf16 path runs)");
    const char *check = "123456789";
    expect(dino_crc32c(0, check, strlen(check)) == 0xE3069283u, "CRC-32C of \"123456789\" is the standard 0xE3069283");
    expect(dino_crc32c(0, check, 4) != dino_crc32c(0, check, 5), "CRC-32C sees one more byte");
    expect(dino_crc32c(dino_crc32c(0, check, 4), check + 4, 5) == dino_crc32c(0, check, 9), "CRC-32C continues across calls");
    expect(dino_crc32c(0, check, 9) == dino_crc32c_table(0, check, 9), "the checksum and the table agree");
    float one = 1.0f, spacing = 1.0f / 128;
    expect(dino_bf16_round(one + spacing / 2) == one, "bf16: halfway rounds to the even neighbour 1");
    expect(dino_bf16_round(one + 1.5f * spacing) == one + 2 * spacing, "bf16: halfway rounds to the even neighbour 1 + 2^-6");
    expect(dino_bf16_round(-2.75f) == -2.75f, "bf16: an exact value stays");
    expect(isnan(dino_bf16_round(NAN)) && dino_bf16_round(INFINITY) == INFINITY, "bf16: NaN stays NaN, infinity stays");
    dino_spin_pause();
    printf("aarch64: %d passed, %d failed\n", checks - failures, failures);
    return failures == 0 ? 0 : 1;
}
