// chm_f32rule - ONNX Runtime's float32 rescale, bit for bit
// hls_multiply_f32_rule (hls/common/hls_quant.h):
//   y = nearbyint(float(x) * m * 2^(shift - 23)),  m in [2^23, 2^24)
// built as a float unit builds it: |x| normalized to a 24-bit significand
// (rounded when it has more bits), a 24 x 24 significand product whose
// normalization is a one-bit choice, then a rounding shift to an integer;
// every rounding to nearest, ties to even; saturated to int32.
// Combinational: a leading-one detector and a 32-bit normalizing shifter,
// one 24 x 24 product (two DSP48E2), a 25-bit rounding shifter.
module chm_f32rule (
  input  logic signed [31:0] x_i,
  input  logic signed [31:0] mult_i,
  input  logic signed [31:0] shift_i,
  output logic signed [31:0] y_o
);
  // number of significant bits of v (0 for v == 0)
  function automatic logic [5:0] width32(input logic [31:0] v);
    width32 = 6'd0;
    for (int b = 0; b < 32; b++)
      if (v[b]) width32 = 6'(b + 1);
  endfunction

  logic               neg, carry1, top, half_up;
  logic        [31:0] mag;
  logic        [5:0]  n1;
  logic        [3:0]  k1;
  logic        [32:0] a0;
  logic        [23:0] a;
  logic        [47:0] p0;
  logic        [24:0] p, q, rem, half;
  logic        [4:0]  k;
  logic signed [31:0] ea, e;
  logic        [31:0] pl;
  logic        [63:0] r;
  logic signed [64:0] sr;

  always_comb begin
    neg = x_i[31];
    mag = neg ? 32'(-(33'(x_i))) : 32'(x_i);          // |x| <= 2^31
    n1 = width32(mag);
    // 1) |x| = a * 2^ea with a a normalized 24-bit significand
    k1 = n1 > 6'd24 ? 4'(n1 - 6'd24) : 4'd0;          // 0..8 bits dropped
    if (n1 > 6'd24) begin
      a0 = 33'(mag) >> k1;
      rem = 25'(mag & ((32'd1 << k1) - 32'd1));
      half = 25'd1 << (k1 - 4'd1);
      a0 = a0 + ((rem > half || (rem == half && a0[0])) ? 33'd1 : 33'd0);
    end else begin
      a0 = 33'(mag) << (6'd24 - n1);
      rem = 25'd0;
      half = 25'd0;
    end
    carry1 = a0[24];                                   // rounded up to 2^24
    a = carry1 ? 24'h800000 : a0[23:0];
    ea = 32'(n1) - 32'sd24 + (carry1 ? 32'sd1 : 32'sd0);
    // 2) significand product in [2^46, 2^48): keep 24 bits, rounded
    p0 = 48'(a) * 48'(mult_i[23:0]);
    top = p0[47];
    if (top) half_up = p0[23] && (p0[22:0] != 23'd0 || p0[24]);
    else half_up = p0[22] && (p0[21:0] != 22'd0 || p0[23]);
    p = (top ? 25'(p0[47:24]) : 25'(p0[46:23])) + (half_up ? 25'd1 : 25'd0);  // <= 2^24
    e = ea + (top ? 32'sd24 : 32'sd23) + shift_i - 32'sd23;
    // 3) p * 2^e to an integer, ties to even
    k = 5'd0;
    q = 25'd0;
    pl = 32'd0;
    if (mag == 32'd0) begin
      r = 64'd0;
    end else if (e >= 0) begin
      // p >= 2^23: from e = 8 on the value is past int32 and saturates
      pl = {7'd0, p} << e[2:0];
      r = e > 32'sd7 ? 64'd1 << 32 : 64'(pl);
    end else if (e < -32'sd25) begin
      r = 64'd0;                                        // p * 2^e < 1/2
    end else begin
      k = 5'(-e);
      q = p >> k;
      rem = p & ((25'd1 << k) - 25'd1);
      half = 25'd1 << (k - 5'd1);
      r = 64'(q) + ((rem > half || (rem == half && q[0])) ? 64'd1 : 64'd0);
    end
    sr = neg ? -(65'(r)) : 65'(r);
    if (sr > 65'sh7FFFFFFF) y_o = 32'sh7FFFFFFF;
    else if (sr < -65'sh80000000) y_o = 32'sh80000000;
    else y_o = sr[31:0];
  end
  logic unused_ok;
  assign unused_ok = ^{mult_i[31:24], a0[32:25]};  // m < 2^24; a0 <= 2^24
endmodule
