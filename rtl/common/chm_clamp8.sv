// chm_clamp8 - adds the output zero point and clamps to the activation range
// (hls_clamp_int8 in hls/common/hls_quant.h). Combinational.
module chm_clamp8 (
  input  logic signed [31:0] v_i,
  input  logic signed [31:0] zp_i,
  input  logic signed [31:0] min_i,
  input  logic signed [31:0] max_i,
  output logic        [7:0]  out_o
);
  logic signed [63:0] w;
  always_comb begin
    w = 64'(v_i) + 64'(zp_i);
    if (w < 64'(min_i)) w = 64'(min_i);
    if (w > 64'(max_i)) w = 64'(max_i);
    out_o = w[7:0];
  end
  logic unused_ok;
  assign unused_ok = ^w[63:8];  // in range by construction
endmodule
