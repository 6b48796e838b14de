/*
 * undervolt_bench.c - the Fashion-MNIST model on the emulated U250 with
 * its regions' on-chip memories at falling voltages (chm_region_set_voltage),
 * without protection, with ECC and with ECC + ABFT: weak cells, accuracy,
 * logits still equal to the nominal run, batches stopped (rerun at nominal
 * voltage, as a runtime would), commands ABFT recomputed, and dynamic
 * energy per image against nominal.
 * With --upsets: accumulator upsets (chm_region_set_acc_upsets) at rising
 * rates, without and with ABFT: upsets detected, corrected in place, tile
 * passes redone, accuracy. --csv FILE: the voltage table as CSV
 * (scripts/plot_undervolt.sh draws it).
 *   ./build/bench/undervolt_bench [--images N] [--batch B] [--csv FILE] [--upsets]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnn_model.h"
#include "idx.h"

#define FM "/usr/share/datasets/fashion-mnist/"

typedef struct result {
    double acc, same, onchip_uj, total_uj, card_us;
    int rerun, weak;
    unsigned long long corrected, detected, undetected, recomputed;
    unsigned long long tiles, data, acc_detected, acc_corrected, redone, acc_undetected;
} result;

static int run(chm_device *dev, const cnn_model *m, const int8_t *img, const uint8_t *lab, int n,
               int batch, int mv, int ecc, int abft, double upsets, int8_t *logits,
               const int8_t *nominal, result *r)
{
    memset(r, 0, sizeof *r);
    chm_fault_stats f0[CHM_MAX_REGIONS];
    chm_device_info di;
    chm_device_query(dev, &di);
    for (uint32_t g = 0; g < di.n_regions; g++)
        chm_region_faults_get(dev, (int)g, &f0[g]);
    if (chm_region_set_ecc(dev, -1, ecc) || chm_region_set_abft(dev, -1, abft) ||
        chm_region_set_voltage(dev, -1, mv) || chm_region_set_acc_upsets(dev, -1, upsets))
        return 1;
    chm_energy_table t;
    chm_device_energy_table(dev, &t);
    model_dev *md;
    if (model_dev_create(dev, m, batch, 0, &md))
        return 1;
    const size_t per = (size_t)m->h * m->w * m->c;
    chm_device_stats s0, s1;
    chm_device_stats_get(dev, &s0);
    for (int b = 0; b + batch <= n; b += batch) {
        model_dev_enqueue(md, img + (size_t)b * per, logits + (size_t)b * m->n_classes);
        if (chm_finish(dev)) { /* ECC or ABFT stopped a layer: this batch again at nominal */
            r->rerun++;
            chm_region_set_voltage(dev, -1, 0);
            chm_region_set_acc_upsets(dev, -1, 0);
            model_dev_enqueue(md, img + (size_t)b * per, logits + (size_t)b * m->n_classes);
            chm_finish(dev);
            chm_region_set_voltage(dev, -1, mv);
            chm_region_set_acc_upsets(dev, -1, upsets);
        }
    }
    chm_device_stats_get(dev, &s1);
    model_dev_free(md);
    int ok = 0, same = 0;
    for (int i = 0; i < n; i++) {
        const int8_t *l = logits + (size_t)i * m->n_classes;
        int best = 0;
        for (int k = 1; k < m->n_classes; k++)
            best = l[k] > l[best] ? k : best;
        ok += best == lab[i];
        if (nominal)
            same += !memcmp(l, nominal + (size_t)i * m->n_classes, (size_t)m->n_classes);
    }
    r->acc = 100.0 * ok / n;
    r->same = 100.0 * same / n;
    r->total_uj = (s1.energy_uj - s0.energy_uj) / n;
    r->card_us = (s1.device_kernel_us - s0.device_kernel_us) / n;
    chm_region_set_acc_upsets(dev, -1, 0);
    for (uint32_t g = 0; g < di.n_regions; g++) {
        chm_fault_stats f;
        const chm_fault_stats *b = &f0[g];
        chm_region_faults_get(dev, (int)g, &f);
        r->corrected += f.corrected - b->corrected, r->detected += f.detected - b->detected;
        r->undetected += f.undetected - b->undetected;
        r->recomputed += f.abft_recomputed - b->abft_recomputed;
        r->tiles += f.acc_tiles - b->acc_tiles, r->data += f.acc_data_upsets - b->acc_data_upsets;
        r->acc_detected += f.acc_detected - b->acc_detected;
        r->acc_corrected += f.acc_corrected - b->acc_corrected;
        r->redone += f.acc_tiles_recomputed - b->acc_tiles_recomputed;
        r->acc_undetected += f.acc_undetected - b->acc_undetected;
        r->weak = (int)f.weak_cells;
    }
    return 0;
}

/* Falling voltage: none / ECC / ECC + ABFT (and the CSV the plot is drawn from). */
static void voltage_table(chm_device *dev, const cnn_model *m, const int8_t *img, const uint8_t *lab,
                          int n, int batch, int8_t *logits, const int8_t *nominal,
                          const result *base, double nominal_mv, FILE *csv)
{
    printf("| V/Vnom | mV | weak cells (2 buffers) | no ECC: accuracy | logits = nominal | ECC: accuracy "
           "| logits = nominal | batches rerun | bits corrected / detected / undetected "
           "| ECC + ABFT: accuracy | logits = nominal | batches rerun | commands recomputed "
           "| energy an image vs nominal: none / ECC + ABFT |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    if (csv)
        fprintf(csv, "v_frac,mv,weak_cells,acc_none,same_none,acc_ecc,same_ecc,rerun_ecc,"
                     "acc_ecc_abft,same_ecc_abft,rerun_ecc_abft,energy_none_pct,energy_ecc_abft_pct\n");
    static const double fr[] = { 1.0, 0.80, 0.61, 0.60, 0.59, 0.58, 0.57, 0.56, 0.55, 0.545, 0.54 };
    for (size_t i = 0; i < sizeof fr / sizeof fr[0]; i++) {
        const int mv = (int)ceil(fr[i] * nominal_mv - 1e-6);
        result a, b, c;
        run(dev, m, img, lab, n, batch, mv, 0, 0, 0.0, logits, nominal, &a);
        run(dev, m, img, lab, n, batch, mv, 1, 0, 0.0, logits, nominal, &b);
        run(dev, m, img, lab, n, batch, mv, 1, 1, 0.0, logits, nominal, &c);
        const double ea = 100.0 * a.total_uj / base->total_uj, ec = 100.0 * c.total_uj / base->total_uj;
        printf("| %.3f | %d | %d | %.2f%% | %.1f%% | %.2f%% | %.1f%% | %d | %llu / %llu / %llu | "
               "%.2f%% | %.1f%% | %d | %llu | %.1f%% / %.1f%% |\n",
               fr[i], mv, a.weak, a.acc, a.same, b.acc, b.same, b.rerun, b.corrected, b.detected,
               b.undetected, c.acc, c.same, c.rerun, c.recomputed, ea, ec);
        if (csv)
            fprintf(csv, "%.3f,%d,%d,%.2f,%.1f,%.2f,%.1f,%d,%.2f,%.1f,%d,%.2f,%.2f\n", fr[i], mv, a.weak,
                    a.acc, a.same, b.acc, b.same, b.rerun, c.acc, c.same, c.rerun, ea, ec);
        fflush(stdout);
    }
}

/* Accumulator upsets at rising rates, nominal voltage: without ABFT and with it. */
static void upset_table(chm_device *dev, const cnn_model *m, const int8_t *img, const uint8_t *lab,
                        int n, int batch, int8_t *logits, const int8_t *nominal, const result *base)
{
    result clean;
    run(dev, m, img, lab, n, batch, 0, 0, 1, 0.0, logits, nominal, &clean);
    printf("ABFT on, no upsets: %.4f us an image of card time (%.4f without ABFT: +%.3f%%)\n\n",
           clean.card_us, base->card_us, 100.0 * (clean.card_us / base->card_us - 1.0));
    printf("| upsets an accumulator | no ABFT: data upsets | accumulators used flipped | accuracy "
           "| logits = nominal | ABFT: data upsets | detected | corrected in place "
           "| tile passes redone | batches rerun | accumulators used flipped | accuracy | logits = nominal |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    static const double rate[] = { 1e-7, 1e-6, 1e-5, 1e-4, 3e-4, 1e-3 };
    for (size_t i = 0; i < sizeof rate / sizeof rate[0]; i++) {
        result a, c;
        run(dev, m, img, lab, n, batch, 0, 0, 0, rate[i], logits, nominal, &a);
        run(dev, m, img, lab, n, batch, 0, 0, 1, rate[i], logits, nominal, &c);
        printf("| %g | %llu | %llu | %.2f%% | %.1f%% | %llu | %.2f%% | %llu | %llu of %llu (%.3f%%) "
               "| %d | %llu | %.2f%% | %.1f%% |\n",
               rate[i], a.data, a.acc_undetected, a.acc, a.same, c.data,
               c.data ? 100.0 * (double)c.acc_detected / (double)c.data : 100.0, c.acc_corrected,
               c.redone, c.tiles, c.tiles ? 100.0 * (double)c.redone / (double)c.tiles : 0.0, c.rerun,
               c.acc_undetected, c.acc, c.same);
        fflush(stdout);
    }
}

int main(int argc, char **argv)
{
    int n = 2000, batch = 100, upsets = 0;
    const char *csv = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--images") && i + 1 < argc)
            n = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
            batch = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--csv") && i + 1 < argc)
            csv = argv[++i];
        else if (!strcmp(argv[i], "--upsets"))
            upsets = 1;
        else {
            fprintf(stderr, "usage: undervolt_bench [--images N] [--batch B] [--csv FILE] [--upsets]\n");
            return 2;
        }
    }
    if (n <= 0 || batch <= 0) {
        fprintf(stderr, "undervolt_bench: --images and --batch take positive counts\n");
        return 2;
    }
    cnn_model m;
    uint8_t *px, *lab;
    int rows, cols, nl;
    if (model_load(CHM_DEFAULT_MODEL, &m) ||
        idx_load_images(FM "t10k-images-idx3-ubyte.gz", &px, &nl, &rows, &cols) ||
        idx_load_labels(FM "t10k-labels-idx1-ubyte.gz", &lab, &nl)) {
        fprintf(stderr, "undervolt_bench: model or Fashion-MNIST missing\n");
        return 1;
    }
    n = n > nl ? nl : n;
    n -= n % batch;
    const size_t per = (size_t)rows * cols;
    int8_t *img = malloc((size_t)n * per), *nominal = malloc((size_t)n * m.n_classes),
           *logits = malloc((size_t)n * m.n_classes);
    for (size_t i = 0; i < (size_t)n * per; i++) {
        long v = lround(px[i] / 255.0 / m.in_scale) + m.in_zp;
        img[i] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
    }
    chm_device *dev;
    if (chm_device_open("emu:u250", &dev))
        return 1;
    result base;
    if (run(dev, &m, img, lab, n, batch, 0, 0, 0, 0.0, nominal, NULL, &base)) {
        fprintf(stderr, "undervolt_bench: %s\n", chm_last_error(dev));
        return 1;
    }
    chm_fault_stats f;
    chm_region_faults_get(dev, 0, &f);
    printf("Fashion-MNIST, %d t10k images in batches of %d on emu:u250; on-chip rail nominal %.0f mV, "
           "Vmin %.0f, crash %.0f\n", n, batch, f.nominal_mv, f.vmin_mv, f.vcrash_mv);
    printf("nominal: accuracy %.2f%%, %.3f uJ an image (dynamic)\n\n", base.acc, base.total_uj);
    if (upsets) {
        upset_table(dev, &m, img, lab, n, batch, logits, nominal, &base);
    } else {
        FILE *out = csv ? fopen(csv, "w") : NULL;
        if (csv && !out) {
            fprintf(stderr, "undervolt_bench: cannot write %s\n", csv);
            return 1;
        }
        voltage_table(dev, &m, img, lab, n, batch, logits, nominal, &base, f.nominal_mv, out);
        if (out)
            fclose(out);
    }
    chm_device_close(dev);
    free(img), free(nominal), free(logits), free(px), free(lab);
    model_free(&m);
    return 0;
}
