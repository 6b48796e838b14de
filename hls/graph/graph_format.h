/*
 * graph_format.h - the graph as the GRAPH mode's aggregation engine reads it.
 *
 * The n x n adjacency A (A[v][u]: the weight of edge u -> v, so row v lists
 * the vertices v aggregates from) is cut into destination blocks of
 * GRAPH_BLOCK vertices, the rows one pass of the combination engine takes.
 * A block's edges are stored column by column (CSC within the block: sorted
 * by source, then destination), the order in which HyGCN's window slides
 * down the feature matrix: each window loads a contiguous run of source
 * rows once and every edge of the block that starts there consumes it.
 *
 * One blob, 64-byte aligned arrays after a 128-byte header:
 *   blk_ptr [blocks + 1]  uint64  first edge of each block
 *   src     [edges]       uint32  source vertex
 *   dst     [edges]       uint8   destination - block start (< GRAPH_BLOCK)
 *   w       [edges]       float   edge weight (fp32 features)
 *   wq      [edges]       int8    round(w / wscale) (int8 features)
 *   deg     [n]           uint32  in-degree (edges into the vertex; MEAN)
 *   wptr    [blocks + 1]  uint64  first window of each block
 *   wrows   [windows]     uint32  source rows each window loads
 * The window table is what graph_windows() (graph_aggregate.c, the same
 * rule the aggregation engine applies) gives; the host fills it at upload
 * so that the cycle model costs a layer per window instead of per edge.
 */
#ifndef GRAPH_FORMAT_H
#define GRAPH_FORMAT_H

#include <stdint.h>

#define GRAPH_MAGIC 0x52474843u /* "CHGR" */
#define GRAPH_VERSION 1

/* Destination vertices a block holds: one combination pass (CNN_PE_ROWS). */
#define GRAPH_BLOCK 32

typedef struct graph_hdr {
    uint32_t magic;
    uint32_t version;
    uint32_t n;          /* vertices */
    uint32_t blocks;     /* ceil(n / GRAPH_BLOCK) */
    uint64_t edges;
    float wscale;        /* real weight of wq == 1 */
    uint32_t max_deg;    /* largest in-degree */
    uint64_t off_src, off_dst, off_w, off_wq, off_deg; /* byte offsets; blk_ptr at GRAPH_OFF_PTR */
    uint64_t off_wptr, off_wrows;
    uint64_t windows;    /* in all blocks */
    uint64_t bytes;      /* the whole blob */
} graph_hdr;

_Static_assert(sizeof(graph_hdr) <= 128, "graph header fits 128 bytes");

#define GRAPH_OFF_PTR 128

#endif /* GRAPH_FORMAT_H */
