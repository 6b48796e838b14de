/*
 * cli_validate.c - `chimera validate DEVICE`: a short self-test of each
 * mode on DEVICE against the emulated card of the same platform, output
 * for output (as `xbutil validate` runs its test kernels on a card). Uses
 * the public API only, as an application would.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* xorshift: the same inputs on both devices. */
static uint64_t rng = 88172645463325252ull;
static int8_t next_i8(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (int8_t)(rng >> 24);
}

typedef struct pair {
    chm_device *dev, *emu;
} pair;

static chm_tensor *on(chm_device *d, chm_dtype dt, int nd, const int64_t *dims, const void *src,
                      size_t bytes)
{
    chm_tensor *t = NULL;
    if (chm_tensor_alloc(d, dt, nd, dims, CHM_BANK_DEFAULT, &t) == CHM_OK && src &&
        chm_tensor_write(t, 0, src, bytes) != CHM_OK) {
        chm_tensor_free(t);
        t = NULL;
    }
    return t;
}

/* One check: fn runs the operation on d and reads its output into out (bytes). */
typedef int (*check_fn)(chm_device *d, void *out, double *us);

static int run_check(const pair *p, const char *what, check_fn fn, size_t bytes)
{
    void *a = calloc(1, bytes), *b = calloc(1, bytes);
    double us_dev = 0, us_emu = 0;
    const uint64_t seed = rng;
    int rc = a && b ? fn(p->dev, a, &us_dev) : CHM_ENOMEM;
    const char *err = rc ? chm_last_error(NULL) : "";
    char why[400];
    snprintf(why, sizeof why, "%s", err);
    rng = seed;
    int re = rc == CHM_OK ? fn(p->emu, b, &us_emu) : CHM_OK;
    int ok = rc == CHM_OK && re == CHM_OK && memcmp(a, b, bytes) == 0;
    if (rc == CHM_EMODE && strstr(why, "rtl")) { /* the backend runs that on emu only */
        printf("  SKIP  %-44s %s\n", what, why);
        ok = 1;
    } else if (ok)
        printf("  PASS  %-44s %9.1f us on the card (emu model %.1f us)\n", what, us_dev, us_emu);
    else if (rc)
        printf("  FAIL  %-44s %s\n", what, why);
    else
        printf("  FAIL  %-44s output differs from emu's\n", what);
    free(a);
    free(b);
    return ok ? 0 : 1;
}

static double event_us(chm_event *ev)
{
    chm_event_times t;
    return chm_event_times_get(ev, &t) == CHM_OK ? t.device_end_us - t.device_start_us : 0;
}

/* Waits for ev (submitted with status sub), reads out; frees the tensors. */
static int finish(int sub, chm_event *ev, chm_tensor *out, void *dst, size_t bytes, double *us,
                  chm_tensor **free_list, int n_free)
{
    int rc = sub ? sub : ev ? chm_wait(ev) : CHM_ENOMEM;
    if (rc == CHM_OK) {
        *us = event_us(ev);
        rc = chm_tensor_read(out, 0, dst, bytes);
    }
    chm_event_release(ev);
    for (int i = 0; i < n_free; i++)
        chm_tensor_free(free_list[i]);
    return rc;
}

enum { CH = 19, OC = 23, H = 13, W = 11 };

static int conv_check(chm_device *d, void *out, double *us)
{
    int8_t x[H * W * CH], w[OC * 9 * CH];
    int32_t bias[OC], mult[OC], shift[OC];
    for (size_t i = 0; i < sizeof x; i++)
        x[i] = next_i8();
    for (size_t i = 0; i < sizeof w; i++)
        w[i] = next_i8();
    for (int c = 0; c < OC; c++) {
        bias[c] = next_i8() * 37;
        chm_quantize_multiplier(1.0 / (300 + 40 * c), &mult[c], &shift[c]);
    }
    chm_tensor *t[4] = { on(d, CHM_INT8, 4, (int64_t[]){ 1, H, W, CH }, x, sizeof x),
                         on(d, CHM_INT8, 4, (int64_t[]){ OC, 3, 3, CH }, w, sizeof w),
                         on(d, CHM_INT32, 1, (int64_t[]){ OC }, bias, sizeof bias),
                         on(d, CHM_INT8, 4, (int64_t[]){ 1, H, W, OC }, NULL, 0) };
    chm_conv2d_params p = { .pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1,
                            .rq = { mult, shift, 0, -3, 5, CHM_ACT_NONE, 0 } };
    chm_event *ev = NULL;
    int sub = t[0] && t[1] && t[2] && t[3] ? chm_conv2d(d, t[0], t[1], t[2], t[3], &p, &ev)
                                           : CHM_EDEVMEM;
    return finish(sub, ev, t[3], out, H * W * OC, us, t, 4);
}

static int pool_add_check(chm_device *d, void *out, double *us)
{
    int8_t x[H * W * CH], y[H * W * CH];
    for (size_t i = 0; i < sizeof x; i++)
        x[i] = next_i8(), y[i] = next_i8();
    chm_tensor *t[5] = { on(d, CHM_INT8, 4, (int64_t[]){ 1, H, W, CH }, x, sizeof x),
                         on(d, CHM_INT8, 4, (int64_t[]){ 1, H, W, CH }, y, sizeof y),
                         on(d, CHM_INT8, 4, (int64_t[]){ 1, H, W, CH }, NULL, 0),
                         on(d, CHM_INT8, 4, (int64_t[]){ 1, 6, 5, CH }, NULL, 0), NULL };
    chm_add_params ap = { .a_zero_point = 2, .b_zero_point = -1, .out_zero_point = 0 };
    chm_add_params_from_scales(0.05, 0.04, 0.07, &ap);
    chm_pool_params pp = { .kernel_h = 3, .kernel_w = 3, .stride_h = 2, .stride_w = 2 };
    chm_event *e1 = NULL, *ev = NULL;
    int sub = t[0] && t[1] && t[2] && t[3] ? chm_add(d, t[0], t[1], t[2], &ap, &e1) : CHM_EDEVMEM;
    if (!sub)
        sub = chm_maxpool(d, t[2], t[3], &pp, &ev);
    double us1 = 0;
    if (e1 && chm_wait(e1) == CHM_OK)
        us1 = event_us(e1);
    chm_event_release(e1);
    int rc = finish(sub, ev, t[3], out, 6 * 5 * CH, us, t, 4);
    *us += us1;
    return rc;
}

static int sparse_check(chm_device *d, void *out, double *us)
{
    enum { K = 300, M = 70, N = 3 };
    int8_t w[M * K], x[N * K];
    int32_t mult = 0, shift = 0;
    for (size_t i = 0; i < sizeof w; i++)
        w[i] = next_i8();
    for (size_t i = 0; i < sizeof x; i++)
        x[i] = next_i8();
    chm_quantize_multiplier(1.0 / 900, &mult, &shift);
    chm_sparse_params sp = { .format = CHM_SPARSE_X, .density = 0.2 };
    chm_sparse *s = NULL;
    chm_tensor *t[3] = { on(d, CHM_INT8, 2, (int64_t[]){ N, K }, x, sizeof x),
                         on(d, CHM_INT8, 2, (int64_t[]){ N, M }, NULL, 0), NULL };
    chm_requant rq = { &mult, &shift, 1, 1, -2, CHM_ACT_RELU, 0 };
    chm_event *ev = NULL;
    int sub = chm_sparse_from_dense(w, M, K, &sp, &s);
    if (!sub)
        sub = t[0] && t[1] ? chm_sparse_upload(d, s, CHM_BANK_DEFAULT, &t[2]) : CHM_EDEVMEM;
    if (!sub)
        sub = chm_sparse_fully_connected(d, t[0], t[2], NULL, t[1], &rq, &ev);
    chm_sparse_free(s);
    return finish(sub, ev, t[1], out, N * M, us, t, 3);
}

static int gcn_check(chm_device *d, void *out, double *us, int int8)
{
    enum { V = 300, E = 1500, F = 24, O = 9 };
    int32_t src[E], dst[E];
    for (int i = 0; i < E; i++)
        src[i] = (int32_t)((uint8_t)next_i8() * 7 % V), dst[i] = (int32_t)((uint8_t)next_i8() * 13 % V);
    chm_graph *g = NULL;
    int rc = chm_graph_from_edges(V, E, src, dst, NULL, CHM_GRAPH_MERGE_DUPLICATES, &g);
    rc = rc ? rc : chm_graph_add_self_loops(g, 1.0f);
    rc = rc ? rc : chm_graph_normalize(g, CHM_NORM_GCN);
    const size_t es = int8 ? 1 : 4;
    uint8_t *x = malloc(V * F * es), *w = malloc(O * F * es);
    for (size_t i = 0; x && i < V * F; i++) {
        if (int8)
            x[i] = (uint8_t)next_i8();
        else
            ((float *)x)[i] = next_i8() / 64.0f;
    }
    for (size_t i = 0; w && i < O * F; i++) {
        if (int8)
            w[i] = (uint8_t)next_i8();
        else
            ((float *)w)[i] = next_i8() / 128.0f;
    }
    const chm_dtype dt = int8 ? CHM_INT8 : CHM_FP32;
    chm_tensor *t[4] = { on(d, dt, 2, (int64_t[]){ V, F }, x, V * F * es),
                         on(d, dt, 2, (int64_t[]){ O, F }, w, O * F * es),
                         on(d, dt, 2, (int64_t[]){ V, O }, NULL, 0), NULL };
    chm_gnn_params p = { .kind = CHM_GNN_GCN, .relu = 1,
                         .q = { 0.05f, 0, 0.01f, 0, 0.05f, 0, 0, 0, 0.1f, -4 } };
    chm_event *ev = NULL;
    if (!rc)
        rc = x && w && t[0] && t[1] && t[2] ? chm_graph_upload(d, g, CHM_BANK_DEFAULT, &t[3])
                                            : CHM_EDEVMEM;
    if (!rc)
        rc = chm_gnn_layer(d, t[3], t[0], t[1], NULL, NULL, NULL, t[2], &p, &ev);
    chm_graph_free(g);
    free(x);
    free(w);
    return finish(rc, ev, t[2], out, V * O * es, us, t, 4);
}

static int gcn8_check(chm_device *d, void *out, double *us)
{
    return gcn_check(d, out, us, 1);
}

static int gcn32_check(chm_device *d, void *out, double *us)
{
    return gcn_check(d, out, us, 0);
}

/* The emulated card of name's platform: "rtl:u280" -> "emu:u280", "xrt:0@u55c" -> "emu:u55c". */
static void emu_of(const char *name, char *out, size_t n)
{
    const char *at = strchr(name, '@'), *colon = strchr(name, ':');
    const char *plat = at ? at + 1 : !strncmp(name, "xrt", 3) ? getenv("CHIMERA_XRT_PLATFORM")
                     : colon ? colon + 1 : NULL;
    snprintf(out, n, "emu:%s", plat && plat[0] ? plat : "u250");
}

int cli_validate(char **a, int n, const char *const *opt)
{
    (void)n, (void)opt;
    pair p = { NULL, NULL };
    char emu[CHM_NAME_MAX];
    emu_of(a[0], emu, sizeof emu);
    if (cli_open(a[0], &p.dev) || cli_open(emu, &p.emu)) {
        if (p.dev)
            chm_device_close(p.dev);
        return 1;
    }
    printf("validate %s against %s, output for output:\n", a[0], emu);
    int bad = 0;
    bad += run_check(&p, "CNN conv2d 13x11x19 -> 23, 3x3 pad 1", conv_check, H * W * OC);
    bad += run_check(&p, "CNN add + maxpool 3x3/2", pool_add_check, 6 * 5 * CH);
    bad += run_check(&p, "SPARSE fc 300 -> 70, Cambricon-X 20%", sparse_check, 3 * 70);
    bad += run_check(&p, "GRAPH GCN int8 300 vertices, 24 -> 9", gcn8_check, 300 * 9);
    bad += run_check(&p, "GRAPH GCN fp32 300 vertices, 24 -> 9", gcn32_check, 300 * 9 * 4);
    printf("%s: %d of 5 checks failed\n", bad ? "FAILED" : "PASSED", bad);
    chm_device_close(p.emu);
    chm_device_close(p.dev);
    return bad ? 1 : 0;
}
