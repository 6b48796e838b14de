/*
 * undervolt_gcn.c - the Cora GCN (examples/cora_gcn's model, fp32 and int8)
 * on the emulated U250 with its regions' on-chip memories at falling
 * voltages (chm_region_set_voltage), without and with ECC: the GRAPH mode's
 * window and weight banks (and, combine-first, the core's A tile buffer)
 * read back flipped bits below Vmin. Test accuracy, predictions equal to
 * the nominal run's, inferences ECC stopped (rerun at nominal voltage, as a
 * runtime would) and dynamic energy per inference against nominal.
 * --csv FILE: the table as CSV (scripts/plot_undervolt.sh draws it).
 *   ./build/bench/undervolt_gcn [--cora DIR] [--model FILE] [--csv FILE]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chimera.h"
#include "gcn_common.h"

#define OK(x)                                                                                    \
    do {                                                                                         \
        int rc_ = (x);                                                                           \
        if (rc_)                                                                                 \
            gcn_die("%s: %s", #x, chm_last_error(dev));                                          \
    } while (0)

typedef struct net {
    chm_tensor *tg, *tx, *tw1, *tb1, *tw2, *tb2, *th, *to;
    chm_gnn_params p1, p2;
    int int8;
} net;

typedef struct result {
    double acc, same, uj;
    int rerun;
    unsigned long long corrected, detected, undetected;
} result;

static chm_device *dev;
static int64_t n;
static int n_test, *test, *labels;
static model m;

/* One inference: both layers; the predictions in pred; nonzero if a layer failed. */
static int infer(net *t, int *pred, double *uj)
{
    chm_event *e1, *e2;
    OK(chm_gnn_layer(dev, t->tg, t->tx, t->tw1, t->tb1, NULL, NULL, t->th, &t->p1, &e1));
    OK(chm_gnn_layer(dev, t->tg, t->th, t->tw2, t->tb2, NULL, NULL, t->to, &t->p2, &e2));
    int rc = chm_wait(e2);
    rc |= chm_wait(e1);
    chm_event_times a, b;
    *uj = 0;
    if (!chm_event_times_get(e1, &a) && !chm_event_times_get(e2, &b))
        *uj = a.energy_uj + b.energy_uj;
    chm_event_release(e1), chm_event_release(e2);
    chm_finish(dev);
    float *out = malloc(sizeof(float) * (size_t)(n * m.c));
    if (t->int8) {
        int8_t *o8 = malloc((size_t)(n * m.c));
        OK(chm_tensor_read(t->to, 0, o8, (size_t)(n * m.c)));
        for (int64_t i = 0; i < n * m.c; i++)
            out[i] = (float)(o8[i] - t->p2.q.out_zero_point) * t->p2.q.out_scale;
        free(o8);
    } else {
        OK(chm_tensor_read(t->to, 0, out, sizeof(float) * (size_t)(n * m.c)));
    }
    argmax_rows(out, (int)n, m.c, pred);
    free(out);
    return rc;
}

static void stats(unsigned long long *c, unsigned long long *d, unsigned long long *u)
{
    chm_device_info di;
    OK(chm_device_query(dev, &di));
    *c = *d = *u = 0;
    for (uint32_t r = 0; r < di.n_regions; r++) {
        chm_fault_stats f;
        OK(chm_region_faults_get(dev, (int)r, &f));
        *c += f.corrected, *d += f.detected, *u += f.undetected;
    }
}

static void run(net *t, int mv, int ecc, const int *nominal, result *r)
{
    memset(r, 0, sizeof *r);
    unsigned long long c0, d0, u0;
    stats(&c0, &d0, &u0);
    OK(chm_region_set_ecc(dev, -1, ecc));
    OK(chm_region_set_voltage(dev, -1, mv));
    int *pred = malloc(sizeof(int) * (size_t)n);
    double uj;
    if (infer(t, pred, &uj)) { /* ECC stopped a layer: the inference again at nominal */
        r->rerun = 1;
        double again;
        OK(chm_region_set_voltage(dev, -1, 0));
        if (infer(t, pred, &again))
            gcn_die("the rerun at nominal voltage failed: %s", chm_last_error(dev));
        uj += again;
    }
    OK(chm_region_set_voltage(dev, -1, 0));
    int ok = 0, same = 0;
    for (int i = 0; i < n_test; i++)
        ok += pred[test[i]] == labels[test[i]];
    for (int64_t v = 0; nominal && v < n; v++)
        same += pred[v] == nominal[v];
    r->acc = 100.0 * ok / n_test;
    r->same = nominal ? 100.0 * same / (double)n : 100.0;
    r->uj = uj;
    stats(&r->corrected, &r->detected, &r->undetected);
    r->corrected -= c0, r->detected -= d0, r->undetected -= u0;
    free(pred);
}

int main(int argc, char **argv)
{
    gcn_prog = "undervolt_gcn";
    const char *cora = CHM_CORA_DIR, *model_path = CHM_DEFAULT_GCN, *csv_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--cora") && i + 1 < argc)
            cora = argv[++i];
        else if (!strcmp(argv[i], "--model") && i + 1 < argc)
            model_path = argv[++i];
        else if (!strcmp(argv[i], "--csv") && i + 1 < argc)
            csv_path = argv[++i];
        else
            gcn_die("usage: undervolt_gcn [--cora DIR] [--model FILE] [--csv FILE]");
    }
    char path[600];
    chm_graph *g;
    snprintf(path, sizeof path, "%s/cora.adj.mtx", cora);
    OK(chm_graph_load_mtx(path, 0, &g));
    OK(chm_graph_add_self_loops(g, 1.0f));
    OK(chm_graph_normalize(g, CHM_NORM_GCN));
    int64_t f;
    float *x = read_features(cora, "cora", &n, &f);
    int n_labels;
    labels = read_ids(cora, "cora.labels.txt", &n_labels);
    test = read_ids(cora, "cora.test.txt", &n_test);
    m = load_model(model_path);
    if (m.f != f || m.n != n || n_labels != n)
        gcn_die("the model does not fit %s", cora);
    OK(chm_device_open("emu:u250", &dev));
    const int64_t *rp;
    const int32_t *ci;
    const float *ew;
    chm_graph_csr(g, &rp, &ci, &ew);
    const ref_graph rg = { n, rp, ci, ew };
    net t[2];
    int *nominal[2];
    result base[2];
    for (int q = 0; q < 2; q++) {
        net *s = &t[q];
        memset(s, 0, sizeof *s);
        s->int8 = q;
        const chm_dtype dt = q ? CHM_INT8 : CHM_FP32;
        const int64_t d_x[] = { n, f }, d_w1[] = { m.h, f }, d_w2[] = { m.c, m.h };
        const int64_t d_h[] = { n, m.h }, d_o[] = { n, m.c }, d_b1[] = { m.h }, d_b2[] = { m.c };
        OK(chm_graph_upload(dev, g, CHM_BANK_DEFAULT, &s->tg));
        OK(chm_tensor_alloc(dev, dt, 2, d_x, CHM_BANK_DEFAULT, &s->tx));
        OK(chm_tensor_alloc(dev, dt, 2, d_w1, CHM_BANK_DEFAULT, &s->tw1));
        OK(chm_tensor_alloc(dev, dt, 2, d_w2, CHM_BANK_DEFAULT, &s->tw2));
        OK(chm_tensor_alloc(dev, CHM_FP32, 1, d_b1, CHM_BANK_DEFAULT, &s->tb1));
        OK(chm_tensor_alloc(dev, CHM_FP32, 1, d_b2, CHM_BANK_DEFAULT, &s->tb2));
        OK(chm_tensor_alloc(dev, dt, 2, d_h, CHM_BANK_DEFAULT, &s->th));
        OK(chm_tensor_alloc(dev, dt, 2, d_o, CHM_BANK_DEFAULT, &s->to));
        OK(chm_tensor_write(s->tb1, 0, m.b1, sizeof(float) * (size_t)m.h));
        OK(chm_tensor_write(s->tb2, 0, m.b2, sizeof(float) * (size_t)m.c));
        s->p1 = (chm_gnn_params){ .kind = CHM_GNN_GCN, .relu = 1 };
        s->p2 = (chm_gnn_params){ .kind = CHM_GNN_GCN };
        if (!q) {
            OK(chm_tensor_write(s->tx, 0, x, sizeof(float) * (size_t)(n * f)));
            OK(chm_tensor_write(s->tw1, 0, m.w1, sizeof(float) * (size_t)(m.h * f)));
            OK(chm_tensor_write(s->tw2, 0, m.w2, sizeof(float) * (size_t)(m.c * m.h)));
        } else {
            /* int8, calibrated on the fp32 run at nominal voltage (cora_gcn's way) */
            float *h = malloc(sizeof(float) * (size_t)(n * m.h)), *o = malloc(sizeof(float) * (size_t)(n * m.c));
            OK(chm_tensor_read(t[0].th, 0, h, sizeof(float) * (size_t)(n * m.h)));
            OK(chm_tensor_read(t[0].to, 0, o, sizeof(float) * (size_t)(n * m.c)));
            chm_gnn_plan pl1, pl2;
            OK(chm_gnn_layer_plan(dev, s->tg, s->tx, s->tw1, s->tb1, NULL, NULL, s->th, &s->p1, &pl1));
            OK(chm_gnn_layer_plan(dev, s->tg, s->th, s->tw2, s->tb2, NULL, NULL, s->to, &s->p2, &pl2));
            const int ca1 = pl1.order == CHM_ORDER_COMBINE_FIRST, ca2 = pl2.order == CHM_ORDER_COMBINE_FIRST;
            const float hmax = max_abs(h, (size_t)(n * m.h));
            s->p1.q = (chm_gnn_quant){ .in_scale = max_abs(x, (size_t)(n * f)) / 255.0f, .in_zero_point = -128,
                                       .w_scale = max_abs(m.w1, (size_t)(m.h * f)) / 127.0f,
                                       .mid_scale = mid_range(&rg, x, (int)f, m.w1, m.h, ca1) / 127.0f,
                                       .out_scale = hmax / 255.0f, .out_zero_point = -128 };
            s->p2.q = (chm_gnn_quant){ .in_scale = s->p1.q.out_scale, .in_zero_point = -128,
                                       .w_scale = max_abs(m.w2, (size_t)(m.c * m.h)) / 127.0f,
                                       .mid_scale = mid_range(&rg, h, m.h, m.w2, m.c, ca2) / 127.0f,
                                       .out_scale = max_abs(o, (size_t)(n * m.c)) / 127.0f };
            int8_t *qx = quantize(x, (size_t)(n * f), s->p1.q.in_scale, -128);
            int8_t *qw1 = quantize(m.w1, (size_t)(m.h * f), s->p1.q.w_scale, 0);
            int8_t *qw2 = quantize(m.w2, (size_t)(m.c * m.h), s->p2.q.w_scale, 0);
            OK(chm_tensor_write(s->tx, 0, qx, (size_t)(n * f)));
            OK(chm_tensor_write(s->tw1, 0, qw1, (size_t)(m.h * f)));
            OK(chm_tensor_write(s->tw2, 0, qw2, (size_t)(m.c * m.h)));
            free(qx), free(qw1), free(qw2), free(h), free(o);
        }
        nominal[q] = malloc(sizeof(int) * (size_t)n);
        double uj;
        if (infer(s, nominal[q], &uj))
            gcn_die("the nominal run failed: %s", chm_last_error(dev));
        run(s, 0, 0, NULL, &base[q]);
    }
    chm_fault_stats fs;
    OK(chm_region_faults_get(dev, 0, &fs));
    printf("Cora GCN (2 layers, 16 hidden), %d test nodes, on emu:u250; on-chip rail nominal %.0f mV, "
           "Vmin %.0f, crash %.0f\n", n_test, fs.nominal_mv, fs.vmin_mv, fs.vcrash_mv);
    printf("nominal: test accuracy fp32 %.1f%%, int8 %.1f%%; %.1f / %.1f uJ an inference (dynamic)\n\n",
           base[0].acc, base[1].acc, base[0].uj, base[1].uj);
    printf("| V/Vnom | mV | fp32 no ECC: accuracy | predictions = nominal | bits used wrong | fp32 ECC: "
           "accuracy | = nominal | rerun | bits corrected / detected | int8 no ECC: accuracy | = nominal "
           "| int8 ECC: accuracy | = nominal | rerun | energy vs nominal: fp32 / int8 (no ECC) |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    FILE *csv = csv_path ? fopen(csv_path, "w") : NULL;
    if (csv_path && !csv)
        gcn_die("cannot write %s", csv_path);
    if (csv)
        fprintf(csv, "v_frac,mv,acc_fp32_none,same_fp32_none,acc_fp32_ecc,rerun_fp32_ecc,acc_int8_none,"
                     "same_int8_none,acc_int8_ecc,rerun_int8_ecc,energy_fp32_pct,energy_int8_pct\n");
    static const double fr[] = { 1.0, 0.61, 0.60, 0.59, 0.58, 0.57, 0.56, 0.55, 0.545, 0.54 };
    for (size_t i = 0; i < sizeof fr / sizeof fr[0]; i++) {
        const int mv = (int)ceil(fr[i] * fs.nominal_mv - 1e-6);
        result a, b, c, d;
        run(&t[0], mv, 0, nominal[0], &a);
        run(&t[0], mv, 1, nominal[0], &b);
        run(&t[1], mv, 0, nominal[1], &c);
        run(&t[1], mv, 1, nominal[1], &d);
        printf("| %.3f | %d | %.1f%% | %.1f%% | %llu | %.1f%% | %.1f%% | %s | %llu / %llu | %.1f%% | %.1f%% "
               "| %.1f%% | %.1f%% | %s | %.1f%% / %.1f%% |\n",
               fr[i], mv, a.acc, a.same, a.undetected, b.acc, b.same, b.rerun ? "yes" : "no", b.corrected,
               b.detected, c.acc, c.same, d.acc, d.same, d.rerun ? "yes" : "no", 100.0 * a.uj / base[0].uj,
               100.0 * c.uj / base[1].uj);
        if (csv)
            fprintf(csv, "%.3f,%d,%.1f,%.1f,%.1f,%d,%.1f,%.1f,%.1f,%d,%.2f,%.2f\n", fr[i], mv, a.acc, a.same,
                    b.acc, b.rerun, c.acc, c.same, d.acc, d.rerun, 100.0 * a.uj / base[0].uj,
                    100.0 * c.uj / base[1].uj);
        fflush(stdout);
    }
    if (csv)
        fclose(csv);
    for (int q = 0; q < 2; q++) {
        chm_tensor *all[] = { t[q].tg, t[q].tx, t[q].tw1, t[q].tb1, t[q].tw2, t[q].tb2, t[q].th, t[q].to };
        for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
            OK(chm_tensor_free(all[k]));
        free(nominal[q]);
    }
    OK(chm_device_close(dev));
    chm_graph_free(g);
    free(x), free(labels), free(test);
    free((uint8_t *)m.w1 - 28);
    return 0;
}
