/*
 * chm_tops.h - the overlay's Vitis kernels: one top function a kernel,
 * named as the xrt backend opens it ("chm_" + the register map's kernel),
 * with the argument list of its register map (rtl/regmap/<kernel>.json):
 * typed AXI pointers first, then one 32-bit scalar a descriptor field.
 * Each builds the kernel's descriptor and calls the kernel.
 *
 * Flat scalars rather than a struct by value: the RTL engines, the rtl
 * backend and XRT's C API (xrtRunSetArg takes one scalar a vararg) all see
 * the same argument list; fp32 scalars travel as their bit patterns.
 */
#ifndef CHM_TOPS_H
#define CHM_TOPS_H

#include <stdint.h>

void chm_cnn_conv2d(const int8_t *in, const int8_t *wts, const int32_t *bias,
                    const int32_t *mult, const int32_t *shift, int8_t *out, int32_t n,
                    int32_t ih, int32_t iw, int32_t ic, int32_t oh, int32_t ow, int32_t oc,
                    int32_t kh, int32_t kw, int32_t stride_h, int32_t stride_w, int32_t pad_t,
                    int32_t pad_l, int32_t dil_h, int32_t dil_w, int32_t groups, int32_t in_zp,
                    int32_t out_zp, int32_t act_min, int32_t act_max, int32_t has_bias,
                    int32_t per_tensor);

void chm_cnn_pool(const int8_t *in, int8_t *out, int32_t n, int32_t ih, int32_t iw, int32_t c,
                  int32_t oh, int32_t ow, int32_t kh, int32_t kw, int32_t stride_h,
                  int32_t stride_w, int32_t pad_t, int32_t pad_l, int32_t is_avg,
                  int32_t avg_zp);

void chm_cnn_add(const int8_t *a, const int8_t *b, int8_t *out, int32_t count, int32_t a_zp,
                 int32_t b_zp, int32_t out_zp, int32_t a_mult, int32_t a_shift, int32_t b_mult,
                 int32_t b_shift, int32_t out_mult, int32_t out_shift, int32_t left_shift,
                 int32_t act_min, int32_t act_max);

void chm_sparse_layer(const int8_t *in, const uint8_t *wblob, const int32_t *bias,
                      const int32_t *mult, const int32_t *shift, int8_t *out, int32_t n,
                      int32_t ih, int32_t iw, int32_t ic, int32_t oh, int32_t ow, int32_t oc,
                      int32_t kh, int32_t kw, int32_t stride_h, int32_t stride_w, int32_t pad_t,
                      int32_t pad_l, int32_t dil_h, int32_t dil_w, int32_t in_zp, int32_t out_zp,
                      int32_t act_min, int32_t act_max, int32_t has_bias, int32_t per_tensor);

/* The GRAPH tops' scalars, graph_desc's fields in order (int8 left out: each top is one type). */
#define CHM_GRAPH_SCALARS                                                                     \
    int32_t n, int32_t f, int32_t o, int32_t h, int32_t kind, int32_t aggr, int32_t order,      \
        int32_t relu, int32_t has_bias, int32_t has_bias2, int32_t in_zp, int32_t mid_zp,       \
        int32_t hid_zp, int32_t out_zp, int32_t agg_mult, int32_t agg_shift, int32_t comb_mult, \
        int32_t comb_shift, int32_t fin_mult, int32_t fin_shift, uint32_t bias_inv_scale,       \
        uint32_t bias2_inv_scale

void chm_graph_layer_i8(const uint8_t *gblob, const int8_t *feat, const int8_t *w,
                        const float *bias, const int8_t *w2, const float *bias2, int8_t *out,
                        int8_t *scratch, CHM_GRAPH_SCALARS);
void chm_graph_layer_f32(const uint8_t *gblob, const float *feat, const float *w,
                         const float *bias, const float *w2, const float *bias2, float *out,
                         float *scratch, CHM_GRAPH_SCALARS);

#endif /* CHM_TOPS_H */
