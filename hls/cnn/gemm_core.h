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

typedef int8_t gemm_a_tile[CNN_PE_ROWS][CNN_TILE_K];
typedef int8_t gemm_b_tile[CNN_TILE_K][CNN_PE_COLS];
typedef int32_t gemm_acc_tile[CNN_PE_ROWS][CNN_PE_COLS];

/* acc[r][c] += sum over k < kt of a[r][k] * b[k][c] for r < nr, c < nc. */
static inline void gemm_core_mac(const gemm_a_tile a, const gemm_b_tile b, gemm_acc_tile acc,
                                 int32_t kt, int32_t nr, int32_t nc)
{
#pragma HLS INLINE off
#pragma HLS ARRAY_PARTITION variable=a complete dim=1
#pragma HLS ARRAY_PARTITION variable=b complete dim=2
#pragma HLS ARRAY_PARTITION variable=acc complete dim=0
    const int32_t rows = GEMM_ACTIVE(nr, CNN_PE_ROWS);
    const int32_t cols = GEMM_ACTIVE(nc, CNN_PE_COLS);
    (void)nr;
    (void)nc;
gemm_k:
    for (int32_t k = 0; k < kt; k++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=CNN_TILE_K
#pragma HLS PIPELINE II=1
        const int8_t *bk = b[k];
    gemm_r:
        for (int32_t r = 0; r < rows; r++) {
#pragma HLS UNROLL
            const int32_t av = a[r][k];
            int32_t *accr = acc[r];
        gemm_c:
            for (int32_t c = 0; c < cols; c++) {
#pragma HLS UNROLL
                accr[c] += av * (int32_t)bk[c];
            }
        }
    }
}

#endif /* GEMM_CORE_H */
