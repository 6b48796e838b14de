// chm_quant_probe - the output stage's arithmetic units side by side, for
// test_rtl's bit-exact check against hls/common/hls_quant.h over millions of
// operands (the engines reach them only through whole layers). Not part of
// any engine.
module chm_quant_probe (
  input  logic signed [31:0] acc_i,
  input  logic signed [33:0] off_i,
  input  logic signed [31:0] mult_i,
  input  logic signed [31:0] shift_i,
  input  logic signed [31:0] out_zp_i,
  input  logic signed [31:0] act_min_i,
  input  logic signed [31:0] act_max_i,
  output logic signed [31:0] mbqm_o,      // chm_mbqm(acc, mult, shift)
  output logic signed [31:0] f32_o,       // chm_f32rule(acc, mult, shift)
  output logic        [7:0]  out_o,       // chm_requant, both rules
  output logic        [7:0]  out_fixed_o  // chm_requant, TFLite's rule only
);
  chm_mbqm u_mbqm (.x_i(acc_i), .mult_i, .shift_i, .y_o(mbqm_o));
  chm_f32rule u_f32 (.x_i(acc_i), .mult_i, .shift_i, .y_o(f32_o));
  chm_requant u_rq (.acc_i, .off_i, .mult_i, .shift_i, .out_zp_i, .act_min_i, .act_max_i, .out_o);
  chm_requant #(.F32Rule(1'b0)) u_rq_fixed (.acc_i, .off_i, .mult_i, .shift_i, .out_zp_i, .act_min_i,
                                             .act_max_i, .out_o(out_fixed_o));
endmodule
