// chm_sparse - the SPARSE mode's engine (hls/sparse/sparse_layer.c in RTL),
// for Cambricon-X (format 1) and Cambricon-S (format 2) weights.
//
// The engine works in weight passes: a pass takes up to SPARSE_VECTORS input
// vectors (fc input rows, or conv output pixels' windows; S as many as its
// block's multipliers fit 512, sparse_pass_vectors) and streams the weights
// once for all of them:
//   gather  - read master 0 fetches each vector's window a row at a time
//             (with dil_w 1 the row's taps inside the image are one run of
//             memory, a run per tap otherwise; the taps outside land as
//             in_zp without a read; runs of at most 1 KiB, 64 in flight)
//             into a set of neuron buffers (a buffer a vector of the pass),
//             up to three passes ahead of the walker.
//   stream  - read master 1 streams two arrays of the blob into two ring
//             buffers of Ring bytes (runs of up to 1 KiB), each pass's
//             stream padded to a 64-byte word: X the values (ring A) and the
//             step indexes packed at step_bits (ring B); S the codes packed
//             at code_bits (A) and the kept blocks' column indexes (B). The
//             engine keeps no weights on chip: the stream is read again for
//             every pass, as the kernel does.
//   walker  - the indexing module.
//             X: 64 lanes, one segment a cycle (the part of one row inside
//             one 64-entry word); the lanes add their steps (each lane's
//             column), read each of the pass's neuron buffers there and
//             multiply value x (input - in_zp): 64 x SPARSE_VECTORS
//             multipliers; the row's sums close at its last segment.
//             S: one kept block of a row group a cycle: its codes (packed
//             at code_bits) decoded through the codebook once, the bc inputs
//             its column index names read from each vector's buffer, and
//             the group's block_rows PEs multiply (a zero input adds
//             nothing); a group's sums close at its last block (an empty
//             group costs its cycle). Written as 8 x 16 x 16 multiply
//             sites of which pv x br x bc <= 512 are in use; a built engine
//             routes 512 multipliers to the block shape (not done).
//   output  - closed rows queue (up to 32, each with the pass's sums), are
//             requantized a row a cycle (a unit a vector: bias, the CNN
//             mode's MultiplyByQuantizedMultiplier, clamp) into one of two
//             output buffers; a full buffer (the pass's nv x oc outputs,
//             contiguous in memory) goes out through write master 2 in runs
//             that end at 64-byte boundaries while the next pass fills the
//             other.
`include "sparse_layer_regs.svh"
`include "chm_axi_bind.svh"

module chm_sparse #(
  parameter int unsigned MaxK = 16384,  // longest input vector (SPARSE_MAX_K)
  parameter int unsigned MaxM = 4096,   // most rows (SPARSE_MAX_M)
  parameter int unsigned GatherDepth = 64, // gather runs in flight
  parameter int unsigned MaxBlock = 16, // largest S block side (SPARSE_MAX_BLOCK); less only to
                                        // elaborate a small engine (rtl_yosys)
  parameter int unsigned VecCap = 0,    // 0: SPARSE_VECTORS a pass; less only for rtl_yosys
  parameter int unsigned Ring = 8192    // bytes of each stream ring: S's code ring carries almost
                                        // all of a bank's beat a cycle, and must hold the read
                                        // latency's worth of it (64 x 64 bytes) and more
) (
  `include "chm_cnn_ports.svh"
);
  `include "sparse_consts.svh"  // SPARSE_VECTORS (hls/sparse/sparse_kernels.h)
  localparam int unsigned W = SPARSE_LAYER_WORDS;
  localparam int unsigned V = VecCap == 0 ? SPARSE_VECTORS : VecCap;  // vectors a pass (X)
  localparam int unsigned MB = MaxBlock;
  localparam int unsigned Sets = 4;  // sets of neuron buffers: a pass walked, the next three gathered
  localparam int unsigned Slots = Sets * V;
  localparam int unsigned SB = $clog2(Slots);
  localparam int unsigned VB = $clog2(V);
  localparam int unsigned GK = $clog2(MaxK);
  localparam int unsigned PtrBytes = 4 * (MaxM + 1);
  localparam int unsigned WSpan = PtrBytes > Ring + 1024 ? PtrBytes : Ring + 1024;
  localparam int unsigned WK = $clog2(WSpan);
  localparam int unsigned RB = $clog2(Ring);
  localparam logic [2:0] D_HDR = 3'd0, D_PTR = 3'd1, D_BIAS = 3'd2, D_MULT = 3'd3,
                         D_SHIFT = 3'd4, D_RA = 3'd5, D_RB = 3'd6, D_BOOK = 3'd7;

  // ---------------------------------------------------------------- control
  `include "chm_cnn_ctrl.svh"

  logic [63:0] p_in, p_blob, p_bias, p_mult, p_shift, p_out;
  logic [31:0] n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, pt, pl, dh, dw;
  logic signed [31:0] in_zp, out_zp, act_min, act_max;
  logic        has_bias, per_tensor;

  // header fields
  logic [7:0]  hdr [64];
  logic [31:0] h_format, h_rows, h_cols, h_br, h_bc, h_entries, h_off_ptr, h_off_a, h_off_b, h_off_c;
  logic [31:0] h_sbits, h_cbits;  // X step and S code widths: the packed fields' bits
  function automatic logic [31:0] hdr32(input int unsigned b);
    hdr32 = {hdr[b + 3], hdr[b + 2], hdr[b + 1], hdr[b]};
  endfunction
  assign h_format = hdr32(4);
  assign h_rows = hdr32(8);
  assign h_cols = hdr32(12);
  assign h_sbits = hdr32(16);
  assign h_br = hdr32(20);
  assign h_bc = hdr32(24);
  assign h_cbits = hdr32(28);
  assign h_off_c = hdr32(52);
  assign h_entries = hdr32(32);
  assign h_off_ptr = hdr32(40);
  assign h_off_a = hdr32(44);
  assign h_off_b = hdr32(48);

  // S: vectors a pass, as many as a block's multipliers fit in 512, at most V
  // (sparse_pass_vectors; blocks are at most 16 x 16, so at least two)
  function automatic logic [31:0] s_vectors(input logic [31:0] bb_i);
    logic [31:0] fit;
    fit = bb_i <= 32'd64 ? 32'd8 : bb_i <= 32'd73 ? 32'd7 : bb_i <= 32'd85 ? 32'd6 :
          bb_i <= 32'd102 ? 32'd5 : bb_i <= 32'd128 ? 32'd4 : bb_i <= 32'd170 ? 32'd3 : 32'd2;
    s_vectors = fit < 32'(V) ? fit : 32'(V);
  endfunction

  // bytes of n fields of bits bits packed back to back (hls_field_bytes)
  function automatic logic [63:0] packed_bytes(input logic [63:0] nf, input logic [31:0] bits);
    packed_bytes = (nf * 64'(bits) + 64'd7) >> 3;
  endfunction
  assign fmask = 8'((16'd1 << fbits) - 16'd1);

  typedef enum logic [2:0] { C_IDLE, C_HDR, C_HDRW, C_PRE, C_PREW, C_RUN, C_DONE } ctrl_e;
  ctrl_e ctrl_q;
  logic [63:0] vectors, tap_bytes;       // vectors; bytes of a window
  logic [31:0] pv;                       // vectors a pass: X V, S 1
  logic [31:0] row_bytes;                // bytes of a window row: kw x ic
  logic        is_s;                     // Cambricon-S weights
  logic [31:0] a_off, a_len, b_off, b_len;  // the streamed arrays (offset in the blob, bytes)
  logic [63:0] e64a, e64b;               // a vector's stream in each ring (padded)
  logic [31:0] n_groups, bb;             // S: row groups; codes in a block
  logic [3:0]  fbits;                    // bits of a packed field: X steps, S codes
  logic [7:0]  fmask;
  logic [31:0] n_params;
  logic [63:0] land_hdr, land_pre, pre_total;
  logic [2:0]  pre_arr;                  // array being preloaded: ptr, bias, mult, shift, book
  logic [31:0] pre_off;
  logic        w_all, f_empty, wr_busy, out_pending;

  assign ap_idle = ctrl_q == C_IDLE;
  assign ap_ready = ctrl_q == C_IDLE && ap_start;
  assign n_params = per_tensor ? 32'd1 : oc;

  // the preload arrays: address and bytes
  logic [63:0] pre_addr_base;
  logic [31:0] pre_bytes;
  logic [2:0]  pre_dest;
  always_comb begin
    case (pre_arr)
      3'd0: begin
        pre_addr_base = p_blob + 64'(h_off_ptr);
        pre_bytes = 4 * ((is_s ? n_groups : h_rows) + 1); pre_dest = D_PTR;
      end
      3'd1: begin pre_addr_base = p_bias; pre_bytes = has_bias ? 4 * oc : 32'd0; pre_dest = D_BIAS; end
      3'd2: begin pre_addr_base = p_mult; pre_bytes = 4 * n_params; pre_dest = D_MULT; end
      3'd3: begin pre_addr_base = p_shift; pre_bytes = 4 * n_params; pre_dest = D_SHIFT; end
      default: begin pre_addr_base = p_blob + 64'(h_off_c); pre_bytes = is_s ? 32'd256 : 32'd0; pre_dest = D_BOOK; end
    endcase
  end

  // read master 1 requests: header and preload in their phases, the entry stream in C_RUN
  logic        w_req_valid, w_req_ready, w_req_pad;
  logic [2:0]  w_req_dest;
  logic [WK-1:0] w_req_k;
  logic [WK:0] w_req_len;
  logic [63:0] w_req_addr;
  logic        s_req_valid, s_req_pad;
  logic [2:0]  s_req_dest;
  logic [WK-1:0] s_req_k;
  logic [WK:0] s_req_len;
  logic [63:0] s_req_addr;
  logic [31:0] pre_len;
  assign pre_len = pre_bytes - pre_off < 32'd1024 ? pre_bytes - pre_off : 32'd1024;

  always_comb begin
    w_req_valid = 1'b0; w_req_pad = 1'b0; w_req_dest = D_HDR; w_req_k = '0; w_req_len = '0;
    w_req_addr = p_blob;
    case (ctrl_q)
      C_HDR: begin w_req_valid = 1'b1; w_req_len = (WK+1)'(64); end
      C_PRE: begin
        w_req_valid = pre_off < pre_bytes;
        w_req_dest = pre_dest; w_req_k = WK'(pre_off); w_req_len = (WK+1)'(pre_len);
        w_req_addr = pre_addr_base + 64'(pre_off);
      end
      C_RUN: begin
        w_req_valid = s_req_valid; w_req_pad = s_req_pad; w_req_dest = s_req_dest;
        w_req_k = s_req_k; w_req_len = s_req_len; w_req_addr = s_req_addr;
      end
      default: ;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ctrl_q <= C_IDLE; ap_done <= 1'b0; p_in <= '0; p_blob <= '0; p_bias <= '0; p_mult <= '0;
      p_shift <= '0; p_out <= '0; n <= '0; ih <= '0; iw <= '0; ic <= '0; oh <= '0; ow <= '0;
      oc <= '0; kh <= '0; kw <= '0; sh <= '0; sw <= '0; pt <= '0; pl <= '0; dh <= '0; dw <= '0;
      in_zp <= '0; out_zp <= '0; act_min <= '0; act_max <= '0; has_bias <= 1'b0;
      per_tensor <= 1'b0; vectors <= '0; tap_bytes <= '0; pre_arr <= '0; is_s <= 1'b0;
      pv <= 32'd1; row_bytes <= '0;
      a_off <= '0; a_len <= '0; b_off <= '0; b_len <= '0; e64a <= '0; e64b <= '0;
      n_groups <= '0; bb <= '0; fbits <= 4'd8;
      pre_off <= '0; pre_total <= '0;
    end else begin
      ap_done <= 1'b0;
      case (ctrl_q)
        C_IDLE: if (ap_start) begin
          p_in <= arg64(SPARSE_LAYER_IN_WORD); p_blob <= arg64(SPARSE_LAYER_WBLOB_WORD);
          p_bias <= arg64(SPARSE_LAYER_BIAS_WORD); p_mult <= arg64(SPARSE_LAYER_MULT_WORD);
          p_shift <= arg64(SPARSE_LAYER_SHIFT_WORD); p_out <= arg64(SPARSE_LAYER_OUT_WORD);
          n <= arg32(SPARSE_LAYER_N_WORD); ih <= arg32(SPARSE_LAYER_IH_WORD);
          iw <= arg32(SPARSE_LAYER_IW_WORD); ic <= arg32(SPARSE_LAYER_IC_WORD);
          oh <= arg32(SPARSE_LAYER_OH_WORD); ow <= arg32(SPARSE_LAYER_OW_WORD);
          oc <= arg32(SPARSE_LAYER_OC_WORD); kh <= arg32(SPARSE_LAYER_KH_WORD);
          kw <= arg32(SPARSE_LAYER_KW_WORD); sh <= arg32(SPARSE_LAYER_STRIDE_H_WORD);
          sw <= arg32(SPARSE_LAYER_STRIDE_W_WORD); pt <= arg32(SPARSE_LAYER_PAD_T_WORD);
          pl <= arg32(SPARSE_LAYER_PAD_L_WORD); dh <= arg32(SPARSE_LAYER_DIL_H_WORD);
          dw <= arg32(SPARSE_LAYER_DIL_W_WORD); in_zp <= arg32(SPARSE_LAYER_IN_ZP_WORD);
          out_zp <= arg32(SPARSE_LAYER_OUT_ZP_WORD); act_min <= arg32(SPARSE_LAYER_ACT_MIN_WORD);
          act_max <= arg32(SPARSE_LAYER_ACT_MAX_WORD);
          has_bias <= arg32(SPARSE_LAYER_HAS_BIAS_WORD) != 0;
          per_tensor <= arg32(SPARSE_LAYER_PER_TENSOR_WORD) != 0;
          ctrl_q <= C_HDR;
        end
        C_HDR: if (w_req_ready) ctrl_q <= C_HDRW;
        C_HDRW: if (land_hdr == 64) begin
          vectors <= 64'(n) * 64'(oh) * 64'(ow);
          tap_bytes <= 64'(kh) * 64'(kw) * 64'(ic);
          row_bytes <= kw * ic;
          is_s <= h_format == 32'd2;
          n_groups <= h_br != 0 ? (h_rows + h_br - 1) / h_br : 32'd0;
          bb <= h_br * h_bc;
          // as many blocks a cycle as fit the 256 multipliers, at most four
          // S: as many vectors a pass as its block's multipliers fit 512 (sparse_pass_vectors)
          pv <= h_format != 32'd2 ? 32'(V) : s_vectors(h_br * h_bc);
          if (h_format == 32'd2) begin  // ring A: packed codes; ring B: column-block indexes (u16)
            a_off <= h_off_b; a_len <= 32'(packed_bytes(64'(h_entries * h_br * h_bc), h_cbits));
            b_off <= h_off_a; b_len <= 2 * h_entries;
            e64a <= (packed_bytes(64'(h_entries * h_br * h_bc), h_cbits) + 64'd63) & ~64'd63;
            e64b <= (64'(2 * h_entries) + 64'd63) & ~64'd63;
            fbits <= h_cbits[3:0];
          end else begin                // ring A: values; ring B: packed steps
            a_off <= h_off_a; a_len <= h_entries;
            b_off <= h_off_b; b_len <= 32'(packed_bytes(64'(h_entries), h_sbits));
            e64a <= (64'(h_entries) + 64'd63) & ~64'd63;
            e64b <= (packed_bytes(64'(h_entries), h_sbits) + 64'd63) & ~64'd63;
            fbits <= h_sbits[3:0];
          end
          pre_arr <= '0; pre_off <= '0; pre_total <= '0;
          // another format, or a layer past the on-chip sizes: nothing to do (the host refuses both)
          ctrl_q <= ((h_format == 32'd1 && h_sbits >= 1 && h_sbits <= 8) ||
                     (h_format == 32'd2 && h_br >= 1 && h_br <= MB && h_bc >= 1 && h_bc <= MB &&
                      h_cbits >= 1 && h_cbits <= 8)) &&
                    h_rows <= MaxM && 64'(kh) * 64'(kw) * 64'(ic) <= 64'(MaxK) ? C_PRE : C_DONE;
        end
        C_PRE: begin
          if (pre_off >= pre_bytes) begin
            pre_off <= '0;
            pre_total <= pre_total + 64'(pre_bytes);
            if (pre_arr == 3'd4) ctrl_q <= C_PREW;
            else pre_arr <= pre_arr + 3'd1;
          end else if (w_req_ready) begin
            pre_off <= pre_off + pre_len;
          end
        end
        C_PREW: if (land_pre == pre_total) ctrl_q <= vectors == 0 ? C_DONE : C_RUN;
        C_RUN: if (w_all && f_empty && !out_pending && !wr_busy) ctrl_q <= C_DONE;
        C_DONE: begin
          ap_done <= 1'b1;
          ctrl_q <= C_IDLE;
        end
        default: ctrl_q <= C_IDLE;
      endcase
    end
  end
  logic go;  // the pipelines start with the run
  assign go = ctrl_q == C_PREW && land_pre == pre_total;

  // ------------------------------------------------- read master 1: weights
  logic          wf_valid, wf_set;
  logic [2:0]    wf_dest;
  logic [63:0]   wf_en;
  logic [64*(WK-6)-1:0] wf_word;
  logic [511:0]  wf_data;
  logic          wf_busy;
  chm_run_fetch #(.DestBits(3), .KBits(WK), .Depth(16)) u_wfetch (
    .clk_i, .rst_ni,
    .req_valid_i(w_req_valid), .req_ready_o(w_req_ready), .dest_i(w_req_dest), .set_i(1'b0),
    .k_i(w_req_k), .len_i(w_req_len), .addr_i(w_req_addr), .pad_i(w_req_pad), .pad_val_i(8'd0),
    .busy_o(wf_busy),
    `CHM_BIND_M1,
    .wr_valid_o(wf_valid), .wr_set_o(wf_set), .wr_dest_o(wf_dest), .wr_en_o(wf_en),
    .wr_word_o(wf_word), .wr_data_o(wf_data)
  );

  logic [7:0] ptr_m [PtrBytes];
  logic [7:0] bias_m [4*MaxM];
  logic [7:0] mult_m [4*MaxM];
  logic [7:0] shift_m [4*MaxM];
  logic [7:0] ring_a [Ring];
  logic [7:0] ring_b [Ring];
  logic [7:0] book [256];
  logic [6:0] wf_cnt;
  logic [63:0] land_a, land_b;

  always_comb begin
    wf_cnt = '0;
    for (int l = 0; l < 64; l++) wf_cnt = wf_cnt + 7'(wf_en[l]);
  end

  always_ff @(posedge clk_i) begin
    if (wf_valid) begin
      for (int l = 0; l < 64; l++) begin
        if (wf_en[l]) begin
          logic [WK-1:0] k;
          k = {wf_word[l*(WK-6) +: (WK-6)], 6'(l)};
          case (wf_dest)
            D_HDR: hdr[k[5:0]] <= wf_data[l*8 +: 8];
            D_PTR: if (32'(k) < PtrBytes) ptr_m[k] <= wf_data[l*8 +: 8];
            D_BIAS: if (32'(k) < 4 * MaxM) bias_m[k[$clog2(4*MaxM)-1:0]] <= wf_data[l*8 +: 8];
            D_MULT: if (32'(k) < 4 * MaxM) mult_m[k[$clog2(4*MaxM)-1:0]] <= wf_data[l*8 +: 8];
            D_SHIFT: if (32'(k) < 4 * MaxM) shift_m[k[$clog2(4*MaxM)-1:0]] <= wf_data[l*8 +: 8];
            D_RA: ring_a[k[RB-1:0]] <= wf_data[l*8 +: 8];
            D_RB: ring_b[k[RB-1:0]] <= wf_data[l*8 +: 8];
            default: book[k[7:0]] <= wf_data[l*8 +: 8];
          endcase
        end
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      land_hdr <= '0; land_pre <= '0; land_a <= '0; land_b <= '0;
    end else if (ctrl_q == C_IDLE) begin
      land_hdr <= '0; land_pre <= '0; land_a <= '0; land_b <= '0;
    end else if (wf_valid) begin
      case (wf_dest)
        D_HDR: land_hdr <= land_hdr + 64'(wf_cnt);
        D_RA: land_a <= land_a + 64'(wf_cnt);
        D_RB: land_b <= land_b + 64'(wf_cnt);
        default: land_pre <= land_pre + 64'(wf_cnt);
      endcase
    end
  end

  // word i of a byte memory (little-endian u32 / i32 arrays)
  `define CHM_RD32(m, i) {m[4*(i) + 3], m[4*(i) + 2], m[4*(i) + 1], m[4*(i)]}

  // ---------------------------------------------- the entry stream's issuer
  // Two cursors (values, steps), each a pass at a time: runs that end at
  // 1 KiB boundaries of memory, then a pad run to the next 64-entry word.
  // A run waits until the ring has room: it may not pass the walker's word
  // by more than Ring bytes.
  logic [63:0] cons_a, cons_b;  // ring positions of the walker's current words
  logic [63:0] cv_m, cs_m, cv_g, cs_g;  // cv_m, cs_m: the first vector of each cursor's pass
  logic [31:0] cv_e, cs_e;
  logic        turn_q;           // 0: values first
  logic        cv_ok, cs_ok, cv_pad, cs_pad, pick_s;
  logic [31:0] cv_len, cs_len;
  logic [63:0] cv_addr, cs_addr;

  function automatic logic [31:0] run_len(input logic [63:0] a, input logic [31:0] left);
    logic [31:0] to_kib;
    logic unused_hi;
    unused_hi = ^a[63:10];
    to_kib = 32'd1024 - 32'(a[9:0]);
    run_len = left < to_kib ? left : to_kib;
  endfunction

  always_comb begin
    cv_addr = p_blob + 64'(a_off) + 64'(cv_e);
    cs_addr = p_blob + 64'(b_off) + 64'(cs_e);
    cv_pad = cv_e >= a_len;
    cs_pad = cs_e >= b_len;
    cv_len = cv_pad ? 32'd64 - 32'(cv_g[5:0]) : run_len(cv_addr, a_len - cv_e);
    cs_len = cs_pad ? 32'd64 - 32'(cs_g[5:0]) : run_len(cs_addr, b_len - cs_e);
    // a cursor has a run when its vector is not past the last, and the ring has room
    cv_ok = cv_m < vectors && !(cv_pad && cv_g[5:0] == 6'd0) && cv_g + 64'(cv_len) <= cons_a + 64'(Ring);
    cs_ok = cs_m < vectors && !(cs_pad && cs_g[5:0] == 6'd0) && cs_g + 64'(cs_len) <= cons_b + 64'(Ring);
    pick_s = cs_ok && (!cv_ok || turn_q);
    s_req_valid = cv_ok || cs_ok;
    s_req_pad = pick_s ? cs_pad : cv_pad;
    s_req_dest = pick_s ? D_RB : D_RA;
    s_req_k = pick_s ? WK'(cs_g[RB-1:0]) : WK'(cv_g[RB-1:0]);
    s_req_len = (WK+1)'(pick_s ? cs_len : cv_len);
    s_req_addr = pick_s ? cs_addr : cv_addr;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cv_m <= '0; cs_m <= '0; cv_g <= '0; cs_g <= '0; cv_e <= '0; cs_e <= '0; turn_q <= 1'b0;
    end else if (go) begin
      cv_m <= '0; cs_m <= '0; cv_g <= '0; cs_g <= '0; cv_e <= '0; cs_e <= '0; turn_q <= 1'b0;
    end else if (ctrl_q == C_RUN) begin
      // a pass's cursor moves on when its stream (and pad) is done
      if (cv_m < vectors && cv_pad && cv_g[5:0] == 6'd0) begin cv_m <= cv_m + 64'(pv); cv_e <= '0; end
      if (cs_m < vectors && cs_pad && cs_g[5:0] == 6'd0) begin cs_m <= cs_m + 64'(pv); cs_e <= '0; end
      if (s_req_valid && w_req_ready) begin
        turn_q <= !pick_s;
        if (pick_s) begin
          cs_g <= cs_g + 64'(cs_len);
          if (!cs_pad) cs_e <= cs_e + cs_len;
          else cs_e <= b_len;
        end else begin
          cv_g <= cv_g + 64'(cv_len);
          if (!cv_pad) cv_e <= cv_e + cv_len;
          else cv_e <= a_len;
        end
      end
    end
  end

  // ------------------------------------------------- read master 0: gather
  // A window row at a time: g_rb is the byte of the row (kw x ic bytes) the
  // next run starts at. With dil_w 1 the row is three regions, taps left of
  // the image (pad), inside it (one read: contiguous in memory), right of
  // it (pad); with another dilation each tap is its own region (g_tx), and a
  // row above or below the image is one pad region. Runs stop at a region's
  // end and at 1 KiB.
  logic [63:0] gm;               // vector being gathered
  logic [63:0] g_pass;           // its pass
  logic [31:0] g_v;              // its place in the pass
  logic [31:0] g_b, g_oy, g_ox, g_ty, g_tx, g_rb, g_k;
  logic [63:0] g_img, land_g;
  logic signed [31:0] g_iy, g_ix0, g_ixt, g_lo, g_hi;
  logic        g_row_in, g_read, g_ok, g_ready, g_row_end, g_last_run;
  logic [31:0] g_len, g_end, g_off;
  logic [63:0] g_addr;
  logic        gf_valid, gf_set, gf_busy;
  logic [SB-1:0] gf_dest;
  logic [63:0] gf_en;
  logic [64*(GK-6)-1:0] gf_word;
  logic [511:0] gf_data;
  logic [6:0]  gf_cnt;
  logic [63:0] w_pass;           // pass being walked

  always_comb begin
    logic signed [63:0] pix;
    g_iy = $signed(g_oy * sh) - $signed(pt) + $signed(g_ty * dh);
    g_ix0 = $signed(g_ox * sw) - $signed(pl);
    g_ixt = g_ix0 + $signed(g_tx * dw);
    g_row_in = g_iy >= 0 && g_iy < $signed(ih);
    // dil_w 1: taps [g_lo, g_hi) of the row are inside the image
    g_lo = g_ix0 >= 0 ? 32'sd0 : -g_ix0 < $signed(kw) ? -g_ix0 : $signed(kw);
    g_hi = $signed(iw) - g_ix0 < $signed(kw) ? $signed(iw) - g_ix0 : $signed(kw);
    if (g_hi < g_lo) g_hi = g_lo;
    if (!g_row_in) begin
      g_end = row_bytes; g_read = 1'b0;
    end else if (dw == 32'd1) begin
      if (g_rb < 32'(g_lo) * ic) begin g_end = 32'(g_lo) * ic; g_read = 1'b0; end
      else if (g_rb < 32'(g_hi) * ic) begin g_end = 32'(g_hi) * ic; g_read = 1'b1; end
      else begin g_end = row_bytes; g_read = 1'b0; end
    end else begin
      g_end = (g_tx + 1) * ic;
      g_read = g_ixt >= 0 && g_ixt < $signed(iw);
    end
    g_len = g_end - g_rb < 32'd1024 ? g_end - g_rb : 32'd1024;
    pix = 64'(g_iy) * 64'(iw) + 64'(g_ixt);
    g_off = g_rb - g_tx * ic;
    g_addr = g_img + 64'(pix) * 64'(ic) + 64'(g_off);
    // a set of neuron buffers is free once the walker is past its pass
    g_ok = ctrl_q == C_RUN && gm < vectors && g_pass <= w_pass + 64'(Sets) - 64'd1;
    g_row_end = g_rb + g_len >= row_bytes;
    g_last_run = g_row_end && g_ty + 1 >= kh;
    gf_cnt = '0;
    for (int l = 0; l < 64; l++) gf_cnt = gf_cnt + 7'(gf_en[l]);
  end

  chm_run_fetch #(.DestBits(SB), .KBits(GK), .Depth(GatherDepth)) u_gfetch (
    .clk_i, .rst_ni,
    .req_valid_i(g_ok), .req_ready_o(g_ready), .dest_i(SB'({g_pass[1:0], g_v[VB-1:0]})),
    .set_i(1'b0), .k_i(GK'(g_k)), .len_i((GK+1)'(g_len)), .addr_i(g_addr),
    .pad_i(!g_read), .pad_val_i(in_zp[7:0]), .busy_o(gf_busy),
    `CHM_BIND_M0,
    .wr_valid_o(gf_valid), .wr_set_o(gf_set), .wr_dest_o(gf_dest), .wr_en_o(gf_en),
    .wr_word_o(gf_word), .wr_data_o(gf_data)
  );

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      gm <= '0; g_pass <= '0; g_v <= '0; g_b <= '0; g_oy <= '0; g_ox <= '0; g_ty <= '0;
      g_tx <= '0; g_rb <= '0; g_k <= '0; g_img <= '0;
    end else if (go) begin
      gm <= '0; g_pass <= '0; g_v <= '0; g_b <= '0; g_oy <= '0; g_ox <= '0; g_ty <= '0;
      g_tx <= '0; g_rb <= '0; g_k <= '0; g_img <= p_in;
    end else if (g_ok && g_ready) begin
      if (!g_last_run) begin
        g_k <= g_k + g_len;
        if (g_row_end) begin
          g_rb <= '0; g_tx <= '0; g_ty <= g_ty + 1;
        end else begin
          g_rb <= g_rb + g_len;
          if (dw != 32'd1 && g_rb + g_len >= (g_tx + 1) * ic) g_tx <= g_tx + 1;
        end
      end else begin
        g_k <= '0; g_rb <= '0; g_tx <= '0; g_ty <= '0;
        gm <= gm + 1;
        if (g_v + 1 >= pv) begin g_v <= '0; g_pass <= g_pass + 1; end
        else g_v <= g_v + 1;
        if (g_ox + 1 < ow) g_ox <= g_ox + 1;
        else begin
          g_ox <= '0;
          if (g_oy + 1 < oh) g_oy <= g_oy + 1;
          else begin
            g_oy <= '0; g_b <= g_b + 1;
            g_img <= g_img + 64'(ih) * 64'(iw) * 64'(ic);
          end
        end
      end
    end
  end

  logic [7:0] vec [Slots][MaxK];
  always_ff @(posedge clk_i) begin
    if (gf_valid)
      for (int l = 0; l < 64; l++)
        if (gf_en[l]) vec[gf_dest][{gf_word[l*(GK-6) +: (GK-6)], 6'(l)}] <= gf_data[l*8 +: 8];
  end
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) land_g <= '0;
    else if (go) land_g <= '0;
    else if (gf_valid) land_g <= land_g + 64'(gf_cnt);
  end

  // ----------------------------------------------------------------- walker
  // Rows leave the walker through a queue of FD (row, sums) entries, a sum a
  // vector of the pass: X closes at most one row a cycle, S a row group (up
  // to 16 rows) at once.
  localparam int unsigned FD = 32;
  logic [5:0]  f_head, f_tail, f_used;
  logic signed [31:0] f_acc [FD][V];
  logic [31:0] f_row [FD];
  logic [4:0]  push_n;           // rows pushed this cycle
  logic [31:0] push_r;           // the first of them
  logic signed [31:0] push_acc [MB][V];
  assign f_used = f_tail - f_head;
  assign f_empty = f_used == 0;

  logic [31:0] w_r, w_e;         // X: row, entry; S: row group (w_r), kept block (w_e)
  logic signed [31:0] w_col;
  logic signed [31:0] w_sum [V];  // X: the row's partial sums, a vector each
  logic signed [31:0] s_sum [V][MB]; // S: the group's partial sums, a set a vector
  logic [63:0] ga, gb;           // ring positions of the vector's streams
  logic [31:0] ptr_next, ws, w_end;
  logic        w_have, w_closes, w_last, w_step;
  logic signed [31:0] w_tot [V];
  logic signed [31:0] w_new [V];
  logic signed [31:0] col_out;
  logic [63:0] w_m0;             // the pass's first vector
  logic [31:0] w_nv;             // its vectors
  logic [SB-1:0] w_slot;         // its first neuron buffer
  logic signed [31:0] s_new [V][MB];
  logic [63:0] need_a, need_b;
  logic        s_empty;
  logic [31:0] s_nb;             // S: blocks of the group taken this cycle (0 or 1)

  assign w_all = w_m0 >= vectors;
  assign w_nv = vectors - w_m0 < 64'(pv) ? 32'(vectors - w_m0) : pv;
  assign w_slot = SB'({w_pass[1:0], {VB{1'b0}}});

  always_comb begin
    logic signed [31:0] c;
    ptr_next = `CHM_RD32(ptr_m, w_r + 1);
    // X: the segment [w_e, w_end) of row w_r; S: block w_e of group w_r
    ws = w_e & ~32'd63;
    w_end = ptr_next < ws + 64 ? ptr_next : ws + 64;
    s_empty = w_e >= ptr_next;
    s_nb = s_empty ? 32'd0 : 32'd1;
    if (is_s) begin
      w_closes = s_empty || w_e + s_nb >= ptr_next;
      w_last = w_r + 1 >= n_groups;
      need_a = s_empty ? 64'd0 : ga + packed_bytes((64'(w_e) + 64'(s_nb)) * 64'(bb), 32'(fbits));
      need_b = s_empty ? 64'd0 : gb + (64'(w_e) + 64'(s_nb)) * 64'd2;
      cons_a = ga + (((64'(w_e) * 64'(bb) * 64'(fbits)) >> 3) & ~64'd63);
      cons_b = gb + (64'(2 * w_e) & ~64'd63);
    end else begin
      w_closes = w_end >= ptr_next;
      w_last = w_r + 1 >= h_rows;
      need_a = w_end <= w_e ? 64'd0 : ga + 64'(w_end);
      need_b = w_end <= w_e ? 64'd0 : gb + packed_bytes(64'(w_end), 32'(fbits));
      cons_a = ga + 64'(ws);
      cons_b = gb + (((64'(ws) * 64'(fbits)) >> 3) & ~64'd63);
    end
    w_have = ctrl_q == C_RUN && !w_all && land_g >= (w_m0 + 64'(w_nv)) * tap_bytes &&
             land_a >= need_a && land_b >= need_b &&
             (!w_closes || 32'(f_used) + (is_s ? h_br : 32'd1) <= FD);
    // X: 64 lanes over the segment, each with a multiplier per vector of the pass
    c = w_col;
    for (int v = 0; v < V; v++) w_tot[v] = '0;
    for (int l = 0; l < 64; l++) begin
      logic [31:0] i;
      logic [RB-1:0] pos, spos;
      logic [63:0] sbit;
      logic [7:0] spair;
      logic signed [7:0] v;
      logic signed [8:0] x;
      i = ws + 32'(l);
      pos = RB'(ga + 64'(i));
      v = $signed(ring_a[pos]);
      // the lane's step, packed at fbits bits (it may straddle two bytes)
      sbit = 64'(i) * 64'(fbits);
      spos = RB'(gb + (sbit >> 3));
      spair = 8'({ring_b[RB'(spos + RB'(1))], ring_b[spos]} >> sbit[2:0]);
      x = '0;
      if (!is_s && i >= w_e && i < w_end) begin
        c = c + $signed({24'd0, spair & fmask});
        for (int u = 0; u < V; u++) begin
          x = $signed({vec[w_slot + SB'(u)][c[GK-1:0]][7], vec[w_slot + SB'(u)][c[GK-1:0]]}) -
              $signed(in_zp[8:0]);
          if (v != 0) w_tot[u] = w_tot[u] + 32'(x) * 32'(v);
        end
      end
    end
    col_out = c;
    for (int u = 0; u < V; u++) w_new[u] = w_sum[u] + w_tot[u];
  end

  always_comb begin
    logic [15:0] bcol;
    logic signed [8:0] xs [MB];
    logic signed [7:0] wd [MB][MB];
    logic [63:0] cbit;
    logic [7:0] cpair;
    // S: block w_e of the group: its codes decoded once through the codebook, its bc inputs
    // read from each vector's neuron buffer, and each PE's row multiplied with them
    bcol = {ring_b[RB'(gb + 64'(2 * w_e + 1))], ring_b[RB'(gb + 64'(2 * w_e))]};
    for (int i = 0; i < MB; i++)
      for (int j = 0; j < MB; j++) begin
        cbit = (64'(w_e) * 64'(bb) + 64'(i) * 64'(h_bc) + 64'(j)) * 64'(fbits);
        cpair = 8'({ring_a[RB'(ga + (cbit >> 3) + 64'd1)], ring_a[RB'(ga + (cbit >> 3))]} >> cbit[2:0]);
        wd[i][j] = i < h_br && j < h_bc ? $signed(book[cpair & fmask]) : 8'sd0;
      end
    for (int u = 0; u < V; u++) begin
      for (int j = 0; j < MB; j++) begin
        logic [31:0] cj;
        cj = 32'(bcol) * h_bc + 32'(j);
        xs[j] = '0;
        if (s_nb != 0 && 32'(u) < pv && j < h_bc && cj < h_cols)
          xs[j] = $signed({vec[w_slot + SB'(u)][cj[GK-1:0]][7], vec[w_slot + SB'(u)][cj[GK-1:0]]}) -
                  $signed(in_zp[8:0]);
      end
      for (int i = 0; i < MB; i++) begin
        s_new[u][i] = s_sum[u][i];
        for (int j = 0; j < MB; j++) s_new[u][i] = s_new[u][i] + 32'(xs[j]) * 32'(wd[i][j]);
      end
    end
  end

  // the rows closing this cycle
  always_comb begin
    push_r = is_s ? w_r * h_br : w_r;
    for (int i = 0; i < MB; i++)
      for (int u = 0; u < V; u++)
        push_acc[i][u] = is_s ? s_new[u][i] : w_new[u];
    push_n = !w_closes ? 5'd0 : is_s ? 5'(h_rows - push_r < h_br ? h_rows - push_r : h_br) : 5'd1;
  end
  assign w_step = w_have;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      w_m0 <= '0; w_pass <= '0; w_r <= '0; w_e <= '0; w_col <= -32'sd1; ga <= '0; gb <= '0;
      f_tail <= '0;
      for (int u = 0; u < V; u++) w_sum[u] <= '0;
      for (int u = 0; u < V; u++) for (int i = 0; i < MB; i++) s_sum[u][i] <= '0;
    end else if (go) begin
      w_m0 <= '0; w_pass <= '0; w_r <= '0; w_e <= `CHM_RD32(ptr_m, 0); w_col <= -32'sd1;
      ga <= '0; gb <= '0; f_tail <= '0;
      for (int u = 0; u < V; u++) w_sum[u] <= '0;
      for (int u = 0; u < V; u++) for (int i = 0; i < MB; i++) s_sum[u][i] <= '0;
    end else if (w_step) begin
      for (int i = 0; i < MB; i++)
        if (i < 32'(push_n)) begin
          for (int u = 0; u < V; u++) f_acc[5'(f_tail + 6'(i))][u] <= push_acc[i][u];
          f_row[5'(f_tail + 6'(i))] <= push_r + 32'(i);
        end
      f_tail <= f_tail + 6'(push_n);
      if (!w_closes) begin
        if (is_s) begin
          w_e <= w_e + s_nb;
          for (int u = 0; u < V; u++) for (int i = 0; i < MB; i++) s_sum[u][i] <= s_new[u][i];
        end else begin
          w_e <= w_end; w_col <= col_out;
          for (int u = 0; u < V; u++) w_sum[u] <= w_new[u];
        end
      end else begin
        w_col <= -32'sd1;
        for (int u = 0; u < V; u++) w_sum[u] <= '0;
        for (int u = 0; u < V; u++) for (int i = 0; i < MB; i++) s_sum[u][i] <= '0;
        if (w_last) begin
          w_m0 <= w_m0 + 64'(pv); w_pass <= w_pass + 1; w_r <= '0; w_e <= `CHM_RD32(ptr_m, 0); ga <= ga + e64a; gb <= gb + e64b;
        end else begin
          w_r <= w_r + 1;
          w_e <= is_s ? ptr_next : w_end;
        end
      end
    end
  end

  // ----------------------------------------------------------------- output
  // A row a cycle from the queue, its sums requantized side by side (a unit
  // a vector) into output buffer o_buf at v x oc + row; after the pass's last
  // row the buffer is full: its nv x oc bytes are contiguous in memory from
  // (m0 x oc), and go out 64-byte-aligned runs at a time while the other
  // buffer fills.
  logic [31:0] o_row, q_idx, o_cnt;
  logic        o_buf, o_step, wr_buf, wr_fire, wr_last;
  logic [1:0]  ob_full;
  logic [63:0] o_m0;
  logic [63:0] ob_m0 [2];
  logic [31:0] ob_nv [2];
  logic [7:0]  q_byte [V];
  logic [7:0]  obuf [2][V*MaxM];
  logic [31:0] wr_t, wr_end, wr_len;
  logic [63:0] wr_addr;
  localparam int unsigned OB = $clog2(V * MaxM);
  assign o_row = f_row[f_head[4:0]];
  assign q_idx = per_tensor ? 32'd0 : o_row;
  assign o_step = !f_empty && !ob_full[o_buf];

  for (genvar u = 0; u < V; u++) begin : g_rq
    // requantization of a row (TFLite's int8 output stage), vector u of the pass
    chm_requant u_rq (
      .acc_i(f_acc[f_head[4:0]][u]),
      .off_i(has_bias ? 34'($signed(`CHM_RD32(bias_m, o_row))) : 34'sd0),
      .mult_i($signed(`CHM_RD32(mult_m, q_idx))), .shift_i($signed(`CHM_RD32(shift_m, q_idx))),
      .out_zp_i(out_zp), .act_min_i(act_min), .act_max_i(act_max), .out_o(q_byte[u])
    );
  end

  always_ff @(posedge clk_i) begin
    if (o_step)
      for (int u = 0; u < V; u++)
        if (32'(u) < pv) obuf[o_buf][OB'(32'(u) * oc + o_row)] <= q_byte[u];
  end

  // the writer: a run from byte wr_t of a full buffer to the next 64-byte boundary
  logic [511:0] wq_data;
  logic [6:0]   wq_len;
  logic [63:0]  wq_addr;
  logic         wq_valid, wq_ready;
  assign wr_end = ob_nv[wr_buf] * oc;
  assign wr_addr = p_out + ob_m0[wr_buf] * 64'(oc) + 64'(wr_t);
  assign wr_len = wr_end - wr_t < 32'd64 - 32'(wr_addr[5:0]) ? wr_end - wr_t : 32'd64 - 32'(wr_addr[5:0]);
  assign wr_fire = ob_full[wr_buf] && (!wq_valid || wq_ready);
  assign wr_last = wr_t + wr_len >= wr_end;
  assign out_pending = wq_valid || ob_full != 2'b00;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      f_head <= '0; o_cnt <= '0; o_buf <= 1'b0; o_m0 <= '0; ob_full <= '0; wr_buf <= 1'b0;
      wr_t <= '0; wq_valid <= 1'b0; wq_data <= '0; wq_len <= '0; wq_addr <= '0;
      ob_m0[0] <= '0; ob_m0[1] <= '0; ob_nv[0] <= '0; ob_nv[1] <= '0;
    end else if (go) begin
      f_head <= '0; o_cnt <= '0; o_buf <= 1'b0; o_m0 <= '0; ob_full <= '0; wr_buf <= 1'b0;
      wr_t <= '0; wq_valid <= 1'b0;
    end else begin
      logic [1:0] full;
      full = ob_full;
      if (wq_valid && wq_ready) wq_valid <= 1'b0;
      if (wr_fire) begin
        wq_valid <= 1'b1;
        wq_addr <= wr_addr;
        wq_len <= 7'(wr_len);
        for (int l = 0; l < 64; l++)
          wq_data[l*8 +: 8] <= obuf[wr_buf][OB'(wr_t + 32'(l))];
        if (wr_last) begin
          wr_t <= '0; wr_buf <= !wr_buf; full[wr_buf] = 1'b0;
        end else begin
          wr_t <= wr_t + wr_len;
        end
      end
      if (o_step) begin
        f_head <= f_head + 6'd1;
        if (o_cnt + 1 >= h_rows) begin
          o_cnt <= '0; o_buf <= !o_buf; o_m0 <= o_m0 + 64'(pv);
          full[o_buf] = 1'b1;
          ob_m0[o_buf] <= o_m0;
          ob_nv[o_buf] <= vectors - o_m0 < 64'(pv) ? 32'(vectors - o_m0) : pv;
        end else begin
          o_cnt <= o_cnt + 1;
        end
      end
      ob_full <= full;
    end
  end

  chm_run_write u_write (
    .clk_i, .rst_ni, .req_valid_i(wq_valid), .req_ready_o(wq_ready), .addr_i(wq_addr),
    .len_i(wq_len), .data_i(wq_data), .busy_o(wr_busy),
    `CHM_BIND_M2
  );

  logic unused_ok;
  assign unused_ok = ^{in_zp[31:9], wf_set, gf_set, wf_busy, gf_busy, g_b, hdr32(0), land_hdr[63:7]};
endmodule
`undef CHM_RD32
