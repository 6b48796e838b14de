// chm_tile_buf - ping-pong tile buffers: 2 sets x Rows rows x 2^KBits taps
// of int8, in 64 block-RAM banks of one byte a word. A 64-byte beat of one
// row lands in one cycle at any alignment (tap k in lane k % 64, each lane
// with its own word k / 64); one read port gives tap k of every row of a
// set (what the array takes each cycle), one cycle after the address, as a
// block RAM's read port does.
//
// Layout (a corner turn: the writes run along a row, the reads down a
// column): row r's tap k lives in bank (k + r) % 64 at address
// {set, r, k / 64}. A beat's 64 taps of one row fall in 64 different banks
// (its lanes rotated by r), and one tap of up to 64 rows falls in as many
// different banks (read, then rotated back by k % 64), so neither side
// ever needs two words of one bank (so Rows <= 64). Each bank is 2 x Rows x 2^(KBits-6)
// bytes: at 32 rows and 4,096 taps, 4,096 x 8 bits, one RAMB36E2 (4K x 9),
// 64 a buffer where the byte lanes in LUTRAM took 88,391 LUTs.
//
// Under Verilator each byte written passes through chm_tile_fault (DPI,
// rtl/sim/rtl_sim.cpp), named by its row, lane (k % 64) and word — the
// logical place, as before the banking: the weak cells of this buffer
// (BufId) when the backend has lowered the region's on-chip memory rail
// below its safe voltage, with the SECDED ECC's verdict on each 8-byte word
// (8 lanes of a row and address); otherwise it returns the byte unchanged.
// A weak cell holds the flipped bit, so writing it there is what reading it
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
  localparam int unsigned RBits = $clog2(Rows);
  localparam int unsigned ABits = 1 + RBits + WBits;
`ifdef VERILATOR
  import "DPI-C" function byte unsigned chm_tile_fault(input int unsigned buf_id,
    input int unsigned rows, input int unsigned kbits, input int unsigned row,
    input int unsigned lane, input int unsigned addr, input byte unsigned data);
`endif
  // Write side: bank b takes lane (b - r) % 64, i.e. the lanes rotated up by
  // r (the upper half of {x, x} shifted left by r lanes: a log shifter).
  // (the doubled vectors' other halves are shifted out: unused by design)
  /* verilator lint_off UNUSEDSIGNAL */
  logic [1023:0]         wd2, rq2;
  logic [127:0]          we2;
  logic [128*WBits-1:0]  ww2;
  /* verilator lint_on UNUSEDSIGNAL */
  logic [511:0]          bank_d;
  logic [63:0]           bank_we;
  logic [64*WBits-1:0]   bank_w;
  always_comb begin
    wd2 = {wr_data_i, wr_data_i} << (10'(wr_row_i) * 10'd8);
    we2 = {wr_en_i, wr_en_i} << 7'(wr_row_i);
    ww2 = {wr_word_i, wr_word_i} << (32'(wr_row_i) * WBits);
    bank_d = wd2[1023:512];
    bank_we = we2[127:64];
    bank_w = ww2[128*WBits-1:64*WBits];
  end
  // Read side: bank b holds tap k of row (b - k) % 64; its byte comes back
  // to lane (b - k) % 64 by rotating the banks' outputs down by k % 64.
  logic [5:0]   rd_lo_q;
  logic [511:0] bank_q;
  for (genvar b = 0; b < 64; b++) begin : g_bank
    logic [7:0] mem [2 ** ABits];
    logic [RBits-1:0] rrow;
    logic [5:0] wlane;
    logic [ABits-1:0] waddr, raddr;
    assign rrow = RBits'(6'(b) - rd_k_i[5:0]);
    assign wlane = 6'(b) - 6'(wr_row_i);
    assign waddr = {wr_set_i, wr_row_i, bank_w[b*WBits +: WBits]};
    assign raddr = {rd_set_i, rrow, rd_k_i[KBits-1:6]};
    always_ff @(posedge clk_i) begin
      if (wr_valid_i && bank_we[b])
`ifdef VERILATOR
        mem[waddr] <= chm_tile_fault(BufId, Rows, KBits, 32'(wr_row_i),
          32'(wlane), {{(31 - WBits){1'b0}}, wr_set_i, bank_w[b*WBits +: WBits]},
          bank_d[b*8 +: 8]);
`else
        mem[waddr] <= bank_d[b*8 +: 8];
`endif
      bank_q[b*8 +: 8] <= mem[raddr];
    end
  end
  always_ff @(posedge clk_i) rd_lo_q <= rd_k_i[5:0];
  assign rq2 = {bank_q, bank_q} >> (10'(rd_lo_q) * 10'd8);
  assign rd_data_o = rq2[Rows*8-1:0];
endmodule
