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

/*
 * One definition of the core for any element type: NAME(a, b, acc, kt, nr,
 * nc) does acc[r][c] += sum over k < kt of a[r][k] * b[c][k], one k per
 * cycle, all PEs at once. The CNN mode instantiates it for int8 (below);
 * the GRAPH mode's combination engine instantiates the same core again
 * for int8 and for fp32 (graph_layer.c).
 */
#ifdef __SYNTHESIS__
#define GEMM_CORE_DEFINE(NAME, T, ACC, ROWS, COLS, TK, DOT)                                  \
    static inline void NAME(const T a[ROWS][TK], const T b[COLS][TK], ACC acc[ROWS][COLS],    \
                            int32_t kt, int32_t nr, int32_t nc)                              \
    {                                                                                        \
        _Pragma("HLS INLINE off")                                                            \
        _Pragma("HLS ARRAY_PARTITION variable=a complete dim=1")                             \
        _Pragma("HLS ARRAY_PARTITION variable=b complete dim=1")                             \
        _Pragma("HLS ARRAY_PARTITION variable=acc complete dim=0")                           \
        (void)nr;                                                                            \
        (void)nc;                                                                            \
        for (int32_t k = 0; k < kt; k++) {                                                   \
            _Pragma("HLS LOOP_TRIPCOUNT min=1 max=4096")                                     \
            _Pragma("HLS PIPELINE II=1")                                                     \
            for (int32_t r = 0; r < ROWS; r++) {                                             \
                _Pragma("HLS UNROLL")                                                        \
                for (int32_t c = 0; c < COLS; c++) {                                         \
                    _Pragma("HLS UNROLL")                                                    \
                    acc[r][c] += (ACC)a[r][k] * (ACC)b[c][k];                                \
                }                                                                            \
            }                                                                                \
        }                                                                                    \
    }
#else
/*
 * Native emulation computes the same sums one array row at a time:
 * ROW(acc_row, a_row, b, kt, nc) continues the running sums of the nc PEs
 * of a row, each over k in k order, exactly as the PEs accumulate, so
 * integer results are identical and fp32 results round in the same order
 * as the hardware's. How ROW walks the row is the host's business (int8:
 * one vectorized dot product a PE; fp32: all PEs of the row side by side).
 */
#define GEMM_CORE_DEFINE(NAME, T, ACC, ROWS, COLS, TK, ROW)                                  \
    static inline void NAME(const T a[ROWS][TK], const T b[COLS][TK], ACC acc[ROWS][COLS],    \
                            int32_t kt, int32_t nr, int32_t nc)                              \
    {                                                                                        \
        for (int32_t r = 0; r < nr; r++)                                                     \
            ROW(acc[r], a[r], b, kt, nc);                                                    \
    }
#endif

#ifdef __SYNTHESIS__
GEMM_CORE_DEFINE(gemm_core_mac, int8_t, int32_t, CNN_PE_ROWS, CNN_PE_COLS, CNN_TILE_K, unused)
#else
/* A whole tile on the host: acc[r][c] += a[r] . b[c] over k < kt, r < nr, c < nc; a's and
 * b's rows ld bytes apart, acc's ldacc words (AVX-512 VNNI when the host has it; gemm_dot.c). */
void gemm_tile_i8_host(int32_t *acc, int32_t ldacc, const int8_t *a, const int8_t *b, int32_t ld,
                       int32_t kt, int32_t nr, int32_t nc);

static inline void gemm_core_mac(const int8_t a[CNN_PE_ROWS][CNN_TILE_K],
                                 const int8_t b[CNN_PE_COLS][CNN_TILE_K],
                                 int32_t acc[CNN_PE_ROWS][CNN_PE_COLS], int32_t kt, int32_t nr,
                                 int32_t nc)
{
    gemm_tile_i8_host(&acc[0][0], CNN_PE_COLS, &a[0][0], &b[0][0], CNN_TILE_K, kt, nr, nc);
}
#endif

#endif /* GEMM_CORE_H */
