/*
 * ops_graph.c - the GRAPH mode's operations: uploading a graph in the
 * aggregation engine's layout, and GCN / GraphSAGE / GIN layers.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "op_submit.h"

typedef struct blob_edge {
    uint64_t key; /* source << 8 | destination within the block */
    float w;
} blob_edge;

static int key_cmp(const void *pa, const void *pb)
{
    const blob_edge *a = pa, *b = pb;
    return a->key < b->key ? -1 : a->key > b->key;
}

static uint64_t align64(uint64_t x)
{
    return (x + 63) & ~(uint64_t)63;
}

/* Appends the window table (graph_format.h) to a blob whose edges are in place. */
static uint8_t *add_window_table(uint8_t *blob, uint64_t *bytes)
{
    graph_hdr h;
    memcpy(&h, blob, sizeof h);
    h.windows = 0;
    for (uint32_t b = 0; b < h.blocks; b++)
        h.windows += graph_windows(blob, b, NULL);
    h.off_wptr = h.bytes;
    h.off_wrows = align64(h.off_wptr + 8 * ((uint64_t)h.blocks + 1));
    h.bytes = align64(h.off_wrows + 4 * h.windows);
    uint8_t *grown = realloc(blob, h.bytes);
    if (!grown) {
        free(blob);
        return NULL;
    }
    memset(grown + h.off_wptr, 0, h.bytes - h.off_wptr);
    uint64_t *wptr = (uint64_t *)(grown + h.off_wptr);
    uint32_t *wrows = (uint32_t *)(grown + h.off_wrows);
    for (uint32_t b = 0; b < h.blocks; b++)
        wptr[b + 1] = wptr[b] + graph_windows(grown, b, wrows + wptr[b]);
    memcpy(grown, &h, sizeof h);
    *bytes = h.bytes;
    return grown;
}

/* The blob of graph_format.h; NULL when out of memory. */
static uint8_t *build_blob(const chm_graph *g, uint64_t *bytes)
{
    graph_hdr h = { .magic = GRAPH_MAGIC, .version = GRAPH_VERSION, .n = (uint32_t)g->n,
                    .blocks = (uint32_t)((g->n + GRAPH_BLOCK - 1) / GRAPH_BLOCK),
                    .edges = (uint64_t)g->nnz };
    const uint64_t e = h.edges;
    h.off_src = align64(GRAPH_OFF_PTR + (uint64_t)(h.blocks + 1) * 8);
    h.off_dst = align64(h.off_src + 4 * e);
    h.off_w = align64(h.off_dst + e);
    h.off_wq = align64(h.off_w + 4 * e);
    h.off_deg = align64(h.off_wq + e);
    h.bytes = align64(h.off_deg + 4 * (uint64_t)g->n);
    uint8_t *blob = calloc(1, h.bytes);
    blob_edge *tmp = malloc(sizeof *tmp * (size_t)(e ? e : 1));
    if (!blob || !tmp) {
        free(blob);
        free(tmp);
        return NULL;
    }
    chm_graph_edge_scale(g, &h.wscale);
    uint64_t *ptr = (uint64_t *)(blob + GRAPH_OFF_PTR);
    uint32_t *src = (uint32_t *)(blob + h.off_src), *deg = (uint32_t *)(blob + h.off_deg);
    uint8_t *dst = blob + h.off_dst;
    float *w = (float *)(blob + h.off_w);
    int8_t *wq = (int8_t *)(blob + h.off_wq);
    uint64_t at = 0;
    for (uint32_t b = 0; b < h.blocks; b++) {
        const int64_t v0 = (int64_t)b * GRAPH_BLOCK, v1 = v0 + GRAPH_BLOCK < g->n ? v0 + GRAPH_BLOCK : g->n;
        uint64_t m = 0;
        for (int64_t v = v0; v < v1; v++) {
            deg[v] = (uint32_t)(g->row_ptr[v + 1] - g->row_ptr[v]);
            h.max_deg = deg[v] > h.max_deg ? deg[v] : h.max_deg;
            for (int64_t k = g->row_ptr[v]; k < g->row_ptr[v + 1]; k++)
                tmp[m++] = (blob_edge){ (uint64_t)g->col[k] << 8 | (uint64_t)(v - v0), g->w[k] };
        }
        qsort(tmp, (size_t)m, sizeof *tmp, key_cmp);
        ptr[b] = at;
        for (uint64_t i = 0; i < m; i++, at++) {
            src[at] = (uint32_t)(tmp[i].key >> 8);
            dst[at] = (uint8_t)(tmp[i].key & 0xff);
            w[at] = tmp[i].w;
            const long q = lroundf(tmp[i].w / h.wscale);
            wq[at] = (int8_t)(q > 127 ? 127 : q < -127 ? -127 : q);
        }
    }
    ptr[h.blocks] = at;
    free(tmp);
    memcpy(blob, &h, sizeof h);
    return add_window_table(blob, bytes);
}

int chm_graph_upload(chm_device *dev, const chm_graph *g, int bank, chm_tensor **out)
{
    if (!dev || !g || !out)
        return CHM_FAIL(dev, CHM_EINVAL, "dev, g and out must not be NULL");
    for (int64_t v = 0; v < g->n; v++)
        if (g->row_ptr[v + 1] - g->row_ptr[v] > UINT32_MAX)
            return CHM_FAIL(dev, CHM_ELIMIT, "vertex %lld has %lld in-edges", (long long)v,
                            (long long)(g->row_ptr[v + 1] - g->row_ptr[v]));
    uint64_t bytes;
    uint8_t *blob = build_blob(g, &bytes);
    if (!blob)
        return CHM_FAIL(dev, CHM_ENOMEM, "no host memory for a graph of %lld edges", (long long)g->nnz);
    int rc = chm__upload_blob(dev, __func__, blob, bytes, bank, out);
    if (rc)
        free(blob);
    return rc;
}

/* A layer's tensors, as chm_gnn_layer and chm_gnn_layer_plan take them. */
typedef struct gnn_args {
    chm_tensor *graph, *in, *w, *bias, *w2, *bias2, *out;
} gnn_args;

static int check_scale(chm_device *dev, const char *who, const char *what, float s)
{
    if (!(s > 0.0f) || !isfinite(s))
        return chm__fail(dev, who, CHM_EINVAL, "q.%s is %g; int8 layers need a positive scale", what, s);
    return CHM_OK;
}

static int check_zp(chm_device *dev, const char *who, const char *what, int32_t zp)
{
    if (zp < -128 || zp > 127)
        return chm__fail(dev, who, CHM_EINVAL, "q.%s is %d, not in [-128, 127]", what, zp);
    return CHM_OK;
}

/* Q31 multiplier and shift of a stage whose real factor is real. */
static int stage(chm_device *dev, const char *who, const char *what, double real, int32_t *m,
                 int32_t *s)
{
    if (chm_quantize_multiplier(real, m, s))
        return chm__fail(dev, who, CHM_EINVAL, "the %s stage's scale ratio %g is out of range", what, real);
    return CHM_OK;
}

/* The int8 stages' multipliers and bias scales, for the order in d. */
static int int8_stages(chm_device *dev, const char *who, const chm_gnn_quant *q, float wscale,
                       graph_desc *d)
{
    CHECK(check_scale(dev, who, "in_scale", q->in_scale));
    CHECK(check_scale(dev, who, "w_scale", q->w_scale));
    CHECK(check_scale(dev, who, "out_scale", q->out_scale));
    CHECK(check_zp(dev, who, "in_zero_point", q->in_zero_point));
    CHECK(check_zp(dev, who, "out_zero_point", q->out_zero_point));
    const int sage = d->kind == GRAPH_SAGE;
    const double mid = sage ? q->in_scale : q->mid_scale;
    d->mid_zp = sage ? q->in_zero_point : q->mid_zero_point;
    if (!sage) {
        CHECK(check_scale(dev, who, "mid_scale", q->mid_scale));
        CHECK(check_zp(dev, who, "mid_zero_point", q->mid_zero_point));
    }
    const double edge = d->aggr == GRAPH_SUM ? wscale : 1.0;
    d->in_zp = q->in_zero_point;
    d->out_zp = q->out_zero_point;
    if (d->order == GRAPH_CA) {
        CHECK(stage(dev, who, "combination", q->in_scale * (double)q->w_scale / mid, &d->comb_mult, &d->comb_shift));
        CHECK(stage(dev, who, "aggregation", mid * edge / q->out_scale, &d->fin_mult, &d->fin_shift));
        d->bias_inv_scale = (float)(1.0 / (mid * edge));
        return CHM_OK;
    }
    CHECK(stage(dev, who, "aggregation", q->in_scale * edge / mid, &d->agg_mult, &d->agg_shift));
    d->bias_inv_scale = (float)(1.0 / (mid * q->w_scale));
    if (d->kind != GRAPH_GIN)
        return stage(dev, who, "combination", mid * q->w_scale / q->out_scale, &d->comb_mult, &d->comb_shift);
    CHECK(check_scale(dev, who, "hidden_scale", q->hidden_scale));
    CHECK(check_scale(dev, who, "w2_scale", q->w2_scale));
    CHECK(check_zp(dev, who, "hidden_zero_point", q->hidden_zero_point));
    d->hid_zp = q->hidden_zero_point;
    d->bias2_inv_scale = (float)(1.0 / ((double)q->hidden_scale * q->w2_scale));
    CHECK(stage(dev, who, "combination", mid * q->w_scale / q->hidden_scale, &d->comb_mult, &d->comb_shift));
    return stage(dev, who, "second combination", (double)q->hidden_scale * q->w2_scale / q->out_scale,
                 &d->fin_mult, &d->fin_shift);
}

/* Checks a layer's tensors and parameters and fills d (order as asked, AUTO as AC). */
static int check_layer(chm_device *dev, const char *who, const gnn_args *a, const chm_gnn_params *p,
                       graph_desc *d)
{
    if (!dev || !p)
        return chm__fail(dev, who, CHM_EINVAL, "dev and p must not be NULL");
    if ((unsigned)p->kind > CHM_GNN_GIN || (unsigned)p->aggr > CHM_AGGR_MAX || (unsigned)p->order > CHM_ORDER_COMBINE_FIRST)
        return chm__fail(dev, who, CHM_EINVAL, "kind %d, aggr %d or order %d is not one of the enum's",
                         (int)p->kind, (int)p->aggr, (int)p->order);
    CHECK(chm__check_tensor(dev, who, "graph", a->graph, CHM_INT8, 1));
    const graph_hdr *h = (const graph_hdr *)a->graph->blob;
    if (!h || h->magic != GRAPH_MAGIC)
        return chm__fail(dev, who, CHM_EINVAL, "graph is not a graph tensor (make it with chm_graph_upload)");
    if (!a->in)
        return chm__fail(dev, who, CHM_EINVAL, "in is NULL");
    const chm_dtype dt = a->in->dtype;
    if (dt != CHM_INT8 && dt != CHM_FP32)
        return chm__fail(dev, who, CHM_EDTYPE, "in is %s; GRAPH layers take int8 or fp32 features",
                         dt == CHM_INT32 ? "int32" : "?");
    CHECK(chm__check_tensor(dev, who, "in", a->in, dt, 2));
    CHECK(chm__check_tensor(dev, who, "weights", a->w, dt, 2));
    CHECK(chm__check_tensor(dev, who, "out", a->out, dt, 2));
    CHECK(chm__check_dim(dev, who, "in", a->in, 0, h->n, "the graph's vertices"));
    CHECK(chm__check_dim(dev, who, "out", a->out, 0, h->n, "the graph's vertices"));
    const int64_t f = a->in->dims[1], o = a->out->dims[1];
    const int gin = p->kind == CHM_GNN_GIN;
    CHECK(chm__check_dim(dev, who, "weights", a->w, 1, p->kind == CHM_GNN_SAGE ? 2 * f : f,
                         p->kind == CHM_GNN_SAGE ? "2 x in features (neighbour, self)" : "in features"));
    if (!gin)
        CHECK(chm__check_dim(dev, who, "weights", a->w, 0, o, "out features"));
    const int64_t hid = gin ? a->w->dims[0] : 0;
    if (gin) {
        CHECK(chm__check_tensor(dev, who, "weights2", a->w2, dt, 2));
        CHECK(chm__check_dim(dev, who, "weights2", a->w2, 0, o, "out features"));
        CHECK(chm__check_dim(dev, who, "weights2", a->w2, 1, hid, "weights dims[0] (hidden)"));
        if (a->bias2) {
            CHECK(chm__check_tensor(dev, who, "bias2", a->bias2, CHM_FP32, 1));
            CHECK(chm__check_dim(dev, who, "bias2", a->bias2, 0, o, "out features"));
        }
    } else if (a->w2 || a->bias2) {
        return chm__fail(dev, who, CHM_EINVAL, "weights2 and bias2 are for GIN layers only");
    }
    if (a->bias) {
        CHECK(chm__check_tensor(dev, who, "bias", a->bias, CHM_FP32, 1));
        CHECK(chm__check_dim(dev, who, "bias", a->bias, 0, gin ? hid : o, gin ? "hidden" : "out features"));
    }
    CHECK(chm__check_distinct(dev, who, a->out, a->in, a->w, a->bias));
    CHECK(chm__check_distinct(dev, who, a->out, a->graph, a->w2, a->bias2));
    if (f > GRAPH_MAX_F || o > GRAPH_MAX_F || hid > GRAPH_MAX_F)
        return chm__fail(dev, who, CHM_ELIMIT, "widths %lld in, %lld hidden, %lld out: the GRAPH mode "
                         "takes at most %d", (long long)f, (long long)hid, (long long)o, GRAPH_MAX_F);
    if (dt == CHM_INT8 && h->max_deg > GRAPH_MAX_DEG)
        return chm__fail(dev, who, CHM_ELIMIT, "a vertex has %u in-edges; int8 layers take at most %d "
                         "(to keep the sums exact); fp32 layers take any", h->max_deg, GRAPH_MAX_DEG);
    if (gin && p->aggr != CHM_AGGR_SUM)
        return chm__fail(dev, who, CHM_EINVAL, "GIN layers aggregate by sum");
    if (p->order == CHM_ORDER_COMBINE_FIRST && (p->kind != CHM_GNN_GCN || p->aggr == CHM_AGGR_MAX))
        return chm__fail(dev, who, CHM_EINVAL, "combine-first order needs a GCN layer with a linear "
                         "aggregator (sum or mean): max, SAGE's self term and GIN's MLP do not commute");
    *d = (graph_desc){ .n = (int32_t)h->n, .f = (int32_t)f, .o = (int32_t)o, .h = (int32_t)hid,
                       .kind = (int32_t)p->kind, .aggr = (int32_t)p->aggr,
                       .order = p->order == CHM_ORDER_COMBINE_FIRST ? GRAPH_CA : GRAPH_AC,
                       .relu = p->relu != 0, .int8 = dt == CHM_INT8, .has_bias = a->bias != NULL,
                       .has_bias2 = a->bias2 != NULL };
    return CHM_OK;
}

static double cycles_us(chm_device *dev, uint64_t cycles)
{
    return (double)cycles / dev->plat->kernel_mhz;
}

/* The backend's cycle breakdown of d on a's tensors. */
static graph_cost cost_of(chm_device *dev, const gnn_args *a, const graph_desc *d)
{
    chm_kop op;
    memset(&op, 0, sizeof op);
    op.kind = KOP_GRAPH;
    op.mode = CHM_MODE_GRAPH;
    op.u.graph = *d;
    op.in[0] = a->graph;
    op.out = a->out;
    return chm__graph_cost(dev, &op);
}

/* The last few answers a graph tensor's layers got from the cycle model. */
#define MEMO_SLOTS 4
typedef struct cost_memo {
    struct {
        graph_desc d; /* no padding: every field is 4 bytes */
        int bank;
        graph_cost c;
    } e[MEMO_SLOTS];
    int used, next;
} cost_memo;

static pthread_mutex_t memo_lock = PTHREAD_MUTEX_INITIALIZER;

graph_cost chm__graph_cost(chm_device *dev, const chm_kop *op)
{
    chm_tensor *g = op->in[0];
    pthread_mutex_lock(&memo_lock);
    cost_memo *m = g->cost_memo;
    for (int i = 0; m && i < m->used; i++) {
        if (m->e[i].bank == op->out->bank && !memcmp(&m->e[i].d, &op->u.graph, sizeof(graph_desc))) {
            const graph_cost c = m->e[i].c;
            pthread_mutex_unlock(&memo_lock);
            return c;
        }
    }
    pthread_mutex_unlock(&memo_lock);
    const graph_cost c = dev->be->graph->cost(dev, op);
    pthread_mutex_lock(&memo_lock);
    if (!g->cost_memo)
        g->cost_memo = calloc(1, sizeof(cost_memo));
    if ((m = g->cost_memo)) { /* out of memory: no memo, the same answers */
        const int i = m->used < MEMO_SLOTS ? m->used++ : m->next;
        m->next = m->used < MEMO_SLOTS ? 0 : (i + 1) % MEMO_SLOTS;
        m->e[i].d = op->u.graph;
        m->e[i].bank = op->out->bank;
        m->e[i].c = c;
    }
    pthread_mutex_unlock(&memo_lock);
    return c;
}

/* Fills the plan for d's order; with AUTO, picks the faster order into d. */
static void plan_layer(chm_device *dev, const gnn_args *a, const chm_gnn_params *p, graph_desc *d,
                       chm_gnn_plan *plan)
{
    graph_cost c = cost_of(dev, a, d), other = {0};
    const int ca_ok = d->kind == GRAPH_GCN && d->aggr != GRAPH_MAX;
    if (p->order == CHM_ORDER_AUTO || ca_ok) {
        graph_desc alt = *d;
        alt.order = d->order == GRAPH_AC ? GRAPH_CA : GRAPH_AC;
        if (alt.order == GRAPH_AC || ca_ok)
            other = cost_of(dev, a, &alt);
        if (p->order == CHM_ORDER_AUTO && other.cycles && other.cycles < c.cycles) {
            graph_cost t = c;
            c = other, other = t;
            *d = alt;
        }
    }
    memset(plan, 0, sizeof *plan);
    plan->order = d->order == GRAPH_CA ? CHM_ORDER_COMBINE_FIRST : CHM_ORDER_AGGREGATE_FIRST;
    plan->device_us = cycles_us(dev, c.cycles);
    plan->other_order_us = cycles_us(dev, other.cycles);
    plan->aggregation_us = cycles_us(dev, c.agg_cycles);
    plan->combination_us = cycles_us(dev, c.comb_cycles);
    plan->aggregation_util = (double)c.agg_cycles / (double)c.cycles;
    plan->combination_util = (double)c.comb_cycles / (double)c.cycles;
    plan->feature_bytes = c.feature_bytes;
    plan->rows_loaded = c.rows_loaded;
    plan->rows_dense = c.rows_dense;
    plan->windows = c.windows;
}

int chm_gnn_layer_plan(chm_device *dev, chm_tensor *graph, chm_tensor *in, chm_tensor *weights,
                       chm_tensor *bias, chm_tensor *weights2, chm_tensor *bias2,
                       chm_tensor *out, const chm_gnn_params *p, chm_gnn_plan *plan)
{
    const gnn_args a = { graph, in, weights, bias, weights2, bias2, out };
    graph_desc d;
    if (!plan)
        return CHM_FAIL(dev, CHM_EINVAL, "plan is NULL");
    CHECK(check_layer(dev, __func__, &a, p, &d));
    plan_layer(dev, &a, p, &d, plan);
    return CHM_OK;
}

int chm_gnn_layer(chm_device *dev, chm_tensor *graph, chm_tensor *in, chm_tensor *weights,
                  chm_tensor *bias, chm_tensor *weights2, chm_tensor *bias2, chm_tensor *out,
                  const chm_gnn_params *p, chm_event **ev)
{
    const char *who = __func__;
    const gnn_args a = { graph, in, weights, bias, weights2, bias2, out };
    graph_desc d;
    chm_gnn_plan plan;
    CHECK(check_layer(dev, who, &a, p, &d));
    plan_layer(dev, &a, p, &d, &plan);
    if (d.int8)
        CHECK(int8_stages(dev, who, &p->q, ((const graph_hdr *)graph->blob)->wscale, &d));
    chm_kop op;
    memset(&op, 0, sizeof op);
    op.kind = KOP_GRAPH;
    op.mode = CHM_MODE_GRAPH;
    op.u.graph = d;
    chm_tensor *ins[] = { graph, in, weights, bias, weights2, bias2 };
    memcpy(op.in, ins, sizeof ins);
    op.n_in = 6;
    op.out = out;
    static const char *const kinds[] = { "gcn", "sage", "gin" };
    char name[48];
    snprintf(name, sizeof name, "%s %s %dx%d->%d %s", kinds[d.kind], d.order == GRAPH_CA ? "CA" : "AC",
             d.n, d.f, d.o, d.int8 ? "int8" : "fp32");
    return chm__submit_kop(dev, who, &op, name, ev);
}
