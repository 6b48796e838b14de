/*
 * cnn_cycles.c - how many cycles the CNN kernels take, stage by stage.
 *
 * Conv: the structure of the RTL engine (rtl/cnn/chm_cnn_conv.sv), against
 * which this model is calibrated (bench/rtl_calib, README), walked in its
 * order (cnn_schedule.h): for every output tile (group, CNN_PE_ROWS pixels,
 * CNN_PE_COLS channels) and K slice, three machines overlap through
 * ping-pong buffers:
 *   - fetch A, unless its buffer set already holds the rows: the tile's
 *     first-pixel divisions (two), the first-tap divisions of a slice past
 *     the first (two), then each row's runs (a window row at a time, or a
 *     tap at a time; cnn_run_end) at their real alignment; a port keeps
 *     CNN_AXI_OUTSTANDING bursts in flight, so short bursts are latency
 *     bound; padding runs land without a read;
 *   - fetch B, unless its set already holds the weights: one burst per
 *     column, and at a tile's first slice three parameter reads (bias,
 *     multiplier, shift) one after another;
 *   - compute: one tap a cycle, plus two cycles between slices.
 * A's and B's beats share the bank: a fetch gets the bank's rate (at most
 * a beat a cycle) while the other port moves none, half of it while both
 * do (conv_timeline). With two buffer sets a fetch waits for the compute
 * two slices back; the last tile drains through the array (rows +
 * columns) and the output stage (a row a cycle, a burst a row).
 * Depthwise layers have one channel per group: a tile's column is used once.
 */
#include "cnn_cycles.h"
#include "cnn_schedule.h"

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

/* What fetch A moves for one tile and slice. */
typedef struct a_fetch {
    uint64_t bursts, beats, pad_runs, pad_beats, bytes;
} a_fetch;

static uint64_t beats_at(uint64_t offset, uint64_t len)
{
    return ceil_div(offset % CNN_AXI_BYTES + len, CNN_AXI_BYTES);
}

/* The runs of rows [m0, m0 + nr) over taps [k0, k0 + kt) as the RTL walks
 * them (chm_cnn_conv_fetch_a.svh): a real run is one burst at its address's
 * alignment; a pad run lands at the tap's lane without a read. */
static a_fetch load_a_runs(const cnn_conv_desc *d, int32_t g, int64_t m0, int32_t nr, int32_t k0,
                           int32_t kt)
{
    const int32_t icg = d->ic / d->groups;
    const int64_t plane = (int64_t)d->oh * d->ow;
    a_fetch f = {0, 0, 0, 0, 0};
    for (int32_t r = 0; r < nr; r++) {
        const int64_t m = m0 + r, b = m / plane;
        const int32_t oy = (int32_t)((m % plane) / d->ow), ox = (int32_t)(m % d->ow);
        const int32_t ix0 = ox * d->stride_w - d->pad_l;
        int32_t ci = k0 % icg, kx = (k0 / icg) % d->kw, ky = k0 / icg / d->kw, k = 0;
        while (k < kt) {
            const int32_t iy = oy * d->stride_h - d->pad_t + ky * d->dil_h;
            const int32_t ix = ix0 + kx * d->dil_w;
            const int row_in = iy >= 0 && iy < d->ih;
            const int32_t end = cnn_run_end(d, kx, ix0, row_in);
            const int32_t whole = (end - kx) * icg - ci;
            const int32_t run = whole < kt - k ? whole : kt - k;
            if (row_in && ix >= 0 && ix < d->iw) {
                const int64_t addr = ((b * d->ih + iy) * d->iw + ix) * d->ic + (int64_t)g * icg + ci;
                f.bursts++;
                f.beats += beats_at((uint64_t)addr, (uint64_t)run);
                f.bytes += (uint64_t)run;
            } else {
                f.pad_runs++;
                f.pad_beats += beats_at((uint64_t)k, (uint64_t)run);
            }
            k += run;
            ci = 0;
            kx = end;
            if (kx == d->kw) {
                kx = 0;
                ky++;
            }
        }
    }
    return f;
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
        return beats;
    const uint64_t groups = ceil_div(bursts, CNN_AXI_OUTSTANDING);
    const uint64_t lat = groups * CNN_AXI_LATENCY + (bursts - 1) % CNN_AXI_OUTSTANDING + 1;
    return max_u64(beats + CNN_AXI_LATENCY, lat);
}

/* The walk's fixed facts and each buffer set's tag (what it holds). */
typedef struct conv_walk {
    const cnn_conv_desc *d;
    int32_t icg, ocg, K, ks;
    int64_t M, row_tiles, col_tiles;
    int reuse;
    double beats_per_cycle;
    int32_t a_tag[2][3], b_tag[2][3]; /* cnn_tag_hit */
    uint64_t bytes;                    /* read from card memory */
} conv_walk;

/* Fetch A's control around a slice's runs, as the RTL shows it once the
 * port is no longer latency-bound (64 bursts in flight): its check, set-wait,
 * drain and step states, the dividers' start and done handshakes, and a
 * queue slot held a few cycles past the read latency (enqueue, address,
 * landing). Measured on the one-channel and 16-channel fmnist convs, where
 * fetch A sets the pace: about 20 cycles a fetch. */
#define CNN_FETCH_A_CTRL 20

/* What one slice's fetch into buffer set `set` takes: fetch A's and fetch
 * B's cycles (each machine on its own port, with the bank to itself) and
 * the beats each moves through the bank. */
typedef struct slice_cost {
    uint64_t a, b, a_beats, b_beats;
} slice_cost;

static slice_cost slice_fetch(conv_walk *w, int set, int32_t g, int64_t mt, int64_t nt, int32_t k0)
{
    const cnn_conv_desc *d = w->d;
    const int32_t kt = w->K - k0 < w->ks ? w->K - k0 : w->ks;
    const int32_t nr = (int32_t)(w->M - mt * CNN_PE_ROWS < CNN_PE_ROWS ? w->M - mt * CNN_PE_ROWS
                                                                       : CNN_PE_ROWS);
    const int32_t nc = w->ocg - (int32_t)nt * CNN_PE_COLS < CNN_PE_COLS
                           ? w->ocg - (int32_t)nt * CNN_PE_COLS : CNN_PE_COLS;
    slice_cost sc = { 3, 2, 0, 0 };   /* a set already holding its operand: a few control cycles */
    if (!cnn_tag_hit(w->a_tag[set], g, (int32_t)mt, k0, w->reuse)) {
        const a_fetch f = load_a_runs(d, g, mt * CNN_PE_ROWS, nr, k0, kt);
        /* a padding run takes a queue slot as a burst does: it lands in order */
        sc.a = CNN_FETCH_A_CTRL + (k0 ? 4 : 2) * CNN_DIV_CYCLES +
               port_cycles(f.bursts + f.pad_runs, f.beats + f.pad_beats);
        sc.a_beats = f.beats;
        w->bytes += f.bytes;
    }
    if (!cnn_tag_hit(w->b_tag[set], g, (int32_t)nt, k0, w->reuse)) {
        uint64_t b_beats = 0;
        for (int32_t c = 0; c < nc; c++) {
            const int64_t addr = ((int64_t)g * w->ocg + nt * CNN_PE_COLS + c) * w->K + k0;
            b_beats += beats_at((uint64_t)addr, (uint64_t)kt);
        }
        sc.b = port_cycles((uint64_t)nc, b_beats);
        if (k0 == 0)
            sc.b += 3 * (CNN_AXI_LATENCY + 2);    /* bias, multipliers, shifts */
        sc.b_beats = b_beats;
        w->bytes += (uint64_t)nc * (uint64_t)kt;
    }
    return sc;
}

/* The slices in the engine's order (cnn_schedule.h): group, outer tile,
 * inner tile, K slice. */
typedef struct slice_iter {
    int32_t g, k0;
    int64_t o, i, inner, outer;
    int n_outer, set;
} slice_iter;

/* The next slice's fetch costs and depth into *sc, *kt; 0 after the last. */
static int next_slice(conv_walk *w, slice_iter *it, slice_cost *sc, uint64_t *kt)
{
    if (it->g >= w->d->groups)
        return 0;
    const int64_t mt = it->n_outer ? it->i : it->o, nt = it->n_outer ? it->o : it->i;
    *sc = slice_fetch(w, it->set, it->g, mt, nt, it->k0);
    *kt = (uint64_t)(w->K - it->k0 < w->ks ? w->K - it->k0 : w->ks);
    it->set ^= 1;
    if ((it->k0 += w->ks) < w->K)
        return 1;
    it->k0 = 0;
    if (++it->i < it->inner)
        return 1;
    it->i = 0;
    if (++it->o < it->outer)
        return 1;
    it->o = 0;
    it->g++;
    return 1;
}

/*
 * The slices on the engine's timeline. Fetch A and fetch B are separate
 * machines on separate ports: each starts slice i when it is done with
 * slice i - 1 and the compute is done with slice i - 2 (which held the
 * set), so one may run ahead of the other. A fetch takes its control and
 * latency cycles (its time alone less its beats), then its beats, which it
 * gets at the bank's rate (at most a beat a cycle) while the other port
 * moves none, and at half of it while both do: the bank serves the ports
 * in turn (the RTL's memory model), so a fetch that runs ahead takes half
 * the bank from the one the compute waits for. Slice i's compute starts
 * when both have filled its set and slice i - 1's compute is done, and
 * takes a tap a cycle plus two. Laid out event by event; returns the last
 * compute's end.
 */
#define SLICE_RING 8 /* slices kept: nc - 1 .. nc + 2 are in use */
static double conv_timeline(conv_walk *w, slice_iter *it)
{
    const double bank = w->beats_per_cycle > 0 ? w->beats_per_cycle : 2.0;
    const double alone = bank < 1.0 ? bank : 1.0, shared = bank / 2 < 1.0 ? bank / 2 : 1.0;
    slice_cost job[SLICE_RING] = { { 0, 0, 0, 0 } };
    uint64_t kt[SLICE_RING] = { 0 };
    double done[2][SLICE_RING] = { { 0 } }, cend[SLICE_RING] = { 0 };
    int64_t made = 0, nc = 0, q[2] = { 0, 0 };   /* slices made, computed, each port's next */
    int act[2] = { 0, 0 }, more = 1;
    double fx[2] = { 0, 0 }, bt[2] = { 0, 0 }, t = 0, last = 0;
    for (;;) {
        while (more && made < nc + 3) {   /* a port's next slice is at most nc + 1 */
            more = next_slice(w, it, &job[made % SLICE_RING], &kt[made % SLICE_RING]);
            made += more;
        }
        /* computes whose fetches are done */
        while (nc < made && q[0] > nc && q[1] > nc) {
            const int r = (int)(nc % SLICE_RING);
            double c = nc ? cend[(nc - 1) % SLICE_RING] : 0;
            c = c > done[0][r] ? c : done[0][r];
            c = c > done[1][r] ? c : done[1][r];
            last = cend[r] = c + (double)kt[r] + 2;
            nc++;
        }
        if (!more && nc == made)
            return last;
        /* ports that may start their next slice, and the next event */
        double dt = -1;
        for (int p = 0; p < 2; p++) {
            if (act[p] || q[p] >= made || (q[p] >= 2 && nc < q[p] - 1))
                continue;
            double rdy = q[p] ? done[p][(q[p] - 1) % SLICE_RING] : 0;
            if (q[p] >= 2 && cend[(q[p] - 2) % SLICE_RING] > rdy)
                rdy = cend[(q[p] - 2) % SLICE_RING];
            if (rdy <= t) {
                const slice_cost *sc = &job[q[p] % SLICE_RING];
                const double time = (double)(p ? sc->b : sc->a), beats = (double)(p ? sc->b_beats : sc->a_beats);
                act[p] = 1;
                bt[p] = beats;
                fx[p] = time > beats ? time - beats : 0;
            } else if (dt < 0 || rdy - t < dt) {
                dt = rdy - t;
            }
        }
        const int both = act[0] && act[1] && fx[0] <= 0 && fx[1] <= 0 && bt[0] > 0 && bt[1] > 0;
        const double rate = both ? shared : alone;
        for (int p = 0; p < 2; p++) {
            if (!act[p])
                continue;
            const double left = fx[p] > 0 ? fx[p] : bt[p] / rate;
            if (dt < 0 || left < dt)
                dt = left;
        }
        if (dt < 0)
            return last;   /* nothing can move: not reached */
        for (int p = 0; p < 2; p++) {
            if (!act[p])
                continue;
            if (fx[p] > 0)
                fx[p] = fx[p] - dt > 1e-9 ? fx[p] - dt : 0;
            else
                bt[p] = bt[p] - dt * rate > 1e-9 ? bt[p] - dt * rate : 0;
        }
        t += dt;
        for (int p = 0; p < 2; p++)
            if (act[p] && fx[p] <= 0 && bt[p] <= 0) {
                done[p][q[p] % SLICE_RING] = t;
                q[p]++;
                act[p] = 0;
            }
    }
}

cnn_cost cnn_conv_cost(const cnn_conv_desc *d, double bpc)
{
    cnn_cost c = {0};
    conv_walk w = {0};
    w.d = d;
    w.icg = d->ic / d->groups;
    w.ocg = d->oc / d->groups;
    w.K = d->kh * d->kw * w.icg;
    w.ks = cnn_slice_depth(w.K);
    w.M = (int64_t)d->n * d->oh * d->ow;
    w.row_tiles = (w.M + CNN_PE_ROWS - 1) / CNN_PE_ROWS;
    w.col_tiles = (w.ocg + CNN_PE_COLS - 1) / CNN_PE_COLS;
    w.reuse = cnn_reuse(w.K);
    w.beats_per_cycle = bpc / CNN_AXI_BYTES;
    for (int s = 0; s < 2; s++)
        w.a_tag[s][0] = w.b_tag[s][0] = -1;
    const int n_outer = cnn_n_outer(w.row_tiles, w.col_tiles);
    c.macs = (uint64_t)w.M * (uint64_t)d->oc * (uint64_t)w.K;

    /* two buffer sets, the slices in the engine's order (conv_timeline) */
    slice_iter it = { 0, 0, 0, 0, n_outer ? w.row_tiles : w.col_tiles,
                      n_outer ? w.col_tiles : w.row_tiles, n_outer, 0 };
    const uint64_t c_end = (uint64_t)(conv_timeline(&w, &it) + 0.5);
    /* start (three divisions), the slices, then the last tile: through the
     * array, the output stage (a row a cycle) and the writer (a burst a row,
     * about three cycles) and its last write response */
    const uint64_t last_rows = (uint64_t)(w.M - (w.row_tiles - 1) * CNN_PE_ROWS);
    c.cycles = 3 * CNN_DIV_CYCLES + c_end + CNN_PE_ROWS + CNN_PE_COLS + CNN_PE_ROWS +
               3 * last_rows + CNN_AXI_LATENCY;
    const uint64_t tiles = (uint64_t)d->groups * (uint64_t)w.row_tiles * (uint64_t)w.col_tiles;
    c.mac_cycles = tiles * (uint64_t)w.K;
    c.bytes_read = w.bytes;
    c.bytes_written = (uint64_t)w.M * (uint64_t)d->oc;
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

/* Beats a run of len bytes takes on average when runs start pitch bytes
 * apart from a beat-aligned base (a run at offset a of its first beat takes
 * ceil((a + len) / 64) beats): the starts fall on the multiples of
 * gcd(pitch, 64) within a beat, equally often. Exactly ceil(len / 64) when
 * the pitch is a multiple of 64; a 16-byte run at a 16-byte pitch never
 * crosses a beat (the average over all 64 offsets said 1.23 beats). */
static double run_beats(uint64_t len, uint64_t pitch)
{
    uint64_t g = CNN_AXI_BYTES, p = pitch % CNN_AXI_BYTES;
    while (p) {
        const uint64_t r = g % p;
        g = p;
        p = r;
    }
    uint64_t sum = 0;
    for (uint64_t a = 0; a < CNN_AXI_BYTES; a += g)
        sum += ceil_div(a + len, CNN_AXI_BYTES);
    return (double)sum / (double)(CNN_AXI_BYTES / g);
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
 * dividers (CNN_POOL_DIV_CYCLES + 1 a chunk, overlapping the next chunk's taps).
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
        t = max_u64(t, pixels * chunks * (CNN_POOL_DIV_CYCLES + 1));
    c.bytes_read = inside * (uint64_t)d->c;
    c.bytes_written = pixels * (uint64_t)d->c;
    c.cycles = CNN_ENGINE_START + CNN_AXI_LATENCY + t + CNN_AXI_LATENCY;
    return c;
}

/*
 * Add (cnn_add.c; rtl/cnn/chm_cnn_add.sv): the lanes' tables first (256 /
 * CNN_ADD_TABLE_UNITS cycles, while the first bursts are in flight: only
 * what passes CNN_AXI_LATENCY shows), then 64-element chunks of a and b,
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
    const uint64_t tables = 256 / CNN_ADD_TABLE_UNITS;
    c.cycles = CNN_ENGINE_START + max_u64(CNN_AXI_LATENCY, tables) + t + CNN_AXI_LATENCY;
    return c;
}
