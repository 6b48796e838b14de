/*
 * sparse_cycles.c - cycles of sparse_layer, counted from its loops and the
 * blob's real nonzero structure.
 *
 * Both formats, calibrated against rtl/sparse/chm_sparse.sv. The engine
 * works in weight passes of up to sparse_pass_vectors() input vectors (X 8,
 * S as many as 512 multipliers allow its block, at most 8); per pass these stages overlap (four sets of neuron buffers, two
 * stream rings, two output buffers):
 *   - gather: each vector's window through read port 0, a window row at a
 *     time: with dil_w 1 the row's taps inside the image are one run of
 *     memory (a run per tap otherwise), the taps outside it a pad run that
 *     lands without a read; runs of at most 1 KiB, a beat a cycle landing;
 *   - stream: two arrays of the blob through read port 1, once per pass,
 *     each padded to a 64-byte word: X the values (a byte an entry) and the
 *     steps (packed at step_bits), S the codes (packed at code_bits) and
 *     the kept blocks' column indexes (two bytes each);
 *   - walker: X one segment a cycle for all the pass's vectors, a segment
 *     being the part of one row inside one 64-entry word; S one kept block
 *     of a row group a cycle for all of them; an empty row (group) costs
 *     its cycle; behind it the
 *     output stage, a row a cycle (a requantization unit a vector);
 *   - writes: a pass's outputs are nv x oc contiguous bytes, written
 *     through port 2 as one run while the next pass walks;
 *   - each read port's latency bound: 64 gather runs / 16 stream runs in
 *     flight, a read latency each (narrow gathers and short streams);
 *   - the buffer bound: a pass's gather starts only when the walker leaves
 *     the pass four back, so small layers pay a quarter of a walk, a
 *     gather's issue and a read latency a pass;
 * and every beat of the gather, the stream and the output writes shares
 * the bank's bandwidth. A pass costs the slowest of those; the call adds
 * the header read, the preload of row pointers, per-channel parameters and
 * the S codebook, and the pipeline's fill and drain (a read latency each).
 * Cambricon-S's zero-input skip saves no cycle in a block-a-cycle walker,
 * and card time is fixed when an operation is queued, before its inputs
 * exist: the model never credits it.
 *
 * No weights are kept on chip: the kernel reads the blob again for every
 * pass (an earlier model credited a 4 MiB weight buffer the kernel never
 * had and SPARSE's 32-URAM budget could not hold).
 */
#include "hls_bytes.h"
#include "sparse_kernels.h"

/* Start, header read, preload and pipeline fill / drain: four bank read latencies
 * (CNN_AXI_LATENCY, 64 cycles) and a few cycles of control. */
#define SPARSE_CALL_OVERHEAD 270
#define SPARSE_AXI_BYTES 64
#define SPARSE_AXI_LATENCY 64 /* a bank read's latency, as CNN_AXI_LATENCY (DDR4, UG1352) */
#define SPARSE_QUEUE 16        /* runs the stream port keeps in flight (the RTL fetcher's depth) */
#define SPARSE_GATHER_QUEUE 64 /* runs the gather port keeps in flight */
#define SPARSE_RUN_MAX 1024    /* bytes of a gather run at most */
#define SPARSE_SETS 4          /* sets of neuron buffers (a pass each) */
#define SPARSE_PINGPONG_SLACK 5

static uint64_t cdiv(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

/* Walker cycles of one pass (X): a cycle per (row, 64-entry word) segment, at least one a row. */
static uint64_t segments_x(const uint8_t *blob, const sparse_hdr *h)
{
    const uint32_t *ptr = (const uint32_t *)(blob + h->off_ptr);
    uint64_t cycles = 0;
    for (uint32_t r = 0; r < h->rows; r++)
        cycles += ptr[r + 1] > ptr[r]
                      ? (ptr[r + 1] - 1) / SPARSE_X_LANES - ptr[r] / SPARSE_X_LANES + 1
                      : 1;
    return cycles;
}

/* Walker cycles of one pass (S): a kept block of a row group a cycle, an empty row group
 * one cycle. */
static uint64_t blocks_s(const uint8_t *blob, const sparse_hdr *h)
{
    const uint32_t *ptr = (const uint32_t *)(blob + h->off_ptr);
    const uint32_t groups = (h->rows + h->block_rows - 1) / h->block_rows;
    uint64_t cycles = 0;
    for (uint32_t g = 0; g < groups; g++)
        cycles += ptr[g + 1] > ptr[g] ? ptr[g + 1] - ptr[g] : 1;
    return cycles;
}

/* Beats of a run of len bytes whose start is at offset a within a beat. */
static uint64_t run_beats(uint64_t a, uint64_t len)
{
    return len ? (a % SPARSE_AXI_BYTES + len + SPARSE_AXI_BYTES - 1) / SPARSE_AXI_BYTES : 0;
}

/* Mean beats of a run of len bytes over the 64 start offsets (or at 0 if every start is aligned). */
static double mean_run_beats(uint64_t len, int aligned)
{
    if (aligned)
        return (double)run_beats(0, len);
    uint64_t sum = 0;
    for (uint64_t a = 0; a < SPARSE_AXI_BYTES; a++)
        sum += run_beats(a, len);
    return (double)sum / SPARSE_AXI_BYTES;
}

/* A vector's gather, averaged over the output pixels: runs issued, runs that read, beats
 * landed on the port (pad runs land too), beats read from the bank. */
typedef struct gather_stats {
    double runs, reads, port, bank;
} gather_stats;

static void gather_region(gather_stats *g, uint64_t k, uint64_t len, int64_t addr, int read)
{
    for (uint64_t o = 0; o < len; o += SPARSE_RUN_MAX) {
        const uint64_t n = len - o < SPARSE_RUN_MAX ? len - o : SPARSE_RUN_MAX;
        const uint64_t beats = run_beats(read ? (uint64_t)(addr + (int64_t)o) : k + o, n);
        g->runs += 1;
        g->port += (double)beats;
        if (read) {
            g->reads += 1;
            g->bank += (double)beats;
        }
    }
}

/* The gather's runs over one image's output pixels, the image at byte base of a beat, added
 * to g (sums, not yet per vector). */
static void gather_image(gather_stats *g0, const sparse_desc *d, int64_t base)
{
    gather_stats g = *g0;
    const int64_t ic = d->ic, row = (int64_t)d->kw * ic;
    for (int32_t oy = 0; oy < d->oh; oy++)
        for (int32_t ox = 0; ox < d->ow; ox++)
            for (int32_t ky = 0; ky < d->kh; ky++) {
                const int64_t iy = (int64_t)oy * d->stride_h - d->pad_t + (int64_t)ky * d->dil_h;
                const int64_t ix0 = (int64_t)ox * d->stride_w - d->pad_l;
                const uint64_t k0 = (uint64_t)(ky * row);
                if (iy < 0 || iy >= d->ih) {
                    gather_region(&g, k0, (uint64_t)row, 0, 0);
                } else if (d->dil_w == 1) {
                    const int64_t lo = ix0 < 0 ? (-ix0 < d->kw ? -ix0 : d->kw) : 0;
                    int64_t hi = d->iw - ix0 < d->kw ? d->iw - ix0 : d->kw;
                    hi = hi < lo ? lo : hi;
                    gather_region(&g, k0, (uint64_t)(lo * ic), 0, 0);
                    gather_region(&g, k0 + (uint64_t)(lo * ic), (uint64_t)((hi - lo) * ic),
                                  base + (iy * d->iw + ix0 + lo) * ic, 1);
                    gather_region(&g, k0 + (uint64_t)(hi * ic), (uint64_t)((d->kw - hi) * ic), 0, 0);
                } else {
                    for (int32_t kx = 0; kx < d->kw; kx++) {
                        const int64_t ix = ix0 + (int64_t)kx * d->dil_w;
                        gather_region(&g, k0 + (uint64_t)(kx * ic), (uint64_t)ic,
                                      base + (iy * d->iw + ix) * ic, ix >= 0 && ix < d->iw);
                    }
                }
            }
    *g0 = g;
}

/* The gather's runs per vector, averaged over the batch: the tensor starts 4 KiB-aligned and
 * image b at b x ih x iw x ic, so the images' offsets within a beat repeat with a period. */
static gather_stats gather_runs(const sparse_desc *d)
{
    gather_stats g = { 0, 0, 0, 0 };
    const uint64_t img = (uint64_t)d->ih * d->iw * d->ic % SPARSE_AXI_BYTES;
    uint64_t period = 1;
    while (period < SPARSE_AXI_BYTES && img * period % SPARSE_AXI_BYTES != 0)
        period++;
    const uint64_t n = (uint64_t)(d->n > 0 ? d->n : 1), classes = n < period ? n : period;
    for (uint64_t b = 0; b < classes; b++) {
        gather_stats one = { 0, 0, 0, 0 };
        gather_image(&one, d, (int64_t)(img * b % SPARSE_AXI_BYTES));
        /* images b, b + period, ... below n share this offset */
        const double count = (double)((n - b + period - 1) / period);
        g.runs += one.runs * count, g.reads += one.reads * count;
        g.port += one.port * count, g.bank += one.bank * count;
    }
    const double px = (double)n * d->oh * d->ow;
    if (px > 0)
        g.runs /= px, g.reads /= px, g.port /= px, g.bank /= px;
    return g;
}

static double dmax(double a, double b)
{
    return a > b ? a : b;
}

sparse_cost sparse_layer_cost(const sparse_desc *d, const uint8_t *blob, const int8_t *in,
                              double bpc)
{
    (void)in;
    const sparse_hdr *h = (const sparse_hdr *)blob;
    const int is_s = h->format == SPARSE_FMT_S;
    /* The two streamed arrays (ring A, ring B): X values (a byte an entry) and steps
     * (step_bits an entry); S codes (code_bits each) and the kept blocks' u16 column indexes. */
    const uint64_t bb = is_s ? (uint64_t)h->block_rows * h->block_cols : 1;
    const uint64_t len_a = is_s ? hls_field_bytes(h->entries * bb, h->code_bits) : h->entries;
    const uint64_t len_b = is_s ? 2ull * h->entries : hls_field_bytes(h->entries, h->step_bits);
    const uint64_t off_a = is_s ? h->off_b : h->off_a, off_b = is_s ? h->off_a : h->off_b;
    const uint64_t groups = is_s ? (h->rows + h->block_rows - 1) / h->block_rows : h->rows;
    sparse_cost c = { 0 };
    const uint64_t vectors = (uint64_t)d->n * d->oh * d->ow;
    const uint64_t pv = sparse_pass_vectors(h->format, h->block_rows, h->block_cols);
    const uint64_t passes = cdiv(vectors, pv);
    const gather_stats g = gather_runs(d);
    /* Per pass, independent of its vectors: the walker, the output stage behind its queue (a
     * row a cycle for all the pass's vectors), the stream (its beats, a pad run each when the
     * entries do not fill the last word, and its latency bound: a burst per 1 KiB piece of
     * each array, SPARSE_QUEUE in flight, each answered a read latency after its address). */
    const double walker = (double)(is_s ? blocks_s(blob, h) : segments_x(blob, h));
    const uint64_t val = run_beats(off_a, len_a), step = run_beats(off_b, len_b);
    const uint64_t pads = (len_a % SPARSE_X_LANES != 0) + (len_b % SPARSE_X_LANES != 0);
    const uint64_t pieces = cdiv(off_a % 1024 + len_a, 1024) + cdiv(off_b % 1024 + len_b, 1024) + pads;
    double fixed = dmax(dmax(walker, (double)h->rows), (double)(val + step + pads));
    fixed = dmax(fixed, (double)pieces * SPARSE_AXI_LATENCY / SPARSE_QUEUE);
    uint64_t total = 0;
    double fill = 0;
    for (int tail = 0; tail < 2; tail++) {
        /* the full passes, then the last one if it has fewer vectors */
        const uint64_t count = tail ? (vectors % pv != 0) : vectors / pv;
        const double nv = tail ? (double)(vectors % pv) : (double)pv;
        if (count == 0)
            continue;
        /* a pass's outputs: nv x oc bytes from (m0 x oc), one run */
        const double writes = mean_run_beats((uint64_t)nv * (uint64_t)d->oc,
                                             ((uint64_t)pv * (uint64_t)d->oc) % SPARSE_AXI_BYTES == 0);
        const double bank = bpc > 0
                                ? (nv * g.bank + (double)(val + step) + writes) * SPARSE_AXI_BYTES / bpc
                                : 0;
        double per = dmax(fixed, bank);
        per = dmax(per, nv * g.port);                     /* the gather port's landing */
        per = dmax(per, nv * g.runs);                     /* its issue, a run a cycle */
        per = dmax(per, nv * g.reads * SPARSE_AXI_LATENCY / SPARSE_GATHER_QUEUE);
        per = dmax(per, writes);
        /* SPARSE_SETS sets of neuron buffers: pass p + SETS's gather is issued when the walker
         * leaves pass p, so SETS passes take at least a walk, the gather's issue, a read latency
         * and the handshakes between them (SPARSE_PINGPONG_SLACK, measured on the RTL). */
        per = dmax(per, (walker + nv * g.runs + SPARSE_AXI_LATENCY + SPARSE_PINGPONG_SLACK) /
                            SPARSE_SETS);
        total += (uint64_t)((double)count * per);
        /* Fill and drain: the walker starts a pass only when all its vectors have landed, and
         * nothing follows the last pass's walk and write; the first pass through every stage
         * (gather beats, then walk and output stage side by side, then its write) takes that
         * much longer than the pace of the passes behind it. */
        if (!tail || vectors < pv)
            fill = dmax(0, nv * g.port + dmax(walker, (double)h->rows) + writes - per);
    }
    total += (uint64_t)fill;
    const uint32_t np = d->per_tensor ? 1u : (uint32_t)d->oc;
    const uint64_t preload = run_beats(h->off_ptr, 4ull * (groups + 1)) +
                             (d->has_bias ? run_beats(0, 4ull * d->oc) : 0) + 2 * run_beats(0, 4ull * np) +
                             (is_s ? run_beats(h->off_c, 256) : 0);
    c.cycles = SPARSE_CALL_OVERHEAD + preload + total;
    c.macs = vectors * (is_s ? h->entries * bb : h->nnz);
    c.dense_macs = vectors * (uint64_t)h->rows * h->cols;
    c.weight_bytes = passes * (len_a + len_b);
    return c;
}
