/*
 * cora_gcn.c - a 2-layer GCN on Cora in GRAPH mode, fp32 and int8.
 *
 * Loads the citation graph and its features from ../shared/data/cora (in
 * place), the weights trained by train_cora_gcn.py, runs both layers on the
 * card (the runtime reconfigures a region into GRAPH mode and picks each
 * layer's order), and checks the fp32 predictions against the plain-C float
 * reference and PyTorch's. int8: per-tensor scales calibrated on the float
 * run. Prints test accuracy and each layer's modelled time and engine use.
 *
 *   cora_gcn [--device emu:u250] [--data DIR] [--name NAME] [--model FILE] [--trace FILE] [--rcm]
 *
 * A data set is DIR/NAME.adj.mtx (the graph), NAME.features.mtx, NAME.labels.txt
 * and NAME.test.txt (one vertex id a line); NAME defaults to cora, DIR to where
 * the build found ../shared/data/cora. The model must fit its sizes.
 * --rcm renumbers the vertices by reverse Cuthill-McKee first (features,
 * labels and splits follow), so the aggregation windows load fewer rows.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chimera.h"
#include "chm_ref_graph.h"
#include "gcn_common.h"

#define DIE(...) gcn_die(__VA_ARGS__)
#define OK(call)                                                                        \
    do {                                                                                \
        if ((call) != CHM_OK)                                                           \
            DIE("%s: %s", #call, chm_last_error(dev));                                  \
    } while (0)

/* RCM renumbering: feature rows, labels, test ids and PyTorch's predictions follow. */
static void renumber(chm_graph *g, float **x, int64_t f, int *labels, int *test, int n_test, model *m)
{
    const int n = m->n;
    int32_t *perm = malloc(sizeof(int32_t) * (size_t)n);
    int *inv = malloc(sizeof(int) * (size_t)n), *old_labels = malloc(sizeof(int) * (size_t)n);
    float *nx = malloc(sizeof(float) * (size_t)(n * f));
    uint8_t *pred = malloc((size_t)n);
    if (!perm || !inv || !old_labels || !nx || !pred || chm_graph_reorder(g, CHM_REORDER_RCM, perm))
        DIE("renumbering: %s", chm_last_error(NULL));
    memcpy(old_labels, labels, sizeof(int) * (size_t)n);
    for (int v = 0; v < n; v++) {
        memcpy(nx + (int64_t)v * f, *x + (int64_t)perm[v] * f, sizeof(float) * (size_t)f);
        labels[v] = old_labels[perm[v]];
        pred[v] = m->pred[perm[v]];
        inv[perm[v]] = v;
    }
    for (int i = 0; i < n_test; i++)
        test[i] = inv[test[i]];
    memcpy(m->pred, pred, (size_t)n);
    free(*x);
    *x = nx;
    free(perm), free(inv), free(old_labels), free(pred);
}

typedef struct run {
    chm_gnn_plan plan[2];
    double dev_us[2];
    double uj[2];      /* modelled dynamic energy of each layer */
    int *pred;
} run;

static const char *order_name(chm_gnn_order o)
{
    return o == CHM_ORDER_COMBINE_FIRST ? "combine first (CA)" : "aggregate first (AC)";
}

static void usage(FILE *f)
{
    fprintf(f, "usage: cora_gcn [--device NAME] [--data DIR] [--name NAME] [--model FILE] "
               "[--trace FILE] [--rcm]\n"
               "  a 2-layer GCN in GRAPH mode, fp32 and int8, on DIR/NAME.{adj.mtx,features.mtx,"
               "labels.txt,test.txt}\n"
               "  --device  emu, emu:u250, emu:u280, rtl:u250, ... (default emu); on rtl the fp32\n"
               "            layers run on emu (the rtl GRAPH engine is int8) and the int8 ones on\n"
               "            both, their outputs compared byte for byte\n"
               "  --data    the data set's directory (default %s; --cora is the same)\n"
               "  --name    the files' prefix (default cora)\n"
               "  --model   weights from train_cora_gcn.py (default %s)\n"
               "  --trace   write a Chrome trace of the run\n"
               "  --rcm     renumber vertices by reverse Cuthill-McKee first\n",
            CHM_CORA_DIR, CHM_DEFAULT_GCN);
}

int main(int argc, char **argv)
{
    gcn_prog = "cora_gcn";
    const char *devname = "emu", *cora = CHM_CORA_DIR, *model_path = CHM_DEFAULT_GCN, *trace = NULL;
    const char *dsname = "cora";
    int rcm = 0;
    for (int i = 1; i < argc; i += 2) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--rcm")) {
            rcm = 1, i--;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "cora_gcn: %s needs a value\n", argv[i]);
            usage(stderr);
            return 2;
        }
        if (!strcmp(argv[i], "--device")) devname = argv[i + 1];
        else if (!strcmp(argv[i], "--data") || !strcmp(argv[i], "--cora")) cora = argv[i + 1];
        else if (!strcmp(argv[i], "--name")) dsname = argv[i + 1];
        else if (!strcmp(argv[i], "--model")) model_path = argv[i + 1];
        else if (!strcmp(argv[i], "--trace")) trace = argv[i + 1];
        else {
            fprintf(stderr, "cora_gcn: unknown option %s\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    chm_device *dev = NULL;
    char path[512];
    chm_graph *g;
    snprintf(path, sizeof path, "%s/%s.adj.mtx", cora, dsname);
    OK(chm_graph_load_mtx(path, 0, &g));
    chm_graph_info gi;
    chm_graph_query(g, &gi);
    const int64_t edges = gi.edges;
    OK(chm_graph_add_self_loops(g, 1.0f));
    OK(chm_graph_normalize(g, CHM_NORM_GCN));
    int64_t n, f;
    float *x = read_features(cora, dsname, &n, &f);
    int n_labels, n_test;
    char lname[300], tname[300];
    snprintf(lname, sizeof lname, "%s.labels.txt", dsname);
    snprintf(tname, sizeof tname, "%s.test.txt", dsname);
    int *labels = read_ids(cora, lname, &n_labels), *test = read_ids(cora, tname, &n_test);
    model m = load_model(model_path);
    if (m.f != f || m.n != n || n_labels != n)
        DIE("the model (%d features, %d nodes) does not fit %s (%lld, %lld)", m.f, m.n, dsname,
            (long long)f, (long long)n);
    printf("%s: %lld vertices, %lld directed edges + %lld self loops, %lld features, %d classes, %d test nodes\n",
           dsname, (long long)n, (long long)edges, (long long)n, (long long)f, m.c, n_test);
    if (rcm)
        renumber(g, &x, f, labels, test, n_test, &m);
    printf("vertex numbering: %s\n", rcm ? "reverse Cuthill-McKee (--rcm)" : "as in the files");

    OK(chm_device_open(devname, &dev));
    chm_device_info di;
    OK(chm_device_query(dev, &di));
    /* rtl: fp32 on the emulated card of the same platform, int8 on both */
    const int on_rtl = !strcmp(di.backend, "rtl");
    chm_device *emu = NULL;
    char emu_name[80];
    snprintf(emu_name, sizeof emu_name, "emu%s", strchr(devname, ':') ? strchr(devname, ':') : "");
    if (on_rtl)
        OK(chm_device_open(emu_name, &emu));
    chm_tensor *tg, *tg_emu = NULL;
    OK(chm_graph_upload(dev, g, CHM_BANK_DEFAULT, &tg));
    if (on_rtl)
        OK(chm_graph_upload(emu, g, CHM_BANK_DEFAULT, &tg_emu));
    const int64_t *rp;
    const int32_t *ci;
    const float *ew;
    chm_graph_csr(g, &rp, &ci, &ew);
    const ref_graph rg = { n, rp, ci, ew };

    run r[3];
    float *ref_h = malloc(sizeof(float) * (size_t)(n * m.h)), *ref_out = malloc(sizeof(float) * (size_t)(n * m.c));
    float *out = malloc(sizeof(float) * (size_t)(n * m.c));
    int *ref_pred = malloc(sizeof(int) * (size_t)n);
    int8_t *out8 = malloc((size_t)(n * m.c)), *out8_emu = malloc((size_t)(n * m.c));
    chm_gnn_quant q1 = {0}, q2 = {0};
    /* pass 0: fp32; 1: int8; 2 (rtl only): int8 again on emu */
    for (int pass = 0; pass < (on_rtl ? 3 : 2); pass++) {
        const int int8 = pass > 0;
        chm_device *pdev = pass == 1 || !on_rtl ? dev : emu;
        chm_tensor *ptg = pass == 1 || !on_rtl ? tg : tg_emu;
        const chm_dtype dt = int8 ? CHM_INT8 : CHM_FP32;
        chm_tensor *tx, *tw1, *tb1, *tw2, *tb2, *th, *to;
        const int64_t d_x[] = { n, f }, d_w1[] = { m.h, f }, d_w2[] = { m.c, m.h };
        const int64_t d_h[] = { n, m.h }, d_o[] = { n, m.c }, d_b1[] = { m.h }, d_b2[] = { m.c };
        OK(chm_tensor_alloc(pdev, dt, 2, d_x, CHM_BANK_DEFAULT, &tx));
        OK(chm_tensor_alloc(pdev, dt, 2, d_w1, CHM_BANK_DEFAULT, &tw1));
        OK(chm_tensor_alloc(pdev, dt, 2, d_w2, CHM_BANK_DEFAULT, &tw2));
        OK(chm_tensor_alloc(pdev, CHM_FP32, 1, d_b1, CHM_BANK_DEFAULT, &tb1));
        OK(chm_tensor_alloc(pdev, CHM_FP32, 1, d_b2, CHM_BANK_DEFAULT, &tb2));
        OK(chm_tensor_alloc(pdev, dt, 2, d_h, CHM_BANK_DEFAULT, &th));
        OK(chm_tensor_alloc(pdev, dt, 2, d_o, CHM_BANK_DEFAULT, &to));
        OK(chm_tensor_write(tb1, 0, m.b1, sizeof(float) * (size_t)m.h));
        OK(chm_tensor_write(tb2, 0, m.b2, sizeof(float) * (size_t)m.c));
        chm_gnn_params p1 = { .kind = CHM_GNN_GCN, .relu = 1 }, p2 = { .kind = CHM_GNN_GCN };
        OK(chm_gnn_layer_plan(pdev, ptg, tx, tw1, tb1, NULL, NULL, th, &p1, &r[pass].plan[0]));
        OK(chm_gnn_layer_plan(pdev, ptg, th, tw2, tb2, NULL, NULL, to, &p2, &r[pass].plan[1]));
        const int ca1 = r[pass].plan[0].order == CHM_ORDER_COMBINE_FIRST;
        const int ca2 = r[pass].plan[1].order == CHM_ORDER_COMBINE_FIRST;
        if (!int8) {
            OK(chm_tensor_write(tx, 0, x, sizeof(float) * (size_t)(n * f)));
            OK(chm_tensor_write(tw1, 0, m.w1, sizeof(float) * (size_t)(m.h * f)));
            OK(chm_tensor_write(tw2, 0, m.w2, sizeof(float) * (size_t)(m.c * m.h)));
            /* the float reference, summing in the card's order */
            const ref_gnn l1 = { (int)f, 0, m.h, m.w1, NULL, m.b1, NULL }, l2 = { m.h, 0, m.c, m.w2, NULL, m.b2, NULL };
            ref_gnn_f32(&rg, x, &l1, &p1, ca1, ref_h);
            ref_gnn_f32(&rg, ref_h, &l2, &p2, ca2, ref_out);
            argmax_rows(ref_out, (int)n, m.c, ref_pred);
        } else {
            if (pass == 1) {
                /* calibration on the float run: input asymmetric over [0, max], weights symmetric */
                const float xmax = max_abs(x, (size_t)(n * f)), hmax = max_abs(ref_h, (size_t)(n * m.h));
                q1 = (chm_gnn_quant){ .in_scale = xmax / 255.0f, .in_zero_point = -128,
                                      .w_scale = max_abs(m.w1, (size_t)(m.h * f)) / 127.0f,
                                      .mid_scale = mid_range(&rg, x, (int)f, m.w1, m.h, ca1) / 127.0f,
                                      .out_scale = hmax / 255.0f, .out_zero_point = -128 };
                q2 = (chm_gnn_quant){ .in_scale = q1.out_scale, .in_zero_point = -128,
                                      .w_scale = max_abs(m.w2, (size_t)(m.c * m.h)) / 127.0f,
                                      .mid_scale = mid_range(&rg, ref_h, m.h, m.w2, m.c, ca2) / 127.0f,
                                      .out_scale = max_abs(ref_out, (size_t)(n * m.c)) / 127.0f };
            }
            p1.q = q1, p2.q = q2; /* pass 2 (rtl): the same int8 layers, on emu */
            int8_t *qx = quantize(x, (size_t)(n * f), q1.in_scale, -128);
            int8_t *qw1 = quantize(m.w1, (size_t)(m.h * f), q1.w_scale, 0);
            int8_t *qw2 = quantize(m.w2, (size_t)(m.c * m.h), q2.w_scale, 0);
            OK(chm_tensor_write(tx, 0, qx, (size_t)(n * f)));
            OK(chm_tensor_write(tw1, 0, qw1, (size_t)(m.h * f)));
            OK(chm_tensor_write(tw2, 0, qw2, (size_t)(m.c * m.h)));
            free(qx), free(qw1), free(qw2);
        }
        chm_event *e1, *e2;
        OK(chm_gnn_layer(pdev, ptg, tx, tw1, tb1, NULL, NULL, th, &p1, &e1));
        OK(chm_gnn_layer(pdev, ptg, th, tw2, tb2, NULL, NULL, to, &p2, &e2));
        OK(chm_wait(e2));
        chm_event_times t1, t2;
        OK(chm_event_times_get(e1, &t1));
        OK(chm_event_times_get(e2, &t2));
        r[pass].dev_us[0] = t1.device_end_us - t1.device_start_us;
        r[pass].dev_us[1] = t2.device_end_us - t2.device_start_us;
        r[pass].uj[0] = t1.energy_uj;
        r[pass].uj[1] = t2.energy_uj;
        chm_event_release(e1), chm_event_release(e2);
        r[pass].pred = malloc(sizeof(int) * (size_t)n);
        if (int8) {
            OK(chm_tensor_read(to, 0, pass == 2 ? out8_emu : out8, (size_t)(n * m.c)));
            for (int64_t i = 0; i < n * m.c; i++)
                out[i] = (float)(out8[i] - q2.out_zero_point) * q2.out_scale;
        } else {
            OK(chm_tensor_read(to, 0, out, sizeof(float) * (size_t)(n * m.c)));
        }
        argmax_rows(out, (int)n, m.c, r[pass].pred);
        chm_tensor *all[] = { tx, tw1, tb1, tw2, tb2, th, to };
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
            OK(chm_tensor_free(all[i]));
    }

    if (on_rtl)
        printf("device %s (%s), GRAPH mode: int8 on the RTL engine (cycles counted in Verilator), "
               "fp32 on %s (modelled)\n\n", di.name, di.platform, emu_name);
    else
        printf("device %s (%s), GRAPH mode; times are the card's, modelled\n\n", di.name, di.platform);
    char names[2][40];
    snprintf(names[0], sizeof names[0], "layer 1 GCN %lld->%d +ReLU", (long long)f, m.h);
    snprintf(names[1], sizeof names[1], "layer 2 GCN %d->%d", m.h, m.c);
    for (int int8 = 0; int8 < 2; int8++) {
        printf("%s:\n", int8 ? "int8" : "fp32");
        for (int l = 0; l < 2; l++) {
            const chm_gnn_plan *p = &r[int8].plan[l];
            printf("  %-27s %-21s %8.1f us on the card, %7.1f uJ (other order %8.1f us); aggregation engine "
                   "%4.1f%% busy, combination %4.1f%%; windows loaded %llu of %llu feature rows (%.2f%%)\n",
                   names[l], order_name(p->order), r[int8].dev_us[l], r[int8].uj[l], p->other_order_us,
                   100 * p->aggregation_util, 100 * p->combination_util,
                   (unsigned long long)p->rows_loaded, (unsigned long long)p->rows_dense,
                   100.0 * (double)p->rows_loaded / (double)p->rows_dense);
        }
    }
    int correct[2] = { 0, 0 }, same_ref = 0, same_torch = 0, same_fp = 0, ref_correct = 0;
    for (int i = 0; i < n_test; i++) {
        const int v = test[i];
        correct[0] += r[0].pred[v] == labels[v];
        correct[1] += r[1].pred[v] == labels[v];
        ref_correct += ref_pred[v] == labels[v];
    }
    for (int64_t v = 0; v < n; v++) {
        same_ref += r[0].pred[v] == ref_pred[v];
        same_torch += r[0].pred[v] == m.pred[v];
        same_fp += r[1].pred[v] == r[0].pred[v];
    }
    printf("\ntest accuracy: fp32 %.1f%%, int8 %.1f%% (C float reference %.1f%%, PyTorch float %.1f%%)\n",
           100.0 * correct[0] / n_test, 100.0 * correct[1] / n_test, 100.0 * ref_correct / n_test, m.acc);
    printf("fp32 predictions equal to the C float reference on %d of %lld nodes, to PyTorch's on %d\n",
           same_ref, (long long)n, same_torch);
    printf("int8 predictions equal to fp32 on %d of %lld nodes\n", same_fp, (long long)n);
    printf("card time per inference (2 layers): fp32 %.1f us, int8 %.1f us\n",
           r[0].dev_us[0] + r[0].dev_us[1], r[1].dev_us[0] + r[1].dev_us[1]);
    int same_emu = 1;
    if (on_rtl) {
        same_emu = !memcmp(out8, out8_emu, (size_t)(n * m.c));
        printf("int8 on rtl vs %s: logits %s; card time %.1f us (rtl, measured) vs %.1f us (emu's "
               "model, %+.1f%%)\n", emu_name, same_emu ? "identical" : "DIFFER",
               r[1].dev_us[0] + r[1].dev_us[1], r[2].dev_us[0] + r[2].dev_us[1],
               100.0 * ((r[2].dev_us[0] + r[2].dev_us[1]) / (r[1].dev_us[0] + r[1].dev_us[1]) - 1.0));
    }
    if (trace)
        OK(chm_trace_write(dev, trace));
    const int pass = same_ref == n && same_emu;
    printf("result %s\n", pass ? "PASS"
                              : same_emu ? "FAIL (fp32 predictions differ from the float reference)"
                                         : "FAIL (int8 logits on rtl differ from emu's)");
    OK(chm_tensor_free(tg));
    OK(chm_device_close(dev));
    if (on_rtl) {
        OK(chm_tensor_free(tg_emu));
        OK(chm_device_close(emu));
        free(r[2].pred);
    }
    free(out8_emu);
    chm_graph_free(g);
    free(x), free(labels), free(test), free(ref_h), free(ref_out), free(out), free(out8), free(ref_pred);
    free(r[0].pred), free(r[1].pred);
    free((uint8_t *)m.w1 - 28);
    return pass ? 0 : 1;
}
