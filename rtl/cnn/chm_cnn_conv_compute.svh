// chm_cnn_conv_compute.svh - compute of chm_cnn_conv (a fragment of its body).
//
// Streams each slice's taps into the array, one a cycle, once both buffers
// of its set are full. A tile's last slice waits for a free output slot, and
// for enough cycles since the previous tile's last tap that no PE captures
// a new sum before the store has read its old one (the gap rule below).
typedef enum logic [1:0] { CP_IDLE, CP_WAIT, CP_STREAM, CP_NEXT } cp_e;
cp_e cp_q;
logic [31:0] cp_g, cp_m0, cp_nt, cp_k0, cp_k, cp_kt;
logic        cp_first, cp_last, cp_end;
logic [1:0]  out_free_q;
logic [31:0] gap_q;
logic        cp_issue, cp_issue_last, cp_take_slot;
logic [Rows*8-1:0] a_rd;
logic [Cols*8-1:0] b_rd;
// Skew lines: row r's operands r cycles late, column c's c cycles late (the
// tile buffers' registered reads are the lines' first stage; the flags,
// issued with the read address, take one stage more).
logic [7:0] a_skew [Rows][Rows];
logic       v_skew [Rows][Rows];
logic       f_skew [Rows][Rows];
logic       l_skew [Rows][Rows];
logic [7:0] b_skew [Cols][Cols];
logic [Rows*8-1:0] arr_a;
logic [Cols*8-1:0] arr_b;
logic [Rows-1:0] arr_v, arr_f, arr_l, row_done;
logic [Rows*Cols*32-1:0] shadow;
// Output slots: what the store needs to finish each tile in flight.
logic        om_slot_q;                 // slot the next tile's last tap takes
logic [Cols*OffBits-1:0] om_off [2];  // column c's offset at [c*OffBits +: OffBits]
logic [Cols*32-1:0] om_mult [2];       // column c's word at [c*32 +: 32]
logic [Cols*32-1:0] om_shift [2];
logic [31:0] om_m0 [2];
logic [31:0] om_oc0 [2];
logic [31:0] om_nr [2];
logic [31:0] om_nc [2];

chm_tile_buf #(.Rows(Rows), .KBits(KBits), .BufId(0)) u_abuf (
  .clk_i, .wr_valid_i(fa_wr_valid), .wr_set_i(fa_wr_set), .wr_row_i(fa_wr_row),
  .wr_en_i(fa_wr_en), .wr_word_i(fa_wr_word), .wr_data_i(fa_wr_data),
  .rd_set_i(c_set_q), .rd_k_i(cp_k[KBits-1:0]), .rd_data_o(a_rd)
);
chm_tile_buf #(.Rows(Cols), .KBits(KBits), .BufId(1)) u_bbuf (
  .clk_i, .wr_valid_i(fb_wr_valid), .wr_set_i(fb_wr_set), .wr_row_i(fb_wr_col),
  .wr_en_i(fb_wr_en), .wr_word_i(fb_wr_word), .wr_data_i(fb_wr_data),
  .rd_set_i(c_set_q), .rd_k_i(cp_k[KBits-1:0]), .rd_data_o(b_rd)
);

chm_tile_walk #(.Rows(Rows)) u_walk_c (
  .clk_i, .rst_ni, .start_i(go_q), .step_i(cp_q == CP_NEXT), .n_outer_i(n_outer),
  .groups_i(groups), .mm_i(mm), .col_tiles_i(col_tiles), .kk_i(kk), .ks_i(ks), .g_o(cp_g),
  .m0_o(cp_m0), .nt_o(cp_nt), .k0_o(cp_k0), .last_slice_o(cp_last), .last_o(cp_end)
);

always_comb begin
  cp_kt = kk - cp_k0 < ks ? kk - cp_k0 : ks;
  cp_first = cp_k0 == 0;
  cp_issue = cp_q == CP_STREAM;
  cp_issue_last = cp_issue && cp_last && cp_k + 1 == cp_kt;
  cp_take_slot = cp_issue_last;
end
assign ab_consumed = cp_issue && cp_k + 1 == cp_kt;

for (genvar r = 0; r < $signed(Rows); r++) begin : g_askew
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int i = 0; i < $signed(Rows); i++) begin
        a_skew[r][i] <= '0; v_skew[r][i] <= 1'b0; f_skew[r][i] <= 1'b0; l_skew[r][i] <= 1'b0;
      end
    end else begin
      a_skew[r][0] <= a_rd[r*8 +: 8];
      v_skew[r][0] <= cp_issue;
      f_skew[r][0] <= cp_issue && cp_first && cp_k == 0;
      l_skew[r][0] <= cp_issue_last;
      for (int i = 1; i < $signed(Rows); i++) begin
        a_skew[r][i] <= a_skew[r][i-1]; v_skew[r][i] <= v_skew[r][i-1];
        f_skew[r][i] <= f_skew[r][i-1]; l_skew[r][i] <= l_skew[r][i-1];
      end
    end
  end
  // the buffer's registered read is the first stage of the skew
  if (r == 0) begin : g_a0
    assign arr_a[7:0] = a_rd[7:0];
  end else begin : g_an
    assign arr_a[r*8 +: 8] = a_skew[r][r-1];
  end
  assign arr_v[r] = v_skew[r][r];
  assign arr_f[r] = f_skew[r][r];
  assign arr_l[r] = l_skew[r][r];
end
for (genvar c = 0; c < $signed(Cols); c++) begin : g_bskew
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int i = 0; i < $signed(Cols); i++) b_skew[c][i] <= '0;
    end else begin
      b_skew[c][0] <= b_rd[c*8 +: 8];
      for (int i = 1; i < $signed(Cols); i++) b_skew[c][i] <= b_skew[c][i-1];
    end
  end
  if (c == 0) begin : g_b0
    assign arr_b[7:0] = b_rd[7:0];
  end else begin : g_bn
    assign arr_b[c*8 +: 8] = b_skew[c][c-1];
  end
end

chm_systolic_array #(.Rows(Rows), .Cols(Cols)) u_array (
  .clk_i, .rst_ni, .a_i(arr_a), .b_i(arr_b), .valid_i(arr_v), .first_i(arr_f), .last_i(arr_l),
  .shadow_o(shadow), .last_out_o(row_done)
);

always_ff @(posedge clk_i or negedge rst_ni) begin
  if (!rst_ni) begin
    cp_q <= CP_IDLE; cp_k <= '0;
    c_set_q <= 1'b0; gap_q <= '0; om_slot_q <= 1'b0;
    for (int s = 0; s < 2; s++) begin
      om_m0[s] <= '0; om_oc0[s] <= '0; om_nr[s] <= '0; om_nc[s] <= '0;
    end
  end else begin
    if (cp_issue_last) gap_q <= '0;
    else if (gap_q < Rows + Cols) gap_q <= gap_q + 1;
    case (cp_q)
      CP_IDLE: if (go_q) begin
        c_set_q <= 1'b0;
        gap_q <= Rows + Cols; om_slot_q <= 1'b0;
        cp_q <= CP_WAIT;
      end
      CP_WAIT: if (a_full_q[c_set_q] && b_full_q[c_set_q] &&
                   (!cp_last || (out_free_q != 0 && gap_q + cp_kt >= Rows + Cols))) begin
        cp_k <= '0;
        cp_q <= CP_STREAM;
      end
      CP_STREAM: begin
        if (cp_issue_last) begin
          om_m0[om_slot_q] <= bs_m0[c_set_q];
          om_oc0[om_slot_q] <= bs_oc0[c_set_q];
          om_nr[om_slot_q] <= bs_nr[c_set_q];
          om_nc[om_slot_q] <= bs_nc[c_set_q];
          om_slot_q <= !om_slot_q;
        end
        if (cp_k + 1 == cp_kt) begin
          c_set_q <= !c_set_q;
          cp_q <= CP_NEXT;
        end else begin
          cp_k <= cp_k + 1;
        end
      end
      CP_NEXT: cp_q <= cp_end ? CP_IDLE : CP_WAIT;  // the walker steps now
      default: cp_q <= CP_IDLE;
    endcase
  end
end

// The tile's parameters go with it to its output slot (data, no reset).
always_ff @(posedge clk_i)
  if (cp_q == CP_STREAM && cp_issue_last) begin
    om_off[om_slot_q] <= bs_off[c_set_q];
    om_mult[om_slot_q] <= bs_mult[c_set_q];
    om_shift[om_slot_q] <= bs_shift[c_set_q];
  end
