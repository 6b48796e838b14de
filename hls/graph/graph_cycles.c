/*
 * graph_cycles.c - cycles of graph_layer, counted from its loops and the
 * blob's real edges, as the GRAPH engine runs them (rtl/graph/chm_graph.sv:
 * one aggregation core and one combination array, joined by a ping-pong
 * buffer of two blocks). The int8 GCN rows are calibrated against that RTL
 * (bench/rtl_calib); so are its mean and max rows and GraphSAGE. The
 * other layers (fp32, GIN) are counted with the same machinery and have no
 * RTL to check them yet.
 *
 * Preload, once a call: the header, the block pointers, the weights (each
 * output column a run of k_len bytes, resident in the combination engine's
 * column banks) and the biases (quantized one a cycle).
 * Aggregation, per window of a destination block (graph_windows' rule):
 *   - load: rows x width bytes in runs that end at 1 KiB boundaries, a run
 *     issued a cycle, the beats at the bank's rate after the read latency;
 *     two window buffers, so a window loads while the one before it is
 *     reduced, and may not start before the reducer left the buffer;
 *   - reduce: an edge a segment a cycle (64 int8 / 16 fp32 lanes), after
 *     the previous window and after the window's data landed;
 *   - finish, per block: its rows a segment a cycle, into a free set of the
 *     ping-pong buffer (AC) or written out (CA); the reducer waits for it.
 *     int8 mean: a row of in-degree >= 2 takes GRAPH_DIV_CYCLES a segment
 *     (the 64 lanes' sequential dividers: a start, 8 quotient bits, done).
 * Combination, per block: each tile of columns streams k_len taps through
 * the array, at least its 32 rows apart (the store's rule), a cycle between
 * tiles; a block's tiles start once its set is full, and free the set.
 * CA first combines every block (rows read into the sets), then aggregates
 * T. Neither order beats the bank: the call takes at least all its beats
 * over the bank's rate.
 */
#include <string.h>

#include "graph_kernels.h"

#define GRAPH_CALL_OVERHEAD 6  /* start, header FSM, done */
#define GRAPH_RUN_BYTES 1024   /* runs end at 1 KiB boundaries */
#define GRAPH_AXI_BYTES 64
#define GRAPH_DIV_CYCLES 10    /* a divided segment of an int8 mean (8-bit quotients) */

static uint64_t cdiv(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

static uint64_t umax(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

/* The bank: beats a cycle (at most one a port), the latency. */
typedef struct bank_rate {
    double beats;
} bank_rate;

static uint64_t at_rate(uint64_t beats, bank_rate r)
{
    if (r.beats <= 0.0)
        return beats;
    const double c = (double)beats / r.beats;
    return (uint64_t)c + ((double)(uint64_t)c < c ? 1 : 0);
}

/* Beats and runs of len bytes at addr, split at 1 KiB boundaries. */
static void runs_of(uint64_t addr, uint64_t len, uint64_t *beats, uint64_t *runs)
{
    while (len) {
        const uint64_t piece = len < GRAPH_RUN_BYTES - addr % GRAPH_RUN_BYTES
                                   ? len
                                   : GRAPH_RUN_BYTES - addr % GRAPH_RUN_BYTES;
        *beats += cdiv(addr % GRAPH_AXI_BYTES + piece, GRAPH_AXI_BYTES);
        *runs += 1;
        addr += piece;
        len -= piece;
    }
}

/* A read of `runs` runs, `beats` beats: issued a run a cycle, landed after the latency. */
static uint64_t read_time(uint64_t runs, uint64_t beats, bank_rate r)
{
    return runs ? umax(runs, at_rate(beats, r)) + CNN_AXI_LATENCY + 2 : 0;
}

typedef struct engine_shape {
    uint64_t lanes;      /* aggregation lanes: features a segment */
    uint64_t cols;       /* combination array columns */
    uint64_t eb;         /* bytes an element */
} engine_shape;

/* Windows the scanner may run ahead of the reducer; runs a read port keeps in flight. */
#define GRAPH_WIN_QUEUE 32
#define GRAPH_RUNS_IN_FLIGHT 32
/* The window ring: two full windows of the widest rows (rtl/graph WinRing). */
#define GRAPH_WIN_RING (2ull * GRAPH_WINDOW * GRAPH_MAX_F)

/* The aggregation engine's state across blocks and windows. */
typedef struct agg_state {
    uint64_t sc_free;                        /* the scanner can take the next edge */
    uint64_t ld_free;                        /* the loader can issue a run */
    double land;                             /* the port's last beat landed */
    uint64_t run_land[GRAPH_RUNS_IN_FLIGHT]; /* when each of the last runs landed */
    uint64_t runs;
    uint64_t red_end;                        /* the reducer finished its last window */
    uint64_t pop[GRAPH_WIN_QUEUE];           /* when each of the last windows left the ring */
    uint64_t cum_end[GRAPH_WIN_QUEUE];       /* where its bytes ended in the stream */
    uint64_t cum, nwin;
    uint64_t busy;                           /* blocks' reduce (with its waits for rows) + finish */
    uint64_t beats;                          /* read from the bank */
    uint64_t rows, windows;
} agg_state;

static void agg_init(agg_state *s, uint64_t t)
{
    memset(s, 0, sizeof *s);
    s->sc_free = s->ld_free = s->red_end = t + CNN_AXI_LATENCY + 3; /* the first edges land */
    s->land = (double)t;
    for (int i = 0; i < GRAPH_RUNS_IN_FLIGHT; i++)
        s->run_land[i] = t;
    for (int i = 0; i < GRAPH_WIN_QUEUE; i++)
        s->pop[i] = t;
}

/* A window of rows x bytes_per_row at addr: its runs issued and landed; returns when it is ready. */
static uint64_t load_window(agg_state *s, uint64_t addr, uint64_t bytes, uint64_t not_before, bank_rate r)
{
    uint64_t ready = not_before;
    uint64_t t = s->ld_free > not_before ? s->ld_free : not_before;
    while (bytes) {
        const uint64_t piece = bytes < GRAPH_RUN_BYTES - addr % GRAPH_RUN_BYTES
                                   ? bytes
                                   : GRAPH_RUN_BYTES - addr % GRAPH_RUN_BYTES;
        const uint64_t beats = cdiv(addr % GRAPH_AXI_BYTES + piece, GRAPH_AXI_BYTES);
        uint64_t *slot = &s->run_land[s->runs % GRAPH_RUNS_IN_FLIGHT];
        if (t < *slot) /* no more runs in flight */
            t = *slot;
        double first = (double)(t + CNN_AXI_LATENCY + 1);
        if (first < s->land)
            first = s->land;
        s->land = first + (double)beats / (r.beats > 0.0 ? r.beats : 1.0);
        *slot = (uint64_t)s->land + 1;
        ready = *slot + 1;
        s->runs++;
        s->beats += beats;
        t++;
        addr += piece;
        bytes -= piece;
    }
    s->ld_free = t;
    return ready;
}

/*
 * Block b's windows over rows of `width` elements at base address x (row v
 * at x + v * width * eb): scanned, loaded and reduced; returns when its last
 * window is reduced (the finish comes after).
 */
static uint64_t agg_block(agg_state *s, const uint8_t *blob, uint32_t b, uint64_t width,
                          uint64_t x, engine_shape sh, bank_rate r, uint64_t not_before)
{
    const graph_hdr *h = (const graph_hdr *)blob;
    const uint64_t *ptr = (const uint64_t *)(blob + GRAPH_OFF_PTR);
    const uint32_t *src = (const uint32_t *)(blob + h->off_src);
    const uint64_t segs = cdiv(width, sh.lanes);
    uint64_t e = ptr[b];
    const uint64_t e1 = ptr[b + 1];
    int first_window = 1;
    do { /* an empty block still passes one (empty) window */
        uint64_t end = e;
        while (end < e1 && src[end] < src[e] + GRAPH_WINDOW)
            end++;
        const uint64_t rows = end > e ? (uint64_t)src[end - 1] - src[e] + 1 : 0;
        const uint64_t bytes = rows * width * sh.eb;
        const int q = (int)(s->nwin % GRAPH_WIN_QUEUE);
        /* scanned an edge a cycle, at most the queue's windows ahead of the reducer */
        uint64_t sc = s->sc_free > s->pop[q] ? s->sc_free : s->pop[q];
        s->sc_free = sc + (end - e) + (end == e1); /* a block's end is a cycle of its own */
        /* loaded once scanned and once the ring has room for it */
        uint64_t room = s->sc_free;
        for (int k = 0; k < GRAPH_WIN_QUEUE && s->cum + bytes > GRAPH_WIN_RING; k++) {
            const int j = (int)((s->nwin + (uint64_t)k) % GRAPH_WIN_QUEUE); /* oldest first */
            if (s->nwin + (uint64_t)k >= GRAPH_WIN_QUEUE &&
                s->cum_end[j] >= s->cum + bytes - GRAPH_WIN_RING) {
                room = umax(room, s->pop[j]); /* the ring frees enough when it leaves */
                break;
            }
        }
        const uint64_t ready = load_window(s, x + (uint64_t)src[e] * width * sh.eb, bytes, room, r);
        uint64_t red_start = umax(s->red_end, ready);
        if (first_window)
            red_start = umax(red_start, not_before);
        const uint64_t red = (end - e) * segs + 1;
        s->red_end = red_start + red;
        s->pop[q] = s->red_end;
        s->cum += bytes;
        s->cum_end[q] = s->cum;
        s->rows += rows;
        s->windows += rows ? 1 : 0;
        s->nwin++;
        first_window = 0;
        e = end;
    } while (e < e1);
    return s->red_end;
}

/* Cycles of block b's finish: nr rows of segs segments (int8 mean: divided rows slower). */
static uint64_t finish_cycles(const graph_desc *d, const uint8_t *blob, uint32_t b, uint64_t nr,
                              uint64_t segs)
{
    if (!d->int8 || d->aggr != GRAPH_MEAN)
        return nr * segs;
    const graph_hdr *h = (const graph_hdr *)blob;
    const uint32_t *deg = (const uint32_t *)(blob + h->off_deg);
    uint64_t c = 0;
    for (uint64_t r = 0; r < nr; r++)
        c += segs * (deg[(uint64_t)b * GRAPH_BLOCK + r] > 1 ? GRAPH_DIV_CYCLES : 1);
    return c;
}

/* A block's combination: tiles of cols columns, each k_len taps (>= 32 cycles) and a gap. */
static uint64_t comb_block(uint64_t k_len, uint64_t o, engine_shape sh)
{
    const uint64_t steps = k_len > GRAPH_BLOCK ? k_len : GRAPH_BLOCK;
    return cdiv(o, sh.cols) * (steps + 1);
}

/* Beats of a block's output rows written as tile runs of cols bytes (or whole segments). */
static uint64_t write_beats(uint64_t nr, uint64_t o, uint64_t run, uint64_t eb)
{
    uint64_t beats = 0;
    for (uint64_t c0 = 0; c0 < o; c0 += run) {
        const uint64_t len = (o - c0 < run ? o - c0 : run) * eb;
        for (uint64_t v = 0; v < nr; v++)
            beats += cdiv((v * o + c0) * eb % GRAPH_AXI_BYTES + len, GRAPH_AXI_BYTES);
    }
    return beats;
}

graph_cost graph_layer_cost(const graph_desc *d, const uint8_t *gblob, double bpc)
{
    const graph_hdr *h = (const graph_hdr *)gblob;
    const engine_shape sh = d->int8 ? (engine_shape){ 64, CNN_PE_COLS, 1 }
                                    : (engine_shape){ GRAPH_LANES, GRAPH_CE_COLS_F32, 4 };
    bank_rate r = { bpc / GRAPH_AXI_BYTES };
    if (r.beats > 1.0)
        r.beats = 1.0;
    const int ca = d->order == GRAPH_CA, gin = d->kind == GRAPH_GIN, sage = d->kind == GRAPH_SAGE;
    const uint64_t k_len = (uint64_t)(sage ? 2 * d->f : d->f);
    const uint64_t n = h->n, blocks = h->blocks;
    /* Card addresses are not known here: arrays as if they started on 4 KiB boundaries. */
    const uint64_t x_base = 0, t_base = 0;
    graph_cost c = {0};
    uint64_t total_beats = 0;

    /* preload: header; then block pointers (read master 0) beside weights and biases (1) */
    uint64_t t = GRAPH_CALL_OVERHEAD + read_time(1, 2, r);
    uint64_t pb = 0, pr = 0, wb = 0, wr = 0;
    runs_of(GRAPH_OFF_PTR, 8 * (blocks + 1), &pb, &pr);
    const uint64_t w_rows = (uint64_t)(gin ? d->h : d->o);
    for (uint64_t col = 0; col < w_rows; col++)
        runs_of(col * k_len * sh.eb, k_len * sh.eb, &wb, &wr);
    if (gin)
        for (uint64_t col = 0; col < (uint64_t)d->o; col++)
            runs_of(col * (uint64_t)d->h * sh.eb, (uint64_t)d->h * sh.eb, &wb, &wr);
    if (d->has_bias)
        runs_of(0, 4 * w_rows, &wb, &wr);
    if (d->has_bias2)
        runs_of(0, 4 * (uint64_t)d->o, &wb, &wr);
    t += umax(umax(read_time(pr, pb, r), read_time(wr, wb, r)), at_rate(pb + wb, r));
    if (d->has_bias)
        t += w_rows;
    if (d->has_bias2)
        t += (uint64_t)d->o;
    total_beats += pb + wb + 2;

    uint64_t comb_one = comb_block(ca ? (uint64_t)d->f : k_len, gin ? (uint64_t)d->h : (uint64_t)d->o, sh);
    if (gin)
        comb_one += comb_block((uint64_t)d->h, (uint64_t)d->o, sh);
    const uint64_t agg_width = ca ? (uint64_t)d->o : (uint64_t)d->f;
    const uint64_t segs = cdiv(agg_width, sh.lanes);
    agg_state s;
    agg_init(&s, t);
    uint64_t set_free[2] = { t, t }, comb_end = t, end = t;

    if (ca) {
        /* combination of every block: rows read into a set, tiles, rows of T written */
        uint64_t rl_free = t;
        for (uint64_t b = 0; b < blocks; b++) {
            const uint64_t nr = b + 1 < blocks ? GRAPH_BLOCK : n - b * GRAPH_BLOCK;
            uint64_t beats = 0, runs = 0;
            for (uint64_t v = 0; v < nr; v++)
                runs_of(x_base + (b * GRAPH_BLOCK + v) * (uint64_t)d->f * sh.eb,
                        (uint64_t)d->f * sh.eb, &beats, &runs);
            const uint64_t rl_start = umax(rl_free, set_free[b & 1]);
            const uint64_t rl_done = rl_start + read_time(runs, beats, r) + 1;
            rl_free = rl_done + 1;
            const uint64_t cs = umax(comb_end, rl_done);
            comb_end = cs + comb_one;
            set_free[b & 1] = comb_end;
            c.comb_cycles += comb_one;
            total_beats += beats + write_beats(nr, (uint64_t)d->o, sh.cols, sh.eb);
        }
        /* the last tile's rows leave the array and the store, T's writes are answered */
        const uint64_t last_nr = n - (blocks - 1) * GRAPH_BLOCK;
        end = comb_end + GRAPH_BLOCK + sh.cols + last_nr + CNN_AXI_LATENCY + 4;
        end = umax(end, t + at_rate(total_beats, r));
        /* aggregation of T, each block's rows finished and written */
        agg_init(&s, end);
        uint64_t fin_end = end;
        for (uint32_t b = 0; b < blocks; b++) {
            const uint64_t nr = b + 1 < blocks ? GRAPH_BLOCK : n - (uint64_t)b * GRAPH_BLOCK;
            const uint64_t red = agg_block(&s, gblob, b, agg_width, t_base, sh, r, fin_end);
            const uint64_t fin = finish_cycles(d, gblob, b, nr, segs);
            s.busy += red - fin_end + fin; /* reducing (and waiting for rows), finishing */
            fin_end = red + fin;
            total_beats += write_beats(nr, (uint64_t)d->o, sh.lanes, sh.eb);
        }
        end = fin_end + CNN_AXI_LATENCY + 4;
    } else {
        uint64_t fin_end = t;
        for (uint32_t b = 0; b < blocks; b++) {
            const uint64_t nr = b + 1 < blocks ? GRAPH_BLOCK : n - (uint64_t)b * GRAPH_BLOCK;
            const uint64_t red = agg_block(&s, gblob, b, agg_width, x_base, sh, r, fin_end);
            const uint64_t fs = umax(red, set_free[b & 1]);
            const uint64_t fin = finish_cycles(d, gblob, b, nr, segs);
            s.busy += red - fin_end + fin; /* reducing (and waiting for rows), finishing */
            fin_end = fs + fin;
            if (sage) { /* the block's own rows join the aggregated ones: runs row by row */
                uint64_t beats = 0, runs = 0;
                for (uint64_t v = 0; v < nr; v++)
                    runs_of(x_base + ((uint64_t)b * GRAPH_BLOCK + v) * d->f * sh.eb, d->f * sh.eb,
                            &beats, &runs);
                fin_end += read_time(runs, beats, r);
                total_beats += beats;
            }
            const uint64_t cs = umax(comb_end, fin_end + 1);
            comb_end = cs + comb_one;
            set_free[b & 1] = comb_end;
            c.comb_cycles += comb_one;
            total_beats += write_beats(nr, (uint64_t)d->o, sh.cols, sh.eb);
        }
        const uint64_t last_nr = n - (blocks - 1) * GRAPH_BLOCK;
        end = comb_end + GRAPH_BLOCK + sh.cols + last_nr + CNN_AXI_LATENCY + 4;
    }
    total_beats += s.beats + cdiv(h->edges * (4 + 1 + 1), GRAPH_AXI_BYTES);
    c.cycles = umax(end, at_rate(total_beats, r));
    c.agg_cycles = s.busy;
    c.rows_loaded = s.rows;
    c.windows = s.windows;
    c.feature_bytes = s.rows * agg_width * sh.eb;
    c.rows_dense = n * blocks;
    const uint64_t comb_macs = n * (gin ? (uint64_t)d->f * d->h + (uint64_t)d->h * d->o
                                        : k_len * (uint64_t)d->o);
    c.macs = comb_macs + h->edges * agg_width;
    return c;
}
