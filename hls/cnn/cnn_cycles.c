/*
 * cnn_cycles.c - how many cycles the CNN kernels take, loop by loop.
 *
 * Conv (cnn_conv.c): for every output tile (group, CNN_PE_ROWS pixels,
 * CNN_PE_COLS channels) and every K slice of up to CNN_TILE_K taps, DATAFLOW
 * runs load_a, load_b and gemm_core_mac side by side, so a slice costs the
 * slowest of the three (and never less than its bytes over the bank rate):
 *   - load_a reads one 64-byte AXI beat per contiguous run of input channels
 *     (a window tap's channels are adjacent in NHWC), for every array row;
 *   - load_b reads one beat per 64 weights of a column (K is contiguous in
 *     OHWI), for every array column;
 *   - the MAC loop has II=1: one cycle per reduction step k.
 * A tile adds the AXI read latency, the systolic fill and drain
 * (PE_ROWS + PE_COLS), and the store loop (II=1 per output byte column
 * group, one beat per row). Idle PEs of a partial tile still take cycles:
 * that is why depthwise layers use the array poorly.
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

/* AXI beats load_a issues for one array row over taps [k0, k0 + kt). */
static uint64_t load_a_beats(int32_t icg, int32_t k0, int32_t kt)
{
    uint64_t beats = 0;
    int32_t k = k0, end = k0 + kt;
    while (k < end) {
        int32_t run_end = (k / icg + 1) * icg; /* end of this tap's channels */
        if (run_end > end)
            run_end = end;
        beats += ceil_div((uint64_t)(run_end - k), CNN_AXI_BYTES);
        k = run_end;
    }
    return beats;
}

cnn_cost cnn_conv_cost(const cnn_conv_desc *d, double bpc)
{
    cnn_cost c = {0};
    const int32_t icg = d->ic / d->groups, ocg = d->oc / d->groups;
    const int32_t K = d->kh * d->kw * icg;
    const uint64_t M = (uint64_t)d->n * d->oh * d->ow;
    const uint64_t row_tiles = ceil_div(M, CNN_PE_ROWS);
    const uint64_t col_tiles = ceil_div((uint64_t)ocg, CNN_PE_COLS);
    c.macs = M * (uint64_t)d->oc * (uint64_t)K;

    /* One full-size tile's cost; partial tiles differ only in store width. */
    uint64_t tile = CNN_AXI_LATENCY + CNN_PE_ROWS + CNN_PE_COLS;
    uint64_t tile_mac = 0, tile_bytes = 0;
    for (int32_t k0 = 0; k0 < K; k0 += CNN_TILE_K) {
        int32_t kt = K - k0 < CNN_TILE_K ? K - k0 : CNN_TILE_K;
        uint64_t la = CNN_PE_ROWS * load_a_beats(icg, k0, kt);
        uint64_t lb = CNN_PE_COLS * ceil_div((uint64_t)kt, CNN_AXI_BYTES);
        uint64_t bytes = (uint64_t)(CNN_PE_ROWS + CNN_PE_COLS) * (uint64_t)kt;
        uint64_t stage = max_u64(max_u64(la, lb), max_u64((uint64_t)kt, bw_cycles(bytes, bpc)));
        tile += stage;
        tile_mac += (uint64_t)kt;
        tile_bytes += bytes;
    }
    tile += CNN_PE_ROWS; /* store: one beat per row of <= 64 channels */
    const uint64_t tiles = (uint64_t)d->groups * row_tiles * col_tiles;
    c.cycles = CNN_CALL_OVERHEAD + tiles * tile;
    c.mac_cycles = tiles * tile_mac;
    c.bytes_read = tiles * tile_bytes;
    c.bytes_written = M * (uint64_t)d->oc;
    return c;
}

/* Pool (cnn_pool.c): pool_kx has II=1 and covers CNN_POOL_LANES channels. */
cnn_cost cnn_pool_cost(const cnn_pool_desc *d, double bpc)
{
    cnn_cost c = {0};
    const uint64_t pixels = (uint64_t)d->n * d->oh * d->ow;
    const uint64_t chunks = ceil_div((uint64_t)d->c, CNN_POOL_LANES);
    const uint64_t steps = pixels * chunks * (uint64_t)d->kh * (uint64_t)d->kw;
    c.bytes_read = pixels * (uint64_t)d->c * (uint64_t)d->kh * (uint64_t)d->kw;
    c.bytes_written = pixels * (uint64_t)d->c;
    c.cycles = CNN_CALL_OVERHEAD + CNN_AXI_LATENCY +
               max_u64(steps, bw_cycles(c.bytes_read + c.bytes_written, bpc));
    return c;
}

cnn_cost cnn_add_cost(const cnn_add_desc *d, double bpc)
{
    cnn_cost c = {0};
    const uint64_t n = (uint64_t)d->count; /* add_elems: II=1 */
    c.bytes_read = 2 * n;
    c.bytes_written = n;
    c.cycles = CNN_CALL_OVERHEAD + CNN_AXI_LATENCY + max_u64(n, bw_cycles(3 * n, bpc));
    return c;
}
