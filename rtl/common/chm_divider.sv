// chm_divider - unsigned restoring division of Width-bit operands (32 by
// default), one quotient bit a cycle.
//
// The address generators divide a handful of times per tile or K slice
// (pixel index by plane and width, tap index by channels and kernel width);
// a 32-cycle divider costs a few LUTs where a combinational one would cost
// a deep adder chain.
// QBits < Width: the caller guarantees num < den x 2^QBits (the quotient
// fits QBits bits), so the first Width - QBits steps, whose quotient bits
// are 0 and which only shift num's top bits into the remainder, are done at
// the start: QBits cycles instead of Width.
// Width < 32: the caller's operands fit Width bits (a pooling average's
// sum and count do in 18), and the subtractor and registers shrink with it.
module chm_divider #(
  parameter int unsigned Width = 32,
  parameter int unsigned QBits = Width
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             start_i,
  input  logic [Width-1:0] num_i,
  input  logic [Width-1:0] den_i,
  output logic             busy_o,
  output logic             done_o,
  output logic [Width-1:0] quot_o,
  output logic [Width-1:0] rem_o
);
  localparam int unsigned NB = $clog2(QBits + 1);
  logic [NB-1:0]      n_q;
  logic [Width-1:0]   den_q, num_q;
  logic [Width:0]     rem_d;
  logic [2*Width-1:0] num_w;  // {0, num} shifted so that its top Width - QBits bits are the remainder

  assign num_w = {{Width{1'b0}}, num_i} << (Width - QBits);

  assign busy_o = n_q != 0;
  assign rem_d = {rem_o, num_q[Width-1]};

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      n_q <= '0; den_q <= '0; num_q <= '0; quot_o <= '0; rem_o <= '0; done_o <= 1'b0;
    end else begin
      done_o <= 1'b0;
      if (start_i && n_q == 0) begin
        n_q <= NB'(QBits);
        den_q <= den_i;
        num_q <= num_w[Width-1:0];
        quot_o <= '0;
        rem_o <= num_w[2*Width-1:Width];
      end else if (n_q != 0) begin
        if (rem_d >= {1'b0, den_q}) begin
          rem_o <= Width'(rem_d - {1'b0, den_q});
          quot_o <= {quot_o[Width-2:0], 1'b1};
        end else begin
          rem_o <= rem_d[Width-1:0];
          quot_o <= {quot_o[Width-2:0], 1'b0};
        end
        num_q <= {num_q[Width-2:0], 1'b0};
        n_q <= n_q - NB'(1);
        if (n_q == NB'(1)) done_o <= 1'b1;
      end
    end
  end
endmodule
