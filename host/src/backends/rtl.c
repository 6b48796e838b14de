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
 * and the GRAPH mode's int8 GCN engine (sum aggregation, either order).
 * Other GRAPH layers (fp32, GraphSAGE, GIN, mean / max) are refused when
 * submitted, saying so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../device.h"
#include "emu_card.h"

#ifdef CHM_HAVE_RTL
#include "cnn_add_regs.h"
#include "cnn_conv2d_regs.h"
#include "cnn_pool_regs.h"
#include "graph_layer_i8_regs.h"
#include "sparse_layer_regs.h"
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

/* Writes a 64-bit pointer argument (two words) or a 32-bit scalar. */
static int put64(rtl_engine *e, uint32_t off, uint64_t v)
{
    return rtl_reg_write(e, off, (uint32_t)v) | rtl_reg_write(e, off + 4, (uint32_t)(v >> 32));
}

static int program_conv(rtl_engine *e, const chm_kop *op, uint64_t params)
{
    const cnn_conv_desc *d = &op->u.conv;
    const uint32_t nparams = d->per_tensor ? 1u : (uint32_t)d->oc;
    int bad = put64(e, CHM_CNN_CONV2D_IN, op->in[0]->addr) |
              put64(e, CHM_CNN_CONV2D_WTS, op->in[1]->addr) |
              put64(e, CHM_CNN_CONV2D_BIAS, op->in[2] ? op->in[2]->addr : 0) |
              put64(e, CHM_CNN_CONV2D_MULT, params) |
              put64(e, CHM_CNN_CONV2D_SHIFT, params + 4ull * nparams) |
              put64(e, CHM_CNN_CONV2D_OUT, op->out->addr);
    const struct { uint32_t off; int32_t v; } s[] = {
        { CHM_CNN_CONV2D_N, d->n }, { CHM_CNN_CONV2D_IH, d->ih }, { CHM_CNN_CONV2D_IW, d->iw },
        { CHM_CNN_CONV2D_IC, d->ic }, { CHM_CNN_CONV2D_OH, d->oh }, { CHM_CNN_CONV2D_OW, d->ow },
        { CHM_CNN_CONV2D_OC, d->oc }, { CHM_CNN_CONV2D_KH, d->kh }, { CHM_CNN_CONV2D_KW, d->kw },
        { CHM_CNN_CONV2D_STRIDE_H, d->stride_h }, { CHM_CNN_CONV2D_STRIDE_W, d->stride_w },
        { CHM_CNN_CONV2D_PAD_T, d->pad_t }, { CHM_CNN_CONV2D_PAD_L, d->pad_l },
        { CHM_CNN_CONV2D_DIL_H, d->dil_h }, { CHM_CNN_CONV2D_DIL_W, d->dil_w },
        { CHM_CNN_CONV2D_GROUPS, d->groups }, { CHM_CNN_CONV2D_IN_ZP, d->in_zp },
        { CHM_CNN_CONV2D_OUT_ZP, d->out_zp }, { CHM_CNN_CONV2D_ACT_MIN, d->act_min },
        { CHM_CNN_CONV2D_ACT_MAX, d->act_max }, { CHM_CNN_CONV2D_HAS_BIAS, d->has_bias },
        { CHM_CNN_CONV2D_PER_TENSOR, d->per_tensor },
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        bad |= rtl_reg_write(e, s[i].off, (uint32_t)s[i].v);
    return bad;
}

static int program_pool(rtl_engine *e, const chm_kop *op)
{
    const cnn_pool_desc *d = &op->u.pool;
    int bad = put64(e, CHM_CNN_POOL_IN, op->in[0]->addr) | put64(e, CHM_CNN_POOL_OUT, op->out->addr);
    const struct { uint32_t off; int32_t v; } s[] = {
        { CHM_CNN_POOL_N, d->n }, { CHM_CNN_POOL_IH, d->ih }, { CHM_CNN_POOL_IW, d->iw },
        { CHM_CNN_POOL_C, d->c }, { CHM_CNN_POOL_OH, d->oh }, { CHM_CNN_POOL_OW, d->ow },
        { CHM_CNN_POOL_KH, d->kh }, { CHM_CNN_POOL_KW, d->kw },
        { CHM_CNN_POOL_STRIDE_H, d->stride_h }, { CHM_CNN_POOL_STRIDE_W, d->stride_w },
        { CHM_CNN_POOL_PAD_T, d->pad_t }, { CHM_CNN_POOL_PAD_L, d->pad_l },
        { CHM_CNN_POOL_IS_AVG, d->is_avg },
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        bad |= rtl_reg_write(e, s[i].off, (uint32_t)s[i].v);
    return bad;
}

static int program_add(rtl_engine *e, const chm_kop *op)
{
    const cnn_add_desc *d = &op->u.add;
    int bad = put64(e, CHM_CNN_ADD_A, op->in[0]->addr) | put64(e, CHM_CNN_ADD_B, op->in[1]->addr) |
              put64(e, CHM_CNN_ADD_OUT, op->out->addr);
    const struct { uint32_t off; int32_t v; } s[] = {
        { CHM_CNN_ADD_COUNT, d->count }, { CHM_CNN_ADD_A_ZP, d->a_zp },
        { CHM_CNN_ADD_B_ZP, d->b_zp }, { CHM_CNN_ADD_OUT_ZP, d->out_zp },
        { CHM_CNN_ADD_A_MULT, d->a_mult }, { CHM_CNN_ADD_A_SHIFT, d->a_shift },
        { CHM_CNN_ADD_B_MULT, d->b_mult }, { CHM_CNN_ADD_B_SHIFT, d->b_shift },
        { CHM_CNN_ADD_OUT_MULT, d->out_mult }, { CHM_CNN_ADD_OUT_SHIFT, d->out_shift },
        { CHM_CNN_ADD_LEFT_SHIFT, d->left_shift }, { CHM_CNN_ADD_ACT_MIN, d->act_min },
        { CHM_CNN_ADD_ACT_MAX, d->act_max },
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        bad |= rtl_reg_write(e, s[i].off, (uint32_t)s[i].v);
    return bad;
}

static int program_sparse(rtl_engine *e, const chm_kop *op, uint64_t params)
{
    const sparse_desc *d = &op->u.sparse;
    const uint32_t nparams = d->per_tensor ? 1u : (uint32_t)d->oc;
    int bad = put64(e, CHM_SPARSE_LAYER_IN, op->in[0]->addr) |
              put64(e, CHM_SPARSE_LAYER_WBLOB, op->in[1]->addr) |
              put64(e, CHM_SPARSE_LAYER_BIAS, op->in[2] ? op->in[2]->addr : 0) |
              put64(e, CHM_SPARSE_LAYER_MULT, params) |
              put64(e, CHM_SPARSE_LAYER_SHIFT, params + 4ull * nparams) |
              put64(e, CHM_SPARSE_LAYER_OUT, op->out->addr);
    const struct { uint32_t off; int32_t v; } s[] = {
        { CHM_SPARSE_LAYER_N, d->n }, { CHM_SPARSE_LAYER_IH, d->ih }, { CHM_SPARSE_LAYER_IW, d->iw },
        { CHM_SPARSE_LAYER_IC, d->ic }, { CHM_SPARSE_LAYER_OH, d->oh }, { CHM_SPARSE_LAYER_OW, d->ow },
        { CHM_SPARSE_LAYER_OC, d->oc }, { CHM_SPARSE_LAYER_KH, d->kh }, { CHM_SPARSE_LAYER_KW, d->kw },
        { CHM_SPARSE_LAYER_STRIDE_H, d->stride_h }, { CHM_SPARSE_LAYER_STRIDE_W, d->stride_w },
        { CHM_SPARSE_LAYER_PAD_T, d->pad_t }, { CHM_SPARSE_LAYER_PAD_L, d->pad_l },
        { CHM_SPARSE_LAYER_DIL_H, d->dil_h }, { CHM_SPARSE_LAYER_DIL_W, d->dil_w },
        { CHM_SPARSE_LAYER_IN_ZP, d->in_zp }, { CHM_SPARSE_LAYER_OUT_ZP, d->out_zp },
        { CHM_SPARSE_LAYER_ACT_MIN, d->act_min }, { CHM_SPARSE_LAYER_ACT_MAX, d->act_max },
        { CHM_SPARSE_LAYER_HAS_BIAS, d->has_bias }, { CHM_SPARSE_LAYER_PER_TENSOR, d->per_tensor },
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        bad |= rtl_reg_write(e, s[i].off, (uint32_t)s[i].v);
    return bad;
}

static int program_graph(rtl_engine *e, const chm_kop *op, uint64_t scratch)
{
    const graph_desc *d = &op->u.graph;
    uint32_t inv_scale;
    memcpy(&inv_scale, &d->bias_inv_scale, sizeof inv_scale);
    int bad = put64(e, CHM_GRAPH_LAYER_I8_GBLOB, op->in[0]->addr) |
              put64(e, CHM_GRAPH_LAYER_I8_FEAT, op->in[1]->addr) |
              put64(e, CHM_GRAPH_LAYER_I8_W, op->in[2]->addr) |
              put64(e, CHM_GRAPH_LAYER_I8_BIAS, op->in[3] ? op->in[3]->addr : 0) |
              put64(e, CHM_GRAPH_LAYER_I8_W2, 0) | put64(e, CHM_GRAPH_LAYER_I8_BIAS2, 0) |
              put64(e, CHM_GRAPH_LAYER_I8_OUT, op->out->addr) |
              put64(e, CHM_GRAPH_LAYER_I8_SCRATCH, scratch);
    const struct { uint32_t off; int32_t v; } s[] = {
        { CHM_GRAPH_LAYER_I8_N, d->n }, { CHM_GRAPH_LAYER_I8_F, d->f }, { CHM_GRAPH_LAYER_I8_O, d->o },
        { CHM_GRAPH_LAYER_I8_H, d->h }, { CHM_GRAPH_LAYER_I8_KIND, d->kind },
        { CHM_GRAPH_LAYER_I8_AGGR, d->aggr }, { CHM_GRAPH_LAYER_I8_ORDER, d->order },
        { CHM_GRAPH_LAYER_I8_RELU, d->relu }, { CHM_GRAPH_LAYER_I8_HAS_BIAS, d->has_bias },
        { CHM_GRAPH_LAYER_I8_HAS_BIAS2, d->has_bias2 }, { CHM_GRAPH_LAYER_I8_IN_ZP, d->in_zp },
        { CHM_GRAPH_LAYER_I8_MID_ZP, d->mid_zp }, { CHM_GRAPH_LAYER_I8_HID_ZP, d->hid_zp },
        { CHM_GRAPH_LAYER_I8_OUT_ZP, d->out_zp }, { CHM_GRAPH_LAYER_I8_AGG_MULT, d->agg_mult },
        { CHM_GRAPH_LAYER_I8_AGG_SHIFT, d->agg_shift },
        { CHM_GRAPH_LAYER_I8_COMB_MULT, d->comb_mult },
        { CHM_GRAPH_LAYER_I8_COMB_SHIFT, d->comb_shift },
        { CHM_GRAPH_LAYER_I8_FIN_MULT, d->fin_mult }, { CHM_GRAPH_LAYER_I8_FIN_SHIFT, d->fin_shift },
        { CHM_GRAPH_LAYER_I8_BIAS_INV_SCALE, (int32_t)inv_scale },
        { CHM_GRAPH_LAYER_I8_BIAS2_INV_SCALE, 0 },
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        bad |= rtl_reg_write(e, s[i].off, (uint32_t)s[i].v);
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
    if (d->kind != GRAPH_GCN || d->aggr != GRAPH_SUM)
        return "the rtl GRAPH engine runs GCN layers with sum aggregation only (GraphSAGE, GIN, "
               "mean and max run on emu)";
    const uint64_t words = (uint64_t)(d->f + 63) / 64 * (uint64_t)((d->o + pe - 1) / pe);
    if (d->f > RTL_GRAPH_MAX_F || d->o > RTL_GRAPH_MAX_O ||
        words > RTL_GRAPH_WBYTES / 64 / (uint64_t)pe ||
        (d->n + GRAPH_BLOCK - 1) / GRAPH_BLOCK > RTL_GRAPH_MAX_BLOCKS) {
        snprintf(buf, n, "the layer (%d vertices, %d -> %d features) exceeds the rtl GRAPH "
                 "engine's buffers (rows <= %d features, <= %d outputs, weights resident in "
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
static int run_engine(chm_device *dev, int region, const chm_kop *op)
{
    rtl_card *c = card_of(dev);
    const rtl_kind kind = kind_of[op->kind];
    if (!c->eng[region][kind] && !(c->eng[region][kind] = rtl_engine_new(kind, c->pe)))
        return CHM_ENOMEM;
    rtl_engine *e = c->eng[region][kind];
    uint64_t nparams = 0, addr = 0, aux_bytes = 0;
    uint8_t *aux = NULL;
    emu_bank *bank = &c->emu.banks[op->out->bank];
    if (op->kind == KOP_CONV || op->kind == KOP_SPARSE) {
        const int conv = op->kind == KOP_CONV;
        const int per_tensor = conv ? op->u.conv.per_tensor : op->u.sparse.per_tensor;
        nparams = per_tensor ? 1 : (uint64_t)(conv ? op->u.conv.oc : op->u.sparse.oc);
        aux_bytes = 8 * nparams;
    } else if (op->kind == KOP_GRAPH && op->u.graph.order == GRAPH_CA) {
        aux_bytes = (uint64_t)op->u.graph.n * (uint64_t)op->u.graph.o;
    }
    if (aux_bytes) {
        aux = calloc(1, (size_t)aux_bytes);
        pthread_mutex_lock(&dev->lock);
        int full = aux ? emu_bank_alloc(bank, aux_bytes, &addr) : 0;
        pthread_mutex_unlock(&dev->lock);
        if (!aux || full) {
            free(aux);
            return aux ? CHM_EDEVMEM : CHM_ENOMEM;
        }
        if (nparams) {
            memcpy(aux, op->mult, 4 * nparams);
            memcpy(aux + 4 * nparams, op->shift, 4 * nparams);
        }
    }
    run_map m = { .n = 0, .plat = dev->plat };
    for (int i = 0; i < op->n_in; i++)
        if (op->in[i])
            add_span(&m, op->in[i]->addr, op->in[i]->bytes, op->in[i]->mem);
    add_span(&m, op->out->addr, op->out->bytes, op->out->mem);
    if (aux)
        add_span(&m, addr, aux_bytes, aux);
    const rtl_mem mem = { &m, map_addr, bank_of };
    int bad = op->kind == KOP_CONV     ? program_conv(e, op, addr)
              : op->kind == KOP_POOL   ? program_pool(e, op)
              : op->kind == KOP_SPARSE ? program_sparse(e, op, addr)
              : op->kind == KOP_GRAPH  ? program_graph(e, op, addr)
                                       : program_add(e, op);
    /* Done interrupt on, then start (0x04 GIE, 0x08 IER bit 0, 0x00 ap_start). */
    bad |= rtl_reg_write(e, 0x04, 1) | rtl_reg_write(e, 0x08, 1) | rtl_reg_write(e, 0x00, 1);
    int rc = bad ? CHM_EDEVICE : CHM_OK;
    if (!rc && rtl_run(e, &mem, c->timing, (int)dev->plat->n_banks, RTL_MAX_CYCLES,
                       &c->last[region]) != 0) {
        rtl_engine_reset(e);
        rc = CHM_EDEVICE;
    }
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

static int rtl_run_op(chm_device *dev, int region, const chm_kop *op)
{
    char why[256];
    card_of(dev)->last_us[region] = -1.0;
    if (op->kind == KOP_GRAPH && graph_refusal(&op->u.graph, card_of(dev)->pe, why, sizeof why))
        return CHM_EMODE;
    return run_engine(dev, region, op);
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
    .open = rtl_open,
    .inherit = &chm_emu_backend,
};
#endif
