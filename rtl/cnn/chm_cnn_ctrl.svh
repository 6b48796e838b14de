// chm_cnn_ctrl.svh - the control block every CNN engine shares (a fragment
// of a module body): the Vitis HLS ap_ctrl_hs slave over the engine's
// register map (W argument words, from the generated *_regs.svh) and
// accessors for a 32-bit or a 64-bit (pointer) argument word.
logic [W*32-1:0] args;
logic ap_start, ap_ready, ap_done, ap_idle;
chm_axil_ctrl #(.NumWords(W)) u_ctrl (
  .clk_i, .rst_ni, .s_awaddr_i, .s_awvalid_i, .s_awready_o, .s_wdata_i, .s_wstrb_i,
  .s_wvalid_i, .s_wready_o, .s_bresp_o, .s_bvalid_o, .s_bready_i, .s_araddr_i, .s_arvalid_i,
  .s_arready_o, .s_rdata_o, .s_rresp_o, .s_rvalid_o, .s_rready_i,
  .ap_start_o(ap_start), .ap_ready_i(ap_ready), .ap_done_i(ap_done), .ap_idle_i(ap_idle),
  .args_o(args), .interrupt_o
);
function automatic logic [31:0] arg32(input int unsigned word);
  arg32 = args[word*32 +: 32];
endfunction
function automatic logic [63:0] arg64(input int unsigned word);
  arg64 = {args[(word+1)*32 +: 32], args[word*32 +: 32]};
endfunction
