/*
 * graph_cycles.c - cycles of graph_layer, counted from its loops and the
 * blob's real edges.
 *
 * Aggregation engine, per destination block (graph_aggregate.c):
 *   - agg_edges: GRAPH_SIMD_CORES edges at once, each ceil(width / lanes)
 *     cycles (16 fp32 or 64 int8 lanes a core);
 *   - load_window: per window (from the blob's window table), its rows x
 *     width bytes at the bank's rate (at most one 64-byte beat a cycle);
 *     the edge list streams beside it.
 *     Windows are double-buffered (the next burst is issued while the
 *     current window is reduced), so a block costs the AXI latency once,
 *     the larger of compute and memory, and the accumulator init/finish.
 * Combination engine, per block (graph_layer.c, gemm_core.h): for every
 * column tile, one cycle per reduction step k, plus fill/drain (PE rows +
 * PE cols) and the store; weights stay in a GRAPH_WBUF_BYTES on-chip buffer
 * when they fit (loaded once a call), else stream per block.
 * Pipeline: AC overlaps aggregation of block b with combination of b - 1;
 * CA runs all combination, then all aggregation. Neither beats the bank:
 * the call takes at least all its bytes over the bank's rate.
 */
#include "graph_kernels.h"

#define GRAPH_WBUF_BYTES (2u << 20) /* URAM weight buffer: 2 MiB */
#define GRAPH_CALL_OVERHEAD 200
#define GRAPH_AXI_BYTES 64

static uint64_t cdiv(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

static uint64_t umax(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

static uint64_t bw(uint64_t bytes, double bpc)
{
    if (bpc > GRAPH_AXI_BYTES)
        bpc = GRAPH_AXI_BYTES;
    if (bpc <= 0.0)
        return 0;
    double c = (double)bytes / bpc;
    return (uint64_t)c + ((double)(uint64_t)c < c ? 1 : 0);
}

typedef struct agg_block {
    uint64_t cycles, bytes, rows, windows, edges;
} agg_block;

/* Block b aggregated over feature rows of width elements of eb bytes. */
static agg_block agg_cost(const uint8_t *blob, uint32_t b, int32_t width, uint32_t eb, double bpc)
{
    const graph_hdr *h = (const graph_hdr *)blob;
    const uint64_t *ptr = (const uint64_t *)(blob + GRAPH_OFF_PTR);
    const uint64_t *wptr = (const uint64_t *)(blob + h->off_wptr);
    const uint32_t *wrows = (const uint32_t *)(blob + h->off_wrows);
    const uint64_t lanes = GRAPH_LANES * (4 / eb);
    const uint64_t per_edge = cdiv((uint64_t)width, lanes);
    agg_block a = {0};
    uint64_t mem = 0;
    for (uint64_t k = wptr[b]; k < wptr[b + 1]; k++) { /* one burst a window */
        const uint64_t bytes = (uint64_t)wrows[k] * (uint64_t)width * eb;
        a.rows += wrows[k];
        a.bytes += bytes;
        mem += bw(bytes, bpc);
    }
    a.windows = wptr[b + 1] - wptr[b];
    a.edges = ptr[b + 1] - ptr[b];
    const uint64_t edge_bytes = a.edges * (4 + 1 + eb);
    a.bytes += edge_bytes;
    mem += bw(edge_bytes, bpc);
    const uint64_t compute = cdiv(a.edges, GRAPH_SIMD_CORES) * per_edge;
    const uint64_t sweep = GRAPH_BLOCK * cdiv((uint64_t)width, lanes * GRAPH_SIMD_CORES);
    a.cycles = (a.edges ? CNN_AXI_LATENCY : 0) + umax(compute, mem) + 2 * sweep;
    return a;
}

/* One block of nr rows through the array: k_len x o, weights resident or not. */
static uint64_t comb_cost(int32_t k_len, int32_t o, int int8, int resident, double bpc,
                          uint64_t *bytes)
{
    const uint64_t cols = int8 ? CNN_PE_COLS : GRAPH_CE_COLS_F32;
    const uint64_t tk = int8 ? CNN_TILE_K : GRAPH_TILE_K_F32;
    const uint64_t eb = int8 ? 1 : 4;
    const uint64_t tiles = cdiv((uint64_t)o, cols), slices = cdiv((uint64_t)k_len, tk);
    uint64_t c = tiles * ((uint64_t)k_len + slices * (CNN_PE_ROWS + cols) + CNN_PE_ROWS);
    if (!resident) {
        const uint64_t wbytes = (uint64_t)k_len * (uint64_t)o * eb;
        c = umax(c, bw(wbytes, bpc));
        *bytes += wbytes;
    }
    return c;
}

graph_cost graph_layer_cost(const graph_desc *d, const uint8_t *gblob, double bpc)
{
    const graph_hdr *h = (const graph_hdr *)gblob;
    const uint32_t eb = d->int8 ? 1 : 4;
    const int32_t k_len = d->kind == GRAPH_SAGE ? 2 * d->f : d->f;
    const uint64_t wbytes = ((uint64_t)k_len * (d->kind == GRAPH_GIN ? d->h : d->o) +
                             (d->kind == GRAPH_GIN ? (uint64_t)d->h * d->o : 0)) * eb;
    const int resident = wbytes <= GRAPH_WBUF_BYTES;
    graph_cost c = {0};
    uint64_t bytes = resident ? wbytes : 0, prev_comb = 0, pipe = 0;
    uint64_t comb_total = 0, agg_total = 0;
    const int ca = d->order == GRAPH_CA;
    const int32_t agg_width = ca ? d->o : d->f;
    for (uint32_t b = 0; b < h->blocks; b++) {
        const uint64_t nr = b + 1 < h->blocks ? GRAPH_BLOCK : h->n - (uint64_t)b * GRAPH_BLOCK;
        agg_block a = agg_cost(gblob, b, agg_width, eb, bpc);
        uint64_t comb;
        if (d->kind == GRAPH_GIN)
            comb = comb_cost(d->f, d->h, d->int8, resident, bpc, &bytes) +
                   comb_cost(d->h, d->o, d->int8, resident, bpc, &bytes);
        else
            comb = comb_cost(ca ? d->f : k_len, d->o, d->int8, resident, bpc, &bytes);
        if (ca) /* the combination phase reads X's rows and writes T's */
            comb = umax(comb, bw(nr * (uint64_t)(d->f + d->o) * eb, bpc)), bytes += nr * (uint64_t)(d->f + d->o) * eb;
        if (d->kind == GRAPH_SAGE) /* the self rows join the aggregated ones */
            a.cycles += bw(nr * (uint64_t)d->f * eb, bpc), bytes += nr * (uint64_t)d->f * eb;
        bytes += a.bytes + nr * (uint64_t)d->o * eb;
        c.rows_loaded += a.rows;
        c.windows += a.windows;
        c.feature_bytes += a.bytes - a.edges * (4 + 1 + eb);
        c.rows_dense += h->n;
        agg_total += a.cycles;
        comb_total += comb;
        /* AC: block b's aggregation runs beside block b - 1's combination */
        pipe += umax(a.cycles, prev_comb);
        prev_comb = comb;
    }
    pipe += prev_comb;
    const uint64_t serial = agg_total + comb_total;
    const uint64_t body = ca ? serial : pipe;
    c.agg_cycles = agg_total;
    c.comb_cycles = comb_total;
    c.cycles = GRAPH_CALL_OVERHEAD + (resident ? bw(wbytes, bpc) : 0) + umax(body, bw(bytes, bpc));
    const uint64_t comb_macs = (uint64_t)h->n * (d->kind == GRAPH_GIN
                                                     ? (uint64_t)d->f * d->h + (uint64_t)d->h * d->o
                                                     : (uint64_t)k_len * d->o);
    c.macs = comb_macs + h->edges * (uint64_t)agg_width;
    return c;
}
