/*
 * cnn_kernels.h - the CNN mode's kernels: what the region exports.
 *
 * Each kernel takes its tensors as m_axi pointers into card memory and its
 * shape as one descriptor on the s_axilite control port. Activations are
 * NHWC int8, conv weights OHWI int8, bias int32, per-channel requantization
 * as Q31 multiplier + shift (hls/common/hls_quant.h). The host validates a
 * descriptor before it reaches a kernel; kernels trust it.
 */
#ifndef CNN_KERNELS_H
#define CNN_KERNELS_H

#include <stdint.h>

#include "cnn_config.h"

/* A convolution (a fully connected layer is a 1x1 one on a 1x1 image). */
typedef struct cnn_conv_desc {
    int32_t n, ih, iw, ic;       /* input [n, ih, iw, ic] */
    int32_t oh, ow, oc;          /* output [n, oh, ow, oc] */
    int32_t kh, kw;              /* window */
    int32_t stride_h, stride_w;
    int32_t pad_t, pad_l;        /* bottom/right padding follows from oh/ow */
    int32_t dil_h, dil_w;
    int32_t groups;              /* ic and oc are multiples of it */
    int32_t in_zp, out_zp;       /* zero points; padding reads as in_zp */
    int32_t act_min, act_max;    /* output clamp (fused ReLU / ReLU6) */
    int32_t has_bias;
    int32_t per_tensor;          /* one multiplier/shift for all channels */
} cnn_conv_desc;

void cnn_conv2d(const int8_t *in, const int8_t *wts, const int32_t *bias,
                const int32_t *mult, const int32_t *shift, int8_t *out, cnn_conv_desc d);

typedef struct cnn_pool_desc {
    int32_t n, ih, iw, c;
    int32_t oh, ow;
    int32_t kh, kw, stride_h, stride_w, pad_t, pad_l;
    int32_t is_avg;              /* cnn_pool_kind */
    int32_t avg_zp;              /* CNN_POOL_AVG_EVEN: the zero point ties are taken about */
} cnn_pool_desc;

enum cnn_pool_kind {
    CNN_POOL_MAX = 0,
    CNN_POOL_AVG = 1,      /* sum / count, ties away from zero (TFLite) */
    CNN_POOL_AVG_EVEN = 2  /* zp + (sum - count zp) / count, ties to even (ONNX Q(mean(DQ(x)))) */
};

void cnn_pool(const int8_t *in, int8_t *out, cnn_pool_desc d);

typedef struct cnn_add_desc {
    int32_t count;               /* elements */
    int32_t a_zp, b_zp, out_zp;
    int32_t a_mult, a_shift, b_mult, b_shift, out_mult, out_shift;
    int32_t left_shift;
    int32_t act_min, act_max;
} cnn_add_desc;

void cnn_add(const int8_t *a, const int8_t *b, int8_t *out, cnn_add_desc d);

#endif /* CNN_KERNELS_H */
