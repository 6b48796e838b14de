/*
 * conv_bench - how fast the emulated CNN kernel computes real layers.
 *
 * For each ResNet-18 convolution (224x224 input, batch 1) it measures, in
 * one run, on one core each and then on all cores each:
 *   emu      chm_conv2d on the emu device: the HLS kernel compiled natively
 *            (wall time of the kernel command, from its event); its threads
 *            set by CHIMERA_EMU_THREADS
 *   ref      the plain-C reference (tests/ref), direct loops (one core)
 *   openblas im2col into fp32 + cblas_sgemm, the usual CPU baseline
 *   onednn   oneDNN's int8 convolution (s8 NHWC in and out, source zero
 *            point, per-channel output scale), what a CPU user would pick
 *            for int8; only when built with oneDNN (libdnnl-dev)
 * and prints GOP/s (2 ops a MAC), plus the modelled card time of the layer
 * on one region of the chosen platform. Every emu result is checked
 * against the reference before its time counts; oneDNN's rounds its
 * float output scale its own way, so its bytes are checked to be within
 * 1 of the reference's.
 *
 *   conv_bench [--device emu:u250] [--reps 3]
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chimera.h"
#include "chm_ref.h"
#ifdef CHM_HAVE_DNNL
#include "conv_dnnl.h"
#endif

typedef struct layer {
    const char *name;
    int h, w, c, oc, k, stride, pad;
} layer;

static const layer layers[] = {
    { "conv1 7x7/2", 224, 224, 3, 64, 7, 2, 3 },
    { "layer1 3x3", 56, 56, 64, 64, 3, 1, 1 },
    { "layer2 3x3", 28, 28, 128, 128, 3, 1, 1 },
    { "layer3 3x3", 14, 14, 256, 256, 3, 1, 1 },
    { "layer4 3x3", 7, 7, 512, 512, 3, 1, 1 },
    { "down 1x1/2", 56, 56, 64, 128, 1, 2, 0 },
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng = 88172645463325252ull;
static int8_t rnd8(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (int8_t)(rng >> 24);
}

/* im2col (NHWC, fp32) then sgemm: out[M][OC] = A[M][K] x W[OC][K]^T. */
static double blas_conv(const layer *L, int oh, int ow, const float *in, const float *wf,
                        float *col, float *out, int threads)
{
    openblas_set_num_threads(threads);
    const int K = L->k * L->k * L->c, M = oh * ow;
    double t0 = now_s();
    for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++) {
            float *row = col + (size_t)(oy * ow + ox) * K;
            for (int ky = 0; ky < L->k; ky++)
                for (int kx = 0; kx < L->k; kx++) {
                    int iy = oy * L->stride - L->pad + ky, ix = ox * L->stride - L->pad + kx;
                    float *dst = row + (ky * L->k + kx) * L->c;
                    if (iy < 0 || iy >= L->h || ix < 0 || ix >= L->w)
                        memset(dst, 0, sizeof(float) * L->c);
                    else
                        memcpy(dst, in + ((size_t)iy * L->w + ix) * L->c, sizeof(float) * L->c);
                }
        }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, L->oc, K, 1.0f, col, K, wf, K, 0.0f,
                out, L->oc);
    return now_s() - t0;
}

int main(int argc, char **argv)
{
    const char *devname = "emu:u250";
    int reps = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--device"))
            devname = argv[i + 1];
        else if (!strcmp(argv[i], "--reps"))
            reps = atoi(argv[i + 1]) > 0 ? atoi(argv[i + 1]) : 1;
    }
    const int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    chm_device *dev;
    if (chm_device_open(devname, &dev)) {
        fprintf(stderr, "conv_bench: %s\n", chm_last_error(NULL));
        return 1;
    }
    printf("conv2d, ResNet-18 layers, batch 1, int8 (OpenBLAS: fp32), GOP/s on 1 core and on %d, "
           "best of %d\n", cores, reps);
    printf("%-12s %7s | %7s %7s %7s %6s %7s %6s | %7s %7s %6s %7s %6s | %9s %8s\n", "layer", "MMAC",
           "emu 1", "ref 1", "BLAS 1", "emu/B", "DNNL 1", "emu/D", "emu all", "BLAS all", "emu/B",
           "DNNL all", "emu/D", "card us", "card GOP/s");
    int failures = 0;
    for (size_t li = 0; li < sizeof layers / sizeof layers[0]; li++) {
        const layer *L = &layers[li];
        int oh = (L->h + 2 * L->pad - L->k) / L->stride + 1;
        int ow = (L->w + 2 * L->pad - L->k) / L->stride + 1;
        size_t nin = (size_t)L->h * L->w * L->c, nw = (size_t)L->oc * L->k * L->k * L->c;
        size_t nout = (size_t)oh * ow * L->oc, K = (size_t)L->k * L->k * L->c;
        double macs = (double)nout * (double)K;
        int8_t *in = malloc(nin), *w = malloc(nw), *o1 = malloc(nout), *o2 = malloc(nout);
        float *inf = malloc(nin * 4), *wf = malloc(nw * 4), *col = malloc((size_t)oh * ow * K * 4);
        float *of = malloc(nout * 4);
        int32_t *mult = malloc(4 * (size_t)L->oc), *shift = malloc(4 * (size_t)L->oc);
        for (size_t i = 0; i < nin; i++)
            inf[i] = in[i] = rnd8();
        for (size_t i = 0; i < nw; i++)
            wf[i] = w[i] = rnd8();
        for (int i = 0; i < L->oc; i++)
            mult[i] = 1 << 30, shift[i] = -14;
        chm_conv2d_params p = { .stride_h = L->stride, .stride_w = L->stride, .pad_top = L->pad,
                                .pad_left = L->pad, .pad_bottom = L->pad, .pad_right = L->pad };
        p.rq = (chm_requant){ .multiplier = mult, .shift = shift, .in_zero_point = -3 };
        chm_tensor *ti, *tw, *to;
        chm_tensor_alloc(dev, CHM_INT8, 4, (int64_t[]){ 1, L->h, L->w, L->c }, -1, &ti);
        chm_tensor_alloc(dev, CHM_INT8, 4, (int64_t[]){ L->oc, L->k, L->k, L->c }, -1, &tw);
        chm_tensor_alloc(dev, CHM_INT8, 4, (int64_t[]){ 1, oh, ow, L->oc }, -1, &to);
        chm_tensor_write(ti, 0, in, nin);
        chm_tensor_write(tw, 0, w, nw);
        double best_emu[2] = { 1e30, 1e30 }, best_blas[2] = { 1e30, 1e30 }, best_ref = 1e30;
        double best_dnnl[2] = { -1, -1 }; /* < 0: no oneDNN */
        int dnnl_close = 1;
#ifdef CHM_HAVE_DNNL
        float *scale = malloc(sizeof(float) * (size_t)L->oc);
        for (int i = 0; i < L->oc; i++) /* mult 2^30 (0.5 in Q31), shift -14 */
            scale[i] = 0.5f / 16384.0f;
        const conv_shape cs = { L->h, L->w, L->c, L->oc, L->k, L->stride, L->pad, oh, ow };
        conv_dnnl *dn[2] = { conv_dnnl_create(&cs, in, w, -3, scale, 1),
                             conv_dnnl_create(&cs, in, w, -3, scale, cores) };
        int8_t *o3 = malloc(nout);
#endif
        double card_us = 0;
        int same = 1;
        for (int r = 0; r < reps; r++) {
            for (int all = 0; all < 2; all++) {
                char n[16];
                snprintf(n, sizeof n, "%d", all ? cores : 1);
                setenv("CHIMERA_EMU_THREADS", n, 1);
                chm_event *ev;
                chm_event_times t;
                if (chm_conv2d(dev, ti, tw, NULL, to, &p, &ev) || chm_wait(ev)) {
                    fprintf(stderr, "conv_bench: %s\n", chm_last_error(dev));
                    return 1;
                }
                chm_event_times_get(ev, &t);
                chm_event_release(ev);
                double s = (t.wall_end_us - t.wall_start_us) * 1e-6;
                best_emu[all] = s < best_emu[all] ? s : best_emu[all];
                card_us = t.device_end_us - t.device_start_us;
                if (r == 0) { /* each thread count's result checked */
                    chm_tensor_read(to, 0, o1, nout);
                    if (all == 0)
                        ref_conv2d(in, 1, L->h, L->w, L->c, w, L->oc, L->k, L->k, NULL, &p, o2);
                    same &= memcmp(o1, o2, nout) == 0;
                }
                s = blas_conv(L, oh, ow, inf, wf, col, of, all ? cores : 1);
                best_blas[all] = s < best_blas[all] ? s : best_blas[all];
#ifdef CHM_HAVE_DNNL
                if (dn[all] && (s = conv_dnnl_run(dn[all], o3)) > 0) {
                    best_dnnl[all] = best_dnnl[all] < 0 || s < best_dnnl[all] ? s : best_dnnl[all];
                    for (size_t i = 0; r == 0 && i < nout; i++) /* o2: the reference's bytes */
                        dnnl_close &= abs(o3[i] - o2[i]) <= 1;
                }
#endif
            }
            double t0 = now_s();
            ref_conv2d(in, 1, L->h, L->w, L->c, w, L->oc, L->k, L->k, NULL, &p, o2);
            double s = now_s() - t0;
            best_ref = s < best_ref ? s : best_ref;
        }
#ifdef CHM_HAVE_DNNL
        conv_dnnl_free(dn[0]), conv_dnnl_free(dn[1]);
        free(scale), free(o3);
#endif
        failures += !same;
        char dcol[2][32];
        for (int all = 0; all < 2; all++) {
            if (best_dnnl[all] > 0)
                snprintf(dcol[all], sizeof dcol[all], "%7.2f %5.2fx", 2 * macs / best_dnnl[all] / 1e9,
                         best_dnnl[all] / best_emu[all]);
            else
                snprintf(dcol[all], sizeof dcol[all], "%7s %6s", "-", "-");
        }
        printf("%-12s %7.1f | %7.2f %7.2f %7.2f %5.2fx %s | %7.2f %7.2f %5.2fx %s | %9.1f %8.1f%s%s\n",
               L->name, macs / 1e6, 2 * macs / best_emu[0] / 1e9, 2 * macs / best_ref / 1e9,
               2 * macs / best_blas[0] / 1e9, best_blas[0] / best_emu[0], dcol[0],
               2 * macs / best_emu[1] / 1e9, 2 * macs / best_blas[1] / 1e9,
               best_blas[1] / best_emu[1], dcol[1], card_us, 2 * macs / card_us / 1e3,
               same ? "" : "  MISMATCH", dnnl_close ? "" : "  oneDNN differs by more than 1");
        chm_tensor_free(ti), chm_tensor_free(tw), chm_tensor_free(to);
        free(in), free(w), free(o1), free(o2), free(inf), free(wf), free(col), free(of);
        free(mult), free(shift);
    }
    chm_device_close(dev);
    return failures ? 1 : 0;
}
