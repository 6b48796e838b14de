/*
 * cnn_add.c - quantized element-wise add (residual connections).
 *
 * TFLite's int8 ADD: both inputs, offset by their zero points, are shifted
 * left by left_shift bits of headroom, scaled to a common scale, summed and
 * requantized to the output scale. The multipliers are all < 1, so the
 * shifts are right shifts. CNN_ADD_LANES elements a cycle (the RTL engine,
 * rtl/cnn/chm_cnn_add.sv, has the same lanes).
 */
#include "cnn_kernels.h"
#include "hls_quant.h"

void cnn_add(const int8_t *a, const int8_t *b, int8_t *out, cnn_add_desc d)
{
add_chunks:
    for (int32_t i0 = 0; i0 < d.count; i0 += CNN_ADD_LANES) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=65536
#pragma HLS PIPELINE II=1
    add_lanes:
        for (int32_t l = 0; l < CNN_ADD_LANES; l++) {
#pragma HLS UNROLL
            const int32_t i = i0 + l;
            if (i < d.count) {
                const int32_t sa = (a[i] - d.a_zp) * (1 << d.left_shift);
                const int32_t sb = (b[i] - d.b_zp) * (1 << d.left_shift);
                const int32_t ra = hls_multiply_by_quantized_multiplier(sa, d.a_mult, d.a_shift);
                const int32_t rb = hls_multiply_by_quantized_multiplier(sb, d.b_mult, d.b_shift);
                const int32_t raw =
                    hls_multiply_by_quantized_multiplier(ra + rb, d.out_mult, d.out_shift);
                out[i] = hls_clamp_int8(raw, d.out_zp, d.act_min, d.act_max);
            }
        }
    }
}
