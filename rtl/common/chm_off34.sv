// chm_off34 - a 64-bit output-stage offset (bias - zero point x weight sum)
// clamped to chm_requant's 34 bits: no output changes (chm_requant).
module chm_off34 (
  input  logic signed [63:0] off_i,
  output logic signed [33:0] off_o
);
  always_comb
    if (off_i > 64'sh1FFFFFFFF) off_o = {1'b0, {33{1'b1}}};
    else if (off_i < -64'sh200000000) off_o = {1'b1, 33'd0};
    else off_o = off_i[33:0];
endmodule
