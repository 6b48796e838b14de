// chm_requant - the int8 output stage, bit for bit hls/common/hls_quant.h
// (TFLite's MultiplyByQuantizedMultiplier, the left shift saturating):
//   v   = acc - in_zp * colsum (+ bias)            saturated to int32
//   s   = sat32(v << max(shift, 0))
//   h   = saturating rounding doubling high multiply (s, mult)
//   o   = rounding divide by 2^max(-shift, 0), ties away from zero
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
  function automatic logic signed [31:0] sat32(input logic signed [63:0] v);
    if (v > 64'sh7FFFFFFF) sat32 = 32'sh7FFFFFFF;
    else if (v < -64'sh80000000) sat32 = 32'sh80000000;
    else sat32 = v[31:0];
  endfunction

  logic signed [63:0] v, shifted64, ab, q, r;
  logic signed [31:0] s, shifted, hm, rounded, mask, rem, thr;
  logic signed [63:0] w;
  logic        [4:0]  left, right;

  always_comb begin
    // 32 x 32 -> 64-bit products: what DSP48E2 cascades build (4 each)
    v = 64'(acc_i) - in_zp_i * colsum_i + (has_bias_i ? 64'(bias_i) : 64'sd0);
    s = sat32(v);
    left = shift_i > 0 ? shift_i[4:0] : 5'd0;
    right = shift_i > 0 ? 5'd0 : 5'(-shift_i);
    shifted64 = 64'(s) <<< left;
    shifted = sat32(shifted64);
    ab = shifted * mult_i;
    q = ab + (ab >= 0 ? 64'sd1073741824 : 64'sd1 - 64'sd1073741824);
    r = q >= 0 ? (q >>> 31) : -((-q) >>> 31);
    hm = (shifted == 32'sh80000000 && mult_i == 32'sh80000000) ? 32'sh7FFFFFFF : r[31:0];
    mask = 32'((64'sd1 <<< right) - 64'sd1);
    rem = hm & mask;
    thr = (mask >>> 1) + (hm < 0 ? 32'sd1 : 32'sd0);
    rounded = (hm >>> right) + (rem > thr ? 32'sd1 : 32'sd0);
    w = 64'(rounded) + 64'(out_zp_i);
    if (w < 64'(act_min_i)) w = 64'(act_min_i);
    if (w > 64'(act_max_i)) w = 64'(act_max_i);
    out_o = w[7:0];
  end
  logic unused_ok;
  assign unused_ok = ^{r[63:32], w[63:8]};  // in range by construction
endmodule
