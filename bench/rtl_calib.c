/*
 * rtl_calib - the calibration table: for each layer, the card cycles emu's
 * cycle model predicts beside the cycles the RTL engine takes in Verilator
 * (rtl backend), and the model's error. Every rtl output is compared with
 * emu's byte for byte before its cycles count.
 *
 *   rtl_calib [--pe 32] [--only NAME] [--all]
 *
 * Layers: the ResNet-18 convolutions of conv_bench, its pooling and residual
 * adds, and the Fashion-MNIST demo's layers (pooling and add rows: GOP/s
 * counts window taps or elements, not MACs); then sparse_bench's layers at
 * each of its densities in Cambricon-X form (4-bit steps) and Cambricon-S
 * form (4 x 16 blocks, 8-bit and 4-bit codes); GOP/s counts the dense layer's
 * MACs, as sparse_bench does); then int8 GCN layers in GRAPH mode on
 * R-MAT graphs of Cora's and Pubmed's sizes (graph_bench's generator,
 * renumbered by RCM as the demo does), F -> 16 and 16 -> classes, in both
 * orders, with sum aggregation, and on the Cora-size graph also mean (both
 * orders), max (aggregate-first) and GraphSAGE layers with mean
 * (aggregate-first) (GOP/s counts the combination's MACs plus an op per
 * edge and feature).
 * Cycles are the operation's card time on u250 (300 MHz kernel clock)
 * times the clock; both include the start handshake and the last write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chimera.h"

typedef enum { CONV, MAXPOOL, AVGPOOL, ADD } layer_kind;

typedef struct layer {
    const char *name;
    layer_kind kind;
    int n, h, w, c, oc, k, stride, pad, groups; /* pooling: oc = c; add: n*h*w*c elements */
    int big; /* over ~500k cycles (the depthwise layer: 14M): 32x32 simulates ~5k cycles/s */
} layer;

static const layer layers[] = {
    { "resnet18 conv1 7x7/2", CONV, 1, 224, 224, 3, 64, 7, 2, 3, 1, 1 },
    { "resnet18 layer1 3x3", CONV, 1, 56, 56, 64, 64, 3, 1, 1, 1, 0 },
    { "resnet18 layer2 3x3", CONV, 1, 28, 28, 128, 128, 3, 1, 1, 1, 0 },
    { "resnet18 layer3 3x3", CONV, 1, 14, 14, 256, 256, 3, 1, 1, 1, 0 },
    { "resnet18 layer4 3x3", CONV, 1, 7, 7, 512, 512, 3, 1, 1, 1, 0 },
    /* batch 1 leaves rows of the last pixel tile idle (196 = 6 x 32 + 4, 49 =
     * 32 + 17): larger batches fill them */
    { "resnet18 layer3 3x3 b2", CONV, 2, 14, 14, 256, 256, 3, 1, 1, 1, 0 },
    { "resnet18 layer4 3x3 b8", CONV, 8, 7, 7, 512, 512, 3, 1, 1, 1, 1 },
    { "resnet18 down 1x1/2", CONV, 1, 56, 56, 64, 128, 1, 2, 0, 1, 0 },
    { "mobilenet dw 3x3", CONV, 1, 56, 56, 128, 128, 3, 1, 1, 128, 1 },
    { "fmnist conv1 3x3", CONV, 1, 28, 28, 1, 16, 3, 1, 1, 1, 0 },
    { "fmnist conv2 3x3", CONV, 1, 14, 14, 16, 32, 3, 1, 1, 1, 0 },
    { "fmnist fc1 1568->64 b1", CONV, 1, 1, 1, 1568, 64, 1, 1, 0, 1, 0 },
    { "fc 4096->4096 b16", CONV, 16, 1, 1, 4096, 4096, 1, 1, 0, 1, 1 },
    { "resnet18 maxpool 3x3/2", MAXPOOL, 1, 112, 112, 64, 64, 3, 2, 1, 1, 0 },
    { "resnet18 avgpool 7x7 global", AVGPOOL, 1, 7, 7, 512, 512, 7, 1, 0, 1, 0 },
    { "fmnist pool1 2x2/2", MAXPOOL, 1, 28, 28, 16, 16, 2, 2, 0, 1, 0 },
    { "fmnist pool2 2x2/2", MAXPOOL, 1, 14, 14, 32, 32, 2, 2, 0, 1, 0 },
    { "avgpool 3x3/1 pad 1, 100 ch", AVGPOOL, 1, 28, 28, 100, 100, 3, 1, 1, 1, 0 },
    { "resnet18 add 56x56x64", ADD, 1, 56, 56, 64, 64, 1, 1, 0, 1, 0 },
    { "resnet18 add 7x7x512", ADD, 1, 7, 7, 512, 512, 1, 1, 0, 1, 0 },
};

/* The Fashion-MNIST demo's layers at a batch of 20 (the rtl demo's batches),
 * run after every other row so the rows above draw the same data as before. */
static const layer batch_layers[] = {
    { "fmnist conv1 3x3 b20", CONV, 20, 28, 28, 1, 16, 3, 1, 1, 1, 0 },
    { "fmnist conv2 3x3 b20", CONV, 20, 14, 14, 16, 32, 3, 1, 1, 1, 0 },
    { "fmnist fc1 1568->64 b20", CONV, 20, 1, 1, 1568, 64, 1, 1, 0, 1, 0 },
    { "fmnist pool1 2x2/2 b20", MAXPOOL, 20, 28, 28, 16, 16, 2, 2, 0, 1, 0 },
    { "fmnist pool2 2x2/2 b20", MAXPOOL, 20, 14, 14, 32, 32, 2, 2, 0, 1, 0 },
};

static uint64_t rng = 88172645463325252ull;
static int8_t rnd8(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (int8_t)(rng >> 24);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Waits for a submitted operation (rc its submit's result); returns its card time in us. */
static double card_us(chm_device *dev, const char *name, int rc, chm_event *ev)
{
    if (rc || chm_wait(ev)) {
        fprintf(stderr, "rtl_calib: %s: %s\n", name, chm_last_error(dev));
        exit(1);
    }
    chm_event_times t;
    chm_event_times_get(ev, &t);
    chm_event_release(ev);
    return t.device_end_us - t.device_start_us;
}

/* Runs a pooling or add layer on dev; returns the card time in us and writes the output. */
static double run_eltwise(chm_device *dev, const layer *L, const int8_t *in, const int8_t *in2,
                          int8_t *out, int oh, int ow)
{
    chm_tensor *ti, *t2 = NULL, *to;
    const int64_t count = (int64_t)L->n * L->h * L->w * L->c;
    const int64_t odims[4] = { L->n, L->kind == ADD ? L->h : oh, L->kind == ADD ? L->w : ow, L->c };
    if (chm_tensor_alloc(dev, CHM_INT8, 4, (int64_t[]){ L->n, L->h, L->w, L->c }, 0, &ti) ||
        (L->kind == ADD && chm_tensor_alloc(dev, CHM_INT8, 4, (int64_t[]){ L->n, L->h, L->w, L->c }, 0, &t2)) ||
        chm_tensor_alloc(dev, CHM_INT8, 4, odims, 0, &to)) {
        fprintf(stderr, "rtl_calib: %s\n", chm_last_error(dev));
        exit(1);
    }
    chm_tensor_write(ti, 0, in, (size_t)count);
    if (t2)
        chm_tensor_write(t2, 0, in2, (size_t)count);
    chm_event *ev;
    int rc;
    if (L->kind == ADD) {
        chm_add_params p = { .a_zero_point = 1, .b_zero_point = -2, .out_zero_point = 3 };
        rc = chm_add_params_from_scales(0.02, 0.03, 0.04, &p) ? -1 : chm_add(dev, ti, t2, to, &p, &ev);
    } else {
        chm_pool_params p = { .kernel_h = L->k, .kernel_w = L->k, .stride_h = L->stride,
                              .stride_w = L->stride, .pad_top = L->pad, .pad_left = L->pad,
                              .pad_bottom = L->pad, .pad_right = L->pad };
        rc = L->kind == MAXPOOL ? chm_maxpool(dev, ti, to, &p, &ev) : chm_avgpool(dev, ti, to, &p, &ev);
    }
    const double us = card_us(dev, L->name, rc, ev);
    chm_tensor_read(to, 0, out, (size_t)(odims[0] * odims[1] * odims[2] * odims[3]));
    chm_tensor_free(ti), chm_tensor_free(t2), chm_tensor_free(to);
    return us;
}

static double run(chm_device *dev, const layer *L, const int8_t *in, const int8_t *w,
                  const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *out,
                  int oh, int ow)
{
    if (L->kind != CONV)
        return run_eltwise(dev, L, in, w, out, oh, ow);
    chm_tensor *ti, *tw, *tb, *to;
    const int icg = L->c / L->groups;
    if (chm_tensor_alloc(dev, CHM_INT8, 4, (int64_t[]){ L->n, L->h, L->w, L->c }, 0, &ti) ||
        chm_tensor_alloc(dev, CHM_INT8, 4, (int64_t[]){ L->oc, L->k, L->k, icg }, 0, &tw) ||
        chm_tensor_alloc(dev, CHM_INT32, 1, (int64_t[]){ L->oc }, 0, &tb) ||
        chm_tensor_alloc(dev, CHM_INT8, 4, (int64_t[]){ L->n, oh, ow, L->oc }, 0, &to)) {
        fprintf(stderr, "rtl_calib: %s\n", chm_last_error(dev));
        exit(1);
    }
    const size_t nin = (size_t)L->n * L->h * L->w * L->c, nw = (size_t)L->oc * L->k * L->k * icg;
    chm_tensor_write(ti, 0, in, nin);
    chm_tensor_write(tw, 0, w, nw);
    chm_tensor_write(tb, 0, bias, sizeof(int32_t) * (size_t)L->oc);
    chm_conv2d_params p = { .stride_h = L->stride, .stride_w = L->stride, .groups = L->groups,
                            .pad_top = L->pad, .pad_left = L->pad, .pad_bottom = L->pad,
                            .pad_right = L->pad };
    p.rq = (chm_requant){ .multiplier = mult, .shift = shift, .in_zero_point = -3, .out_zero_point = 2 };
    chm_event *ev;
    const int rc = chm_conv2d(dev, ti, tw, tb, to, &p, &ev);
    const double us = card_us(dev, L->name, rc, ev);
    chm_tensor_read(to, 0, out, (size_t)L->n * oh * ow * L->oc);
    chm_tensor_free(ti), chm_tensor_free(tw), chm_tensor_free(tb), chm_tensor_free(to);
    return us;
}

/* sparse_bench's layers (fc: h = w = k = 1) and densities, Cambricon-X weights. */
typedef struct sparse_layer_shape {
    const char *name;
    int batch, h, w, c, oc, k, pad;
} sparse_layer_shape;

static const sparse_layer_shape sparse_layers[] = {
    { "sparse fc 1568->64 b100", 100, 1, 1, 1568, 64, 1, 0 },
    { "sparse fc 4096->4096 b16", 16, 1, 1, 4096, 4096, 1, 0 },
    { "sparse conv 3x3 256 14x14", 1, 14, 14, 256, 256, 3, 1 },
    { "sparse fmnist conv1 3x3 1->16", 1, 28, 28, 1, 16, 3, 1 },
    { "sparse fmnist conv2 3x3 16->32", 1, 14, 14, 16, 32, 3, 1 },
    { "sparse fmnist fc1 1568->64 b20", 20, 1, 1, 1568, 64, 1, 0 },
};
static const double sparse_densities[] = { 1.0, 0.5, 0.25, 0.1, 0.05, 0.01 };

static double run_sparse(chm_device *dev, const sparse_layer_shape *L, const chm_sparse *s,
                         const int8_t *in, int8_t *out)
{
    const int fc = L->k == 1 && L->h == 1;
    const size_t nin = (size_t)L->batch * L->h * L->w * L->c, nout = (size_t)L->batch * L->h * L->w * L->oc;
    chm_tensor *ti, *to, *tw;
    if (chm_tensor_alloc(dev, CHM_INT8, fc ? 2 : 4,
                         fc ? (int64_t[]){ L->batch, L->c } : (int64_t[]){ L->batch, L->h, L->w, L->c },
                         0, &ti) ||
        chm_tensor_alloc(dev, CHM_INT8, fc ? 2 : 4,
                         fc ? (int64_t[]){ L->batch, L->oc } : (int64_t[]){ L->batch, L->h, L->w, L->oc },
                         0, &to) ||
        chm_sparse_upload(dev, s, CHM_BANK_DEFAULT, &tw)) {
        fprintf(stderr, "rtl_calib: %s\n", chm_last_error(dev));
        exit(1);
    }
    chm_tensor_write(ti, 0, in, nin);
    int32_t mult = 1 << 30, shift = -12;
    chm_requant rq = { .multiplier = &mult, .shift = &shift, .per_tensor = 1, .in_zero_point = -2 };
    chm_conv2d_params p = { .pad_top = L->pad, .pad_left = L->pad, .pad_bottom = L->pad,
                            .pad_right = L->pad, .rq = rq };
    chm_event *ev;
    int rc = fc ? chm_sparse_fully_connected(dev, ti, tw, NULL, to, &rq, &ev)
                : chm_sparse_conv2d(dev, ti, tw, L->k, L->k, NULL, to, &p, &ev);
    const double us = card_us(dev, L->name, rc, ev);
    chm_tensor_read(to, 0, out, nout);
    chm_tensor_free(ti), chm_tensor_free(to), chm_tensor_free(tw);
    return us;
}

static void sparse_rows(chm_device *emu, chm_device *rtl, double mhz, const char *only)
{
    for (size_t i = 0; i < sizeof sparse_layers / sizeof sparse_layers[0]; i++) {
        const sparse_layer_shape *L = &sparse_layers[i];
        if (only && !strstr(L->name, only))
            continue;
        const int rows = L->oc, cols = L->k * L->k * L->c;
        const size_t nin = (size_t)L->batch * L->h * L->w * L->c, nout = (size_t)L->batch * L->h * L->w * L->oc;
        int8_t *wd = malloc((size_t)rows * cols), *in = malloc(nin), *o1 = malloc(nout), *o2 = malloc(nout);
        for (size_t j = 0; j < (size_t)rows * cols; j++)
            wd[j] = rnd8();
        for (size_t j = 0; j < nin; j++)
            in[j] = rnd8();
        /* X (4-bit steps), S with 8-bit codes (lossless), S with 4-bit codes (the demo's) */
        static const char *const fname[] = { "X", "S", "S4" };
        for (size_t fi = 0; fi < 3; fi++)
        for (size_t di = 0; di < sizeof sparse_densities / sizeof sparse_densities[0]; di++) {
            const chm_sparse_format f = fi ? CHM_SPARSE_S : CHM_SPARSE_X;
            chm_sparse *s;
            if (chm_sparse_from_dense(wd, rows, cols,
                                      &(chm_sparse_params){ .format = f, .code_bits = fi == 2 ? 4 : 0,
                                                            .density = sparse_densities[di] }, &s)) {
                fprintf(stderr, "rtl_calib: %s\n", chm_last_error(NULL));
                exit(1);
            }
            const double model_us = run_sparse(emu, L, s, in, o1);
            const double t0 = now_s();
            const double rtl_us = run_sparse(rtl, L, s, in, o2);
            const double sim_s = now_s() - t0;
            const double macs = (double)nout * cols, mc = model_us * mhz, rc = rtl_us * mhz;
            char name[96];
            snprintf(name, sizeof name, "%s %s %.0f%%", L->name, fname[fi],
                     100 * sparse_densities[di]);
            printf("| %s | %.1f | %.0f | %.0f | %+.1f%% | %.1f | %.1f | %s | %.1f |\n", name,
                   macs / 1e6, mc, rc, 100.0 * (mc - rc) / rc, 2 * macs / (rtl_us * 1e3),
                   2 * macs / (model_us * 1e3), memcmp(o1, o2, nout) ? "DIFFER" : "identical", sim_s);
            fflush(stdout);
            chm_sparse_free(s);
        }
        free(wd), free(in), free(o1), free(o2);
    }
}

/* One R-MAT edge in [0, 2^scale)^2 (a, b, c, d = 0.57, 0.19, 0.19, 0.05), both ends < n. */
static void rmat_edge(int scale, int n, int32_t *s, int32_t *d)
{
    for (;;) {
        int u = 0, v = 0;
        for (int b = 0; b < scale; b++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            const uint32_t r = (uint32_t)(rng >> 40) % 100;
            u = u << 1 | (r >= 76);
            v = v << 1 | (r >= 57 && (r < 76 || r >= 95));
        }
        if (u < n && v < n && u != v) {
            *s = u, *d = v;
            return;
        }
    }
}

typedef struct graph_shape {
    const char *name;
    int n, edges, f, classes;
    int variants; /* sum; and mean, max (aggregate-first), GraphSAGE mean (aggregate-first) when 4 */
} graph_shape;

static const graph_shape graph_shapes[] = {
    { "cora-size", 2708, 5429, 1433, 7, 4 },
    { "pubmed-size", 19717, 44338, 500, 3, 1 },
};

static double run_gcn(chm_device *dev, const chm_graph *g, int n, int f, int o, int relu, int sage,
                      chm_aggr aggr, chm_gnn_order order, const int8_t *x, const int8_t *w,
                      const float *b, int8_t *out, const char *name)
{
    chm_tensor *tg, *tx, *tw, *tb, *to;
    if (chm_graph_upload(dev, g, CHM_BANK_DEFAULT, &tg) ||
        chm_tensor_alloc(dev, CHM_INT8, 2, (const int64_t[]){ n, f }, 0, &tx) ||
        chm_tensor_alloc(dev, CHM_INT8, 2, (const int64_t[]){ o, sage ? 2 * f : f }, 0, &tw) ||
        chm_tensor_alloc(dev, CHM_FP32, 1, (const int64_t[]){ o }, 0, &tb) ||
        chm_tensor_alloc(dev, CHM_INT8, 2, (const int64_t[]){ n, o }, 0, &to)) {
        fprintf(stderr, "rtl_calib: %s\n", chm_last_error(dev));
        exit(1);
    }
    chm_tensor_write(tx, 0, x, (size_t)n * f);
    chm_tensor_write(tw, 0, w, (size_t)o * f * (sage ? 2 : 1));
    chm_tensor_write(tb, 0, b, sizeof(float) * (size_t)o);
    chm_gnn_params p = { .kind = sage ? CHM_GNN_SAGE : CHM_GNN_GCN, .aggr = aggr, .order = order,
                         .relu = relu,
                         .q = { .in_scale = 1.0f / 64, .in_zero_point = -3, .w_scale = 1.0f / 128,
                                .mid_scale = 1.0f / 40, .mid_zero_point = 2,
                                .out_scale = 1.0f / 8, .out_zero_point = -5 } };
    chm_event *ev;
    const int rc = chm_gnn_layer(dev, tg, tx, tw, tb, NULL, NULL, to, &p, &ev);
    const double us = card_us(dev, name, rc, ev);
    chm_tensor_read(to, 0, out, (size_t)n * o);
    chm_tensor_free(tg), chm_tensor_free(tx), chm_tensor_free(tw), chm_tensor_free(tb);
    chm_tensor_free(to);
    return us;
}

static void graph_rows(chm_device *emu, chm_device *rtl, double mhz, const char *only)
{
    for (size_t i = 0; i < sizeof graph_shapes / sizeof graph_shapes[0]; i++) {
        const graph_shape *G = &graph_shapes[i];
        int scale = 0;
        while ((1 << scale) < G->n)
            scale++;
        int32_t *s = malloc(sizeof(int32_t) * (size_t)G->edges), *d = malloc(sizeof(int32_t) * (size_t)G->edges);
        for (int e = 0; e < G->edges; e++)
            rmat_edge(scale, G->n, &s[e], &d[e]);
        chm_graph *g;
        if (chm_graph_from_edges(G->n, G->edges, s, d, NULL,
                                 CHM_GRAPH_SYMMETRIC | CHM_GRAPH_MERGE_DUPLICATES, &g) ||
            chm_graph_add_self_loops(g, 1.0f) || chm_graph_normalize(g, CHM_NORM_GCN) ||
            chm_graph_reorder(g, CHM_REORDER_RCM, NULL)) {
            fprintf(stderr, "rtl_calib: %s\n", chm_last_error(NULL));
            exit(1);
        }
        chm_graph_info gi;
        chm_graph_query(g, &gi);
        const struct { int f, o, relu; } L[] = { { G->f, 16, 1 }, { 16, G->classes, 0 } };
        static const char *const aggr_name[] = { "", " mean", " max", " mean" };
        for (int a = 0; a < G->variants; a++)
        for (size_t l = 0; l < 2; l++)
        for (int ord = 0; ord < 2; ord++) {
            const int sage = a == 3;
            const chm_aggr aggr = sage ? CHM_AGGR_MEAN : (chm_aggr)a;
            if ((aggr == CHM_AGGR_MAX || sage) && ord) /* not linear: aggregate-first only */
                continue;
            const int f = L[l].f, o = L[l].o, k = sage ? 2 * f : f;
            char name[96];
            snprintf(name, sizeof name, "%s %s %d->%d %s%s", sage ? "graphsage" : "gcn", G->name, f,
                     o, ord ? "CA" : "AC", aggr_name[a]);
            if (only && !strstr(name, only))
                continue;
            int8_t *x = malloc((size_t)G->n * f), *w = malloc((size_t)o * k);
            int8_t *o1 = malloc((size_t)G->n * o), *o2 = malloc((size_t)G->n * o);
            float *b = malloc(sizeof(float) * (size_t)o);
            for (size_t j = 0; j < (size_t)G->n * f; j++)
                x[j] = rnd8();
            for (size_t j = 0; j < (size_t)o * k; j++)
                w[j] = rnd8();
            for (int j = 0; j < o; j++)
                b[j] = (float)rnd8() / 256.0f;
            const chm_gnn_order order = ord ? CHM_ORDER_COMBINE_FIRST : CHM_ORDER_AGGREGATE_FIRST;
            const double model_us =
                run_gcn(emu, g, G->n, f, o, L[l].relu, sage, aggr, order, x, w, b, o1, name);
            const double t0 = now_s();
            const double rtl_us =
                run_gcn(rtl, g, G->n, f, o, L[l].relu, sage, aggr, order, x, w, b, o2, name);
            const double sim_s = now_s() - t0;
            const double ops = (double)G->n * k * o + (double)gi.edges * (ord ? o : f);
            const double mc = model_us * mhz, rc = rtl_us * mhz;
            printf("| %s | %.1f | %.0f | %.0f | %+.1f%% | %.1f | %.1f | %s | %.1f |\n", name,
                   ops / 1e6, mc, rc, 100.0 * (mc - rc) / rc, 2 * ops / (rtl_us * 1e3),
                   2 * ops / (model_us * 1e3),
                   memcmp(o1, o2, (size_t)G->n * o) ? "DIFFER" : "identical", sim_s);
            fflush(stdout);
            free(x), free(w), free(o1), free(o2), free(b);
        }
        chm_graph_free(g);
        free(s), free(d);
    }
}

/* One row of the table: layer L through emu's model and the RTL engine. */
static void layer_row(chm_device *emu, chm_device *rtl, double mhz, const layer *L)
{
    const int oh = (L->h + 2 * L->pad - L->k) / L->stride + 1;
    const int ow = (L->w + 2 * L->pad - L->k) / L->stride + 1;
    const size_t nin = (size_t)L->n * L->h * L->w * L->c;
    const size_t nw = L->kind == ADD ? nin : L->kind == CONV ? (size_t)L->oc * L->k * L->k * (L->c / L->groups) : 1;
    const size_t nout = L->kind == ADD ? nin : (size_t)L->n * oh * ow * L->oc;
    int8_t *in = malloc(nin), *w = malloc(nw), *o1 = malloc(nout), *o2 = malloc(nout);
    int32_t *bias = malloc(4 * (size_t)L->oc), *mult = malloc(4 * (size_t)L->oc);
    int32_t *shift = malloc(4 * (size_t)L->oc);
    for (size_t j = 0; j < nin; j++)
        in[j] = rnd8();
    for (size_t j = 0; j < nw; j++)
        w[j] = rnd8();
    for (int j = 0; j < L->oc; j++)
        bias[j] = rnd8() * 100, mult[j] = (1 << 30) + (int32_t)(rng >> 34), shift[j] = -10;
    const double model_us = run(emu, L, in, w, bias, mult, shift, o1, oh, ow);
    const double t0 = now_s();
    const double rtl_us = run(rtl, L, in, w, bias, mult, shift, o2, oh, ow);
    const double sim_s = now_s() - t0;
    /* conv: MACs; pooling: window taps; add: elements */
    const double macs = L->kind == ADD ? (double)nin
                        : L->kind == CONV ? (double)nout * L->k * L->k * (L->c / L->groups)
                                          : (double)nout * L->k * L->k;
    const double mc = model_us * mhz, rc = rtl_us * mhz;
    printf("| %s | %.1f | %.0f | %.0f | %+.1f%% | %.1f | %.1f | %s | %.1f |\n", L->name,
           macs / 1e6, mc, rc, 100.0 * (mc - rc) / rc, 2 * macs / (rtl_us * 1e3),
           2 * macs / (model_us * 1e3), memcmp(o1, o2, nout) ? "DIFFER" : "identical", sim_s);
    fflush(stdout);
    free(in), free(w), free(o1), free(o2), free(bias), free(mult), free(shift);
}

int main(int argc, char **argv)
{
    const char *only = NULL;
    int all = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--all"))
            all = 1;
        else if (!strcmp(argv[i], "--pe") && i + 1 < argc)
            setenv("CHIMERA_RTL_PE", argv[++i], 1);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            only = argv[++i];
        else {
            fprintf(stderr, "usage: rtl_calib [--pe 8|32] [--only NAME] [--all]\n");
            return 2;
        }
    }
    chm_device *emu, *rtl;
    if (chm_device_open("emu:u250", &emu) || chm_device_open("rtl:u250", &rtl)) {
        fprintf(stderr, "rtl_calib: %s\n", chm_last_error(NULL));
        return 1;
    }
    chm_device_info info;
    chm_device_query(rtl, &info);
    const double mhz = info.kernel_clock_mhz;
    const char *pe = getenv("CHIMERA_RTL_PE");
    printf("Calibration: emu cycle model vs RTL in Verilator, u250 (%.0f MHz), rtl array %sx%s, "
           "emu model 32x32\n\n", mhz, pe ? pe : "32", pe ? pe : "32");
    printf("| layer | MMAC | model cycles | rtl cycles | model error | rtl GOP/s | model GOP/s | "
           "outputs | sim s |\n|---|--:|--:|--:|--:|--:|--:|---|--:|\n");
    for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) {
        const layer *L = &layers[i];
        if ((only && !strstr(L->name, only)) || (L->big && !all && !only))
            continue;
        layer_row(emu, rtl, mhz, L);
    }
    sparse_rows(emu, rtl, mhz, only);
    graph_rows(emu, rtl, mhz, only);
    for (size_t i = 0; i < sizeof batch_layers / sizeof batch_layers[0]; i++)
        if (!only || strstr(batch_layers[i].name, only))
            layer_row(emu, rtl, mhz, &batch_layers[i]);
    chm_device_close(emu);
    chm_device_close(rtl);
    return 0;
}
