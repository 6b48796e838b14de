/*
 * test_graph.c - GRAPH mode on the emulated card: GCN, GraphSAGE and GIN
 * layers against the plain-C reference (chm_ref_graph.c), int8 bit for bit
 * and fp32 within |got - want| <= 1e-5 (1 + |want|) (the kernel and the
 * reference sum in the same documented order, so fp32 agrees exactly in
 * practice; the tolerance is what the API promises). Graphs: random of
 * several sizes and densities, power-law, isolated vertices, self loops
 * only, a single vertex, Cora; feature widths that are not multiples of
 * the SIMD lanes. Also the window accounting, the order choice, the
 * pipeline and bad arguments.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chm_ref_graph.h"
#include "test_util.h"

static uint64_t cases_run, fp32_cases, exact_fp32;

/* On rtl:* (CHIMERA_TEST_DEVICE) only what the RTL GRAPH engine runs: int8 GCN (sum, mean,
 * max) and GraphSAGE. */
static int on_rtl;
static int measured; /* the device measures card time (rtl, xrt) */

static int runs_here(chm_gnn_kind kind, int int8)
{
    return !on_rtl || (int8 && kind != CHM_GNN_GIN);
}

/* A random float in [lo, hi]. */
static float frand(tu_rng *r, float lo, float hi)
{
    return lo + (hi - lo) * (float)(tu_u32(r) >> 8) / 16777216.0f;
}

typedef struct layer_case {
    int f, h, o;
    chm_gnn_params p;
    int int8;
} layer_case;

/* Int8 scales that keep every stage mostly in range. */
static void int8_scales(chm_gnn_params *p, int f, int h, tu_rng *r)
{
    chm_gnn_quant *q = &p->q;
    q->in_scale = 1.0f / 64;
    q->in_zero_point = tu_range(r, -6, 6);
    q->w_scale = 1.0f / 128;
    q->w2_scale = 1.0f / 100;
    q->mid_scale = 1.0f / 40;
    q->mid_zero_point = tu_range(r, -4, 4);
    q->hidden_scale = q->mid_scale * q->w_scale * 127.0f * sqrtf((float)f) / 6.0f;
    q->hidden_zero_point = -128 + tu_range(r, 0, 8);
    const int k = p->kind == CHM_GNN_GIN ? h : p->kind == CHM_GNN_SAGE ? 2 * f : f;
    const float prev = p->kind == CHM_GNN_GIN ? q->hidden_scale * q->w2_scale : q->mid_scale * q->w_scale;
    q->out_scale = prev * 127.0f * sqrtf((float)k) / 6.0f;
    q->out_zero_point = tu_range(r, -10, 10);
}

/* Runs one layer on the card and on the reference; returns the plan used. */
static chm_gnn_plan run_case(const chm_graph *g, const layer_case *c, uint64_t seed, const char *what)
{
    tu_rng r;
    tu_seed(&r, seed);
    chm_graph_info gi;
    chm_graph_query(g, &gi);
    const int64_t n = gi.n;
    const int gin = c->p.kind == CHM_GNN_GIN, sage = c->p.kind == CHM_GNN_SAGE;
    const int wr = gin ? c->h : c->o, wc = sage ? 2 * c->f : c->f;
    const size_t eb = c->int8 ? 1 : 4;
    void *x = malloc((size_t)n * c->f * eb), *w = malloc((size_t)wr * wc * eb);
    void *w2 = malloc((size_t)c->o * (c->h + 1) * eb);
    void *got = malloc((size_t)n * c->o * eb), *want = malloc((size_t)n * c->o * eb);
    float *bias = malloc(sizeof(float) * (size_t)wr), *bias2 = malloc(sizeof(float) * (size_t)c->o);
    chm_gnn_params p = c->p;
    if (c->int8) {
        tu_fill_i8(&r, x, (size_t)n * c->f, -128, 127);
        tu_fill_i8(&r, w, (size_t)wr * wc, -127, 127);
        tu_fill_i8(&r, w2, (size_t)c->o * c->h, -127, 127);
        int8_scales(&p, c->f, c->h, &r);
    } else {
        for (int64_t i = 0; i < n * c->f; i++)
            ((float *)x)[i] = frand(&r, -1, 1);
        for (int64_t i = 0; i < (int64_t)wr * wc; i++)
            ((float *)w)[i] = frand(&r, -0.5f, 0.5f);
        for (int64_t i = 0; i < (int64_t)c->o * c->h; i++)
            ((float *)w2)[i] = frand(&r, -0.5f, 0.5f);
    }
    for (int i = 0; i < wr; i++)
        bias[i] = frand(&r, -0.3f, 0.3f);
    for (int i = 0; i < c->o; i++)
        bias2[i] = frand(&r, -0.3f, 0.3f);
    const chm_dtype dt = c->int8 ? CHM_INT8 : CHM_FP32;
    chm_tensor *tg;
    CU_ASSERT_EQUAL_FATAL(chm_graph_upload(tu_dev, g, CHM_BANK_DEFAULT, &tg), CHM_OK);
    chm_tensor *tx = tu_tensor(tu_dev, dt, 2, TU_DIMS(n, c->f), x);
    chm_tensor *tw = tu_tensor(tu_dev, dt, 2, TU_DIMS(wr, wc), w);
    chm_tensor *tb = tu_tensor(tu_dev, CHM_FP32, 1, TU_DIMS(wr), bias);
    chm_tensor *tw2 = gin ? tu_tensor(tu_dev, dt, 2, TU_DIMS(c->o, c->h), w2) : NULL;
    chm_tensor *tb2 = gin ? tu_tensor(tu_dev, CHM_FP32, 1, TU_DIMS(c->o), bias2) : NULL;
    chm_tensor *to = tu_tensor(tu_dev, dt, 2, TU_DIMS(n, c->o), NULL);
    chm_gnn_plan plan;
    memset(&plan, 0, sizeof plan);
    int rc = chm_gnn_layer_plan(tu_dev, tg, tx, tw, tb, tw2, tb2, to, &p, &plan);
    if (!rc)
        rc = chm_gnn_layer(tu_dev, tg, tx, tw, tb, tw2, tb2, to, &p, NULL);
    if (rc)
        printf("\n  %s: %s\n", what, chm_last_error(tu_dev));
    CU_ASSERT_EQUAL_FATAL(rc, CHM_OK);
    CU_ASSERT_EQUAL(chm_tensor_read(to, 0, got, (size_t)n * c->o * eb), CHM_OK);
    const int64_t *rp;
    const int32_t *ci;
    const float *ew;
    chm_graph_csr(g, &rp, &ci, &ew);
    const ref_graph rg = { n, rp, ci, ew };
    const ref_gnn rl = { c->f, c->h, c->o, w, w2, bias, gin ? bias2 : NULL };
    const int ca = plan.order == CHM_ORDER_COMBINE_FIRST;
    if (c->int8) {
        ref_gnn_i8(&rg, x, &rl, &p, ca, want);
        long at = tu_first_diff(got, want, (size_t)n * c->o);
        if (at >= 0)
            printf("\n  %s seed %llu: int8 differs at %ld: %d, want %d\n", what,
                   (unsigned long long)seed, at, ((int8_t *)got)[at], ((int8_t *)want)[at]);
        CU_ASSERT_EQUAL(at, -1);
    } else {
        ref_gnn_f32(&rg, x, &rl, &p, ca, want);
        const float *a = got, *b = want;
        int64_t bad = -1, same = 0;
        for (int64_t i = 0; i < n * c->o; i++) {
            same += a[i] == b[i];
            if (bad < 0 && !(fabsf(a[i] - b[i]) <= 1e-5f * (1.0f + fabsf(b[i]))))
                bad = i;
        }
        if (bad >= 0)
            printf("\n  %s seed %llu: fp32 differs at %lld: %.9g, want %.9g\n", what,
                   (unsigned long long)seed, (long long)bad, a[bad], b[bad]);
        CU_ASSERT_EQUAL(bad, -1);
        /* the card sums in the reference's order (k ascending, no FMA): the same bits */
        CU_ASSERT_EQUAL(same, n * c->o);
        exact_fp32 += same == n * c->o;
        fp32_cases++;
    }
    cases_run++;
    chm_tensor *all[] = { tg, tx, tw, tb, tw2, tb2, to };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        chm_tensor_free(all[i]);
    free(x), free(w), free(w2), free(got), free(want), free(bias), free(bias2);
    return plan;
}

/* The layer variants every graph goes through, both dtypes. */
static void all_layers(const chm_graph *g, int f, int h, int o, uint64_t seed, const char *what)
{
    static const struct { chm_gnn_kind kind; chm_aggr aggr; chm_gnn_order order; int relu; } v[] = {
        { CHM_GNN_GCN, CHM_AGGR_SUM, CHM_ORDER_AGGREGATE_FIRST, 1 },
        { CHM_GNN_GCN, CHM_AGGR_SUM, CHM_ORDER_COMBINE_FIRST, 0 },
        { CHM_GNN_GCN, CHM_AGGR_MEAN, CHM_ORDER_AGGREGATE_FIRST, 0 },
        { CHM_GNN_GCN, CHM_AGGR_MEAN, CHM_ORDER_COMBINE_FIRST, 1 },
        { CHM_GNN_GCN, CHM_AGGR_MAX, CHM_ORDER_AUTO, 1 },
        { CHM_GNN_SAGE, CHM_AGGR_MEAN, CHM_ORDER_AUTO, 1 },
        { CHM_GNN_SAGE, CHM_AGGR_MAX, CHM_ORDER_AGGREGATE_FIRST, 0 },
        { CHM_GNN_GIN, CHM_AGGR_SUM, CHM_ORDER_AUTO, 0 },
    };
    for (int int8 = 0; int8 < 2; int8++) {
        for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
            if (!runs_here(v[i].kind, int8))
                continue;
            layer_case c = { f, h, o, { .kind = v[i].kind, .aggr = v[i].aggr, .order = v[i].order,
                                        .relu = v[i].relu }, int8 };
            char name[160];
            snprintf(name, sizeof name, "%s f=%d h=%d o=%d %s variant %zu", what, f, h, o,
                     int8 ? "int8" : "fp32", i);
            chm_gnn_plan plan = run_case(g, &c, seed * 131 + i * 7 + (uint64_t)int8, name);
            if (v[i].order != CHM_ORDER_AUTO)
                CU_ASSERT_EQUAL(plan.order, v[i].order);
        }
    }
}

/* n vertices, about n * deg random undirected edges, self loops, GCN weights. */
static chm_graph *random_graph(int n, double deg, uint64_t seed, int skip_from)
{
    tu_rng r;
    tu_seed(&r, seed);
    const int64_t m = (int64_t)(n * deg) + 1;
    int32_t *s = malloc(sizeof(int32_t) * (size_t)m), *d = malloc(sizeof(int32_t) * (size_t)m);
    const int span = skip_from ? skip_from : n; /* vertices >= skip_from stay isolated */
    for (int64_t i = 0; i < m; i++) {
        s[i] = tu_range(&r, 0, span - 1);
        d[i] = tu_range(&r, 0, span - 1);
    }
    chm_graph *g = NULL;
    CU_ASSERT_EQUAL(chm_graph_from_edges(n, m, s, d, NULL,
                                         CHM_GRAPH_SYMMETRIC | CHM_GRAPH_MERGE_DUPLICATES, &g), CHM_OK);
    if (!skip_from)
        chm_graph_add_self_loops(g, 1.0f);
    chm_graph_normalize(g, CHM_NORM_GCN);
    free(s);
    free(d);
    return g;
}

/* Chung-Lu power law: endpoint i drawn with weight (i + 1)^-0.9 (hubs at low ids). */
static chm_graph *power_law_graph(int n, int64_t m, uint64_t seed)
{
    tu_rng r;
    tu_seed(&r, seed);
    double *cdf = malloc(sizeof(double) * (size_t)n), tot = 0;
    for (int i = 0; i < n; i++)
        cdf[i] = tot += pow(i + 1, -0.9);
    int32_t *s = malloc(sizeof(int32_t) * (size_t)m), *d = malloc(sizeof(int32_t) * (size_t)m);
    for (int64_t k = 0; k < 2 * m; k++) {
        const double u = tot * (tu_u32(&r) / 4294967296.0);
        int lo = 0, hi = n - 1;
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (cdf[mid] < u)
                lo = mid + 1;
            else
                hi = mid;
        }
        (k < m ? s : d)[k % m] = lo;
    }
    chm_graph *g = NULL;
    CU_ASSERT_EQUAL(chm_graph_from_edges(n, m, s, d, NULL, CHM_GRAPH_MERGE_DUPLICATES, &g), CHM_OK);
    chm_graph_normalize(g, CHM_NORM_MEAN);
    free(cdf), free(s), free(d);
    return g;
}

static void test_random_graphs(void)
{
    static const struct { int n; double deg; int f, h, o; } c[] = {
        { 5, 1.0, 3, 5, 2 }, { 33, 4.0, 17, 33, 7 }, { 100, 0.5, 65, 9, 16 },
        { 100, 20.0, 1, 4, 33 }, { 517, 3.0, 130, 40, 40 }, { 64, 8.0, 64, 32, 1 },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        chm_graph *g = random_graph(c[i].n, c[i].deg, 100 + i, 0);
        char what[64];
        snprintf(what, sizeof what, "random n=%d deg=%.1f", c[i].n, c[i].deg);
        all_layers(g, c[i].f, c[i].h, c[i].o, 7 + i, what);
        chm_graph_free(g);
    }
}

static void test_power_law(void)
{
    chm_graph *g = power_law_graph(3000, 20000, 5);
    chm_graph_info info;
    chm_graph_query(g, &info);
    CU_ASSERT(info.max_in_degree > 20 * info.edges / info.n); /* hubs */
    all_layers(g, 48, 24, 10, 11, "power-law n=3000");
    chm_graph_free(g);
}

static void test_special_graphs(void)
{
    /* isolated vertices: 0..39 have edges, 40..99 none (aggregation gives 0) */
    chm_graph *g = random_graph(100, 2.0, 3, 40);
    chm_graph_info info;
    chm_graph_query(g, &info);
    CU_ASSERT(info.isolated >= 60);
    all_layers(g, 19, 7, 5, 21, "isolated");
    chm_graph_free(g);
    /* self loops only */
    int32_t ids[70];
    for (int i = 0; i < 70; i++)
        ids[i] = i;
    CU_ASSERT_EQUAL_FATAL(chm_graph_from_edges(70, 70, ids, ids, NULL, 0, &g), CHM_OK);
    all_layers(g, 31, 3, 6, 22, "self loops only");
    chm_graph_free(g);
    /* a single vertex, without and with its loop */
    CU_ASSERT_EQUAL_FATAL(chm_graph_from_edges(1, 0, NULL, NULL, NULL, 0, &g), CHM_OK);
    all_layers(g, 5, 2, 3, 23, "single vertex");
    chm_graph_add_self_loops(g, 2.5f);
    all_layers(g, 5, 2, 3, 24, "single vertex + loop");
    chm_graph_free(g);
}

static void test_cora(void)
{
    chm_graph *g;
    if (chm_graph_load_mtx(CHM_CORA_DIR "/cora.adj.mtx", 0, &g)) {
        printf("\n  Cora not checked: %s\n", chm_last_error(NULL));
        return;
    }
    chm_graph_add_self_loops(g, 1.0f);
    chm_graph_normalize(g, CHM_NORM_GCN);
    static const chm_gnn_order orders[] = { CHM_ORDER_AGGREGATE_FIRST, CHM_ORDER_COMBINE_FIRST };
    for (int int8 = 0; int8 < 2; int8++) {
        for (int i = 0; i < 2 && runs_here(CHM_GNN_GCN, int8); i++) {
            layer_case c = { 1433, 0, 16, { .kind = CHM_GNN_GCN, .order = orders[i], .relu = 1 }, int8 };
            run_case(g, &c, 90 + i, int8 ? "cora int8" : "cora fp32");
        }
    }
    layer_case c2 = { 16, 0, 7, { .kind = CHM_GNN_GCN }, on_rtl };
    chm_gnn_plan p = run_case(g, &c2, 95, "cora layer 2");
    /* the order the cycle model finds faster (both aggregate one 64-lane segment an edge) */
    CU_ASSERT(p.other_order_us >= p.device_us);
    chm_graph_free(g);
}

/*
 * Renumbering the vertices (RCM) and permuting the features the same way
 * gives the same int8 outputs, permuted (integer sums do not depend on the
 * order), and the windows load fewer rows.
 */
static void test_reorder_same_result(void)
{
    chm_graph *g = random_graph(300, 3.0, 41, 0);
    chm_graph_info gi;
    chm_graph_query(g, &gi);
    const int n = (int)gi.n, f = 21, o = 9;
    tu_rng r;
    tu_seed(&r, 42);
    int8_t *x = malloc((size_t)n * f), *xp = malloc((size_t)n * f), *w = malloc((size_t)o * f);
    int8_t *y = malloc((size_t)n * o), *yp = malloc((size_t)n * o);
    int32_t *perm = malloc(sizeof(int32_t) * (size_t)n);
    tu_fill_i8(&r, x, (size_t)n * f, -128, 127);
    tu_fill_i8(&r, w, (size_t)o * f, -127, 127);
    chm_gnn_params p = { .kind = CHM_GNN_GCN, .order = CHM_ORDER_AGGREGATE_FIRST, .relu = 1 };
    int8_scales(&p, f, 0, &r);
    chm_gnn_plan plan[2];
    for (int pass = 0; pass < 2; pass++) {
        if (pass) {
            CU_ASSERT_EQUAL_FATAL(chm_graph_reorder(g, CHM_REORDER_RCM, perm), CHM_OK);
            for (int v = 0; v < n; v++)
                memcpy(xp + (size_t)v * f, x + (size_t)perm[v] * f, (size_t)f);
        }
        chm_tensor *tg;
        CU_ASSERT_EQUAL_FATAL(chm_graph_upload(tu_dev, g, CHM_BANK_DEFAULT, &tg), CHM_OK);
        chm_tensor *tx = tu_tensor(tu_dev, CHM_INT8, 2, TU_DIMS(n, f), pass ? xp : x);
        chm_tensor *tw = tu_tensor(tu_dev, CHM_INT8, 2, TU_DIMS(o, f), w);
        chm_tensor *to = tu_tensor(tu_dev, CHM_INT8, 2, TU_DIMS(n, o), NULL);
        CU_ASSERT_EQUAL(chm_gnn_layer_plan(tu_dev, tg, tx, tw, NULL, NULL, NULL, to, &p, &plan[pass]), CHM_OK);
        CU_ASSERT_EQUAL(chm_gnn_layer(tu_dev, tg, tx, tw, NULL, NULL, NULL, to, &p, NULL), CHM_OK);
        chm_tensor_read(to, 0, pass ? yp : y, (size_t)n * o);
        chm_tensor_free(tg), chm_tensor_free(tx), chm_tensor_free(tw), chm_tensor_free(to);
    }
    int same = 1;
    for (int v = 0; v < n; v++)
        same &= !memcmp(yp + (size_t)v * o, y + (size_t)perm[v] * o, (size_t)o);
    CU_ASSERT(same);
    CU_ASSERT(plan[1].rows_loaded < plan[0].rows_loaded);
    free(x), free(xp), free(w), free(y), free(yp), free(perm);
    chm_graph_free(g);
}

/* CA's scratch takes bank memory only while the layer runs; no room fails the event. */
static void test_ca_scratch(void)
{
    chm_graph *g = random_graph(64, 3.0, 5, 0);
    chm_tensor *tg;
    CU_ASSERT_EQUAL_FATAL(chm_graph_upload(tu_dev, g, CHM_BANK_DEFAULT, &tg), CHM_OK);
    chm_tensor *x = tu_tensor(tu_dev, CHM_FP32, 2, TU_DIMS(64, 8), NULL);
    chm_tensor *w = tu_tensor(tu_dev, CHM_FP32, 2, TU_DIMS(4, 8), NULL);
    chm_tensor *out = tu_tensor(tu_dev, CHM_FP32, 2, TU_DIMS(64, 4), NULL);
    chm_gnn_params ca = { .kind = CHM_GNN_GCN, .order = CHM_ORDER_COMBINE_FIRST };
    chm_gnn_params ac = { .kind = CHM_GNN_GCN, .order = CHM_ORDER_AGGREGATE_FIRST };
    chm_device_info before, after;
    chm_device_query(tu_dev, &before);
    CU_ASSERT_EQUAL(chm_gnn_layer(tu_dev, tg, x, w, NULL, NULL, NULL, out, &ca, NULL), CHM_OK);
    CU_ASSERT_EQUAL(chm_finish(tu_dev), CHM_OK);
    chm_device_query(tu_dev, &after);
    CU_ASSERT_EQUAL(after.banks[0].used, before.banks[0].used);
    /* fill bank 0, holes too (untouched tensors cost no host memory) */
    chm_tensor *fill[80];
    int n_fill = 0;
    for (int64_t size = (int64_t)(before.banks[0].size - before.banks[0].used); n_fill < 80;) {
        if (chm_tensor_alloc(tu_dev, CHM_INT8, 1, TU_DIMS(size), 0, &fill[n_fill]) == CHM_OK)
            n_fill++;
        else if (size == 4096)
            break; /* no 4 KiB page left anywhere */
        else
            size = size / 2 > 4096 ? size / 2 : 4096;
    }
    chm_device_query(tu_dev, &after);
    CU_ASSERT(n_fill < 80);
    chm_event *ev;
    CU_ASSERT_EQUAL(chm_gnn_layer(tu_dev, tg, x, w, NULL, NULL, NULL, out, &ca, &ev), CHM_OK);
    CU_ASSERT_EQUAL(chm_wait(ev), CHM_EDEVMEM);
    chm_event_release(ev);
    CU_ASSERT_EQUAL(chm_gnn_layer(tu_dev, tg, x, w, NULL, NULL, NULL, out, &ac, &ev), CHM_OK);
    CU_ASSERT_EQUAL(chm_wait(ev), CHM_OK); /* aggregate-first needs no scratch */
    chm_event_release(ev);
    for (int i = 0; i < n_fill; i++)
        chm_tensor_free(fill[i]);
    chm_finish(tu_dev); /* the failed command is reported once; the device goes on */
    chm_tensor *all[] = { tg, x, w, out };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        chm_tensor_free(all[i]);
    chm_graph_free(g);
}

/* Window sliding and shrinking, counted on a hand-made graph. */
static void test_windows(void)
{
    /* block 0 (vertices 0..31) gets edges from 3, 10 and 150; block 1 from 199 */
    const int32_t s[] = { 3, 10, 150, 199, 3 }, d[] = { 0, 1, 0, 40, 31 };
    chm_graph *g;
    CU_ASSERT_EQUAL_FATAL(chm_graph_from_edges(200, 5, s, d, NULL, 0, &g), CHM_OK);
    layer_case c = { 24, 0, 4, { .kind = CHM_GNN_GCN, .order = CHM_ORDER_AGGREGATE_FIRST }, 0 };
    chm_gnn_plan p = run_case(g, &c, 1, "windows");
    CU_ASSERT_EQUAL(p.windows, 3);            /* [3..10], [150], [199] */
    CU_ASSERT_EQUAL(p.rows_loaded, 8 + 1 + 1); /* rows 4..9 ride along inside [3..10] */
    CU_ASSERT_EQUAL(p.rows_dense, 7 * 200);    /* 7 blocks x all 200 rows */
    CU_ASSERT_EQUAL(p.feature_bytes, 10 * 24 * 4);
    c.int8 = 1;
    p = run_case(g, &c, 2, "windows int8");
    CU_ASSERT_EQUAL(p.feature_bytes, 10 * 24);
    chm_graph_free(g);
}

/* AUTO picks the order whose modelled time is smaller; AC overlaps the engines. */
static void test_order_and_pipeline(void)
{
    chm_graph *g = random_graph(2000, 8.0, 9, 0);
    layer_case wide_in = { 256, 0, 8, { .kind = CHM_GNN_GCN }, 0 };
    chm_gnn_plan p = run_case(g, &wide_in, 3, "256->8");
    CU_ASSERT_EQUAL(p.order, CHM_ORDER_COMBINE_FIRST);
    CU_ASSERT(p.other_order_us > p.device_us);
    layer_case wide_out = { 8, 0, 256, { .kind = CHM_GNN_GCN }, 0 };
    p = run_case(g, &wide_out, 4, "8->256");
    CU_ASSERT_EQUAL(p.order, CHM_ORDER_AGGREGATE_FIRST);
    CU_ASSERT(p.other_order_us > p.device_us);
    /* pipelined: less than the two engines' busy times one after the other (int8: fp32
     * 8 -> 256 is bound by the bank, its 32-byte output runs each taking a beat) */
    layer_case wide_out8 = { 8, 0, 256, { .kind = CHM_GNN_GCN }, 1 };
    chm_gnn_plan p8 = run_case(g, &wide_out8, 4, "8->256 int8");
    CU_ASSERT_EQUAL(p8.order, CHM_ORDER_AGGREGATE_FIRST);
    CU_ASSERT(p8.device_us < p8.aggregation_us + p8.combination_us);
    CU_ASSERT(p.aggregation_util > 0.0 && p.aggregation_util <= 1.0);
    CU_ASSERT(p.combination_util > 0.0 && p.combination_util <= 1.0);
    /* the card's event time is the plan's */
    chm_device_stats st0, st1;
    chm_device_stats_get(tu_dev, &st0);
    run_case(g, &wide_out, 4, "8->256 again");
    chm_device_stats_get(tu_dev, &st1);
    /* rtl and xrt measure the card's time; the plan is the model's, for the layer alone,
     * and so is the event's: the host waited for the layers before (chm_tensor_read), so
     * nothing shares its bank on the card timeline (bankshare.c) */
    if (!measured)
        CU_ASSERT_DOUBLE_EQUAL(st1.device_kernel_us - st0.device_kernel_us, p.device_us,
                               1e-6 * p.device_us);
    /* a region now holds GRAPH mode: the first layer reconfigured one */
    chm_device_info di;
    chm_device_query(tu_dev, &di);
    int graph_regions = 0;
    for (uint32_t i = 0; i < di.n_regions; i++)
        graph_regions += di.regions[i].mode == CHM_MODE_GRAPH;
    CU_ASSERT(graph_regions >= 1);
    CU_ASSERT(st1.reconfigurations >= 1);
    chm_graph_free(g);
}

/* Expects code and why; out keeps its bytes and no operation ran. */
static void expect_bad(int rc, int code, const char *why, chm_tensor *out, const float *before,
                       size_t n)
{
    CU_ASSERT_EQUAL(rc, code);
    if (rc != code || !strstr(chm_last_error(tu_dev), why))
        printf("\n  expected %s \"%s\", got %s \"%s\"\n", chm_strerror(code), why, chm_strerror(rc),
               chm_last_error(tu_dev));
    CU_ASSERT_PTR_NOT_NULL(strstr(chm_last_error(tu_dev), why));
    float now[64];
    chm_tensor_read(out, 0, now, n * sizeof(float));
    CU_ASSERT_EQUAL(memcmp(now, before, n * sizeof(float)), 0);
}

static void test_bad_arguments(void)
{
    chm_graph *g = random_graph(8, 2.0, 1, 0);
    chm_tensor *tg;
    CU_ASSERT_EQUAL_FATAL(chm_graph_upload(tu_dev, g, CHM_BANK_DEFAULT, &tg), CHM_OK);
    float init[8 * 4];
    for (int i = 0; i < 32; i++)
        init[i] = (float)i;
    chm_tensor *x = tu_tensor(tu_dev, CHM_FP32, 2, TU_DIMS(8, 6), NULL);
    chm_tensor *x7 = tu_tensor(tu_dev, CHM_FP32, 2, TU_DIMS(7, 6), NULL);
    chm_tensor *xi = tu_tensor(tu_dev, CHM_INT8, 2, TU_DIMS(8, 6), NULL);
    chm_tensor *w = tu_tensor(tu_dev, CHM_FP32, 2, TU_DIMS(4, 6), NULL);
    chm_tensor *wi = tu_tensor(tu_dev, CHM_INT8, 2, TU_DIMS(4, 6), NULL);
    chm_tensor *w44 = tu_tensor(tu_dev, CHM_FP32, 2, TU_DIMS(4, 4), NULL);
    chm_tensor *out = tu_tensor(tu_dev, CHM_FP32, 2, TU_DIMS(8, 4), init);
    chm_tensor *outi = tu_tensor(tu_dev, CHM_INT8, 2, TU_DIMS(8, 4), NULL);
    chm_tensor *wide = tu_tensor(tu_dev, CHM_FP32, 2, TU_DIMS(8, 4097), NULL);
    chm_tensor *wwide = tu_tensor(tu_dev, CHM_FP32, 2, TU_DIMS(4, 4097), NULL);
    chm_device_stats s0, s1;
    chm_device_stats_get(tu_dev, &s0);
    chm_gnn_params p = { .kind = CHM_GNN_GCN };
    expect_bad(chm_gnn_layer(tu_dev, tg, x7, w, NULL, NULL, NULL, out, &p, NULL), CHM_ESHAPE,
               "in dims[0] is 7, expected 8 (the graph's vertices)", out, init, 32);
    expect_bad(chm_gnn_layer(tu_dev, x, x, w, NULL, NULL, NULL, out, &p, NULL), CHM_EDTYPE,
               "graph", out, init, 32);
    expect_bad(chm_gnn_layer(tu_dev, outi, x, w, NULL, NULL, NULL, out, &p, NULL), CHM_ESHAPE,
               "graph has 2 dims, expected 1", out, init, 32);
    chm_tensor *plain = tu_tensor(tu_dev, CHM_INT8, 1, TU_DIMS(64), NULL);
    expect_bad(chm_gnn_layer(tu_dev, plain, x, w, NULL, NULL, NULL, out, &p, NULL), CHM_EINVAL,
               "graph is not a graph tensor (make it with chm_graph_upload)", out, init, 32);
    chm_tensor_free(plain);
    expect_bad(chm_gnn_layer(tu_dev, tg, x, wi, NULL, NULL, NULL, out, &p, NULL), CHM_EDTYPE,
               "weights", out, init, 32);
    expect_bad(chm_gnn_layer(tu_dev, tg, wide, wwide, NULL, NULL, NULL, out, &p, NULL), CHM_ELIMIT,
               "at most 4096", out, init, 32);
    p.aggr = CHM_AGGR_MAX;
    p.order = CHM_ORDER_COMBINE_FIRST;
    expect_bad(chm_gnn_layer(tu_dev, tg, x, w, NULL, NULL, NULL, out, &p, NULL), CHM_EINVAL,
               "combine-first order needs a GCN layer with a linear aggregator", out, init, 32);
    p = (chm_gnn_params){ .kind = CHM_GNN_GIN, .aggr = CHM_AGGR_MEAN };
    expect_bad(chm_gnn_layer(tu_dev, tg, x, w, NULL, w44, NULL, out, &p, NULL), CHM_EINVAL,
               "GIN layers aggregate by sum", out, init, 32);
    p = (chm_gnn_params){ .kind = CHM_GNN_GCN };
    expect_bad(chm_gnn_layer(tu_dev, tg, x, w, NULL, w, NULL, out, &p, NULL), CHM_EINVAL,
               "weights2 and bias2 are for GIN layers only", out, init, 32);
    expect_bad(chm_gnn_layer(tu_dev, tg, xi, wi, NULL, NULL, NULL, outi, &p, NULL), CHM_EINVAL,
               "q.in_scale is 0", out, init, 32);
    chm_device_stats_get(tu_dev, &s1);
    CU_ASSERT_EQUAL(s1.ops, s0.ops);
    /* a vertex with more in-edges than int8 sums allow: fp32 runs, int8 is refused */
    const int n = 65535 + 2;
    int32_t *src = malloc(sizeof(int32_t) * n), *dst = calloc((size_t)n, sizeof(int32_t));
    for (int i = 0; i < n; i++)
        src[i] = i;
    chm_graph *star;
    CU_ASSERT_EQUAL_FATAL(chm_graph_from_edges(n, n - 1, src + 1, dst, NULL, 0, &star), CHM_OK);
    layer_case big = { 2, 0, 3, { .kind = CHM_GNN_GCN, .aggr = CHM_AGGR_MEAN }, 0 };
    run_case(star, &big, 5, "star fp32");
    chm_tensor *ts = NULL;
    CU_ASSERT_EQUAL_FATAL(chm_graph_upload(tu_dev, star, CHM_BANK_DEFAULT, &ts), CHM_OK);
    chm_tensor *sx = tu_tensor(tu_dev, CHM_INT8, 2, TU_DIMS(n, 6), NULL);
    chm_tensor *so = tu_tensor(tu_dev, CHM_INT8, 2, TU_DIMS(n, 4), NULL);
    p = (chm_gnn_params){ .kind = CHM_GNN_GCN, .q = { 1, 0, 1, 1, 1, 0, 1, 0, 1, 0 } };
    CU_ASSERT_EQUAL(chm_gnn_layer(tu_dev, ts, sx, wi, NULL, NULL, NULL, so, &p, NULL), CHM_ELIMIT);
    CU_ASSERT_PTR_NOT_NULL(strstr(chm_last_error(tu_dev), "a vertex has 65536 in-edges; int8 layers take at most 65535"));
    chm_tensor_free(ts), chm_tensor_free(sx), chm_tensor_free(so);
    chm_graph_free(star);
    free(src), free(dst);
    chm_tensor *all[] = { tg, x, x7, xi, w, wi, w44, out, outi, wide, wwide };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        chm_tensor_free(all[i]);
    chm_graph_free(g);
}

static int report(void)
{
    printf("\n  %llu layer cases; fp32 outputs bit-identical to the reference in %llu of %llu\n",
           (unsigned long long)cases_run, (unsigned long long)exact_fp32, (unsigned long long)fp32_cases);
    return 0;
}

int main(void)
{
    /* what the rtl GRAPH engine runs (its refusals: test_rtl) */
    static const tu_test rtl_tests[] = {
        { "random graphs: sizes, densities, odd widths; int8 GCN (sum, mean, max) and GraphSAGE", test_random_graphs },
        { "power-law graph", test_power_law },
        { "isolated vertices, self loops only, a single vertex", test_special_graphs },
        { "Cora: int8 GCN layers 1433->16 (both orders) and 16->7", test_cora },
        { NULL, NULL },
    };
    static const tu_test tests[] = {
        { "random graphs: sizes, densities, odd widths; every layer kind, both dtypes", test_random_graphs },
        { "power-law graph", test_power_law },
        { "isolated vertices, self loops only, a single vertex", test_special_graphs },
        { "Cora: GCN layers 1433->16 (both orders) and 16->7", test_cora },
        { "window sliding and shrinking load only rows with edges", test_windows },
        { "RCM renumbering: same int8 outputs (permuted), fewer rows loaded", test_reorder_same_result },
        { "combine-first scratch: held in the bank while running; no room fails the event", test_ca_scratch },
        { "order choice by the cycle model; engines pipelined", test_order_and_pipeline },
        { "bad arguments are refused and change nothing", test_bad_arguments },
        { NULL, NULL },
    };
    const char *dev = getenv("CHIMERA_TEST_DEVICE");
    on_rtl = dev && !strncmp(dev, "rtl", 3);
    measured = on_rtl || (dev && !strncmp(dev, "xrt", 3));
    return tu_run_suite("graph", "emu:u250", on_rtl ? rtl_tests : tests, NULL, report);
}
