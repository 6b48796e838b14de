// chm_systolic_array - Rows x Cols PEs, output-stationary.
//
// Row r's operands enter at the left (a_i[r]) and column c's at the top
// (b_i[c]), already skewed by the feeder (row r r cycles late, column c c
// cycles late), so the k-th operands of row r and column c meet in PE (r, c)
// at cycle k + r + c. shadow_o holds each PE's last finished sum, flattened
// row-major (PE (r, c) at bits [(r*Cols + c)*32 +: 32]).
module chm_systolic_array #(
  parameter int unsigned Rows = 8,
  parameter int unsigned Cols = 8
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  input  logic [Rows*8-1:0]         a_i,
  input  logic [Cols*8-1:0]         b_i,
  input  logic [Rows-1:0]           valid_i,
  input  logic [Rows-1:0]           first_i,
  input  logic [Rows-1:0]           last_i,
  output logic [Rows*Cols*32-1:0]   shadow_o,
  output logic [Rows-1:0]           last_out_o   // the last flag leaving each row's end
);
  // Wires between PEs: a/flags along rows (Cols + 1 taps), b down columns (Rows + 1 taps).
  logic [7:0] a_w [Rows][Cols+1];
  logic       v_w [Rows][Cols+1];
  logic       f_w [Rows][Cols+1];
  logic       l_w [Rows][Cols+1];
  logic [7:0] b_w [Rows+1][Cols];

  for (genvar r = 0; r < $signed(Rows); r++) begin : g_left
    assign a_w[r][0] = a_i[r*8 +: 8];
    assign v_w[r][0] = valid_i[r];
    assign f_w[r][0] = first_i[r];
    assign l_w[r][0] = last_i[r];
    assign last_out_o[r] = l_w[r][Cols] & v_w[r][Cols];
  end
  for (genvar c = 0; c < $signed(Cols); c++) begin : g_top
    assign b_w[0][c] = b_i[c*8 +: 8];
  end
  for (genvar r = 0; r < $signed(Rows); r++) begin : g_row
    for (genvar c = 0; c < $signed(Cols); c++) begin : g_col
      chm_pe u_pe (
        .clk_i, .rst_ni,
        .a_i(a_w[r][c]), .b_i(b_w[r][c]),
        .valid_i(v_w[r][c]), .first_i(f_w[r][c]), .last_i(l_w[r][c]),
        .a_o(a_w[r][c+1]), .b_o(b_w[r+1][c]),
        .valid_o(v_w[r][c+1]), .first_o(f_w[r][c+1]), .last_o(l_w[r][c+1]),
        .shadow_o(shadow_o[(r*Cols + c)*32 +: 32])
      );
    end
  end
endmodule
