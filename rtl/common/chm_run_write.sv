// chm_run_write - writes byte runs of up to 64 bytes (lane 0 = the run's
// first byte) to card memory at any alignment, through one AXI4 write
// master at the bank's width (512 bits).
//
// A run takes one burst of ceil((addr % 64 + len) / 64) beats (one or two)
// with byte strobes, or two bursts of a beat when its second beat starts a
// 4 KiB page (AXI4 lets no burst cross one). Runs queue (up to Depth); a burst's address goes out
// as soon as it is queued and its data follow on the W channel, so a run a
// cycle moves when the bank keeps up. busy_o stays high until the last
// write response is back: the engine's ap_done waits for it.
// Beat byte i of either beat is the run's byte (i - addr % 64) mod 64, so a
// run is rotated once as it is queued (six fixed stages of 2:1 selects)
// and its beats leave as stored, with their strobes: where a 64:1 byte
// select a lane at the queue's head was about 10,000 LUTs of the writer's
// 13,000 (Yosys, chm_cnn_pool's writer).
module chm_run_write #(
  parameter int unsigned Depth = 4
) (
  input  logic         clk_i,
  input  logic         rst_ni,
  input  logic         req_valid_i,
  output logic         req_ready_o,
  input  logic [63:0]  addr_i,
  input  logic [6:0]   len_i,      // 1..64
  input  logic [511:0] data_i,
  output logic         busy_o,
  output logic [63:0]  m_awaddr_o,
  output logic [7:0]   m_awlen_o,
  output logic         m_awvalid_o,
  input  logic         m_awready_i,
  output logic [511:0] m_wdata_o,
  output logic [63:0]  m_wstrb_o,
  output logic         m_wlast_o,
  output logic         m_wvalid_o,
  input  logic         m_wready_i,
  input  logic         m_bvalid_i,
  output logic         m_bready_o
);
  localparam int unsigned PtrBits = $clog2(Depth);

  logic [63:0]  q_addr [Depth];
  logic [6:0]   q_len  [Depth];
  logic [511:0] q_data [Depth];
  logic [PtrBits:0] head_q, aw_q, tail_q;   // next W, next AW, next free
  logic         beat_q;                     // second beat of the head run
  logic         aw_half_q;                  // the first of a split run's two addresses went out
  logic [15:0]  outstanding_q;

  wire [PtrBits-1:0] head = head_q[PtrBits-1:0];
  wire [PtrBits-1:0] awp  = aw_q[PtrBits-1:0];
  wire [PtrBits-1:0] tail = tail_q[PtrBits-1:0];

  function automatic logic two_beats(input logic [5:0] a, input logic [6:0] n);
    two_beats = 8'(a) + 8'(n) > 8'd64;
  endfunction

  assign req_ready_o = (tail_q - head_q) != (PtrBits+1)'(Depth);
  assign busy_o = head_q != tail_q || outstanding_q != 0;

  // a two-beat run whose second beat starts a 4 KiB page goes as two one-beat bursts
  function automatic logic split_run(input logic [11:0] a, input logic [6:0] n);
    split_run = two_beats(a[5:0], n) && a[11:6] == 6'h3F;
  endfunction
  logic aw_split;
  assign aw_split = split_run(q_addr[awp][11:0], q_len[awp]);
  assign m_awvalid_o = aw_q != tail_q;
  assign m_awaddr_o = {q_addr[awp][63:6] + {57'd0, aw_half_q}, 6'd0};
  assign m_awlen_o = {7'd0, two_beats(q_addr[awp][5:0], q_len[awp]) && !aw_split};

  // The run as its beats carry it: byte i at lane (i + addr % 64) mod 64.
  logic [511:0] rot;
  always_comb begin
    rot = data_i;
    for (int st = 0; st < 6; st++)
      if (addr_i[st]) rot = (rot << (8 << st)) | (rot >> (512 - (8 << st)));
  end

  // The head run's beat: lane i is the run's byte (beat start - run start) + i.
  logic        head_two;
  always_comb begin
    head_two = two_beats(q_addr[head][5:0], q_len[head]);
    // its address went out (a split run's first beat: the first of its two)
    m_wvalid_o = head_q != aw_q || (aw_half_q && !beat_q);
    m_wlast_o = !head_two || beat_q || split_run(q_addr[head][11:0], q_len[head]);
    for (int i = 0; i < 64; i++) begin
      logic signed [8:0] off;
      off = $signed({2'b00, beat_q, 6'd0}) - $signed({3'd0, q_addr[head][5:0]}) + 9'(i);
      m_wstrb_o[i] = off >= 0 && off < $signed({2'b00, q_len[head]});
    end
    m_wdata_o = q_data[head];
  end
  assign m_bready_o = 1'b1;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      head_q <= '0; aw_q <= '0; tail_q <= '0; beat_q <= 1'b0; aw_half_q <= 1'b0;
      outstanding_q <= '0;
      for (int i = 0; i < $signed(Depth); i++) begin
        q_addr[i] <= '0; q_len[i] <= '0; q_data[i] <= '0;
      end
    end else begin
      if (req_valid_i && req_ready_o) begin
        q_addr[tail] <= addr_i; q_len[tail] <= len_i; q_data[tail] <= rot;
        tail_q <= tail_q + 1'b1;
      end
      if (m_awvalid_o && m_awready_i) begin
        if (aw_split && !aw_half_q) begin
          aw_half_q <= 1'b1;
        end else begin
          aw_half_q <= 1'b0;
          aw_q <= aw_q + 1'b1;
        end
      end
      if (m_wvalid_o && m_wready_i) begin
        if (!head_two || beat_q) begin  // the run's last beat (a split run has WLAST on both)
          beat_q <= 1'b0;
          head_q <= head_q + 1'b1;
        end else begin
          beat_q <= 1'b1;
        end
      end
      outstanding_q <= outstanding_q + (m_awvalid_o && m_awready_i ? 16'd1 : 16'd0) -
                       (m_bvalid_i ? 16'd1 : 16'd0);
    end
  end
endmodule
