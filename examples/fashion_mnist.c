/*
 * fashion_mnist - classify the 10,000 Fashion-MNIST test images with an int8
 * CNN on a Chimera device, and check every image against the plain-C
 * reference.
 *
 *   fashion_mnist [--device emu:u250[,DEVICE...]] [--batch 100] [--limit N]
 *                 [--model examples/models/fmnist_cnn.chmq]
 *                 [--data /usr/share/datasets/fashion-mnist] [--trace trace.json]
 *                 [--sparse x|s [--sparse-model examples/models/fmnist_cnn_sparse.chmq]]
 *                 [--code-bits N]  (Cambricon-S code width, 1..8)
 *                 [--step-bits N|auto]  (Cambricon-X step width, 1..8, default 4;
 *                                        auto: the fewest bytes per layer)
 *
 * With --sparse it runs the dense model in CNN mode, then the pruned model
 * with every conv and fc layer in SPARSE mode (Cambricon-X or -S), and
 * compares accuracy and modelled card time.
 *
 * --device A,B,... splits the images across several cards (data parallel):
 * each card gets a contiguous share (whole batches), driven from its own
 * host thread; it prints each card's modelled makespan and energy and the
 * combined figures (the cards run side by side: the slowest sets the time).
 *
 * Exits 0 only if the device's logits equal the reference's for every image
 * and the int8 accuracy is within 1.5 points of the float model's.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <unistd.h>

#include "chimera.h"
#include "cnn_model.h"
#include "idx.h"

#ifndef CHM_DEFAULT_MODEL
#define CHM_DEFAULT_MODEL "examples/models/fmnist_cnn.chmq"
#endif
#ifndef CHM_DEFAULT_SPARSE_MODEL
#define CHM_DEFAULT_SPARSE_MODEL "examples/models/fmnist_cnn_sparse.chmq"
#endif
/* Cambricon-S code width: the narrowest that keeps the pruned demo's int8
 * accuracy within 0.5 point of the 8-bit lossless codes (README table). */
#define CHM_DEFAULT_CODE_BITS 4

typedef struct options {
    const char *device, *model, *data, *trace, *sparse_model;
    int batch, limit, sparse, code_bits, step_bits;
} options;

/* What one model's run gave. */
typedef struct outcome {
    double accuracy, ref_accuracy, float_accuracy, us_per_image, wall_s;
    double makespan_us, energy_uj; /* modelled, from the run's start (after any reconfiguration) */
    int differ, n;
} outcome;

#define MAX_CARDS 8

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void progress(const char *what, int done, int total, int tty)
{
    static int last_tenth = -1;
    if (tty < 0) /* quiet: a card's share, run beside others */
        return;
    if (!tty) { /* logs get a line every 10% */
        int tenth = done * 10 / total;
        if (tenth != last_tenth)
            fprintf(stderr, "%s %3d%% (%d/%d)\n", what, tenth * 10, done, total);
        last_tenth = done == total ? -1 : tenth;
        return;
    }
    int bar = 40, fill = (int)((long)done * bar / total);
    fprintf(stderr, "\r%-10s [", what);
    for (int i = 0; i < bar; i++)
        fputc(i < fill ? '#' : '.', stderr);
    fprintf(stderr, "] %5d/%d", done, total);
    if (done == total)
        fputc('\n', stderr);
}

static int argmax(const int8_t *v, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (v[i] > v[best])
            best = i;
    return best;
}

static int parse_args(int argc, char **argv, options *o)
{
    *o = (options){ "emu:u250", CHM_DEFAULT_MODEL, "/usr/share/datasets/fashion-mnist", NULL,
                    CHM_DEFAULT_SPARSE_MODEL, 100, 10000, 0, CHM_DEFAULT_CODE_BITS, 4 };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help"))
            return 1;
        if (!v)
            return -1;
        if (!strcmp(a, "--device")) o->device = v;
        else if (!strcmp(a, "--model")) o->model = v;
        else if (!strcmp(a, "--data")) o->data = v;
        else if (!strcmp(a, "--trace")) o->trace = v;
        else if (!strcmp(a, "--batch")) o->batch = atoi(v);
        else if (!strcmp(a, "--limit")) o->limit = atoi(v);
        else if (!strcmp(a, "--sparse-model")) o->sparse_model = v;
        else if (!strcmp(a, "--code-bits")) o->code_bits = atoi(v);
        else if (!strcmp(a, "--step-bits"))
            o->step_bits = !strcmp(v, "auto") ? CHM_SPARSE_STEP_AUTO : atoi(v);
        else if (!strcmp(a, "--sparse") && (!strcmp(v, "x") || !strcmp(v, "s")))
            o->sparse = v[0] == 'x' ? CHM_SPARSE_X : CHM_SPARSE_S;
        else return -1;
        i++;
    }
    return (o->batch < 1 || o->batch > 4096 || o->limit < 1 || o->code_bits < 1 ||
            o->code_bits > 8 ||
            (o->step_bits != CHM_SPARSE_STEP_AUTO && (o->step_bits < 1 || o->step_bits > 8)))
               ? -1 : 0;
}

/* Images as the model's int8 input: q = round(p / 255 / scale) + zp. */
static int8_t *quantize_images(const cnn_model *m, const uint8_t *px, int n, int padded)
{
    size_t per = (size_t)m->h * m->w;
    int8_t *q = calloc((size_t)padded * per, 1);
    for (size_t i = 0; q && i < (size_t)n * per; i++) {
        long v = lround(px[i] / 255.0 / m->in_scale) + m->in_zp;
        q[i] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
    }
    return q;
}

static int run_device(const options *o, const cnn_model *m, int sparse, const int8_t *img, int n,
                      int8_t *logits, outcome *out, int quiet)
{
    chm_device *dev;
    if (chm_device_open(o->device, &dev)) {
        fprintf(stderr, "fashion_mnist: %s\n", chm_last_error(NULL));
        return 1;
    }
    /* Pruned layers: every region but the last into SPARSE mode first, once
     * (partial reconfiguration); the last stays in CNN mode for the pooling
     * layers, which run on the CNN engines (loading SPARSE there too would
     * have the runtime load CNN back for the first pool). The per-image card
     * time counts from there. */
    double start_us = 0, start_uj = 0;
    if (sparse) {
        chm_device_info info;
        chm_device_stats s0;
        chm_device_query(dev, &info);
        int rc = 0;
        const uint32_t nsp = info.n_regions > 1 ? info.n_regions - 1 : info.n_regions;
        for (uint32_t r = 0; r < nsp && !rc; r++)
            rc = chm_region_load_mode(dev, (int)r, CHM_MODE_SPARSE, NULL);
        if (rc || chm_finish(dev)) {
            fprintf(stderr, "fashion_mnist: %s\n", chm_last_error(dev));
            chm_device_close(dev);
            return 1;
        }
        chm_device_stats_get(dev, &s0);
        start_us = s0.device_makespan_us;
        start_uj = s0.energy_uj;
        if (!quiet)
            printf("reconfigured      %u of %u regions into SPARSE mode (%s): %.1f MB through the ICAP, %.1f ms\n",
                   nsp, info.n_regions, nsp < info.n_regions ? "the last stays CNN for the pools" : "",
                   (double)s0.icap_bytes / 1e6, start_us / 1e3);
    }
    model_dev *md;
    int rc = model_dev_create(dev, m, o->batch, sparse, &md);
    if (rc) {
        fprintf(stderr, "fashion_mnist: %s\n", chm_last_error(dev));
        chm_device_close(dev);
        return 1;
    }
    int tty = quiet ? -1 : isatty(2);
    size_t per = (size_t)m->h * m->w * m->c;
    double t0 = now_s();
    for (int b = 0; b < n && !rc; b += o->batch) {
        rc = model_dev_enqueue(md, img + (size_t)b * per, logits + (size_t)b * m->n_classes);
        if (b >= o->batch) /* keep two batches in flight; report the older one done */
            progress("device", b, n, tty);
    }
    if (!rc)
        rc = chm_finish(dev);
    out->wall_s = now_s() - t0;
    progress("device", n, n, tty);
    if (rc) {
        fprintf(stderr, "fashion_mnist: %s: %s\n", o->device, chm_last_error(dev));
    } else {
        chm_device_info info;
        chm_device_stats s;
        chm_device_query(dev, &info);
        chm_device_stats_get(dev, &s);
        out->makespan_us = s.device_makespan_us - start_us;
        out->energy_uj = s.energy_uj - start_uj;
        out->us_per_image = out->makespan_us / n;
        if (quiet)
            goto done;
        double density;
        uint64_t packed, dense;
        model_dev_sparsity(md, &density, &packed, &dense);
        printf("device            %s (%s, %.0f MHz, %u regions), layers in %s mode\n", o->device,
               info.platform, info.kernel_clock_mhz, info.n_regions,
               sparse ? (sparse == CHM_SPARSE_X ? "SPARSE (Cambricon-X)" : "SPARSE (Cambricon-S)")
                      : "CNN");
        if (sparse)
            printf("weights           %.1f%% dense: %llu bytes packed for %llu dense (%.1f%%)\n",
                   100 * density, (unsigned long long)packed, (unsigned long long)dense,
                   100.0 * packed / dense);
        else
            printf("weights           %.1f%% nonzero, %llu bytes\n", 100 * density,
                   (unsigned long long)dense);
        /* emu models kernel cycles; rtl counts them in the simulated engines (DMA is modelled on both) */
        printf("device time       %.2f us/image %s (makespan %.1f ms for %d images;"
               " kernels %.1f ms, DMA %.1f ms summed)\n",
               out->us_per_image,
               !strcmp(info.backend, "rtl")   ? "kernels cycle-counted in RTL"
               : !strcmp(info.backend, "xrt") ? "kernels timed on the card by XRT"
                                              : "modelled",
               (s.device_makespan_us - start_us) / 1e3, n,
               s.device_kernel_us / 1e3, s.device_dma_us / 1e3);
        printf("device work       %.2f MMAC/image, %llu kernel launches, %.1f MB moved\n",
               (double)s.macs / n / 1e6, (unsigned long long)s.ops,
               (double)(s.bytes_to_device + s.bytes_from_device) / 1e6);
        printf("device energy     %.2f uJ/image, modelled dynamic energy (action counts x "
               "overlays/energy; no static power)\n", (s.energy_uj - start_uj) / n);
        if (o->trace) {
            if (chm_trace_write(dev, o->trace))
                fprintf(stderr, "fashion_mnist: %s\n", chm_last_error(dev));
            else
                printf("trace             %s (open in https://ui.perfetto.dev)\n", o->trace);
        }
    }
done:
    model_dev_free(md);
    chm_device_close(dev);
    return rc ? 1 : 0;
}

/* One card's share of the images, run from its own thread. */
typedef struct card_share {
    options o;            /* o.device: this card */
    const cnn_model *m;
    int sparse, n, rc;
    const int8_t *img;
    int8_t *logits;
    outcome out;
} card_share;

static void *card_thread(void *arg)
{
    card_share *c = arg;
    c->rc = run_device(&c->o, c->m, c->sparse, c->img, c->n, c->logits, &c->out, 1);
    return NULL;
}

/*
 * The images on every card of o->device ("A" or "A,B,..."): one card as
 * before; several side by side, each a contiguous share of whole batches.
 */
static int run_cards(const options *o, const cnn_model *m, int sparse, const int8_t *img, int n,
                     int8_t *logits, outcome *out)
{
    char names[512];
    snprintf(names, sizeof names, "%s", o->device);
    if (!strchr(names, ','))
        return run_device(o, m, sparse, img, n, logits, out, 0);
    if (o->trace) {
        fprintf(stderr, "fashion_mnist: --trace takes one device\n");
        return 1;
    }
    card_share c[MAX_CARDS];
    pthread_t th[MAX_CARDS];
    int k = 0;
    for (char *save = NULL, *tok = strtok_r(names, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (k == MAX_CARDS) {
            fprintf(stderr, "fashion_mnist: at most %d devices\n", MAX_CARDS);
            return 1;
        }
        c[k].o = *o;
        c[k].o.device = tok;
        k++;
    }
    const size_t per = (size_t)m->h * m->w * m->c;
    const int batches = n / o->batch, share = (batches + k - 1) / k;
    int first = 0, started = 0;
    const double t0 = now_s();
    for (int i = 0; i < k; i++) {
        c[i].m = m, c[i].sparse = sparse, c[i].rc = 0;
        c[i].n = (share < batches - first / o->batch ? share : batches - first / o->batch) * o->batch;
        c[i].img = img + (size_t)first * per;
        c[i].logits = logits + (size_t)first * m->n_classes;
        memset(&c[i].out, 0, sizeof c[i].out);
        first += c[i].n;
        if (c[i].n > 0 && pthread_create(&th[i], NULL, card_thread, &c[i]) == 0)
            started |= 1 << i;
        else if (c[i].n > 0)
            c[i].rc = 1;
    }
    int rc = 0;
    out->makespan_us = out->energy_uj = 0;
    for (int i = 0; i < k; i++) {
        if (started & 1 << i)
            pthread_join(th[i], NULL);
        rc |= c[i].rc;
    }
    out->wall_s = now_s() - t0;
    if (rc)
        return 1;
    printf("cards             %d, data parallel: each card a contiguous share of the batches, "
           "driven from its own host thread\n", k);
    for (int i = 0; i < k; i++) {
        printf("card %d            %s: %d images, makespan %.1f ms modelled, %.2f uJ/image\n", i,
               c[i].o.device, c[i].n, c[i].out.makespan_us / 1e3,
               c[i].n ? c[i].out.energy_uj / c[i].n : 0.0);
        out->makespan_us = c[i].out.makespan_us > out->makespan_us ? c[i].out.makespan_us : out->makespan_us;
        out->energy_uj += c[i].out.energy_uj;
    }
    out->us_per_image = out->makespan_us / n;
    printf("device time       %.2f us/image modelled over %d cards (makespan %.1f ms: the slowest card's)\n",
           out->us_per_image, k, out->makespan_us / 1e3);
    printf("device energy     %.2f uJ/image, modelled dynamic energy summed over the cards\n",
           out->energy_uj / n);
    return 0;
}

/* Loads one model, runs it on the device and on the reference, prints, fills *r. */
static int evaluate(const options *o, const char *path, int sparse, const uint8_t *px,
                    const uint8_t *labels, int n, outcome *r)
{
    cnn_model m;
    if (model_load(path, &m))
        return 1;
    if (m.h != 28 || m.w != 28 || m.c != 1) {
        fprintf(stderr, "fashion_mnist: %s does not take 28x28x1 images\n", path);
        return 1;
    }
    int padded = (n + o->batch - 1) / o->batch * o->batch; /* the last batch is padded */
    int8_t *img = quantize_images(&m, px, n, padded);
    int8_t *dev_logits = calloc((size_t)padded * m.n_classes, 1);
    int8_t *ref_logits = calloc((size_t)n * m.n_classes, 1);
    printf("model             %s: %d layers, float test accuracy %.2f%%\n", path, m.n_layers,
           m.float_accuracy);
    if (sparse == CHM_SPARSE_X) {
        m.step_bits = o->step_bits;
        if (o->step_bits == CHM_SPARSE_STEP_AUTO)
            printf("steps             Cambricon-X, each layer's step width chosen for the fewest bytes\n");
        else
            printf("steps             Cambricon-X, %d-bit step indexes\n", o->step_bits);
    }
    if (sparse == CHM_SPARSE_S && o->code_bits < 8) {
        /* local quantization: the reference computes with the decoded weights too */
        if (model_quantize_codes(&m, o->code_bits)) {
            fprintf(stderr, "fashion_mnist: %s\n", chm_last_error(NULL));
            model_free(&m);
            return 1;
        }
        printf("codes             Cambricon-S, %d-bit codes into a per-layer codebook (8: lossless)\n",
               o->code_bits);
    }
    memset(r, 0, sizeof *r);
    if (!img || !dev_logits || !ref_logits || run_cards(o, &m, sparse, img, padded, dev_logits, r)) {
        free(img), free(dev_logits), free(ref_logits);
        model_free(&m);
        return 1;
    }
    double t0 = now_s();
    int tty = isatty(2);
    for (int b = 0; b < n; b += 500) {
        int cnt = n - b < 500 ? n - b : 500;
        model_run_ref(&m, img + (size_t)b * m.h * m.w, cnt, ref_logits + (size_t)b * m.n_classes);
        progress("reference", b + cnt, n, tty);
    }
    double ref_wall = now_s() - t0;
    int dev_ok = 0, ref_ok = 0;
    for (int i = 0; i < n; i++) {
        const int8_t *dl = dev_logits + (size_t)i * m.n_classes;
        const int8_t *rl = ref_logits + (size_t)i * m.n_classes;
        dev_ok += argmax(dl, m.n_classes) == labels[i];
        ref_ok += argmax(rl, m.n_classes) == labels[i];
        r->differ += memcmp(dl, rl, (size_t)m.n_classes) != 0;
    }
    r->n = n;
    r->accuracy = 100.0 * dev_ok / n;
    r->ref_accuracy = 100.0 * ref_ok / n;
    r->float_accuracy = m.float_accuracy;
    printf("wall time         %.3f s on the device = %.0f images/s (plain-C reference: %.0f "
           "images/s)\n", r->wall_s, n / r->wall_s, n / ref_wall);
    printf("accuracy          int8 on device %.2f%% | int8 reference %.2f%% | float %.2f%%\n",
           r->accuracy, r->ref_accuracy, m.float_accuracy);
    printf("agreement         %d of %d images with logits identical to the reference\n",
           n - r->differ, n);
    free(img), free(dev_logits), free(ref_logits);
    model_free(&m);
    return 0;
}

static int passed(const options *o, const outcome *r)
{
    return r->differ == 0 && (o->limit < 10000 || r->accuracy >= r->float_accuracy - 1.5);
}

int main(int argc, char **argv)
{
    options o;
    int pa = parse_args(argc, argv, &o);
    if (pa) {
        fprintf(pa > 0 ? stdout : stderr,
                "usage: fashion_mnist [--device emu:u250[,emu:u250...]] [--batch 100] [--limit N]\n"
                "                     [--model FILE.chmq] [--data DIR] [--trace FILE.json]\n"
                "                     [--sparse x|s [--sparse-model FILE.chmq]] [--code-bits 1..8]\n"
                "                     [--step-bits 1..8|auto]\n");
        return pa > 0 ? 0 : 2;
    }
    char ip[512], lp[512];
    snprintf(ip, sizeof ip, "%s/t10k-images-idx3-ubyte.gz", o.data);
    snprintf(lp, sizeof lp, "%s/t10k-labels-idx1-ubyte.gz", o.data);
    uint8_t *px = NULL, *labels = NULL;
    int n, rows, cols, nl;
    if (idx_load_images(ip, &px, &n, &rows, &cols) || idx_load_labels(lp, &labels, &nl) ||
        nl != n || rows != 28 || cols != 28) {
        fprintf(stderr, "fashion_mnist: no Fashion-MNIST test set in %s "
                        "(apt-get install dataset-fashion-mnist)\n", o.data);
        return 1;
    }
    n = o.limit < n ? o.limit : n;
    outcome dense, pruned;
    int ok = evaluate(&o, o.model, 0, px, labels, n, &dense) == 0 && passed(&o, &dense);
    if (ok && o.sparse) {
        printf("\n");
        ok = evaluate(&o, o.sparse_model, o.sparse, px, labels, n, &pruned) == 0 &&
             passed(&o, &pruned);
        if (ok) {
            const double r = dense.us_per_image / pruned.us_per_image;
            printf("\npruned vs dense   accuracy %.2f%% vs %.2f%% (int8); card time %.2f vs %.2f "
                   "us/image: SPARSE mode %.2fx %s\n", pruned.accuracy, dense.accuracy,
                   pruned.us_per_image, dense.us_per_image, r >= 1 ? r : 1 / r,
                   r >= 1 ? "faster" : "slower");
            printf("                  (both from cycle models calibrated against the RTL engines)\n");
        }
    }
    printf("result            %s\n", ok ? "PASS" : "FAIL");
    free(px), free(labels);
    return ok ? 0 : 1;
}
