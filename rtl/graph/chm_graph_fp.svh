// chm_graph_fp.svh - fp32 helpers of chm_graph (a fragment of its body).
//
// qbias is graph_layer.c's quantize_bias bit for bit: the fp32 product
// b * s rounded to nearest even (as the C float multiply), then rounded
// half away from zero to int32 (lroundf), saturating (t >= 2^31 gives
// INT32_MAX, t <= -(2^31 - 128) INT32_MIN as the C comparisons do), NaN 0.
// One 24 x 24-bit product: two DSP48E2.
function automatic logic signed [31:0] qbias(input logic [31:0] b, input logic [31:0] s);
  logic        sg, b_nan, s_nan, b_inf, s_inf, zero, up;
  logic [23:0] mb, ms, q;
  logic [47:0] p, rem, half;
  logic signed [11:0] e;
  logic [63:0] mag;
  int          lead, sh;
  sg = b[31] ^ s[31];
  b_nan = b[30:23] == 8'hFF && b[22:0] != 0;
  s_nan = s[30:23] == 8'hFF && s[22:0] != 0;
  b_inf = b[30:23] == 8'hFF && b[22:0] == 0;
  s_inf = s[30:23] == 8'hFF && s[22:0] == 0;
  mb = {b[30:23] != 0, b[22:0]};
  ms = {s[30:23] != 0, s[22:0]};
  zero = mb == 0 || ms == 0;
  qbias = 32'sd0;
  if (b_nan || s_nan || ((b_inf || s_inf) && zero)) begin
    qbias = 32'sd0;                              // NaN
  end else if (b_inf || s_inf) begin
    qbias = sg ? 32'sh80000000 : 32'sh7FFFFFFF;  // +-inf saturates
  end else if (!zero) begin
    p = mb * ms;                                 // value p * 2^e
    e = $signed({4'd0, b[30:23] != 0 ? b[30:23] : 8'd1}) + $signed({4'd0, s[30:23] != 0 ? s[30:23] : 8'd1})
        - 12'sd300;
    lead = 0;
    for (int i = 0; i < 48; i++) if (p[i]) lead = i;
    q = p[23:0];
    if (lead > 23) begin                         // round to 24 significant bits, ties to even
      sh = lead - 23;
      q = 24'(p >> sh);
      rem = p & ((48'd1 << sh) - 48'd1);
      half = 48'd1 << (sh - 1);
      up = rem > half || (rem == half && q[0]);
      e = e + 12'(sh);
      if (up) begin
        if (q == 24'hFFFFFF) begin q = 24'h800000; e = e + 12'sd1; end
        else q = q + 24'd1;
      end
    end
    if (e >= 0) begin
      mag = e > 12'sd40 ? 64'hFFFFFFFFFFFFFFFF : 64'(q) << e;
    end else if (e < -12'sd25) begin
      mag = 64'd0;                               // below one half
    end else begin
      mag = (64'(q) + (64'd1 << (-e - 12'sd1))) >> (-e);
    end
    if (sg) qbias = mag >= 64'd2147483520 ? 32'sh80000000 : -$signed(32'(mag));
    else qbias = mag > 64'd2147483520 ? 32'sh7FFFFFFF : $signed(32'(mag));
  end
endfunction
