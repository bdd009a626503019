// The elementwise and row kernels of a ViT step, on eight AVX2 lanes with fused multiply-adds.
//
// Swift compiles for the x86-64 baseline (SSE2) and cannot target one function at a newer instruction
// set, so these few loops, which profiling showed at 10% of a training step, are written in C with
// `target("avx2,fma")` and chosen at run time. Each computes what its Swift counterpart in Sources/DINO
// computes, with the same polynomials; the tests check the two agree. Every function works on a range
// of whole rows, so the Swift caller decides the split across cores.
#ifndef DINO_VECTOR_KERNELS_H
#define DINO_VECTOR_KERNELS_H

#include <stdbool.h>
#include <stddef.h>

#include "BFloat16GEMM.h"

/// A hint inside a spin-wait loop (x86 `pause`, ARM `yield`): the core waits without flooding the
/// memory system with loads. Any CPU; used by the Swift worker pool.
static inline void dino_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/// Whether this CPU and operating system run AVX2 and FMA (checked once with `cpuid` and `xgetbv`).
/// The other functions may be called only when this returns true.
bool dino_vector_kernels_available(void);

/// GELU over `rows` rows of `width`: `y = GELU(x + bias)`, and `slope = GELU'(x + bias)` when `slope`
/// is not NULL. `bias` is `width` values added to every row, or NULL. `y` may be `x`.
void dino_gelu_rows(const float *x, const float *bias, float *y, float *slope, ptrdiff_t rows, ptrdiff_t width);

/// AdamW's update of `count` parameters in place, `AdamW.fastUpdate`'s operations in its order (so the
/// same bits), with the square root on eight lanes: `p *= shrink` (when `decays`), `m = m·β₁ + g·(1 − β₁)`,
/// `v = v·β₂ + g·g·(1 − β₂)`, `p −= step_size · m / (√v / root + epsilon)`.
void dino_adamw_update(float *p, float *m, float *v, const float *g, ptrdiff_t count, float beta1, float beta2,
                       float step_size, float root, float epsilon, float shrink, bool decays);

/// In place, each of `rows` rows of `width`: `x = softmax(x * inverse_temperature)`.
void dino_softmax_rows(float *x, ptrdiff_t rows, ptrdiff_t width, float inverse_temperature);

/// LayerNorm forward over `rows` rows of `width`, statistics in double: `inverse_deviation[r] = 1/σ_r`,
/// `normalized = (x − μ)/σ` (skipped when NULL), `y = normalized · gamma + beta`.
void dino_layernorm_rows(const float *x, const float *gamma, const float *beta, float epsilon,
                         float *normalized, float *y, float *inverse_deviation, ptrdiff_t rows, ptrdiff_t width);

/// LayerNorm backward over `rows` rows of `width`: with `g = dy · gamma`,
/// `dx = (g − mean(g) − x̂ · mean(g · x̂)) / σ`, and `dgamma += Σ dy · x̂`, `dbeta += Σ dy` over these rows,
/// in row order. `dx` may be `dy`.
void dino_layernorm_backward_rows(const float *dy, const float *normalized, const float *inverse_deviation,
                                  const float *gamma, float *dx, float *dgamma, float *dbeta,
                                  ptrdiff_t rows, ptrdiff_t width);

/// `C = alpha · op(A) · op(B) + beta · C`, row-major, `op(A)` `(m, k)` and `op(B)` `(k, n)`, single-threaded,
/// for attention's many tiny per-head products (10×10×64 for a local crop), where `cblas_sgemm` spends
/// more time checking, packing and dispatching than multiplying. C is not read when `beta` is 0. A
/// transposed B is first copied, transposed, to the stack when `n·k` ≤ 16 384; beyond that, plain loops.
void dino_small_gemm(bool transpose_a, bool transpose_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                     const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb,
                     float beta, float *c, ptrdiff_t ldc);

#endif
