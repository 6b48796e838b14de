// chm_cnn_conv - the CNN mode's convolution engine (hls/cnn/cnn_conv.c in RTL).
//
// The same GEMM view as the HLS kernel: per group, M = n*oh*ow output pixels
// by N = oc/groups channels, K = kh*kw*ic/groups taps, tiled Rows x Cols and
// sliced ks taps deep: K split into ceil(K / 2^KBits) equal slices (2,304 =
// 2 x 1,152, not 2,048 + 256, whose long fetch the short compute could not
// hide). Five decoupled machines share the work:
//   fetch A  - im2col runs of each tile row through read master 0 into A's
//              ping-pong buffers: one run per window row (its kw taps'
//              channels are contiguous in NHWC when groups = 1 and the
//              window is not dilated; otherwise one per tap), split where the
//              window leaves the input (padding written as the zero point);
//   fetch B  - per tile the channels' bias / multiplier / shift, then each
//              column's weights (K contiguous in OHWI) through read master 1,
//              accumulating each column's offset bias - in_zp x colsum
//              (the zero-point term) as they land, one product a beat;
//   compute  - streams a full slice into the systolic array one tap a cycle,
//              skewed; accumulators stay in the PEs across slices and the last
//              tap of a tile copies each PE's sum into its shadow register;
//   store    - as each row's shadows settle, Cols requantization units turn
//              the row into int8 (zero point, bias, multiplier, shift, clamp,
//              bit for bit hls_quant.h) into one of two output slots;
//   write    - each slot's rows go out through the write master, one burst a
//              row (at most two beats with byte strobes).
// A slice's fetch overlaps the previous slice's compute, and a tile's store
// and write overlap the next tiles; the array stalls only when a fetch is
// slower than the slice it feeds.
// Operand reuse: the tiles are walked with the longer of the two tile loops
// inside (chm_tile_walk), and each fetcher tags what each buffer set holds
// (group, tile, first tap); a slice whose operand is already in its set is
// not fetched again. With at most two slices a tile, slice i always lands in
// set i mod 2 (or, one slice a tile, every other tile in the same set), so
// the operand that stays (the weights of a channel tile, or the input rows
// of a pixel tile) is read once or twice per pass instead of once a tile,
// and a tile moves one operand, not two: half the bank's beats.
// The control port is Vitis HLS's (the register map in
// rtl/regmap/cnn_conv2d.json). The host checks descriptors; the engine
// trusts them, as the kernel does.
`include "cnn_conv2d_regs.svh"

module chm_cnn_conv #(
  parameter int unsigned Rows = 8,
  parameter int unsigned Cols = 8,
  parameter int unsigned KBits = 12
) (
  `include "chm_cnn_ports.svh"
);
  localparam int unsigned RB = $clog2(Rows);
  localparam int unsigned CB = $clog2(Cols);
  localparam int unsigned TileK = 2 ** KBits;
  localparam int unsigned W = CNN_CONV2D_WORDS;
  // the output stages' offset (bias - in_zp x colsum) travels clamped to
  // chm_requant's 34 bits
  localparam int unsigned OffBits = 34;

  // ---------------------------------------------------------------- control
  `include "chm_cnn_ctrl.svh"
  `include "cnn_axi.svh"  // CNN_AXI_OUTSTANDING, CNN_AXI_MAX_BURST (hls/cnn/cnn_config.h)

  // The descriptor, latched at start.
  logic [63:0] p_in, p_wts, p_bias, p_mult, p_shift, p_out;
  logic [31:0] n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, pt, pl, dh, dw, groups;
  logic signed [31:0] in_zp, out_zp, act_min, act_max;
  logic has_bias, per_tensor;
  // Derived at start.
  logic [31:0] icg, ocg, kk, mm, plane, col_tiles;
  logic [31:0] ks;        // taps a slice
  logic        n_outer;   // pixel tiles inside channel tiles (weights stay)
  logic        reuse;     // at most two slices a tile: the buffer tags hold
  logic [31:0] k_slices, row_tiles;

  typedef enum logic [2:0] { C_IDLE, C_DIV_IC, C_DIV_OC, C_DIV_K, C_RUN, C_DONE } ctrl_e;
  ctrl_e ctrl_q;
  logic go_q;    // one cycle: the machines below start

  logic        dv_start, dv_busy, dv_done;
  logic [31:0] dv_num, dv_den, dv_quot, dv_rem;
  chm_divider u_div_ctrl (.clk_i, .rst_ni, .start_i(dv_start), .num_i(dv_num), .den_i(dv_den),
                          .busy_o(dv_busy), .done_o(dv_done), .quot_o(dv_quot), .rem_o(dv_rem));

  logic [31:0] tiles_total, tiles_written;
  logic        writer_idle;

  assign ap_idle = ctrl_q == C_IDLE;
  assign ap_ready = ctrl_q == C_IDLE && ap_start;
  assign dv_start = (ctrl_q == C_DIV_IC || ctrl_q == C_DIV_OC || ctrl_q == C_DIV_K) &&
                    !dv_busy && !dv_done;
  assign k_slices = (kk + TileK - 1) >> KBits;
  assign row_tiles = (mm + Rows - 1) >> RB;
  always_comb begin
    case (ctrl_q)
      C_DIV_IC: begin dv_num = ic; dv_den = groups; end
      C_DIV_OC: begin dv_num = oc; dv_den = groups; end
      default:  begin dv_num = kk + k_slices - 1; dv_den = k_slices; end  // ks = ceil(K / slices)
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ctrl_q <= C_IDLE; ap_done <= 1'b0; go_q <= 1'b0;
      p_in <= '0; p_wts <= '0; p_bias <= '0; p_mult <= '0; p_shift <= '0; p_out <= '0;
      n <= '0; ih <= '0; iw <= '0; ic <= '0; oh <= '0; ow <= '0; oc <= '0; kh <= '0; kw <= '0;
      sh <= '0; sw <= '0; pt <= '0; pl <= '0; dh <= '0; dw <= '0; groups <= 32'd1;
      in_zp <= '0; out_zp <= '0; act_min <= '0; act_max <= '0; has_bias <= 1'b0;
      per_tensor <= 1'b0; icg <= '0; ocg <= '0; kk <= '0; mm <= '0; plane <= '0;
      col_tiles <= '0; tiles_total <= '0; ks <= '0; n_outer <= 1'b0; reuse <= 1'b0;
    end else begin
      ap_done <= 1'b0;
      go_q <= 1'b0;
      case (ctrl_q)
        C_IDLE: if (ap_start) begin
          p_in <= arg64(CNN_CONV2D_IN_WORD);     p_wts <= arg64(CNN_CONV2D_WTS_WORD);
          p_bias <= arg64(CNN_CONV2D_BIAS_WORD); p_mult <= arg64(CNN_CONV2D_MULT_WORD);
          p_shift <= arg64(CNN_CONV2D_SHIFT_WORD); p_out <= arg64(CNN_CONV2D_OUT_WORD);
          n <= arg32(CNN_CONV2D_N_WORD);   ih <= arg32(CNN_CONV2D_IH_WORD);
          iw <= arg32(CNN_CONV2D_IW_WORD); ic <= arg32(CNN_CONV2D_IC_WORD);
          oh <= arg32(CNN_CONV2D_OH_WORD); ow <= arg32(CNN_CONV2D_OW_WORD);
          oc <= arg32(CNN_CONV2D_OC_WORD); kh <= arg32(CNN_CONV2D_KH_WORD);
          kw <= arg32(CNN_CONV2D_KW_WORD);
          sh <= arg32(CNN_CONV2D_STRIDE_H_WORD); sw <= arg32(CNN_CONV2D_STRIDE_W_WORD);
          pt <= arg32(CNN_CONV2D_PAD_T_WORD);    pl <= arg32(CNN_CONV2D_PAD_L_WORD);
          dh <= arg32(CNN_CONV2D_DIL_H_WORD);    dw <= arg32(CNN_CONV2D_DIL_W_WORD);
          groups <= arg32(CNN_CONV2D_GROUPS_WORD);
          in_zp <= arg32(CNN_CONV2D_IN_ZP_WORD); out_zp <= arg32(CNN_CONV2D_OUT_ZP_WORD);
          act_min <= arg32(CNN_CONV2D_ACT_MIN_WORD); act_max <= arg32(CNN_CONV2D_ACT_MAX_WORD);
          has_bias <= arg32(CNN_CONV2D_HAS_BIAS_WORD) != 0;
          per_tensor <= arg32(CNN_CONV2D_PER_TENSOR_WORD) != 0;
          ctrl_q <= C_DIV_IC;
        end
        C_DIV_IC: if (dv_done) begin
          icg <= dv_quot;
          ctrl_q <= C_DIV_OC;
        end
        C_DIV_OC: if (dv_done) begin
          ocg <= dv_quot;
          kk <= kh * kw * icg;
          mm <= n * oh * ow;
          plane <= oh * ow;
          col_tiles <= (dv_quot + Cols - 1) >> CB;
          tiles_total <= groups * ((n * oh * ow + Rows - 1) >> RB) * ((dv_quot + Cols - 1) >> CB);
          ctrl_q <= C_DIV_K;
        end
        C_DIV_K: if (dv_done) begin
          ks <= dv_quot;
          // The longer tile loop inside; a tie keeps the input rows (the
          // weights' long runs are the cheaper operand to stream).
          n_outer <= row_tiles > col_tiles;
          reuse <= k_slices <= 2;
          go_q <= 1'b1;
          ctrl_q <= C_RUN;
        end
        C_RUN: if (!go_q && tiles_written == tiles_total && writer_idle) begin  // go_q: counters reset now
          ctrl_q <= C_DONE;
        end
        C_DONE: begin
          ap_done <= 1'b1;
          ctrl_q <= C_IDLE;
        end
        default: ctrl_q <= C_IDLE;
      endcase
    end
  end

  // Ping-pong handshakes: fetchers fill a set, compute empties it.
  logic [1:0] a_full_q, b_full_q;
  logic a_fill_done, b_fill_done, ab_consumed;
  logic a_fill_set, b_fill_set, c_set_q;

  // ---------------------------------------------------------------- fetch A
  `include "chm_cnn_conv_fetch_a.svh"
  // ---------------------------------------------------------------- fetch B
  `include "chm_cnn_conv_fetch_b.svh"
  // -------------------------------------------------------- compute + array
  `include "chm_cnn_conv_compute.svh"
  // ---------------------------------------------------------- store + write
  `include "chm_cnn_conv_store.svh"

  logic unused_ok;
  assign unused_ok = ^{dv_rem, fb_kt[31:KBits+1], m0_rlast_i, fa_nt, fa_last_slice, cp_g, cp_m0, cp_nt};

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      a_full_q <= '0; b_full_q <= '0;
    end else begin
      if (a_fill_done) a_full_q[a_fill_set] <= 1'b1;
      if (b_fill_done) b_full_q[b_fill_set] <= 1'b1;
      if (ab_consumed) begin
        a_full_q[c_set_q] <= 1'b0;
        b_full_q[c_set_q] <= 1'b0;
      end
    end
  end
endmodule
