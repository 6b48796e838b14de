// chm_tile_walk - the order in which chm_cnn_conv's machines visit the work:
// per group, output tiles of Rows pixels x Cols channels, each in K slices
// of ks_i taps. Fetch A, fetch B and the compute each keep one walker and
// step it once per slice, so all three agree on which slice comes next.
//
// n_outer_i picks the tile order: pixel tiles inside channel tiles (the
// weights of a channel tile stay in their buffer while the pixel tiles
// stream past) or channel tiles inside pixel tiles (the input rows stay
// while the weights stream). The engine chooses the one whose inner loop is
// longer; see chm_cnn_conv.
module chm_tile_walk #(
  parameter int unsigned Rows = 8
) (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        start_i,      // back to the first slice
  input  logic        step_i,       // on to the next slice
  input  logic        n_outer_i,
  input  logic [31:0] groups_i,
  input  logic [31:0] mm_i,         // output pixels (GEMM rows)
  input  logic [31:0] col_tiles_i,
  input  logic [31:0] kk_i,         // taps (GEMM depth)
  input  logic [31:0] ks_i,         // taps a slice
  output logic [31:0] g_o,
  output logic [31:0] m0_o,         // first pixel of the tile
  output logic [31:0] nt_o,         // channel tile
  output logic [31:0] k0_o,         // first tap of the slice
  output logic        last_slice_o, // the tile's last slice
  output logic        last_o        // the walk's last slice
);
  logic m_last, n_last, g_last;
  always_comb begin
    last_slice_o = k0_o + ks_i >= kk_i;
    m_last = m0_o + Rows >= mm_i;
    n_last = nt_o + 1 >= col_tiles_i;
    g_last = g_o + 1 >= groups_i;
    last_o = last_slice_o && m_last && n_last && g_last;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      g_o <= '0; m0_o <= '0; nt_o <= '0; k0_o <= '0;
    end else if (start_i) begin
      g_o <= '0; m0_o <= '0; nt_o <= '0; k0_o <= '0;
    end else if (step_i) begin
      if (!last_slice_o) begin
        k0_o <= k0_o + ks_i;
      end else begin
        k0_o <= '0;
        if (n_outer_i ? !m_last : !n_last) begin          // the inner loop goes on
          if (n_outer_i) m0_o <= m0_o + Rows;
          else nt_o <= nt_o + 1;
        end else begin
          if (n_outer_i) m0_o <= '0;
          else nt_o <= '0;
          if (n_outer_i ? !n_last : !m_last) begin        // the outer loop goes on
            if (n_outer_i) nt_o <= nt_o + 1;
            else m0_o <= m0_o + Rows;
          end else begin
            if (n_outer_i) nt_o <= '0;
            else m0_o <= '0;
            g_o <= g_last ? '0 : g_o + 1;
          end
        end
      end
    end
  end
endmodule
