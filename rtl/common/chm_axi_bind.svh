// chm_axi_bind.svh - bindings of the engines' shared AXI masters (the port
// list in chm_cnn_ports.svh) to the ports of chm_run_fetch / chm_run_write:
// one text for every engine that hands a master over whole.
`ifndef CHM_AXI_BIND_SVH
`define CHM_AXI_BIND_SVH
`define CHM_BIND_M0 \
    .m_araddr_o(m0_araddr_o), .m_arlen_o(m0_arlen_o), .m_arvalid_o(m0_arvalid_o), \
    .m_arready_i(m0_arready_i), .m_rdata_i(m0_rdata_i), .m_rlast_i(m0_rlast_i), \
    .m_rvalid_i(m0_rvalid_i), .m_rready_o(m0_rready_o)
`define CHM_BIND_M1 \
    .m_araddr_o(m1_araddr_o), .m_arlen_o(m1_arlen_o), .m_arvalid_o(m1_arvalid_o), \
    .m_arready_i(m1_arready_i), .m_rdata_i(m1_rdata_i), .m_rlast_i(m1_rlast_i), \
    .m_rvalid_i(m1_rvalid_i), .m_rready_o(m1_rready_o)
`define CHM_BIND_M2 \
    .m_awaddr_o(m2_awaddr_o), .m_awlen_o(m2_awlen_o), .m_awvalid_o(m2_awvalid_o), \
    .m_awready_i(m2_awready_i), .m_wdata_o(m2_wdata_o), .m_wstrb_o(m2_wstrb_o), \
    .m_wlast_o(m2_wlast_o), .m_wvalid_o(m2_wvalid_o), .m_wready_i(m2_wready_i), \
    .m_bvalid_i(m2_bvalid_i), .m_bready_o(m2_bready_o)
`endif
