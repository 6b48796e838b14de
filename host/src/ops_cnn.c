/*
 * ops_cnn.c - the CNN mode's operations: checks, descriptors, queueing.
 *
 * Every check runs before anything is queued or touched, and says which
 * argument is wrong and what was expected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hls_quant.h"
#include "op_submit.h"

static int check_zp(chm_device *dev, const char *who, const char *arg, int32_t zp)
{
    if (zp < -128 || zp > 127)
        return chm__fail(dev, who, CHM_EINVAL, "%s is %d, expected -128..127", arg, zp);
    return CHM_OK;
}

/* Output clamp of a fused activation, in the output's quantized domain. */
static int act_range(chm_device *dev, const char *who, chm_activation act, int32_t out_zp,
                     int32_t relu6_q, int32_t *lo, int32_t *hi)
{
    *lo = -128;
    *hi = 127;
    switch (act) {
    case CHM_ACT_NONE:
        return CHM_OK;
    case CHM_ACT_RELU:
        *lo = out_zp;
        return CHM_OK;
    case CHM_ACT_RELU6:
        if (relu6_q < 0)
            return chm__fail(dev, who, CHM_EINVAL, "relu6_q is %d, expected >= 0", relu6_q);
        *lo = out_zp;
        *hi = out_zp + relu6_q < 127 ? out_zp + relu6_q : 127;
        return CHM_OK;
    }
    return chm__fail(dev, who, CHM_EINVAL, "act is %d, not a chm_activation", (int)act);
}

/* A Q31 multiplier and shift (TFLite's rule); with f32_ok also a float32 significand. */
static int check_mult_shift(chm_device *dev, const char *who, const char *arg, int i,
                            int32_t m, int32_t s, int f32_ok)
{
    if (f32_ok && m >= HLS_F32_RULE_MIN && m < HLS_F32_RULE_END) {
        if (s < -126 || s > 30)
            return chm__fail(dev, who, CHM_EINVAL, "%s shift[%d] is %d, expected -126..30 with a "
                             "float32 significand as multiplier", arg, i, s);
        return CHM_OK;
    }
    if (m < 0 || (m > 0 && m < (INT32_C(1) << 30)))
        return chm__fail(dev, who, CHM_EINVAL, "%s multiplier[%d] is %d, expected 0, 2^30..2^31-1 "
                         "(a Q31 value: chm_quantize_multiplier)%s", arg, i, m,
                         f32_ok ? " or 2^23..2^24-1 (a float32 significand: chm_quantize_scale_f32)"
                                : "");
    if (s < -31 || s > 30)
        return chm__fail(dev, who, CHM_EINVAL, "%s shift[%d] is %d, expected -31..30", arg, i, s);
    return CHM_OK;
}

/* Checks rq for oc channels and copies its arrays into op. */
int chm__take_requant(chm_device *dev, const char *who, const chm_requant *rq, int32_t oc,
                        cnn_conv_desc *d, chm_kop *op)
{
    if (!rq)
        return chm__fail(dev, who, CHM_EINVAL, "requantization parameters are NULL");
    if (!rq->multiplier || !rq->shift)
        return chm__fail(dev, who, CHM_EINVAL, "rq.multiplier and rq.shift must not be NULL");
    CHECK(check_zp(dev, who, "rq.in_zero_point", rq->in_zero_point));
    CHECK(check_zp(dev, who, "rq.out_zero_point", rq->out_zero_point));
    CHECK(act_range(dev, who, rq->act, rq->out_zero_point, rq->relu6_q, &d->act_min, &d->act_max));
    int32_t n = rq->per_tensor ? 1 : oc;
    for (int32_t i = 0; i < n; i++)
        CHECK(check_mult_shift(dev, who, "rq", i, rq->multiplier[i], rq->shift[i], 1));
    op->mult = malloc((size_t)n * sizeof *op->mult);
    op->shift = malloc((size_t)n * sizeof *op->shift);
    if (!op->mult || !op->shift) {
        free(op->mult);
        free(op->shift);
        return chm__fail(dev, who, CHM_ENOMEM, "no host memory for %d multipliers", n);
    }
    memcpy(op->mult, rq->multiplier, (size_t)n * sizeof *op->mult);
    memcpy(op->shift, rq->shift, (size_t)n * sizeof *op->shift);
    d->in_zp = rq->in_zero_point;
    d->out_zp = rq->out_zero_point;
    d->per_tensor = rq->per_tensor ? 1 : 0;
    return CHM_OK;
}

int chm__check_distinct(chm_device *dev, const char *who, const chm_tensor *out,
                          const chm_tensor *a, const chm_tensor *b, const chm_tensor *c)
{
    if (out == a || out == b || (c && out == c))
        return chm__fail(dev, who, CHM_EINVAL, "out must not also be an input");
    return CHM_OK;
}

int chm__check_window(chm_device *dev, const char *who, int k, int stride, int dil, int pad_a,
                        int pad_b, const char *axis)
{
    if (k < 1 || k > CNN_MAX_KERNEL)
        return chm__fail(dev, who, CHM_ELIMIT, "kernel %s is %d, expected 1..%d", axis, k,
                         CNN_MAX_KERNEL);
    if (stride < 1 || stride > CNN_MAX_KERNEL)
        return chm__fail(dev, who, CHM_EINVAL, "stride %s is %d, expected 1..%d", axis, stride,
                         CNN_MAX_KERNEL);
    if (dil < 1 || dil > CNN_MAX_KERNEL)
        return chm__fail(dev, who, CHM_EINVAL, "dilation %s is %d, expected 1..%d", axis, dil,
                         CNN_MAX_KERNEL);
    if (pad_a < 0 || pad_b < 0 || pad_a > 1024 || pad_b > 1024)
        return chm__fail(dev, who, CHM_EINVAL, "padding %s is %d/%d, expected 0..1024", axis, pad_a,
                         pad_b);
    return CHM_OK;
}

/* Output extent of a window; 0 or less when the window does not fit. */
int64_t chm__out_extent(int64_t in, int k, int stride, int dil, int pad_a, int pad_b)
{
    int64_t span = (int64_t)dil * (k - 1) + 1;
    int64_t room = in + pad_a + pad_b - span;
    return room < 0 ? 0 : room / stride + 1;
}

static int check_gemm_limits(chm_device *dev, const char *who, int64_t m, int64_t k)
{
    if (k > CNN_MAX_K)
        return chm__fail(dev, who, CHM_ELIMIT,
                         "reduction depth (kernel h * kernel w * channels per group) is %lld, the "
                         "CNN array takes at most %d", (long long)k, CNN_MAX_K);
    if (m > INT32_MAX / 2)
        return chm__fail(dev, who, CHM_ELIMIT, "%lld output pixels, at most %d", (long long)m,
                         INT32_MAX / 2);
    return CHM_OK;
}

static int conv_desc(chm_device *dev, const char *who, const chm_tensor *in, const chm_tensor *w,
                     const chm_tensor *bias, const chm_tensor *out, const chm_conv2d_params *p,
                     cnn_conv_desc *d)
{
    memset(d, 0, sizeof *d);
    d->stride_h = p->stride_h ? p->stride_h : 1;
    d->stride_w = p->stride_w ? p->stride_w : 1;
    d->dil_h = p->dilation_h ? p->dilation_h : 1;
    d->dil_w = p->dilation_w ? p->dilation_w : 1;
    d->groups = p->groups ? p->groups : 1;
    d->pad_t = p->pad_top;
    d->pad_l = p->pad_left;
    const int64_t n = in->dims[0], h = in->dims[1], wd = in->dims[2], c = in->dims[3];
    const int64_t oc = w->dims[0], kh = w->dims[1], kw = w->dims[2];
    CHECK(chm__check_window(dev, who, (int)(kh > 1024 ? 1024 : kh), d->stride_h, d->dil_h, p->pad_top,
                       p->pad_bottom, "h"));
    CHECK(chm__check_window(dev, who, (int)(kw > 1024 ? 1024 : kw), d->stride_w, d->dil_w, p->pad_left,
                       p->pad_right, "w"));
    if (d->groups < 1 || c % d->groups != 0 || oc % d->groups != 0)
        return chm__fail(dev, who, CHM_EINVAL,
                         "groups is %d; it must divide in channels (%lld) and out channels (%lld)",
                         d->groups, (long long)c, (long long)oc);
    CHECK(chm__check_dim(dev, who, "weights", w, 3, c / d->groups, "in channels / groups"));
    if (bias) {
        CHECK(chm__check_tensor(dev, who, "bias", bias, CHM_INT32, 1));
        CHECK(chm__check_dim(dev, who, "bias", bias, 0, oc, "out channels"));
    }
    const int64_t oh = chm__out_extent(h, (int)kh, d->stride_h, d->dil_h, p->pad_top, p->pad_bottom);
    const int64_t ow = chm__out_extent(wd, (int)kw, d->stride_w, d->dil_w, p->pad_left, p->pad_right);
    if (oh < 1 || ow < 1)
        return chm__fail(dev, who, CHM_ESHAPE,
                         "the %lldx%lld window (dilated) does not fit the padded %lldx%lld input",
                         (long long)kh, (long long)kw, (long long)h, (long long)wd);
    CHECK(chm__check_dim(dev, who, "out", out, 0, n, "batch"));
    CHECK(chm__check_dim(dev, who, "out", out, 1, oh, "output height"));
    CHECK(chm__check_dim(dev, who, "out", out, 2, ow, "output width"));
    CHECK(chm__check_dim(dev, who, "out", out, 3, oc, "out channels = weights dims[0]"));
    CHECK(check_gemm_limits(dev, who, n * oh * ow, kh * kw * (c / d->groups)));
    d->n = (int32_t)n;
    d->ih = (int32_t)h;
    d->iw = (int32_t)wd;
    d->ic = (int32_t)c;
    d->oh = (int32_t)oh;
    d->ow = (int32_t)ow;
    d->oc = (int32_t)oc;
    d->kh = (int32_t)kh;
    d->kw = (int32_t)kw;
    d->has_bias = bias != NULL;
    return CHM_OK;
}

static void set_ins(chm_kop *op, chm_tensor *a, chm_tensor *b, chm_tensor *c, chm_tensor *out)
{
    op->mode = CHM_MODE_CNN;
    op->in[0] = a;
    op->in[1] = b;
    op->in[2] = c;
    op->n_in = 3;
    op->out = out;
}

int chm_conv2d(chm_device *dev, chm_tensor *in, chm_tensor *weights, chm_tensor *bias,
               chm_tensor *out, const chm_conv2d_params *p, chm_event **ev)
{
    const char *who = __func__;
    if (!dev || !p)
        return CHM_FAIL(dev, CHM_EINVAL, "dev and p must not be NULL");
    CHECK(chm__check_tensor(dev, who, "in", in, CHM_INT8, 4));
    CHECK(chm__check_tensor(dev, who, "weights", weights, CHM_INT8, 4));
    CHECK(chm__check_tensor(dev, who, "out", out, CHM_INT8, 4));
    CHECK(chm__check_distinct(dev, who, out, in, weights, bias));
    chm_kop op;
    memset(&op, 0, sizeof op);
    op.kind = KOP_CONV;
    CHECK(conv_desc(dev, who, in, weights, bias, out, p, &op.u.conv));
    CHECK(chm__take_requant(dev, who, &p->rq, op.u.conv.oc, &op.u.conv, &op));
    set_ins(&op, in, weights, bias, out);
    const cnn_conv_desc *d = &op.u.conv;
    char name[48];
    snprintf(name, sizeof name, "conv2d %dx%d %dx%dx%d->%d%s", d->kh, d->kw, d->ih, d->iw, d->ic,
             d->oc, d->groups > 1 ? " grouped" : "");
    return chm__submit_kop(dev, who, &op, name, ev);
}

int chm_fully_connected(chm_device *dev, chm_tensor *in, chm_tensor *weights, chm_tensor *bias,
                        chm_tensor *out, const chm_requant *rq, chm_event **ev)
{
    const char *who = __func__;
    if (!dev)
        return CHM_FAIL(dev, CHM_EINVAL, "dev is NULL");
    CHECK(chm__check_tensor(dev, who, "in", in, CHM_INT8, 2));
    CHECK(chm__check_tensor(dev, who, "weights", weights, CHM_INT8, 2));
    CHECK(chm__check_tensor(dev, who, "out", out, CHM_INT8, 2));
    CHECK(chm__check_distinct(dev, who, out, in, weights, bias));
    const int64_t n = in->dims[0], k = in->dims[1], m = weights->dims[0];
    CHECK(chm__check_dim(dev, who, "weights", weights, 1, k, "in features = in dims[1]"));
    if (bias) {
        CHECK(chm__check_tensor(dev, who, "bias", bias, CHM_INT32, 1));
        CHECK(chm__check_dim(dev, who, "bias", bias, 0, m, "out features"));
    }
    CHECK(chm__check_dim(dev, who, "out", out, 0, n, "batch"));
    CHECK(chm__check_dim(dev, who, "out", out, 1, m, "out features = weights dims[0]"));
    CHECK(check_gemm_limits(dev, who, n, k));
    chm_kop op;
    memset(&op, 0, sizeof op);
    op.kind = KOP_CONV;
    cnn_conv_desc *d = &op.u.conv;
    d->n = (int32_t)n;
    d->ih = d->iw = d->oh = d->ow = 1;
    d->ic = (int32_t)k;
    d->oc = (int32_t)m;
    d->kh = d->kw = d->stride_h = d->stride_w = d->dil_h = d->dil_w = d->groups = 1;
    d->has_bias = bias != NULL;
    CHECK(chm__take_requant(dev, who, rq, d->oc, d, &op));
    set_ins(&op, in, weights, bias, out);
    char name[48];
    snprintf(name, sizeof name, "fc %d->%d", d->ic, d->oc);
    return chm__submit_kop(dev, who, &op, name, ev);
}

static int pool(chm_device *dev, const char *who, int is_avg, chm_tensor *in, chm_tensor *out,
                const chm_pool_params *p, chm_event **ev)
{
    if (!dev || !p)
        return chm__fail(dev, who, CHM_EINVAL, "dev and p must not be NULL");
    CHECK(chm__check_tensor(dev, who, "in", in, CHM_INT8, 4));
    CHECK(chm__check_tensor(dev, who, "out", out, CHM_INT8, 4));
    CHECK(chm__check_distinct(dev, who, out, in, in, NULL));
    chm_kop op;
    memset(&op, 0, sizeof op);
    op.kind = KOP_POOL;
    cnn_pool_desc *d = &op.u.pool;
    d->kh = p->kernel_h;
    d->kw = p->kernel_w;
    d->stride_h = p->stride_h ? p->stride_h : p->kernel_h;
    d->stride_w = p->stride_w ? p->stride_w : p->kernel_w;
    CHECK(chm__check_window(dev, who, d->kh, d->stride_h, 1, p->pad_top, p->pad_bottom, "h"));
    CHECK(chm__check_window(dev, who, d->kw, d->stride_w, 1, p->pad_left, p->pad_right, "w"));
    if (p->pad_top >= d->kh || p->pad_bottom >= d->kh || p->pad_left >= d->kw ||
        p->pad_right >= d->kw)
        return chm__fail(dev, who, CHM_EINVAL, "padding must be smaller than the %dx%d window",
                         d->kh, d->kw);
    const int64_t oh = chm__out_extent(in->dims[1], d->kh, d->stride_h, 1, p->pad_top, p->pad_bottom);
    const int64_t ow = chm__out_extent(in->dims[2], d->kw, d->stride_w, 1, p->pad_left, p->pad_right);
    if (oh < 1 || ow < 1)
        return chm__fail(dev, who, CHM_ESHAPE, "the %dx%d window does not fit the padded input",
                         d->kh, d->kw);
    CHECK(chm__check_dim(dev, who, "out", out, 0, in->dims[0], "batch"));
    CHECK(chm__check_dim(dev, who, "out", out, 1, oh, "output height"));
    CHECK(chm__check_dim(dev, who, "out", out, 2, ow, "output width"));
    CHECK(chm__check_dim(dev, who, "out", out, 3, in->dims[3], "channels"));
    if (in->bytes > INT32_MAX)
        return chm__fail(dev, who, CHM_ELIMIT, "input larger than 2 GiB");
    d->n = (int32_t)in->dims[0];
    d->ih = (int32_t)in->dims[1];
    d->iw = (int32_t)in->dims[2];
    d->c = (int32_t)in->dims[3];
    d->oh = (int32_t)oh;
    d->ow = (int32_t)ow;
    d->pad_t = p->pad_top;
    d->pad_l = p->pad_left;
    if (p->round_even != 0 && p->round_even != CHM_POOL_ROUND_EVEN)
        return chm__fail(dev, who, CHM_EINVAL, "round_even is %d; 0 or CHM_POOL_ROUND_EVEN",
                         p->round_even);
    if (p->round_even && (p->zero_point < -128 || p->zero_point > 127))
        return chm__fail(dev, who, CHM_EINVAL, "zero_point %d is not an int8 value",
                         (int)p->zero_point);
    d->is_avg = !is_avg ? CNN_POOL_MAX : p->round_even ? CNN_POOL_AVG_EVEN : CNN_POOL_AVG;
    d->avg_zp = is_avg && p->round_even ? p->zero_point : 0;
    set_ins(&op, in, NULL, NULL, out);
    op.n_in = 1;
    char name[48];
    snprintf(name, sizeof name, "%s %dx%d", is_avg ? "avgpool" : "maxpool", d->kh, d->kw);
    return chm__submit_kop(dev, who, &op, name, ev);
}

int chm_maxpool(chm_device *dev, chm_tensor *in, chm_tensor *out, const chm_pool_params *p,
                chm_event **ev)
{
    return pool(dev, __func__, 0, in, out, p, ev);
}

int chm_avgpool(chm_device *dev, chm_tensor *in, chm_tensor *out, const chm_pool_params *p,
                chm_event **ev)
{
    return pool(dev, __func__, 1, in, out, p, ev);
}

static int add_desc(chm_device *dev, const char *who, const chm_add_params *p, cnn_add_desc *d)
{
    CHECK(check_zp(dev, who, "a_zero_point", p->a_zero_point));
    CHECK(check_zp(dev, who, "b_zero_point", p->b_zero_point));
    CHECK(check_zp(dev, who, "out_zero_point", p->out_zero_point));
    CHECK(check_mult_shift(dev, who, "a", 0, p->a_multiplier, p->a_shift, 0));
    CHECK(check_mult_shift(dev, who, "b", 0, p->b_multiplier, p->b_shift, 0));
    CHECK(check_mult_shift(dev, who, "out", 0, p->out_multiplier, p->out_shift, 0));
    d->left_shift = p->left_shift ? p->left_shift : 20;
    if (d->left_shift < 0 || d->left_shift > 22)
        return chm__fail(dev, who, CHM_EINVAL, "left_shift is %d, expected 0..22", p->left_shift);
    CHECK(act_range(dev, who, p->act, p->out_zero_point, p->relu6_q, &d->act_min, &d->act_max));
    d->a_zp = p->a_zero_point;
    d->b_zp = p->b_zero_point;
    d->out_zp = p->out_zero_point;
    d->a_mult = p->a_multiplier;
    d->a_shift = p->a_shift;
    d->b_mult = p->b_multiplier;
    d->b_shift = p->b_shift;
    d->out_mult = p->out_multiplier;
    d->out_shift = p->out_shift;
    return CHM_OK;
}

int chm_add(chm_device *dev, chm_tensor *a, chm_tensor *b, chm_tensor *out,
            const chm_add_params *p, chm_event **ev)
{
    const char *who = __func__;
    if (!dev || !p)
        return CHM_FAIL(dev, CHM_EINVAL, "dev and p must not be NULL");
    if (!a || !b || !out)
        return CHM_FAIL(dev, CHM_EINVAL, "a, b and out must not be NULL");
    CHECK(chm__check_tensor(dev, who, "a", a, CHM_INT8, a->ndim));
    CHECK(chm__check_tensor(dev, who, "b", b, CHM_INT8, a->ndim));
    CHECK(chm__check_tensor(dev, who, "out", out, CHM_INT8, a->ndim));
    for (int i = 0; i < a->ndim; i++) {
        CHECK(chm__check_dim(dev, who, "b", b, i, a->dims[i], "same as a"));
        CHECK(chm__check_dim(dev, who, "out", out, i, a->dims[i], "same as a"));
    }
    if (a->bytes > INT32_MAX)
        return CHM_FAIL(dev, CHM_ELIMIT, "tensors larger than 2 GiB");
    chm_kop op;
    memset(&op, 0, sizeof op);
    op.kind = KOP_ADD;
    CHECK(add_desc(dev, who, p, &op.u.add));
    op.u.add.count = (int32_t)a->bytes;
    set_ins(&op, a, b, NULL, out);
    op.n_in = 2;
    char name[48];
    snprintf(name, sizeof name, "add %d", op.u.add.count);
    return chm__submit_kop(dev, who, &op, name, ev);
}
