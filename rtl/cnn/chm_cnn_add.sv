// chm_cnn_add - the CNN mode's quantized element-wise add (hls/cnn/cnn_add.c
// in RTL): TFLite's int8 ADD, bit for bit the kernel's arithmetic.
//
// An input's rescaled value, MultiplyByQuantizedMultiplier((x - zp) <<
// left_shift), depends only on its byte x: at the start of a call
// TableUnits units an input (CNN_ADD_TABLE_UNITS, 4) work out the 256
// values of each input, 256 / TableUnits cycles, into a table per lane
// (chm_add_table, distributed RAM), while the fetchers wait for their first
// beats. The tensors go in chunks of 64 elements (one 512-bit beat of each
// input). Two run fetchers read a's and b's chunk through read masters 0
// and 1 into one of two chunk buffers each (a chunk at any alignment is one
// or two beats); a chunk whose both halves have landed goes through Lanes
// lanes (CNN_ADD_LANES, 16: the kernel's unrolled lanes), 64 / Lanes
// cycles, while the fetchers fill the other buffer; the result leaves
// through the run writer (write master 2). A lane looks its a and b bytes
// up, adds them and requantizes the sum (one MultiplyByQuantizedMultiplier
// and a clamp).
`include "cnn_add_regs.svh"
`include "chm_axi_bind.svh"

module chm_cnn_add #(
  parameter int unsigned Lanes = 16,
  parameter int unsigned TableUnits = 4
) (
  `include "chm_cnn_ports.svh"
);
  localparam int unsigned W = CNN_ADD_WORDS;
  localparam int unsigned Passes = 64 / Lanes;
  localparam int unsigned PB = $clog2(Passes);
  localparam int unsigned TabSteps = 256 / TableUnits;
  localparam int unsigned TB = $clog2(TabSteps);

  // ---------------------------------------------------------------- control
  `include "chm_cnn_ctrl.svh"
  `include "cnn_axi.svh"  // CNN_AXI_OUTSTANDING, CNN_AXI_MAX_BURST (hls/cnn/cnn_config.h)

  logic [63:0] p_a, p_b, p_out;
  logic [31:0] count, chunks;
  logic signed [31:0] a_zp, b_zp, out_zp, a_mult, a_shift, b_mult, b_shift, out_mult, out_shift;
  logic signed [31:0] act_min, act_max;
  logic [4:0]  lshift;

  typedef enum logic [1:0] { C_IDLE, C_RUN, C_DONE } ctrl_e;
  ctrl_e ctrl_q;
  logic go_q, wr_busy;
  logic [31:0] chunks_out;

  assign ap_idle = ctrl_q == C_IDLE;
  assign ap_ready = ctrl_q == C_IDLE && ap_start;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ctrl_q <= C_IDLE; ap_done <= 1'b0; go_q <= 1'b0; p_a <= '0; p_b <= '0; p_out <= '0;
      count <= '0; chunks <= '0; a_zp <= '0; b_zp <= '0; out_zp <= '0; a_mult <= '0;
      a_shift <= '0; b_mult <= '0; b_shift <= '0; out_mult <= '0; out_shift <= '0;
      act_min <= '0; act_max <= '0; lshift <= '0;
    end else begin
      ap_done <= 1'b0;
      go_q <= 1'b0;
      case (ctrl_q)
        C_IDLE: if (ap_start) begin
          p_a <= arg64(CNN_ADD_A_WORD); p_b <= arg64(CNN_ADD_B_WORD);
          p_out <= arg64(CNN_ADD_OUT_WORD);
          count <= arg32(CNN_ADD_COUNT_WORD);
          chunks <= (arg32(CNN_ADD_COUNT_WORD) + 32'd63) >> 6;
          a_zp <= arg32(CNN_ADD_A_ZP_WORD); b_zp <= arg32(CNN_ADD_B_ZP_WORD);
          out_zp <= arg32(CNN_ADD_OUT_ZP_WORD);
          a_mult <= arg32(CNN_ADD_A_MULT_WORD); a_shift <= arg32(CNN_ADD_A_SHIFT_WORD);
          b_mult <= arg32(CNN_ADD_B_MULT_WORD); b_shift <= arg32(CNN_ADD_B_SHIFT_WORD);
          out_mult <= arg32(CNN_ADD_OUT_MULT_WORD); out_shift <= arg32(CNN_ADD_OUT_SHIFT_WORD);
          lshift <= 5'(arg32(CNN_ADD_LEFT_SHIFT_WORD));  // the host keeps it in 0..20
          act_min <= arg32(CNN_ADD_ACT_MIN_WORD); act_max <= arg32(CNN_ADD_ACT_MAX_WORD);
          go_q <= 1'b1;
          ctrl_q <= C_RUN;
        end
        C_RUN: if (!go_q && chunks_out == chunks && !wr_busy) ctrl_q <= C_DONE;
        C_DONE: begin
          ap_done <= 1'b1;
          ctrl_q <= C_IDLE;
        end
        default: ctrl_q <= C_IDLE;
      endcase
    end
  end

  function automatic logic [31:0] chunk_len(input logic [31:0] i);
    chunk_len = count - (i << 6) < 32'd64 ? count - (i << 6) : 32'd64;
  endfunction

  // ------------------------------------------------------------ two fetches
  // Input x (0: a, 1: b): its issue counter, its fetcher, its landing side.
  logic [1:0]  full_q [2];         // [input][set]: the chunk landed
  logic [31:0] iss_q [2], land_q [2];
  logic        fill_set_q [2];
  logic [511:0] buf_q [2][2];      // [input][set]
  logic        fill_done [2];
  logic        consume;
  logic        c_set_q;

  for (genvar x = 0; x < 2; x++) begin : g_in
    logic req_ready, busy, wr_valid, rvalid, rready, stall, run_end, wr_set, wr_dest;
    logic [63:0] wr_en, wr_word;
    logic [511:0] wr_data;
    logic [63:0] base, araddr;
    logic [7:0]  arlen;
    logic        arvalid;
    logic [31:0] llen;
    assign base = x == 0 ? p_a : p_b;
    chm_run_fetch #(.DestBits(1), .KBits(7), .Depth(CNN_AXI_OUTSTANDING),
                  .MaxBurst(CNN_AXI_MAX_BURST)) u_fetch (
      .clk_i, .rst_ni,
      .req_valid_i(ctrl_q == C_RUN && !go_q && iss_q[x] < chunks), .req_ready_o(req_ready),
      .dest_i(1'b0), .set_i(1'b0), .k_i(7'd0), .len_i(8'(chunk_len(iss_q[x]))),
      .addr_i(base + (64'(iss_q[x]) << 6)), .pad_i(1'b0), .pad_val_i(8'd0), .busy_o(busy),
      .m_araddr_o(araddr), .m_arlen_o(arlen), .m_arvalid_o(arvalid),
      .m_arready_i(x == 0 ? m0_arready_i : m1_arready_i),
      .m_rdata_i(x == 0 ? m0_rdata_i : m1_rdata_i),
      .m_rlast_i(x == 0 ? m0_rlast_i : m1_rlast_i),
      .m_rvalid_i(rvalid), .m_rready_o(rready),
      .wr_valid_o(wr_valid), .wr_set_o(wr_set), .wr_dest_o(wr_dest), .wr_en_o(wr_en), .wr_word_o(wr_word),
      .wr_data_o(wr_data)
    );
    assign llen = chunk_len(land_q[x]);
    assign run_end = wr_valid && wr_en[llen[5:0] - 6'd1];
    assign fill_done[x] = run_end;
    // Hold the fetch while the set it fills is full, or about to be and the other is full too.
    assign stall = full_q[x][fill_set_q[x]] || (run_end && full_q[x][!fill_set_q[x]]);
    if (x == 0) begin : g_a
      assign rvalid = m0_rvalid_i && !stall;
      assign m0_rready_o = rready && !stall;
      assign m0_araddr_o = araddr;
      assign m0_arlen_o = arlen;
      assign m0_arvalid_o = arvalid;
    end else begin : g_b
      assign rvalid = m1_rvalid_i && !stall;
      assign m1_rready_o = rready && !stall;
      assign m1_araddr_o = araddr;
      assign m1_arlen_o = arlen;
      assign m1_arvalid_o = arvalid;
    end
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        iss_q[x] <= '0; land_q[x] <= '0; fill_set_q[x] <= 1'b0;
      end else if (go_q) begin
        iss_q[x] <= '0; land_q[x] <= '0; fill_set_q[x] <= 1'b0;
      end else begin
        if (ctrl_q == C_RUN && iss_q[x] < chunks && req_ready) iss_q[x] <= iss_q[x] + 1;
        if (run_end) begin
          land_q[x] <= land_q[x] + 1;
          fill_set_q[x] <= !fill_set_q[x];
        end
      end
    end
    // The chunk buffers are data, written before they are read: no reset.
    always_ff @(posedge clk_i) begin
      if (wr_valid)
        for (int l = 0; l < 64; l++)
          if (wr_en[l]) buf_q[x][fill_set_q[x]][l*8 +: 8] <= wr_data[l*8 +: 8];
    end
    logic unused_ok;
    assign unused_ok = ^{busy, wr_word, wr_set, wr_dest, llen[31:6]};
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      full_q[0] <= '0; full_q[1] <= '0;
    end else if (go_q) begin
      full_q[0] <= '0; full_q[1] <= '0;
    end else begin
      for (int x = 0; x < 2; x++) begin
        if (fill_done[x]) full_q[x][fill_set_q[x]] <= 1'b1;
        if (consume) full_q[x][c_set_q] <= 1'b0;
      end
    end
  end

  // ---------------------------------------------------------------- compute
  logic [PB:0]  pass_q;            // Passes: idle
  logic [31:0]  c_chunk_q;
  logic [511:0] res_q, out_data_q;
  logic         out_full_q, wr_ready;
  logic [63:0]  out_addr_q;
  logic [6:0]   out_len_q;
  logic [7:0]   lane_out [Lanes];
  // The chunk in flight: both inputs copied from their buffers when the
  // chunk starts and shifted down by Lanes bytes a pass, so lane l always
  // reads byte l; the lanes' results shift in at the top of res_q (after
  // the last pass the chunk's bytes are in order). Fixed wiring, where a
  // pass-indexed select of every lane from both 512-bit buffers and a
  // pass-indexed merge of the results were a shifter per lane.
  logic [511:0] cur_q [2];

  // The tables: step t fills entries t x TableUnits + u (bank u, entry t) of every lane's copies.
  logic [TB:0] tab_q;              // steps done; TabSteps: the tables are full
  logic        tab_we, tab_done;
  logic [32*TableUnits-1:0] tab_a, tab_b;
  assign tab_done = tab_q == (TB+1)'(TabSteps);
  assign tab_we = ctrl_q == C_RUN && !tab_done;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) tab_q <= '0;
    else if (ctrl_q == C_IDLE) tab_q <= '0;
    else if (tab_we) tab_q <= tab_q + 1;
  end
  for (genvar u = 0; u < $signed(TableUnits); u++) begin : g_unit
    logic signed [7:0] x;
    logic signed [31:0] ra, rb;
    assign x = 8'(32'(tab_q[TB-1:0]) * TableUnits + u);
    chm_mbqm u_a (.x_i((32'(x) - a_zp) <<< lshift), .mult_i(a_mult), .shift_i(a_shift), .y_o(ra));
    chm_mbqm u_b (.x_i((32'(x) - b_zp) <<< lshift), .mult_i(b_mult), .shift_i(b_shift), .y_o(rb));
    assign tab_a[32*u +: 32] = ra;
    assign tab_b[32*u +: 32] = rb;
  end

  for (genvar l = 0; l < $signed(Lanes); l++) begin : g_lane
    logic signed [31:0] ra, rb;
    chm_add_table #(.Units(TableUnits)) u_ta (
      .clk_i, .we_i(tab_we), .widx_i(tab_q[TB-1:0]), .wdata_i(tab_a),
      .addr_i(cur_q[0][l*8 +: 8]), .data_o(ra)
    );
    chm_add_table #(.Units(TableUnits)) u_tb (
      .clk_i, .we_i(tab_we), .widx_i(tab_q[TB-1:0]), .wdata_i(tab_b),
      .addr_i(cur_q[1][l*8 +: 8]), .data_o(rb)
    );
    chm_requant #(.F32Rule(1'b0)) u_o (.acc_i(ra + rb), .off_i(34'sd0), .mult_i(out_mult), .shift_i(out_shift),
                     .out_zp_i(out_zp), .act_min_i(act_min), .act_max_i(act_max),
                     .out_o(lane_out[l]));
  end

  // Passes run back to back across chunks: the last pass of one merges its
  // lanes into the output register (the writer's) and the next chunk's
  // first pass follows in the next cycle if both its inputs have landed.
  logic idle_c, last_pass, hold, advance, start, next_set;
  logic [511:0] merged;
  assign idle_c = pass_q == (PB+1)'(Passes);
  assign last_pass = pass_q == (PB+1)'(Passes - 1);
  assign hold = last_pass && out_full_q && !wr_ready;     // the writer still has the last chunk
  assign advance = !idle_c && !hold;
  assign next_set = last_pass ? !c_set_q : c_set_q;
  assign start = (idle_c || (last_pass && !hold)) && tab_done && full_q[0][next_set] &&
                 full_q[1][next_set];
  assign consume = last_pass && !hold;

  always_comb begin
    merged = res_q >> (Lanes * 8);
    for (int l = 0; l < $signed(Lanes); l++)
      merged[(64 - Lanes + l) * 8 +: 8] = lane_out[l];
  end

  // Data, no reset.
  always_ff @(posedge clk_i)
    for (int x = 0; x < 2; x++)
      if (start) cur_q[x] <= buf_q[x][next_set];
      else if (advance) cur_q[x] <= cur_q[x] >> (Lanes * 8);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      pass_q <= (PB+1)'(Passes); c_chunk_q <= '0; c_set_q <= 1'b0; res_q <= '0;
      out_full_q <= 1'b0; out_addr_q <= '0; out_len_q <= '0; chunks_out <= '0; out_data_q <= '0;
    end else if (go_q) begin
      pass_q <= (PB+1)'(Passes); c_chunk_q <= '0; c_set_q <= 1'b0; out_full_q <= 1'b0;
      chunks_out <= '0;
    end else begin
      if (out_full_q && wr_ready) begin
        out_full_q <= 1'b0;
        chunks_out <= chunks_out + 1;
      end
      if (advance) begin
        res_q <= merged;
        pass_q <= pass_q + 1;
      end
      if (consume) begin
        c_set_q <= !c_set_q;
        c_chunk_q <= c_chunk_q + 1;
        out_full_q <= 1'b1;
        out_data_q <= merged;
        out_addr_q <= p_out + (64'(c_chunk_q) << 6);
        out_len_q <= 7'(chunk_len(c_chunk_q));
      end
      if (start) pass_q <= '0;
    end
  end

  chm_run_write u_write (
    .clk_i, .rst_ni, .req_valid_i(out_full_q), .req_ready_o(wr_ready), .addr_i(out_addr_q),
    .len_i(out_len_q), .data_i(out_data_q), .busy_o(wr_busy),
    `CHM_BIND_M2
  );

endmodule
