// chm_pe - one processing element of the output-stationary int8 array.
//
// Operands move on through registers: a to the right, b down. A valid step
// does acc += a * b (acc = a * b on the first step of a tile, first_i); on
// its last step (last_i) the new sum is also captured into shadow_o, where
// the output stage reads it while the next tile already accumulates.
// The flags travel with a. The arithmetic is the HLS core's
// (gemm_core.h): signed int8 x int8 summed in int32.
module chm_pe (
  input  logic              clk_i,
  input  logic              rst_ni,
  input  logic signed [7:0] a_i,
  input  logic signed [7:0] b_i,
  input  logic              valid_i,
  input  logic              first_i,
  input  logic              last_i,
  output logic signed [7:0] a_o,
  output logic signed [7:0] b_o,
  output logic              valid_o,
  output logic              first_o,
  output logic              last_o,
  output logic [31:0]       shadow_o
);
  logic signed [31:0] acc_q, acc_d;
  logic signed [15:0] prod;

  assign prod  = a_i * b_i;
  assign acc_d = (first_i ? 32'sd0 : acc_q) + 32'(prod);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      acc_q <= '0; shadow_o <= '0; a_o <= '0; b_o <= '0;
      valid_o <= 1'b0; first_o <= 1'b0; last_o <= 1'b0;
    end else begin
      a_o <= a_i;
      b_o <= b_i;
      valid_o <= valid_i;
      first_o <= first_i;
      last_o <= last_i;
      if (valid_i) begin
        acc_q <= acc_d;
        if (last_i) shadow_o <= acc_d;
      end
    end
  end
endmodule
