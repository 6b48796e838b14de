/*
 * cnn_pool.c - max and average pooling over NHWC int8, a window engine.
 *
 * One output pixel at a time; its channels go in chunks of CNN_POOL_LANES
 * (one 512-bit AXI beat) through a row of comparators and adders, one window
 * tap a cycle. Padding taps are skipped, so they never win a max and never
 * count in an average (TFLite's rule).
 */
#include "cnn_kernels.h"
#include "gemm_core.h" /* GEMM_ACTIVE */

/*
 * The average of a window, count > 0 taps. CNN_POOL_AVG: sum / count rounded
 * half away from zero. CNN_POOL_AVG_EVEN: t = sum - count x zp, |t| / count
 * rounded half to even, signed, plus zp (ONNX: dequantize, mean, quantize
 * at the same scale; the result stays in int8 as the mean of int8 values
 * does). A window has at most CNN_MAX_KERNEL^2 = 1,024 taps, so |t| <=
 * 255 x 1,024 fits 18 bits and the quotient's magnitude 8: the RTL engine's
 * dividers are that narrow (8 quotient steps, CNN_POOL_DIV_CYCLES).
 */
static int32_t pool_avg_round(int32_t sum, int32_t count, int32_t kind, int32_t zp)
{
    if (kind != CNN_POOL_AVG_EVEN)
        return sum >= 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
    const int32_t t = sum - count * zp, mag = t < 0 ? -t : t;
    int32_t q = mag / count;
    const int32_t r2 = 2 * (mag - q * count);
    q += r2 > count || (r2 == count && (q & 1));
    return zp + (t < 0 ? -q : q);
}

static void pool_pixel(const int8_t *img, int8_t *o, const cnn_pool_desc *d, int32_t oy,
                       int32_t ox)
{
    const int32_t y0 = oy * d->stride_h - d->pad_t, x0 = ox * d->stride_w - d->pad_l;
pool_chunks:
    for (int32_t c0 = 0; c0 < d->c; c0 += CNN_POOL_LANES) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=32
        const int32_t lanes = d->c - c0 < CNN_POOL_LANES ? d->c - c0 : CNN_POOL_LANES;
        int32_t best[CNN_POOL_LANES], sum[CNN_POOL_LANES];
#pragma HLS ARRAY_PARTITION variable=best complete
#pragma HLS ARRAY_PARTITION variable=sum complete
        int32_t count = 0;
    pool_init:
        for (int32_t l = 0; l < CNN_POOL_LANES; l++) {
#pragma HLS UNROLL
            best[l] = -128;
            sum[l] = 0;
        }
    pool_ky:
        for (int32_t ky = 0; ky < d->kh; ky++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=CNN_MAX_KERNEL
        pool_kx:
            for (int32_t kx = 0; kx < d->kw; kx++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=CNN_MAX_KERNEL
#pragma HLS PIPELINE II=1
                const int32_t iy = y0 + ky, ix = x0 + kx;
                if (iy < 0 || iy >= d->ih || ix < 0 || ix >= d->iw)
                    continue;
                const int8_t *px = img + ((int64_t)iy * d->iw + ix) * d->c + c0;
                count++;
            pool_lanes:
                for (int32_t l = 0; l < GEMM_ACTIVE(lanes, CNN_POOL_LANES); l++) {
#pragma HLS UNROLL
                    const int32_t v = l < lanes ? px[l] : 0;
                    best[l] = v > best[l] ? v : best[l];
                    sum[l] += v;
                }
            }
        }
    pool_out:
        for (int32_t l = 0; l < lanes; l++) {
#pragma HLS UNROLL
            o[c0 + l] = (int8_t)(d->is_avg ? pool_avg_round(sum[l], count, d->is_avg, d->avg_zp)
                                            : best[l]);
        }
    }
}

void cnn_pool(const int8_t *in, int8_t *out, cnn_pool_desc d)
{
pool_batch:
    for (int32_t b = 0; b < d.n; b++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=256
        const int8_t *img = in + (int64_t)b * d.ih * d.iw * d.c;
    pool_rows:
        for (int32_t oy = 0; oy < d.oh; oy++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=1024
        pool_cols:
            for (int32_t ox = 0; ox < d.ow; ox++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=1024
                int8_t *o = out + (((int64_t)b * d.oh + oy) * d.ow + ox) * d.c;
                pool_pixel(img, o, &d, oy, ox);
            }
        }
    }
}
