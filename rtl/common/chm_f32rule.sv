// chm_f32rule - ONNX Runtime's float32 rescale, bit for bit
// hls_multiply_f32_rule (hls/common/hls_quant.h):
//   y = nearbyint(float(x) * m * 2^(shift - 23)),  m in [2^23, 2^24)
// built as a float unit builds it: |x| normalized to a 24-bit significand
// (rounded when it has more bits), a 24 x 24 significand product whose
// normalization is a one-bit choice, then a rounding shift to an integer;
// every rounding to nearest, ties to even; saturated to int32.
// Combinational: a leading-one detector, one 32-bit normalizing shift (the
// dropped bits of |x| are then always bits 7..0, so its rounding is fixed
// wiring), one 24 x 24 product (two DSP48E2), one 50-bit right shift whose
// low half holds the rounding bits. Widths are what the values need: the
// shift is clamped to -64..63 first (any shift below gives 0, any above
// saturates, as the full value would), so the exponent is 8 bits, and the
// unsigned result is at most 2^32 (33 bits).
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

  logic               neg, up1, carry1, top, half_up, up3;
  logic        [31:0] mag, norm;
  logic        [5:0]  n1;
  logic        [24:0] a0, p;
  logic        [23:0] a;
  logic        [47:0] p0;
  logic        [49:0] t;
  logic        [4:0]  k;
  logic signed [7:0]  sh, e;
  logic        [31:0] pl;
  logic        [32:0] r;

  always_comb begin
    neg = x_i[31];
    mag = neg ? 32'(-(33'(x_i))) : 32'(x_i);          // |x| <= 2^31
    n1 = width32(mag);
    // 1) |x| = a * 2^(n1 - 24 + carry1), a a normalized 24-bit significand:
    //    the leading one to bit 31, the top 24 bits kept, bits 7..0 rounded
    //    off (all zero when |x| has 24 bits or fewer)
    norm = mag << 5'(6'd32 - n1);
    up1 = norm[7] && (norm[6:0] != 7'd0 || norm[8]);
    a0 = {1'b0, norm[31:8]} + {24'd0, up1};
    carry1 = a0[24];                                   // rounded up to 2^24
    a = carry1 ? 24'h800000 : a0[23:0];
    // 2) significand product in [2^46, 2^48): keep 24 bits, rounded
    p0 = 48'(a) * 48'(mult_i[23:0]);
    top = p0[47];
    if (top) half_up = p0[23] && (p0[22:0] != 23'd0 || p0[24]);
    else half_up = p0[22] && (p0[21:0] != 22'd0 || p0[23]);
    p = (top ? 25'(p0[47:24]) : 25'(p0[46:23])) + (half_up ? 25'd1 : 25'd0);  // <= 2^24
    sh = shift_i < -32'sd64 ? -8'sd64 : shift_i > 32'sd63 ? 8'sd63 : 8'(shift_i);
    e = 8'(n1) - 8'sd24 + 8'(carry1) + 8'(top) + sh;  // -111 .. 73
    // 3) p * 2^e to an integer, ties to even
    k = 5'd0;
    t = 50'd0;
    up3 = 1'b0;
    pl = 32'd0;
    if (mag == 32'd0) begin
      r = 33'd0;
    end else if (e >= 0) begin
      // p >= 2^23: from e = 8 on the value is past int32 and saturates
      pl = {7'd0, p} << e[2:0];
      r = e > 8'sd7 ? 33'd1 << 32 : 33'(pl);
    end else if (e < -8'sd25) begin
      r = 33'd0;                                        // p * 2^e < 1/2
    end else begin
      k = 5'(-e);                                       // 1 .. 25
      t = {p, 25'd0} >> k;                              // quotient, then the bits shifted out
      up3 = t[24] && (t[23:0] != 24'd0 || t[25]);
      r = 33'(t[49:25]) + {32'd0, up3};
    end
    if (neg) y_o = r > 33'h80000000 ? 32'sh80000000 : 32'(-r);
    else y_o = r > 33'h7FFFFFFF ? 32'sh7FFFFFFF : r[31:0];
  end
  logic unused_ok;
  assign unused_ok = ^mult_i[31:24];  // m < 2^24
endmodule
