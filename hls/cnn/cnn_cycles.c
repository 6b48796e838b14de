/*
 * cnn_cycles.c - how many cycles the CNN kernels take, stage by stage.
 *
 * Conv: the structure of the RTL engine (rtl/cnn/chm_cnn_conv.sv), against
 * which this model is calibrated (bench/rtl_calib, README). For every output
 * tile (group, CNN_PE_ROWS pixels, CNN_PE_COLS channels) and K slice of up to
 * CNN_TILE_K taps, three machines overlap through ping-pong buffers, so a
 * slice costs the slowest of:
 *   - fetch A: one AXI burst per window tap of every row (its channels are
 *     contiguous in NHWC), ceil(run / 64) beats each; a port keeps
 *     CNN_AXI_OUTSTANDING bursts in flight, so short bursts are latency
 *     bound (bursts x latency / outstanding); plus its address divisions
 *     (two a slice, two more a tile) and the last burst's latency;
 *   - fetch B: one burst per column of weights, and at a tile's first slice
 *     three parameter reads (bias, multiplier, shift) one after another;
 *   - the bank: A's and B's beats share it (bank bytes per cycle / 64);
 *   - compute: one tap a cycle, plus two cycles between slices.
 * With two buffer sets a fetch waits for the compute two slices back (see
 * below); the last tile drains through the array (rows + columns) and the
 * output stage (a row a cycle, a burst a row).
 * Depthwise layers have one channel per group: a tile's column is used once.
 */
#include "cnn_cycles.h"

static uint64_t ceil_div(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

static uint64_t bw_cycles(uint64_t bytes, double bytes_per_cycle)
{
    if (bytes_per_cycle <= 0.0)
        return 0;
    double c = (double)bytes / bytes_per_cycle;
    return (uint64_t)c + ((double)(uint64_t)c < c ? 1 : 0);
}

/* Bursts and beats fetch A issues for one array row over taps [k0, k0 + kt). */
static void load_a_runs(int32_t icg, int32_t k0, int32_t kt, uint64_t *bursts, uint64_t *beats)
{
    int32_t k = k0, end = k0 + kt;
    *bursts = *beats = 0;
    while (k < end) {
        int32_t run_end = (k / icg + 1) * icg; /* end of this tap's channels */
        if (run_end > end)
            run_end = end;
        *beats += ceil_div((uint64_t)(run_end - k), CNN_AXI_BYTES);
        (*bursts)++;
        k = run_end;
    }
}

/*
 * Cycles a port needs for bursts carrying beats: its bandwidth, or its
 * latency bound: CNN_AXI_OUTSTANDING bursts go out a cycle apart, the next
 * group only as the first returns, so the last of n bursts lands after
 * ceil(n / outstanding) latencies plus its place in its group.
 */
static uint64_t port_cycles(uint64_t bursts, uint64_t beats)
{
    if (bursts == 0)
        return 0;
    const uint64_t groups = ceil_div(bursts, CNN_AXI_OUTSTANDING);
    const uint64_t lat = groups * CNN_AXI_LATENCY + (bursts - 1) % CNN_AXI_OUTSTANDING + 1;
    return max_u64(beats + CNN_AXI_LATENCY, lat);
}

cnn_cost cnn_conv_cost(const cnn_conv_desc *d, double bpc)
{
    cnn_cost c = {0};
    const int32_t icg = d->ic / d->groups, ocg = d->oc / d->groups;
    const int32_t K = d->kh * d->kw * icg;
    const uint64_t M = (uint64_t)d->n * d->oh * d->ow;
    const uint64_t row_tiles = ceil_div(M, CNN_PE_ROWS);
    const uint64_t col_tiles = ceil_div((uint64_t)ocg, CNN_PE_COLS);
    const uint64_t cols = ocg < CNN_PE_COLS ? (uint64_t)ocg : CNN_PE_COLS;
    const double beats_per_cycle = bpc / CNN_AXI_BYTES;
    c.macs = M * (uint64_t)d->oc * (uint64_t)K;

    /* Each slice's fetch time (the slowest of A, B and the bank) and compute
     * time, for a full tile [0] and for the last row of tiles [1], whose
     * fewer rows fetch less. */
    const uint64_t last_rows = M - (row_tiles - 1) * CNN_PE_ROWS;
    uint64_t fetch[2][CNN_MAX_K / CNN_TILE_K + 1], comp[CNN_MAX_K / CNN_TILE_K + 1];
    uint64_t tile_mac = 0, tile_bytes = 0;
    int32_t slices = 0;
    for (int32_t k0 = 0; k0 < K; k0 += CNN_TILE_K, slices++) {
        const int32_t kt = K - k0 < CNN_TILE_K ? K - k0 : CNN_TILE_K;
        uint64_t a_bursts, a_beats;
        load_a_runs(icg, k0, kt, &a_bursts, &a_beats);
        const uint64_t b_beats = cols * ceil_div((uint64_t)kt, CNN_AXI_BYTES);
        for (int last = 0; last < 2; last++) {
            const uint64_t rows = last ? last_rows : CNN_PE_ROWS;
            uint64_t fa = 2 * CNN_DIV_CYCLES + port_cycles(rows * a_bursts, rows * a_beats);
            uint64_t fb = port_cycles(cols, b_beats);
            if (k0 == 0) {
                fa += 2 * CNN_DIV_CYCLES;           /* the tile's first pixel */
                fb += 3 * (CNN_AXI_LATENCY + 2);    /* bias, multipliers, shifts */
            }
            const uint64_t bank = beats_per_cycle > 0
                ? (uint64_t)((double)(rows * a_beats + b_beats) / beats_per_cycle) +
                      CNN_AXI_LATENCY : 0;
            fetch[last][slices] = max_u64(max_u64(fa, fb), bank);
        }
        comp[slices] = (uint64_t)kt + 2;
        tile_mac += (uint64_t)kt;
        tile_bytes += (uint64_t)(CNN_PE_ROWS + cols) * (uint64_t)kt;
    }
    /*
     * Two buffer sets: slice i's fetch starts when the fetcher is done with
     * slice i - 1 and the compute is done with slice i - 2 (which held its
     * set); its compute starts when the fetch is done and slice i - 1's
     * compute is. Unequal slices (K = 2304: 2048 + 256) leave the long
     * fetch exposed behind the short compute. Laid out slice by slice over
     * every tile, in the kernel's order (group, pixel tile, channel tile).
     */
    const uint64_t tiles = (uint64_t)d->groups * row_tiles * col_tiles;
    uint64_t f_end = 0, c_end = 0, c_prev2 = 0;
    for (uint64_t t = 0; t < tiles; t++) {
        const int last = (t / col_tiles) % row_tiles == row_tiles - 1;
        for (int32_t i = 0; i < slices; i++) {
            f_end = max_u64(f_end, c_prev2) + fetch[last][i];
            c_prev2 = c_end;
            c_end = max_u64(c_end, f_end) + comp[i];
        }
    }
    /* start (two divisions), the slices, then the last tile: through the array,
     * the output stage (a row a cycle) and the writer (a burst a row, about
     * three cycles) and its last write response */
    c.cycles = 2 * CNN_DIV_CYCLES + c_end + CNN_PE_ROWS + CNN_PE_COLS + CNN_PE_ROWS +
               3 * last_rows + CNN_AXI_LATENCY;
    c.mac_cycles = tiles * tile_mac;
    c.bytes_read = tiles * tile_bytes;
    c.bytes_written = M * (uint64_t)d->oc;
    return c;
}

/* Taps of a window axis that fall inside the input, summed over the outputs. */
static uint64_t inside_taps(int32_t in, int32_t out, int32_t k, int32_t stride, int32_t pad)
{
    uint64_t t = 0;
    for (int32_t o = 0; o < out; o++) {
        const int32_t s = o * stride - pad;
        const int32_t lo = s < 0 ? -s : 0, hi = in - s < k ? in - s : k;
        t += hi > lo ? (uint64_t)(hi - lo) : 0;
    }
    return t;
}

/* Beats an unaligned run of len bytes takes on average (a run at offset a
 * of its first beat takes ceil((a + len) / 64) beats): exactly one when
 * every run starts on a beat (row pitch a multiple of 64). */
static double run_beats(uint64_t len, uint64_t pitch)
{
    if (pitch % CNN_AXI_BYTES == 0)
        return (double)ceil_div(len, CNN_AXI_BYTES);
    return (double)(len + CNN_AXI_BYTES - 1) / CNN_AXI_BYTES;
}

/* Bursts a port moves when it keeps CNN_AXI_OUTSTANDING in flight, each
 * holding its slot for the latency and its beats. */
static uint64_t latency_cycles(uint64_t bursts, double beats_per_burst)
{
    return (uint64_t)((double)bursts * (CNN_AXI_LATENCY + beats_per_burst) / CNN_AXI_OUTSTANDING);
}

/*
 * Pool (cnn_pool.c; rtl/cnn/chm_cnn_pool.sv): a tap a cycle through every
 * window position of every 64-channel chunk of every output pixel; each tap
 * inside the input is one burst of the chunk's bytes (one or two beats), so
 * short bursts make the port latency-bound; an average chunk waits for the
 * dividers (CNN_DIV_CYCLES + 1 a chunk, overlapping the next chunk's taps).
 * Start: the descriptor and the first read's latency; end: the last write's
 * response.
 */
cnn_cost cnn_pool_cost(const cnn_pool_desc *d, double bpc)
{
    cnn_cost c = {0};
    const uint64_t pixels = (uint64_t)d->n * d->oh * d->ow;
    const uint64_t chunks = ceil_div((uint64_t)d->c, CNN_POOL_LANES);
    const uint64_t issue = pixels * chunks * (uint64_t)d->kh * (uint64_t)d->kw;
    const uint64_t inside = (uint64_t)d->n * inside_taps(d->ih, d->oh, d->kh, d->stride_h, d->pad_t) *
                            inside_taps(d->iw, d->ow, d->kw, d->stride_w, d->pad_l);
    const uint64_t last = (uint64_t)d->c - (chunks - 1) * CNN_POOL_LANES;
    /* beats of one position's runs: full chunks and the last one */
    const double pos_beats = (double)(chunks - 1) * run_beats(CNN_POOL_LANES, (uint64_t)d->c) +
                             run_beats(last, (uint64_t)d->c);
    const double read_beats = (double)inside * pos_beats;
    const double write_beats = (double)pixels * pos_beats;
    uint64_t t = issue;
    t = max_u64(t, latency_cycles(inside * chunks, pos_beats / (double)chunks));
    t = max_u64(t, bw_cycles((uint64_t)((read_beats + write_beats) * CNN_AXI_BYTES), bpc));
    if (d->is_avg)
        t = max_u64(t, pixels * chunks * (CNN_DIV_CYCLES + 1));
    c.bytes_read = inside * (uint64_t)d->c;
    c.bytes_written = pixels * (uint64_t)d->c;
    c.cycles = CNN_ENGINE_START + CNN_AXI_LATENCY + t + CNN_AXI_LATENCY;
    return c;
}

/*
 * Add (cnn_add.c; rtl/cnn/chm_cnn_add.sv): 64-element chunks of a and b,
 * each one burst on its own port, through CNN_ADD_LANES lanes
 * (64 / CNN_ADD_LANES cycles a chunk); the three streams share the bank.
 */
cnn_cost cnn_add_cost(const cnn_add_desc *d, double bpc)
{
    cnn_cost c = {0};
    const uint64_t n = (uint64_t)d->count;
    const uint64_t chunks = ceil_div(n, CNN_AXI_BYTES);
    /* tensors start on a beat (device allocations are 4 KiB aligned): a chunk is a beat */
    const double beats = run_beats(CNN_AXI_BYTES, CNN_AXI_BYTES);
    uint64_t t = chunks * (CNN_AXI_BYTES / CNN_ADD_LANES);
    t = max_u64(t, latency_cycles(chunks, beats));
    t = max_u64(t, bw_cycles((uint64_t)(3.0 * (double)chunks * beats * CNN_AXI_BYTES), bpc));
    c.bytes_read = 2 * n;
    c.bytes_written = n;
    c.cycles = CNN_ENGINE_START + CNN_AXI_LATENCY + t + CNN_AXI_LATENCY;
    return c;
}
