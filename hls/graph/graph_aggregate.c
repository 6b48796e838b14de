/*
 * graph_aggregate.c - the GRAPH mode's aggregation engine.
 *
 * For one destination block it walks the block's edges (sorted by source)
 * window by window. A window starts at the next source that has an edge into
 * the block (sliding: empty rows before it are skipped) and ends at the last
 * such source less than GRAPH_WINDOW rows further on (shrinking: empty rows
 * after it are not loaded). load_window bursts that contiguous run of
 * feature rows into the window buffer once; then every edge of the window
 * reduces its source row into its destination's accumulator, GRAPH_LANES
 * 32-bit lanes (64 int8 features) a cycle across the feature row, one edge
 * at a time (HyGCN §4.2 has several such cores side by side; this engine
 * has one, and the cycle model counts one).
 *
 * Reduction order (what fp32 results depend on): a destination's edges are
 * reduced in ascending source order, each as acc += w * x (no FMA); MEAN
 * divides the sum by the in-degree at the end. int8 sums are exact.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "graph_engines.h"
#include "hls_bytes.h"
#include "hls_native.h"

/* Header fields and array elements of the blob, read through its byte port (hls_bytes.h). */
#define HDR_U32(blob, field) hls_rd_u32((blob) + offsetof(graph_hdr, field))
#define HDR_U64(blob, field) hls_rd_u64((blob) + offsetof(graph_hdr, field))

/* The edges [e, *e_end) of the window starting at source src[e] (src: the u32 array's bytes). */
static uint64_t window_end(const uint8_t *src, uint64_t e, uint64_t e1)
{
    const uint32_t limit = hls_rd_u32(src + 4 * e) + GRAPH_WINDOW;
    uint64_t end = e;
window_scan:
    while (end < e1 && hls_rd_u32(src + 4 * end) < limit) {
#pragma HLS PIPELINE II=1
        end++;
    }
    return end;
}

uint64_t graph_windows(const uint8_t *blob, uint32_t b, uint32_t *rows)
{
    const uint8_t *ptr = blob + GRAPH_OFF_PTR;
    const uint8_t *src = blob + HDR_U64(blob, off_src);
    const uint64_t e1 = hls_rd_u64(ptr + 8 * ((uint64_t)b + 1));
    uint64_t count = 0;
    for (uint64_t e = hls_rd_u64(ptr + 8 * (uint64_t)b); e < e1;) {
        const uint64_t end = window_end(src, e, e1);
        if (rows)
            rows[count] = hls_rd_u32(src + 4 * (end - 1)) - hls_rd_u32(src + 4 * e) + 1;
        count++;
        e = end;
    }
    return count;
}

/* Block b's edges and the arrays both aggregators read (graph_format.h). */
typedef struct block_edges {
    const uint8_t *src, *deg, *w; /* u32, u32 and float arrays, read a byte at a time */
    const uint8_t *dst;
    const int8_t *wq;
    uint64_t e0, e1;
    int32_t v0, nv; /* first vertex, vertices in the block */
} block_edges;

static block_edges edges_of(const uint8_t *blob, int32_t b)
{
    const uint8_t *ptr = blob + GRAPH_OFF_PTR;
    const int32_t v0 = b * GRAPH_BLOCK, left = (int32_t)HDR_U32(blob, n) - v0;
    return (block_edges){ blob + HDR_U64(blob, off_src), blob + HDR_U64(blob, off_deg),
                          blob + HDR_U64(blob, off_w), blob + HDR_U64(blob, off_dst),
                          (const int8_t *)(blob + HDR_U64(blob, off_wq)),
                          hls_rd_u64(ptr + 8 * (uint64_t)b), hls_rd_u64(ptr + 8 * ((uint64_t)b + 1)), v0,
                          left < GRAPH_BLOCK ? left : GRAPH_BLOCK };
}

/*
 * Natively each aggregator is built twice, for AVX-512 and for the baseline
 * ISA (hls_native_isa() picks; the lanes are independent, so the sums are
 * the same): AGG_BODY marks the one body both copies inline.
 */
#ifdef __SYNTHESIS__
#define AGG_BODY(name) void name
#else
#define AGG_BODY(name) static inline __attribute__((always_inline)) void name##_body
#endif

AGG_BODY(graph_aggregate_f32)(const uint8_t *blob, int32_t b, const float *x, int32_t width,
                                   int32_t aggr, float acc[GRAPH_BLOCK][GRAPH_MAX_K])
{
    const block_edges be = edges_of(blob, b);
    const uint8_t *src = be.src, *deg = be.deg;
    const uint8_t *dst = be.dst;
    const uint8_t *w = be.w;
    static const float lowest = -INFINITY;
    int32_t seen[GRAPH_BLOCK] = { 0 };
    for (int32_t r = 0; r < GRAPH_BLOCK; r++)
        for (int32_t f = 0; f < width; f++)
            acc[r][f] = aggr == GRAPH_MAX ? lowest : 0.0f;
#ifdef __SYNTHESIS__
    float win[GRAPH_WINDOW][GRAPH_MAX_F];
#endif
    uint64_t e = be.e0;
agg_windows:
    while (e < be.e1) {
#pragma HLS LOOP_TRIPCOUNT min=0 max=1024
        const uint64_t end = window_end(src, e, be.e1);
        const uint32_t first = hls_rd_u32(src + 4 * e), rows = hls_rd_u32(src + 4 * (end - 1)) - first + 1;
#ifdef __SYNTHESIS__
    load_window: /* one burst of rows x width, 16 floats a beat */
        for (uint32_t r = 0; r < rows; r++)
            memcpy(win[r], x + (uint64_t)(first + r) * (uint32_t)width, (size_t)width * sizeof(float));
        const float *base = &win[0][0];
        const uint64_t ld = GRAPH_MAX_F;
#else
        (void)rows; /* natively the rows are read where they are: the window only copies them */
        const float *base = x + (uint64_t)first * (uint32_t)width;
        const uint64_t ld = (uint32_t)width;
#endif
    agg_edges:
        for (; e < end; e++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=GRAPH_WINDOW
            const float *row = base + (hls_rd_u32(src + 4 * e) - first) * ld;
            float *a = acc[dst[e]];
            seen[dst[e]] = 1;
            const float we = aggr == GRAPH_SUM ? hls_rd_f32(w + 4 * e) : 1.0f;
        agg_lanes: /* the reduction is chosen per call: one loop each, no branch a lane */
            if (aggr == GRAPH_MAX) {
                for (int32_t f = 0; f < width; f++) {
#pragma HLS PIPELINE II=1
#pragma HLS UNROLL factor=GRAPH_LANES
                    a[f] = row[f] > a[f] ? row[f] : a[f];
                }
            } else if (aggr == GRAPH_SUM) {
                for (int32_t f = 0; f < width; f++) {
#pragma HLS PIPELINE II=1
#pragma HLS UNROLL factor=GRAPH_LANES
                    a[f] += we * row[f];
                }
            } else {
                for (int32_t f = 0; f < width; f++) {
#pragma HLS PIPELINE II=1
#pragma HLS UNROLL factor=GRAPH_LANES
                    a[f] += row[f];
                }
            }
        }
    }
    const int32_t v0 = be.v0;
agg_finish:
    for (int32_t r = 0; r < be.nv; r++) {
        for (int32_t f = 0; f < width; f++) {
#pragma HLS PIPELINE II=1
            if (aggr == GRAPH_MEAN && hls_rd_u32(deg + 4 * (v0 + r)))
                acc[r][f] /= (float)hls_rd_u32(deg + 4 * (v0 + r));
            else if (aggr == GRAPH_MAX && !seen[r])
                acc[r][f] = 0.0f; /* no in-edges: 0, as PyG's max */
        }
    }
}

/* (x - zp) rounded mean: half away from zero, as the reference says. */
static int32_t div_round(int32_t s, uint32_t d)
{
    const int64_t q = ((int64_t)(s < 0 ? -s : s) * 2 + d) / (2 * (int64_t)d);
    return (int32_t)(s < 0 ? -q : q);
}

AGG_BODY(graph_aggregate_i8)(const uint8_t *blob, int32_t b, const int8_t *x, int32_t width,
                                  int32_t zp, int32_t aggr, int32_t acc[GRAPH_BLOCK][GRAPH_MAX_K])
{
    const block_edges be = edges_of(blob, b);
    const uint8_t *src = be.src, *deg = be.deg;
    const uint8_t *dst = be.dst;
    const int8_t *wq = be.wq;
    int32_t seen[GRAPH_BLOCK] = { 0 };
    for (int32_t r = 0; r < GRAPH_BLOCK; r++)
        for (int32_t f = 0; f < width; f++)
            acc[r][f] = aggr == GRAPH_MAX ? INT32_MIN : 0;
#ifdef __SYNTHESIS__
    int8_t win[GRAPH_WINDOW][GRAPH_MAX_F];
#endif
    uint64_t e = be.e0;
agg_windows:
    while (e < be.e1) {
#pragma HLS LOOP_TRIPCOUNT min=0 max=1024
        const uint64_t end = window_end(src, e, be.e1);
        const uint32_t first = hls_rd_u32(src + 4 * e), rows = hls_rd_u32(src + 4 * (end - 1)) - first + 1;
#ifdef __SYNTHESIS__
    load_window: /* one burst of rows x width, 64 int8 features a beat */
        for (uint32_t r = 0; r < rows; r++)
            memcpy(win[r], x + (uint64_t)(first + r) * (uint32_t)width, (size_t)width);
        const int8_t *base = &win[0][0];
        const uint64_t ld = GRAPH_MAX_F;
#else
        (void)rows; /* natively the rows are read where they are: the window only copies them */
        const int8_t *base = x + (uint64_t)first * (uint32_t)width;
        const uint64_t ld = (uint32_t)width;
#endif
    agg_edges:
        for (; e < end; e++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=GRAPH_WINDOW
            const int8_t *row = base + (hls_rd_u32(src + 4 * e) - first) * ld;
            int32_t *a = acc[dst[e]];
            const int32_t we = aggr == GRAPH_SUM ? wq[e] : 1;
            seen[dst[e]] = 1;
        agg_lanes:
            if (aggr == GRAPH_MAX) {
                for (int32_t f = 0; f < width; f++) {
#pragma HLS PIPELINE II=1
#pragma HLS UNROLL factor=64
                    const int32_t v = row[f] - zp;
                    a[f] = v > a[f] ? v : a[f];
                }
            } else {
                for (int32_t f = 0; f < width; f++) {
#pragma HLS PIPELINE II=1
#pragma HLS UNROLL factor=64
                    a[f] += we * (row[f] - zp);
                }
            }
        }
    }
    const int32_t v0 = be.v0;
agg_finish:
    for (int32_t r = 0; r < be.nv; r++) {
        for (int32_t f = 0; f < width; f++) {
#pragma HLS PIPELINE II=1
            if (aggr == GRAPH_MEAN && hls_rd_u32(deg + 4 * (v0 + r)))
                acc[r][f] = div_round(acc[r][f], hls_rd_u32(deg + 4 * (v0 + r)));
            else if (aggr == GRAPH_MAX && !seen[r])
                acc[r][f] = 0;
        }
    }
}

#ifndef __SYNTHESIS__
#if defined(__x86_64__) && defined(__GNUC__)
#define AGG_WIDE __attribute__((target("avx512f,avx512bw")))
#else
#define AGG_WIDE
#endif

AGG_WIDE static void f32_wide(const uint8_t *blob, int32_t b, const float *x, int32_t width,
                              int32_t aggr, float acc[GRAPH_BLOCK][GRAPH_MAX_K])
{
    graph_aggregate_f32_body(blob, b, x, width, aggr, acc);
}

AGG_WIDE static void i8_wide(const uint8_t *blob, int32_t b, const int8_t *x, int32_t width,
                             int32_t zp, int32_t aggr, int32_t acc[GRAPH_BLOCK][GRAPH_MAX_K])
{
    graph_aggregate_i8_body(blob, b, x, width, zp, aggr, acc);
}

void graph_aggregate_f32(const uint8_t *blob, int32_t b, const float *x, int32_t width,
                         int32_t aggr, float acc[GRAPH_BLOCK][GRAPH_MAX_K])
{
    if (hls_native_isa() == HLS_ISA_AVX512)
        f32_wide(blob, b, x, width, aggr, acc);
    else
        graph_aggregate_f32_body(blob, b, x, width, aggr, acc);
}

void graph_aggregate_i8(const uint8_t *blob, int32_t b, const int8_t *x, int32_t width,
                        int32_t zp, int32_t aggr, int32_t acc[GRAPH_BLOCK][GRAPH_MAX_K])
{
    if (hls_native_isa() == HLS_ISA_AVX512)
        i8_wide(blob, b, x, width, zp, aggr, acc);
    else
        graph_aggregate_i8_body(blob, b, x, width, zp, aggr, acc);
}
#endif
