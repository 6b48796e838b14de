/*
 * sparse_layer.c - the SPARSE mode's PE array and indexing module.
 *
 * A pass takes up to SPARSE_VECTORS input vectors (fc input rows, or conv
 * output pixels' windows gathered into the neuron buffers) and reads the
 * compressed weights once for all of them; the PEs compute their output
 * neurons from the compressed weights only:
 *   - Cambricon-X: each PE's indexing module walks its row's step indexes,
 *     accumulating the column, and fetches from the neuron buffer only the
 *     inputs its nonzero weights need (padding entries fetch nothing);
 *   - Cambricon-S: a row group's block_rows PEs share one index: for each
 *     kept block the indexing module fetches block_cols inputs once for all
 *     of them, skips inputs that are zero (cooperative sparsity), and each
 *     PE decodes its codebook weights.
 * Zero weights and zero-weight rows cost nothing; the output stage is the
 * CNN mode's requantization.
 */
#ifndef __SYNTHESIS__
#include <stdlib.h>
#endif

#include "hls_bytes.h"
#include "hls_quant.h"
#include "hls_native.h"
#include "sparse_kernels.h"

/* The blob is read through its byte port as the engine reads it (hls_bytes.h). */
static sparse_hdr read_hdr(const uint8_t *blob)
{
    const sparse_hdr h = {
        hls_rd_u32(blob + 0),  hls_rd_u32(blob + 4),  hls_rd_u32(blob + 8),  hls_rd_u32(blob + 12),
        hls_rd_u32(blob + 16), hls_rd_u32(blob + 20), hls_rd_u32(blob + 24), hls_rd_u32(blob + 28),
        hls_rd_u32(blob + 32), hls_rd_u32(blob + 36), hls_rd_u32(blob + 40), hls_rd_u32(blob + 44),
        hls_rd_u32(blob + 48), hls_rd_u32(blob + 52), hls_rd_u32(blob + 56), hls_rd_u32(blob + 60),
    };
    return h;
}

/*
 * vec[k] = input tap k of output pixel m (padding reads as in_zp), a window
 * row at a time as the RTL's gather issues its runs: with dil_w 1 the row's
 * taps inside the image are one contiguous run of memory (a run per tap
 * otherwise), the taps outside it land as in_zp without a read.
 */
static void gather(const int8_t *in, int8_t vec[SPARSE_MAX_K], const sparse_desc *d, int32_t m)
{
    const int32_t plane = d->oh * d->ow;
    const int32_t b = m / plane, oy = (m % plane) / d->ow, ox = m % d->ow;
    const int8_t *img = in + (int64_t)b * d->ih * d->iw * d->ic;
    int32_t k = 0;
gather_ky:
    for (int32_t ky = 0; ky < d->kh; ky++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=11
    gather_kx:
        for (int32_t kx = 0; kx < d->kw; kx++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=11
            const int32_t iy = oy * d->stride_h - d->pad_t + ky * d->dil_h;
            const int32_t ix = ox * d->stride_w - d->pad_l + kx * d->dil_w;
            const int inside = iy >= 0 && iy < d->ih && ix >= 0 && ix < d->iw;
            const int8_t *src = img + ((int64_t)iy * d->iw + ix) * d->ic;
        gather_c:
            for (int32_t c = 0; c < d->ic; c++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=2048
#pragma HLS PIPELINE II=1
                vec[k++] = inside ? src[c] : (int8_t)d->in_zp;
            }
        }
    }
}

/*
 * Cambricon-X: the indexing module walks the entry stream in order, one
 * segment a cycle. The stream is the rows' entries back to back, read per
 * input vector through the wblob port a 64-entry word at a time (a word of
 * values and a word of steps); a segment is the part of one row inside one
 * word, so a row costs a cycle per word it touches and an empty row one
 * cycle (the word's steps are packed at step_bits, 64 x step_bits / 8
 * bytes). The 64 lanes of a segment add their steps (a prefix sum: each
 * lane's column), read their input and multiply; the row's sum closes at
 * its last segment.
 */
static void mv_x(const int8_t vec[SPARSE_VECTORS][SPARSE_MAX_K], const uint8_t *blob,
                 const sparse_hdr *h, int32_t zp, int32_t acc[SPARSE_VECTORS][SPARSE_MAX_M])
{
    const uint8_t *ptr = blob + h->off_ptr;
    const int8_t *val = (const int8_t *)(blob + h->off_a);
    const uint8_t *step = blob + h->off_b;
x_rows:
    for (uint32_t r = 0; r < h->rows; r++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=SPARSE_MAX_M
        int32_t col = -1, sum[SPARSE_VECTORS] = { 0 };
#pragma HLS ARRAY_PARTITION variable=sum complete
        uint32_t e = hls_rd_u32(ptr + 4 * r);
        const uint32_t row_end = hls_rd_u32(ptr + 4 * (r + 1));
    x_segments:
        for (uint32_t s = 0; s <= SPARSE_MAX_K / SPARSE_X_LANES + 1; s++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=256
#pragma HLS PIPELINE II=1
            const uint32_t word = e / SPARSE_X_LANES * SPARSE_X_LANES;
            const uint32_t end = row_end < word + SPARSE_X_LANES ? row_end : word + SPARSE_X_LANES;
        x_lanes:
            for (uint32_t l = 0; l < SPARSE_X_LANES; l++) {
#pragma HLS UNROLL
                const uint32_t i = word + l;
                if (i >= e && i < end) {
                    col += (int32_t)hls_rd_field(step, i, h->step_bits);
                x_vectors:
                    for (uint32_t v = 0; v < SPARSE_VECTORS; v++) {
#pragma HLS UNROLL
                        if (val[i])
                            sum[v] += (vec[v][col] - zp) * val[i];
                    }
                }
            }
            e = end;
            if (e >= row_end)
                break;
        }
        for (uint32_t v = 0; v < SPARSE_VECTORS; v++)
            acc[v][r] = sum[v];
    }
}

/*
 * Cambricon-S: one kept block of a row group a cycle for every vector of
 * the pass (sparse_pass_vectors). A block's column index is shared by the
 * row group's block_rows PEs: its codes (packed at code_bits,
 * hls_rd_field) are decoded through the codebook once, its block_cols
 * inputs read from each vector's neuron buffer, and each PE multiplies (a
 * zero input neuron adds nothing; with a whole block a cycle, skipping it
 * saves no cycle). A group's sums close at its last block; an empty group
 * costs its cycle.
 */
#ifndef __SYNTHESIS__
/* Native emulation only: each X entry's column worked out once a call (NULL if out of
 * memory: mv_x then runs as HLS sees it). */
static uint16_t *decode_x(const uint8_t *blob, const sparse_hdr *h)
{
    const uint8_t *ptr = blob + h->off_ptr, *step = blob + h->off_b;
    uint16_t *cols = malloc(h->entries ? (size_t)h->entries * sizeof *cols : 1);
    for (uint32_t r = 0; cols && r < h->rows; r++) {
        int32_t col = -1;
        const uint32_t e1 = hls_rd_u32(ptr + 4 * (r + 1));
        for (uint32_t e = hls_rd_u32(ptr + 4 * r); e < e1; e++) {
            col += (int32_t)hls_rd_field(step, e, h->step_bits);
            cols[e] = (uint16_t)col;
        }
    }
    return cols;
}

/* Native shortcut of mv_x: the same sums, an entry at a time. */
static void mv_x_native(const int8_t *vec, const uint8_t *blob, const sparse_hdr *h,
                        const uint16_t *cols, int32_t zp, int32_t *acc)
{
    const uint8_t *ptr = blob + h->off_ptr;
    const int8_t *val = (const int8_t *)(blob + h->off_a);
    for (uint32_t r = 0; r < h->rows; r++) {
        int32_t sum = 0;
        const uint32_t e1 = hls_rd_u32(ptr + 4 * (r + 1));
        for (uint32_t e = hls_rd_u32(ptr + 4 * r); e < e1; e++)
            if (val[e])
                sum += (vec[cols[e]] - zp) * val[e];
        acc[r] = sum;
    }
}

/* Native emulation only: the codebook weights of every kept block decoded once a call,
 * w[k * br * bc + i * bc + j] (NULL if out of memory: mv_s then runs as HLS sees it). */
static int8_t *decode_s(const uint8_t *blob, const sparse_hdr *h)
{
    const uint64_t n = (uint64_t)h->entries * h->block_rows * h->block_cols;
    const uint8_t *code = blob + h->off_b;
    const int8_t *book = (const int8_t *)(blob + h->off_c);
    int8_t *w = malloc(n ? n : 1);
    for (uint64_t i = 0; w && i < n; i++)
        w[i] = book[hls_rd_field(code, i, h->code_bits)];
    return w;
}

/* Native shortcut of mv_s: the same sums, only the blocks' real columns and nonzero inputs. */
static void mv_s_native(const int8_t *vec, const uint8_t *blob, const sparse_hdr *h,
                        const int8_t *w, int32_t zp, int32_t *acc)
{
    const uint32_t br = h->block_rows, bc = h->block_cols, groups = (h->rows + br - 1) / br;
    const uint8_t *ptr = blob + h->off_ptr, *col = blob + h->off_a;
    for (uint32_t g = 0; g < groups; g++) {
        int32_t sum[SPARSE_MAX_BLOCK] = { 0 };
        const uint32_t k1 = hls_rd_u32(ptr + 4 * (g + 1));
        for (uint32_t k = hls_rd_u32(ptr + 4 * g); k < k1; k++) {
            const uint32_t c0 = hls_rd_u16(col + 2 * k) * bc;
            const int8_t *wk = w + (uint64_t)k * br * bc;
            for (uint32_t j = 0; j < bc; j++) {
                const uint32_t c = c0 + j;
                const int32_t x = c < h->cols ? vec[c] - zp : 0;
                if (x == 0)
                    continue;
                for (uint32_t i = 0; i < br; i++)
                    sum[i] += x * wk[i * bc + j];
            }
        }
        for (uint32_t i = 0; i < br && g * br + i < h->rows; i++)
            acc[g * br + i] = sum[i];
    }
}
#endif

static void mv_s(const int8_t vec[SPARSE_VECTORS][SPARSE_MAX_K], const uint8_t *blob,
                 const sparse_hdr *h, int32_t zp, int32_t acc[SPARSE_VECTORS][SPARSE_MAX_M])
{
    const uint32_t br = h->block_rows, bc = h->block_cols;
    const uint32_t groups = (h->rows + br - 1) / br;
    const uint8_t *ptr = blob + h->off_ptr;
    const uint8_t *col = blob + h->off_a;
    const uint8_t *code = blob + h->off_b;
    const int8_t *book = (const int8_t *)(blob + h->off_c);
s_groups:
    for (uint32_t g = 0; g < groups; g++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=1024
        int32_t sum[SPARSE_VECTORS][SPARSE_MAX_BLOCK] = { { 0 } };
#pragma HLS ARRAY_PARTITION variable=sum complete dim=0
        const uint32_t k1 = hls_rd_u32(ptr + 4 * (g + 1));
    s_blocks:
        for (uint32_t k = hls_rd_u32(ptr + 4 * g); k < k1; k++) {
#pragma HLS LOOP_TRIPCOUNT min=0 max=1024
#pragma HLS PIPELINE II=1
            int8_t w[SPARSE_MAX_BLOCK][SPARSE_MAX_BLOCK];
#pragma HLS ARRAY_PARTITION variable=w complete dim=0
        s_decode:
            for (uint32_t i = 0; i < SPARSE_MAX_BLOCK; i++) {
#pragma HLS UNROLL
                for (uint32_t j = 0; j < SPARSE_MAX_BLOCK; j++) {
#pragma HLS UNROLL
                    w[i][j] = i < br && j < bc
                                  ? book[hls_rd_field(code, ((uint64_t)k * br + i) * bc + j, h->code_bits)]
                                  : 0;
                }
            }
            const uint32_t c0 = hls_rd_u16(col + 2 * k) * bc;
        s_vectors:
            for (uint32_t v = 0; v < SPARSE_VECTORS; v++) {
#pragma HLS UNROLL
            s_cols:
                for (uint32_t j = 0; j < SPARSE_MAX_BLOCK; j++) {
#pragma HLS UNROLL
                    const uint32_t c = c0 + j;
                    const int32_t x = j < bc && c < h->cols ? vec[v][c] - zp : 0;
                s_rows:
                    for (uint32_t i = 0; i < SPARSE_MAX_BLOCK; i++) {
#pragma HLS UNROLL
                        if (x != 0)
                            sum[v][i] += x * w[i][j];
                    }
                }
            }
        }
        for (uint32_t v = 0; v < SPARSE_VECTORS; v++)
            for (uint32_t i = 0; i < br && g * br + i < h->rows; i++)
                acc[v][g * br + i] = sum[v][i];
    }
}

/* The output stage's int8 result for row r of a vector's sums: bias, requantization, clamp. */
static int8_t requant_row(const int32_t *acc, int32_t r, const int32_t *bias, const int32_t *mult,
                          const int32_t *shift, const sparse_desc *d)
{
    const int32_t q = d->per_tensor ? 0 : r;
    const int64_t v = (int64_t)acc[r] + (d->has_bias ? bias[r] : 0);
    return hls_requant_int8(hls_sat32(v), mult[q], shift[q], d->out_zp, d->act_min, d->act_max);
}

/* A pass's outputs: a row a cycle, its nv vectors' results side by side (one requantization
 * unit a vector), landing in an output buffer that goes out as nv x oc contiguous bytes. */
static void store_pass(const int32_t acc[SPARSE_VECTORS][SPARSE_MAX_M], int32_t m0, int32_t nv,
                       const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *out,
                       const sparse_desc *d)
{
store_rows:
    for (int32_t r = 0; r < d->oc; r++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=SPARSE_MAX_M
#pragma HLS PIPELINE II=1
    store_vectors:
        for (int32_t v = 0; v < SPARSE_VECTORS; v++) {
#pragma HLS UNROLL
            if (v < nv)
                out[(int64_t)(m0 + v) * d->oc + r] = requant_row(acc[v], r, bias, mult, shift, d);
        }
    }
}

void sparse_layer(const int8_t *in, const uint8_t *wblob, const int32_t *bias,
                  const int32_t *mult, const int32_t *shift, int8_t *out, sparse_desc d)
{
    const sparse_hdr hdr = read_hdr(wblob);
    const sparse_hdr *h = &hdr;
    const int32_t vectors = d.n * d.oh * d.ow;
    const int32_t pv = (int32_t)sparse_pass_vectors(h->format, h->block_rows, h->block_cols);
#ifndef __SYNTHESIS__
    /* Native emulation only: each vector's sums worked out from the decoded weights, and the
     * vectors are independent, so the host's cores take them side by side, each with its own
     * buffers (hls_native.h); the same bytes as the passes below. */
    uint16_t *xcols = h->format == SPARSE_FMT_X ? decode_x(wblob, h) : NULL;
    int8_t *wdec = h->format == SPARSE_FMT_S ? decode_s(wblob, h) : NULL;
    if (xcols || wdec) {
        int8_t v1[SPARSE_MAX_K];
        int32_t a1[SPARSE_MAX_M];
#if defined(_OPENMP)
#pragma omp parallel for schedule(dynamic, 4) num_threads(hls_native_threads(vectors)) private(v1, a1)
#endif
        for (int32_t m = 0; m < vectors; m++) {
            gather(in, v1, &d, m);
            if (xcols)
                mv_x_native(v1, wblob, h, xcols, d.in_zp, a1);
            else
                mv_s_native(v1, wblob, h, wdec, d.in_zp, a1);
            for (int32_t r = 0; r < d.oc; r++)
                out[(int64_t)m * d.oc + r] = requant_row(a1, r, bias, mult, shift, &d);
        }
        free(xcols);
        free(wdec);
        return;
    }
#endif
    int8_t vec[SPARSE_VECTORS][SPARSE_MAX_K];
    /* four sets of neuron buffers (a pass's vectors side by side): the walker on one pass,
     * the gather up to three ahead */
#pragma HLS ARRAY_PARTITION variable=vec dim=1 complete
#pragma HLS STREAM variable=vec type=pipo depth=4
    int32_t acc[SPARSE_VECTORS][SPARSE_MAX_M];
#pragma HLS ARRAY_PARTITION variable=acc dim=1 complete
layer_passes:
    for (int32_t m0 = 0; m0 < vectors; m0 += pv) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=65536
#pragma HLS DATAFLOW
        const int32_t nv = vectors - m0 < pv ? vectors - m0 : pv;
    gather_pass:
        for (int32_t v = 0; v < SPARSE_VECTORS; v++) {
            if (v < nv)
                gather(in, vec[v], &d, m0 + v);
        }
        if (h->format == SPARSE_FMT_X)
            mv_x(vec, wblob, h, d.in_zp, acc);
        else
            mv_s(vec, wblob, h, d.in_zp, acc);
        store_pass(acc, m0, nv, bias, mult, shift, out, &d);
    }
}
