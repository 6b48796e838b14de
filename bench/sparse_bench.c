/*
 * sparse_bench - pruned layers on the SPARSE mode against the dense layer,
 * across densities, in one run.
 *
 * For each layer shape and density it prunes random int8 weights by
 * magnitude, then runs, on one emulated U250:
 *   dense   the unpruned layer in CNN mode (32x32 array, 1,024 MACs/cycle)
 *   X, S    the pruned layer in SPARSE mode (one indexing module: 64 lanes a
 *   S4      segment for X, a 4x16 block a cycle for S), Cambricon-X (4-bit
 *           steps) and Cambricon-S (4x16 blocks, 8-bit codes, lossless; S4:
 *           4-bit codes, lossy), steps and codes packed at their width as the
 *           card reads them
 * and prints modelled card time, speedup over the same SPARSE engine running
 * the unpruned layer in X form, over CNN mode, the formats' sizes, and
 * emulation wall time. The X result is checked against CNN mode run on the
 * same pruned weights. A second table: X with each matrix's step width
 * chosen for the fewest bytes (CHM_SPARSE_STEP_AUTO) against 4-bit steps.
 *
 *   sparse_bench [--reps 3]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chimera.h"

typedef struct layer {
    const char *name;
    int batch, h, w, c, oc, k, pad; /* fc: h = w = k = 1 */
} layer;

static const layer layers[] = {
    { "fc 1568->64 b100", 100, 1, 1, 1568, 64, 1, 0 },  /* the demo's fc1 */
    { "fc 4096->4096 b16", 16, 1, 1, 4096, 4096, 1, 0 }, /* VGG fc7 */
    { "conv 3x3 256 14x14", 1, 14, 14, 256, 256, 3, 1 }, /* ResNet-18 layer3 */
};
static const double densities[] = { 1.0, 0.5, 0.25, 0.1, 0.05, 0.01 };

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static int8_t rnd8(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (int8_t)(rng >> 24);
}

typedef struct run {
    double card_us, wall_us;
} run;

/* X with CHM_SPARSE_STEP_AUTO, one row per layer and density, printed last. */
typedef struct auto_row {
    const char *name;
    double density, size4, size_auto, us4, us_auto;
    int bits;
} auto_row;
static auto_row auto_rows[32];
static int n_auto;

static int run_op(chm_device *dev, const layer *L, chm_tensor *in, chm_tensor *w, int sparse,
                  chm_tensor *out, run *r)
{
    static int32_t mult = 1 << 30, shift = -12;
    chm_requant rq = { .multiplier = &mult, .shift = &shift, .per_tensor = 1, .in_zero_point = -2 };
    chm_conv2d_params p = { .pad_top = L->pad, .pad_left = L->pad, .pad_bottom = L->pad,
                            .pad_right = L->pad, .rq = rq };
    chm_event *ev;
    int fc = L->k == 1 && L->h == 1;
    int rc = fc ? (sparse ? chm_sparse_fully_connected(dev, in, w, NULL, out, &rq, &ev)
                          : chm_fully_connected(dev, in, w, NULL, out, &rq, &ev))
                : (sparse ? chm_sparse_conv2d(dev, in, w, L->k, L->k, NULL, out, &p, &ev)
                          : chm_conv2d(dev, in, w, NULL, out, &p, &ev));
    if (rc || chm_wait(ev)) {
        fprintf(stderr, "sparse_bench: %s\n", chm_last_error(dev));
        return 1;
    }
    chm_event_times t;
    chm_event_times_get(ev, &t);
    chm_event_release(ev);
    r->card_us = t.device_end_us - t.device_start_us;
    r->wall_us = t.wall_end_us - t.wall_start_us;
    return 0;
}

static int bench_layer(chm_device *dev, const layer *L, int reps)
{
    const int fc = L->k == 1 && L->h == 1;
    const int rows = L->oc, cols = L->k * L->k * L->c;
    const size_t nin = (size_t)L->batch * L->h * L->w * L->c, nout = (size_t)L->batch * L->h * L->w * L->oc;
    int8_t *wd = malloc((size_t)rows * cols), *wp = malloc((size_t)rows * cols);
    int8_t *in = malloc(nin), *o1 = malloc(nout), *o2 = malloc(nout);
    for (size_t i = 0; i < (size_t)rows * cols; i++)
        wd[i] = rnd8();
    for (size_t i = 0; i < nin; i++)
        in[i] = rnd8();
    int64_t din[4] = { L->batch, L->h, L->w, L->c }, dout[4] = { L->batch, L->h, L->w, L->oc };
    int64_t dw[4] = { L->oc, L->k, L->k, L->c }, din2[2] = { L->batch, L->c }, dout2[2] = { L->batch, L->oc };
    chm_tensor *ti, *to, *twd;
    chm_tensor_alloc(dev, CHM_INT8, fc ? 2 : 4, fc ? din2 : din, CHM_BANK_DEFAULT, &ti);
    chm_tensor_alloc(dev, CHM_INT8, fc ? 2 : 4, fc ? dout2 : dout, CHM_BANK_DEFAULT, &to);
    chm_tensor_write(ti, 0, in, nin);
    int bad = 0;
    for (size_t di = 0; di < sizeof densities / sizeof densities[0]; di++) {
        run best[5] = { { 1e30, 1e30 }, { 1e30, 1e30 }, { 1e30, 1e30 }, { 1e30, 1e30 }, { 1e30, 1e30 } };
        chm_sparse *sx, *ss, *s100, *ss4;
        chm_sparse_from_dense(wd, rows, cols, &(chm_sparse_params){ .format = CHM_SPARSE_X, .density = densities[di] }, &sx);
        chm_sparse_from_dense(wd, rows, cols, &(chm_sparse_params){ .format = CHM_SPARSE_S, .density = densities[di] }, &ss);
        chm_sparse_from_dense(wd, rows, cols, &(chm_sparse_params){ .format = CHM_SPARSE_X }, &s100);
        /* 4-bit codes: the packed stream the card reads is half the 8-bit one (lossy codebook) */
        chm_sparse_from_dense(wd, rows, cols, &(chm_sparse_params){ .format = CHM_SPARSE_S, .code_bits = 4, .density = densities[di] }, &ss4);
        chm_sparse_to_dense(sx, wp);
        chm_sparse *ws[4] = { sx, ss, s100, ss4 };
        chm_tensor *tw[4];
        for (int i = 0; i < 4; i++)
            chm_sparse_upload(dev, ws[i], CHM_BANK_DEFAULT, &tw[i]);
        chm_tensor_alloc(dev, CHM_INT8, fc ? 2 : 4, fc ? (int64_t[]){ rows, cols } : dw, CHM_BANK_DEFAULT, &twd);
        chm_tensor_write(twd, 0, wp, (size_t)rows * cols);
        for (int r = 0; r < reps; r++) {
            run cur[5];
            bad |= run_op(dev, L, ti, twd, 0, to, &cur[0]) || chm_tensor_read(to, 0, o1, nout);
            bad |= run_op(dev, L, ti, tw[0], 1, to, &cur[1]) || chm_tensor_read(to, 0, o2, nout);
            bad |= memcmp(o1, o2, nout) != 0; /* X == CNN mode on the same pruned weights */
            bad |= run_op(dev, L, ti, tw[1], 1, to, &cur[2]);
            bad |= run_op(dev, L, ti, tw[2], 1, to, &cur[3]);
            bad |= run_op(dev, L, ti, tw[3], 1, to, &cur[4]);
            for (int i = 0; i < 5; i++) {
                best[i].card_us = cur[i].card_us;
                best[i].wall_us = cur[i].wall_us < best[i].wall_us ? cur[i].wall_us : best[i].wall_us;
            }
        }
        chm_sparse_info ix, is, is4;
        chm_sparse_query(sx, &ix);
        chm_sparse_query(ss, &is);
        chm_sparse_query(ss4, &is4);
        printf("%-19s %5.0f%% | %9.1f %8.1f %8.1f %8.1f | %5.2fx %5.2fx %5.2fx | %5.2fx %5.2fx %5.2fx | %5.1f %5.1f %5.1f | %7.0f %7.0f %7.0f%s\n",
               L->name, 100 * densities[di], best[0].card_us, best[1].card_us, best[2].card_us,
               best[4].card_us, best[3].card_us / best[1].card_us, best[3].card_us / best[2].card_us,
               best[3].card_us / best[4].card_us, best[0].card_us / best[1].card_us,
               best[0].card_us / best[2].card_us, best[0].card_us / best[4].card_us,
               100.0 * ix.bytes / ix.dense_bytes, 100.0 * is.bytes / is.dense_bytes,
               100.0 * is4.bytes / is4.dense_bytes, best[0].wall_us, best[1].wall_us, best[2].wall_us,
               bad ? "  MISMATCH" : "");
        /* X with the step width that packs this matrix smallest */
        chm_sparse *sxa;
        chm_tensor *twa;
        chm_sparse_from_dense(wd, rows, cols, &(chm_sparse_params){ .format = CHM_SPARSE_X, .step_bits = CHM_SPARSE_STEP_AUTO, .density = densities[di] }, &sxa);
        chm_sparse_upload(dev, sxa, CHM_BANK_DEFAULT, &twa);
        run ra;
        bad |= run_op(dev, L, ti, twa, 1, to, &ra) || chm_tensor_read(to, 0, o2, nout);
        bad |= memcmp(o1, o2, nout) != 0;
        chm_sparse_info ia;
        chm_sparse_query(sxa, &ia);
        if (n_auto < (int)(sizeof auto_rows / sizeof auto_rows[0]))
            auto_rows[n_auto++] = (auto_row){ L->name, densities[di], 100.0 * ix.bytes / ix.dense_bytes,
                                              100.0 * ia.bytes / ia.dense_bytes, best[1].card_us,
                                              ra.card_us, ia.step_bits };
        chm_tensor_free(twa);
        chm_sparse_free(sxa);
        for (int i = 0; i < 4; i++) {
            chm_tensor_free(tw[i]);
            chm_sparse_free(ws[i]);
        }
        chm_tensor_free(twd);
    }
    chm_tensor_free(ti), chm_tensor_free(to);
    free(wd), free(wp), free(in), free(o1), free(o2);
    return bad;
}

int main(int argc, char **argv)
{
    int reps = argc > 2 && !strcmp(argv[1], "--reps") && atoi(argv[2]) > 0 ? atoi(argv[2]) : 3;
    chm_device *dev;
    if (chm_device_open("emu:u250", &dev)) {
        fprintf(stderr, "sparse_bench: %s\n", chm_last_error(NULL));
        return 1;
    }
    printf("SPARSE mode vs dense, emu:u250, modelled card time (us) and emulation wall (us, best of %d)\n", reps);
    printf("%-19s %6s | %9s %8s %8s %8s | %20s | %20s | %17s | %23s\n", "layer", "dens", "dense", "X",
           "S", "S4", "vs 100% X, S, S4", "vs CNN X, S, S4", "size% X, S, S4", "wall dense, X, S");
    int bad = 0;
    for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++)
        bad |= bench_layer(dev, &layers[i], reps);
    printf("\nCambricon-X step width chosen per matrix (CHM_SPARSE_STEP_AUTO) vs 4-bit steps\n");
    printf("%-19s %6s | %4s | %12s | %21s | %7s\n", "layer", "dens", "bits", "size% 4, auto",
           "card us 4, auto", "speedup");
    for (int i = 0; i < n_auto; i++)
        printf("%-19s %5.0f%% | %4d | %5.1f %6.1f | %10.1f %10.1f | %6.2fx\n", auto_rows[i].name,
               100 * auto_rows[i].density, auto_rows[i].bits, auto_rows[i].size4,
               auto_rows[i].size_auto, auto_rows[i].us4, auto_rows[i].us_auto,
               auto_rows[i].us4 / auto_rows[i].us_auto);
    chm_device_stats st;
    chm_device_stats_get(dev, &st);
    printf("reconfigurations between CNN and SPARSE: %llu\n", (unsigned long long)st.reconfigurations);
    chm_device_close(dev);
    return bad;
}
