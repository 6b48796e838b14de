// chm_cnn_conv_fetch_b.svh - fetch B of chm_cnn_conv (a fragment of its body).
//
// Walks the slices as the compute does (chm_tile_walk). A slice whose
// weights are already in its buffer set (same group, channel tile and first
// tap: the tag) is not fetched; the parameters and column sums that travel
// with that set are then still the channel tile's, and only the pixel
// tile's place is updated.
// At a tile's first slice: its channels' bias, multiplier and shift (one
// word each per channel, or one for all with per_tensor), through the same
// read master before any weight run. Then one run a column: the slice of
// the channel's weights, K contiguous in OHWI. The output stage's offset
// off = bias - in_zp x (the column's weight sum), 64 bits, accumulates as
// the beats land (one shared product in_zp x the beat's sum a beat, the
// bias taken in with the column's first beat of the tile), so the output
// stages need no multiplier of their own for it. The offsets travel
// clamped to OffBits (34) bits, which changes no output (chm_requant); at
// the tile's last slice they and the parameters go with the buffer set to
// the compute, and on to the store.
typedef enum logic [2:0] {
  FB_IDLE, FB_WAITSET, FB_PAR_AR, FB_PAR_R, FB_COLS, FB_DRAIN, FB_NEXT
} fb_e;
fb_e fb_q;
logic [31:0] fb_g, fb_m0, fb_nt, fb_k0, fb_c;
logic        fb_last_slice, fb_last, fb_step, fb_hit;
logic        fb_set;
logic [1:0]  fb_tag_ok;
logic [31:0] fb_tag_g [2];
logic [31:0] fb_tag_nt [2];
logic [31:0] fb_tag_k0 [2];
logic [1:0]  fb_par;                 // 0 bias, 1 multiplier, 2 shift
logic [7:0]  fb_beat;
logic [31:0] fb_kt, fb_nc, fb_nr, fb_oc0;
logic [63:0] fb_par_addr;
logic [31:0] fb_par_bytes;
logic [7:0]  fb_par_beats;
logic [63:0] fb_par_base;            // the next beat's address
logic [7:0]  fb_par_n, fb_par_end;   // beats of the next burst (to the 4 KiB page's end); its end
logic signed [63:0] fb_off_q [Cols];         // bias - in_zp x the weights summed so far
logic signed [63:0] fb_off_d [Cols];
logic [Cols-1:0]    fb_fresh;                // columns whose first beat of the tile is to come
logic signed [13:0] fb_beat_sum;             // a weight beat's written bytes, summed
logic signed [45:0] fb_zp_prod;              // in_zp x fb_beat_sum (the one multiplier)
logic signed [63:0] fb_off_new;              // the beat's column's offset after the beat
logic signed [OffBits-1:0] fb_offc_q [Cols];  // the offsets clamped to OffBits
logic signed [OffBits-1:0] fb_offc_d [Cols];
logic signed [OffBits-1:0] fb_offc_new;     // fb_off_new clamped
// The tile's parameters, column c's word at [c*32 +: 32] (data: written
// before they are read, no reset).
logic [Cols*32-1:0] fb_bias, fb_mult, fb_shift;
logic [Cols*OffBits-1:0] fb_off_v;           // fb_offc_d, packed
logic [511:0] fb_par_rot;                    // the beat's words rotated: word j is parameter
logic [Cols-1:0] fb_par_en;                  //   16 x beat + j - first; columns the beat writes
// What travels with a set that ends a tile.
logic [Cols*OffBits-1:0] bs_off [2];
logic [Cols*32-1:0] bs_mult [2];
logic [Cols*32-1:0] bs_shift [2];
logic [31:0] bs_m0 [2];
logic [31:0] bs_oc0 [2];
logic [31:0] bs_nr [2];
logic [31:0] bs_nc [2];

logic        fb_req_valid, fb_req_ready, fb_busy;
logic        fb_wr_valid, fb_wr_set;
logic [CB-1:0] fb_wr_col;
logic [63:0] fb_wr_en;
logic [64*(KBits-6)-1:0] fb_wr_word;
logic [511:0] fb_wr_data;
logic [63:0] fr_araddr;
logic [7:0]  fr_arlen;
logic        fr_arvalid, fr_rready;

chm_tile_walk #(.Rows(Rows)) u_walk_b (
  .clk_i, .rst_ni, .start_i(go_q), .step_i(fb_step), .n_outer_i(n_outer), .groups_i(groups),
  .mm_i(mm), .col_tiles_i(col_tiles), .kk_i(kk), .ks_i(ks), .g_o(fb_g), .m0_o(fb_m0),
  .nt_o(fb_nt), .k0_o(fb_k0), .last_slice_o(fb_last_slice), .last_o(fb_last)
);
assign fb_step = fb_q == FB_NEXT;
assign fb_hit = reuse && fb_tag_ok[fb_set] && fb_tag_g[fb_set] == fb_g &&
                fb_tag_nt[fb_set] == fb_nt && fb_tag_k0[fb_set] == fb_k0;

always_comb begin
  fb_kt = kk - fb_k0 < ks ? kk - fb_k0 : ks;
  fb_nc = ocg - fb_nt * Cols < Cols ? ocg - fb_nt * Cols : Cols;
  fb_nr = mm - fb_m0 < Rows ? mm - fb_m0 : Rows;
  fb_oc0 = fb_g * ocg + fb_nt * Cols;
  fb_req_valid = fb_q == FB_COLS;
  case (fb_par)
    2'd0: fb_par_addr = p_bias + 64'(fb_oc0) * 4;
    2'd1: fb_par_addr = p_mult + (per_tensor ? 64'd0 : 64'(fb_oc0) * 4);
    default: fb_par_addr = p_shift + (per_tensor ? 64'd0 : 64'(fb_oc0) * 4);
  endcase
  fb_par_bytes = (fb_par != 0 && per_tensor) ? 32'd4 : fb_nc * 4;
  fb_par_beats = 8'((32'(fb_par_addr[5:0]) + fb_par_bytes + 63) >> 6);
  // a parameter array's read stops at a 4 KiB boundary (AXI4 lets no burst cross one)
  fb_par_base = {fb_par_addr[63:6], 6'd0} + {50'd0, fb_beat, 6'd0};
  fb_par_n = fb_par_beats - fb_beat < 8'd64 - {2'b00, fb_par_base[11:6]}
           ? fb_par_beats - fb_beat : 8'd64 - {2'b00, fb_par_base[11:6]};
  // The beat's sum once (its written bytes, at most 64 x 128 in magnitude:
  // 14 bits), times in_zp once, taken from the one column the beat belongs
  // to: one multiplier and one 64-bit subtractor for all columns. A
  // column's first beat of the tile starts from its bias (0 without).
  fb_beat_sum = '0;
  for (int l = 0; l < 64; l++)
    if (fb_wr_en[l]) fb_beat_sum = fb_beat_sum + 14'($signed(fb_wr_data[l*8 +: 8]));
  fb_zp_prod = fb_beat_sum * in_zp;
  fb_off_new = (fb_fresh[fb_wr_col]
                  ? (has_bias ? 64'($signed(fb_bias[32'(fb_wr_col)*32 +: 32])) : 64'sd0)
                  : fb_off_q[fb_wr_col]) - 64'(fb_zp_prod);
  for (int c = 0; c < $signed(Cols); c++) begin
    fb_off_d[c] = fb_wr_valid && fb_wr_col == c[CB-1:0] ? fb_off_new : fb_off_q[c];
    fb_offc_d[c] = fb_wr_valid && fb_wr_col == c[CB-1:0] ? fb_offc_new : fb_offc_q[c];
    fb_off_v[c*OffBits +: OffBits] = fb_offc_d[c];
  end
  // A parameter beat: the arrays are int32 (4-byte aligned), so with
  // q = address[5:2], column c's word is word (c + q) mod 16 of beat
  // (c + q) / 16. One rotation of the beat by q, then column c takes word
  // c mod 16 when the beat is its beat: a shared 16-word rotator and an
  // enable a column (not 16 candidate words for every column). A
  // per-tensor multiplier or shift (one word) goes to every column.
  for (int j = 0; j < 16; j++)
    fb_par_rot[j*32 +: 32] = m1_rdata_i[32'((j + 32'(fb_par_addr[5:2])) % 16) * 32 +: 32];
  for (int c = 0; c < $signed(Cols); c++) begin
    fb_par_en[c] = (fb_par != 2'd0 && per_tensor)
                 ? fb_beat == 8'd0
                 : (32'(c) + 32'(fb_par_addr[5:2])) >> 4 == 32'(fb_beat) && 32'(c) < fb_nc;
  end
end

chm_off34 u_off34 (.off_i(fb_off_new), .off_o(fb_offc_new));

chm_run_fetch #(.DestBits(CB), .KBits(KBits),
                .Depth(CNN_AXI_OUTSTANDING), .MaxBurst(CNN_AXI_MAX_BURST)) u_fetch_b (
  .clk_i, .rst_ni,
  .req_valid_i(fb_req_valid), .req_ready_o(fb_req_ready), .dest_i(fb_c[CB-1:0]), .set_i(fb_set),
  .k_i('0), .len_i(fb_kt[KBits:0]),
  .addr_i(p_wts + (64'(fb_oc0) + 64'(fb_c)) * 64'(kk) + 64'(fb_k0)), .pad_i(1'b0),
  .pad_val_i('0), .busy_o(fb_busy),
  .m_araddr_o(fr_araddr), .m_arlen_o(fr_arlen), .m_arvalid_o(fr_arvalid),
  .m_arready_i(m1_arready_i && fb_q != FB_PAR_AR), .m_rdata_i(m1_rdata_i), .m_rlast_i(m1_rlast_i),
  .m_rvalid_i(m1_rvalid_i && fb_q != FB_PAR_R), .m_rready_o(fr_rready),
  .wr_valid_o(fb_wr_valid), .wr_set_o(fb_wr_set), .wr_dest_o(fb_wr_col), .wr_en_o(fb_wr_en),
  .wr_word_o(fb_wr_word), .wr_data_o(fb_wr_data)
);

// The parameter reads borrow read master 1 while no weight run is queued.
assign m1_araddr_o = fb_q == FB_PAR_AR ? fb_par_base : fr_araddr;
assign m1_arlen_o = fb_q == FB_PAR_AR ? fb_par_n - 8'd1 : fr_arlen;
assign m1_arvalid_o = fb_q == FB_PAR_AR ? 1'b1 : (fb_q != FB_PAR_R && fr_arvalid);
assign m1_rready_o = fb_q == FB_PAR_R ? 1'b1 : fr_rready;

assign b_fill_done = (fb_q == FB_DRAIN && !fb_busy) || (fb_q == FB_WAITSET && !b_full_q[fb_set] && fb_hit);
assign b_fill_set = fb_set;

always_ff @(posedge clk_i or negedge rst_ni) begin
  if (!rst_ni) begin
    fb_q <= FB_IDLE; fb_c <= '0; fb_set <= 1'b0; fb_par <= '0; fb_beat <= '0; fb_tag_ok <= '0;
    fb_par_end <= '0;
    for (int i = 0; i < 2; i++) begin fb_tag_g[i] <= '0; fb_tag_nt[i] <= '0; fb_tag_k0[i] <= '0; end
    for (int c = 0; c < $signed(Cols); c++) begin fb_off_q[c] <= '0; fb_offc_q[c] <= '0; end
    fb_fresh <= '0;
    for (int s = 0; s < 2; s++) begin
      bs_m0[s] <= '0; bs_oc0[s] <= '0; bs_nr[s] <= '0; bs_nc[s] <= '0;
    end
  end else begin
    for (int c = 0; c < $signed(Cols); c++) begin
      fb_off_q[c] <= fb_off_d[c];
      fb_offc_q[c] <= fb_offc_d[c];
    end
    if (fb_wr_valid) fb_fresh[fb_wr_col] <= 1'b0;
    case (fb_q)
      FB_IDLE: if (go_q) begin
        fb_set <= 1'b0; fb_tag_ok <= '0;
        fb_q <= FB_WAITSET;
      end
      FB_WAITSET: if (!b_full_q[fb_set] && fb_hit) begin  // the set holds these weights
        if (fb_last_slice) begin
          bs_m0[fb_set] <= fb_m0;
          bs_nr[fb_set] <= fb_nr;
        end
        fb_set <= !fb_set;
        fb_q <= FB_NEXT;
      end else if (!b_full_q[fb_set]) begin
        fb_tag_ok[fb_set] <= 1'b1;
        fb_tag_g[fb_set] <= fb_g; fb_tag_nt[fb_set] <= fb_nt; fb_tag_k0[fb_set] <= fb_k0;
        fb_c <= '0;
        if (fb_k0 == 0) begin
          fb_fresh <= '1;
          fb_par <= has_bias ? 2'd0 : 2'd1;
          fb_beat <= '0;
          fb_q <= FB_PAR_AR;
        end else begin
          fb_q <= FB_COLS;
        end
      end
      FB_PAR_AR: if (m1_arready_i) begin
        fb_par_end <= fb_beat + fb_par_n;
        fb_q <= FB_PAR_R;
      end
      FB_PAR_R: if (m1_rvalid_i) begin
        if (fb_beat + 8'd1 == fb_par_beats) begin
          if (fb_par == 2'd2) begin
            fb_q <= FB_COLS;
          end else begin
            fb_par <= fb_par + 2'd1;
            fb_beat <= '0;
            fb_q <= FB_PAR_AR;
          end
        end else begin
          fb_beat <= fb_beat + 8'd1;
          if (fb_beat + 8'd1 == fb_par_end) fb_q <= FB_PAR_AR;  // the array's next page
        end
      end
      FB_COLS: if (fb_req_ready) begin
        if (fb_c + 1 < fb_nc) fb_c <= fb_c + 1;
        else fb_q <= FB_DRAIN;
      end
      FB_DRAIN: if (!fb_busy) begin
        if (fb_last_slice) begin
          bs_m0[fb_set] <= fb_m0;
          bs_oc0[fb_set] <= fb_oc0;
          bs_nr[fb_set] <= fb_nr;
          bs_nc[fb_set] <= fb_nc;
        end
        fb_set <= !fb_set;
        fb_q <= FB_NEXT;
      end
      FB_NEXT: fb_q <= fb_last ? FB_IDLE : FB_WAITSET;  // the walker steps now
      default: fb_q <= FB_IDLE;
    endcase
  end
end

// Parameter words (data, no reset): loaded a beat at a time, then handed
// to the set that ends the tile.
always_ff @(posedge clk_i) begin
  if (fb_q == FB_PAR_R && m1_rvalid_i)
    for (int c = 0; c < $signed(Cols); c++)
      if (fb_par_en[c]) begin
        logic [31:0] word;
        word = (fb_par != 2'd0 && per_tensor) ? fb_par_rot[31:0] : fb_par_rot[(c % 16)*32 +: 32];
        if (fb_par == 2'd0) fb_bias[c*32 +: 32] <= word;
        else if (fb_par == 2'd1) fb_mult[c*32 +: 32] <= word;
        else fb_shift[c*32 +: 32] <= word;
      end
  if (fb_q == FB_DRAIN && !fb_busy && fb_last_slice) begin
    bs_off[fb_set] <= fb_off_v;
    bs_mult[fb_set] <= fb_mult;
    bs_shift[fb_set] <= fb_shift;
  end
end
