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

#else

// Not x86-64: the Swift versions run instead.
bool dino_vector_kernels_available(void) { return false; }
void dino_gelu_rows(const float *x, const float *bias, float *y, float *slope, ptrdiff_t rows, ptrdiff_t width) {}
void dino_softmax_rows(float *x, ptrdiff_t rows, ptrdiff_t width, float inverse_temperature) {}
void dino_layernorm_rows(const float *x, const float *gamma, const float *beta, float epsilon,
                         float *normalized, float *y, float *inverse_deviation, ptrdiff_t rows, ptrdiff_t width) {}
void dino_layernorm_backward_rows(const float *dy, const float *normalized, const float *inverse_deviation,
                                  const float *gamma, float *dx, float *dgamma, float *dbeta,
                                  ptrdiff_t rows, ptrdiff_t width) {}

#endif
