// chm_add_table - one lane's copy of an add input's rescaled values (256
// int32 entries, one a byte value), in Units banks of 256 / Units entries
// so that the Units table-filling units write a cycle each (bank u holds
// the entries whose low bits are u). One write port and one asynchronous
// read port a bank: distributed RAM (the lane reads its entry in the cycle
// it needs it).
module chm_add_table #(
  parameter int unsigned Units = 4
) (
  input  logic              clk_i,
  input  logic              we_i,
  input  logic [7-$clog2(Units):0] widx_i,      // entry in each bank
  input  logic [32*Units-1:0] wdata_i,          // bank u's entry at [32u +: 32]
  input  logic [7:0]        addr_i,             // the byte: bank addr_i % Units
  output logic [31:0]       data_o
);
  localparam int unsigned UB = $clog2(Units);
  localparam int unsigned Depth = 256 / Units;
  logic [31:0] rd [Units];

  for (genvar u = 0; u < $signed(Units); u++) begin : g_bank
    logic [31:0] mem [Depth];
    always_ff @(posedge clk_i)
      if (we_i) mem[widx_i] <= wdata_i[32*u +: 32];
    assign rd[u] = mem[addr_i[7:UB]];
  end
  if (Units > 1) begin : g_sel
    assign data_o = rd[addr_i[UB-1:0]];
  end else begin : g_one
    assign data_o = rd[0];
  end
endmodule
