// bfloat16 matrix products with float32 sums: see include/BFloat16GEMM.h for what and why.
//
// The layout follows the usual blocked GEMM (Goto's): KC values of the inner dimension at a time, op(B)
// packed into panels of 32 columns and op(A) into blocks of 96 rows, both as bfloat16 *pairs* (two
// consecutive inner-dimension values in one 32-bit lane), which is what `vdpbf16ps` multiplies and adds:
// acc[j] += a[2p]·b[2p][j] + a[2p+1]·b[2p+1][j]. The micro-kernel keeps a 12 × 32 block of C in 24
// registers. Each operand is packed in the order its storage reads fastest (converted 32 values at a
// time), and the micro-kernel takes the A block's row and pair strides, so both orders work.
#include "BFloat16GEMM.h"

#include <stdlib.h>
#include <string.h>

/// float32 → bfloat16 bits, rounding to nearest with ties to even; a NaN stays a (quiet) NaN.
static inline uint16_t toBF16(float value) {
    uint32_t bits;
    memcpy(&bits, &value, 4);
    if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((bits >> 16) | 0x40u);
    bits += 0x7FFFu + ((bits >> 16) & 1u);
    return (uint16_t)(bits >> 16);
}

float dino_bf16_round(float value) {
    uint32_t bits = (uint32_t)toBF16(value) << 16;
    float rounded;
    memcpy(&rounded, &bits, 4);
    return rounded;
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

#define BF16 __attribute__((target("avx512f,avx512bw,avx512bf16")))

enum { MR = 12, NR = 32, MC = 96, KC = 768 };

bool dino_bf16_available(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
    if (!(c & (1u << 27))) return false;  // OSXSAVE
    unsigned low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    if ((low & 0xE6) != 0xE6) return false;  // the OS saves the SSE, AVX and AVX-512 state
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
    const bool avx512f = b & (1u << 16), avx512bw = b & (1u << 30);
    if (!(avx512f && avx512bw)) return false;
    if (!__get_cpuid_count(7, 1, &a, &b, &c, &d)) return false;
    return a & (1u << 5);  // AVX512_BF16
}

/// One pair of bfloat16 values in a 32-bit lane: `low` is the first of the two inner-dimension values.
static inline uint32_t pair(float low, float high) { return (uint32_t)toBF16(low) | ((uint32_t)toBF16(high) << 16); }

/// A thread's packing buffers, grown as needed and kept: the worker threads call this many times a step.
static _Thread_local uint32_t *packedA, *packedB;
static _Thread_local size_t packedACapacity, packedBCapacity;

static bool reserve(uint32_t **buffer, size_t *capacity, size_t count) {
    if (count <= *capacity) return true;
    uint32_t *grown = aligned_alloc(64, (count * 4 + 63) / 64 * 64);
    if (!grown) return false;
    free(*buffer);
    *buffer = grown;
    *capacity = count;
    return true;
}

/// Transposes the 16 × 16 matrix of 32-bit lanes held in `rows` (row `t` in `rows[t]`): pairs of rows
/// interleaved by 32 then 64 bits (within each 128-bit quarter), then the quarters regrouped.
static inline BF16 void transpose16(__m512i rows[16]) {
    __m512i t[16], s[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_epi32(rows[i], rows[i + 1]);
        t[i + 1] = _mm512_unpackhi_epi32(rows[i], rows[i + 1]);
    }
    // s[4q + c], quarter L: column 4L + c of rows 4q ..< 4q + 4.
    for (int q = 0; q < 16; q += 4) {
        s[q] = _mm512_unpacklo_epi64(t[q], t[q + 2]);
        s[q + 1] = _mm512_unpackhi_epi64(t[q], t[q + 2]);
        s[q + 2] = _mm512_unpacklo_epi64(t[q + 1], t[q + 3]);
        s[q + 3] = _mm512_unpackhi_epi64(t[q + 1], t[q + 3]);
    }
    // Column 4L + c: quarter L of s[c], s[4 + c], s[8 + c], s[12 + c].
    for (int c = 0; c < 4; c++) {
        const __m512i low0 = _mm512_shuffle_i32x4(s[c], s[4 + c], 0x44), high0 = _mm512_shuffle_i32x4(s[c], s[4 + c], 0xEE);
        const __m512i low1 = _mm512_shuffle_i32x4(s[8 + c], s[12 + c], 0x44), high1 = _mm512_shuffle_i32x4(s[8 + c], s[12 + c], 0xEE);
        rows[c] = _mm512_shuffle_i32x4(low0, low1, 0x88);
        rows[4 + c] = _mm512_shuffle_i32x4(low0, low1, 0xDD);
        rows[8 + c] = _mm512_shuffle_i32x4(high0, high1, 0x88);
        rows[12 + c] = _mm512_shuffle_i32x4(high0, high1, 0xDD);
    }
}

/// Packs `pairs` pairs of the inner dimension, starting at `k0`, of `count` outer indices starting at
/// `first`; values past `k` or past `count` (up to `width` indices) are zero, so the kernel always runs on
/// whole blocks.
///
/// The output is either one run of indices per pair, `out[p * width + index]` (`pairMajor`: what the
/// micro-kernel reads of B, and of A when A is stored transposed), or one run of pairs per index,
/// `out[index * pairs + p]`. When the source holds the inner dimension contiguously for each outer index
/// (`source[outer * ld + inner]`), 32 values are converted at once; otherwise (`source[inner * ld + outer]`)
/// two source rows are interleaved, 16 indices at once, and the output is pair-major.
static BF16 void pack(const float *source, ptrdiff_t ld, bool innerContiguous, bool pairMajor, ptrdiff_t first, ptrdiff_t count,
                      ptrdiff_t k0, ptrdiff_t pairs, ptrdiff_t k, uint32_t *out, ptrdiff_t width) {
    if (innerContiguous && pairMajor) {
        // Sixteen indices at a time while their rows hold 32 more values: each row's 32 values become 16
        // pairs in one register, and a 16 × 16 transpose turns those into one register per pair, stored
        // whole (rather than 16 scattered 4-byte stores per row).
        ptrdiff_t index = 0;
        for (; index + 16 <= count; index += 16) {
            ptrdiff_t p = 0;
            for (; p + 16 <= pairs && k0 + 2 * p + 32 <= k; p += 16) {
                __m512i lanes[16];
                for (int t = 0; t < 16; t++) {
                    const float *run = source + (first + index + t) * ld + k0 + 2 * p;
                    lanes[t] = (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(run + 16), _mm512_loadu_ps(run));
                }
                transpose16(lanes);
                for (int t = 0; t < 16; t++) _mm512_storeu_si512(out + (p + t) * width + index, lanes[t]);
            }
            for (int t = 0; t < 16; t++) {
                const float *row = source + (first + index + t) * ld;
                for (ptrdiff_t q = p; q < pairs; q++) {
                    const ptrdiff_t i0 = k0 + 2 * q, i1 = i0 + 1;
                    out[q * width + index + t] = pair(i0 < k ? row[i0] : 0, i1 < k ? row[i1] : 0);
                }
            }
        }
        for (; index < width; index++) {
            if (index >= count) {
                for (ptrdiff_t p = 0; p < pairs; p++) out[p * width + index] = 0;
                continue;
            }
            const float *row = source + (first + index) * ld;
            ptrdiff_t p = 0;
            for (; p + 16 <= pairs && k0 + 2 * p + 32 <= k; p += 16) {
                uint32_t lanes[16];
                const __m512 low = _mm512_loadu_ps(row + k0 + 2 * p), high = _mm512_loadu_ps(row + k0 + 2 * p + 16);
                _mm512_storeu_si512(lanes, (__m512i)_mm512_cvtne2ps_pbh(high, low));
                for (int t = 0; t < 16; t++) out[(p + t) * width + index] = lanes[t];
            }
            for (; p < pairs; p++) {
                const ptrdiff_t i0 = k0 + 2 * p, i1 = i0 + 1;
                out[p * width + index] = pair(i0 < k ? row[i0] : 0, i1 < k ? row[i1] : 0);
            }
        }
    } else if (innerContiguous) {
        for (ptrdiff_t index = 0; index < width; index++) {
            uint32_t *run = out + index * pairs;
            if (index >= count) {
                memset(run, 0, (size_t)pairs * 4);
                continue;
            }
            const float *row = source + (first + index) * ld;
            ptrdiff_t p = 0;
            for (; p + 16 <= pairs && k0 + 2 * p + 32 <= k; p += 16) {  // 32 values → 16 pairs at once
                const __m512 low = _mm512_loadu_ps(row + k0 + 2 * p), high = _mm512_loadu_ps(row + k0 + 2 * p + 16);
                _mm512_storeu_si512(run + p, (__m512i)_mm512_cvtne2ps_pbh(high, low));
            }
            for (; p < pairs; p++) {
                const ptrdiff_t i0 = k0 + 2 * p, i1 = i0 + 1;
                run[p] = pair(i0 < k ? row[i0] : 0, i1 < k ? row[i1] : 0);
            }
        }
    } else {
        // Two source rows (inner indices 2p and 2p + 1) interleaved: vpermw puts row 2p's value of
        // each column in the low half of its lane.
        const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                                                    23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
        for (ptrdiff_t p = 0; p < pairs; p++) {
            const ptrdiff_t i0 = k0 + 2 * p, i1 = i0 + 1;
            const float *row0 = source + i0 * ld, *row1 = source + i1 * ld;
            uint32_t *run = out + p * width;
            ptrdiff_t index = 0;
            if (i1 < k) {
                for (; index + 16 <= count; index += 16) {
                    const __m512 x0 = _mm512_loadu_ps(row0 + first + index), x1 = _mm512_loadu_ps(row1 + first + index);
                    const __m512i both = (__m512i)_mm512_cvtne2ps_pbh(x1, x0);
                    _mm512_storeu_si512(run + index, _mm512_permutexvar_epi16(interleave, both));
                }
            }
            for (; index < width; index++) {
                const bool inside = index < count;
                run[index] = pair(inside && i0 < k ? row0[first + index] : 0, inside && i1 < k ? row1[first + index] : 0);
            }
        }
    }
}

/// `eˣ` on sixteen lanes: `exp8` of VectorKernels.c operation for operation, so the same bits.
static inline BF16 __m512 exp16(__m512 x) {
    x = _mm512_min_ps(_mm512_set1_ps(88.0f), _mm512_max_ps(_mm512_set1_ps(-87.0f), x));
    const __m512 shifter = _mm512_set1_ps(12582912.0f);
    const __m512 shifted = _mm512_fmadd_ps(x, _mm512_set1_ps(1.44269504f), shifter);
    const __m512 n = _mm512_sub_ps(shifted, shifter);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.98756915e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.39819995e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.33345190e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.16657959e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.66666655e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.00000012e-1f));
    const __m512 expR = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    __m512i exponent = _mm512_sub_epi32(_mm512_castps_si512(shifted), _mm512_set1_epi32(0x4B400000));
    exponent = _mm512_slli_epi32(_mm512_add_epi32(exponent, _mm512_set1_epi32(127)), 23);
    return _mm512_mul_ps(expR, _mm512_castsi512_ps(exponent));
}

/// The sign bit flipped (`x ^ −0`).
static inline BF16 __m512 negated(__m512 x) {
    return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(x), _mm512_set1_epi32((int)0x80000000u)));
}

/// GELU and its slope on sixteen lanes: `gelu8` of VectorKernels.c operation for operation (erf from
/// Abramowitz and Stegun 7.1.26), so a fused product gives the bits of the product and then `dino_gelu_rows`
/// (ParallelTests checks them). Written out again rather than `gelu8` on each half of the register:
/// that was measured a tenth slower in the forward pass.
static inline BF16 void gelu16(__m512 x, __m512 *value, __m512 *slope) {
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512 u = _mm512_mul_ps(x, _mm512_set1_ps(0.70710678f));
    const __mmask16 negative = _mm512_cmp_ps_mask(u, _mm512_setzero_ps(), _CMP_LT_OQ);
    const __m512 magnitude = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(u), _mm512_set1_epi32(0x7FFFFFFF)));
    const __m512 t = _mm512_div_ps(one, _mm512_fmadd_ps(_mm512_set1_ps(0.3275911f), magnitude, one));
    __m512 p = _mm512_set1_ps(1.061405429f);
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.453152027f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.421413741f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.284496736f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.254829592f));
    const __m512 gaussian = exp16(negated(_mm512_mul_ps(magnitude, magnitude)));
    const __m512 erfMagnitude = _mm512_fnmadd_ps(_mm512_mul_ps(p, t), gaussian, one);
    const __m512 erf = _mm512_mask_blend_ps(negative, erfMagnitude, negated(erfMagnitude));
    const __m512 cdf = _mm512_fmadd_ps(_mm512_set1_ps(0.5f), erf, _mm512_set1_ps(0.5f));
    *value = _mm512_mul_ps(x, cdf);
    *slope = _mm512_fmadd_ps(_mm512_mul_ps(x, gaussian), _mm512_set1_ps(0.39894228f), cdf);
}

/// acc (12 × 32) = packed A rows · packed B panel (pairs × 32), then written to C: `rows × columns` of
/// it, as `alpha·acc + beta·C` (`beta` 0: C is not read), or as `alpha·acc + bias` when `bias` (the
/// panel's `columns` values) is given; then, with `gelu`, GELU of that into C, and its slope into
/// `slope` when that is given (rows `ldc` apart too). Row `r`'s pair `p` is `a[r·rowStride + p·pairStride]`.
static BF16 void kernel(ptrdiff_t pairs, const uint32_t *a, ptrdiff_t rowStride, ptrdiff_t pairStride, const uint32_t *b,
                        float *c, ptrdiff_t ldc, ptrdiff_t rows, ptrdiff_t columns, float alpha, float beta, const float *bias,
                        bool gelu, float *slope) {
    __m512 acc[MR][2];
    for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (ptrdiff_t p = 0; p < pairs; p++) {
        const __m512bh b0 = (__m512bh)_mm512_loadu_si512(b + p * NR), b1 = (__m512bh)_mm512_loadu_si512(b + p * NR + 16);
        const uint32_t *column = a + p * pairStride;
#pragma clang loop unroll(full)
        for (int r = 0; r < MR; r++) {
            const __m512bh ar = (__m512bh)_mm512_set1_epi32((int)column[r * rowStride]);
            acc[r][0] = _mm512_dpbf16_ps(acc[r][0], ar, b0);
            acc[r][1] = _mm512_dpbf16_ps(acc[r][1], ar, b1);
        }
    }
    const __mmask16 mask0 = columns >= 16 ? 0xFFFF : (__mmask16)((1u << columns) - 1);
    const __mmask16 mask1 = columns >= 32 ? 0xFFFF : columns <= 16 ? 0 : (__mmask16)((1u << (columns - 16)) - 1);
    const __m512 alphas = _mm512_set1_ps(alpha), betas = _mm512_set1_ps(beta);
    const __m512 bias0 = bias ? _mm512_maskz_loadu_ps(mask0, bias) : _mm512_setzero_ps();
    const __m512 bias1 = bias ? _mm512_maskz_loadu_ps(mask1, bias + 16) : _mm512_setzero_ps();
    for (ptrdiff_t r = 0; r < rows; r++) {
        float *row = c + r * ldc;
        __m512 v0 = _mm512_mul_ps(acc[r][0], alphas), v1 = _mm512_mul_ps(acc[r][1], alphas);
        if (bias) {
            v0 = _mm512_add_ps(v0, bias0);
            v1 = _mm512_add_ps(v1, bias1);
        } else if (beta != 0) {
            v0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask0, row), betas, v0);
            v1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask1, row + 16), betas, v1);
        }
        if (gelu) {
            __m512 d0, d1;
            gelu16(v0, &v0, &d0);
            gelu16(v1, &v1, &d1);
            if (slope) {
                _mm512_mask_storeu_ps(slope + r * ldc, mask0, d0);
                _mm512_mask_storeu_ps(slope + r * ldc + 16, mask1, d1);
            }
        }
        _mm512_mask_storeu_ps(row, mask0, v0);
        _mm512_mask_storeu_ps(row + 16, mask1, v1);
    }
}

size_t dino_bf16_packed_b_count(ptrdiff_t n, ptrdiff_t k) {
    const ptrdiff_t panels = (n + NR - 1) / NR, blocks = (k + KC - 1) / KC;
    return (size_t)(blocks * panels * (KC / 2) * NR);
}

/// Where block `block`'s panel `panel` starts in a packed op(B): blocks of KC inner values, each
/// `panels` panels of (KC/2 pairs × 32 columns); a short last block keeps the same stride.
static inline size_t panelOffset(ptrdiff_t block, ptrdiff_t panel, ptrdiff_t panels) {
    return (size_t)((block * panels + panel) * (KC / 2) * NR);
}

/// The pairs of the inner-dimension block that starts at `k0`: KC/2, or fewer for a short last block.
static inline ptrdiff_t blockPairs(ptrdiff_t k0, ptrdiff_t k) { return (k0 + KC <= k ? KC : k - k0 + 1) / 2; }

BF16 void dino_bf16_pack_b(bool transpose_b, ptrdiff_t n, ptrdiff_t k, const float *b, ptrdiff_t ldb, uint32_t *packed,
                           ptrdiff_t first_panel, ptrdiff_t panel_count) {
    const ptrdiff_t panels = (n + NR - 1) / NR;
    for (ptrdiff_t k0 = 0; k0 < k; k0 += KC) {
        const ptrdiff_t pairs = blockPairs(k0, k);
        for (ptrdiff_t panel = first_panel; panel < first_panel + panel_count && panel < panels; panel++) {
            const ptrdiff_t j0 = panel * NR, columns = n - j0 < NR ? n - j0 : NR;
            pack(b, ldb, transpose_b, true, j0, columns, k0, pairs, k, packed + panelOffset(k0 / KC, panel, panels), NR);
        }
    }
}

BF16 void dino_bf16_gemm_packed_b(bool transpose_a, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha, const float *a,
                                  ptrdiff_t lda, const uint32_t *packed_b, float beta, float *c, ptrdiff_t ldc,
                                  const float *bias, bool gelu, float *gelu_slope) {
    if (m <= 0 || n <= 0 || k <= 0) return;
    const ptrdiff_t panels = (n + NR - 1) / NR;
    if (!reserve(&packedA, &packedACapacity, (size_t)((KC / 2) * MC))) {
        abort();  // 147 kB: out of memory here means the process cannot go on
    }
    const bool aContiguous = !transpose_a;
    for (ptrdiff_t k0 = 0; k0 < k; k0 += KC) {
        const ptrdiff_t pairs = blockPairs(k0, k);
        // The first block writes alpha·AB + beta·C (or + bias); later blocks add to it.
        const float blockBeta = k0 == 0 ? beta : 1;
        const float *blockBias = k0 == 0 ? bias : NULL;
        const bool lastBlock = k0 + KC >= k;  // GELU once the sums are whole
        const ptrdiff_t rowStride = aContiguous ? pairs : 1, pairStride = aContiguous ? 1 : MC;
        for (ptrdiff_t i0 = 0; i0 < m; i0 += MC) {
            const ptrdiff_t blockRows = m - i0 < MC ? m - i0 : MC;
            pack(a, lda, aContiguous, !aContiguous, i0, blockRows, k0, pairs, k, packedA, MC);
            // Twelve rows of A stay in the first-level cache while every panel of B streams past them.
            for (ptrdiff_t r0 = 0; r0 < blockRows; r0 += MR) {
                const ptrdiff_t rows = blockRows - r0 < MR ? blockRows - r0 : MR;
                for (ptrdiff_t panel = 0; panel < panels; panel++) {
                    const ptrdiff_t j0 = panel * NR, columns = n - j0 < NR ? n - j0 : NR;
                    kernel(pairs, packedA + r0 * rowStride, rowStride, pairStride, packed_b + panelOffset(k0 / KC, panel, panels),
                           c + (i0 + r0) * ldc + j0, ldc, rows, columns, alpha, blockBeta, blockBias ? blockBias + j0 : NULL,
                           gelu && lastBlock, gelu && lastBlock && gelu_slope ? gelu_slope + (i0 + r0) * ldc + j0 : NULL);
                }
            }
        }
    }
}

void dino_bf16_gemm(bool transpose_a, bool transpose_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                    const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float beta, float *c, ptrdiff_t ldc) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {  // an empty sum: C = beta·C
        for (ptrdiff_t i = 0; i < m; i++)
            for (ptrdiff_t j = 0; j < n; j++) c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j];
        return;
    }
    if (!reserve(&packedB, &packedBCapacity, dino_bf16_packed_b_count(n, k))) abort();
    dino_bf16_pack_b(transpose_b, n, k, b, ldb, packedB, 0, (n + NR - 1) / NR);
    dino_bf16_gemm_packed_b(transpose_a, m, n, k, alpha, a, lda, packedB, beta, c, ldc, NULL, false, NULL);
}

#else

bool dino_bf16_available(void) { return false; }

size_t dino_bf16_packed_b_count(ptrdiff_t n, ptrdiff_t k) { return 0; }

void dino_bf16_pack_b(bool transpose_b, ptrdiff_t n, ptrdiff_t k, const float *b, ptrdiff_t ldb, uint32_t *packed,
                      ptrdiff_t first_panel, ptrdiff_t panel_count) {
    abort();  // never called: dino_bf16_available() is false
}

void dino_bf16_gemm_packed_b(bool transpose_a, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha, const float *a,
                             ptrdiff_t lda, const uint32_t *packed_b, float beta, float *c, ptrdiff_t ldc, const float *bias,
                             bool gelu, float *gelu_slope) {
    abort();  // never called: dino_bf16_available() is false
}

void dino_bf16_gemm(bool transpose_a, bool transpose_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                    const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float beta, float *c, ptrdiff_t ldc) {
    abort();  // never called: dino_bf16_available() is false
}

#endif
