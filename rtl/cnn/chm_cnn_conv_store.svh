// chm_cnn_conv_store.svh - store and write of chm_cnn_conv (a fragment of its body).
//
// A tile's rows leave the array one a cycle (row r's shadows have all
// settled when its last flag leaves the row). Cols requantization units
// turn the row into int8 bytes in the tile's output slot. The writer sends
// each finished slot's rows to card memory, one burst of at most two beats
// a row (a row of up to Cols channels, at any alignment, with byte strobes;
// two bursts of a beat when the second beat starts a 4 KiB page, which no
// AXI4 burst may cross).
logic        st_slot_q;                      // slot the rows now leaving belong to
logic [1:0]  ready_q;                        // slots finished by the store
// The output slots hold a row a word (Cols bytes), written a row a cycle
// and read a row a beat: one write and one read port, as a memory maps.
logic [Cols*8-1:0] ob [2][Rows];
logic [Cols*8-1:0] st_bytes, wr_bytes;
logic [511:0] wr_rot;                         // the row as the beats carry it
logic [RB-1:0] st_row;
logic        st_any;
logic [7:0]  st_q [Cols];
logic [Cols*32-1:0] st_shadow;               // the leaving row's Cols sums
logic [Cols*OffBits-1:0] st_off;             // its slot's parameters
logic [Cols*32-1:0] st_mult, st_shift;

always_comb begin
  st_any = |row_done;
  st_row = '0;
  st_shadow = shadow[0 +: Cols*32];
  // a row-wide multiplexer, then fixed slices (not one variable part-select
  // of all Rows x Cols sums per column, which synthesizes as a shifter)
  for (int r = 0; r < $signed(Rows); r++)
    if (row_done[r]) begin
      st_row = r[RB-1:0];
      st_shadow = shadow[r*Cols*32 +: Cols*32];
    end
  for (int c = 0; c < $signed(Cols); c++) st_bytes[c*8 +: 8] = st_q[c];
  st_off = om_off[st_slot_q];
  st_mult = om_mult[st_slot_q];
  st_shift = om_shift[st_slot_q];
end

for (genvar c = 0; c < $signed(Cols); c++) begin : g_rq
  chm_requant u_rq (
    .acc_i(st_shadow[c*32 +: 32]),
    .off_i(st_off[c*OffBits +: OffBits]), .mult_i(st_mult[c*32 +: 32]), .shift_i(st_shift[c*32 +: 32]),
    .out_zp_i(out_zp), .act_min_i(act_min), .act_max_i(act_max), .out_o(st_q[c])
  );
end

// Writer.
typedef enum logic [1:0] { WR_IDLE, WR_AW, WR_W, WR_NEXT } wr_e;
wr_e wr_q;
logic        wr_slot_q;
logic [31:0] wr_r;
logic [7:0]  wr_beat, wr_beats;
logic [63:0] wr_addr;
logic        wr_split, wr_half;
logic [31:0] outstanding_q;

always_comb begin
  wr_addr = p_out + (64'(om_m0[wr_slot_q]) + 64'(wr_r)) * 64'(oc) + 64'(om_oc0[wr_slot_q]);
  wr_beats = 8'((32'(wr_addr[5:0]) + om_nc[wr_slot_q] + 63) >> 6);
  wr_split = wr_beats == 8'd2 && wr_addr[11:6] == 6'h3F;
  m2_awaddr_o = {wr_addr[63:6] + {57'd0, wr_half}, 6'd0};
  m2_awlen_o = wr_split ? 8'd0 : wr_beats - 8'd1;
  m2_awvalid_o = wr_q == WR_AW;
  m2_wvalid_o = wr_q == WR_W;
  m2_wlast_o = wr_split || wr_beat + 8'd1 == wr_beats;
  // Byte i of either beat is the row's byte (i - row start % 64) mod 64
  // (a 16-bit offset, the row being at most Cols bytes): the row, widened
  // to a beat, rotated by its start (six fixed stages of 2:1 selects; a
  // Cols:1 byte select a lane cost about 5,000 LUTs), with strobes.
  wr_bytes = ob[wr_slot_q][wr_r[RB-1:0]];
  wr_rot = 512'(wr_bytes);
  for (int st = 0; st < 6; st++)
    if (wr_addr[st]) wr_rot = (wr_rot << (8 << st)) | (wr_rot >> (512 - (8 << st)));
  for (int i = 0; i < 64; i++) begin
    logic signed [15:0] off;
    off = $signed({2'b00, wr_beat, 6'd0}) - $signed({10'd0, wr_addr[5:0]}) + 16'(i);
    m2_wstrb_o[i] = off >= 0 && off < $signed(16'(om_nc[wr_slot_q]));
  end
  m2_wdata_o = wr_rot;
  m2_bready_o = 1'b1;
  writer_idle = wr_q == WR_IDLE && ready_q == 2'b00 && outstanding_q == 0;
end

always_ff @(posedge clk_i or negedge rst_ni) begin
  if (!rst_ni) begin
    st_slot_q <= 1'b0; ready_q <= '0; wr_q <= WR_IDLE; wr_slot_q <= 1'b0; wr_r <= '0;
    wr_beat <= '0; wr_half <= 1'b0; outstanding_q <= '0; tiles_written <= '0; out_free_q <= 2'd2;
    // ob is data: written before it is read, no reset
  end else begin
    // Store: one row a cycle as it leaves the array.
    if (st_any) begin
      ob[st_slot_q][st_row] <= st_bytes;
      if (st_row == RB'(Rows - 1)) begin
        ready_q[st_slot_q] <= 1'b1;
        st_slot_q <= !st_slot_q;
      end
    end
    // Slots: the compute takes one at a tile's last tap, the writer gives it back.
    out_free_q <= out_free_q - (cp_take_slot ? 2'd1 : 2'd0) +
                  (wr_q == WR_NEXT && wr_r + 1 >= om_nr[wr_slot_q] ? 2'd1 : 2'd0);
    outstanding_q <= outstanding_q + (m2_awvalid_o && m2_awready_i ? 32'd1 : 32'd0) -
                     (m2_bvalid_i ? 32'd1 : 32'd0);
    case (wr_q)
      WR_IDLE: if (ready_q[wr_slot_q] && !(st_any && st_slot_q == wr_slot_q)) begin
        wr_r <= '0;
        wr_q <= WR_AW;
      end
      WR_AW: if (m2_awready_i) begin
        wr_beat <= {7'd0, wr_half};
        wr_q <= WR_W;
      end
      WR_W: if (m2_wready_i) begin
        if (wr_beat + 8'd1 == wr_beats) begin
          wr_half <= 1'b0;
          wr_q <= WR_NEXT;
        end else if (wr_split) begin  // the second beat's own address
          wr_half <= 1'b1;
          wr_q <= WR_AW;
        end else begin
          wr_beat <= wr_beat + 8'd1;
        end
      end
      WR_NEXT: begin
        if (wr_r + 1 < om_nr[wr_slot_q]) begin
          wr_r <= wr_r + 1;
          wr_q <= WR_AW;
        end else begin
          ready_q[wr_slot_q] <= 1'b0;
          wr_slot_q <= !wr_slot_q;
          tiles_written <= tiles_written + 1;
          wr_q <= WR_IDLE;
        end
      end
      default: wr_q <= WR_IDLE;
    endcase
    if (go_q) begin
      st_slot_q <= 1'b0; ready_q <= '0; wr_slot_q <= 1'b0; tiles_written <= '0;
      out_free_q <= 2'd2;
    end
  end
end
