/*
 * cnn_conv.c - tiled int8 convolution on the systolic GEMM core.
 *
 * The convolution is a GEMM per group: M = n*oh*ow output pixels, N = oc/groups
 * output channels, K = kh*kw*ic/groups taps. The kernel walks output tiles of
 * CNN_PE_ROWS x CNN_PE_COLS in the order cnn_schedule.h gives (the longer
 * tile loop inside); for each it streams K in equal slices of at most
 * CNN_TILE_K through load_a (im2col gather of the input window, padding
 * reads as the input zero point), load_b (weights, plus their column sums)
 * and the MAC array, then store requantizes the accumulators. The slices
 * alternate between two buffer sets (ping-pong), each tagged with what it
 * holds: an operand already in its set (the weights of the channel tile, or
 * the input rows of the pixel tile, from the tile two slices back) is not
 * loaded again.
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
#include "cnn_schedule.h"
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
 * im2col: a[r][k] = input tap k0 + k of output pixel m0 + r, for one K slice.
 * A window tap's channels are adjacent in NHWC (and, with one group and no
 * dilation, so are a window row's taps), so each row is filled run by run:
 * one contiguous read (a burst of 64-byte beats), or the zero point where
 * the run falls in the padding (cnn_run_end says where a run stops).
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
        const int32_t ix0 = ox * d->stride_w - d->pad_l;
        const int8_t *img = in + (int64_t)b * d->ih * d->iw * d->ic + (int64_t)g * icg;
        conv_tap t = conv_tap_at(d, icg, k0);
        int32_t k = 0;
    load_a_runs:
        while (k < kt) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=CNN_TILE_K
            const int32_t iy = oy * d->stride_h - d->pad_t + t.ky * d->dil_h;
            const int32_t ix = ix0 + t.kx * d->dil_w;
            const int row_in = r < nr && iy >= 0 && iy < d->ih;
            const int32_t end = cnn_run_end(d, t.kx, ix0, row_in);
            const int32_t whole = (end - t.kx) * icg - t.ci;
            const int32_t run = whole < kt - k ? whole : kt - k;
            const int inside = row_in && ix >= 0 && ix < d->iw;
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
            t.kx = end;
            if (t.kx == d->kw) {
                t.kx = 0;
                t.ky++;
            }
        }
    }
}

/* b[c][k] = weight of output channel oc0 + c at tap k0 + k; colsum = their sums. */
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
        colsum[c] = s;
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

/* The two buffer sets the slices alternate between, and what each holds. */
typedef struct conv_sets {
    gemm_a_tile a[2];
    gemm_b_tile b[2];
    int32_t colsum[2][CNN_PE_COLS];   /* column sums of the weights in each B set */
    int32_t a_tag[2][3], b_tag[2][3]; /* group, tile, first tap; group -1: empty */
    int32_t set;                      /* the set the next slice goes to */
} conv_sets;

static void conv_sets_init(conv_sets *s)
{
    s->set = 0;
    for (int i = 0; i < 2; i++) {
        s->a_tag[i][0] = s->b_tag[i][0] = -1;
        for (int32_t c = 0; c < CNN_PE_COLS; c++)
            s->colsum[i][c] = 0;
    }
}

/* One output tile: all K slices through the array, then the output stage. */
static void conv_tile(const int8_t *in, const int8_t *wts, const int32_t *bias,
                      const int32_t *mult, const int32_t *shift, int8_t *out,
                      const cnn_conv_desc *d, conv_sets *s, int32_t g, int32_t mt, int32_t nt)
{
    const int32_t icg = d->ic / d->groups, ocg = d->oc / d->groups;
    const int32_t K = d->kh * d->kw * icg, ks = cnn_slice_depth(K);
    const int reuse = cnn_reuse(K);
    const int32_t M = d->n * d->oh * d->ow;
    const int32_t m0 = mt * CNN_PE_ROWS, n0 = nt * CNN_PE_COLS;
    const int32_t nr = M - m0 < CNN_PE_ROWS ? M - m0 : CNN_PE_ROWS;
    const int32_t nc = ocg - n0 < CNN_PE_COLS ? ocg - n0 : CNN_PE_COLS;
    const int32_t oc0 = g * ocg + n0;
    gemm_acc_tile acc = {{0}};
    int32_t colsum[CNN_PE_COLS] = {0};
conv_k_slices:
    for (int32_t k0 = 0; k0 < K; k0 += ks) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=8
#pragma HLS DATAFLOW
        const int32_t kt = K - k0 < ks ? K - k0 : ks;
        const int32_t set = s->set;
        s->set ^= 1;
        if (!cnn_tag_hit(s->a_tag[set], g, mt, k0, reuse))
            load_a(in, s->a[set], d, g, m0, nr, k0, kt);
        if (!cnn_tag_hit(s->b_tag[set], g, nt, k0, reuse))
            load_b(wts, s->b[set], s->colsum[set], K, oc0, nc, k0, kt);
        for (int32_t c = 0; c < CNN_PE_COLS; c++) {
#pragma HLS UNROLL
            colsum[c] += s->colsum[set][c];
        }
        gemm_core_mac(s->a[set], s->b[set], acc, kt, nr, nc);
    }
    store(out, acc, colsum, bias, mult, shift, d, oc0, m0, nr, nc);
}

void cnn_conv2d(const int8_t *in, const int8_t *wts, const int32_t *bias,
                const int32_t *mult, const int32_t *shift, int8_t *out, cnn_conv_desc d)
{
    const int32_t M = d.n * d.oh * d.ow;
    const int32_t ocg = d.oc / d.groups;
    const int32_t rt = (M + CNN_PE_ROWS - 1) / CNN_PE_ROWS, ct = (ocg + CNN_PE_COLS - 1) / CNN_PE_COLS;
    const int n_outer = cnn_n_outer(rt, ct);
    const int32_t inner = n_outer ? rt : ct, outer = n_outer ? ct : rt;
#if !defined(__SYNTHESIS__) && defined(_OPENMP)
    /* Native emulation only: the tiles write disjoint outputs, so the host's
     * cores take them side by side (hls_native.h), each core with its own
     * buffer sets; the same tiles, the same bytes. */
    const int64_t per_group = (int64_t)rt * ct, tiles = (int64_t)d.groups * per_group;
    int failed = 0;
#pragma omp parallel num_threads(hls_native_threads(tiles)) reduction(|| : failed)
    {
        conv_sets *sets = malloc(sizeof *sets);
        if (sets)
            conv_sets_init(sets);
        failed = sets == NULL;
#pragma omp for schedule(dynamic)
        for (int64_t t = 0; t < tiles; t++) {
            const int64_t in_group = t % per_group;
            const int32_t o = (int32_t)(in_group / inner), i = (int32_t)(in_group % inner);
            if (sets)
                conv_tile(in, wts, bias, mult, shift, out, &d, sets, (int32_t)(t / per_group),
                          n_outer ? i : o, n_outer ? o : i);
        }
        free(sets);
    }
    if (!failed)
        return;
    /* a core without memory for its buffers: the whole layer again, serially */
#endif
    conv_sets sets;
    conv_sets_init(&sets);
conv_groups:
    for (int32_t g = 0; g < d.groups; g++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=1024
    conv_outer:
        for (int32_t o = 0; o < outer; o++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=4096
        conv_inner:
            for (int32_t i = 0; i < inner; i++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=4096
                conv_tile(in, wts, bias, mult, shift, out, &d, &sets, g, n_outer ? i : o,
                          n_outer ? o : i);
            }
        }
    }
}
