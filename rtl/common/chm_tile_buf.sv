// chm_tile_buf - ping-pong tile buffers: 2 sets x Rows rows x 2^KBits taps
// of int8, each row split into 64 byte lanes (tap k in lane k % 64, word
// k / 64) so a 64-byte beat lands in one cycle at any alignment. One write
// port (a beat's lanes, each with its own word), one read port giving tap k
// of every row of a set (what the array takes each cycle).
//
// Under Verilator each byte written passes through chm_tile_fault (DPI,
// rtl/sim/rtl_sim.cpp): the weak cells of this buffer (BufId) when the
// backend has lowered the region's on-chip memory rail below its safe
// voltage, with the built-in SECDED ECC's verdict on each 8-byte word (8
// lanes of a row and address); otherwise it returns the byte unchanged. A
// weak cell holds the flipped bit, so writing it there is what reading it
// back would give. Synthesis (Yosys) never sees the call.
module chm_tile_buf #(
  parameter int unsigned Rows = 8,
  parameter int unsigned KBits = 11,
  parameter int unsigned BufId = 0
) (
  input  logic                        clk_i,
  input  logic                        wr_valid_i,
  input  logic                        wr_set_i,
  input  logic [$clog2(Rows)-1:0]     wr_row_i,
  input  logic [63:0]                 wr_en_i,
  input  logic [64*(KBits-6)-1:0]     wr_word_i,
  input  logic [511:0]                wr_data_i,
  input  logic                        rd_set_i,
  input  logic [KBits-1:0]            rd_k_i,
  output logic [Rows*8-1:0]           rd_data_o
);
  localparam int unsigned WBits = KBits - 6;
`ifdef VERILATOR
  import "DPI-C" function byte unsigned chm_tile_fault(input int unsigned buf_id,
    input int unsigned rows, input int unsigned kbits, input int unsigned row,
    input int unsigned lane, input int unsigned addr, input byte unsigned data);
`endif
  for (genvar r = 0; r < $signed(Rows); r++) begin : g_row
    logic [7:0] lane_rd [64];
    for (genvar l = 0; l < 64; l++) begin : g_lane
      logic [7:0] mem [2 ** (WBits + 1)];
      always_ff @(posedge clk_i) begin
        if (wr_valid_i && wr_en_i[l] && wr_row_i == r[$clog2(Rows)-1:0])
`ifdef VERILATOR
          mem[{wr_set_i, wr_word_i[l*WBits +: WBits]}] <= chm_tile_fault(BufId, Rows, KBits,
            r, l, {{(31 - WBits){1'b0}}, wr_set_i, wr_word_i[l*WBits +: WBits]},
            wr_data_i[l*8 +: 8]);
`else
          mem[{wr_set_i, wr_word_i[l*WBits +: WBits]}] <= wr_data_i[l*8 +: 8];
`endif
      end
      assign lane_rd[l] = mem[{rd_set_i, rd_k_i[KBits-1:6]}];
    end
    assign rd_data_o[r*8 +: 8] = lane_rd[rd_k_i[5:0]];
  end
endmodule
