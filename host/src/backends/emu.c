/*
 * emu.c - the "emu" backend: the runtime's ops table over the emulated card.
 *
 * Tensors live in host memory that stands for card memory (calloc'ed on
 * first use, so untouched allocations cost nothing). Kernels are the HLS C
 * sources of hls/ compiled natively and called with pointers into that
 * memory; their time comes from the cycle models beside them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../device.h"
#include "../energy.h"
#include "../undervolt.h"
#include "cfgpkt.h"
#include "container.h"
#include "emu_card.h"

static emu_card *card_of(chm_device *dev)
{
    return dev->backend_data;
}

static int emu_open(chm_device *dev)
{
    emu_card *c = malloc(sizeof *c);
    if (!c)
        return CHM_ENOMEM;
    emu_card_init(c, dev->plat);
    dev->backend_data = c;
    return CHM_OK;
}

static void emu_close(chm_device *dev)
{
    emu_card_destroy(card_of(dev));
    free(card_of(dev));
    dev->backend_data = NULL;
}

static int emu_mem_alloc(chm_device *dev, chm_tensor *t)
{
    return emu_bank_alloc(&card_of(dev)->banks[t->bank], t->bytes, &t->addr) ? CHM_EDEVMEM
                                                                             : CHM_OK;
}

static void emu_mem_free(chm_device *dev, chm_tensor *t)
{
    emu_bank_free(&card_of(dev)->banks[t->bank], t->addr);
    free(t->mem);
    t->mem = NULL;
}

static int emu_mem_touch(chm_device *dev, chm_tensor *t)
{
    (void)dev;
    if (!t->mem)
        t->mem = calloc(1, t->bytes);
    return t->mem ? CHM_OK : CHM_ENOMEM;
}

static int emu_copy_to(chm_device *dev, chm_tensor *t, size_t off, const void *src, size_t n)
{
    (void)dev;
    memcpy((char *)t->mem + off, src, n);
    return CHM_OK;
}

static int emu_copy_from(chm_device *dev, chm_tensor *t, size_t off, void *dst, size_t n)
{
    (void)dev;
    memcpy(dst, (const char *)t->mem + off, n);
    return CHM_OK;
}

static const void *mem_or_null(const chm_tensor *t)
{
    return t ? t->mem : NULL;
}

/*
 * CA order's X W^T goes to scratch card memory in out's bank, held for the
 * call's duration (it counts in the bank's use meanwhile); no room fails
 * the command with CHM_EDEVMEM.
 */
static int run_graph(chm_device *dev, int region, const chm_kop *op, char *why, size_t n)
{
    const graph_desc *d = &op->u.graph;
    void *fx = NULL, *fw = NULL, *fw2 = NULL; /* the operands as faulty buffers give them */
    if (chm__uv_active(dev, region)) {
        int rc = chm__uv_graph_operands(dev, region, op, &fx, &fw, &fw2, why, n);
        if (rc)
            return rc;
    }
    const void *x = fx ? fx : op->in[1]->mem, *w = fw ? fw : op->in[2]->mem;
    const void *w2 = fw2 ? fw2 : mem_or_null(op->in[4]);
    const uint64_t bytes = (uint64_t)d->n * (uint64_t)d->o * (d->int8 ? 1 : sizeof(float));
    emu_bank *bank = &card_of(dev)->banks[op->out->bank];
    uint64_t addr = 0;
    void *scratch = NULL;
    if (d->order == GRAPH_CA) {
        pthread_mutex_lock(&dev->lock);
        int full = emu_bank_alloc(bank, bytes, &addr);
        pthread_mutex_unlock(&dev->lock);
        if (full || !(scratch = malloc((size_t)bytes))) {
            if (!full) {
                pthread_mutex_lock(&dev->lock);
                emu_bank_free(bank, addr);
                pthread_mutex_unlock(&dev->lock);
            }
            free(fx), free(fw), free(fw2);
            return full ? CHM_EDEVMEM : CHM_ENOMEM;
        }
    }
    if (d->int8)
        graph_layer_i8(op->in[0]->mem, x, w, mem_or_null(op->in[3]), w2, mem_or_null(op->in[5]),
                       (int8_t *)op->out->mem, scratch, *d);
    else
        graph_layer_f32(op->in[0]->mem, x, w, mem_or_null(op->in[3]), w2, mem_or_null(op->in[5]),
                        (float *)op->out->mem, scratch, *d);
    free(fx), free(fw), free(fw2);
    if (scratch) {
        free(scratch);
        pthread_mutex_lock(&dev->lock);
        emu_bank_free(bank, addr);
        pthread_mutex_unlock(&dev->lock);
    }
    return CHM_OK;
}

static int emu_run(chm_device *dev, int region, const chm_kop *op, char *why, size_t n)
{
    switch (op->kind) {
    case KOP_CONV:
        if (chm__uv_active(dev, region))
            return chm__uv_run_conv(dev, region, op, why, n);
        cnn_conv2d(op->in[0]->mem, op->in[1]->mem, mem_or_null(op->in[2]), op->mult, op->shift,
                   op->out->mem, op->u.conv);
        return CHM_OK;
    case KOP_POOL:
        cnn_pool(op->in[0]->mem, op->out->mem, op->u.pool);
        return CHM_OK;
    case KOP_ADD:
        cnn_add(op->in[0]->mem, op->in[1]->mem, op->out->mem, op->u.add);
        return CHM_OK;
    case KOP_SPARSE:
        sparse_layer(op->in[0]->mem, op->in[1]->mem, mem_or_null(op->in[2]), op->mult, op->shift,
                     op->out->mem, op->u.sparse);
        return CHM_OK;
    case KOP_GRAPH:
        return run_graph(dev, region, op, why, n);
    }
    return CHM_EINVAL;
}

static double emu_copy_time_us(chm_device *dev, int bank, size_t n)
{
    return emu_dma_time_us(card_of(dev), bank, n);
}

/*
 * A kernel's actions (chm_op_actions), from what its cycle model counts:
 *  - card memory: the bytes the model moves, charged to the output's bank;
 *  - on-chip: every byte loaded into a buffer is written once, and the
 *    arrays read their operands from buffers: a systolic array reads one
 *    A element a row and one B element a column each reduction step, the
 *    SPARSE walker one neuron byte a MAC, the GRAPH aggregator one window
 *    element an edge and feature; outputs are staged once;
 *  - arithmetic: MACs by datatype; pooling's compares/sums, the add unit's
 *    additions and the aggregator's sums as adds.
 */
static void cnn_actions(const chm_device *dev, const chm_kop *op, const cnn_cost *c, chm_op_actions *a)
{
    const uint64_t moved = c->bytes_read + c->bytes_written;
    if (op->kind == KOP_POOL)
        a->adds_int32 = (uint64_t)op->u.pool.n * op->u.pool.oh * op->u.pool.ow * op->u.pool.c *
                        op->u.pool.kh * op->u.pool.kw;
    else if (op->kind == KOP_ADD)
        a->adds_int32 = (uint64_t)op->u.add.count;
    a->macs_int8 = c->macs;
    a->onchip_bytes = moved + c->mac_cycles * (CNN_PE_ROWS + CNN_PE_COLS);
    chm__actions_bank(dev, op->out->bank, moved, a);
}

static void sparse_actions(const chm_device *dev, const chm_kop *op, const sparse_cost *c,
                           chm_op_actions *a)
{
    const uint64_t io = op->in[0]->bytes + op->out->bytes;
    a->macs_int8 = c->macs;
    a->onchip_bytes = io + c->macs;
    chm__actions_bank(dev, op->out->bank, c->weight_bytes + io, a);
}

static void graph_actions(const chm_device *dev, const chm_kop *op, const graph_cost *c,
                          chm_op_actions *a)
{
    const graph_desc *d = &op->u.graph;
    const graph_hdr *h = (const graph_hdr *)op->in[0]->blob;
    const uint64_t eb = d->int8 ? 1 : 4, cols = d->int8 ? CNN_PE_COLS : GRAPH_CE_COLS_F32;
    const uint64_t agg = h->edges * (uint64_t)(d->order == GRAPH_CA ? d->o : d->f);
    const uint64_t comb = c->macs - agg;
    if (d->int8)
        a->macs_int8 = comb, a->adds_int32 = agg;
    else
        a->macs_fp32 = comb, a->adds_fp32 = agg;
    a->onchip_bytes = c->feature_bytes + agg * eb + c->comb_cycles * (CNN_PE_ROWS + cols) * eb +
                      op->out->bytes;
    /* the windows' rows, the edges (source, destination, weight), the weights, the output;
     * combine-first also reads X whole and writes T; GraphSAGE reads each block's own rows */
    uint64_t bank = c->feature_bytes + h->edges * 6 + op->in[2]->bytes + op->out->bytes +
                    (op->in[4] ? op->in[4]->bytes : 0);
    if (d->order == GRAPH_CA)
        bank += op->in[1]->bytes + (uint64_t)d->n * (uint64_t)d->o * eb;
    else if (d->kind == GRAPH_SAGE)
        bank += op->in[1]->bytes;
    chm__actions_bank(dev, op->out->bank, bank, a);
}

static double emu_op_time_us(chm_device *dev, int region, const chm_kop *op, uint64_t *macs,
                             chm_op_actions *act)
{
    const emu_card *c = card_of(dev);
    double bpc = emu_bank_bytes_per_cycle(c, op->out->bank);
    memset(act, 0, sizeof *act);
    act->measured_uj = -1.0;
    cnn_cost cost;
    switch (op->kind) {
    case KOP_CONV:
        cost = cnn_conv_cost(&op->u.conv, bpc);
        cost.cycles += chm__uv_protection_cycles(dev, region);
        break;
    case KOP_POOL: cost = cnn_pool_cost(&op->u.pool, bpc); break;
    case KOP_ADD: cost = cnn_add_cost(&op->u.add, bpc); break;
    case KOP_SPARSE: {
        sparse_cost sc = sparse_layer_cost(&op->u.sparse, op->in[1]->blob, NULL, bpc);
        *macs = sc.macs;
        sparse_actions(dev, op, &sc, act);
        return emu_cycles_to_us(c, sc.cycles);
    }
    case KOP_GRAPH: {
        graph_cost gc = chm__graph_cost(dev, op);
        *macs = gc.macs;
        graph_actions(dev, op, &gc, act);
        return emu_cycles_to_us(c, gc.cycles);
    }
    default: memset(&cost, 0, sizeof cost); break;
    }
    *macs = cost.macs;
    cnn_actions(dev, op, &cost, act);
    return emu_cycles_to_us(c, cost.cycles);
}

static graph_cost emu_graph_cost(chm_device *dev, const chm_kop *op)
{
    return graph_layer_cost(&op->u.graph, op->in[0]->blob,
                            emu_bank_bytes_per_cycle(card_of(dev), op->out->bank));
}

/* The emulated ICAP is the manager: the decoupler isolates the region (the
 * runtime has marked it EMPTY), the ICAP checks the packet stream as the
 * configuration logic would (bitstreams/cfgpkt.c) and may fail mid-stream
 * as a card's can (chm__region_inject_icap_faults). */
static int emu_reconf_prepare(chm_device *dev, int region, chm_mode mode, char *why, size_t n)
{
    (void)dev, (void)region, (void)mode, (void)why, (void)n;
    return CHM_OK;
}

/* The packets as the ICAP will see them: this device's IDCODE, only region's frames. */
static int emu_reconf_check(chm_device *dev, int region, const uint8_t *bits, size_t len,
                            char *why, size_t n)
{
    const platform_region *pr = &dev->plat->regions[region];
    const cfg_target tgt = { dev->plat->idcode, pr->far, pr->frames };
    cfg_result res;
    return cfg_check(bits, len, &tgt, &res, why, n) ? CHM_EFORMAT : CHM_OK;
}

static int emu_reconf_write(chm_device *dev, int region, chm_mode mode, const uint8_t *bits,
                            size_t len, char *why, size_t n)
{
    (void)mode;
    if (!bits) {
        snprintf(why, n, "no container for an automatic load");
        return CHM_EFORMAT;
    }
    if (emu_reconf_check(dev, region, bits, len, why, n))
        return CHM_EFORMAT;
    pthread_mutex_lock(&dev->lock);
    const int fault = dev->icap_faults > 0;
    if (fault)
        dev->icap_faults--;
    pthread_mutex_unlock(&dev->lock);
    if (fault) {
        snprintf(why, n, "injected ICAP fault");
        return CHM_EFORMAT;
    }
    return CHM_OK;
}

static int emu_reconf_complete(chm_device *dev, int region, chm_mode mode, int ok, char *why,
                               size_t n)
{
    (void)dev, (void)region, (void)mode, (void)ok, (void)why, (void)n;
    return CHM_OK;
}

/* A region's partial bitstream writes all its frames (UG570: 93 words each). */
static size_t emu_reconf_bytes(chm_device *dev, int region, chm_mode mode)
{
    (void)mode;
    return (size_t)dev->plat->regions[region].frames * CFG_FRAME_WORDS * 4;
}

/* The emulation builds its own containers, as the build's packer does. */
static uint8_t *emu_container_for(chm_device *dev, int region, chm_mode mode, size_t *len)
{
    return container_pack(dev->plat, region, (int)mode, len);
}

static const chm_graph_ops emu_graph_ops = { .cost = emu_graph_cost };

const chm_backend_ops chm_emu_backend = {
    .name = "emu",
    .shell = PLATFORM_SHELL_EMULATED,
    .open = emu_open,
    .close = emu_close,
    .mem_alloc = emu_mem_alloc,
    .mem_free = emu_mem_free,
    .mem_touch = emu_mem_touch,
    .copy_to = emu_copy_to,
    .copy_from = emu_copy_from,
    .run = emu_run,
    .copy_time_us = emu_copy_time_us,
    .op_time_us = emu_op_time_us,
    .graph = &emu_graph_ops,
    .container_for = emu_container_for,
    .reconf_prepare = emu_reconf_prepare,
    .reconf_check = emu_reconf_check,
    .reconf_write = emu_reconf_write,
    .reconf_complete = emu_reconf_complete,
    .reconf_bytes = emu_reconf_bytes,
};
