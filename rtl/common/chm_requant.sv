// chm_requant - the int8 output stage, bit for bit hls/common/hls_quant.h
// (TFLite's MultiplyByQuantizedMultiplier, the left shift saturating):
//   v   = acc - in_zp * colsum (+ bias)            saturated to int32
//   o   = chm_mbqm(v, mult, shift)
//   out = clamp(o + out_zp, act_min, act_max)
// Combinational; the engine registers its result.
module chm_requant (
  input  logic signed [31:0] acc_i,
  input  logic signed [31:0] colsum_i,
  input  logic signed [31:0] in_zp_i,
  input  logic signed [31:0] bias_i,
  input  logic               has_bias_i,
  input  logic signed [31:0] mult_i,
  input  logic signed [31:0] shift_i,
  input  logic signed [31:0] out_zp_i,
  input  logic signed [31:0] act_min_i,
  input  logic signed [31:0] act_max_i,
  output logic        [7:0]  out_o
);
  logic signed [63:0] v;
  logic signed [31:0] s, rounded;

  always_comb begin
    // 32 x 32 -> 64-bit product: what DSP48E2 cascades build (4 each)
    v = 64'(acc_i) - in_zp_i * colsum_i + (has_bias_i ? 64'(bias_i) : 64'sd0);
    if (v > 64'sh7FFFFFFF) s = 32'sh7FFFFFFF;
    else if (v < -64'sh80000000) s = 32'sh80000000;
    else s = v[31:0];
  end

  chm_mbqm u_mbqm (.x_i(s), .mult_i, .shift_i, .y_o(rounded));
  chm_clamp8 u_clamp (.v_i(rounded), .zp_i(out_zp_i), .min_i(act_min_i), .max_i(act_max_i),
                      .out_o);
endmodule
