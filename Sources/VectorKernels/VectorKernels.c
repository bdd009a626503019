// AVX2/FMA versions of GELU, softmax and LayerNorm: see include/VectorKernels.h for why and what.
#include "VectorKernels.h"

#include <math.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))

bool dino_vector_kernels_available(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
    const bool osSavesRegisters = c & (1u << 27), hasAVX = c & (1u << 28), hasFMA = c & (1u << 12);
    if (!(osSavesRegisters && hasAVX && hasFMA)) return false;
    // The operating system must save the 256-bit registers on a context switch (XCR0 bits 1 and 2).
    unsigned low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    if ((low & 6) != 6) return false;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
    return b & (1u << 5);
}

/// Lanes `0..<count` set, the others clear: the mask for a row's last, partial, eight floats.
static inline AVX2 __m256i firstLanes(ptrdiff_t count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

static inline AVX2 float sumLanes(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline AVX2 float maxLanes(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

static inline AVX2 double sumDoubleLanes(__m256d v) {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

/// `eˣ`, the Cephes polynomial of `fastExp` in FastExp.swift. The clamp keeps NaN: `max_ps` returns
/// its second operand when either is NaN.
static inline AVX2 __m256 exp8(__m256 x) {
    x = _mm256_min_ps(_mm256_set1_ps(88.0f), _mm256_max_ps(_mm256_set1_ps(-87.0f), x));
    const __m256 shifter = _mm256_set1_ps(12582912.0f);
    const __m256 shifted = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504f), shifter);
    const __m256 n = _mm256_sub_ps(shifted, shifter);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.98756915e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.39819995e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.33345190e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.16657959e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.66666655e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.00000012e-1f));
    const __m256 expR = _mm256_fmadd_ps(_mm256_mul_ps(p, r), r, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    __m256i exponent = _mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_set1_epi32(0x4B400000));
    exponent = _mm256_slli_epi32(_mm256_add_epi32(exponent, _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(expR, _mm256_castsi256_ps(exponent));
}

/// GELU and its slope, as `geluValueAndSlope` in GELU.swift: erf from Abramowitz and Stegun 7.1.26,
/// whose `exp(−u²)` is also the Gaussian the slope needs.
static inline AVX2 void gelu8(__m256 x, __m256 *value, __m256 *slope) {
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 u = _mm256_mul_ps(x, _mm256_set1_ps(0.70710678f));
    const __m256 negative = _mm256_cmp_ps(u, _mm256_setzero_ps(), _CMP_LT_OQ);
    const __m256 magnitude = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), u);
    const __m256 t = _mm256_div_ps(one, _mm256_fmadd_ps(_mm256_set1_ps(0.3275911f), magnitude, one));
    __m256 p = _mm256_set1_ps(1.061405429f);
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.453152027f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.421413741f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.284496736f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.254829592f));
    const __m256 gaussian = exp8(_mm256_xor_ps(_mm256_mul_ps(magnitude, magnitude), _mm256_set1_ps(-0.0f)));
    const __m256 erfMagnitude = _mm256_fnmadd_ps(_mm256_mul_ps(p, t), gaussian, one);
    const __m256 erf = _mm256_blendv_ps(erfMagnitude, _mm256_xor_ps(erfMagnitude, _mm256_set1_ps(-0.0f)), negative);
    const __m256 cdf = _mm256_fmadd_ps(_mm256_set1_ps(0.5f), erf, _mm256_set1_ps(0.5f));
    *value = _mm256_mul_ps(x, cdf);
    *slope = _mm256_fmadd_ps(_mm256_mul_ps(x, gaussian), _mm256_set1_ps(0.39894228f), cdf);
}

AVX2 void dino_gelu_rows(const float *x, const float *bias, float *y, float *slope, ptrdiff_t rows, ptrdiff_t width) {
    const ptrdiff_t full = width / 8 * 8;
    const __m256i tail = firstLanes(width - full);
    for (ptrdiff_t row = 0; row < rows; row++) {
        const float *xRow = x + row * width;
        float *yRow = y + row * width, *slopeRow = slope ? slope + row * width : NULL;
        for (ptrdiff_t j = 0; j < width; j += 8) {
            const bool whole = j < full;
            __m256 v = whole ? _mm256_loadu_ps(xRow + j) : _mm256_maskload_ps(xRow + j, tail);
            if (bias) v = _mm256_add_ps(v, whole ? _mm256_loadu_ps(bias + j) : _mm256_maskload_ps(bias + j, tail));
            __m256 value, derivative;
            gelu8(v, &value, &derivative);
            if (whole) {
                _mm256_storeu_ps(yRow + j, value);
                if (slopeRow) _mm256_storeu_ps(slopeRow + j, derivative);
            } else {
                _mm256_maskstore_ps(yRow + j, tail, value);
                if (slopeRow) _mm256_maskstore_ps(slopeRow + j, tail, derivative);
            }
        }
    }
}

AVX2 void dino_adamw_update(float *p, float *m, float *v, const float *g, ptrdiff_t count, float beta1, float beta2,
                            float step_size, float root, float epsilon, float shrink, bool decays) {
    // Separate multiplies and adds, never fused: the Swift lanes round each product on its own.
    const __m256 b1 = _mm256_set1_ps(beta1), b2 = _mm256_set1_ps(beta2);
    const __m256 c1 = _mm256_set1_ps(1 - beta1), c2 = _mm256_set1_ps(1 - beta2);
    const __m256 step = _mm256_set1_ps(step_size), rootLanes = _mm256_set1_ps(root), eps = _mm256_set1_ps(epsilon);
    const __m256 shrinkLanes = _mm256_set1_ps(shrink);
    for (ptrdiff_t i = 0; i < count; i += 8) {
        const bool whole = i + 8 <= count;
        const __m256i mask = firstLanes(count - i);
        __m256 pv = whole ? _mm256_loadu_ps(p + i) : _mm256_maskload_ps(p + i, mask);
        __m256 mv = whole ? _mm256_loadu_ps(m + i) : _mm256_maskload_ps(m + i, mask);
        __m256 vv = whole ? _mm256_loadu_ps(v + i) : _mm256_maskload_ps(v + i, mask);
        const __m256 gv = whole ? _mm256_loadu_ps(g + i) : _mm256_maskload_ps(g + i, mask);
        if (decays) pv = _mm256_mul_ps(pv, shrinkLanes);
        mv = _mm256_add_ps(_mm256_mul_ps(mv, b1), _mm256_mul_ps(gv, c1));
        vv = _mm256_add_ps(_mm256_mul_ps(vv, b2), _mm256_mul_ps(_mm256_mul_ps(gv, gv), c2));
        const __m256 denominator = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vv), rootLanes), eps);
        pv = _mm256_sub_ps(pv, _mm256_mul_ps(step, _mm256_div_ps(mv, denominator)));
        if (whole) {
            _mm256_storeu_ps(p + i, pv);
            _mm256_storeu_ps(m + i, mv);
            _mm256_storeu_ps(v + i, vv);
        } else {
            _mm256_maskstore_ps(p + i, mask, pv);
            _mm256_maskstore_ps(m + i, mask, mv);
            _mm256_maskstore_ps(v + i, mask, vv);
        }
    }
}

AVX2 void dino_softmax_rows(float *x, ptrdiff_t rows, ptrdiff_t width, float inverse_temperature) {
    const ptrdiff_t full = width / 8 * 8;
    const __m256i tail = firstLanes(width - full);
    const __m256 minusInfinity = _mm256_set1_ps(-INFINITY), scale = _mm256_set1_ps(inverse_temperature);
    for (ptrdiff_t row = 0; row < rows; row++) {
        float *xRow = x + row * width;
        __m256 maxima = minusInfinity;
        for (ptrdiff_t j = 0; j < full; j += 8) maxima = _mm256_max_ps(maxima, _mm256_loadu_ps(xRow + j));
        if (full < width) {
            const __m256 v = _mm256_blendv_ps(minusInfinity, _mm256_maskload_ps(xRow + full, tail), _mm256_castsi256_ps(tail));
            maxima = _mm256_max_ps(maxima, v);
        }
        const __m256 maximum = _mm256_set1_ps(maxLanes(maxima));
        __m256 sums = _mm256_setzero_ps();
        for (ptrdiff_t j = 0; j < full; j += 8) {
            const __m256 e = exp8(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xRow + j), maximum), scale));
            _mm256_storeu_ps(xRow + j, e);
            sums = _mm256_add_ps(sums, e);
        }
        if (full < width) {
            __m256 e = exp8(_mm256_mul_ps(_mm256_sub_ps(_mm256_maskload_ps(xRow + full, tail), maximum), scale));
            e = _mm256_and_ps(e, _mm256_castsi256_ps(tail));
            _mm256_maskstore_ps(xRow + full, tail, e);
            sums = _mm256_add_ps(sums, e);
        }
        const float normaliser = 1.0f / sumLanes(sums);
        const __m256 normaliserLanes = _mm256_set1_ps(normaliser);
        for (ptrdiff_t j = 0; j < full; j += 8) _mm256_storeu_ps(xRow + j, _mm256_mul_ps(_mm256_loadu_ps(xRow + j), normaliserLanes));
        for (ptrdiff_t j = full; j < width; j++) xRow[j] *= normaliser;
    }
}

AVX2 void dino_layernorm_rows(const float *x, const float *gamma, const float *beta, float epsilon,
                              float *normalized, float *y, float *inverse_deviation, ptrdiff_t rows, ptrdiff_t width) {
    const ptrdiff_t full = width / 8 * 8;
    for (ptrdiff_t row = 0; row < rows; row++) {
        const float *xRow = x + row * width;
        // Mean, then the centred sum of squares, in double: rows with a large mean keep their digits.
        __m256d low = _mm256_setzero_pd(), high = _mm256_setzero_pd();
        double rest = 0;
        for (ptrdiff_t j = 0; j < full; j += 8) {
            const __m256 v = _mm256_loadu_ps(xRow + j);
            low = _mm256_add_pd(low, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
            high = _mm256_add_pd(high, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
        }
        for (ptrdiff_t j = full; j < width; j++) rest += xRow[j];
        const double mean = (sumDoubleLanes(_mm256_add_pd(low, high)) + rest) / (double)width;
        const __m256d meanLanes = _mm256_set1_pd(mean);
        low = _mm256_setzero_pd(), high = _mm256_setzero_pd(), rest = 0;
        for (ptrdiff_t j = 0; j < full; j += 8) {
            const __m256 v = _mm256_loadu_ps(xRow + j);
            const __m256d centredLow = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), meanLanes);
            const __m256d centredHigh = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)), meanLanes);
            low = _mm256_fmadd_pd(centredLow, centredLow, low);
            high = _mm256_fmadd_pd(centredHigh, centredHigh, high);
        }
        for (ptrdiff_t j = full; j < width; j++) rest += ((double)xRow[j] - mean) * ((double)xRow[j] - mean);
        const double variance = (sumDoubleLanes(_mm256_add_pd(low, high)) + rest) / (double)width;
        const float inverse = (float)(1.0 / sqrt(variance + (double)epsilon));
        inverse_deviation[row] = inverse;
        const __m256 meanFloat = _mm256_set1_ps((float)mean), inverseLanes = _mm256_set1_ps(inverse);
        float *yRow = y + row * width, *normalizedRow = normalized ? normalized + row * width : NULL;
        for (ptrdiff_t j = 0; j < full; j += 8) {
            const __m256 xHat = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xRow + j), meanFloat), inverseLanes);
            if (normalizedRow) _mm256_storeu_ps(normalizedRow + j, xHat);
            _mm256_storeu_ps(yRow + j, _mm256_fmadd_ps(xHat, _mm256_loadu_ps(gamma + j), _mm256_loadu_ps(beta + j)));
        }
        for (ptrdiff_t j = full; j < width; j++) {
            const float xHat = (xRow[j] - (float)mean) * inverse;
            if (normalizedRow) normalizedRow[j] = xHat;
            yRow[j] = fmaf(xHat, gamma[j], beta[j]);
        }
    }
}

AVX2 void dino_layernorm_backward_rows(const float *dy, const float *normalized, const float *inverse_deviation,
                                       const float *gamma, float *dx, float *dgamma, float *dbeta,
                                       ptrdiff_t rows, ptrdiff_t width) {
    const ptrdiff_t full = width / 8 * 8;
    for (ptrdiff_t row = 0; row < rows; row++) {
        const float *dyRow = dy + row * width, *xHatRow = normalized + row * width;
        __m256 sumG = _mm256_setzero_ps(), sumGX = _mm256_setzero_ps();
        float restG = 0, restGX = 0;
        for (ptrdiff_t j = 0; j < full; j += 8) {
            const __m256 d = _mm256_loadu_ps(dyRow + j), xHat = _mm256_loadu_ps(xHatRow + j);
            const __m256 g = _mm256_mul_ps(d, _mm256_loadu_ps(gamma + j));
            sumG = _mm256_add_ps(sumG, g);
            sumGX = _mm256_fmadd_ps(g, xHat, sumGX);
            _mm256_storeu_ps(dgamma + j, _mm256_fmadd_ps(d, xHat, _mm256_loadu_ps(dgamma + j)));
            _mm256_storeu_ps(dbeta + j, _mm256_add_ps(d, _mm256_loadu_ps(dbeta + j)));
        }
        for (ptrdiff_t j = full; j < width; j++) {
            const float g = dyRow[j] * gamma[j];
            restG += g;
            restGX += g * xHatRow[j];
            dgamma[j] += dyRow[j] * xHatRow[j];
            dbeta[j] += dyRow[j];
        }
        const float meanG = (sumLanes(sumG) + restG) / (float)width, meanGX = (sumLanes(sumGX) + restGX) / (float)width;
        const __m256 meanGLanes = _mm256_set1_ps(meanG), meanGXLanes = _mm256_set1_ps(meanGX);
        const __m256 inverse = _mm256_set1_ps(inverse_deviation[row]);
        float *dxRow = dx + row * width;
        for (ptrdiff_t j = 0; j < full; j += 8) {
            const __m256 g = _mm256_mul_ps(_mm256_loadu_ps(dyRow + j), _mm256_loadu_ps(gamma + j));
            const __m256 centred = _mm256_fnmadd_ps(_mm256_loadu_ps(xHatRow + j), meanGXLanes, _mm256_sub_ps(g, meanGLanes));
            _mm256_storeu_ps(dxRow + j, _mm256_mul_ps(centred, inverse));
        }
        for (ptrdiff_t j = full; j < width; j++) {
            dxRow[j] = (dyRow[j] * gamma[j] - meanG - xHatRow[j] * meanGX) * inverse_deviation[row];
        }
    }
}

/// Stores `alpha · sum + beta · C` (C not read when beta is 0) into the lanes of `c` that `mask` selects.
static inline AVX2 void storeScaled(float *c, __m256 sum, float alpha, float beta, bool whole, __m256i mask) {
    __m256 value = _mm256_mul_ps(sum, _mm256_set1_ps(alpha));
    if (beta != 0) {
        const __m256 old = whole ? _mm256_loadu_ps(c) : _mm256_maskload_ps(c, mask);
        value = _mm256_fmadd_ps(old, _mm256_set1_ps(beta), value);
    }
    if (whole) _mm256_storeu_ps(c, value); else _mm256_maskstore_ps(c, mask, value);
}

/// A block of `rows` rows by `vectors` × 8 columns of `C = alpha · op(A) · B + beta · C`, B not transposed:
/// a row of C is a sum of rows of B, `Σ_p A(i, p) · B[p, :]`, the block held in `rows × vectors` registers.
/// `a` points at element (i, 0) of op(A); `aRow` steps to (i + 1, p), `aColumn` to (i, p + 1). The last
/// vector keeps only the lanes of `lastMask`. Called with constant `rows` and `vectors`, so that it unrolls.
static inline __attribute__((always_inline)) AVX2 void rowBlock(
    const int rows, const int vectors, __m256i lastMask, ptrdiff_t k, float alpha,
    const float *a, ptrdiff_t aRow, ptrdiff_t aColumn, const float *b, ptrdiff_t ldb, float beta, float *c, ptrdiff_t ldc) {
    const __m256i all = _mm256_set1_epi32(-1);
    __m256 sums[4][4];
    for (int r = 0; r < rows; r++) for (int v = 0; v < vectors; v++) sums[r][v] = _mm256_setzero_ps();
    for (ptrdiff_t p = 0; p < k; p++) {
        const float *bRow = b + p * ldb;
        __m256 bLanes[4];
        for (int v = 0; v < vectors - 1; v++) bLanes[v] = _mm256_loadu_ps(bRow + 8 * v);
        bLanes[vectors - 1] = _mm256_maskload_ps(bRow + 8 * (vectors - 1), lastMask);
        for (int r = 0; r < rows; r++) {
            const __m256 x = _mm256_broadcast_ss(a + r * aRow + p * aColumn);
            for (int v = 0; v < vectors; v++) sums[r][v] = _mm256_fmadd_ps(x, bLanes[v], sums[r][v]);
        }
    }
    for (int r = 0; r < rows; r++) {
        for (int v = 0; v < vectors; v++) {
            const bool last = v == vectors - 1;
            storeScaled(c + r * ldc + 8 * v, sums[r][v], alpha, beta, !last, last ? lastMask : all);
        }
    }
}

/// `C = alpha · op(A) · B + beta · C` for B not transposed: 32 columns at a time in blocks of two rows,
/// then the remaining columns (up to four vectors, the last masked) in blocks of up to four rows.
static AVX2 void smallTimesB(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha, const float *a, ptrdiff_t aRow,
                             ptrdiff_t aColumn, const float *b, ptrdiff_t ldb, float beta, float *c, ptrdiff_t ldc) {
    const __m256i all = _mm256_set1_epi32(-1);
    const ptrdiff_t wide = n / 32 * 32;
    for (ptrdiff_t j = 0; j < wide; j += 32) {
        ptrdiff_t i = 0;
        for (; i + 2 <= m; i += 2) rowBlock(2, 4, all, k, alpha, a + i * aRow, aRow, aColumn, b + j, ldb, beta, c + i * ldc + j, ldc);
        if (i < m) rowBlock(1, 4, all, k, alpha, a + i * aRow, aRow, aColumn, b + j, ldb, beta, c + i * ldc + j, ldc);
    }
    const ptrdiff_t rest = n - wide;
    if (rest == 0) return;
    const int vectors = (int)((rest + 7) / 8);
    const __m256i mask = firstLanes(rest - 8 * (vectors - 1));
    const float *bRest = b + wide;
    float *cRest = c + wide;
    ptrdiff_t i = 0;
    switch (vectors) {
    case 1:
        for (; i + 4 <= m; i += 4) rowBlock(4, 1, mask, k, alpha, a + i * aRow, aRow, aColumn, bRest, ldb, beta, cRest + i * ldc, ldc);
        for (; i < m; i++) rowBlock(1, 1, mask, k, alpha, a + i * aRow, aRow, aColumn, bRest, ldb, beta, cRest + i * ldc, ldc);
        break;
    case 2:
        for (; i + 4 <= m; i += 4) rowBlock(4, 2, mask, k, alpha, a + i * aRow, aRow, aColumn, bRest, ldb, beta, cRest + i * ldc, ldc);
        for (; i < m; i++) rowBlock(1, 2, mask, k, alpha, a + i * aRow, aRow, aColumn, bRest, ldb, beta, cRest + i * ldc, ldc);
        break;
    case 3:
        for (; i + 2 <= m; i += 2) rowBlock(2, 3, mask, k, alpha, a + i * aRow, aRow, aColumn, bRest, ldb, beta, cRest + i * ldc, ldc);
        for (; i < m; i++) rowBlock(1, 3, mask, k, alpha, a + i * aRow, aRow, aColumn, bRest, ldb, beta, cRest + i * ldc, ldc);
        break;
    default:
        for (; i + 2 <= m; i += 2) rowBlock(2, 4, mask, k, alpha, a + i * aRow, aRow, aColumn, bRest, ldb, beta, cRest + i * ldc, ldc);
        for (; i < m; i++) rowBlock(1, 4, mask, k, alpha, a + i * aRow, aRow, aColumn, bRest, ldb, beta, cRest + i * ldc, ldc);
    }
}

/// `destination` `(k, n)` = the transpose of `source` `(n, k)` (rows `ldb` apart): 8×8 blocks in registers
/// (unpack, shuffle, swap halves), the ragged edges one element at a time.
static AVX2 void transposeInto(float *destination, const float *source, ptrdiff_t ldb, ptrdiff_t n, ptrdiff_t k) {
    const ptrdiff_t fullRows = n / 8 * 8, fullColumns = k / 8 * 8;
    for (ptrdiff_t j = 0; j < fullRows; j += 8) {
        for (ptrdiff_t p = 0; p < fullColumns; p += 8) {
            __m256 r[8], t[8], u[8];
            for (int q = 0; q < 8; q++) r[q] = _mm256_loadu_ps(source + (j + q) * ldb + p);
            for (int q = 0; q < 8; q += 2) {
                t[q] = _mm256_unpacklo_ps(r[q], r[q + 1]);
                t[q + 1] = _mm256_unpackhi_ps(r[q], r[q + 1]);
            }
            for (int q = 0; q < 8; q += 4) {
                u[q] = _mm256_shuffle_ps(t[q], t[q + 2], 0x44);
                u[q + 1] = _mm256_shuffle_ps(t[q], t[q + 2], 0xEE);
                u[q + 2] = _mm256_shuffle_ps(t[q + 1], t[q + 3], 0x44);
                u[q + 3] = _mm256_shuffle_ps(t[q + 1], t[q + 3], 0xEE);
            }
            for (int q = 0; q < 4; q++) {
                _mm256_storeu_ps(destination + (p + q) * n + j, _mm256_permute2f128_ps(u[q], u[q + 4], 0x20));
                _mm256_storeu_ps(destination + (p + q + 4) * n + j, _mm256_permute2f128_ps(u[q], u[q + 4], 0x31));
            }
        }
        for (ptrdiff_t p = fullColumns; p < k; p++) {
            for (ptrdiff_t q = j; q < j + 8; q++) destination[p * n + q] = source[q * ldb + p];
        }
    }
    for (ptrdiff_t q = fullRows; q < n; q++) {
        for (ptrdiff_t p = 0; p < k; p++) destination[p * n + q] = source[q * ldb + p];
    }
}

AVX2 void dino_small_gemm(bool transpose_a, bool transpose_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                          const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb,
                          float beta, float *c, ptrdiff_t ldc) {
    // Element (i, p) of op(A): A[i, p], or A[p, i] when A is stored transposed.
    const ptrdiff_t aRow = transpose_a ? 1 : lda, aColumn = transpose_a ? lda : 1;
    if (!transpose_b) {
        smallTimesB(m, n, k, alpha, a, aRow, aColumn, b, ldb, beta, c, ldc);
        return;
    }
    // op(B) = Bᵀ: copied once into (k, n) rows, so that the rows of C are again sums of rows; the copy is
    // n·k floats beside m·n·k multiply-adds. Small products only: the copy lives on the stack.
    enum { largest = 16384 };
    if (n * k <= largest) {
        float transposed[largest];
        transposeInto(transposed, b, ldb, n, k);
        smallTimesB(m, n, k, alpha, a, aRow, aColumn, transposed, n, beta, c, ldc);
        return;
    }
    for (ptrdiff_t i = 0; i < m; i++) {
        for (ptrdiff_t j = 0; j < n; j++) {
            float sum = 0;
            for (ptrdiff_t p = 0; p < k; p++) sum = fmaf(a[i * aRow + p * aColumn], b[j * ldb + p], sum);
            c[i * ldc + j] = alpha * sum + (beta != 0 ? beta * c[i * ldc + j] : 0);
        }
    }
}

#else

// Not x86-64: the Swift versions run instead.
bool dino_vector_kernels_available(void) { return false; }
void dino_gelu_rows(const float *x, const float *bias, float *y, float *slope, ptrdiff_t rows, ptrdiff_t width) {}
void dino_adamw_update(float *p, float *m, float *v, const float *g, ptrdiff_t count, float beta1, float beta2,
                       float step_size, float root, float epsilon, float shrink, bool decays) {}
void dino_softmax_rows(float *x, ptrdiff_t rows, ptrdiff_t width, float inverse_temperature) {}
void dino_layernorm_rows(const float *x, const float *gamma, const float *beta, float epsilon,
                         float *normalized, float *y, float *inverse_deviation, ptrdiff_t rows, ptrdiff_t width) {}
void dino_layernorm_backward_rows(const float *dy, const float *normalized, const float *inverse_deviation,
                                  const float *gamma, float *dx, float *dgamma, float *dbeta,
                                  ptrdiff_t rows, ptrdiff_t width) {}
void dino_small_gemm(bool transpose_a, bool transpose_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                     const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb,
                     float beta, float *c, ptrdiff_t ldc) {}

#endif
