/*
 * cnn_conv.c - tiled int8 convolution on the systolic GEMM core.
 *
 * The convolution is a GEMM per group: M = n*oh*ow output pixels, N = oc/groups
 * output channels, K = kh*kw*ic/groups taps. The kernel walks output tiles of
 * CNN_PE_ROWS x CNN_PE_COLS; for each it streams K in slices of CNN_TILE_K
 * through load_a (im2col gather of the input window, padding reads as the
 * input zero point), load_b (weights, plus their column sums) and the MAC
 * array, then store requantizes the accumulators. DATAFLOW overlaps the
 * loads of one slice with the MACs of the previous one (ping-pong buffers).
 *
 * Zero points: the array multiplies raw int8 values, so
 *   sum (x - zp) * w = sum x * w - zp * sum w,
 * and store subtracts zp * colsum(w) before adding the bias.
 */
#include "cnn_kernels.h"
#include "hls_native.h"
#ifndef __SYNTHESIS__
#include "cnn_store_native.h"
#endif
#include "gemm_core.h"
#include "hls_quant.h"

/* Where slice k0 of the reduction starts inside the (ky, kx, ci) window. */
typedef struct conv_tap {
    int32_t ky, kx, ci;
} conv_tap;

static conv_tap conv_tap_at(const cnn_conv_desc *d, int32_t icg, int32_t k)
{
    conv_tap t;
    t.ci = k % icg;
    t.kx = (k / icg) % d->kw;
    t.ky = k / icg / d->kw;
    return t;
}

/*
 * im2col: a[r][k] = input tap k of output pixel m0 + r, for one K slice.
 * A window tap's channels are adjacent in NHWC, so each row is filled run
 * by run: one contiguous read of up to icg channels (a burst of 64-byte
 * beats), or the zero point where the tap falls in the padding.
 */
static void load_a(const int8_t *in, gemm_a_tile a, const cnn_conv_desc *d, int32_t g,
                   int32_t m0, int32_t nr, int32_t k0, int32_t kt)
{
    const int32_t icg = d->ic / d->groups;
    const int32_t plane = d->oh * d->ow;
    const int8_t pad = (int8_t)d->in_zp;
load_a_rows:
    for (int32_t r = 0; r < GEMM_ACTIVE(nr, CNN_PE_ROWS); r++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=CNN_PE_ROWS
        const int32_t m = m0 + r;
        const int32_t b = m / plane, oy = (m % plane) / d->ow, ox = m % d->ow;
        const int8_t *img = in + (int64_t)b * d->ih * d->iw * d->ic + (int64_t)g * icg;
        conv_tap t = conv_tap_at(d, icg, k0);
        int32_t k = 0;
    load_a_runs:
        while (k < kt) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=CNN_TILE_K
            const int32_t run = icg - t.ci < kt - k ? icg - t.ci : kt - k;
            const int32_t iy = oy * d->stride_h - d->pad_t + t.ky * d->dil_h;
            const int32_t ix = ox * d->stride_w - d->pad_l + t.kx * d->dil_w;
            const int inside = r < nr && iy >= 0 && iy < d->ih && ix >= 0 && ix < d->iw;
            const int8_t *src = img + ((int64_t)iy * d->iw + ix) * d->ic + t.ci;
            int8_t *dst = &a[r][k];
        load_a_beat:
            for (int32_t i = 0; i < run; i++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=CNN_TILE_K
#pragma HLS PIPELINE II=1
#pragma HLS UNROLL factor=64
                dst[i] = inside ? src[i] : pad;
            }
            k += run;
            t.ci = 0;
            if (++t.kx == d->kw) {
                t.kx = 0;
                t.ky++;
            }
        }
    }
}

/* b[c][k] = weight of output channel oc0 + c at tap k0 + k; colsum += it. */
static void load_b(const int8_t *wts, gemm_b_tile b, int32_t colsum[CNN_PE_COLS],
                   int32_t K, int32_t oc0, int32_t nc, int32_t k0, int32_t kt)
{
load_b_cols:
    for (int32_t c = 0; c < GEMM_ACTIVE(nc, CNN_PE_COLS); c++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=CNN_PE_COLS
        const int8_t *w = wts + (int64_t)(oc0 + c) * K + k0;
        int32_t s = 0;
    load_b_k:
        for (int32_t k = 0; k < kt; k++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=CNN_TILE_K
#pragma HLS PIPELINE II=1
            const int8_t v = c < nc ? w[k] : 0;
            b[c][k] = v;
            s += v;
        }
        colsum[c] += s;
    }
}

/* Requantizes the finished accumulators of one output tile and writes them. */
static void store(int8_t *out, const gemm_acc_tile acc, const int32_t colsum[CNN_PE_COLS],
                  const int32_t *bias, const int32_t *mult, const int32_t *shift,
                  const cnn_conv_desc *d, int32_t oc0, int32_t m0, int32_t nr, int32_t nc)
{
#ifndef __SYNTHESIS__
    /* native emulation: the same bytes, eight channels at a time */
    if (cnn_store_host(out, &acc[0][0], CNN_PE_COLS, colsum, bias, mult, shift, d, oc0, m0, nr, nc))
        return;
#endif
store_rows:
    for (int32_t r = 0; r < nr; r++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=CNN_PE_ROWS
        int8_t *o = out + (int64_t)(m0 + r) * d->oc + oc0;
    store_cols:
        for (int32_t c = 0; c < nc; c++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=CNN_PE_COLS
#pragma HLS PIPELINE II=1
            const int32_t ch = oc0 + c;
            const int32_t q = d->per_tensor ? 0 : ch;
            int64_t v = (int64_t)acc[r][c] - (int64_t)d->in_zp * colsum[c];
            if (d->has_bias)
                v += bias[ch];
            o[c] = hls_requant_int8(hls_sat32(v), mult[q], shift[q], d->out_zp, d->act_min,
                                    d->act_max);
        }
    }
}

/* One output tile: all K slices through the array, then the output stage. */
static void conv_tile(const int8_t *in, const int8_t *wts, const int32_t *bias,
                      const int32_t *mult, const int32_t *shift, int8_t *out,
                      const cnn_conv_desc *d, int32_t g, int32_t m0, int32_t n0)
{
    const int32_t icg = d->ic / d->groups, ocg = d->oc / d->groups;
    const int32_t K = d->kh * d->kw * icg;
    const int32_t M = d->n * d->oh * d->ow;
    const int32_t nr = M - m0 < CNN_PE_ROWS ? M - m0 : CNN_PE_ROWS;
    const int32_t nc = ocg - n0 < CNN_PE_COLS ? ocg - n0 : CNN_PE_COLS;
    const int32_t oc0 = g * ocg + n0;
    gemm_a_tile a;
    gemm_b_tile b;
    gemm_acc_tile acc = {{0}};
    int32_t colsum[CNN_PE_COLS] = {0};
conv_k_slices:
    for (int32_t k0 = 0; k0 < K; k0 += CNN_TILE_K) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=16
#pragma HLS DATAFLOW
        const int32_t kt = K - k0 < CNN_TILE_K ? K - k0 : CNN_TILE_K;
        load_a(in, a, d, g, m0, nr, k0, kt);
        load_b(wts, b, colsum, K, oc0, nc, k0, kt);
        gemm_core_mac(a, b, acc, kt, nr, nc);
    }
    store(out, acc, colsum, bias, mult, shift, d, oc0, m0, nr, nc);
}

void cnn_conv2d(const int8_t *in, const int8_t *wts, const int32_t *bias,
                const int32_t *mult, const int32_t *shift, int8_t *out, cnn_conv_desc d)
{
    const int32_t M = d.n * d.oh * d.ow;
    const int32_t ocg = d.oc / d.groups;
#if !defined(__SYNTHESIS__) && defined(_OPENMP)
    /* Native emulation only: the tiles write disjoint outputs, so the host's
     * cores take them side by side (hls_native.h); the same tiles, the same bytes. */
    const int32_t rt = (M + CNN_PE_ROWS - 1) / CNN_PE_ROWS, ct = (ocg + CNN_PE_COLS - 1) / CNN_PE_COLS;
    const int64_t per_group = (int64_t)rt * ct, tiles = (int64_t)d.groups * per_group;
#pragma omp parallel for schedule(dynamic) num_threads(hls_native_threads(tiles))
    for (int64_t t = 0; t < tiles; t++) {
        const int64_t in_group = t % per_group;
        conv_tile(in, wts, bias, mult, shift, out, &d, (int32_t)(t / per_group),
                  (int32_t)(in_group / ct) * CNN_PE_ROWS, (int32_t)(in_group % ct) * CNN_PE_COLS);
    }
    return;
#endif
conv_groups:
    for (int32_t g = 0; g < d.groups; g++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=1024
    conv_rows:
        for (int32_t m0 = 0; m0 < M; m0 += CNN_PE_ROWS) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=4096
        conv_cols:
            for (int32_t n0 = 0; n0 < ocg; n0 += CNN_PE_COLS) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=64
                conv_tile(in, wts, bias, mult, shift, out, &d, g, m0, n0);
            }
        }
    }
}
