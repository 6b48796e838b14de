/*
 * rtl.c - the "rtl" backend: the overlay's engines in SystemVerilog (rtl/),
 * simulated cycle by cycle by Verilator, driven through their AXI4-Lite
 * control registers as a card's driver would drive them.
 *
 * Card memory, copies and DMA timing are the emulated card's (emu.c): the
 * bank allocator's addresses are what the engines' AXI masters see, served
 * by rtl_sim's memory model with each bank's bandwidth and latency. A run
 * writes the kernel's arguments at the offsets of the generated register
 * map, sets ap_start, and clocks the engine until its done interrupt; the
 * card time of the operation is the cycles counted, over the kernel clock.
 * Engines built so far: the CNN mode's conv2d / fully connected, pooling
 * and add engines, the SPARSE mode's engine (Cambricon-X and -S weights)
 * and the GRAPH mode's int8 engine (GCN with sum, mean or max
 * aggregation, either order, max aggregate-first only; GraphSAGE
 * aggregate-first). fp32 and GIN layers are refused when submitted, saying
 * so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../device.h"
#include "../undervolt.h"
#include "emu_card.h"

#ifdef CHM_HAVE_RTL
#include "kargs.h"
#include "rtl_sim.h"

#define RTL_KINDS 5 /* rtl_kind: conv, pool, add, sparse, graph */

/* The engine model of a region is made at its first run: regions run in their own threads. */
typedef struct rtl_card {
    emu_card emu;           /* first: emu's memory and copy functions take the card as theirs */
    int pe;
    rtl_engine *eng[CHM_MAX_REGIONS][RTL_KINDS];
    double last_us[CHM_MAX_REGIONS];
    rtl_stats last[CHM_MAX_REGIONS];
    rtl_bank_timing timing[RTL_MAX_BANKS];
} rtl_card;

static rtl_card *card_of(chm_device *dev)
{
    return dev->backend_data;
}

/* The array size: CHIMERA_RTL_PE if set (8 builds and simulates fastest), else the
 * largest built (32, the size the HLS kernels and the cycle models describe). */
static int pick_pe(void)
{
    int sizes[4], n = rtl_engine_sizes(sizes, 4), want = n ? sizes[n - 1] : 0;
    const char *env = getenv("CHIMERA_RTL_PE");
    if (env && *env)
        want = atoi(env);
    for (int i = 0; i < n; i++)
        if (sizes[i] == want)
            return want;
    return 0;
}

static int rtl_open(chm_device *dev)
{
    const int pe = pick_pe();
    if (!pe)
        return chm__fail(NULL, "chm_device_open", CHM_ENODEV,
                         "no rtl engine of the array size CHIMERA_RTL_PE asks for (CMake's "
                         "CHM_RTL_SIZES lists those built)");
    rtl_card *c = calloc(1, sizeof *c);
    if (!c)
        return CHM_ENOMEM;
    emu_card_init(&c->emu, dev->plat);
    c->pe = pe;
    for (uint32_t b = 0; b < dev->plat->n_banks && b < RTL_MAX_BANKS; b++) {
        /* Bandwidth over the kernel clock in 64-byte beats; the read latency the
         * cycle models use (cnn_config.h: DDR4, UG1352). */
        c->timing[b].beats_per_cycle = emu_bank_bytes_per_cycle(&c->emu, (int)b) / 64.0;
        c->timing[b].read_latency = CNN_AXI_LATENCY;
        c->timing[b].write_latency = CNN_AXI_LATENCY;
    }
    dev->backend_data = c;
    return CHM_OK;
}

static void rtl_close(chm_device *dev)
{
    rtl_card *c = card_of(dev);
    for (int r = 0; r < CHM_MAX_REGIONS; r++)
        for (int k = 0; k < RTL_KINDS; k++)
            rtl_engine_free(c->eng[r][k]);
    emu_card_destroy(&c->emu);
    free(c);
    dev->backend_data = NULL;
}

/* The buffers one run may touch: the op's tensors and its parameter scratch. */
typedef struct span {
    uint64_t addr, len;
    uint8_t *p;
} span;

typedef struct run_map {
    span s[KOP_MAX_TENSORS + 2];
    int n;
    const platform_desc *plat;
} run_map;

static uint8_t *map_addr(void *ctx, uint64_t addr, uint64_t len)
{
    const run_map *m = ctx;
    for (int i = 0; i < m->n; i++)
        if (m->s[i].p && addr >= m->s[i].addr && len <= m->s[i].len &&
            addr - m->s[i].addr <= m->s[i].len - len)
            return m->s[i].p + (addr - m->s[i].addr);
    return NULL;
}

static int bank_of(void *ctx, uint64_t addr)
{
    const run_map *m = ctx;
    for (uint32_t b = 0; b < m->plat->n_banks; b++)
        if (addr >= m->plat->banks[b].base && addr - m->plat->banks[b].base < m->plat->banks[b].size)
            return (int)b;
    return -1;
}

static void add_span(run_map *m, uint64_t addr, uint64_t len, void *p)
{
    m->s[m->n++] = (span){ addr, len, p };
}

/* Writes a 64-bit pointer argument (two words). */
static int put64(rtl_engine *e, uint32_t off, uint64_t v)
{
    return rtl_reg_write(e, off, (uint32_t)v) | rtl_reg_write(e, off + 4, (uint32_t)(v >> 32));
}

/* The kernel's arguments into its control registers, at the register map's offsets. */
static int program(rtl_engine *e, const kargs *k, uint64_t aux_addr)
{
    int bad = 0;
    for (int i = 0; i < k->n; i++) {
        const karg *a = &k->a[i];
        switch (a->kind) {
        case KARG_SCALAR: bad |= rtl_reg_write(e, a->offset, a->value); break;
        case KARG_TENSOR: bad |= put64(e, a->offset, a->t->addr); break;
        case KARG_AUX: bad |= put64(e, a->offset, aux_addr + a->aux_off); break;
        case KARG_NULL: bad |= put64(e, a->offset, 0); break;
        }
    }
    return bad;
}

/* The GRAPH engine's limits (rtl/graph/chm_graph.sv parameters): widest row,
 * most columns, resident weight bytes, destination blocks. */
#define RTL_GRAPH_MAX_F 4096
#define RTL_GRAPH_MAX_O 4096
#define RTL_GRAPH_WBYTES 524288
#define RTL_GRAPH_MAX_BLOCKS 8192

/* Why the GRAPH engine cannot run d (NULL if it can) on a pe-column array. */
static const char *graph_refusal(const graph_desc *d, int pe, char *buf, size_t n)
{
    if (!d->int8)
        return "the rtl GRAPH engine is int8 only (fp32 layers run on emu)";
    if (d->kind == GRAPH_GIN)
        return "the rtl GRAPH engine runs GCN and GraphSAGE layers only (GIN runs on emu)";
    if (d->order == GRAPH_CA && (d->aggr == GRAPH_MAX || d->kind == GRAPH_SAGE))
        return "max aggregation and GraphSAGE's self term cannot run combine-first";
    const int32_t k = d->kind == GRAPH_SAGE ? 2 * d->f : d->f; /* taps of a combination row */
    const uint64_t words = (uint64_t)(k + 63) / 64 * (uint64_t)((d->o + pe - 1) / pe);
    if (k > RTL_GRAPH_MAX_F || d->o > RTL_GRAPH_MAX_O ||
        words > RTL_GRAPH_WBYTES / 64 / (uint64_t)pe ||
        (d->n + GRAPH_BLOCK - 1) / GRAPH_BLOCK > RTL_GRAPH_MAX_BLOCKS) {
        snprintf(buf, n, "the layer (%d vertices, %d -> %d features) exceeds the rtl GRAPH "
                 "engine's buffers (rows <= %d features, GraphSAGE's two halves together, "
                 "<= %d outputs, weights resident in "
                 "%d KiB, <= %d vertices)", d->n, d->f, d->o, RTL_GRAPH_MAX_F, RTL_GRAPH_MAX_O,
                 RTL_GRAPH_WBYTES / 1024, RTL_GRAPH_MAX_BLOCKS * GRAPH_BLOCK);
        return buf;
    }
    return NULL;
}

/* Cycles past which a run counts as hung (a few seconds of card time at 300 MHz). */
#define RTL_MAX_CYCLES 2000000000ull

static const rtl_kind kind_of[] = { [KOP_CONV] = RTL_CNN_CONV, [KOP_POOL] = RTL_CNN_POOL,
                                    [KOP_ADD] = RTL_CNN_ADD, [KOP_SPARSE] = RTL_SPARSE,
                                    [KOP_GRAPH] = RTL_GRAPH };

/*
 * One operation on region's engine: its arguments written, the done
 * interrupt enabled, ap_start, clocked until done. A conv's multipliers and
 * shifts live in card memory, as a driver would put them, and so does a
 * combine-first GRAPH layer's X W^T: a scratch allocation in out's bank for
 * the run.
 */
static int run_engine(chm_device *dev, int region, const chm_kop *op, char *why, size_t whylen)
{
    rtl_card *c = card_of(dev);
    const rtl_kind kind = kind_of[op->kind];
    kargs k;
    int rc = kargs_of(op, &k, why, whylen);
    if (rc)
        return rc;
    if (!c->eng[region][kind] && !(c->eng[region][kind] = rtl_engine_new(kind, c->pe)))
        return CHM_ENOMEM;
    rtl_engine *e = c->eng[region][kind];
    /* The region's rail below Vmin: weak cells in the engine's tile buffers (rtl_sim.h). An
     * ECC-detected word fails the run, and its output is put back as it was. */
    uint64_t fseed = 0;
    int fecc = 0;
    const double frac = op->kind == KOP_CONV || op->kind == KOP_GRAPH
                            ? chm__uv_rtl_faults(dev, region, &fseed, &fecc) : 0.0;
    rtl_engine_set_faults(e, frac, fseed, fecc);
    rtl_fault_counts f0, f1;
    rtl_engine_fault_counts(e, &f0);
    uint8_t *keep = frac > 0 && fecc ? malloc(op->out->bytes ? op->out->bytes : 1) : NULL;
    if (frac > 0 && fecc && !keep)
        return CHM_ENOMEM;
    if (keep)
        memcpy(keep, op->out->mem, op->out->bytes);
    uint64_t addr = 0;
    const uint64_t aux_bytes = k.aux_bytes;
    uint8_t *aux = NULL;
    emu_bank *bank = &c->emu.banks[op->out->bank];
    if (aux_bytes) {
        aux = malloc((size_t)aux_bytes);
        pthread_mutex_lock(&dev->lock);
        int full = aux ? emu_bank_alloc(bank, aux_bytes, &addr) : 0;
        pthread_mutex_unlock(&dev->lock);
        if (!aux || full) {
            free(aux), free(keep);
            snprintf(why, whylen, "no room for the run's %llu-byte parameter / scratch buffer in "
                     "bank %d", (unsigned long long)aux_bytes, op->out->bank);
            return aux ? CHM_EDEVMEM : CHM_ENOMEM;
        }
        kargs_fill_aux(op, &k, aux);
    }
    run_map m = { .n = 0, .plat = dev->plat };
    for (int i = 0; i < op->n_in; i++)
        if (op->in[i])
            add_span(&m, op->in[i]->addr, op->in[i]->bytes, op->in[i]->mem);
    add_span(&m, op->out->addr, op->out->bytes, op->out->mem);
    if (aux)
        add_span(&m, addr, aux_bytes, aux);
    const rtl_mem mem = { &m, map_addr, bank_of };
    int bad = program(e, &k, addr);
    /* Done interrupt on, then start (0x04 GIE, 0x08 IER bit 0, 0x00 ap_start). */
    bad |= rtl_reg_write(e, 0x04, 1) | rtl_reg_write(e, 0x08, 1) | rtl_reg_write(e, 0x00, 1);
    rc = bad ? CHM_EDEVICE : CHM_OK;
    if (!rc && rtl_run(e, &mem, c->timing, (int)dev->plat->n_banks, RTL_MAX_CYCLES,
                       &c->last[region]) != 0) {
        rtl_engine_reset(e);
        snprintf(why, whylen, "the %s engine of region %d did not finish (bad memory access or "
                 "past %llu cycles); it was reset", k.kernel, region,
                 (unsigned long long)RTL_MAX_CYCLES);
        rc = CHM_EDEVICE;
    }
    const rtl_stats *st = &c->last[region];
    if (!rc && (st->axi_4k_crossings || st->axi_wlast_errors)) {
        /* The engine broke the AXI4 protocol: a card's interconnect would answer with an
         * error or a hang, so the result is not trusted. */
        snprintf(why, whylen, "the %s engine of region %d broke the AXI4 protocol: %llu bursts "
                 "across a 4 KiB boundary, %llu W beats with a wrong WLAST", k.kernel, region,
                 (unsigned long long)st->axi_4k_crossings,
                 (unsigned long long)st->axi_wlast_errors);
        rc = CHM_EDEVICE;
    }
    rtl_engine_fault_counts(e, &f1);
    if (frac > 0)
        chm__uv_rtl_count(dev, region, f1.injected - f0.injected, f1.corrected - f0.corrected,
                          f1.detected - f0.detected, f1.undetected - f0.undetected);
    if (!rc && f1.detected > f0.detected) {
        memcpy(op->out->mem, keep, op->out->bytes);
        snprintf(why, whylen, "region %d: ECC detected %llu bits in tile buffer words with two "
                 "weak cells (uncorrectable); the output was not kept", region,
                 (unsigned long long)(f1.detected - f0.detected));
        rc = CHM_EDEVICE;
    }
    free(keep);
    uint32_t ctrl;
    if (!rc && (rtl_reg_read(e, 0x00, &ctrl) || !(ctrl & 2u) || !(ctrl & 4u)))
        rc = CHM_EDEVICE; /* done and idle, and the read clears done */
    rtl_reg_write(e, 0x0C, 1); /* acknowledge the interrupt (ISR toggles on write) */
    c->last_us[region] = rc ? -1.0 : emu_cycles_to_us(&c->emu, c->last[region].cycles);
    if (aux) {
        pthread_mutex_lock(&dev->lock);
        emu_bank_free(bank, addr);
        pthread_mutex_unlock(&dev->lock);
        free(aux);
    }
    return rc;
}

static int rtl_run_op(chm_device *dev, int region, const chm_kop *op, char *why, size_t n)
{
    card_of(dev)->last_us[region] = -1.0;
    const char *no = op->kind == KOP_GRAPH ? graph_refusal(&op->u.graph, card_of(dev)->pe, why, n)
                                           : NULL;
    if (no) {
        if (no != why)
            snprintf(why, n, "%s", no);
        return CHM_EMODE;
    }
    return run_engine(dev, region, op, why, n);
}

static double rtl_last_run_us(chm_device *dev, int region)
{
    return card_of(dev)->last_us[region];
}

static int rtl_supports(chm_device *dev, const chm_kop *op, char *why, size_t n)
{
    char buf[256];
    const char *no = op->kind == KOP_GRAPH ? graph_refusal(&op->u.graph, card_of(dev)->pe, buf,
                                                           sizeof buf)
                                           : NULL;
    if (no)
        snprintf(why, n, "%s", no);
    return !no;
}

const chm_backend_ops chm_rtl_backend = {
    .name = "rtl",
    .shell = PLATFORM_SHELL_EMULATED,
    .open = rtl_open,
    .close = rtl_close,
    .run = rtl_run_op,
    .last_run_us = rtl_last_run_us,
    .supports = rtl_supports,
    /* memory, copies, modelled estimates and containers: the emulated card's */
    .inherit = &chm_emu_backend,
};

#else /* !CHM_HAVE_RTL */

static int rtl_open(chm_device *dev)
{
    (void)dev;
    return chm__fail(NULL, "chm_device_open", CHM_ENODEV,
                     "the rtl backend is not built into this library: install Verilator "
                     "(apt-get install verilator) and rebuild");
}

const chm_backend_ops chm_rtl_backend = {
    .name = "rtl",
    .shell = PLATFORM_SHELL_EMULATED,
    .open = rtl_open,
    .inherit = &chm_emu_backend,
};
#endif
