/*
 * cnn_add.c - quantized element-wise add (residual connections).
 *
 * TFLite's int8 ADD: both inputs, offset by their zero points, are shifted
 * left by left_shift bits of headroom, scaled to a common scale, summed and
 * requantized to the output scale. The multipliers are all < 1, so the
 * shifts are right shifts.
 *
 * An input's rescaled value depends only on its byte, so the kernel works
 * out the 256 of each input once a call (add_tables: CNN_ADD_TABLE_UNITS
 * MultiplyByQuantizedMultiplier units an input, 256 / units cycles) into a
 * table per lane, and the lanes look their bytes up: CNN_ADD_LANES elements
 * a cycle through one MultiplyByQuantizedMultiplier each (the sum's); three
 * a lane, as before, were 48 units of a 32 x 32-bit multiplier and its
 * rounding shifts (the RTL: 88,156 LUTs against 53,222 now, Yosys).
 * Bit for bit the same results: a table entry is the function it replaces.
 * The RTL engine (rtl/cnn/chm_cnn_add.sv) has the same lanes and units.
 */
#include "cnn_kernels.h"
#include "hls_quant.h"

/* Input x's rescaled value for each byte: entry v is the byte (int8_t)v. */
static void add_tables(cnn_add_desc d, int32_t ta[CNN_ADD_LANES][256],
                       int32_t tb[CNN_ADD_LANES][256])
{
add_table:
    for (int32_t v0 = 0; v0 < 256; v0 += CNN_ADD_TABLE_UNITS) {
#pragma HLS PIPELINE II=1
    add_table_units:
        for (int32_t u = 0; u < CNN_ADD_TABLE_UNITS; u++) {
#pragma HLS UNROLL
            const int32_t x = (int8_t)(uint8_t)(v0 + u);
            const int32_t ra = hls_multiply_by_quantized_multiplier(
                (x - d.a_zp) * (1 << d.left_shift), d.a_mult, d.a_shift);
            const int32_t rb = hls_multiply_by_quantized_multiplier(
                (x - d.b_zp) * (1 << d.left_shift), d.b_mult, d.b_shift);
        add_table_copies:
            for (int32_t l = 0; l < CNN_ADD_LANES; l++) {
#pragma HLS UNROLL
                ta[l][v0 + u] = ra;
                tb[l][v0 + u] = rb;
            }
        }
    }
}

void cnn_add(const int8_t *a, const int8_t *b, int8_t *out, cnn_add_desc d)
{
    int32_t ta[CNN_ADD_LANES][256], tb[CNN_ADD_LANES][256];
#pragma HLS ARRAY_PARTITION variable=ta dim=1 complete
#pragma HLS ARRAY_PARTITION variable=tb dim=1 complete
#pragma HLS ARRAY_PARTITION variable=ta dim=2 cyclic factor=CNN_ADD_TABLE_UNITS
#pragma HLS ARRAY_PARTITION variable=tb dim=2 cyclic factor=CNN_ADD_TABLE_UNITS
    add_tables(d, ta, tb);
add_chunks:
    for (int32_t i0 = 0; i0 < d.count; i0 += CNN_ADD_LANES) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=65536
#pragma HLS PIPELINE II=1
    add_lanes:
        for (int32_t l = 0; l < CNN_ADD_LANES; l++) {
#pragma HLS UNROLL
            const int32_t i = i0 + l;
            if (i < d.count) {
                const int32_t ra = ta[l][(uint8_t)a[i]];
                const int32_t rb = tb[l][(uint8_t)b[i]];
                const int32_t raw =
                    hls_multiply_by_quantized_multiplier(ra + rb, d.out_mult, d.out_shift);
                out[i] = hls_clamp_int8(raw, d.out_zp, d.act_min, d.act_max);
            }
        }
    }
}
