/*
 * rtl_sim.h - the overlay's engines in RTL, simulated cycle by cycle by
 * Verilator, behind a C interface: the AXI4-Lite control port as registers,
 * and the AXI4 master ports served by a memory model of the card's banks.
 *
 * The C++ side (rtl_sim.cpp) wraps the Verilated classes; nothing else in
 * the SDK sees C++.
 */
#ifndef CHM_RTL_SIM_H
#define CHM_RTL_SIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Card memory as the engines see it: bank allocator addresses. */
typedef struct rtl_mem {
    void *ctx;
    /* Host bytes behind [addr, addr + len), or NULL if no buffer holds all of them. */
    uint8_t *(*map)(void *ctx, uint64_t addr, uint64_t len);
    /* The bank an address falls in (for its timing), or -1. */
    int (*bank_of)(void *ctx, uint64_t addr);
} rtl_mem;

/*
 * A bank's timing: beats of 64 bytes it moves per kernel cycle (its
 * bandwidth over the kernel clock, shared by every port using it), and the
 * cycles from a burst's address to its first data (read) or from its last
 * data to the write response.
 */
typedef struct rtl_bank_timing {
    double beats_per_cycle;
    uint32_t read_latency;
    uint32_t write_latency;
} rtl_bank_timing;

#define RTL_MAX_BANKS 40

typedef struct rtl_stats {
    uint64_t cycles;         /* from ap_start to ap_done */
    uint64_t beats_read, beats_written;
    uint64_t bursts_read, bursts_written;
    uint64_t read_stall_cycles; /* cycles a read beat was ready but the bank had no bandwidth */
    /* AXI4 rules the masters broke (the memory model checks every burst, as a protocol
     * checker on a card's interconnect would): a burst crossing a 4 KiB boundary
     * (IHI 0022, A3.4.1), a W beat with WLAST where the burst does not end or without it
     * where it does. Any of them makes the backend fail the operation. */
    uint64_t axi_4k_crossings, axi_wlast_errors;
} rtl_stats;

typedef struct rtl_engine rtl_engine;

/* Array sizes built (e.g. 8 and 32); an engine of another size cannot be made. */
int rtl_engine_sizes(int *sizes, int max);

/* The engines: one kernel of a mode each, with its own register map (rtl/regmap). */
typedef enum rtl_kind {
    RTL_CNN_CONV, /* cnn_conv2d: a pe x pe systolic array */
    RTL_CNN_POOL, /* cnn_pool: max / average pooling, 64 lanes */
    RTL_CNN_ADD,  /* cnn_add: quantized element-wise add, 16 lanes */
    RTL_SPARSE,   /* sparse_layer: Cambricon-X and -S weights */
    RTL_GRAPH,    /* graph_layer_i8: aggregation engine + a 32 x pe combination array */
} rtl_kind;

/* An engine, reset; NULL if out of memory or (conv, graph) that array size is not
 * built. pe matters for the conv and graph engines only. */
rtl_engine *rtl_engine_new(rtl_kind kind, int pe);
/* The CNN convolution engine with a pe x pe array: rtl_engine_new(RTL_CNN_CONV, pe). */
rtl_engine *rtl_engine_new_cnn_conv(int pe);
void rtl_engine_free(rtl_engine *e);

/* Holds reset for a few cycles: registers to 0, the engine idle. */
void rtl_engine_reset(rtl_engine *e);

/* One AXI4-Lite write / read; returns the response (0 OKAY, 2 SLVERR). */
int rtl_reg_write(rtl_engine *e, uint32_t addr, uint32_t value);
int rtl_reg_read(rtl_engine *e, uint32_t addr, uint32_t *value);

/*
 * Clocks the engine (started by a write of ap_start) with mem and banks
 * serving its masters, until it raises its interrupt (GIE and IER bit 0 must
 * be set: the done interrupt) or max_cycles pass. Returns 0 and fills *st,
 * or -1 on timeout (the engine is left running: reset it).
 */
int rtl_run(rtl_engine *e, const rtl_mem *mem, const rtl_bank_timing *banks, int n_banks,
            uint64_t max_cycles, rtl_stats *st);

/*
 * The engine's tile buffers with their on-chip memory rail below the safe
 * voltage: frac of their cells are weak (0: none), at positions seeded by
 * seed (fixed per card and region), and each byte written through a weak
 * cell keeps the flipped bit. With ecc, the built-in SECDED over 72-bit
 * words (8 bytes of a row and address + 8 check bits): one weak cell in the
 * word is corrected, two detected (the run's result must not be used),
 * more pass as written. Applies to the conv engine's A and B buffers and
 * the GRAPH combination's; counted since the engine was made.
 */
typedef struct rtl_fault_counts {
    uint64_t injected, corrected, detected, undetected; /* bits written through weak cells */
} rtl_fault_counts;
void rtl_engine_set_faults(rtl_engine *e, double frac, uint64_t seed, int ecc);
void rtl_engine_fault_counts(const rtl_engine *e, rtl_fault_counts *out);

/* Clocks n cycles with no memory traffic expected (protocol tests). */
void rtl_clock(rtl_engine *e, uint64_t n);

/*
 * The output stage's arithmetic units alone (rtl/sim/chm_quant_probe.sv):
 * one evaluation of chm_mbqm and chm_f32rule on (acc, mult, shift) and of
 * chm_requant with both rules and with TFLite's only on all the inputs.
 */
typedef struct rtl_quant_in {
    int32_t acc;
    int64_t off; /* 34-bit signed */
    int32_t mult, shift, out_zp, act_min, act_max;
} rtl_quant_in;
typedef struct rtl_quant_out {
    int32_t mbqm, f32;
    int8_t out, out_fixed;
} rtl_quant_out;
typedef struct rtl_quant_probe rtl_quant_probe;
rtl_quant_probe *rtl_quant_probe_new(void);
void rtl_quant_probe_eval(rtl_quant_probe *p, const rtl_quant_in *in, rtl_quant_out *out);
void rtl_quant_probe_free(rtl_quant_probe *p);

#ifdef __cplusplus
}
#endif

#endif /* CHM_RTL_SIM_H */
