// chm_mbqm - TFLite's MultiplyByQuantizedMultiplier, bit for bit
// hls_multiply_by_quantized_multiplier (hls/common/hls_quant.h):
//   s = sat32(x << max(shift, 0))
//   h = saturating rounding doubling high multiply (s, mult)
//   y = h / 2^max(-shift, 0) rounded, ties away from zero
// Combinational: one 32 x 32 -> 64-bit product (a DSP48E2 cascade of four).
module chm_mbqm (
  input  logic signed [31:0] x_i,
  input  logic signed [31:0] mult_i,
  input  logic signed [31:0] shift_i,
  output logic signed [31:0] y_o
);
  function automatic logic signed [31:0] sat32(input logic signed [63:0] v);
    if (v > 64'sh7FFFFFFF) sat32 = 32'sh7FFFFFFF;
    else if (v < -64'sh80000000) sat32 = 32'sh80000000;
    else sat32 = v[31:0];
  endfunction

  logic signed [63:0] shifted64, ab, q, r;
  logic signed [31:0] shifted, hm, mask, rem, thr;
  logic        [4:0]  left, right;

  always_comb begin
    left = shift_i > 0 ? shift_i[4:0] : 5'd0;
    right = shift_i > 0 ? 5'd0 : 5'(-shift_i);
    shifted64 = 64'(x_i) <<< left;
    shifted = sat32(shifted64);
    ab = shifted * mult_i;
    q = ab + (ab >= 0 ? 64'sd1073741824 : 64'sd1 - 64'sd1073741824);
    r = q >= 0 ? (q >>> 31) : -((-q) >>> 31);
    hm = (shifted == 32'sh80000000 && mult_i == 32'sh80000000) ? 32'sh7FFFFFFF : r[31:0];
    mask = 32'((64'sd1 <<< right) - 64'sd1);
    rem = hm & mask;
    thr = (mask >>> 1) + (hm < 0 ? 32'sd1 : 32'sd0);
    y_o = (hm >>> right) + (rem > thr ? 32'sd1 : 32'sd0);
  end
  logic unused_ok;
  assign unused_ok = ^r[63:32];  // |r| < 2^31 by construction
endmodule
