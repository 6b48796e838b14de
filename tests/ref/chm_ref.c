/*
 * chm_ref.c - the reference: direct loops and the rounding rules as formulas.
 */
#include <math.h>

#include "chm_ref.h"

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* floor((x * m + 2^30) / 2^31): gemmlowp's SaturatingRoundingDoublingHighMul. */
static int64_t doubling_high_mul(int64_t x, int64_t m)
{
    if (x == INT32_MIN && m == INT32_MIN)
        return INT32_MAX;
    int64_t p = x * m + (INT64_C(1) << 30);
    return p >= 0 ? p / (INT64_C(1) << 31) : -((-p + (INT64_C(1) << 31) - 1) / (INT64_C(1) << 31));
}

/* x / 2^e rounded to nearest, ties away from zero. */
static int64_t round_shift(int64_t x, int e)
{
    if (e == 0)
        return x;
    int64_t half = INT64_C(1) << (e - 1);
    return x >= 0 ? (x + half) / (INT64_C(1) << e) : -((-x + half) / (INT64_C(1) << e));
}

/* ONNX Runtime's rule by the float unit itself: nearbyintf((float)acc * scale). */
static int32_t f32_rule(int32_t acc, int32_t m, int32_t shift)
{
    volatile float scale = ldexpf((float)m, shift - 23); /* exact: m has 24 bits */
    volatile float prod = (float)acc * scale;            /* rounded once, to float */
    float r = nearbyintf(prod);
    if (r >= 2147483648.0f)
        return INT32_MAX;
    if (r < -2147483648.0f)
        return INT32_MIN;
    return (int32_t)r;
}

int32_t ref_requant(int32_t acc, int32_t multiplier, int32_t shift)
{
    if (multiplier >= (1 << 23) && multiplier < (1 << 24))
        return f32_rule(acc, multiplier, shift);
    int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
    int64_t x = clamp64((int64_t)acc * ((int64_t)1 << left), INT32_MIN, INT32_MAX);
    return (int32_t)round_shift(doubling_high_mul(x, multiplier), right);
}

int64_t ref_out_extent(int64_t in, int k, int stride, int dilation, int pad_a, int pad_b)
{
    int64_t span = (int64_t)dilation * (k - 1) + 1;
    if (in + pad_a + pad_b < span)
        return 0;
    return (in + pad_a + pad_b - span) / stride + 1;
}

static void act_bounds(chm_activation act, int32_t zp, int32_t relu6_q, int64_t *lo, int64_t *hi)
{
    *lo = -128;
    *hi = 127;
    if (act == CHM_ACT_RELU || act == CHM_ACT_RELU6)
        *lo = zp;
    if (act == CHM_ACT_RELU6 && zp + relu6_q < 127)
        *hi = zp + relu6_q;
}

static int8_t out_stage(int64_t acc, const chm_requant *rq, int ch)
{
    int q = rq->per_tensor ? 0 : ch;
    int32_t acc32 = (int32_t)clamp64(acc, INT32_MIN, INT32_MAX);
    int64_t lo, hi;
    act_bounds(rq->act, rq->out_zero_point, rq->relu6_q, &lo, &hi);
    int64_t v = (int64_t)ref_requant(acc32, rq->multiplier[q], rq->shift[q]) + rq->out_zero_point;
    return (int8_t)clamp64(v, lo, hi);
}

void ref_conv2d(const int8_t *in, int n, int h, int w, int c, const int8_t *wts, int oc, int kh,
                int kw, const int32_t *bias, const chm_conv2d_params *p, int8_t *out)
{
    int sh = p->stride_h ? p->stride_h : 1, sw = p->stride_w ? p->stride_w : 1;
    int dh = p->dilation_h ? p->dilation_h : 1, dw = p->dilation_w ? p->dilation_w : 1;
    int groups = p->groups ? p->groups : 1;
    int icg = c / groups, ocg = oc / groups;
    int64_t oh = ref_out_extent(h, kh, sh, dh, p->pad_top, p->pad_bottom);
    int64_t ow = ref_out_extent(w, kw, sw, dw, p->pad_left, p->pad_right);
    for (int b = 0; b < n; b++)
        for (int64_t oy = 0; oy < oh; oy++)
            for (int64_t ox = 0; ox < ow; ox++)
                for (int o = 0; o < oc; o++) {
                    int g = o / ocg;
                    int64_t acc = 0;
                    for (int ky = 0; ky < kh; ky++)
                        for (int kx = 0; kx < kw; kx++)
                            for (int ci = 0; ci < icg; ci++) {
                                int64_t iy = oy * sh - p->pad_top + (int64_t)ky * dh;
                                int64_t ix = ox * sw - p->pad_left + (int64_t)kx * dw;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                                    continue; /* padding is the zero point: adds 0 */
                                int64_t x = in[((b * (int64_t)h + iy) * w + ix) * c + g * icg + ci];
                                int64_t wv = wts[(((int64_t)o * kh + ky) * kw + kx) * icg + ci];
                                acc += (x - p->rq.in_zero_point) * wv;
                            }
                    if (bias)
                        acc += bias[o];
                    out[((b * oh + oy) * ow + ox) * oc + o] = out_stage(acc, &p->rq, o);
                }
}

void ref_fully_connected(const int8_t *in, int n, int k, const int8_t *wts, int m,
                         const int32_t *bias, const chm_requant *rq, int8_t *out)
{
    for (int b = 0; b < n; b++)
        for (int o = 0; o < m; o++) {
            int64_t acc = bias ? bias[o] : 0;
            for (int i = 0; i < k; i++)
                acc += ((int64_t)in[(int64_t)b * k + i] - rq->in_zero_point) *
                       wts[(int64_t)o * k + i];
            out[(int64_t)b * m + o] = out_stage(acc, rq, o);
        }
}

void ref_pool(const int8_t *in, int n, int h, int w, int c, const chm_pool_params *p, int is_avg,
              int8_t *out)
{
    int sh = p->stride_h ? p->stride_h : p->kernel_h, sw = p->stride_w ? p->stride_w : p->kernel_w;
    int64_t oh = ref_out_extent(h, p->kernel_h, sh, 1, p->pad_top, p->pad_bottom);
    int64_t ow = ref_out_extent(w, p->kernel_w, sw, 1, p->pad_left, p->pad_right);
    for (int b = 0; b < n; b++)
        for (int64_t oy = 0; oy < oh; oy++)
            for (int64_t ox = 0; ox < ow; ox++)
                for (int ch = 0; ch < c; ch++) {
                    int64_t best = INT64_MIN, sum = 0, count = 0;
                    for (int ky = 0; ky < p->kernel_h; ky++)
                        for (int kx = 0; kx < p->kernel_w; kx++) {
                            int64_t iy = oy * sh - p->pad_top + ky, ix = ox * sw - p->pad_left + kx;
                            if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                                continue;
                            int64_t v = in[((b * (int64_t)h + iy) * w + ix) * c + ch];
                            best = v > best ? v : best;
                            sum += v;
                            count++;
                        }
                    int64_t r;
                    if (is_avg && p->round_even) {
                        /* zp + (sum - count zp) / count to nearest, ties to even: from the
                         * floor quotient and its non-negative remainder */
                        int64_t t = sum - count * p->zero_point, q = t / count, f = t % count;
                        if (f < 0)
                            q--, f += count;
                        if (2 * f > count || (2 * f == count && (q % 2 != 0)))
                            q++;
                        r = q + p->zero_point;
                    } else if (is_avg) { /* round half away from zero */
                        r = sum >= 0 ? (2 * sum + count) / (2 * count)
                                     : -((-2 * sum + count) / (2 * count));
                    } else
                        r = best;
                    out[((b * oh + oy) * ow + ox) * c + ch] = (int8_t)r;
                }
}

void ref_add(const int8_t *a, const int8_t *b, int64_t count, const chm_add_params *p,
             int8_t *out)
{
    int ls = p->left_shift ? p->left_shift : 20;
    int64_t lo, hi;
    act_bounds(p->act, p->out_zero_point, p->relu6_q, &lo, &hi);
    for (int64_t i = 0; i < count; i++) {
        int64_t sa = ((int64_t)a[i] - p->a_zero_point) * ((int64_t)1 << ls);
        int64_t sb = ((int64_t)b[i] - p->b_zero_point) * ((int64_t)1 << ls);
        int64_t ra = ref_requant((int32_t)sa, p->a_multiplier, p->a_shift);
        int64_t rb = ref_requant((int32_t)sb, p->b_multiplier, p->b_shift);
        int64_t raw = ref_requant((int32_t)(ra + rb), p->out_multiplier, p->out_shift);
        out[i] = (int8_t)clamp64(raw + p->out_zero_point, lo, hi);
    }
}
