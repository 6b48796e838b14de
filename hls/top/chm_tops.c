/*
 * chm_tops.c - the Vitis top functions of the overlay (chm_tops.h): the
 * AXI interfaces of each kernel and the descriptor its scalars make. The
 * kernels below them are inlined; what v++ builds is these functions.
 */
#include <string.h>

#include "chm_tops.h"
#include "cnn_kernels.h"
#include "graph_kernels.h"
#include "sparse_kernels.h"

void chm_cnn_conv2d(const int8_t *in, const int8_t *wts, const int32_t *bias,
                    const int32_t *mult, const int32_t *shift, int8_t *out, int32_t n,
                    int32_t ih, int32_t iw, int32_t ic, int32_t oh, int32_t ow, int32_t oc,
                    int32_t kh, int32_t kw, int32_t stride_h, int32_t stride_w, int32_t pad_t,
                    int32_t pad_l, int32_t dil_h, int32_t dil_w, int32_t groups, int32_t in_zp,
                    int32_t out_zp, int32_t act_min, int32_t act_max, int32_t has_bias,
                    int32_t per_tensor)
{
#pragma HLS INTERFACE m_axi port=in offset=slave bundle=gmem0 \
    max_read_burst_length=CNN_AXI_MAX_BURST num_read_outstanding=CNN_AXI_OUTSTANDING
#pragma HLS INTERFACE m_axi port=wts offset=slave bundle=gmem1 \
    max_read_burst_length=CNN_AXI_MAX_BURST num_read_outstanding=CNN_AXI_OUTSTANDING
#pragma HLS INTERFACE m_axi port=bias offset=slave bundle=gmem2
#pragma HLS INTERFACE m_axi port=mult offset=slave bundle=gmem2
#pragma HLS INTERFACE m_axi port=shift offset=slave bundle=gmem2
#pragma HLS INTERFACE m_axi port=out offset=slave bundle=gmem3 max_write_burst_length=64
#pragma HLS INTERFACE s_axilite port=return
    const cnn_conv_desc d = { n, ih, iw, ic, oh, ow, oc, kh, kw, stride_h, stride_w, pad_t, pad_l,
                              dil_h, dil_w, groups, in_zp, out_zp, act_min, act_max, has_bias,
                              per_tensor };
    cnn_conv2d(in, wts, bias, mult, shift, out, d);
}

void chm_cnn_pool(const int8_t *in, int8_t *out, int32_t n, int32_t ih, int32_t iw, int32_t c,
                  int32_t oh, int32_t ow, int32_t kh, int32_t kw, int32_t stride_h,
                  int32_t stride_w, int32_t pad_t, int32_t pad_l, int32_t is_avg,
                  int32_t avg_zp)
{
#pragma HLS INTERFACE m_axi port=in offset=slave bundle=gmem0 \
    max_read_burst_length=CNN_AXI_MAX_BURST num_read_outstanding=CNN_AXI_OUTSTANDING
#pragma HLS INTERFACE m_axi port=out offset=slave bundle=gmem1
#pragma HLS INTERFACE s_axilite port=return
    const cnn_pool_desc d = { n, ih, iw, c, oh, ow, kh, kw, stride_h, stride_w, pad_t, pad_l,
                              is_avg, avg_zp };
    cnn_pool(in, out, d);
}

void chm_cnn_add(const int8_t *a, const int8_t *b, int8_t *out, int32_t count, int32_t a_zp,
                 int32_t b_zp, int32_t out_zp, int32_t a_mult, int32_t a_shift, int32_t b_mult,
                 int32_t b_shift, int32_t out_mult, int32_t out_shift, int32_t left_shift,
                 int32_t act_min, int32_t act_max)
{
#pragma HLS INTERFACE m_axi port=a offset=slave bundle=gmem0 \
    max_read_burst_length=CNN_AXI_MAX_BURST num_read_outstanding=CNN_AXI_OUTSTANDING
#pragma HLS INTERFACE m_axi port=b offset=slave bundle=gmem1 \
    max_read_burst_length=CNN_AXI_MAX_BURST num_read_outstanding=CNN_AXI_OUTSTANDING
#pragma HLS INTERFACE m_axi port=out offset=slave bundle=gmem2
#pragma HLS INTERFACE s_axilite port=return
    const cnn_add_desc d = { count, a_zp, b_zp, out_zp, a_mult, a_shift, b_mult, b_shift,
                             out_mult, out_shift, left_shift, act_min, act_max };
    cnn_add(a, b, out, d);
}

void chm_sparse_layer(const int8_t *in, const uint8_t *wblob, const int32_t *bias,
                      const int32_t *mult, const int32_t *shift, int8_t *out, int32_t n,
                      int32_t ih, int32_t iw, int32_t ic, int32_t oh, int32_t ow, int32_t oc,
                      int32_t kh, int32_t kw, int32_t stride_h, int32_t stride_w, int32_t pad_t,
                      int32_t pad_l, int32_t dil_h, int32_t dil_w, int32_t in_zp, int32_t out_zp,
                      int32_t act_min, int32_t act_max, int32_t has_bias, int32_t per_tensor)
{
#pragma HLS INTERFACE m_axi port=in offset=slave bundle=gmem0 num_read_outstanding=64
#pragma HLS INTERFACE m_axi port=wblob offset=slave bundle=gmem1
#pragma HLS INTERFACE m_axi port=bias offset=slave bundle=gmem2
#pragma HLS INTERFACE m_axi port=mult offset=slave bundle=gmem2
#pragma HLS INTERFACE m_axi port=shift offset=slave bundle=gmem2
#pragma HLS INTERFACE m_axi port=out offset=slave bundle=gmem3
#pragma HLS INTERFACE s_axilite port=return
    const sparse_desc d = { n, ih, iw, ic, oh, ow, oc, kh, kw, stride_h, stride_w, pad_t, pad_l,
                            dil_h, dil_w, in_zp, out_zp, act_min, act_max, has_bias, per_tensor };
    sparse_layer(in, wblob, bias, mult, shift, out, d);
}

/* graph_desc from the GRAPH tops' scalars; the fp32 ones arrive as bit patterns. */
static graph_desc graph_args(int32_t int8, CHM_GRAPH_SCALARS)
{
    graph_desc d = { n, f, o, h, kind, aggr, order, relu, int8, has_bias, has_bias2, in_zp,
                     mid_zp, hid_zp, out_zp, agg_mult, agg_shift, comb_mult, comb_shift,
                     fin_mult, fin_shift, 0.0f, 0.0f };
    memcpy(&d.bias_inv_scale, &bias_inv_scale, sizeof d.bias_inv_scale);
    memcpy(&d.bias2_inv_scale, &bias2_inv_scale, sizeof d.bias2_inv_scale);
    return d;
}

#define GRAPH_TOP_PRAGMAS                                                 \
    _Pragma("HLS INTERFACE m_axi port=gblob offset=slave bundle=gmem0")   \
    _Pragma("HLS INTERFACE m_axi port=feat offset=slave bundle=gmem1")    \
    _Pragma("HLS INTERFACE m_axi port=w offset=slave bundle=gmem2")       \
    _Pragma("HLS INTERFACE m_axi port=bias offset=slave bundle=gmem2")    \
    _Pragma("HLS INTERFACE m_axi port=w2 offset=slave bundle=gmem2")      \
    _Pragma("HLS INTERFACE m_axi port=bias2 offset=slave bundle=gmem2")   \
    _Pragma("HLS INTERFACE m_axi port=out offset=slave bundle=gmem3")     \
    _Pragma("HLS INTERFACE m_axi port=scratch offset=slave bundle=gmem3") \
    _Pragma("HLS INTERFACE s_axilite port=return")

#define GRAPH_ARGS                                                                           \
    n, f, o, h, kind, aggr, order, relu, has_bias, has_bias2, in_zp, mid_zp, hid_zp, out_zp, \
        agg_mult, agg_shift, comb_mult, comb_shift, fin_mult, fin_shift, bias_inv_scale,     \
        bias2_inv_scale

void chm_graph_layer_i8(const uint8_t *gblob, const int8_t *feat, const int8_t *w,
                        const float *bias, const int8_t *w2, const float *bias2, int8_t *out,
                        int8_t *scratch, CHM_GRAPH_SCALARS)
{
    GRAPH_TOP_PRAGMAS
    graph_layer_i8(gblob, feat, w, bias, w2, bias2, out, scratch, graph_args(1, GRAPH_ARGS));
}

void chm_graph_layer_f32(const uint8_t *gblob, const float *feat, const float *w,
                         const float *bias, const float *w2, const float *bias2, float *out,
                         float *scratch, CHM_GRAPH_SCALARS)
{
    GRAPH_TOP_PRAGMAS
    graph_layer_f32(gblob, feat, w, bias, w2, bias2, out, scratch, graph_args(0, GRAPH_ARGS));
}
