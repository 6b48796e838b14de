// chm_graph - the GRAPH mode's engine for int8 features (graph_layer_i8 of
// hls/graph in RTL): a GCN layer with sum (the edge weights wq), mean or max
// aggregation, aggregate-then-combine (AC) or combine-then-aggregate (CA;
// sum and mean, the linear ones); a GraphSAGE layer (AC: each block's
// aggregated rows, then its own rows, side by side: k = 2f).
//
// Aggregation engine (read master 0: the graph blob; read master 1: feature rows)
//   stream   - the edge arrays (src u32, dst u8, wq i8) stream from the blob
//              into three rings of RingE edges, 256 edges a chunk.
//   windows  - the window controller walks the sources an edge a cycle and
//              cuts each destination block's edges into windows exactly as
//              graph_windows() does: a window starts at the next source with
//              an edge into the block (sliding) and ends at the last such
//              source less than 64 rows further (shrinking).
//   loader   - bursts each window's contiguous feature rows (rows x width
//              bytes) into a ring of two full windows' bytes, as far ahead of
//              the reducer as the ring and a queue of 32 windows allow (a
//              one-row window is one short burst: many must be in flight to
//              cover the read latency).
//   reducer  - one SIMD core of 64 int8 lanes (a 64-byte bus word): an edge's
//              source row is reduced into its destination's int32
//              accumulators a 64-feature segment a cycle:
//              sum: acc += wq * (x - zp); mean: acc += x - zp; max:
//              acc = max(acc, x - zp). Valid bits stand for the zeroing
//              (and, for max, for "no edge yet"); each destination's edges
//              are counted as they pass (its in-degree: the blob's deg
//              array holds the same counts, so it is not read).
//   finish   - a block's accumulators, 64 lanes a cycle, requantized
//              (AC: to the mid scale into the combination's ping-pong
//              buffer; CA: with the bias to the output, written). Mean:
//              a row of in-degree d >= 2 goes through 64 sequential
//              dividers first, round(|acc| / d) half away from zero
//              (graph_aggregate.c's div_round); the row's sum is at most
//              255 d in magnitude, so a quotient is 8 bits: 10 cycles a
//              segment.
// Combination engine: a 32 x Cols output-stationary systolic array (the CNN
// mode's PEs) takes a block's 32 rows from one set of the ping-pong buffer
// while the aggregation engine fills the other; weights are resident in Cols
// column banks, loaded once a call (with each column's sum for the zero-point
// term); every output row leaves through a store queue, requantized as the
// CNN mode does (hls_quant.h) and written through write master 2.
// In CA order the combination runs first over all vertices (feature rows
// read through master 1 into the ping-pong buffer, T written to scratch),
// then the aggregation over T. GraphSAGE: once a block's aggregated rows are
// in their set (taps 0 .. f-1), the same row loader brings the block's own
// feature rows in beside them (taps f .. 2f-1); the reducer waits for it, as
// for the finish.
// Not in this engine (the host refuses them on rtl:*, the engine finishes
// without writing): GIN, max in CA order, GraphSAGE in CA order, fp32 features.
// GIN's arguments (w2, bias2, h, hid_zp) are in the map, unused here
/* verilator lint_off UNUSEDPARAM */
`include "graph_layer_i8_regs.svh"
/* verilator lint_on UNUSEDPARAM */
`include "chm_axi_bind.svh"

module chm_graph #(
  parameter int unsigned Cols = 32,         // combination array columns (CNN_PE_COLS)
  parameter int unsigned MaxF = 4096,       // widest feature row (GRAPH_MAX_F)
  parameter int unsigned MaxO = 4096,       // most output columns
  parameter int unsigned WBytes = 524288,   // resident weights (Cols banks)
  parameter int unsigned MaxBlocks = 8192,  // destination blocks (n <= 32 x MaxBlocks)
  parameter int unsigned RingE = 4096       // edges the edge rings hold
) (
  `include "chm_cnn_ports.svh"
);
  localparam int unsigned W = GRAPH_LAYER_I8_WORDS;
  localparam int unsigned Rows = 32;                 // GRAPH_BLOCK: a block a pass
  localparam int unsigned SegMax = MaxF / 64;        // 64-lane segments of a row
  localparam int unsigned WWords = WBytes / Cols / 64;  // 64-byte words a column bank holds
  localparam int unsigned CB = $clog2(Cols);
  localparam int unsigned FB = $clog2(MaxF);
  localparam int unsigned PtrBytes = 8 * (MaxBlocks + 1);
  localparam int unsigned PB = $clog2(PtrBytes);
  localparam int unsigned K0 = PtrBytes > 4 * RingE ? $clog2(PtrBytes) : $clog2(4 * RingE);
                                                     // taps of read master 0's landing space
  localparam int unsigned WinRing = 2 * 64 * MaxF;    // window ring: two full windows
  localparam int unsigned K1 = $clog2(WinRing);        // taps of read master 1's landing space
  localparam int unsigned SQD = 4 * Rows;            // store queue: four tiles of rows
  localparam logic [2:0] D_HDR = 3'd0, D_PTR = 3'd1, D_SRC = 3'd2, D_DST = 3'd3, D_WQ = 3'd4;
  localparam logic [1:0] D_WIN = 2'd0, D_ABUF = 2'd1, D_W = 2'd2, D_BIAS = 2'd3;

  `include "chm_cnn_ctrl.svh"
  `include "chm_graph_fp.svh"

  // byte offset -> a run that ends at a 1 KiB boundary of memory
  function automatic logic [31:0] run_len(input logic [63:0] a, input logic [31:0] left);
    logic [31:0] to_kib;
    logic unused_hi;
    unused_hi = ^a[63:10];
    to_kib = 32'd1024 - 32'(a[9:0]);
    run_len = left < to_kib ? left : to_kib;
  endfunction

  // ---------------------------------------------------------------- control
  logic [63:0] p_g, p_x, p_w, p_b, p_out, p_scr;
  logic [31:0] a_n, f, o, kind, aggr, order, relu, has_bias;
  logic signed [31:0] in_zp, mid_zp, out_zp, agg_mult, agg_shift, comb_mult, comb_shift;
  logic signed [31:0] fin_mult, fin_shift;
  logic [31:0] bias_scale;

  logic [7:0]  hdr [128];
  function automatic logic [31:0] hdr32(input int unsigned b);
    hdr32 = {hdr[b + 3], hdr[b + 2], hdr[b + 1], hdr[b]};
  endfunction
  logic [31:0] h_n, h_blocks, h_edges, h_off_src, h_off_dst, h_off_wq;
  assign h_n = hdr32(8);
  assign h_blocks = hdr32(12);
  assign h_edges = hdr32(16);
  assign h_off_src = hdr32(32);
  assign h_off_dst = hdr32(40);
  assign h_off_wq = hdr32(56);

  typedef enum logic [2:0] { C_IDLE, C_HDR, C_HDRW, C_PRE, C_BQ, C_RUN, C_DONE } ctrl_e;
  ctrl_e ctrl_q;
  logic        ca, phase2;                 // CA order; CA's aggregation phase
  logic [31:0] kw;                         // 64-byte words of a weight column (kl)
  logic [31:0] kl;                         // taps a combination row has: f, SAGE 2f
  logic        sage;
  logic [31:0] aw, segs;                   // aggregated width (f, or o in CA) and its segments
  logic [63:0] ax;                         // rows aggregated (features, or T in scratch)
  logic signed [31:0] az, out_min;
  logic [31:0] bq_c;                       // bias column being quantized
  logic        pre_done, run_done, supported;
  logic [63:0] hdr_got;

  assign ap_idle = ctrl_q == C_IDLE;
  assign ap_ready = ctrl_q == C_IDLE && ap_start;
  assign aw = ca ? o : f;
  assign segs = (aw + 32'd63) >> 6;
  assign ax = ca ? p_scr : p_x;
  assign az = ca ? mid_zp : in_zp;
  assign out_min = relu != 0 ? out_zp : -32'sd128;
  assign sage = kind == 32'd1;
  assign kl = sage ? f << 1 : f;

  // what this engine runs (the header's sizes checked against the arguments and the buffers)
  always_comb begin
    logic [31:0] fkw, ot;
    fkw = (kl + 32'd63) >> 6;
    ot = (o + 32'(Cols) - 32'd1) >> CB;
    supported = (kind == 0 || (sage && !ca)) && (aggr == 0 || aggr == 1 || (aggr == 2 && !ca)) &&
                kl <= MaxF && a_n == h_n && h_n != 0 && h_blocks == (h_n + 31) >> 5 &&
                h_blocks <= MaxBlocks && f != 0 && f <= MaxF && o != 0 && o <= MaxO &&
                64'(fkw) * 64'(ot) <= 64'(WWords) && hdr32(20) == 0 &&
                h_edges < 32'h80000000;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ctrl_q <= C_IDLE; ap_done <= 1'b0; p_g <= '0; p_x <= '0; p_w <= '0; p_b <= '0;
      p_out <= '0; p_scr <= '0; a_n <= '0; f <= '0; o <= '0; kind <= '0; aggr <= '0;
      order <= '0; relu <= '0; has_bias <= '0; in_zp <= '0; mid_zp <= '0; out_zp <= '0;
      agg_mult <= '0; agg_shift <= '0; comb_mult <= '0; comb_shift <= '0; fin_mult <= '0;
      fin_shift <= '0; bias_scale <= '0; ca <= 1'b0; phase2 <= 1'b0; kw <= '0; bq_c <= '0;
    end else begin
      ap_done <= 1'b0;
      case (ctrl_q)
        C_IDLE: if (ap_start) begin
          p_g <= arg64(GRAPH_LAYER_I8_GBLOB_WORD); p_x <= arg64(GRAPH_LAYER_I8_FEAT_WORD);
          p_w <= arg64(GRAPH_LAYER_I8_W_WORD); p_b <= arg64(GRAPH_LAYER_I8_BIAS_WORD);
          p_out <= arg64(GRAPH_LAYER_I8_OUT_WORD); p_scr <= arg64(GRAPH_LAYER_I8_SCRATCH_WORD);
          a_n <= arg32(GRAPH_LAYER_I8_N_WORD); f <= arg32(GRAPH_LAYER_I8_F_WORD);
          o <= arg32(GRAPH_LAYER_I8_O_WORD); kind <= arg32(GRAPH_LAYER_I8_KIND_WORD);
          aggr <= arg32(GRAPH_LAYER_I8_AGGR_WORD); order <= arg32(GRAPH_LAYER_I8_ORDER_WORD);
          relu <= arg32(GRAPH_LAYER_I8_RELU_WORD); has_bias <= arg32(GRAPH_LAYER_I8_HAS_BIAS_WORD);
          in_zp <= arg32(GRAPH_LAYER_I8_IN_ZP_WORD); mid_zp <= arg32(GRAPH_LAYER_I8_MID_ZP_WORD);
          out_zp <= arg32(GRAPH_LAYER_I8_OUT_ZP_WORD);
          agg_mult <= arg32(GRAPH_LAYER_I8_AGG_MULT_WORD);
          agg_shift <= arg32(GRAPH_LAYER_I8_AGG_SHIFT_WORD);
          comb_mult <= arg32(GRAPH_LAYER_I8_COMB_MULT_WORD);
          comb_shift <= arg32(GRAPH_LAYER_I8_COMB_SHIFT_WORD);
          fin_mult <= arg32(GRAPH_LAYER_I8_FIN_MULT_WORD);
          fin_shift <= arg32(GRAPH_LAYER_I8_FIN_SHIFT_WORD);
          bias_scale <= arg32(GRAPH_LAYER_I8_BIAS_INV_SCALE_WORD);
          ca <= arg32(GRAPH_LAYER_I8_ORDER_WORD) == 32'd1;
          kw <= ((arg32(GRAPH_LAYER_I8_KIND_WORD) == 32'd1 ? arg32(GRAPH_LAYER_I8_F_WORD) << 1
                                                          : arg32(GRAPH_LAYER_I8_F_WORD))
                 + 32'd63) >> 6;
          phase2 <= 1'b0; bq_c <= '0;
          ctrl_q <= C_HDR;
        end
        C_HDR: if (m0_req_ready) ctrl_q <= C_HDRW;
        C_HDRW: if (hdr_got == 128) ctrl_q <= supported ? C_PRE : C_DONE;
        C_PRE: if (pre_done) ctrl_q <= has_bias != 0 ? C_BQ : C_RUN;
        C_BQ: begin
          bq_c <= bq_c + 32'd1;
          if (bq_c + 32'd1 == o) ctrl_q <= C_RUN;
        end
        C_RUN: begin
          if (ca && !phase2 && run_done) phase2 <= 1'b1;
          else if (run_done) ctrl_q <= C_DONE;
        end
        C_DONE: begin
          ap_done <= 1'b1;
          ctrl_q <= C_IDLE;
        end
        default: ctrl_q <= C_IDLE;
      endcase
    end
  end
  logic start;    // the call's first cycle after the arguments: counters clear
  assign start = ctrl_q == C_IDLE && ap_start;
  logic agg_go, comb_go;
  assign agg_go = ctrl_q == C_RUN && (!ca || phase2);
  assign comb_go = ctrl_q == C_RUN && (!ca || !phase2);

  // ---------------------------------------------------- read master 0: the blob
  logic          m0_req_valid, m0_req_ready;
  logic [2:0]    m0_req_dest;
  logic [K0-1:0] m0_req_k;
  logic [K0:0]   m0_req_len;
  logic [63:0]   m0_req_addr;
  logic          g_valid, g_set, g_busy;
  logic [2:0]    g_dest;
  logic [63:0]   g_en;
  logic [64*(K0-6)-1:0] g_word;
  logic [511:0]  g_data;
  chm_run_fetch #(.DestBits(3), .KBits(K0), .Depth(32)) u_gfetch (
    .clk_i, .rst_ni,
    .req_valid_i(m0_req_valid), .req_ready_o(m0_req_ready), .dest_i(m0_req_dest), .set_i(1'b0),
    .k_i(m0_req_k), .len_i(m0_req_len), .addr_i(m0_req_addr), .pad_i(1'b0), .pad_val_i(8'd0),
    .busy_o(g_busy),
    `CHM_BIND_M0,
    .wr_valid_o(g_valid), .wr_set_o(g_set), .wr_dest_o(g_dest), .wr_en_o(g_en),
    .wr_word_o(g_word), .wr_data_o(g_data)
  );

  logic [7:0] ptr_m [PtrBytes];
  logic [7:0] src_m [4 * RingE];
  logic [7:0] dst_m [RingE];
  logic [7:0] wq_m [RingE];
  logic [6:0] g_cnt;
  logic [31:0] ptr_got, e_got;   // bytes of the block pointers, edges landed
  always_comb begin
    g_cnt = '0;
    for (int l = 0; l < 64; l++) g_cnt = g_cnt + 7'(g_en[l]);
  end
  always_ff @(posedge clk_i) begin
    if (g_valid) begin
      for (int l = 0; l < 64; l++) begin
        if (g_en[l]) begin
          logic [K0-1:0] k;
          k = {g_word[l*(K0-6) +: (K0-6)], 6'(l)};
          case (g_dest)
            D_HDR: hdr[k[6:0]] <= g_data[l*8 +: 8];
            D_PTR: ptr_m[PB'(k)] <= g_data[l*8 +: 8];
            D_SRC: src_m[k[$clog2(4*RingE)-1:0]] <= g_data[l*8 +: 8];
            D_DST: dst_m[k[$clog2(RingE)-1:0]] <= g_data[l*8 +: 8];
            default: wq_m[k[$clog2(RingE)-1:0]] <= g_data[l*8 +: 8];
          endcase
        end
      end
    end
  end
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      hdr_got <= '0; ptr_got <= '0; e_got <= '0;
    end else if (start) begin
      hdr_got <= '0; ptr_got <= '0; e_got <= '0;
    end else if (g_valid) begin
      case (g_dest)
        D_HDR: hdr_got <= hdr_got + 64'(g_cnt);
        D_PTR: ptr_got <= ptr_got + 32'(g_cnt);
        D_WQ: e_got <= e_got + 32'(g_cnt);   // wq lands last of an edge's three arrays
        default: ;
      endcase
    end
  end
  function automatic logic [31:0] ptr_at(input logic [PB-4:0] b);
    logic [PB-1:0] i;
    i = {b, 3'd0};   // the low 32 bits of the u64 entry: edges < 2^31
    ptr_at = {ptr_m[i + 3], ptr_m[i + 2], ptr_m[i + 1], ptr_m[i]};
  endfunction
  function automatic logic [31:0] src_at(input logic [31:0] e);
    logic [$clog2(4*RingE)-1:0] i;
    i = ($clog2(4*RingE))'(e << 2);
    src_at = {src_m[i + 3], src_m[i + 2], src_m[i + 1], src_m[i]};
  endfunction

  // block pointers, then the edge stream: chunks of 256 edges, three runs each
  logic [31:0] pp_off, ptr_bytes;  // pointer bytes issued, to issue
  logic [31:0] st_e;               // first edge of the next chunk
  logic [1:0]  st_sub;             // array of the chunk being issued: src, dst, wq
  logic [31:0] rd_e;               // the reducer's edge: those before it are retired
  logic [31:0] st_end, st_len, st_arr, st_byte;
  logic [63:0] st_addr;
  assign ptr_bytes = (h_blocks + 32'd1) << 3;
  always_comb begin
    st_end = (st_e | 32'd255) + 32'd1;
    if (st_end > h_edges) st_end = h_edges;
    st_len = st_sub == 2'd0 ? (st_end - st_e) << 2 : st_end - st_e;
    st_arr = st_sub == 2'd0 ? h_off_src : st_sub == 2'd1 ? h_off_dst : h_off_wq;
    st_byte = st_sub == 2'd0 ? st_e << 2 : st_e;
    st_addr = p_g + 64'(st_arr) + 64'(st_byte);
    m0_req_valid = 1'b0; m0_req_dest = D_HDR; m0_req_k = '0; m0_req_len = '0; m0_req_addr = p_g;
    case (ctrl_q)
      C_HDR: begin m0_req_valid = 1'b1; m0_req_len = (K0+1)'(128); end
      C_PRE: begin
        m0_req_valid = pp_off < ptr_bytes;
        m0_req_dest = D_PTR; m0_req_k = K0'(pp_off);
        m0_req_len = (K0+1)'(run_len(p_g + 64'd128 + 64'(pp_off), ptr_bytes - pp_off));
        m0_req_addr = p_g + 64'd128 + 64'(pp_off);
      end
      C_RUN: begin
        m0_req_valid = agg_go && st_e < h_edges && st_end - rd_e <= RingE;
        m0_req_dest = st_sub == 2'd0 ? D_SRC : st_sub == 2'd1 ? D_DST : D_WQ;
        m0_req_k = st_sub == 2'd0 ? K0'(st_e << 2) : K0'(st_e);
        m0_req_len = (K0+1)'(st_len);
        m0_req_addr = st_addr;
      end
      default: ;
    endcase
  end
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      pp_off <= '0; st_e <= '0; st_sub <= '0;
    end else if (start) begin
      pp_off <= '0; st_e <= '0; st_sub <= '0;
    end else if (m0_req_valid && m0_req_ready) begin
      if (ctrl_q == C_PRE) pp_off <= pp_off + 32'(m0_req_len);
      if (ctrl_q == C_RUN) begin
        st_sub <= st_sub == 2'd2 ? 2'd0 : st_sub + 2'd1;
        if (st_sub == 2'd2) st_e <= st_end;
      end
    end
  end

  // ------------------------------------------- read master 1: rows and weights
  logic          m1_req_valid, m1_req_ready, m1_req_set;
  logic [6:0]    m1_req_dest;
  logic [K1-1:0] m1_req_k;
  logic [K1:0]   m1_req_len;
  logic [63:0]   m1_req_addr;
  logic          x_valid, x_set, x_busy;
  logic [6:0]    x_dest;
  logic [63:0]   x_en;
  logic [64*(K1-6)-1:0] x_word;
  logic [511:0]  x_data;
  chm_run_fetch #(.DestBits(7), .KBits(K1), .Depth(32)) u_xfetch (
    .clk_i, .rst_ni,
    .req_valid_i(m1_req_valid), .req_ready_o(m1_req_ready), .dest_i(m1_req_dest),
    .set_i(m1_req_set), .k_i(m1_req_k), .len_i(m1_req_len), .addr_i(m1_req_addr), .pad_i(1'b0),
    .pad_val_i(8'd0), .busy_o(x_busy),
    `CHM_BIND_M1,
    .wr_valid_o(x_valid), .wr_set_o(x_set), .wr_dest_o(x_dest), .wr_en_o(x_en),
    .wr_word_o(x_word), .wr_data_o(x_data)
  );
  logic [6:0] x_cnt;
  logic signed [15:0] x_sum;   // the beat's bytes, signed (a weight column's sum)
  always_comb begin
    x_cnt = '0; x_sum = '0;
    for (int l = 0; l < 64; l++) begin
      x_cnt = x_cnt + 7'(x_en[l]);
      if (x_en[l]) x_sum = x_sum + 16'($signed(x_data[l*8 +: 8]));
    end
  end

  // window ring: each window's rows back to back (row r at its base + r x width)
  logic [7:0] win_m [WinRing];
  // resident weights: bank j holds columns j, j + Cols, ...; column c's bytes at
  // word (c / Cols) x kw of its bank
  logic [7:0] w_m [Cols][WWords * 64];
  logic [7:0] bfl_m [4 * MaxO];                 // fp32 biases as read
  logic signed [31:0] bq_m [MaxO];              // quantized (quantize_bias)
  logic signed [31:0] wsum_m [MaxO];            // column sums of the weights
  always_ff @(posedge clk_i) begin
    if (x_valid) begin
      for (int l = 0; l < 64; l++) begin
        if (x_en[l]) begin
          logic [K1-1:0] k;
          k = {x_word[l*(K1-6) +: (K1-6)], 6'(l)};
          case (x_dest[6:5])
            D_WIN: win_m[k] <= x_data[l*8 +: 8];
            D_W: w_m[x_dest[CB-1:0]][k[$clog2(WWords*64)-1:0]] <= x_data[l*8 +: 8];
            D_BIAS: bfl_m[k[$clog2(4*MaxO)-1:0]] <= x_data[l*8 +: 8];
            default: ;  // D_ABUF: the ping-pong buffer's write port (below)
          endcase
        end
      end
    end
    if (ctrl_q == C_BQ) begin
      logic [$clog2(4*MaxO)-1:0] i;
      i = ($clog2(4*MaxO))'(bq_c << 2);
      bq_m[bq_c[$clog2(MaxO)-1:0]] <= qbias({bfl_m[i + 3], bfl_m[i + 2], bfl_m[i + 1], bfl_m[i]},
                                            bias_scale);
    end
  end

  // weight columns land in order: each column's sum accumulates as its bytes arrive
  logic [31:0] wl_col, wl_got, w_got, b_got, ab_got [2];
  logic [63:0] win_got;   // window bytes landed in the call (they land in order)
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wl_col <= '0; wl_got <= '0; w_got <= '0; b_got <= '0;
    end else if (start) begin
      wl_col <= '0; wl_got <= '0; w_got <= '0; b_got <= '0;
    end else if (x_valid && x_dest[6:5] == D_W) begin
      w_got <= w_got + 32'(x_cnt);
      wsum_m[wl_col[$clog2(MaxO)-1:0]] <= (wl_got == 0 ? 32'sd0 : wsum_m[wl_col[$clog2(MaxO)-1:0]])
                                          + 32'(x_sum);
      if (wl_got + 32'(x_cnt) == kl) begin
        wl_col <= wl_col + 32'd1; wl_got <= '0;
      end else begin
        wl_got <= wl_got + 32'(x_cnt);
      end
    end else if (x_valid && x_dest[6:5] == D_BIAS) begin
      b_got <= b_got + 32'(x_cnt);
    end
  end

  // preload issue (weights column by column, then the biases)
  logic [31:0] pw_c, pw_off, pb_off;
  logic [63:0] pw_addr;
  assign pw_addr = p_w + 64'(pw_c) * 64'(kl) + 64'(pw_off);
  assign pre_done = pw_c == o && pb_off == (has_bias != 0 ? o << 2 : 32'd0) &&
                    pp_off == ptr_bytes && ptr_got == ptr_bytes && w_got == o * kl &&
                    b_got == pb_off;

  // -------------------------------------- the window controller and the loader
  localparam int unsigned QD = 32;
  localparam int unsigned QB = $clog2(QD);
  logic [31:0] q_first [QD], q_rows [QD], q_e1 [QD], q_blk [QD];
  logic [63:0] q_end [QD];                   // where the window's bytes end in the call's stream
  logic        q_last [QD];
  logic [QB:0] q_tail, q_load, q_head;       // scanned, loading/loaded, reducing
  logic [31:0] sc_b, sc_e, sc_first, sc_lastsrc;
  logic        sc_active;
  logic [31:0] sc_e1, sc_src;
  logic        sc_push, sc_take, sc_close_blk;
  assign sc_e1 = ptr_at((PB-3)'(sc_b + 32'd1));
  assign sc_src = src_at(sc_e);
  always_comb begin
    sc_push = 1'b0; sc_take = 1'b0; sc_close_blk = 1'b0;
    if (agg_go && sc_b < h_blocks && q_tail - q_head != (QB+1)'(QD)) begin
      if (sc_e == sc_e1) begin
        sc_push = 1'b1; sc_close_blk = 1'b1;
      end else if (sc_e < e_got) begin
        sc_take = 1'b1;   // the edge joins the window, or closes it and starts the next
        sc_push = sc_active && sc_src >= sc_first + 32'd64;
      end
    end
  end
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      q_tail <= '0; sc_b <= '0; sc_e <= '0; sc_first <= '0; sc_lastsrc <= '0; sc_active <= 1'b0;
      for (int i = 0; i < $signed(QD); i++) begin
        q_first[i] <= '0; q_rows[i] <= '0; q_e1[i] <= '0; q_blk[i] <= '0; q_last[i] <= 1'b0;
      end
    end else if (start) begin
      q_tail <= '0; sc_b <= '0; sc_e <= '0; sc_active <= 1'b0;
    end else begin
      if (sc_push) begin
        q_first[q_tail[QB-1:0]] <= sc_first;
        q_rows[q_tail[QB-1:0]] <= sc_active ? sc_lastsrc - sc_first + 32'd1 : 32'd0;
        q_e1[q_tail[QB-1:0]] <= sc_e;
        q_blk[q_tail[QB-1:0]] <= sc_b;
        q_last[q_tail[QB-1:0]] <= sc_close_blk;
        q_tail <= q_tail + 1'b1;
        sc_active <= 1'b0;
        if (sc_close_blk) sc_b <= sc_b + 32'd1;
      end
      if (sc_take) begin
        if (!sc_active || sc_push) sc_first <= sc_src;
        sc_lastsrc <= sc_src;
        sc_active <= 1'b1;
        sc_e <= sc_e + 32'd1;
      end
    end
  end

  // loader: a window's rows x aw bytes into the ring after the one before, once the
  // reducer has left enough of the ring (runs end at 1 KiB and at the ring's end)
  logic [31:0] ld_off, ld_total, ld_len, ld_ring;
  logic [63:0] ld_addr, ld_cum, rd_free;  // bytes of the windows issued, and of those reduced
  logic        ld_ok;
  assign ld_total = q_rows[q_load[QB-1:0]] * aw;
  assign ld_addr = ax + 64'(q_first[q_load[QB-1:0]]) * 64'(aw) + 64'(ld_off);
  assign ld_ok = agg_go && q_load != q_tail && ld_cum + 64'(ld_total) - rd_free <= 64'(WinRing);
  assign ld_ring = (32'(ld_cum[K1-1:0]) + ld_off) & (WinRing - 1);
  always_comb begin
    ld_len = run_len(ld_addr, ld_total - ld_off);
    if (ld_len > WinRing - ld_ring) ld_len = WinRing - ld_ring;
  end

  // --------------------------------------------------------- M1's requests
  // CA's first phase: the row loader brings a block's feature rows into the ping-pong buffer
  logic [31:0] rl_b, rl_r, rl_off;
  logic        rl_wait;
  logic [1:0]  set_full;
  logic [5:0]  set_nr [2];
  logic [31:0] set_blk [2];
  logic [5:0]  rl_nr;
  logic [63:0] rl_addr;
  logic        rl_ok;
  assign rl_nr = h_n - (rl_b << 5) < 32 ? 6'(h_n - (rl_b << 5)) : 6'd32;
  logic [31:0] rl_v;
  assign rl_v = (rl_b << 5) + rl_r;
  assign rl_addr = p_x + 64'(rl_v) * 64'(f) + 64'(rl_off);
  logic        fin_self;   // SAGE: the finished block's own rows loading into its set
  logic        rl_done;    // the row loader's block has all its rows in its set
  assign rl_ok = ca ? comb_go && rl_b < h_blocks && !rl_wait && !set_full[rl_b[0]]
                    : fin_self && !rl_wait;
  assign rl_done = rl_wait && ab_got[rl_b[0]] == 32'(rl_nr) * f;
  always_comb begin
    m1_req_valid = 1'b0; m1_req_dest = '0; m1_req_set = 1'b0; m1_req_k = '0; m1_req_len = '0;
    m1_req_addr = '0;
    if (ctrl_q == C_PRE && pw_c < o) begin
      m1_req_valid = 1'b1;
      m1_req_dest = {D_W, 5'(pw_c[CB-1:0])};
      m1_req_k = K1'(((pw_c >> CB) * kw << 6) + pw_off);
      m1_req_len = (K1+1)'(run_len(pw_addr, kl - pw_off));
      m1_req_addr = pw_addr;
    end else if (ctrl_q == C_PRE && pb_off < (has_bias != 0 ? o << 2 : 32'd0)) begin
      m1_req_valid = 1'b1;
      m1_req_dest = {D_BIAS, 5'd0};
      m1_req_k = K1'(pb_off);
      m1_req_len = (K1+1)'(run_len(p_b + 64'(pb_off), (o << 2) - pb_off));
      m1_req_addr = p_b + 64'(pb_off);
    end else if (rl_ok) begin
      m1_req_valid = 1'b1;
      m1_req_dest = {D_ABUF, 5'(rl_r)};
      m1_req_set = rl_b[0];
      m1_req_k = K1'((ca ? 32'd0 : f) + rl_off);
      m1_req_len = (K1+1)'(run_len(rl_addr, f - rl_off));
      m1_req_addr = rl_addr;
    end else if (ld_ok && ld_off < ld_total) begin
      m1_req_valid = 1'b1;
      m1_req_dest = {D_WIN, 5'd0};
      m1_req_k = K1'(ld_ring);
      m1_req_len = (K1+1)'(ld_len);
      m1_req_addr = ld_addr;
    end
  end
  logic rl_fire, ld_fire;
  assign rl_fire = m1_req_valid && m1_req_ready && ctrl_q == C_RUN && rl_ok;
  assign ld_fire = ctrl_q == C_RUN && !rl_ok && ld_ok &&
                   (ld_total == 0 || (m1_req_valid && m1_req_ready));

  // ------------------------------------------------------------ the reducer
  logic [31:0] rd_seg;
  logic        fin_active;
  logic [31:0] fin_r, fin_seg, fin_blk, agg_blocks;
  logic [QB-1:0] hd;
  logic [63:0] rd_wbase;  // the head window's first byte in the call's stream
  logic [31:0] rd_e1, rd_row, rd_base;
  logic        rd_ready, rd_step, rd_pop;
  logic [7:0]  rd_dst;
  logic signed [7:0] rd_wq;
  assign hd = q_head[QB-1:0];
  assign rd_e1 = q_e1[hd];
  assign rd_wbase = q_end[hd] - 64'(q_rows[hd] * aw);
  assign rd_ready = agg_go && q_head != q_load && !fin_active && win_got >= q_end[hd];
  assign rd_step = rd_ready && rd_e < rd_e1;
  assign rd_pop = rd_ready && rd_e == rd_e1;
  assign rd_row = src_at(rd_e) - q_first[hd];
  assign rd_base = rd_row * aw + (rd_seg << 6);
  assign rd_dst = dst_m[($clog2(RingE))'(rd_e)];
  assign rd_wq = $signed(wq_m[($clog2(RingE))'(rd_e)]);

  // accumulators: 32 rows x SegMax words of 64 int32 lanes, a valid bit a word (clear = zero)
  logic signed [31:0] acc_m [Rows * SegMax][64];
  logic [Rows*SegMax-1:0] acc_v;
  logic [$clog2(Rows*SegMax)-1:0] rd_ai, fin_ai;
  assign rd_ai = ($clog2(Rows*SegMax))'(32'(rd_dst[4:0]) * SegMax + rd_seg);
  assign fin_ai = ($clog2(Rows*SegMax))'(fin_r * SegMax + fin_seg);

  // in-degrees of the block's rows: its edges counted as the reducer takes them
  logic [31:0] dcnt [Rows];
  logic        is_mean, is_max;
  assign is_mean = aggr == 32'd1;
  assign is_max = aggr == 32'd2;

  // finish: a block's rows, a segment a cycle, through 64 requantizers (mean: a row of
  // in-degree >= 2 through 64 dividers first)
  logic [511:0] fin_q;
  logic         fin_step, fin_last, fin_wait, fin_ready, fin_div;
  logic         dv_start, dv_have;
  logic [63:0]  dv_busy_l, dv_done_l;
  logic [31:0]  fin_d;
  logic [5:0]   fin_nr;
  assign fin_nr = h_n - (fin_blk << 5) < 32 ? 6'(h_n - (fin_blk << 5)) : 6'd32;
  assign fin_last = fin_r + 32'd1 == 32'(fin_nr) && fin_seg + 32'd1 == segs;
  assign fin_d = dcnt[fin_r[4:0]];
  assign fin_div = is_mean && fin_d > 32'd1;
  assign fin_ready = !fin_div || dv_have || dv_done_l[0];
  assign dv_start = fin_active && !fin_self && fin_div && !dv_have && !dv_busy_l[0] &&
                    !dv_done_l[0];
  for (genvar l = 0; l < 64; l++) begin : g_fin
    logic signed [31:0] s, a, bl;
    logic [31:0] mag, quot, rem;
    logic unused_rem;
    assign unused_rem = ^rem;
    assign s = acc_v[fin_ai] ? acc_m[fin_ai][l] : 32'sd0;
    assign mag = s < 0 ? 32'sd0 - s : s;
    // |x - zp| <= 255 for each of the row's fin_d terms: the quotient fits 8 bits
    chm_divider #(.QBits(8)) u_div (
      .clk_i, .rst_ni, .start_i(dv_start), .num_i(mag + (fin_d >> 1)), .den_i(fin_d),
      .busy_o(dv_busy_l[l]), .done_o(dv_done_l[l]), .quot_o(quot), .rem_o(rem)
    );
    assign a = !fin_div ? s : s < 0 ? 32'sd0 - $signed(quot) : $signed(quot);
    assign bl = bq_m[($clog2(MaxO))'((fin_seg << 6) + l)];
    chm_requant u_rq (
      .acc_i(a), .off_i(ca && has_bias != 0 ? 34'(bl) : 34'sd0),
      .mult_i(ca ? fin_mult : agg_mult), .shift_i(ca ? fin_shift : agg_shift),
      .out_zp_i(ca ? out_zp : mid_zp), .act_min_i(ca ? out_min : -32'sd128),
      .act_max_i(32'sd127), .out_o(fin_q[l*8 +: 8])
    );
  end

  logic        fw_valid, st_valid, wr_ready, wr_busy;
  logic [63:0] fw_addr;
  logic [6:0]  fw_len;
  logic [31:0] fin_v, fin_col;
  assign fin_v = (fin_blk << 5) + fin_r;
  assign fin_col = fin_seg << 6;
  assign fw_addr = p_out + 64'(fin_v) * 64'(o) + 64'(fin_col);
  assign fw_len = o - (fin_seg << 6) < 64 ? 7'(o - (fin_seg << 6)) : 7'd64;
  assign fin_wait = ca ? !wr_ready : set_full[fin_blk[0]];
  assign fin_step = fin_active && !fin_self && fin_ready && !fin_wait;
  assign fw_valid = ca && fin_active && fin_ready;

  always_ff @(posedge clk_i) begin
    if (rd_step) begin
      for (int l = 0; l < 64; l++) begin
        logic [$clog2(2*64*MaxF)-1:0] wi;
        logic signed [31:0] old, xv;
        wi = K1'(rd_wbase) + K1'(rd_base + 32'(l));   // modulo the ring
        old = acc_v[rd_ai] ? acc_m[rd_ai][l] : 32'sd0;
        xv = 32'($signed(win_m[wi])) - az;
        if ((rd_seg << 6) + 32'(l) < aw)
          acc_m[rd_ai][l] <= is_max ? (acc_v[rd_ai] && old > xv ? old : xv)
                                    : old + (is_mean ? xv : 32'(rd_wq) * xv);
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      q_head <= '0; q_load <= '0; rd_e <= '0; rd_seg <= '0; acc_v <= '0; fin_active <= 1'b0;
      fin_r <= '0; fin_seg <= '0; fin_blk <= '0; agg_blocks <= '0; ld_off <= '0; ld_cum <= '0;
      rd_free <= '0; win_got <= '0; dv_have <= 1'b0; fin_self <= 1'b0;
      for (int i = 0; i < $signed(QD); i++) q_end[i] <= '0;
      for (int i = 0; i < $signed(Rows); i++) dcnt[i] <= '0;
    end else if (start) begin
      q_head <= '0; q_load <= '0; rd_e <= '0; rd_seg <= '0; acc_v <= '0; fin_active <= 1'b0;
      agg_blocks <= '0; ld_off <= '0; ld_cum <= '0; rd_free <= '0; win_got <= '0; dv_have <= 1'b0;
      fin_self <= 1'b0;
      for (int i = 0; i < $signed(Rows); i++) dcnt[i] <= '0;
    end else begin
      // loader: the window is issued with its last run
      if (ld_fire) begin
        if (ld_off + ld_len >= ld_total) begin
          ld_off <= '0; q_load <= q_load + 1'b1;
          ld_cum <= ld_cum + 64'(ld_total);
          q_end[q_load[QB-1:0]] <= ld_cum + 64'(ld_total);
        end else begin
          ld_off <= ld_off + ld_len;
        end
      end
      if (x_valid && x_dest[6:5] == D_WIN) win_got <= win_got + 64'(x_cnt);
      // reducer
      if (rd_step) begin
        acc_v[rd_ai] <= 1'b1;
        if (rd_seg == 0) dcnt[rd_dst[4:0]] <= dcnt[rd_dst[4:0]] + 32'd1;
        if (rd_seg + 32'd1 >= segs) begin
          rd_seg <= '0; rd_e <= rd_e + 32'd1;
        end else begin
          rd_seg <= rd_seg + 32'd1;
        end
      end
      if (rd_pop) begin
        q_head <= q_head + 1'b1;
        rd_free <= q_end[hd];
        if (q_last[hd]) begin
          fin_active <= 1'b1; fin_r <= '0; fin_seg <= '0; fin_blk <= q_blk[hd];
        end
      end
      if (fin_self && rl_done) begin
        fin_self <= 1'b0; fin_active <= 1'b0;
      end
      // finish
      if (fin_step) dv_have <= 1'b0;
      else if (dv_done_l[0]) dv_have <= 1'b1;
      if (fin_step) begin
        if (fin_last) begin
          // SAGE: the finish holds the reducer until the block's own rows are in
          if (sage) fin_self <= 1'b1;
          else fin_active <= 1'b0;
          acc_v <= '0; agg_blocks <= agg_blocks + 32'd1;
          for (int i = 0; i < $signed(Rows); i++) dcnt[i] <= '0;
        end else if (fin_seg + 32'd1 == segs) begin
          fin_seg <= '0; fin_r <= fin_r + 32'd1;
        end else begin
          fin_seg <= fin_seg + 32'd1;
        end
      end
    end
  end

  // ------------------------------------------- the ping-pong buffer (A operands)
  logic          ab_wr_valid, ab_wr_set;
  logic [4:0]    ab_wr_row;
  logic [63:0]   ab_wr_en;
  logic [64*(FB-6)-1:0] ab_wr_word;
  logic [511:0]  ab_wr_data;
  logic          cb_set;
  logic [31:0]   cb_k;
  logic [Rows*8-1:0] a_rd;
  always_comb begin
    if (ca || fin_self) begin
      ab_wr_valid = x_valid && x_dest[6:5] == D_ABUF;
      ab_wr_set = x_set; ab_wr_row = x_dest[4:0]; ab_wr_en = x_en; ab_wr_data = x_data;
      for (int l = 0; l < 64; l++)
        ab_wr_word[l*(FB-6) +: (FB-6)] = (FB-6)'(x_word[l*(K1-6) +: (K1-6)]);
    end else begin
      ab_wr_valid = fin_step; ab_wr_set = fin_blk[0]; ab_wr_row = 5'(fin_r); ab_wr_en = '1;
      ab_wr_data = fin_q;
      for (int l = 0; l < 64; l++) ab_wr_word[l*(FB-6) +: (FB-6)] = (FB-6)'(fin_seg);
    end
  end
  chm_tile_buf #(.Rows(Rows), .KBits(FB), .BufId(2)) u_abuf (
    .clk_i, .wr_valid_i(ab_wr_valid), .wr_set_i(ab_wr_set), .wr_row_i(ab_wr_row),
    .wr_en_i(ab_wr_en), .wr_word_i(ab_wr_word), .wr_data_i(ab_wr_data),
    .rd_set_i(cb_set), .rd_k_i(cb_k[FB-1:0]), .rd_data_o(a_rd)
  );

  // sets: filled by the finish (AC) or the row loader (CA), emptied by the combination
  logic [31:0] cb_b, cb_c0, cb_t;
  logic        cb_active, cb_start, cb_tile_end, cb_issue;
  logic [31:0] cb_steps;
  logic [7:0]  sq_res;
  logic [2:0]  mt_n;
  assign cb_steps = kl > Rows ? kl : Rows;   // a tile: kl taps, at least Rows cycles apart
  assign cb_set = cb_b[0];
  assign cb_start = comb_go && !cb_active && cb_b < h_blocks && set_full[cb_b[0]] &&
                    32'(sq_res) + 32'(set_nr[cb_b[0]]) <= SQD && mt_n != 3'd4;
  assign cb_tile_end = cb_active && cb_t + 32'd1 == cb_steps;
  assign cb_issue = cb_active && cb_t < kl;
  assign cb_k = cb_t;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      set_full <= '0; set_nr[0] <= '0; set_nr[1] <= '0; set_blk[0] <= '0; set_blk[1] <= '0;
      rl_b <= '0; rl_r <= '0; rl_off <= '0; rl_wait <= 1'b0; ab_got[0] <= '0; ab_got[1] <= '0;
      cb_b <= '0; cb_c0 <= '0; cb_t <= '0; cb_active <= 1'b0;
    end else if (start) begin
      set_full <= '0; rl_b <= '0; rl_r <= '0; rl_off <= '0; rl_wait <= 1'b0;
      ab_got[0] <= '0; ab_got[1] <= '0; cb_b <= '0; cb_c0 <= '0; cb_t <= '0; cb_active <= 1'b0;
    end else begin
      // AC: the finish fills a set
      if (!ca && !sage && fin_step && fin_last) begin
        set_full[fin_blk[0]] <= 1'b1; set_nr[fin_blk[0]] <= fin_nr; set_blk[fin_blk[0]] <= fin_blk;
      end
      // CA: the row loader fills one
      if (x_valid && x_dest[6:5] == D_ABUF) ab_got[x_set] <= ab_got[x_set] + 32'(x_cnt);
      if (rl_fire) begin
        if (rl_off + 32'(m1_req_len) >= f) begin
          rl_off <= '0;
          if (rl_r + 32'd1 == 32'(rl_nr)) begin rl_r <= '0; rl_wait <= 1'b1; end
          else rl_r <= rl_r + 32'd1;
        end else begin
          rl_off <= rl_off + 32'(m1_req_len);
        end
      end
      if (rl_done) begin
        set_full[rl_b[0]] <= 1'b1; set_nr[rl_b[0]] <= rl_nr; set_blk[rl_b[0]] <= rl_b;
        ab_got[rl_b[0]] <= '0; rl_wait <= 1'b0; rl_b <= rl_b + 32'd1;
      end
      // the combination streams tiles out of a full set
      if (cb_start) begin
        cb_active <= 1'b1; cb_t <= '0;
      end else if (cb_active) begin
        cb_t <= cb_t + 32'd1;
        if (cb_tile_end) begin
          cb_active <= 1'b0;
          if (cb_c0 + Cols >= o) begin
            cb_c0 <= '0; cb_b <= cb_b + 32'd1; set_full[cb_b[0]] <= 1'b0;
          end else begin
            cb_c0 <= cb_c0 + Cols;
          end
        end
      end
    end
  end

  // operands: row r's and column c's delayed r + 1 and c + 1 cycles (the skew)
  logic [Cols*8-1:0] b_rd;
  logic [31:0] wbase;
  assign wbase = (cb_c0 >> CB) * kw << 6;
  for (genvar j = 0; j < $signed(Cols); j++) begin : g_brd
    assign b_rd[j*8 +: 8] = w_m[j][($clog2(WWords*64))'(wbase + cb_k)];
  end
  logic [5:0] cb_nr;
  assign cb_nr = set_nr[cb_set];
  logic [7:0] a_sk [Rows][Rows];
  logic       v_sk [Rows][Rows];
  logic       f_sk [Rows][Rows];
  logic       l_sk [Rows][Rows];
  logic [7:0] b_sk [Cols][Cols];
  logic [Rows*8-1:0] arr_a;
  logic [Cols*8-1:0] arr_b;
  logic [Rows-1:0] arr_v, arr_f, arr_l, row_done;
  logic [Rows*Cols*32-1:0] shadow;
  for (genvar r = 0; r < $signed(Rows); r++) begin : g_ask
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        for (int i = 0; i <= r; i++) begin
          a_sk[r][i] <= '0; v_sk[r][i] <= 1'b0; f_sk[r][i] <= 1'b0; l_sk[r][i] <= 1'b0;
        end
      end else begin
        a_sk[r][0] <= a_rd[r*8 +: 8];
        v_sk[r][0] <= cb_issue && 32'(r) < 32'(cb_nr);
        f_sk[r][0] <= cb_issue && cb_t == 0;
        l_sk[r][0] <= cb_issue && cb_t + 32'd1 == kl;
        for (int i = 1; i <= r; i++) begin
          a_sk[r][i] <= a_sk[r][i-1]; v_sk[r][i] <= v_sk[r][i-1];
          f_sk[r][i] <= f_sk[r][i-1]; l_sk[r][i] <= l_sk[r][i-1];
        end
      end
    end
    if (r == 0) begin : g_a0   // the tile buffer's registered read is the first stage
      assign arr_a[7:0] = a_rd[7:0];
    end else begin : g_an
      assign arr_a[r*8 +: 8] = a_sk[r][r-1];
    end
    assign arr_v[r] = v_sk[r][r];
    assign arr_f[r] = f_sk[r][r];
    assign arr_l[r] = l_sk[r][r];
  end
  for (genvar c = 0; c < $signed(Cols); c++) begin : g_bsk
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        for (int i = 0; i <= c; i++) b_sk[c][i] <= '0;
      end else begin
        b_sk[c][0] <= b_rd[c*8 +: 8];
        for (int i = 1; i <= c; i++) b_sk[c][i] <= b_sk[c][i-1];
      end
    end
    assign arr_b[c*8 +: 8] = b_sk[c][c];
  end

  chm_systolic_array #(.Rows(Rows), .Cols(Cols)) u_array (
    .clk_i, .rst_ni, .a_i(arr_a), .b_i(arr_b), .valid_i(arr_v), .first_i(arr_f),
    .last_i(arr_l), .shadow_o(shadow), .last_out_o(row_done)
  );

  // tiles in the array (their columns and block) and their finished rows
  logic [31:0] mt_c0 [4], mt_v0 [4];
  logic [5:0]  mt_nr [4];
  logic [1:0]  mt_head, mt_tail;
  logic [5:0]  mt_done;
  logic [4:0]  done_r;
  logic        any_done;
  always_comb begin
    done_r = '0; any_done = 1'b0;
    for (int r = 0; r < $signed(Rows); r++) if (row_done[r]) begin done_r = 5'(r); any_done = 1'b1; end
  end
  // store queue: a finished row of a tile (Cols sums), its vertex and first column
  logic signed [31:0] sq_sum [SQD][Cols];
  logic [31:0] sq_v [SQD], sq_c0 [SQD];
  logic [7:0]  sq_head, sq_tail;
  logic        sq_pop;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      mt_head <= '0; mt_tail <= '0; mt_n <= '0; mt_done <= '0; sq_tail <= '0; sq_res <= '0;
      for (int i = 0; i < 4; i++) begin mt_c0[i] <= '0; mt_v0[i] <= '0; mt_nr[i] <= '0; end
    end else if (start) begin
      mt_head <= '0; mt_tail <= '0; mt_n <= '0; mt_done <= '0; sq_tail <= '0; sq_res <= '0;
    end else begin
      logic [2:0] n_next;
      logic [7:0] res_next;
      n_next = mt_n; res_next = sq_res;
      if (cb_start) begin
        mt_c0[mt_tail] <= cb_c0; mt_v0[mt_tail] <= set_blk[cb_set] << 5; mt_nr[mt_tail] <= cb_nr;
        mt_tail <= mt_tail + 2'd1; n_next = n_next + 3'd1; res_next = res_next + 8'(cb_nr);
      end
      if (any_done) begin
        sq_v[sq_tail[6:0]] <= mt_v0[mt_head] + 32'(done_r);
        sq_c0[sq_tail[6:0]] <= mt_c0[mt_head];
        for (int j = 0; j < $signed(Cols); j++)
          sq_sum[sq_tail[6:0]][j] <= $signed(shadow[(32'(done_r) * Cols + j) * 32 +: 32]);
        sq_tail <= sq_tail + 8'd1;
        if (mt_done + 6'd1 == mt_nr[mt_head]) begin
          mt_done <= '0; mt_head <= mt_head + 2'd1; n_next = n_next - 3'd1;
        end else begin
          mt_done <= mt_done + 6'd1;
        end
      end
      if (sq_pop) res_next = res_next - 8'd1;
      mt_n <= n_next; sq_res <= res_next;
    end
  end

  // the output stage: a queued row's Cols sums requantized, one write run
  logic [Cols*8-1:0] st_q;
  logic [6:0]  sq_i;
  logic [31:0] st_v, st_c0;
  logic signed [31:0] st_zp;                  // the combined rows' zero point
  assign st_zp = ca ? in_zp : mid_zp;
  assign sq_i = sq_head[6:0];
  assign st_v = sq_v[sq_i];
  assign st_c0 = sq_c0[sq_i];
  for (genvar j = 0; j < $signed(Cols); j++) begin : g_st
    logic [$clog2(MaxO)-1:0] c;
    logic signed [63:0] st_off;                 // bias - zp x the column's weight sum
    logic signed [33:0] st_off34;
    assign c = ($clog2(MaxO))'(st_c0 + j);
    assign st_off = (!ca && has_bias != 0 ? 64'(bq_m[c]) : 64'sd0) -
                    64'(st_zp) * 64'(wsum_m[c]);
    chm_off34 u_off34 (.off_i(st_off), .off_o(st_off34));
    chm_requant u_rq (
      .acc_i(sq_sum[sq_i][j]), .off_i(st_off34), .mult_i(comb_mult),
      .shift_i(comb_shift), .out_zp_i(ca ? mid_zp : out_zp),
      .act_min_i(ca ? -32'sd128 : out_min), .act_max_i(32'sd127), .out_o(st_q[j*8 +: 8])
    );
  end
  assign st_valid = sq_head != sq_tail && !(ca && phase2);
  assign sq_pop = st_valid && wr_ready;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) sq_head <= '0;
    else if (start) sq_head <= '0;
    else if (sq_pop) sq_head <= sq_head + 8'd1;
  end

  // ------------------------------------------------- write master 2: outputs
  logic        w_valid;
  logic [63:0] w_addr;
  logic [6:0]  w_len;
  logic [511:0] w_data;
  always_comb begin
    w_data = '0;
    if (ca && phase2) begin
      w_valid = fw_valid; w_addr = fw_addr; w_len = fw_len; w_data = fin_q;
    end else begin
      w_valid = st_valid;
      w_addr = (ca ? p_scr : p_out) + 64'(st_v) * 64'(o) + 64'(st_c0);
      w_len = o - st_c0 < Cols ? 7'(o - st_c0) : 7'(Cols);
      w_data[Cols*8-1:0] = st_q;
    end
  end
  chm_run_write #(.Depth(8)) u_write (
    .clk_i, .rst_ni, .req_valid_i(w_valid), .req_ready_o(wr_ready), .addr_i(w_addr),
    .len_i(w_len), .data_i(w_data), .busy_o(wr_busy),
    `CHM_BIND_M2
  );

  // the call ends when every block went through both engines and the last write is answered
  assign run_done = ca && !phase2
      ? cb_b == h_blocks && rl_b == h_blocks && mt_n == 0 && sq_head == sq_tail && !wr_busy
      : agg_blocks == h_blocks && !fin_active && (ca || (cb_b == h_blocks && mt_n == 0 &&
                                                         sq_head == sq_tail)) && !wr_busy;

  // preload issue counters
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      pw_c <= '0; pw_off <= '0; pb_off <= '0;
    end else if (start) begin
      pw_c <= '0; pw_off <= '0; pb_off <= '0;
    end else if (ctrl_q == C_PRE && m1_req_valid && m1_req_ready) begin
      if (pw_c < o) begin
        if (pw_off + 32'(m1_req_len) >= kl) begin pw_off <= '0; pw_c <= pw_c + 32'd1; end
        else pw_off <= pw_off + 32'(m1_req_len);
      end else begin
        pb_off <= pb_off + 32'(m1_req_len);
      end
    end
  end

  logic unused_ok;
  assign unused_ok = ^{g_set, g_busy, x_busy, hdr32(0), hdr_got[63:8], order, st_len[31:K0+1],
                       rd_dst[7:5], rd_wbase[63:K1], dv_busy_l[63:1], dv_done_l[63:1]};
endmodule
