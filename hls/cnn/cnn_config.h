/*
 * cnn_config.h - compile-time sizes of the CNN mode (one place for all).
 *
 * The default array is sized for one reconfigurable region of an Alveo U250
 * (XCU250: 11,508 DSP48E2 in 4 SLRs; a region of about one SLR gives ~2,800
 * DSPs, DS962). Two int8 MACs pack into one DSP48E2 (WP486), so the
 * 32 x 32 = 1,024-MAC array takes 512 DSPs and leaves room for the wider
 * accumulators; at 300 MHz it peaks at 614 GOP/s (2 ops a MAC).
 * Buffers: A tile 32 x 4096 B + B tile 4096 x 32 B, double-buffered = 512 KiB
 * of BRAM/URAM; the accumulators are 32 x 32 x 32 bit in registers. 4096 taps
 * hold every ResNet/VGG 3x3 layer (K <= 4,608) in at most two slices, the
 * depth at which one operand can stay in its buffer set from tile to tile
 * (rtl/cnn/chm_cnn_conv.sv, cnn_cycles.c).
 */
#ifndef CNN_CONFIG_H
#define CNN_CONFIG_H

#ifndef CNN_PE_ROWS
#define CNN_PE_ROWS 32 /* output pixels in flight (systolic rows) */
#endif
#ifndef CNN_PE_COLS
#define CNN_PE_COLS 32 /* output channels in flight (systolic columns) */
#endif
#ifndef CNN_TILE_K
#define CNN_TILE_K 4096 /* reduction depth one tile buffers (2^KBits in the RTL) */
#endif

/* Channels the pooling engine handles per cycle (one 64-byte AXI beat). */
#define CNN_POOL_LANES 64
/* Elements the add engine requantizes per cycle: a lane looks its two inputs
 * up in its tables and requantizes their sum (one MultiplyByQuantized-
 * Multiplier unit, 4 DSP48E2); 16 lanes read 32 and write 16 bytes a cycle,
 * about a DDR4 bank's sustained rate at 300 MHz. */
#define CNN_ADD_LANES 16
/* MultiplyByQuantizedMultiplier units an input that fill the add engine's
 * tables (256 entries an input) at the start of a call: 256 / 4 = 64 cycles,
 * under the first chunks' read latency (CNN_AXI_LATENCY). */
#define CNN_ADD_TABLE_UNITS 4
/* Cycles from ap_start to the first address of the pooling and add engines
 * (descriptor latch and sizes) and from their last response to ap_done. */
#define CNN_ENGINE_START 8

/*
 * Largest reduction depth (KH * KW * C / groups): keeps every int32
 * accumulator exact, since K * 128 * 128 + 128 * K * 127 < 2^31.
 */
#define CNN_MAX_K 32768
/* Largest spatial/channels extent a descriptor field may hold. */
#define CNN_MAX_DIM 65536
/* Largest kernel window side (conv and pool). */
#define CNN_MAX_KERNEL 32

/* m_axi data port width in bytes (512-bit AXI, as Vitis infers for DDR). */
#define CNN_AXI_BYTES 64
/* Cycles from issuing an AXI read burst to its first beat (DDR4, UG1352). */
#define CNN_AXI_LATENCY 64
/* AXI read bursts a port keeps in flight (Vitis HLS m_axi num_read_outstanding,
 * UG1399; the RTL fetchers' queue depth). With CNN_AXI_LATENCY cycles to the
 * first beat, a port moves at most this many bursts per latency: 16 (the
 * Vitis default) left every engine that reads short runs latency-bound (the
 * one-channel conv, the 1x1 stride-2 downsample, pooling, the add), so the
 * CNN ports ask for 64, and cap a burst at CNN_AXI_MAX_BURST beats
 * (max_read_burst_length) to keep the m_axi adapter's read buffer,
 * outstanding x burst x 64 bytes (UG1399), at the default's 64 KiB. */
#define CNN_AXI_OUTSTANDING 64
#define CNN_AXI_MAX_BURST 16
/* Cycles of one sequential 32-bit division (the address generators' divider). */
#define CNN_DIV_CYCLES 33
/* Cycles of the pooling engine's dividers (an average pool's chunk): an
 * average of int8 values has an 8-bit magnitude, so 8 quotient bits and the
 * start (chm_divider QBits = 8). */
#define CNN_POOL_DIV_CYCLES 9

#endif /* CNN_CONFIG_H */
