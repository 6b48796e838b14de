// chm_run_fetch - reads byte runs from card memory into lane-organised tile
// buffers, through one AXI4 read master at the bank's width (512 bits).
//
// A run is len bytes at addr for destination row dest_i of buffer set
// set_i, landing at taps [k_i, k_i + len) (the im2col rows of a conv input
// tile, or one weight column). Runs need not be aligned: a run takes
// ceil((addr % 64 + len) / 64) beats, and byte i of a beat goes to lane
// (i + k - addr) % 64, word k / 64 of the row, so every tap k sits in lane
// k % 64. A pad run (pad_i) writes pad_val_i into its taps without a read
// (the conv's padding reads as the input zero point). Requests queue (up to
// Depth) and their bursts are issued ahead of the data, so the read latency
// is paid once per queue, not once per run; data land in request order.
// A run's read is cut into bursts of at most MaxBurst beats that end at
// 4 KiB boundaries (AXI4 lets no burst cross one); the beats a run takes do
// not change. The queue is a memory written at its tail and read at two
// addresses (the landing head, the issuing run), with no reset: LUT RAM,
// not Depth x 100 flip-flops and two Depth:1 multiplexers of them (an
// entry is read only after it was written: head and issue never pass the
// tail).
module chm_run_fetch #(
  parameter int unsigned DestBits = 5,
  parameter int unsigned KBits = 12,   // taps per buffer row: 2^KBits
  parameter int unsigned Depth = 16,
  parameter int unsigned MaxBurst = 64  // beats a burst at most (Vitis max_read_burst_length)
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,
  // run requests
  input  logic                 req_valid_i,
  output logic                 req_ready_o,
  input  logic [DestBits-1:0]  dest_i,
  input  logic                 set_i,
  input  logic [KBits-1:0]     k_i,
  input  logic [KBits:0]       len_i,
  input  logic [63:0]          addr_i,
  input  logic                 pad_i,
  input  logic [7:0]           pad_val_i,
  output logic                 busy_o,      // runs queued or landing
  // AXI4 read master (INCR bursts of full 64-byte beats, one ID)
  output logic [63:0]          m_araddr_o,
  output logic [7:0]           m_arlen_o,
  output logic                 m_arvalid_o,
  input  logic                 m_arready_i,
  input  logic [511:0]         m_rdata_i,
  input  logic                 m_rlast_i,
  input  logic                 m_rvalid_i,
  output logic                 m_rready_o,
  // lane writes into the tile buffer
  output logic                 wr_valid_o,
  output logic                 wr_set_o,
  output logic [DestBits-1:0]  wr_dest_o,
  output logic [63:0]          wr_en_o,
  output logic [64*(KBits-6)-1:0] wr_word_o,
  output logic [511:0]         wr_data_o
);
  localparam int unsigned PtrBits = $clog2(Depth);
  localparam int unsigned WBits = KBits - 6;

  logic [DestBits-1:0] q_dest [Depth];
  logic                q_set  [Depth];
  logic [KBits-1:0]    q_k    [Depth];
  logic [KBits:0]      q_len  [Depth];
  logic [63:0]         q_addr [Depth];
  logic                q_pad  [Depth];
  logic [7:0]          q_pval [Depth];
  logic [PtrBits:0]    head_q, issue_q, tail_q;   // landing, next burst, next free
  logic [7:0]          beat_q;                    // beat of the head run
  logic [7:0]          iss_beat_q;                // beats of the issuing run already asked for

  wire [PtrBits-1:0] head = head_q[PtrBits-1:0];
  wire [PtrBits-1:0] iss  = issue_q[PtrBits-1:0];
  wire [PtrBits-1:0] tail = tail_q[PtrBits-1:0];

  function automatic logic [7:0] beats_of(input logic [5:0] a, input logic [KBits:0] n);
    beats_of = 8'((32'(a) + 32'(n) + 32'd63) >> 6);
  endfunction

  assign req_ready_o = (tail_q - head_q) != (PtrBits+1)'(Depth);
  assign busy_o = head_q != tail_q;

  // Burst issue: skip pad runs, which need no read; a run's bursts stop at
  // each 4 KiB boundary.
  logic issue_pad, iss_last;
  logic [7:0] iss_left, iss_page, iss_n;
  logic [63:0] iss_addr;
  always_comb begin
    iss_addr = {q_addr[iss][63:6], 6'd0} + {50'd0, iss_beat_q, 6'd0};
    iss_left = beats_of(q_addr[iss][5:0], q_len[iss]) - iss_beat_q;
    iss_page = 8'd64 - {2'b00, iss_addr[11:6]};   // beats to the page's end
    iss_n = iss_left < iss_page ? iss_left : iss_page;
    // compared at 32 bits: 8'(MaxBurst) would wrap to 0 at 256 (AXI4's
    // longest INCR burst); a burst never passes 64 beats (a 4 KiB page)
    if (32'(iss_n) > MaxBurst) iss_n = 8'(MaxBurst);
    iss_last = iss_n == iss_left;
  end
  assign issue_pad = issue_q != tail_q && q_pad[iss];
  assign m_arvalid_o = issue_q != tail_q && !q_pad[iss];
  assign m_araddr_o = iss_addr;
  assign m_arlen_o = iss_n - 8'd1;

  // Landing: the head run takes an R beat (or a virtual one if it is a pad run).
  logic head_ok, head_pad, beat_fire, last_beat;
  logic [7:0] head_beats;
  // its bursts (if any) were issued, or a first one of them: data come in order
  assign head_ok = head_q != tail_q && (issue_q != head_q || (!q_pad[head] && iss_beat_q != 0));
  assign head_pad = q_pad[head];
  assign m_rready_o = head_ok && !head_pad;
  assign beat_fire = head_ok && (head_pad || m_rvalid_i);
  assign head_beats = beats_of(head_pad ? q_k[head][5:0] : q_addr[head][5:0], q_len[head]);
  assign last_beat = beat_q + 8'd1 == head_beats;

  // Lane mapping of the current beat: byte i of the beat is the run's byte
  // delta + i (delta = beat start - run start, from -63 up to the run's
  // length), tap base + i (base = k + delta), and lands in lane
  // (base + i) % 64, so every tap sits in lane tap % 64. Computed once a
  // beat, not once a lane: the beat rotated by base % 64 (six fixed
  // stages); lane l holds beat byte i = (l - base) % 64, which is in the
  // run when -delta <= i < len - delta, and its tap is in word base / 64,
  // or the next one when l < base % 64. Kept to 16 bits: a run is at most
  // 256 beats (arlen), 16 KiB.
  logic [5:0]  src_lo;   // the run's start within its first beat
  logic signed [15:0] delta;
  logic signed [31:0] base;
  logic [6:0]  en_lo, en_hi;   // the lanes' byte range [en_lo, en_hi), clamped to 0..64
  logic [WBits-1:0] word0, word1;
  logic [511:0] rot_data;
  always_comb begin
    logic signed [16:0] lo, hi;
    src_lo = head_pad ? q_k[head][5:0] : q_addr[head][5:0];
    delta = $signed({2'b00, beat_q, 6'd0}) - $signed({10'd0, src_lo});
    base = $signed(32'(q_k[head])) + 32'(delta);
    lo = 17'sd0 - 17'(delta);
    hi = $signed(17'(q_len[head])) - 17'(delta);
    en_lo = lo < 0 ? 7'd0 : lo > 64 ? 7'd64 : 7'(lo);
    en_hi = hi < 0 ? 7'd0 : hi > 64 ? 7'd64 : 7'(hi);
    word0 = WBits'(base >>> 6);
    word1 = word0 + 1'b1;
    rot_data = m_rdata_i;
    for (int s = 0; s < 6; s++)
      if (base[s]) rot_data = (rot_data << (8 << s)) | (rot_data >> (512 - (8 << s)));
  end

  // the queue memory: one write port, no reset
  always_ff @(posedge clk_i) begin
    if (req_valid_i && req_ready_o) begin
      q_dest[tail] <= dest_i; q_set[tail] <= set_i; q_k[tail] <= k_i; q_len[tail] <= len_i;
      q_addr[tail] <= addr_i; q_pad[tail] <= pad_i; q_pval[tail] <= pad_val_i;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      head_q <= '0; issue_q <= '0; tail_q <= '0; beat_q <= '0; iss_beat_q <= '0;
      wr_valid_o <= 1'b0; wr_set_o <= 1'b0; wr_dest_o <= '0; wr_en_o <= '0; wr_word_o <= '0;
      wr_data_o <= '0;
    end else begin
      if (req_valid_i && req_ready_o) tail_q <= tail_q + 1'b1;
      if (issue_pad || (m_arvalid_o && m_arready_i && iss_last)) begin
        issue_q <= issue_q + 1'b1;
        iss_beat_q <= '0;
      end else if (m_arvalid_o && m_arready_i) begin
        iss_beat_q <= iss_beat_q + iss_n;
      end
      wr_valid_o <= beat_fire;
      if (beat_fire) begin
        wr_set_o <= q_set[head];
        wr_dest_o <= q_dest[head];
        for (int l = 0; l < 64; l++) begin
          logic [5:0] i;
          i = 6'(l) - base[5:0];
          wr_en_o[l] <= {1'b0, i} >= en_lo && {1'b0, i} < en_hi;
          wr_word_o[l*WBits +: WBits] <= 6'(l) < base[5:0] ? word1 : word0;
          wr_data_o[l*8 +: 8] <= head_pad ? q_pval[head] : rot_data[l*8 +: 8];
        end
        if (last_beat) begin
          beat_q <= '0;
          head_q <= head_q + 1'b1;
        end else begin
          beat_q <= beat_q + 8'd1;
        end
      end
    end
  end
  logic unused_ok;
  assign unused_ok = m_rlast_i;  // bursts are counted, not delimited
endmodule
