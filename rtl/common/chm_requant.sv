// chm_requant - the int8 output stage, bit for bit hls/common/hls_quant.h
// (TFLite's MultiplyByQuantizedMultiplier with the left shift saturating, or
// ONNX Runtime's float32 rule):
//   s   = acc + off                                saturated to int32
//         off = (bias) - in_zp * colsum: the zero-point term and the bias,
//         worked out where the weights are (once a column, not in every
//         output stage; the CNN conv engine accumulates it as the weight
//         beats land). off comes clamped to 34 bits, which changes no
//         result: |acc| <= 2^31, so any |off| >= 2^32 saturates s either
//         way (chm_off34 clamps a 64-bit offset)
//   o   = chm_mbqm(s, mult, shift)      mult in [2^30, 2^31): TFLite's rule
//   o   = chm_f32rule(s, mult, shift)   mult in [2^23, 2^24): ONNX Runtime's
//   out = clamp(o + out_zp, act_min, act_max)
// Combinational; the engine registers its result.
module chm_requant #(
  parameter bit F32Rule = 1'b1  // 0: TFLite's rule only (the add engine's output stage)
) (
  input  logic signed [31:0] acc_i,
  input  logic signed [33:0] off_i,
  input  logic signed [31:0] mult_i,
  input  logic signed [31:0] shift_i,
  input  logic signed [31:0] out_zp_i,
  input  logic signed [31:0] act_min_i,
  input  logic signed [31:0] act_max_i,
  output logic        [7:0]  out_o
);
  logic signed [34:0] sum;
  logic signed [31:0] s, rounded, r_fixed;

  always_comb begin
    sum = 35'(acc_i) + 35'(off_i);
    if (sum > 35'sh7FFFFFFF) s = 32'sh7FFFFFFF;
    else if (sum < -35'sh80000000) s = 32'sh80000000;
    else s = sum[31:0];
  end

  chm_mbqm u_mbqm (.x_i(s), .mult_i, .shift_i, .y_o(r_fixed));
  if (F32Rule) begin : g_f32
    logic signed [31:0] r_f32;
    chm_f32rule u_f32 (.x_i(s), .mult_i, .shift_i, .y_o(r_f32));
    assign rounded = (mult_i >= 32'sd8388608 && mult_i < 32'sd16777216) ? r_f32 : r_fixed;
  end else begin : g_fixed
    assign rounded = r_fixed;
  end
  chm_clamp8 u_clamp (.v_i(rounded), .zp_i(out_zp_i), .min_i(act_min_i), .max_i(act_max_i),
                      .out_o);
endmodule

