/*
 * graph_bench - one GCN layer in GRAPH mode on graphs of growing size,
 * against a CPU baseline, in one run.
 *
 * Graphs are R-MAT (Chakrabarti et al., a, b, c, d = 0.57, 0.19, 0.19, 0.05:
 * power-law degrees) with the vertex, undirected edge and feature counts of
 * the Planetoid and GraphSAGE datasets; self loops added, GCN-normalized.
 * The layer is the first layer of Kipf & Welling's GCN: F -> 16 features,
 * fp32, ReLU. Each graph runs as generated and again renumbered by reverse
 * Cuthill-McKee (chm_graph_reorder; features permuted alike). It prints
 *   card     modelled time on one emulated U250 region (order chosen by the
 *            runtime, and the other order's time), engine busy fractions,
 *            and the share of feature rows the windows load;
 *   emu      wall time of the emulation (host CPU running the HLS C);
 *   cpu      wall time of the same layer on the host CPU: OpenBLAS sgemm for
 *            X W^T, then a plain CSR SpMM (the cheaper order, as the card's);
 * and checks the card's output against the CPU's (max relative error).
 *
 * A second table runs the layer kinds on the Pubmed-size graph (F 500 ->
 * 64, GIN hidden 64), fp32 and int8, and shows how busy each engine is and
 * how much the AC pipeline overlaps them ((agg + comb busy) / card time;
 * 1.0 means no overlap, 2.0 both engines busy all the time).
 *
 *   graph_bench [--only cora|citeseer|pubmed|reddit|kinds] [--reps 3] [--reddit-edges M]
 */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chimera.h"

typedef struct dataset {
    const char *name;
    int64_t n, edges; /* undirected */
    int f;
} dataset;

/* Sizes as in Kipf & Welling (Cora, Citeseer, Pubmed) and Hamilton et al. (Reddit). */
static dataset sets[] = {
    { "cora", 2708, 5429, 1433 },
    { "citeseer", 3327, 4732, 3703 },
    { "pubmed", 19717, 44338, 500 },
    { "reddit", 232965, 57307946, 602 },
};

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
    return rng_state;
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* One R-MAT edge in [0, 2^scale)^2, redrawn until both ends are < n. */
static void rmat_edge(int scale, int64_t n, int32_t *s, int32_t *d)
{
    for (;;) {
        int64_t u = 0, v = 0;
        for (int b = 0; b < scale; b++) {
            const uint32_t r = (uint32_t)(rnd() >> 40) % 100;
            const int right = r >= 57 && (r < 76 || r >= 95), down = r >= 76;
            u = u << 1 | down;
            v = v << 1 | right;
        }
        if (u < n && v < n && u != v) {
            *s = (int32_t)u, *d = (int32_t)v;
            return;
        }
    }
}

static chm_graph *rmat_graph(const dataset *ds)
{
    int scale = 0;
    while (((int64_t)1 << scale) < ds->n)
        scale++;
    int32_t *s = malloc(sizeof(int32_t) * (size_t)ds->edges), *d = malloc(sizeof(int32_t) * (size_t)ds->edges);
    if (!s || !d) {
        fprintf(stderr, "graph_bench: no memory for %lld edges\n", (long long)ds->edges);
        exit(2);
    }
    for (int64_t i = 0; i < ds->edges; i++)
        rmat_edge(scale, ds->n, &s[i], &d[i]);
    chm_graph *g;
    if (chm_graph_from_edges(ds->n, ds->edges, s, d, NULL,
                             CHM_GRAPH_SYMMETRIC | CHM_GRAPH_MERGE_DUPLICATES, &g) ||
        chm_graph_add_self_loops(g, 1.0f) || chm_graph_normalize(g, CHM_NORM_GCN)) {
        fprintf(stderr, "graph_bench: %s\n", chm_last_error(NULL));
        exit(2);
    }
    free(s);
    free(d);
    return g;
}

/* out = relu(A (X W^T) + b) on the CPU: sgemm, then CSR SpMM row by row. */
static void cpu_layer(const chm_graph *g, int64_t n, int f, int o, const float *x, const float *w,
                      const float *b, float *t, float *out)
{
    const int64_t *rp;
    const int32_t *ci;
    const float *ew;
    chm_graph_csr(g, &rp, &ci, &ew);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, o, f, 1.0f, x, f, w, f, 0.0f, t, o);
    for (int64_t v = 0; v < n; v++) {
        float *y = out + v * o;
        for (int c = 0; c < o; c++)
            y[c] = b[c];
        for (int64_t k = rp[v]; k < rp[v + 1]; k++) {
            const float a = ew[k], *tr = t + (int64_t)ci[k] * o;
            for (int c = 0; c < o; c++)
                y[c] += a * tr[c];
        }
        for (int c = 0; c < o; c++)
            y[c] = y[c] > 0.0f ? y[c] : 0.0f;
    }
}

/* Runs the layer on the card and the CPU; prints one table row. */
static void bench_run(chm_device *dev, const dataset *ds, const chm_graph *g, const float *x,
                      const float *w, const float *b, int reps, const char *numbering)
{
    const int o = 16, f = ds->f;
    const int64_t n = ds->n;
    chm_graph_info gi;
    chm_graph_query(g, &gi);
    float *t = malloc(sizeof(float) * (size_t)(n * o)), *want = malloc(sizeof(float) * (size_t)(n * o));
    float *got = malloc(sizeof(float) * (size_t)(n * o));
    chm_tensor *tg, *tx, *tw, *tb, *to;
    if (!t || !want || !got || chm_graph_upload(dev, g, CHM_BANK_DEFAULT, &tg) ||
        chm_tensor_alloc(dev, CHM_FP32, 2, (const int64_t[]){ n, f }, CHM_BANK_DEFAULT, &tx) ||
        chm_tensor_alloc(dev, CHM_FP32, 2, (const int64_t[]){ o, f }, CHM_BANK_DEFAULT, &tw) ||
        chm_tensor_alloc(dev, CHM_FP32, 1, (const int64_t[]){ o }, CHM_BANK_DEFAULT, &tb) ||
        chm_tensor_alloc(dev, CHM_FP32, 2, (const int64_t[]){ n, o }, CHM_BANK_DEFAULT, &to) ||
        chm_tensor_write(tx, 0, x, sizeof(float) * (size_t)(n * f)) ||
        chm_tensor_write(tw, 0, w, sizeof(float) * (size_t)(o * f)) ||
        chm_tensor_write(tb, 0, b, sizeof(float) * o)) {
        fprintf(stderr, "graph_bench: %s\n", chm_last_error(dev));
        exit(2);
    }
    const chm_gnn_params p = { .kind = CHM_GNN_GCN, .relu = 1 };
    chm_gnn_plan plan;
    chm_gnn_layer_plan(dev, tg, tx, tw, tb, NULL, NULL, to, &p, &plan);
    double emu_ms = 1e30, cpu_ms = 1e30, card_us = 0;
    for (int r = 0; r < reps; r++) {
        chm_event *ev;
        double a = now_ms();
        if (chm_gnn_layer(dev, tg, tx, tw, tb, NULL, NULL, to, &p, &ev) || chm_wait(ev)) {
            fprintf(stderr, "graph_bench: %s\n", chm_last_error(dev));
            exit(2);
        }
        const double e = now_ms() - a;
        emu_ms = e < emu_ms ? e : emu_ms;
        chm_event_times et;
        chm_event_times_get(ev, &et);
        card_us = et.device_end_us - et.device_start_us;
        chm_event_release(ev);
        a = now_ms();
        cpu_layer(g, n, f, o, x, w, b, t, want);
        const double c = now_ms() - a;
        cpu_ms = c < cpu_ms ? c : cpu_ms;
    }
    chm_tensor_read(to, 0, got, sizeof(float) * (size_t)(n * o));
    double err = 0;
    for (int64_t i = 0; i < n * o; i++)
        err = fmax(err, fabs(got[i] - want[i]) / (1.0 + fabs(want[i])));
    printf("| %-8s | %-5s | %7lld | %10lld | %5d | %s | %9.1f | %9.1f | %4.0f%% / %3.0f%% | %5.1f%% | %9.1f | %9.1f | %7.1e |\n",
           ds->name, numbering, (long long)n, (long long)gi.edges, f,
           plan.order == CHM_ORDER_COMBINE_FIRST ? "CA" : "AC", card_us / 1e3, plan.other_order_us / 1e3,
           100 * plan.aggregation_util, 100 * plan.combination_util,
           100.0 * (double)plan.rows_loaded / (double)plan.rows_dense, emu_ms, cpu_ms, err);
    chm_tensor *all[] = { tg, tx, tw, tb, to };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        chm_tensor_free(all[i]);
    free(t), free(want), free(got);
}

/* The layer on ds's R-MAT graph as generated, then renumbered by RCM. */
static void bench(chm_device *dev, const dataset *ds, int reps)
{
    const int o = 16, f = ds->f;
    const int64_t n = ds->n;
    chm_graph *g = rmat_graph(ds);
    float *x = malloc(sizeof(float) * (size_t)(n * f)), *xp = malloc(sizeof(float) * (size_t)(n * f));
    float *w = malloc(sizeof(float) * (size_t)(o * f)), *b = malloc(sizeof(float) * o);
    int32_t *perm = malloc(sizeof(int32_t) * (size_t)n);
    if (!x || !xp || !w || !b || !perm) {
        fprintf(stderr, "graph_bench: no memory for %s\n", ds->name);
        exit(2);
    }
    for (int64_t i = 0; i < n * f; i++)
        x[i] = (float)(rnd() >> 40) / (float)(1 << 24);
    for (int64_t i = 0; i < (int64_t)o * f; i++)
        w[i] = ((float)(rnd() >> 40) / (float)(1 << 24) - 0.5f) * 0.1f;
    for (int i = 0; i < o; i++)
        b[i] = 0.01f * (float)i;
    bench_run(dev, ds, g, x, w, b, reps, "R-MAT");
    if (chm_graph_reorder(g, CHM_REORDER_RCM, perm)) {
        fprintf(stderr, "graph_bench: %s\n", chm_last_error(NULL));
        exit(2);
    }
    for (int64_t v = 0; v < n; v++) /* feature rows follow their vertices */
        memcpy(xp + v * f, x + (int64_t)perm[v] * f, sizeof(float) * (size_t)f);
    bench_run(dev, ds, g, xp, w, b, reps, "RCM");
    chm_graph_free(g);
    free(x), free(xp), free(w), free(b), free(perm);
}

/* One layer kind on g: modelled time and engine use, from the event and the plan. */
static void kind_row(chm_device *dev, chm_tensor *tg, int64_t n, int f, const char *name,
                     chm_gnn_params p, int int8)
{
    const int o = 64, hid = 64, gin = p.kind == CHM_GNN_GIN, sage = p.kind == CHM_GNN_SAGE;
    const chm_dtype dt = int8 ? CHM_INT8 : CHM_FP32;
    const int64_t wd[] = { gin ? hid : o, sage ? 2 * f : f };
    chm_tensor *tx, *tw, *tw2 = NULL, *to;
    if (chm_tensor_alloc(dev, dt, 2, (const int64_t[]){ n, f }, CHM_BANK_DEFAULT, &tx) ||
        chm_tensor_alloc(dev, dt, 2, wd, CHM_BANK_DEFAULT, &tw) ||
        (gin && chm_tensor_alloc(dev, dt, 2, (const int64_t[]){ o, hid }, CHM_BANK_DEFAULT, &tw2)) ||
        chm_tensor_alloc(dev, dt, 2, (const int64_t[]){ n, o }, CHM_BANK_DEFAULT, &to)) {
        fprintf(stderr, "graph_bench: %s\n", chm_last_error(dev));
        exit(2);
    }
    /* inputs written, as an application's are (no first-touch page faults in the timed run) */
    const size_t eb = int8 ? 1 : 4, xbytes = (size_t)(n * f) * eb;
    uint8_t *fill = malloc(xbytes);
    for (size_t i = 0; fill && i < xbytes / eb; i++) { /* int8 in [-128, 127], fp32 in [-0.5, 0.5) */
        if (int8)
            fill[i] = (uint8_t)rnd();
        else
            ((float *)fill)[i] = (float)(rnd() >> 40) / (float)(1 << 24) - 0.5f;
    }
    const size_t wbytes = (size_t)(wd[0] * wd[1]) * eb, w2bytes = (size_t)(o * hid) * eb;
    if (!fill || chm_tensor_write(tx, 0, fill, xbytes) || chm_tensor_write(tw, 0, fill, wbytes) ||
        (tw2 && chm_tensor_write(tw2, 0, fill, w2bytes)) ||
        chm_tensor_write(to, 0, fill, (size_t)(n * o) * eb)) {
        fprintf(stderr, "graph_bench: %s\n", fill ? chm_last_error(dev) : "no memory");
        exit(2);
    }
    free(fill);
    if (int8)
        p.q = (chm_gnn_quant){ 1.0f / 64, 0, 1.0f / 128, 1.0f / 128, 1.0f / 32, 0, 0.25f, -128, 0.5f, 0 };
    chm_gnn_plan plan;
    chm_event *ev;
    chm_event_times et;
    const double a = now_ms();
    int rc = chm_gnn_layer_plan(dev, tg, tx, tw, NULL, tw2, NULL, to, &p, &plan);
    const double b = now_ms(); /* the plan is remembered on the graph: the layer reuses it */
    if (rc || chm_gnn_layer(dev, tg, tx, tw, NULL, tw2, NULL, to, &p, &ev) || chm_wait(ev)) {
        fprintf(stderr, "graph_bench: %s\n", chm_last_error(dev));
        exit(2);
    }
    const double plan_ms = b - a, emu = now_ms() - b;
    chm_event_times_get(ev, &et);
    chm_event_release(ev);
    const double card = et.device_end_us - et.device_start_us;
    printf("| %-22s | %s | %s | %8.2f | %4.0f%% | %4.0f%% | %4.2f | %8.1f | %8.1f |\n", name,
           int8 ? "int8" : "fp32", plan.order == CHM_ORDER_COMBINE_FIRST ? "CA" : "AC", card / 1e3,
           100 * plan.aggregation_util, 100 * plan.combination_util,
           (plan.aggregation_us + plan.combination_us) / card, plan_ms, emu);
    chm_tensor_free(tx), chm_tensor_free(tw), chm_tensor_free(tw2), chm_tensor_free(to);
}

static void bench_kinds(chm_device *dev)
{
    const dataset *ds = &sets[2];
    chm_graph *g = rmat_graph(ds);
    chm_tensor *tg;
    if (chm_graph_upload(dev, g, CHM_BANK_DEFAULT, &tg)) {
        fprintf(stderr, "graph_bench: %s\n", chm_last_error(dev));
        exit(2);
    }
    chm_event *load; /* reconfigure first, so no row's wall time includes the load */
    if (chm_region_load_mode(dev, 0, CHM_MODE_GRAPH, &load) || chm_wait(load)) {
        fprintf(stderr, "graph_bench: %s\n", chm_last_error(dev));
        exit(2);
    }
    chm_event_release(load);
    printf("\nLayer kinds on the %s-size R-MAT graph, F %d -> 64 (GIN: hidden 64); card time modelled\n\n",
           ds->name, ds->f);
    printf("| layer | dtype | order | card ms | agg busy | comb busy | overlap | plan ms | emu ms |\n");
    printf("|---|---|---|--:|--:|--:|--:|--:|--:|\n");
    static const struct { const char *name; chm_gnn_params p; } k[] = {
        { "GCN, aggregate first", { .kind = CHM_GNN_GCN, .order = CHM_ORDER_AGGREGATE_FIRST, .relu = 1 } },
        { "GCN, combine first", { .kind = CHM_GNN_GCN, .order = CHM_ORDER_COMBINE_FIRST, .relu = 1 } },
        { "GraphSAGE-mean", { .kind = CHM_GNN_SAGE, .aggr = CHM_AGGR_MEAN, .relu = 1 } },
        { "GraphSAGE-max", { .kind = CHM_GNN_SAGE, .aggr = CHM_AGGR_MAX, .relu = 1 } },
        { "GIN (sum, 2-layer MLP)", { .kind = CHM_GNN_GIN, .relu = 1 } },
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        for (int int8 = 0; int8 < 2; int8++)
            kind_row(dev, tg, ds->n, ds->f, k[i].name, k[i].p, int8);
    chm_tensor_free(tg);
    chm_graph_free(g);
}

int main(int argc, char **argv)
{
    const char *only = NULL;
    int reps = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--only")) only = argv[i + 1];
        else if (!strcmp(argv[i], "--reps")) reps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--reddit-edges")) sets[3].edges = atoll(argv[i + 1]);
        else {
            fprintf(stderr, "usage: graph_bench [--only NAME] [--reps N] [--reddit-edges M]\n");
            return 2;
        }
    }
    /* one core each: the emulation (unless CHIMERA_EMU_THREADS says otherwise) and OpenBLAS */
    setenv("CHIMERA_EMU_THREADS", "1", 0);
    chm_device *dev;
    if (chm_device_open("emu:u250", &dev)) {
        fprintf(stderr, "graph_bench: %s\n", chm_last_error(NULL));
        return 2;
    }
    openblas_set_num_threads(1);
    if (!only || strcmp(only, "kinds")) {
        printf("GCN layer F -> 16, fp32, ReLU, on R-MAT graphs; card = one U250 region, modelled; "
               "emu and cpu = wall time, best of %d; emu threads %s, OpenBLAS 1 thread\n\n",
               reps, getenv("CHIMERA_EMU_THREADS"));
        printf("| graph    | numbering | vertices | edges + loops | F | order | card ms | other order ms | agg / comb busy | rows loaded | emu ms | cpu ms | max rel err |\n");
        printf("|----------|-------|---------:|-----------:|------:|---|----------:|----------:|-------------|------:|----------:|----------:|--------:|\n");
        for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
            if (!only || !strcmp(only, sets[i].name))
                bench(dev, &sets[i], reps);
    }
    if (!only || !strcmp(only, "kinds"))
        bench_kinds(dev);
    chm_device_close(dev);
    return 0;
}
