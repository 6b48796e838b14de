/*
 * sparse_cycles.c - cycles of sparse_layer, counted from its loops and the
 * blob's real nonzero structure.
 *
 * Cambricon-X (calibrated against rtl/sparse/chm_sparse.sv): per input
 * vector three stages overlap (ping-pong neuron buffer, entry rings):
 *   - gather: the window's taps, a run of ic bytes each, through read port
 *     0 (a beat a cycle at most; padding taps land without a read);
 *   - stream: the value and step arrays (a byte per entry each, as the
 *     blob holds them) through read port 1, each padded to a 64-entry word;
 *   - walker: one segment a cycle, a segment being the part of one row
 *     inside one 64-entry word (an empty row costs its cycle);
 *   - each read port's latency bound: 16 runs in flight, a read latency
 *     each (narrow gathers, e.g. a one-channel conv, and short streams);
 *   - the ping-pong bound: with two neuron buffers, a vector's gather
 *     starts only when the walker leaves the vector two back, so small
 *     layers pay about half a read latency a vector;
 * and every beat of the gather, the stream and the output writes shares
 * the bank's bandwidth. A vector costs the slowest of those; the call adds
 * the header read, the preload of row pointers and per-channel parameters,
 * and the pipeline's fill and drain (a read latency each).
 *
 * Cambricon-S (no RTL engine yet; not calibrated): a kept block takes
 * ceil(block_cols / SPARSE_LANES) cycles, the block_rows PEs of a row group
 * working together; SPARSE_PES / block_rows row groups run side by side, so
 * a set of groups takes as long as its busiest group, bounded below by the
 * codes streamed through one port. (The kernel also skips zero input
 * neurons; the model does not credit that, because card time is fixed when
 * an operation is queued, before its inputs exist.)
 *
 * Neither keeps weights on chip: the kernel reads the blob again for every
 * input vector (an earlier model credited a 4 MiB weight buffer the kernel
 * never had and SPARSE's 32-URAM budget could not hold).
 */
#include "sparse_kernels.h"

#define SPARSE_PIPE_DEPTH 8 /* S: index decode + fetch + MAC + add */
/* Start, header read, preload and pipeline fill / drain: four bank read latencies
 * (CNN_AXI_LATENCY, 64 cycles) and a few cycles of control. */
#define SPARSE_CALL_OVERHEAD 270
#define SPARSE_AXI_BYTES 64
#define SPARSE_AXI_LATENCY 64 /* a bank read's latency, as CNN_AXI_LATENCY (DDR4, UG1352) */
#define SPARSE_QUEUE 16       /* runs a read port keeps in flight (the RTL fetchers' depth) */
#define SPARSE_PINGPONG_SLACK 10

static uint64_t cdiv(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

/* Walker cycles of one vector: a cycle per (row, 64-entry word) segment, at least one a row. */
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
 * Bytes of a Cambricon-S blob the kernel reads per vector: a byte per code
 * as the blob stores them (the codes are not packed at code_bits on the
 * card yet: chm_sparse_info's sizes are the format's, packed).
 */
static uint64_t blob_bytes_s(const sparse_hdr *h)
{
    const uint64_t groups = (h->rows + h->block_rows - 1) / h->block_rows;
    const uint64_t codes = (uint64_t)h->entries * h->block_rows * h->block_cols;
    return codes + 2ull * h->entries + 4 * (groups + 1) + 256;
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

/* Window taps inside the input along one axis, summed over the output positions. */
static uint64_t inside_taps(int32_t out, int32_t in, int32_t k, int32_t stride, int32_t pad, int32_t dil)
{
    uint64_t n = 0;
    for (int32_t o = 0; o < out; o++)
        for (int32_t t = 0; t < k; t++) {
            const int64_t i = (int64_t)o * stride - pad + (int64_t)t * dil;
            n += i >= 0 && i < in;
        }
    return n;
}

static sparse_cost cost_x(const sparse_desc *d, const uint8_t *blob, const sparse_hdr *h, double bpc)
{
    sparse_cost c = { 0 };
    const uint64_t vectors = (uint64_t)d->n * d->oh * d->ow;
    const uint64_t taps = (uint64_t)d->kh * d->kw;
    /* Latency bound of a read port: SPARSE_QUEUE runs in flight, each answered a read latency
     * after its address, so a port issues at most SPARSE_QUEUE runs a latency. Gather: a
     * burst per inside tap per 1 KiB of channels; stream: a burst per 1 KiB piece of each
     * array, and a pad run each when the entries do not fill the last word. */
    const double inside = (double)inside_taps(d->oh, d->ih, d->kh, d->stride_h, d->pad_t, d->dil_h) *
                          (double)inside_taps(d->ow, d->iw, d->kw, d->stride_w, d->pad_l, d->dil_w) /
                          ((double)d->oh * d->ow);
    const double gather_lat = inside * (double)cdiv((uint64_t)d->ic, 1024) * SPARSE_AXI_LATENCY / SPARSE_QUEUE;
    const uint64_t pieces = cdiv(h->off_a % 1024 + h->entries, 1024) + cdiv(h->off_b % 1024 + h->entries, 1024) +
                            (h->entries % SPARSE_X_LANES != 0) * 2;
    const double stream_lat = (double)pieces * SPARSE_AXI_LATENCY / SPARSE_QUEUE;
    /* Tensors start 4 KiB-aligned: a tap's run is aligned when ic is a multiple of 64. */
    const double gather = (double)taps * mean_run_beats((uint64_t)d->ic, d->ic % SPARSE_AXI_BYTES == 0);
    const uint64_t val = run_beats(h->off_a, h->entries), step = run_beats(h->off_b, h->entries);
    const uint64_t pads = (h->entries % SPARSE_X_LANES != 0) * 2;
    const double writes = mean_run_beats((uint64_t)d->oc, d->oc % SPARSE_AXI_BYTES == 0);
    const double bank = bpc > 0 ? (gather + (double)(val + step) + writes) * SPARSE_AXI_BYTES / bpc : 0;
    const double walker = (double)segments_x(blob, h);
    double per = walker > bank ? walker : bank;
    per = per > (double)(val + step + pads) ? per : (double)(val + step + pads);
    per = per > gather ? per : gather;
    per = per > gather_lat ? per : gather_lat;
    /* Two neuron buffers: vector m + 1's gather is issued when the walker leaves vector m - 1,
     * so two vectors take at least a walk, the gather's issue, a read latency and the
     * handshakes between them (SPARSE_PINGPONG_SLACK, measured on the RTL). */
    const double issue = (double)taps * (double)cdiv((uint64_t)d->ic, 1024);
    const double pingpong = (walker + issue + SPARSE_AXI_LATENCY + SPARSE_PINGPONG_SLACK) / 2;
    per = per > pingpong ? per : pingpong;
    per = per > stream_lat ? per : stream_lat;
    const uint32_t np = d->per_tensor ? 1u : (uint32_t)d->oc;
    const uint64_t preload = run_beats(h->off_ptr, 4ull * (h->rows + 1)) +
                             (d->has_bias ? run_beats(0, 4ull * d->oc) : 0) + 2 * run_beats(0, 4ull * np);
    c.cycles = SPARSE_CALL_OVERHEAD + preload + (uint64_t)((double)vectors * per);
    c.macs = vectors * h->nnz;
    c.dense_macs = vectors * (uint64_t)h->rows * h->cols;
    c.weight_bytes = vectors * 2ull * h->entries;
    return c;
}

sparse_cost sparse_layer_cost(const sparse_desc *d, const uint8_t *wblob, const int8_t *in,
                              double bpc)
{
    (void)in;
    const sparse_hdr *h = (const sparse_hdr *)wblob;
    if (h->format == SPARSE_FMT_X)
        return cost_x(d, wblob, h, bpc);
    sparse_cost c = { 0 };
    const uint64_t vectors = (uint64_t)d->n * d->oh * d->ow;
    uint64_t macs_per_vec = 0;
    const uint64_t pe = pe_cycles_s(wblob, h, &macs_per_vec);
    const uint64_t gather = (uint64_t)d->kh * d->kw * cdiv((uint64_t)d->ic, SPARSE_AXI_BYTES);
    const uint64_t store = cdiv((uint64_t)d->oc, SPARSE_PES);
    const double port = bpc < SPARSE_AXI_BYTES ? bpc : SPARSE_AXI_BYTES;
    const uint64_t wbytes = blob_bytes_s(h);
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
