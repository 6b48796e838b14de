/*
 * gemm_core.h - the output-stationary systolic int8 GEMM array.
 *
 * CNN_PE_ROWS x CNN_PE_COLS processing elements; PE (r, c) owns the int32
 * accumulator of one output pixel r and one output channel c. Each cycle one
 * reduction step k enters: A's column k flows right along the rows, B's row k
 * flows down the columns, every PE does one MAC. Filling and draining the
 * wavefront costs PE_ROWS + PE_COLS cycles per tile (cnn_cycles.c counts it).
 *
 * The GRAPH mode's combination engine instantiates this same core.
 */
#ifndef GEMM_CORE_H
#define GEMM_CORE_H

#include <stdint.h>

#include "cnn_config.h"

/*
 * Native emulation runs only the rows/columns a tile really uses; in
 * hardware the idle PEs compute on zeros, and their results are never
 * stored, so both give the same stored output.
 */
#ifdef __SYNTHESIS__
#define GEMM_ACTIVE(n, full) (full)
#else
#define GEMM_ACTIVE(n, full) (n)
#endif

/* A: one row of taps per output pixel; B: one row of taps per output channel. */
typedef int8_t gemm_a_tile[CNN_PE_ROWS][CNN_TILE_K];
typedef int8_t gemm_b_tile[CNN_PE_COLS][CNN_TILE_K];
typedef int32_t gemm_acc_tile[CNN_PE_ROWS][CNN_PE_COLS];

#ifdef __SYNTHESIS__
/* acc[r][c] += sum over k < kt of a[r][k] * b[c][k]: one k per cycle, all PEs at once. */
static inline void gemm_core_mac(const gemm_a_tile a, const gemm_b_tile b, gemm_acc_tile acc,
                                 int32_t kt, int32_t nr, int32_t nc)
{
#pragma HLS INLINE off
#pragma HLS ARRAY_PARTITION variable=a complete dim=1
#pragma HLS ARRAY_PARTITION variable=b complete dim=1
#pragma HLS ARRAY_PARTITION variable=acc complete dim=0
    (void)nr;
    (void)nc;
gemm_k:
    for (int32_t k = 0; k < kt; k++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=CNN_TILE_K
#pragma HLS PIPELINE II=1
    gemm_r:
        for (int32_t r = 0; r < CNN_PE_ROWS; r++) {
#pragma HLS UNROLL
        gemm_c:
            for (int32_t c = 0; c < CNN_PE_COLS; c++) {
#pragma HLS UNROLL
                acc[r][c] += (int32_t)a[r][k] * (int32_t)b[c][k];
            }
        }
    }
}
#else
/*
 * Native emulation computes the same sums PE by PE (each PE's dot product
 * over k) instead of k by k: integer addition is exact, so the stored
 * results are identical, and the dot products vectorize on the host CPU.
 */
int32_t gemm_dot_i8(const int8_t *a, const int8_t *b, int32_t n);

static inline void gemm_core_mac(const gemm_a_tile a, const gemm_b_tile b, gemm_acc_tile acc,
                                 int32_t kt, int32_t nr, int32_t nc)
{
    for (int32_t r = 0; r < nr; r++)
        for (int32_t c = 0; c < nc; c++)
            acc[r][c] += gemm_dot_i8(a[r], b[c], kt);
}
#endif

#endif /* GEMM_CORE_H */
