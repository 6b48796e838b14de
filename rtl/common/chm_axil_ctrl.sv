// chm_axil_ctrl - AXI4-Lite control slave with the Vitis HLS ap_ctrl_hs map.
//
// 0x00 control: bit 0 ap_start (set by a write of 1 while idle; a start
//      while busy is refused and reads back 0), bit 1 ap_done (set when the
//      engine finishes, cleared when the register is read), bit 2 ap_idle,
//      bit 3 ap_ready (set when the engine takes the start, cleared on read),
//      bit 7 auto_restart (stored; the engines here do not restart).
// 0x04 GIE, 0x08 IER (bit 0 done, bit 1 ready), 0x0C ISR (toggle on write,
//      as Vitis HLS 2024.2 does). interrupt_o = GIE & |(IER & ISR).
// 0x10.. argument words, NumWords in all (from the generated register map),
//      read back as written.
// One write and one read in flight; responses OKAY, or SLVERR past the map.
module chm_axil_ctrl #(
  parameter int unsigned NumWords = 64
) (
  input  logic                       clk_i,
  input  logic                       rst_ni,
  input  logic [11:0]                s_awaddr_i,
  input  logic                       s_awvalid_i,
  output logic                       s_awready_o,
  input  logic [31:0]                s_wdata_i,
  input  logic [3:0]                 s_wstrb_i,
  input  logic                       s_wvalid_i,
  output logic                       s_wready_o,
  output logic [1:0]                 s_bresp_o,
  output logic                       s_bvalid_o,
  input  logic                       s_bready_i,
  input  logic [11:0]                s_araddr_i,
  input  logic                       s_arvalid_i,
  output logic                       s_arready_o,
  output logic [31:0]                s_rdata_o,
  output logic [1:0]                 s_rresp_o,
  output logic                       s_rvalid_o,
  input  logic                       s_rready_i,
  output logic                       ap_start_o,
  input  logic                       ap_ready_i,  // the engine took the start (pulse)
  input  logic                       ap_done_i,   // the engine finished (pulse)
  input  logic                       ap_idle_i,
  output logic [NumWords*32-1:0]     args_o,
  output logic                       interrupt_o
);
  logic [31:0] words_q [NumWords];
  logic        start_q, done_q, ready_q, auto_q, gie_q;
  logic [1:0]  ier_q, isr_q;
  logic [11:0] awaddr_q;
  logic        aw_q, w_q;
  logic [31:0] wdata_q;
  logic [3:0]  wstrb_q;

  assign s_awready_o = !aw_q && !s_bvalid_o;
  assign s_wready_o  = !w_q && !s_bvalid_o;
  assign s_arready_o = !s_rvalid_o;
  assign ap_start_o  = start_q;
  assign interrupt_o = gie_q && |(ier_q & isr_q);

  // One register a word, each with its own write enable (what a register
  // file synthesizes to; a dynamic part-select of one wide vector does not).
  for (genvar i = 0; i < $signed(NumWords); i++) begin : g_word
    assign args_o[i*32 +: 32] = words_q[i];
    if (i >= 4) begin : g_arg
      always_ff @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) words_q[i] <= '0;
        else if (aw_q && w_q && wword == 10'(i)) words_q[i] <= merge(words_q[i], wdata_q, wstrb_q);
      end
    end else begin : g_ctl
      assign words_q[i] = '0;  // control words live in their own registers below
    end
  end

  function automatic logic [31:0] merge(input logic [31:0] old, input logic [31:0] d,
                                        input logic [3:0] strb);
    logic [31:0] m;
    for (int b = 0; b < 4; b++) m[b*8 +: 8] = strb[b] ? d[b*8 +: 8] : old[b*8 +: 8];
    merge = m;
  endfunction

  logic [9:0] wword, rword;
  assign wword = awaddr_q[11:2];
  assign rword = s_araddr_i[11:2];
  logic unused_lsb;
  assign unused_lsb = ^{awaddr_q[1:0], s_araddr_i[1:0]};  // word registers only

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      start_q <= 1'b0; done_q <= 1'b0; ready_q <= 1'b0; auto_q <= 1'b0; gie_q <= 1'b0;
      ier_q <= '0; isr_q <= '0; aw_q <= 1'b0; w_q <= 1'b0; awaddr_q <= '0;
      wdata_q <= '0; wstrb_q <= '0;
      s_bvalid_o <= 1'b0; s_bresp_o <= 2'b00; s_rvalid_o <= 1'b0; s_rdata_o <= '0;
      s_rresp_o <= 2'b00;
    end else begin
      // Engine side first: a register write in the same cycle wins below.
      if (ap_ready_i) begin
        start_q <= 1'b0;
        ready_q <= 1'b1;
        if (ier_q[1]) isr_q[1] <= 1'b1;
      end
      if (ap_done_i) begin
        done_q <= 1'b1;
        if (ier_q[0]) isr_q[0] <= 1'b1;
      end
      // Write address and data may come in either order.
      if (s_awvalid_i && s_awready_o) begin
        aw_q <= 1'b1;
        awaddr_q <= s_awaddr_i;
      end
      if (s_wvalid_i && s_wready_o) begin
        w_q <= 1'b1;
        wdata_q <= s_wdata_i;
        wstrb_q <= s_wstrb_i;
      end
      if (aw_q && w_q) begin
        aw_q <= 1'b0;
        w_q <= 1'b0;
        s_bvalid_o <= 1'b1;
        s_bresp_o <= 2'b00;
        case (wword)
          10'd0: begin
            if (wstrb_q[0] && wdata_q[0] && ap_idle_i && !start_q) start_q <= 1'b1;
            if (wstrb_q[0]) auto_q <= wdata_q[7];
          end
          10'd1: if (wstrb_q[0]) gie_q <= wdata_q[0];
          10'd2: if (wstrb_q[0]) ier_q <= wdata_q[1:0];
          10'd3: if (wstrb_q[0]) isr_q <= isr_q ^ wdata_q[1:0];
          default: if (wword >= 10'(NumWords)) s_bresp_o <= 2'b10;  // words: g_word above
        endcase
      end
      if (s_bvalid_o && s_bready_i) s_bvalid_o <= 1'b0;
      if (s_arvalid_i && s_arready_o) begin
        s_rvalid_o <= 1'b1;
        s_rresp_o <= 2'b00;
        case (rword)
          10'd0: begin
            s_rdata_o <= {24'd0, auto_q, 3'd0, ready_q, ap_idle_i, done_q, start_q};
            done_q <= ap_done_i;  // clear on read (a done in this very cycle stays)
            ready_q <= ap_ready_i;
          end
          10'd1: s_rdata_o <= {31'd0, gie_q};
          10'd2: s_rdata_o <= {30'd0, ier_q};
          10'd3: s_rdata_o <= {30'd0, isr_q};
          default: begin
            s_rdata_o <= rword < 10'(NumWords) ? words_q[rword[$clog2(NumWords)-1:0]] : 32'd0;
            if (rword >= 10'(NumWords)) s_rresp_o <= 2'b10;
          end
        endcase
      end
      if (s_rvalid_o && s_rready_i) s_rvalid_o <= 1'b0;
    end
  end
endmodule
