/*
 * graph_comb_native.c - the GRAPH mode's fp32 combination on the host's
 * vector units (native emulation only; never synthesized).
 *
 * Every output keeps its own running sum over k ascending, product and sum
 * each rounded (the build's C11 mode keeps mul and add apart: no FMA), so
 * the result is the kernel's bit for bit whichever way rows and columns
 * are grouped. The host version groups them for its registers: a group of
 * rows times 16 columns of running sums, one k a step (a row's a[r][k]
 * broadcast against 16 weights of row k of the k-major copy). A group's
 * rows are first copied a chunk of k at a time to a compact buffer: the
 * kernel's block buffer has rows 32 KiB apart, all in one L1 set.
 *
 * One generic body (GCC vector extensions) built three times, 12 rows a
 * group: AVX-512 (16 columns a vector), AVX2 (8) and baseline SSE2 (4);
 * hls_native_isa() picks one at run time, CHIMERA_EMU_ISA forces one (the
 * tests run all three).
 */
#include <stdlib.h>
#include <string.h>

#include "graph_comb_native.h"
#include "hls_native.h"

#ifndef __SYNTHESIS__ /* native emulation only: empty on the path Vitis HLS sees */

#define CW 16  /* weight rows padded to this many columns: one 64-byte vector */
#define KC 256 /* taps a copied chunk */

typedef float v16f __attribute__((vector_size(64), may_alias));

static int32_t round16(int32_t o)
{
    return (o + CW - 1) / CW * CW;
}

float *graph_wt_f32(const float *w, int32_t o, int32_t k_len)
{
    const int32_t op = round16(o);
    float *wt = aligned_alloc(64, (size_t)k_len * (size_t)op * sizeof(float) + 64);
    if (!wt)
        return NULL;
    for (int32_t k = 0; k < k_len; k++) {
        float *row = wt + (int64_t)k * op;
        for (int32_t c = 0; c < op; c++)
            row[c] = c < o ? w[(int64_t)c * k_len + k] : 0.0f;
    }
    return wt;
}

typedef struct comb_args {
    const float *a, *wt, *bias;
    int64_t lda, ldd;
    int32_t nr, k_len, o, relu;
    float *dst;
} comb_args;

/* Bias and activation of one row's columns [c0, c0 + nc), as the kernel's store. */
static inline void store_row(const comb_args *p, int32_t r, int32_t c0, int32_t nc, const float *s)
{
    float *d = p->dst + r * p->ldd + c0;
    for (int32_t c = 0; c < nc; c++) {
        const float v = s[c] + (p->bias ? p->bias[c0 + c] : 0.0f);
        d[c] = p->relu && v < 0.0f ? 0.0f : v;
    }
}

/*
 * NAME(p, r0, n): rows [r0, r0 + n), every column, with vectors VT of VW
 * floats and groups of up to RGN rows (RGN running sums in registers). A
 * group's rows are copied KC taps at a time (rows past n are zeros: they
 * are computed and never stored).
 */
#define COMB_ROWS(NAME, ATTR, VT, VW, RGN)                                                       \
    ATTR static void NAME(const comb_args *p, int32_t r0, int32_t n)                           \
    {                                                                                          \
        const int32_t op = round16(p->o);                                                      \
        float ap[RGN][KC];                                                                     \
        memset(ap, 0, sizeof ap);                                                              \
        for (int32_t r = r0; r < r0 + n; r += RGN) {                                           \
            const int32_t nr = r0 + n - r < RGN ? r0 + n - r : RGN;                            \
            for (int32_t c0 = 0; c0 < p->o; c0 += VW) {                                        \
                VT s[RGN];                                                                     \
                for (int32_t i = 0; i < RGN; i++)                                              \
                    s[i] = (VT){ 0 };                                                          \
                for (int32_t k0 = 0; k0 < p->k_len; k0 += KC) {                                \
                    const int32_t kc = p->k_len - k0 < KC ? p->k_len - k0 : KC;                \
                    for (int32_t i = 0; i < RGN; i++) {                                        \
                        if (i < nr)                                                            \
                            memcpy(ap[i], p->a + (r + i) * p->lda + k0, (size_t)kc * 4);       \
                        else if (k0 == 0 && c0 == 0)                                           \
                            memset(ap[i], 0, sizeof ap[i]);                                    \
                    }                                                                          \
                    const float *wk = p->wt + (int64_t)k0 * op + c0;                           \
                    /* the next group's rows of this chunk, a line a step, while this one runs */ \
                    const float *next = p->a + (r + RGN) * p->lda + k0;                        \
                    const int32_t pf = r + RGN < r0 + n && c0 + VW >= p->o ? RGN * KC / 16 : 0;  \
                    for (int32_t k = 0; k < kc; k++, wk += op) {                               \
                        if (k < pf)                                                            \
                            __builtin_prefetch(next + (k / 16) % RGN * p->lda + k % 16 * 16);  \
                        const VT wv = *(const VT *)wk;                                         \
                        for (int32_t i = 0; i < RGN; i++)                                      \
                            s[i] = s[i] + ap[i][k] * wv;                                       \
                    }                                                                          \
                }                                                                              \
                const int32_t nc = p->o - c0 < VW ? p->o - c0 : VW;                            \
                for (int32_t i = 0; i < nr; i++) {                                             \
                    float out[VW];                                                             \
                    memcpy(out, &s[i], sizeof out);                                            \
                    store_row(p, r + i, c0, nc, out);                                          \
                }                                                                              \
            }                                                                                  \
        }                                                                                      \
    }

typedef float v4f __attribute__((vector_size(16), may_alias));
COMB_ROWS(rows_plain, , v4f, 4, 12)
#if defined(__x86_64__) && defined(__GNUC__)
typedef float v8f __attribute__((vector_size(32), may_alias));
COMB_ROWS(rows_avx2, __attribute__((target("avx2"))), v8f, 8, 12)
COMB_ROWS(rows_avx512, __attribute__((target("avx512f"))), v16f, 16, 12)
#endif

void graph_comb_f32_host(const float *a, int64_t lda, int32_t nr, int32_t k_len, const float *wt,
                         int32_t o, const float *bias, int32_t relu, float *dst, int64_t ldd)
{
    const comb_args p = { a, wt, bias, lda, ldd, nr, k_len, o, relu, dst };
    void (*fn)(const comb_args *, int32_t, int32_t) = rows_plain;
#if defined(__x86_64__) && defined(__GNUC__)
    const int isa = hls_native_isa();
    fn = isa == HLS_ISA_AVX512 ? rows_avx512 : isa == HLS_ISA_AVX2 ? rows_avx2 : rows_plain;
#endif
    /* Slices of 96 rows (a multiple of every group size), side by side on the host's cores. */
    const int32_t slice = 96, slices = (nr + slice - 1) / slice;
#if defined(_OPENMP)
#pragma omp parallel for schedule(dynamic) num_threads(hls_native_threads(slices)) if (slices > 1)
#endif
    for (int32_t s = 0; s < slices; s++)
        fn(&p, s * slice, nr - s * slice < slice ? nr - s * slice : slice);
}

#endif /* __SYNTHESIS__ */
