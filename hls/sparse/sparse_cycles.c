/*
 * sparse_cycles.c - cycles of sparse_layer, counted from its loops and the
 * blob's real nonzero structure.
 *
 * Both formats, calibrated against rtl/sparse/chm_sparse.sv: per input
 * vector these stages overlap (ping-pong neuron buffer, two stream rings):
 *   - gather: the window's taps, a run of ic bytes each, through read port
 *     0 (a beat a cycle at most; padding taps land without a read);
 *   - stream: two arrays of the blob through read port 1, each padded to a
 *     64-byte word: X the values (a byte an entry) and the steps (packed at
 *     step_bits), S the codes (packed at code_bits) and the kept blocks'
 *     column indexes (two bytes each);
 *   - walker: X one segment a cycle, a segment being the part of one row
 *     inside one 64-entry word; S up to four kept blocks of a row group a
 *     cycle (sparse_s_blocks: four 4 x 16 blocks, one 16 x 16); an empty row
 *     (group) costs its cycle; behind it the output stage, a row a cycle;
 *   - each read port's latency bound: 32 gather runs / 16 stream runs in
 *     flight, a read latency each (narrow gathers, e.g. a one-channel
 *     conv, and short streams);
 *   - the buffer bound: with four neuron buffers, a vector's gather
 *     starts only when the walker leaves the vector four back, so small
 *     layers pay a quarter of a walk and a read latency a vector;
 * and every beat of the gather, the stream and the output writes shares
 * the bank's bandwidth. A vector costs the slowest of those; the call adds
 * the header read, the preload of row pointers, per-channel parameters and
 * the S codebook, and the pipeline's fill and drain (a read latency each).
 * Cambricon-S's zero-input skip saves no cycle in a block-a-cycle walker,
 * and card time is fixed when an operation is queued, before its inputs
 * exist: the model never credits it.
 *
 * No weights are kept on chip: the kernel reads the blob again for every
 * input vector (an earlier model credited a 4 MiB weight buffer the kernel
 * never had and SPARSE's 32-URAM budget could not hold).
 */
#include "hls_bytes.h"
#include "sparse_kernels.h"

/* Start, header read, preload and pipeline fill / drain: four bank read latencies
 * (CNN_AXI_LATENCY, 64 cycles) and a few cycles of control. */
#define SPARSE_CALL_OVERHEAD 270
#define SPARSE_AXI_BYTES 64
#define SPARSE_AXI_LATENCY 64 /* a bank read's latency, as CNN_AXI_LATENCY (DDR4, UG1352) */
#define SPARSE_QUEUE 16        /* runs the stream port keeps in flight (the RTL fetcher's depth) */
#define SPARSE_GATHER_QUEUE 32 /* runs the gather port keeps in flight */
#define SPARSE_SETS 4          /* neuron buffers */
#define SPARSE_PINGPONG_SLACK 5

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

/* Walker cycles of one vector (S): sparse_s_blocks kept blocks of a row group a cycle,
 * an empty row group one cycle. */
static uint64_t blocks_s(const uint8_t *blob, const sparse_hdr *h)
{
    const uint32_t *ptr = (const uint32_t *)(blob + h->off_ptr);
    const uint32_t groups = (h->rows + h->block_rows - 1) / h->block_rows;
    const uint32_t per = sparse_s_blocks(h->block_rows, h->block_cols);
    uint64_t cycles = 0;
    for (uint32_t g = 0; g < groups; g++)
        cycles += ptr[g + 1] > ptr[g] ? cdiv(ptr[g + 1] - ptr[g], per) : 1;
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
    const uint64_t taps = (uint64_t)d->kh * d->kw;
    /* Latency bound of a read port: SPARSE_QUEUE runs in flight, each answered a read latency
     * after its address, so a port issues at most SPARSE_QUEUE runs a latency. Gather: a
     * burst per inside tap per 1 KiB of channels; stream: a burst per 1 KiB piece of each
     * array, and a pad run each when the entries do not fill the last word. */
    const double inside = (double)inside_taps(d->oh, d->ih, d->kh, d->stride_h, d->pad_t, d->dil_h) *
                          (double)inside_taps(d->ow, d->iw, d->kw, d->stride_w, d->pad_l, d->dil_w) /
                          ((double)d->oh * d->ow);
    const double gather_lat = inside * (double)cdiv((uint64_t)d->ic, 1024) * SPARSE_AXI_LATENCY /
                              SPARSE_GATHER_QUEUE;
    const uint64_t pieces = cdiv(off_a % 1024 + len_a, 1024) + cdiv(off_b % 1024 + len_b, 1024) +
                            (len_a % SPARSE_X_LANES != 0) + (len_b % SPARSE_X_LANES != 0);
    const double stream_lat = (double)pieces * SPARSE_AXI_LATENCY / SPARSE_QUEUE;
    /* Tensors start 4 KiB-aligned: a tap's run is aligned when ic is a multiple of 64. */
    const double gather = (double)taps * mean_run_beats((uint64_t)d->ic, d->ic % SPARSE_AXI_BYTES == 0);
    const uint64_t val = run_beats(off_a, len_a), step = run_beats(off_b, len_b);
    const uint64_t pads = (len_a % SPARSE_X_LANES != 0) + (len_b % SPARSE_X_LANES != 0);
    const double writes = mean_run_beats((uint64_t)d->oc, d->oc % SPARSE_AXI_BYTES == 0);
    const double bank = bpc > 0 ? (gather + (double)(val + step) + writes) * SPARSE_AXI_BYTES / bpc : 0;
    /* the walker, and the output stage behind its queue (a row a cycle) */
    const double walker = (double)(is_s ? blocks_s(blob, h) : segments_x(blob, h));
    double per = walker > bank ? walker : bank;
    per = per > (double)h->rows ? per : (double)h->rows;
    per = per > (double)(val + step + pads) ? per : (double)(val + step + pads);
    per = per > gather ? per : gather;
    per = per > gather_lat ? per : gather_lat;
    /* SPARSE_SETS neuron buffers: vector m + SETS's gather is issued when the walker
     * leaves vector m, so SETS vectors take at least a walk, the gather's issue, a read
     * latency and the handshakes between them (SPARSE_PINGPONG_SLACK, measured on the RTL). */
    const double issue = (double)taps * (double)cdiv((uint64_t)d->ic, 1024);
    const double pingpong = (walker + issue + SPARSE_AXI_LATENCY + SPARSE_PINGPONG_SLACK) / SPARSE_SETS;
    per = per > pingpong ? per : pingpong;
    per = per > stream_lat ? per : stream_lat;
    const uint32_t np = d->per_tensor ? 1u : (uint32_t)d->oc;
    const uint64_t preload = run_beats(h->off_ptr, 4ull * (groups + 1)) +
                             (d->has_bias ? run_beats(0, 4ull * d->oc) : 0) + 2 * run_beats(0, 4ull * np) +
                             (is_s ? run_beats(h->off_c, 256) : 0);
    c.cycles = SPARSE_CALL_OVERHEAD + preload + (uint64_t)((double)vectors * per);
    c.macs = vectors * (is_s ? h->entries * bb : h->nnz);
    c.dense_macs = vectors * (uint64_t)h->rows * h->cols;
    c.weight_bytes = vectors * (len_a + len_b);
    return c;
}
