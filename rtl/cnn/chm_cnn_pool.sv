// chm_cnn_pool - the CNN mode's pooling engine (hls/cnn/cnn_pool.c in RTL).
//
// The kernel's loop order: output pixel, then its channels in chunks of 64
// (CNN_POOL_LANES, one 512-bit beat), then the window's taps, one tap a
// cycle. Three machines:
//   issue  - walks (image, oy, ox, chunk, ky, kx) a tap a cycle; a tap
//            inside the input asks the run fetcher for the chunk's bytes
//            (contiguous in NHWC, at any alignment: one or two beats), a
//            padding tap costs its cycle and reads nothing (padding never
//            wins a max nor counts in an average: TFLite's rule). The last
//            tap inside the window is tagged.
//   land   - 64 lanes of max and sum take each beat's enabled lanes; a
//            chunk ends with its tagged tap's last byte, and its result
//            moves to the output stage (the fetch holds back a beat only
//            when the result register would still be full as it lands).
//   output - a max chunk goes straight to the writer; an average chunk goes
//            through 64 sequential dividers, 8 cycles (CNN_POOL_DIV_CYCLES:
//            an average of int8 values has an 8-bit magnitude), overlapping
//            the next chunk's taps: (2 |t| + count) / (2 count), which
//            rounds |t| / count half up, with t = sum (CNN_POOL_AVG: ties
//            away from zero) or t = sum - count x zp (CNN_POOL_AVG_EVEN:
//            a tie, a remainder of 0, then steps back to the even quotient;
//            then the sign and zp), as pool_avg_round.
// A window has at most CNN_MAX_KERNEL^2 = 1,024 taps (the host refuses
// larger ones), so a lane's sum fits 18 bits (|sum| <= 128 x 1,024) and so
// do the dividers' operands (|t| <= 255 x 1,024).
// Read master 1 is unused (tied off): the port list is the CNN engines'.
`include "cnn_pool_regs.svh"
`include "chm_axi_bind.svh"

module chm_cnn_pool (
  `include "chm_cnn_ports.svh"
);
  localparam int unsigned W = CNN_POOL_WORDS;
  localparam int unsigned SB = 18;  // a lane's sum, and the dividers' width

  // ---------------------------------------------------------------- control
  `include "chm_cnn_ctrl.svh"
  `include "cnn_axi.svh"  // CNN_AXI_OUTSTANDING, CNN_AXI_MAX_BURST (hls/cnn/cnn_config.h)

  logic [63:0] p_in, p_out;
  logic [31:0] n, ih, iw, c, oh, ow, kh, kw, sh, sw, pt, pl;
  logic        is_avg, avg_even;
  logic signed [7:0] avg_zp;
  logic [63:0] row_bytes, img_bytes, chunks_total, chunks_out;
  logic [31:0] c_sum, c_chunks;  // channel chunks of a pixel
  assign c_sum = c + 32'd63;
  assign c_chunks = {6'd0, c_sum[31:6]};

  typedef enum logic [1:0] { C_IDLE, C_SIZE, C_RUN, C_DONE } ctrl_e;
  ctrl_e ctrl_q;
  logic go_q;
  logic is_done, wr_busy;  // issue finished; writer has work or responses due

  assign ap_idle = ctrl_q == C_IDLE;
  assign ap_ready = ctrl_q == C_IDLE && ap_start;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ctrl_q <= C_IDLE; ap_done <= 1'b0; go_q <= 1'b0; p_in <= '0; p_out <= '0;
      n <= '0; ih <= '0; iw <= '0; c <= '0; oh <= '0; ow <= '0; kh <= '0; kw <= '0;
      sh <= '0; sw <= '0; pt <= '0; pl <= '0; is_avg <= 1'b0; avg_even <= 1'b0; avg_zp <= '0;
      row_bytes <= '0; img_bytes <= '0; chunks_total <= '0;
    end else begin
      ap_done <= 1'b0;
      go_q <= 1'b0;
      case (ctrl_q)
        C_IDLE: if (ap_start) begin
          p_in <= arg64(CNN_POOL_IN_WORD); p_out <= arg64(CNN_POOL_OUT_WORD);
          n <= arg32(CNN_POOL_N_WORD); ih <= arg32(CNN_POOL_IH_WORD);
          iw <= arg32(CNN_POOL_IW_WORD); c <= arg32(CNN_POOL_C_WORD);
          oh <= arg32(CNN_POOL_OH_WORD); ow <= arg32(CNN_POOL_OW_WORD);
          kh <= arg32(CNN_POOL_KH_WORD); kw <= arg32(CNN_POOL_KW_WORD);
          sh <= arg32(CNN_POOL_STRIDE_H_WORD); sw <= arg32(CNN_POOL_STRIDE_W_WORD);
          pt <= arg32(CNN_POOL_PAD_T_WORD); pl <= arg32(CNN_POOL_PAD_L_WORD);
          is_avg <= arg32(CNN_POOL_IS_AVG_WORD) != 0;
          avg_even <= arg32(CNN_POOL_IS_AVG_WORD) == 32'd2;  // CNN_POOL_AVG_EVEN
          avg_zp <= 8'(arg32(CNN_POOL_AVG_ZP_WORD));
          ctrl_q <= C_SIZE;
        end
        C_SIZE: begin
          row_bytes <= 64'(iw) * 64'(c);
          img_bytes <= 64'(ih) * 64'(iw) * 64'(c);
          chunks_total <= 64'(n) * 64'(oh) * 64'(ow) * 64'(c_chunks);
          go_q <= 1'b1;
          ctrl_q <= C_RUN;
        end
        C_RUN: if (!go_q && is_done && chunks_out == chunks_total && !wr_busy) ctrl_q <= C_DONE;
        C_DONE: begin
          ap_done <= 1'b1;
          ctrl_q <= C_IDLE;
        end
        default: ctrl_q <= C_IDLE;
      endcase
    end
  end

  // ------------------------------------------------------------------ issue
  logic        is_run;
  logic [31:0] i_b, i_oy, i_ox, i_c0, i_ky, i_kx;
  logic signed [31:0] i_y0, i_x0, i_iy, i_ix, i_kylast, i_kxlast;
  logic [63:0] i_img;
  logic        i_inside, i_last_tap, i_tag, req_ready, fetch_busy;
  logic [31:0] i_lanes;

  always_comb begin
    i_iy = i_y0 + $signed(i_ky);
    i_ix = i_x0 + $signed(i_kx);
    i_inside = i_iy >= 0 && i_iy < $signed(ih) && i_ix >= 0 && i_ix < $signed(iw);
    // the last tap inside the window: min(k, extent - start) - 1 on each axis
    i_kylast = ($signed(ih) - i_y0 < $signed(kh) ? $signed(ih) - i_y0 : $signed(kh)) - 1;
    i_kxlast = ($signed(iw) - i_x0 < $signed(kw) ? $signed(iw) - i_x0 : $signed(kw)) - 1;
    i_tag = $signed(i_ky) == i_kylast && $signed(i_kx) == i_kxlast;
    i_last_tap = i_ky + 1 == kh && i_kx + 1 == kw;
    i_lanes = c - i_c0 < 32'd64 ? c - i_c0 : 32'd64;
  end

  logic fetch_rvalid, fetch_rready, land_stall;
  logic        wr_valid, wr_dest, wr_set;
  logic [63:0] wr_en;
  logic [511:0] wr_data;
  logic [63:0] wr_word;

  chm_run_fetch #(.DestBits(1), .KBits(7), .Depth(CNN_AXI_OUTSTANDING),
                  .MaxBurst(CNN_AXI_MAX_BURST)) u_fetch (
    .clk_i, .rst_ni,
    .req_valid_i(is_run && i_inside), .req_ready_o(req_ready), .dest_i(i_tag), .set_i(1'b0),
    .k_i(7'd0), .len_i(8'(i_lanes)),
    .addr_i(i_img + 64'(i_iy) * row_bytes + 64'(i_ix) * 64'(c) + 64'(i_c0)),
    .pad_i(1'b0), .pad_val_i(8'd0), .busy_o(fetch_busy),
    .m_araddr_o(m0_araddr_o), .m_arlen_o(m0_arlen_o), .m_arvalid_o(m0_arvalid_o),
    .m_arready_i(m0_arready_i), .m_rdata_i(m0_rdata_i), .m_rlast_i(m0_rlast_i),
    .m_rvalid_i(fetch_rvalid), .m_rready_o(fetch_rready),
    .wr_valid_o(wr_valid), .wr_set_o(wr_set), .wr_dest_o(wr_dest), .wr_en_o(wr_en),
    .wr_word_o(wr_word), .wr_data_o(wr_data)
  );
  // The landing stage holds the fetch while a finished chunk waits for the output stage.
  assign fetch_rvalid = m0_rvalid_i && !land_stall;
  assign m0_rready_o = fetch_rready && !land_stall;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      is_run <= 1'b0; is_done <= 1'b0; i_b <= '0; i_oy <= '0; i_ox <= '0; i_c0 <= '0;
      i_ky <= '0; i_kx <= '0; i_y0 <= '0; i_x0 <= '0; i_img <= '0;
    end else if (go_q) begin
      is_run <= chunks_total != 0; is_done <= chunks_total == 0;
      i_b <= '0; i_oy <= '0; i_ox <= '0; i_c0 <= '0; i_ky <= '0; i_kx <= '0;
      i_y0 <= -$signed(pt); i_x0 <= -$signed(pl); i_img <= p_in;
    end else if (is_run && (!i_inside || req_ready)) begin
      if (!i_last_tap) begin
        if (i_kx + 1 < kw) i_kx <= i_kx + 1;
        else begin i_kx <= '0; i_ky <= i_ky + 1; end
      end else begin
        i_kx <= '0; i_ky <= '0;
        if (i_c0 + 64 < c) i_c0 <= i_c0 + 64;
        else begin
          i_c0 <= '0;
          if (i_ox + 1 < ow) begin i_ox <= i_ox + 1; i_x0 <= i_x0 + $signed(sw); end
          else begin
            i_ox <= '0; i_x0 <= -$signed(pl);
            if (i_oy + 1 < oh) begin i_oy <= i_oy + 1; i_y0 <= i_y0 + $signed(sh); end
            else begin
              i_oy <= '0; i_y0 <= -$signed(pt);
              if (i_b + 1 < n) begin i_b <= i_b + 1; i_img <= i_img + img_bytes; end
              else begin is_run <= 1'b0; is_done <= 1'b1; end
            end
          end
        end
      end
    end
  end

  // ---------------------------------------------------------------- landing
  logic signed [7:0]  best_q [64];
  logic signed [SB-1:0] sum_q [64];
  logic [SB-1:0] cnt_q;
  logic [31:0] l_c0, l_lanes;
  logic [63:0] l_off;
  logic        run_end, chunk_end;
  logic signed [7:0]  best_d [64];
  logic signed [SB-1:0] sum_d [64];

  // the finished chunk, waiting for the output stage
  logic        res_full_q;
  logic signed [7:0]  res_best [64];
  logic signed [SB-1:0] res_sum [64];
  logic [SB-1:0] res_cnt;
  logic [6:0]  res_lanes;
  logic [63:0] res_off;
  logic        res_take;

  always_comb begin
    l_lanes = c - l_c0 < 32'd64 ? c - l_c0 : 32'd64;
    run_end = wr_valid && wr_en[l_lanes[5:0] - 6'd1];
    chunk_end = run_end && wr_dest;
    for (int l = 0; l < 64; l++) begin
      best_d[l] = best_q[l];
      sum_d[l] = sum_q[l];
      if (wr_valid && wr_en[l]) begin
        best_d[l] = $signed(wr_data[l*8 +: 8]) > best_q[l] ? $signed(wr_data[l*8 +: 8]) : best_q[l];
        sum_d[l] = sum_q[l] + SB'($signed(wr_data[l*8 +: 8]));
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cnt_q <= '0; l_c0 <= '0; l_off <= '0; res_full_q <= 1'b0; res_cnt <= '0;
      res_lanes <= '0; res_off <= '0;
      for (int l = 0; l < 64; l++) begin
        best_q[l] <= 8'sh80; sum_q[l] <= '0; res_best[l] <= '0; res_sum[l] <= '0;
      end
    end else if (go_q) begin
      cnt_q <= '0; l_c0 <= '0; l_off <= '0; res_full_q <= 1'b0;
      for (int l = 0; l < 64; l++) begin
        best_q[l] <= 8'sh80; sum_q[l] <= '0;
      end
    end else begin
      if (res_take) res_full_q <= 1'b0;
      if (chunk_end) begin
        res_full_q <= 1'b1;
        res_cnt <= cnt_q + 1;
        res_lanes <= 7'(l_lanes);
        res_off <= l_off;
        for (int l = 0; l < 64; l++) begin
          res_best[l] <= best_d[l]; res_sum[l] <= sum_d[l];
          best_q[l] <= 8'sh80; sum_q[l] <= '0;
        end
        cnt_q <= '0;
        l_off <= l_off + 64'(l_lanes);
        l_c0 <= l_c0 + 64 < c ? l_c0 + 64 : 32'd0;
      end else begin
        if (run_end) cnt_q <= cnt_q + 1;
        for (int l = 0; l < 64; l++) begin
          best_q[l] <= best_d[l]; sum_q[l] <= sum_d[l];
        end
      end
    end
  end

  // ----------------------------------------------------------------- output
  logic        dv_start, dv_busy, dv_done, div_pending_q, out_full_q;
  logic [SB:0] dv_quot [64];
  logic        neg_q [64];
  logic        dv_tie [64];  // a remainder of 0: |t| / count was a tie
  logic [6:0]  div_lanes, out_lanes;
  logic [63:0] div_off, out_off;
  logic [511:0] out_data;
  logic        wr_req, wr_ready;
  logic [63:0] dv_busy_l, dv_done_l;

  logic signed [SB+1:0] dv_t [64];   // sum - count x zp (sum alone when rounding away)
  logic signed [SB+1:0] cnt_zp;      // count x zp, once for all lanes
  assign cnt_zp = avg_even ? $signed({2'b00, res_cnt}) * (SB+2)'(avg_zp) : '0;
  for (genvar l = 0; l < 64; l++) begin : g_div
    logic [SB-1:0] mag;
    logic [SB:0] rem;
    assign dv_t[l] = (SB+2)'(res_sum[l]) - cnt_zp;
    assign mag = dv_t[l] < 0 ? SB'(-dv_t[l]) : SB'(dv_t[l]);
    chm_divider #(.Width(SB + 1), .QBits(8)) u_div (
      .clk_i, .rst_ni, .start_i(dv_start), .num_i({mag, 1'b0} + (SB+1)'(res_cnt)),
      .den_i({res_cnt, 1'b0}), .busy_o(dv_busy_l[l]), .done_o(dv_done_l[l]),
      .quot_o(dv_quot[l]), .rem_o(rem)
    );
    assign dv_tie[l] = rem == '0;
  end

  // a lane's average as it leaves the dividers: ties to even step back
  // from an odd quotient
  function automatic logic [7:0] avg_byte(input logic [7:0] q, input logic tie,
                                          input logic neg);
    logic [7:0] m;
    m = q - {7'd0, avg_even && tie && q[0]};
    avg_byte = (neg ? 8'(-m) : m) + (avg_even ? avg_zp : 8'sd0);
  endfunction
  assign dv_busy = dv_busy_l[0];
  assign dv_done = dv_done_l[0];

  // A max chunk goes to the writer from res; an average one starts the dividers.
  assign dv_start = res_full_q && is_avg && !div_pending_q;
  assign res_take = res_full_q && (is_avg ? !div_pending_q : !out_full_q);

  always_comb begin
    wr_req = out_full_q;
  end

  // A beat taken now lands next cycle, and may end a chunk there: take it only
  // if the result register will be free then, or emptied in that cycle (the
  // next cycle's res_full and res_take, from the registers' next values
  // below). Stalling whenever it was full or filling cost two cycles a chunk,
  // hidden while short bursts left the port latency-bound.
  logic res_full_d, out_free_d, div_pending_d, avg_fill, wr_fire;
  always_comb begin
    wr_fire = wr_req && wr_ready;
    avg_fill = is_avg && div_pending_q && !dv_busy && !(out_full_q && !wr_fire) && !dv_start;
    res_full_d = chunk_end || (res_full_q && !res_take);
    out_free_d = !((!is_avg && res_take) || avg_fill || (out_full_q && !wr_fire));
    div_pending_d = dv_start || (div_pending_q && !avg_fill);
    land_stall = res_full_d && !(is_avg ? !div_pending_d : out_free_d);
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      div_pending_q <= 1'b0; out_full_q <= 1'b0; div_lanes <= '0; div_off <= '0;
      out_lanes <= '0; out_off <= '0; out_data <= '0; chunks_out <= '0;
      for (int l = 0; l < 64; l++) neg_q[l] <= 1'b0;
    end else if (go_q) begin
      div_pending_q <= 1'b0; out_full_q <= 1'b0; chunks_out <= '0;
    end else begin
      if (wr_fire) begin
        out_full_q <= 1'b0;
        chunks_out <= chunks_out + 1;
      end
      if (dv_start) begin
        div_pending_q <= 1'b1;
        div_lanes <= res_lanes;
        div_off <= res_off;
        for (int l = 0; l < 64; l++) neg_q[l] <= dv_t[l] < 0;
      end
      // results wait in out until the writer takes them
      if (!is_avg && res_take) begin
        out_full_q <= 1'b1;
        out_lanes <= res_lanes;
        out_off <= res_off;
        for (int l = 0; l < 64; l++) out_data[l*8 +: 8] <= res_best[l];
      end
      if (avg_fill) begin
        div_pending_q <= 1'b0;
        out_full_q <= 1'b1;
        out_lanes <= div_lanes;
        out_off <= div_off;
        for (int l = 0; l < 64; l++)
          out_data[l*8 +: 8] <= avg_byte(dv_quot[l][7:0], dv_tie[l], neg_q[l]);
      end
    end
  end

  chm_run_write u_write (
    .clk_i, .rst_ni, .req_valid_i(wr_req), .req_ready_o(wr_ready), .addr_i(p_out + out_off),
    .len_i(out_lanes), .data_i(out_data), .busy_o(wr_busy),
    `CHM_BIND_M2
  );

  // read master 1: not used by pooling
  assign m1_araddr_o = '0;
  assign m1_arlen_o = '0;
  assign m1_arvalid_o = 1'b0;
  assign m1_rready_o = 1'b1;

  logic unused_ok;
  assign unused_ok = ^{m1_arready_i, m1_rdata_i, m1_rlast_i, m1_rvalid_i, wr_word, dv_done,
                       dv_busy_l[63:1], dv_done_l[63:1], fetch_busy, wr_set,
                       i_lanes[31:8], c_sum[5:0]};
endmodule
