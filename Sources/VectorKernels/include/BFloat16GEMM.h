#ifndef DINO_BFLOAT16_GEMM_H
#define DINO_BFLOAT16_GEMM_H

// Matrix products with bfloat16 operands and float32 sums, on CPUs with AVX512_BF16 (the `vdpbf16ps`
// instruction: Intel Cooper Lake and Sapphire Rapids, AMD Zen 4 and later). bfloat16 keeps float32's
// 8-bit exponent and 8 bits of its significand, so each operand is rounded to a relative 2⁻⁹ and the
// product's error is bounded by 2⁻⁸·Σ|a||b| plus float32's summation error. Mixed-precision training
// (`--precision bf16`) runs its matrix products here and everything else in float32.
//
// The build targets the x86-64 baseline: these functions carry their own target attribute and run only
// after `dino_bf16_available()` has said the CPU and the operating system support them.

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/// Whether this CPU has AVX512_BF16 (and AVX512F/BW) and the operating system saves the 512-bit registers.
bool dino_bf16_available(void);

/// `C = alpha · op(A) · op(B) + beta · C`, row-major, `op(A)` of shape `(m, k)` and `op(B)` of `(k, n)`;
/// `op` transposes when its flag is set (the matrix is then stored `(k, m)` or `(n, k)`). The operands
/// are rounded to bfloat16 (to nearest, ties to even), their products summed in float32. With
/// `beta == 0`, `C` is not read. Single-threaded; call only when `dino_bf16_available()`.
void dino_bf16_gemm(bool transpose_a, bool transpose_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                    const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float beta, float *c, ptrdiff_t ldc);

/// The 32-bit words a packed op(B) of shape `(k, n)` takes (`dino_bf16_pack_b`).
size_t dino_bf16_packed_b_count(ptrdiff_t n, ptrdiff_t k);

/// Packs panels `first_panel ..< first_panel + panel_count` (32 columns each) of op(B) `(k, n)` into
/// `packed` (`dino_bf16_packed_b_count(n, k)` words), rounded to bfloat16 pairs. Separate panels may be
/// packed by separate threads; the whole of op(B) is packed once and shared by every part of a product.
void dino_bf16_pack_b(bool transpose_b, ptrdiff_t n, ptrdiff_t k, const float *b, ptrdiff_t ldb, uint32_t *packed,
                      ptrdiff_t first_panel, ptrdiff_t panel_count);

/// `dino_bf16_gemm` with op(B) already packed by `dino_bf16_pack_b`. When `bias` (`n` floats) is given,
/// `C = alpha · op(A) · op(B) + bias` on every row and `beta` is ignored: a linear layer's output in one pass.
/// With `gelu`, C then becomes GELU of that, and `gelu_slope` (`m` rows, `ldc` apart), when given, its
/// slope: an MLP's first layer and its GELU in one pass. Where `k` fits one 768-deep block these are the
/// bits of the product written out and then `dino_gelu_rows` with the bias.
void dino_bf16_gemm_packed_b(bool transpose_a, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha, const float *a,
                             ptrdiff_t lda, const uint32_t *packed_b, float beta, float *c, ptrdiff_t ldc,
                             const float *bias, bool gelu, float *gelu_slope);

/// `value` rounded to bfloat16 (nearest, ties to even; NaN stays NaN) and back to float32: what the
/// products see of an operand.
float dino_bf16_round(float value);

#endif
