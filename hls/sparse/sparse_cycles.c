/*
 * sparse_cycles.c - cycles of sparse_layer, counted from its loops and the
 * blob's real nonzero structure.
 *
 * Per input vector: the gather loop (one 64-byte beat per window tap's
 * channel run), then the PE array:
 *   - X: x_chunks has II=1 per SPARSE_LANES entries (padding entries
 *     included) in every PE at once, so a group of SPARSE_PES rows takes as
 *     long as its longest row: load imbalance between PEs counts;
 *   - S: a kept block takes ceil(block_cols / SPARSE_LANES) cycles, the
 *     block_rows PEs of a row group working together; SPARSE_PES /
 *     block_rows row groups run side by side, so a set of groups takes as
 *     long as its busiest group. Narrow blocks leave lanes idle.
 *     (The kernel also skips zero input neurons; the model does not credit
 *     that yet, because card time is fixed when an operation is queued,
 *     before its inputs exist.)
 * and the store loop (SPARSE_PES outputs a cycle). DATAFLOW overlaps the
 * three across vectors, so a vector costs the slowest of them; the
 * pipeline fills once. The kernel has no on-chip weight buffer: mv_x /
 * mv_s read the weights and indexes through the wblob port for every
 * input vector, so the PE walk of a vector cannot beat that stream (the
 * packed bytes over one port's rate). An earlier model credited a 4 MiB
 * weight buffer the kernel never had (and SPARSE's 32-URAM budget in
 * overlays/modes.json, 1.1 MiB, could not hold): gone.
 */
#include "sparse_kernels.h"

#define SPARSE_PIPE_DEPTH 8                /* index decode + fetch + MAC + add */
#define SPARSE_CALL_OVERHEAD 200
#define SPARSE_AXI_BYTES 64

static uint64_t cdiv(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

static uint64_t pe_cycles_x(const uint8_t *blob, const sparse_hdr *h, uint64_t *macs)
{
    const uint32_t *ptr = (const uint32_t *)(blob + h->off_ptr);
    uint64_t cycles = 0;
    for (uint32_t r0 = 0; r0 < h->rows; r0 += SPARSE_PES) {
        uint32_t longest = 0;
        for (uint32_t r = r0; r < r0 + SPARSE_PES && r < h->rows; r++)
            longest = ptr[r + 1] - ptr[r] > longest ? ptr[r + 1] - ptr[r] : longest;
        cycles += cdiv(longest, SPARSE_LANES);
    }
    *macs = h->nnz;
    return cycles;
}

static uint64_t pe_cycles_s(const uint8_t *blob, const sparse_hdr *h, uint64_t *macs)
{
    const uint32_t *ptr = (const uint32_t *)(blob + h->off_ptr);
    const uint32_t br = h->block_rows, groups = (h->rows + br - 1) / br;
    const uint32_t side = SPARSE_PES / br ? SPARSE_PES / br : 1;
    uint64_t cycles = 0;
    for (uint32_t g0 = 0; g0 < groups; g0 += side) {
        uint64_t busiest = 0;
        for (uint32_t g = g0; g < g0 + side && g < groups; g++) {
            uint64_t c = (uint64_t)(ptr[g + 1] - ptr[g]) * cdiv(h->block_cols, SPARSE_LANES);
            busiest = c > busiest ? c : busiest;
        }
        cycles += busiest;
    }
    *macs = (uint64_t)h->entries * h->block_rows * h->block_cols;
    return cycles;
}

/*
 * Bytes the weights take on the card: steps and codes packed at their field
 * width, as the hardware stores them (the emulation's blob spends a byte on
 * each, which the kernel reads for simplicity).
 */
static uint64_t packed_bytes(const sparse_hdr *h)
{
    if (h->format == SPARSE_FMT_X)
        return ((uint64_t)h->entries * (8 + h->step_bits) + 7) / 8 + 4ull * (h->rows + 1);
    const uint64_t groups = (h->rows + h->block_rows - 1) / h->block_rows;
    const uint64_t codes = (uint64_t)h->entries * h->block_rows * h->block_cols;
    return (codes * h->code_bits + 7) / 8 + 2ull * h->entries + 4 * (groups + 1) +
           (1u << h->code_bits);
}

sparse_cost sparse_layer_cost(const sparse_desc *d, const uint8_t *wblob, const int8_t *in,
                              double bpc)
{
    (void)in;
    const sparse_hdr *h = (const sparse_hdr *)wblob;
    sparse_cost c = { 0 };
    const uint64_t vectors = (uint64_t)d->n * d->oh * d->ow;
    uint64_t macs_per_vec = 0;
    const uint64_t pe = h->format == SPARSE_FMT_X ? pe_cycles_x(wblob, h, &macs_per_vec)
                                                  : pe_cycles_s(wblob, h, &macs_per_vec);
    const uint64_t gather = (uint64_t)d->kh * d->kw * cdiv((uint64_t)d->ic, SPARSE_AXI_BYTES);
    const uint64_t store = cdiv((uint64_t)d->oc, SPARSE_PES);
    const double port = bpc < SPARSE_AXI_BYTES ? bpc : SPARSE_AXI_BYTES;
    const uint64_t wbytes = packed_bytes(h);
    const uint64_t wload = port > 0 ? (uint64_t)((double)wbytes / port) + 1 : 0;
    uint64_t stage = gather > pe ? gather : pe;
    stage = stage > wload ? stage : wload;
    stage = stage > store ? stage : store;
    c.cycles = SPARSE_CALL_OVERHEAD + SPARSE_PIPE_DEPTH + vectors * stage;
    c.macs = vectors * macs_per_vec;
    c.dense_macs = vectors * (uint64_t)h->rows * h->cols;
    c.weight_bytes = vectors * wbytes;
    return c;
}
