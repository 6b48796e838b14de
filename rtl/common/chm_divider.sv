// chm_divider - unsigned 32-bit restoring division, one quotient bit a cycle.
//
// The address generators divide a handful of times per tile or K slice
// (pixel index by plane and width, tap index by channels and kernel width);
// a 32-cycle divider costs a few LUTs where a combinational one would cost
// a deep adder chain.
// QBits < 32: the caller guarantees num < den x 2^QBits (the quotient fits
// QBits bits), so the first 32 - QBits steps, whose quotient bits are 0 and
// which only shift num's top bits into the remainder, are done at the start:
// QBits cycles instead of 32.
module chm_divider #(
  parameter int unsigned QBits = 32
) (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        start_i,
  input  logic [31:0] num_i,
  input  logic [31:0] den_i,
  output logic        busy_o,
  output logic        done_o,
  output logic [31:0] quot_o,
  output logic [31:0] rem_o
);
  logic [5:0]  n_q;
  logic [31:0] den_q, num_q;
  logic [32:0] rem_d;
  logic [63:0] num_w;   // {0, num} shifted so that its top 32 - QBits bits are the remainder

  assign num_w = {32'd0, num_i} << (32 - QBits);

  assign busy_o = n_q != 0;
  assign rem_d = {rem_o, num_q[31]};

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      n_q <= '0; den_q <= '0; num_q <= '0; quot_o <= '0; rem_o <= '0; done_o <= 1'b0;
    end else begin
      done_o <= 1'b0;
      if (start_i && n_q == 0) begin
        n_q <= 6'(QBits);
        den_q <= den_i;
        num_q <= num_w[31:0];
        quot_o <= '0;
        rem_o <= num_w[63:32];
      end else if (n_q != 0) begin
        if (rem_d >= {1'b0, den_q}) begin
          rem_o <= 32'(rem_d - {1'b0, den_q});
          quot_o <= {quot_o[30:0], 1'b1};
        end else begin
          rem_o <= rem_d[31:0];
          quot_o <= {quot_o[30:0], 1'b0};
        end
        num_q <= {num_q[30:0], 1'b0};
        n_q <= n_q - 6'd1;
        if (n_q == 6'd1) done_o <= 1'b1;
      end
    end
  end
endmodule
