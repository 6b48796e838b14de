// chm_mbqm - TFLite's MultiplyByQuantizedMultiplier, bit for bit
// hls_multiply_by_quantized_multiplier (hls/common/hls_quant.h), for every
// int32 x and mult and shift in -31..30 (what the host accepts):
//   s = sat32(x << max(shift, 0))
//   h = saturating rounding doubling high multiply (s, mult)
//   y = h / 2^max(-shift, 0) rounded, ties away from zero
// Combinational: one 32 x 32 -> 64-bit product (a DSP48E2 cascade of four)
// and 32-bit logic around it:
//   - x << left overflows int32 exactly when x's top left + 1 bits are not
//     all its sign, so the shift is 32 bits wide and a mask says whether to
//     saturate (not a 64-bit shift and two 64-bit comparisons);
//   - gemmlowp's division of q by 2^31 truncating toward zero is
//     floor(q / 2^31) (q's bits 62..31) plus one when q is negative and not
//     a multiple of 2^31 (not two 64-bit negations).
module chm_mbqm (
  input  logic signed [31:0] x_i,
  input  logic signed [31:0] mult_i,
  input  logic signed [31:0] shift_i,
  output logic signed [31:0] y_o
);
  logic               pos, ovf;
  logic        [4:0]  left, right;
  logic        [31:0] top, mask;
  logic signed [31:0] shifted, hm, r, rem, thr;
  logic signed [63:0] ab, q;

  always_comb begin
    pos = shift_i > 0;
    left = pos ? shift_i[4:0] : 5'd0;
    right = pos ? 5'd0 : 5'(-shift_i);
    top = ~(32'h7FFFFFFF >> left);                     // bits 31 .. 31 - left
    ovf = ((x_i ^ {32{x_i[31]}}) & top) != 32'd0;
    shifted = ovf ? (x_i[31] ? 32'sh80000000 : 32'sh7FFFFFFF) : x_i <<< left;
    ab = shifted * mult_i;
    q = ab + (ab >= 0 ? 64'sd1073741824 : 64'sd1 - 64'sd1073741824);
    r = q[62:31] + {31'd0, q[63] && q[30:0] != 31'd0};
    hm = (shifted == 32'sh80000000 && mult_i == 32'sh80000000) ? 32'sh7FFFFFFF : r;
    mask = ~(32'hFFFFFFFF << right);
    rem = hm & mask;
    thr = (mask >>> 1) + (hm < 0 ? 32'sd1 : 32'sd0);
    y_o = (hm >>> right) + (rem > thr ? 32'sd1 : 32'sd0);
  end
endmodule
