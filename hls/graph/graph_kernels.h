/*
 * graph_kernels.h - the GRAPH mode: one GCN-family layer a call, HyGCN style.
 *
 * Aggregation engine: one SIMD core of GRAPH_LANES 32-bit lanes (64 int8
 * features: a bus word) walks a destination block's edges (graph_format.h),
 * an edge a cycle per segment of its feature row, and reduces source rows
 * into the block's accumulators. Source rows
 * come in through a window of GRAPH_WINDOW rows that slides to the next
 * source with an edge into the block and shrinks back to the last one
 * (HyGCN §4.2: rows with no edge in the window are never loaded).
 * Combination engine: the CNN mode's systolic core (gemm_core.h), int8 or an
 * fp32 instantiation, multiplies a block's aggregated rows by the weights.
 * The two engines are pipelined through a ping-pong buffer of two blocks;
 * the weights are resident on chip (GRAPH_WBUF_BYTES), read once a call.
 *
 * Orders (the runtime picks one per layer by the cycle model):
 *   AC  aggregate, then combine: out = act(agg(X) W^T + b), block by block,
 *       both engines busy at once;
 *   CA  combine, then aggregate: T = X W^T over all vertices into scratch,
 *       then out = act(agg(T) + b). Only for linear aggregators (sum, mean)
 *       and GCN layers; the phases cannot overlap (aggregation needs all of T).
 */
#ifndef GRAPH_KERNELS_H
#define GRAPH_KERNELS_H

#include <stdint.h>

#include "cnn_config.h"
#include "graph_format.h"

#define GRAPH_LANES 16        /* 32-bit lanes of the core: one 64-byte beat */
#define GRAPH_WINDOW 64       /* source rows the window buffer holds */
#define GRAPH_MAX_F 4096      /* widest feature row (in, hidden, out): Citeseer's 3,703 */
#define GRAPH_MAX_DEG 65535   /* keeps int8 sums exact: 65535 * 127 * 255 < 2^31 */
/* Resident weights (the combination engine's column banks; rtl/graph WBytes). */
#define GRAPH_WBUF_BYTES 524288
/* fp32 combination: the core instantiated 32 rows x 8 columns of fp32 MACs
 * (an fp32 MAC takes ~2 DSP48E2 plus fabric; 256 of them fit the budget the
 * int8 array's 1,024 take). K slices of GRAPH_TILE_K_F32. */
#define GRAPH_CE_COLS_F32 8
#define GRAPH_TILE_K_F32 1024

typedef enum { GRAPH_GCN = 0, GRAPH_SAGE = 1, GRAPH_GIN = 2 } graph_kind;
typedef enum { GRAPH_SUM = 0, GRAPH_MEAN = 1, GRAPH_MAX = 2 } graph_aggr;
typedef enum { GRAPH_AC = 0, GRAPH_CA = 1 } graph_order;

/*
 * One layer. f: input features; o: outputs; h: GIN's hidden width.
 * Weights: GCN [o][f]; SAGE [o][2f] (neighbour columns, then self);
 * GIN w [h][f] then w2 [o][h]. Biases are fp32 (int8: quantized once per
 * call to the accumulator's scale, round half away from zero).
 */
typedef struct graph_desc {
    int32_t n, f, o, h;
    int32_t kind, aggr, order, relu, int8;
    int32_t has_bias, has_bias2;
    /* int8 only: zero points, and the multipliers (Q31 + shift) of each stage. */
    int32_t in_zp, mid_zp, hid_zp, out_zp;
    int32_t agg_mult, agg_shift;   /* AC, SUM: aggregation acc -> mid */
    int32_t comb_mult, comb_shift; /* AC: combination acc -> out (GIN: -> hidden); CA: -> mid */
    int32_t fin_mult, fin_shift;   /* CA: aggregation acc -> out; GIN: 2nd combination -> out */
    float bias_inv_scale;          /* 1 / scale of the accumulator bias joins */
    float bias2_inv_scale;
} graph_desc;

/*
 * One top a feature type (d.int8 says which the layer is): feat [n][f];
 * w, w2 of the same type; bias, bias2: float; out: [n][o]; scratch: [n][o]
 * elements (CA only).
 */
void graph_layer_f32(const uint8_t *gblob, const float *feat, const float *w, const float *bias,
                     const float *w2, const float *bias2, float *out, float *scratch, graph_desc d);
void graph_layer_i8(const uint8_t *gblob, const int8_t *feat, const int8_t *w, const float *bias,
                    const int8_t *w2, const float *bias2, int8_t *out, int8_t *scratch, graph_desc d);

/*
 * The windows of block b (its edges and blk_ptr must be in place): returns
 * how many; rows (if not NULL) gets the source rows each one loads.
 */
uint64_t graph_windows(const uint8_t *gblob, uint32_t b, uint32_t *rows);

typedef struct graph_cost {
    uint64_t cycles;          /* the whole call */
    uint64_t agg_cycles;      /* aggregation engine busy */
    uint64_t comb_cycles;     /* combination engine busy */
    uint64_t macs;            /* combination MACs + aggregation edge x feature ops */
    uint64_t feature_bytes;   /* source rows loaded by the windows */
    uint64_t rows_loaded;     /* source rows loaded (after sliding and shrinking) */
    uint64_t rows_dense;      /* rows a window sweep without sliding/shrinking would load */
    uint64_t windows;
} graph_cost;

/* Cycle model of graph_layer in the order d->order, from the blob's real edges. */
graph_cost graph_layer_cost(const graph_desc *d, const uint8_t *gblob, double bank_bytes_per_cycle);

#endif /* GRAPH_KERNELS_H */
