// chm_clamp8 - adds the output zero point and clamps to the activation range
// (hls_clamp_int8 in hls/common/hls_quant.h). Combinational. The sum of two
// int32 values fits 33 bits, so every comparison is exact at that width.
module chm_clamp8 (
  input  logic signed [31:0] v_i,
  input  logic signed [31:0] zp_i,
  input  logic signed [31:0] min_i,
  input  logic signed [31:0] max_i,
  output logic        [7:0]  out_o
);
  logic signed [32:0] w;
  always_comb begin
    w = 33'(v_i) + 33'(zp_i);
    if (w < 33'(min_i)) w = 33'(min_i);
    if (w > 33'(max_i)) w = 33'(max_i);
    out_o = w[7:0];
  end
  logic unused_ok;
  assign unused_ok = ^w[32:8];  // in range by construction
endmodule
