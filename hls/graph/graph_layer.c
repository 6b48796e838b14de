/*
 * graph_layer.c - the GRAPH mode's kernel: a GCN, GraphSAGE or GIN layer.
 *
 * The combination engine is the CNN mode's systolic core (gemm_core.h):
 * gemm_core_mac itself for int8 and the same core instantiated for fp32.
 * In AC order the aggregation of block b and the combination of block b - 1
 * run at once (DATAFLOW over the block loop; the aggregated block is the
 * ping-pong channel between them). int8 stages requantize as the CNN mode
 * does (hls_quant.h); each stage's multiplier comes in the descriptor.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "gemm_core.h"
#include "graph_engines.h"
#ifndef __SYNTHESIS__
#include <stdlib.h>

#include "cnn_store_native.h"
#include "graph_comb_native.h"
#include "hls_native.h"
#endif
#include "hls_bytes.h"
#include "hls_quant.h"

/*
 * The fp32 PEs of one array row: each PE's sum is one multiply and one add
 * a step, k ascending, no FMA (the order the reference documents); the
 * row's PEs advance side by side, as in the array.
 */
static inline void gemm_row_f32(float *acc, const float *a, const float (*b)[GRAPH_TILE_K_F32],
                                int32_t kt, int32_t nc)
{
    float s[GRAPH_CE_COLS_F32];
    for (int32_t c = 0; c < nc; c++)
        s[c] = acc[c];
    if (nc == GRAPH_CE_COLS_F32) { /* a full row: constant trip count, unrolled */
        for (int32_t k = 0; k < kt; k++)
            for (int32_t c = 0; c < GRAPH_CE_COLS_F32; c++)
                s[c] += a[k] * b[c][k];
    } else {
        for (int32_t k = 0; k < kt; k++)
            for (int32_t c = 0; c < nc; c++)
                s[c] += a[k] * b[c][k];
    }
    for (int32_t c = 0; c < nc; c++)
        acc[c] = s[c];
}

GEMM_CORE_DEFINE(gemm_core_mac_f32, float, float, CNN_PE_ROWS, GRAPH_CE_COLS_F32,
                 GRAPH_TILE_K_F32, gemm_row_f32)

_Static_assert(GRAPH_BLOCK == CNN_PE_ROWS, "a block is one pass of the array's rows");

/* An int8 stage's output rule: requantize, add the zero point, clamp. */
typedef struct stage_q {
    int32_t a_zp;              /* zero point of the rows going in */
    const int32_t *wsum;       /* per output column: sum of its weights */
    const int32_t *bias;       /* quantized bias, or NULL */
    int32_t mult, shift, zp, act_min;
} stage_q;

/* Round half away from zero to int32, saturating: the bias quantizer. */
static int32_t quantize_bias(float b, float inv_scale)
{
    const float t = b * inv_scale;
    if (!(t > -2147483520.0f))
        return t != t ? 0 : INT32_MIN;
    if (t > 2147483520.0f)
        return INT32_MAX;
    return (int32_t)lroundf(t);
}

/* dst[r][c] = stage(sum_k a[r][k] * w[c][k]) for r < nr, c < o. */
static void combine_i8(const int8_t a[GRAPH_BLOCK][GRAPH_MAX_K], int32_t nr, int32_t k_len,
                       const int8_t *w, int32_t o, const stage_q *q, int8_t *dst, int32_t stride)
{
    gemm_a_tile at;
    gemm_b_tile bt;
comb_cols:
    for (int32_t c0 = 0; c0 < o; c0 += CNN_PE_COLS) {
        const int32_t nc = o - c0 < CNN_PE_COLS ? o - c0 : CNN_PE_COLS;
        gemm_acc_tile acc;
        memset(acc, 0, sizeof acc);
    comb_k:
        for (int32_t k0 = 0; k0 < k_len; k0 += CNN_TILE_K) {
            const int32_t kt = k_len - k0 < CNN_TILE_K ? k_len - k0 : CNN_TILE_K;
            for (int32_t r = 0; r < nr; r++)
                memcpy(at[r], a[r] + k0, (size_t)kt);
            for (int32_t c = 0; c < nc; c++)
                memcpy(bt[c], w + (int64_t)(c0 + c) * k_len + k0, (size_t)kt);
            gemm_core_mac(at, bt, acc, kt, nr, nc);
        }
#ifndef __SYNTHESIS__ /* natively: the same requantization, 8 columns at a time where the host can */
        const hls_requant_rule rq = { q->wsum + c0, q->a_zp, q->bias ? q->bias + c0 : NULL, q->mult,
                                      q->shift, q->zp, q->act_min, 127 };
        if (!hls_requant_rows_host(dst + c0, stride, &acc[0][0], CNN_PE_COLS, nr, nc, &rq))
#endif
    comb_store:
        for (int32_t r = 0; r < nr; r++) {
            for (int32_t c = 0; c < nc; c++) {
#pragma HLS PIPELINE II=1
                int64_t v = (int64_t)acc[r][c] - (int64_t)q->a_zp * q->wsum[c0 + c];
                if (q->bias)
                    v += q->bias[c0 + c];
                dst[(int64_t)r * stride + c0 + c] =
                    hls_requant_int8(hls_sat32(v), q->mult, q->shift, q->zp, q->act_min, 127);
            }
        }
    }
}

/*
 * dst[r][c] = act(sum_k a[r][k] * w[c][k] + bias[c]) in fp32. wt: the native
 * emulation's k-major copy of w (graph_comb_native.c: the same sums, in the
 * same order, on the host's vector units); NULL on the synthesis path.
 */
static void combine_f32(const float a[GRAPH_BLOCK][GRAPH_MAX_K], int32_t nr, int32_t k_len,
                        const float *w, const float *wt, int32_t o, const float *bias, int32_t relu,
                        float *dst, int32_t stride)
{
#ifndef __SYNTHESIS__
    if (wt) {
        graph_comb_f32_host(&a[0][0], GRAPH_MAX_K, nr, k_len, wt, o, bias, relu, dst, stride);
        return;
    }
#else
    (void)wt;
#endif
    float at[CNN_PE_ROWS][GRAPH_TILE_K_F32];
    float bt[GRAPH_CE_COLS_F32][GRAPH_TILE_K_F32];
comb_cols:
    for (int32_t c0 = 0; c0 < o; c0 += GRAPH_CE_COLS_F32) {
        const int32_t nc = o - c0 < GRAPH_CE_COLS_F32 ? o - c0 : GRAPH_CE_COLS_F32;
        float acc[CNN_PE_ROWS][GRAPH_CE_COLS_F32];
        memset(acc, 0, sizeof acc);
    comb_k:
        for (int32_t k0 = 0; k0 < k_len; k0 += GRAPH_TILE_K_F32) {
            const int32_t kt = k_len - k0 < GRAPH_TILE_K_F32 ? k_len - k0 : GRAPH_TILE_K_F32;
            for (int32_t r = 0; r < nr; r++)
                memcpy(at[r], a[r] + k0, (size_t)kt * sizeof(float));
            for (int32_t c = 0; c < nc; c++)
                memcpy(bt[c], w + (int64_t)(c0 + c) * k_len + k0, (size_t)kt * sizeof(float));
            gemm_core_mac_f32(at, bt, acc, kt, nr, nc);
        }
    comb_store:
        for (int32_t r = 0; r < nr; r++) {
            for (int32_t c = 0; c < nc; c++) {
#pragma HLS PIPELINE II=1
                float v = acc[r][c] + (bias ? bias[c0 + c] : 0.0f);
                dst[(int64_t)r * stride + c0 + c] = relu && v < 0.0f ? 0.0f : v;
            }
        }
    }
}

static int32_t rows_in(const graph_desc *d, int32_t b)
{
    const int32_t left = d->n - b * GRAPH_BLOCK;
    return left < GRAPH_BLOCK ? left : GRAPH_BLOCK;
}

/* Per output column: the sum of its k_len weights (for the zero-point term). */
static void weight_sums(const int8_t *w, int32_t o, int32_t k_len, int32_t *wsum)
{
    for (int32_t c = 0; c < o; c++) {
        int32_t s = 0;
        for (int32_t k = 0; k < k_len; k++)
            s += w[(int64_t)c * k_len + k];
        wsum[c] = s;
    }
}

#if !defined(__SYNTHESIS__) && defined(_OPENMP)
/*
 * Natively the blocks of an aggregate-first layer are independent (each
 * writes only its own rows): they are spread over the host's cores, each
 * thread with its own block buffers (acc_bytes, then 2 x acc_bytes more,
 * which covers the kernel's other buffers of either dtype). 0 when one
 * core is all there is or the buffers cannot be had: the caller runs the
 * blocks in order.
 */
static int ac_native_parallel(int32_t blocks, size_t acc_bytes,
                              void (*run)(const void *arg, int32_t b, void *acc, void *other),
                              const void *arg)
{
    const int n = hls_native_threads(blocks);
    char *buf = n > 1 ? malloc((size_t)n * 3 * acc_bytes) : NULL;
    if (!buf)
        return 0;
#pragma omp parallel for schedule(dynamic) num_threads(n)
    for (int32_t b = 0; b < blocks; b++) {
        char *mine = buf + (size_t)omp_get_thread_num() * 3 * acc_bytes;
        run(arg, b, mine, mine + acc_bytes);
    }
    free(buf);
    return 1;
}
#endif

/* What every block of an aggregate-first fp32 layer reads. */
typedef struct ac_f32 {
    const uint8_t *g;
    const float *x, *w, *wt, *bias, *w2, *wt2, *bias2;
    float *out;
    const graph_desc *d;
    int32_t k_len;
} ac_f32;

/* One destination block, aggregate first: the aggregation, then the combination. */
static void ac_block_f32(const ac_f32 *a, int32_t b, float acc[GRAPH_BLOCK][GRAPH_MAX_K],
                         float hid[GRAPH_BLOCK][GRAPH_MAX_K])
{
#pragma HLS DATAFLOW
    const graph_desc *d = a->d;
    const int32_t nr = rows_in(d, b);
    float *dst = a->out + (int64_t)b * GRAPH_BLOCK * d->o;
    graph_aggregate_f32(a->g, b, a->x, d->f, d->aggr, acc);
    if (d->kind == GRAPH_SAGE) /* [aggregated | self] */
        for (int32_t r = 0; r < nr; r++)
            memcpy(acc[r] + d->f, a->x + ((int64_t)b * GRAPH_BLOCK + r) * d->f, (size_t)d->f * sizeof(float));
    if (d->kind == GRAPH_GIN) { /* MLP: Linear, ReLU, Linear on the block */
        combine_f32(acc, nr, d->f, a->w, a->wt, d->h, d->has_bias ? a->bias : NULL, 1, hid[0], GRAPH_MAX_K);
        combine_f32(hid, nr, d->h, a->w2, a->wt2, d->o, d->has_bias2 ? a->bias2 : NULL, d->relu, dst, d->o);
    } else {
        combine_f32(acc, nr, a->k_len, a->w, a->wt, d->o, d->has_bias ? a->bias : NULL, d->relu, dst, d->o);
    }
}

#if !defined(__SYNTHESIS__) && defined(_OPENMP)
static void run_f32(const void *arg, int32_t b, void *acc, void *hid)
{
    ac_block_f32(arg, b, acc, hid);
}
#endif

static void layer_f32(const uint8_t *g, const float *x, const float *w, const float *bias,
                      const float *w2, const float *bias2, float *out, float *scratch,
                      const graph_desc *d, const float *wt, const float *wt2)
{
    const int32_t blocks = (int32_t)hls_rd_u32(g + offsetof(graph_hdr, blocks));
    const int32_t k_len = d->kind == GRAPH_SAGE ? 2 * d->f : d->f;
    float acc[GRAPH_BLOCK][GRAPH_MAX_K];
    float hid[GRAPH_BLOCK][GRAPH_MAX_K];
    if (d->order == GRAPH_CA) {
    ca_combine: /* T = X W^T, all vertices, to scratch */
#ifndef __SYNTHESIS__
        if (wt) /* natively: every block's rows at once, straight from x */
            graph_comb_f32_host(x, d->f, d->n, d->f, wt, d->o, NULL, 0, scratch, d->o);
        else
#endif
        for (int32_t b = 0; b < blocks; b++) {
            const int32_t nr = rows_in(d, b);
            for (int32_t r = 0; r < nr; r++)
                memcpy(acc[r], x + ((int64_t)b * GRAPH_BLOCK + r) * d->f, (size_t)d->f * sizeof(float));
            combine_f32(acc, nr, d->f, w, NULL, d->o, NULL, 0, scratch + (int64_t)b * GRAPH_BLOCK * d->o,
                        d->o);
        }
    ca_aggregate:
        for (int32_t b = 0; b < blocks; b++) {
            graph_aggregate_f32(g, b, scratch, d->o, d->aggr, acc);
            for (int32_t r = 0; r < rows_in(d, b); r++) {
                for (int32_t c = 0; c < d->o; c++) {
                    float v = acc[r][c] + (d->has_bias ? bias[c] : 0.0f);
                    out[((int64_t)b * GRAPH_BLOCK + r) * d->o + c] = d->relu && v < 0.0f ? 0.0f : v;
                }
            }
        }
        return;
    }
    const ac_f32 a = { g, x, w, wt, bias, w2, wt2, bias2, out, d, k_len };
#if !defined(__SYNTHESIS__) && defined(_OPENMP)
    if (ac_native_parallel(blocks, sizeof acc, run_f32, &a))
        return;
#endif
ac_blocks:
    for (int32_t b = 0; b < blocks; b++)
        ac_block_f32(&a, b, acc, hid);
}

/* What every block of an aggregate-first int8 layer reads. */
typedef struct ac_i8 {
    const uint8_t *g;
    const int8_t *x, *w, *w2;
    int8_t *out;
    const graph_desc *d;
    const stage_q *q1, *q2;
    int32_t k_len;
} ac_i8;

/* One destination block, aggregate first; acc holds the sums, then the requantized block
 * (the ping-pong buffer) and GIN's hidden rows in its second half. */
static void ac_block_i8(const ac_i8 *a, int32_t b, int32_t acc[GRAPH_BLOCK][GRAPH_MAX_K],
                        int8_t mid[2][GRAPH_BLOCK][GRAPH_MAX_K])
{
#pragma HLS DATAFLOW
    const graph_desc *d = a->d;
    const int32_t nr = rows_in(d, b);
    int8_t(*a8)[GRAPH_MAX_K] = mid[0], (*hid)[GRAPH_MAX_K] = mid[1];
    int8_t *dst = a->out + (int64_t)b * GRAPH_BLOCK * d->o;
    graph_aggregate_i8(a->g, b, a->x, d->f, d->in_zp, d->aggr, acc);
#ifndef __SYNTHESIS__
    const hls_requant_rule rq = { NULL, 0, NULL, d->agg_mult, d->agg_shift, d->mid_zp, -128, 127 };
    if (!hls_requant_rows_host(&a8[0][0], GRAPH_MAX_K, &acc[0][0], GRAPH_MAX_K, nr, d->f, &rq))
#endif
ac_requant: /* the aggregated block, int8 at the mid scale: the ping-pong buffer */
    for (int32_t r = 0; r < nr; r++)
        for (int32_t f = 0; f < d->f; f++)
            a8[r][f] = hls_requant_int8(acc[r][f], d->agg_mult, d->agg_shift, d->mid_zp, -128, 127);
    if (d->kind == GRAPH_SAGE) /* [aggregated | self]; SAGE's mid scale is the input's */
        for (int32_t r = 0; r < nr; r++)
            memcpy(a8[r] + d->f, a->x + ((int64_t)b * GRAPH_BLOCK + r) * d->f, (size_t)d->f);
    if (d->kind == GRAPH_GIN) {
        combine_i8(a8, nr, d->f, a->w, d->h, a->q1, hid[0], GRAPH_MAX_K);
        combine_i8(hid, nr, d->h, a->w2, d->o, a->q2, dst, d->o);
    } else {
        combine_i8(a8, nr, a->k_len, a->w, d->o, a->q1, dst, d->o);
    }
}

#if !defined(__SYNTHESIS__) && defined(_OPENMP)
static void run_i8(const void *arg, int32_t b, void *acc, void *mid)
{
    ac_block_i8(arg, b, acc, mid);
}
#endif

static void layer_i8(const uint8_t *g, const int8_t *x, const int8_t *w, const float *bias,
                     const int8_t *w2, const float *bias2, int8_t *out, int8_t *scratch,
                     const graph_desc *d)
{
    const int32_t blocks = (int32_t)hls_rd_u32(g + offsetof(graph_hdr, blocks));
    const int32_t k_len = d->kind == GRAPH_SAGE ? 2 * d->f : d->f;
    const int32_t w_rows = d->kind == GRAPH_GIN ? d->h : d->o;
    int32_t wsum[GRAPH_MAX_F], wsum2[GRAPH_MAX_F], bq[GRAPH_MAX_F], bq2[GRAPH_MAX_F];
    weight_sums(w, w_rows, k_len, wsum);
    for (int32_t c = 0; c < w_rows && d->has_bias; c++)
        bq[c] = quantize_bias(bias[c], d->bias_inv_scale);
    if (d->kind == GRAPH_GIN) {
        weight_sums(w2, d->o, d->h, wsum2);
        for (int32_t c = 0; c < d->o && d->has_bias2; c++)
            bq2[c] = quantize_bias(bias2[c], d->bias2_inv_scale);
    }
    const int32_t out_min = d->relu ? d->out_zp : -128;
    /* The weights, resident in the combination engine's banks when they fit (read once). */
    int8_t wres[GRAPH_WBUF_BYTES];
    const int64_t w_bytes = (int64_t)w_rows * k_len;
    if (w_bytes <= GRAPH_WBUF_BYTES && d->kind != GRAPH_GIN) {
    w_preload:
        memcpy(wres, w, (size_t)w_bytes);
        w = wres;
    }
    int32_t acc[GRAPH_BLOCK][GRAPH_MAX_K];
    int8_t mid[2][GRAPH_BLOCK][GRAPH_MAX_K]; /* the requantized block, GIN's hidden rows */
    int8_t(*a8)[GRAPH_MAX_K] = mid[0];
    if (d->order == GRAPH_CA) {
        const stage_q q = { d->in_zp, wsum, NULL, d->comb_mult, d->comb_shift, d->mid_zp, -128 };
    ca_combine:
        for (int32_t b = 0; b < blocks; b++) {
            const int32_t nr = rows_in(d, b);
            for (int32_t r = 0; r < nr; r++)
                memcpy(a8[r], x + ((int64_t)b * GRAPH_BLOCK + r) * d->f, (size_t)d->f);
            combine_i8(a8, nr, d->f, w, d->o, &q, scratch + (int64_t)b * GRAPH_BLOCK * d->o, d->o);
        }
    ca_aggregate:
        for (int32_t b = 0; b < blocks; b++) {
            graph_aggregate_i8(g, b, scratch, d->o, d->mid_zp, d->aggr, acc);
#ifndef __SYNTHESIS__
            const hls_requant_rule rq = { NULL, 0, d->has_bias ? bq : NULL, d->fin_mult, d->fin_shift,
                                          d->out_zp, out_min, 127 };
            if (!hls_requant_rows_host(out + (int64_t)b * GRAPH_BLOCK * d->o, d->o, &acc[0][0],
                                       GRAPH_MAX_K, rows_in(d, b), d->o, &rq))
#endif
            for (int32_t r = 0; r < rows_in(d, b); r++) {
                for (int32_t c = 0; c < d->o; c++) {
                    int64_t v = (int64_t)acc[r][c] + (d->has_bias ? bq[c] : 0);
                    out[((int64_t)b * GRAPH_BLOCK + r) * d->o + c] =
                        hls_requant_int8(hls_sat32(v), d->fin_mult, d->fin_shift, d->out_zp, out_min, 127);
                }
            }
        }
        return;
    }
    const stage_q q1 = { d->mid_zp, wsum, d->has_bias ? bq : NULL, d->comb_mult, d->comb_shift,
                         d->kind == GRAPH_GIN ? d->hid_zp : d->out_zp,
                         d->kind == GRAPH_GIN ? d->hid_zp : out_min };
    const stage_q q2 = { d->hid_zp, wsum2, d->has_bias2 ? bq2 : NULL, d->fin_mult, d->fin_shift,
                         d->out_zp, out_min };
    const ac_i8 a = { g, x, w, w2, out, d, &q1, &q2, k_len };
#if !defined(__SYNTHESIS__) && defined(_OPENMP)
    if (ac_native_parallel(blocks, sizeof acc, run_i8, &a))
        return;
#endif
ac_blocks:
    for (int32_t b = 0; b < blocks; b++)
        ac_block_i8(&a, b, acc, mid);
}

/* The kernel's two entry points, one a feature type (chm_graph_layer_f32 / _i8 are the tops). */
void graph_layer_f32(const uint8_t *gblob, const float *feat, const float *w, const float *bias,
                     const float *w2, const float *bias2, float *out, float *scratch, graph_desc d)
{
#ifdef __SYNTHESIS__
    layer_f32(gblob, feat, w, bias, w2, bias2, out, scratch, &d, NULL, NULL);
#else
    /* Native emulation: the weights k-major once a call, for the host's vector units. */
    const int32_t k_len = d.kind == GRAPH_SAGE ? 2 * d.f : d.f;
    float *wt = graph_wt_f32(w, d.kind == GRAPH_GIN ? d.h : d.o, k_len);
    float *wt2 = d.kind == GRAPH_GIN ? graph_wt_f32(w2, d.o, d.h) : NULL;
    layer_f32(gblob, feat, w, bias, w2, bias2, out, scratch, &d, wt, wt2);
    free(wt);
    free(wt2);
#endif
}

void graph_layer_i8(const uint8_t *gblob, const int8_t *feat, const int8_t *w, const float *bias,
                    const int8_t *w2, const float *bias2, int8_t *out, int8_t *scratch, graph_desc d)
{
    layer_i8(gblob, feat, w, bias, w2, bias2, out, scratch, &d);
}
