// chm_cnn_conv_fetch_a.svh - fetch A of chm_cnn_conv (a fragment of its body).
//
// Walks the slices as the compute does (chm_tile_walk). A slice whose input
// rows are already in its buffer set (same group, pixel tile and first tap:
// the tag) is not fetched. Otherwise, per pixel tile it divides the first
// pixel index into (image, oy, ox); per slice past the first, the first tap
// into (ky, kx, ci); then each row of the tile asks for its runs: with one
// group and no dilation the kw taps of a window row are one contiguous run
// of kw * ic bytes in NHWC, cut where the window leaves the input (that
// part is a pad run of the zero point); otherwise one run a tap.
typedef enum logic [3:0] {
  FA_IDLE, FA_CHECK, FA_SKIP, FA_TDIV1, FA_TDIV2, FA_SDIV1, FA_SDIV2, FA_WAITSET, FA_RUN,
  FA_DRAIN, FA_NEXT
} fa_e;
fa_e fa_q;
logic [31:0] fa_g, fa_m0, fa_nt, fa_k0;
logic        fa_last_slice, fa_last, fa_step;
logic        fa_set;
logic        fa_hit;
logic [1:0]  fa_tag_ok;            // the set holds the rows its tag says
logic [31:0] fa_tag_g [2];
logic [31:0] fa_tag_m0 [2];
logic [31:0] fa_tag_k0 [2];
logic        fa_merge;             // a window row's taps are one run
logic signed [31:0] fa_ix0;        // input column of the window's first tap
logic [31:0] fa_kx_end;            // the run covers taps kx .. kx_end - 1 of the row
logic [31:0] fa_row_bytes;
logic [31:0] fa_b0, fa_oy0, fa_ox0, fa_ci0, fa_kx0, fa_ky0;
logic [31:0] fa_r, fa_b, fa_oy, fa_ox, fa_ci, fa_kx, fa_ky, fa_k;
logic [31:0] fa_kt, fa_nr;
logic        fa_dv_start, fa_dv_busy, fa_dv_done;
logic [31:0] fa_dv_num, fa_dv_den, fa_dv_quot, fa_dv_rem;
logic        fa_req_valid, fa_req_ready, fa_busy;
logic [31:0] fa_run;
logic signed [31:0] fa_iy, fa_ix;
logic        fa_inside;
logic [63:0] fa_addr;
logic        fa_wr_valid, fa_wr_set;
logic [RB-1:0] fa_wr_row;
logic [63:0] fa_wr_en;
logic [64*(KBits-6)-1:0] fa_wr_word;
logic [511:0] fa_wr_data;

chm_tile_walk #(.Rows(Rows)) u_walk_a (
  .clk_i, .rst_ni, .start_i(go_q), .step_i(fa_step), .n_outer_i(n_outer), .groups_i(groups),
  .mm_i(mm), .col_tiles_i(col_tiles), .kk_i(kk), .ks_i(ks), .g_o(fa_g), .m0_o(fa_m0),
  .nt_o(fa_nt), .k0_o(fa_k0), .last_slice_o(fa_last_slice), .last_o(fa_last)
);
assign fa_step = fa_q == FA_NEXT;
assign fa_hit = reuse && fa_tag_ok[fa_set] && fa_tag_g[fa_set] == fa_g &&
                fa_tag_m0[fa_set] == fa_m0 && fa_tag_k0[fa_set] == fa_k0;

chm_divider u_div_a (.clk_i, .rst_ni, .start_i(fa_dv_start), .num_i(fa_dv_num),
                     .den_i(fa_dv_den), .busy_o(fa_dv_busy), .done_o(fa_dv_done),
                     .quot_o(fa_dv_quot), .rem_o(fa_dv_rem));

always_comb begin
  fa_dv_start = 1'b0;
  fa_dv_num = '0;
  fa_dv_den = 32'd1;
  case (fa_q)
    FA_TDIV1: begin fa_dv_num = fa_m0; fa_dv_den = plane; fa_dv_start = !fa_dv_busy && !fa_dv_done; end
    FA_TDIV2: begin fa_dv_num = fa_dv_rem; fa_dv_den = ow; fa_dv_start = !fa_dv_busy && !fa_dv_done; end
    FA_SDIV1: begin fa_dv_num = fa_k0; fa_dv_den = icg; fa_dv_start = !fa_dv_busy && !fa_dv_done; end
    FA_SDIV2: begin fa_dv_num = fa_dv_quot; fa_dv_den = kw; fa_dv_start = !fa_dv_busy && !fa_dv_done; end
    default: ;
  endcase
end

always_comb begin
  fa_kt = kk - fa_k0 < ks ? kk - fa_k0 : ks;
  fa_nr = mm - fa_m0 < Rows ? mm - fa_m0 : Rows;
  fa_iy = $signed(fa_oy * sh) - $signed(pt) + $signed(fa_ky * dh);
  fa_ix0 = $signed(fa_ox * sw) - $signed(pl);
  fa_ix = fa_ix0 + $signed(fa_kx * dw);
  fa_inside = fa_iy >= 0 && fa_iy < $signed(ih) && fa_ix >= 0 && fa_ix < $signed(iw);
  fa_merge = groups == 1 && dw == 1;
  // Where this run's taps stop being all inside or all padding.
  if (!fa_merge) fa_kx_end = fa_kx + 1;
  else if (fa_iy < 0 || fa_iy >= $signed(ih) || fa_ix >= $signed(iw)) fa_kx_end = kw;
  else if (fa_ix < 0) fa_kx_end = -fa_ix0 < $signed(kw) ? 32'(-fa_ix0) : kw;  // first inside tap
  else fa_kx_end = $signed(iw) - fa_ix0 < $signed(kw) ? 32'($signed(iw) - fa_ix0) : kw;
  fa_row_bytes = (fa_kx_end - fa_kx) * icg - fa_ci;
  fa_run = fa_row_bytes < fa_kt - fa_k ? fa_row_bytes : fa_kt - fa_k;
  fa_addr = p_in + ((64'(fa_b) * 64'(ih) + 64'(fa_iy)) * 64'(iw) + 64'(fa_ix)) * 64'(ic) +
            64'(fa_g) * 64'(icg) + 64'(fa_ci);
  fa_req_valid = fa_q == FA_RUN;
end

chm_run_fetch #(.DestBits(RB), .KBits(KBits),
                .Depth(CNN_AXI_OUTSTANDING), .MaxBurst(CNN_AXI_MAX_BURST)) u_fetch_a (
  .clk_i, .rst_ni,
  .req_valid_i(fa_req_valid), .req_ready_o(fa_req_ready), .dest_i(fa_r[RB-1:0]), .set_i(fa_set),
  .k_i(fa_k[KBits-1:0]), .len_i(fa_run[KBits:0]), .addr_i(fa_addr), .pad_i(!fa_inside),
  .pad_val_i(in_zp[7:0]), .busy_o(fa_busy),
  .m_araddr_o(m0_araddr_o), .m_arlen_o(m0_arlen_o), .m_arvalid_o(m0_arvalid_o),
  .m_arready_i(m0_arready_i), .m_rdata_i(m0_rdata_i), .m_rlast_i(m0_rlast_i),
  .m_rvalid_i(m0_rvalid_i), .m_rready_o(m0_rready_o),
  .wr_valid_o(fa_wr_valid), .wr_set_o(fa_wr_set), .wr_dest_o(fa_wr_row), .wr_en_o(fa_wr_en),
  .wr_word_o(fa_wr_word), .wr_data_o(fa_wr_data)
);

assign a_fill_done = (fa_q == FA_DRAIN && !fa_busy) || (fa_q == FA_SKIP && !a_full_q[fa_set]);
assign a_fill_set = fa_set;

always_ff @(posedge clk_i or negedge rst_ni) begin
  if (!rst_ni) begin
    fa_q <= FA_IDLE; fa_set <= 1'b0; fa_tag_ok <= '0;
    for (int i = 0; i < 2; i++) begin fa_tag_g[i] <= '0; fa_tag_m0[i] <= '0; fa_tag_k0[i] <= '0; end
    fa_b0 <= '0; fa_oy0 <= '0; fa_ox0 <= '0; fa_ci0 <= '0; fa_kx0 <= '0; fa_ky0 <= '0;
    fa_r <= '0; fa_b <= '0; fa_oy <= '0; fa_ox <= '0; fa_ci <= '0; fa_kx <= '0; fa_ky <= '0;
    fa_k <= '0;
  end else begin
    case (fa_q)
      FA_IDLE: if (go_q) begin
        fa_set <= 1'b0; fa_tag_ok <= '0;
        fa_q <= FA_CHECK;
      end
      FA_CHECK: fa_q <= fa_hit ? FA_SKIP : FA_TDIV1;
      FA_SKIP: if (!a_full_q[fa_set]) begin
        fa_set <= !fa_set;
        fa_q <= FA_NEXT;
      end
      FA_TDIV1: if (fa_dv_done) begin
        fa_b0 <= fa_dv_quot;
        fa_q <= FA_TDIV2;
      end
      FA_TDIV2: if (fa_dv_done) begin
        fa_oy0 <= fa_dv_quot;
        fa_ox0 <= fa_dv_rem;
        if (fa_k0 == 0) begin                 // the first slice starts at tap (0, 0, 0)
          fa_ci0 <= '0; fa_ky0 <= '0; fa_kx0 <= '0;
          fa_q <= FA_WAITSET;
        end else begin
          fa_q <= FA_SDIV1;
        end
      end
      FA_SDIV1: if (fa_dv_done) begin
        fa_ci0 <= fa_dv_rem;
        fa_q <= FA_SDIV2;
      end
      FA_SDIV2: if (fa_dv_done) begin
        fa_ky0 <= fa_dv_quot;
        fa_kx0 <= fa_dv_rem;
        fa_q <= FA_WAITSET;
      end
      FA_WAITSET: if (!a_full_q[fa_set]) begin
        fa_tag_ok[fa_set] <= 1'b1;
        fa_tag_g[fa_set] <= fa_g; fa_tag_m0[fa_set] <= fa_m0; fa_tag_k0[fa_set] <= fa_k0;
        fa_r <= '0;
        fa_b <= fa_b0; fa_oy <= fa_oy0; fa_ox <= fa_ox0;
        fa_ci <= fa_ci0; fa_kx <= fa_kx0; fa_ky <= fa_ky0; fa_k <= '0;
        fa_q <= FA_RUN;
      end
      FA_RUN: if (fa_req_ready) begin
        if (fa_k + fa_run < fa_kt) begin      // next run of this row
          fa_k <= fa_k + fa_run;
          fa_ci <= '0;
          if (fa_kx_end == kw) begin
            fa_kx <= '0;
            fa_ky <= fa_ky + 1;
          end else begin
            fa_kx <= fa_kx_end;
          end
        end else if (fa_r + 1 < fa_nr) begin  // next row: the next pixel
          fa_r <= fa_r + 1;
          fa_k <= '0; fa_ci <= fa_ci0; fa_kx <= fa_kx0; fa_ky <= fa_ky0;
          if (fa_ox + 1 == ow) begin
            fa_ox <= '0;
            if (fa_oy + 1 == oh) begin
              fa_oy <= '0;
              fa_b <= fa_b + 1;
            end else begin
              fa_oy <= fa_oy + 1;
            end
          end else begin
            fa_ox <= fa_ox + 1;
          end
        end else begin
          fa_q <= FA_DRAIN;
        end
      end
      FA_DRAIN: if (!fa_busy) begin
        fa_set <= !fa_set;
        fa_q <= FA_NEXT;
      end
      FA_NEXT: fa_q <= fa_last ? FA_IDLE : FA_CHECK;  // the walker steps now
      default: fa_q <= FA_IDLE;
    endcase
  end
end
