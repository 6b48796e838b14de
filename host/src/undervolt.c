/*
 * undervolt.c - a region's on-chip memories below the safe voltage: where
 * this card's weak cells are, what they do to the operands streaming
 * through the CNN mode's tile buffers, what SECDED ECC makes of it, and the
 * (V/Vnom)^2 scaling of on-chip dynamic energy. See chimera.h.
 *
 * Weak cells: a fixed pseudo-random sequence of cell positions per card,
 * region and buffer; at voltage V the first k of them are faulty, k = rate(V)
 * x cells (rounded), so the faults at a voltage stay faulty at every lower
 * one. A buffer is 64 KiB of data in 72-bit words (64 data + 8 check bits).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnn_config.h"
#include "cnn_kernels.h"
#include "device.h"
#include "undervolt.h"

#define BUF_BYTES ((size_t)CNN_TILE_K * CNN_PE_COLS) /* the B (weight) tile buffer; A likewise */
#define WORDS (BUF_BYTES / 8)
#define CELLS (WORDS * 72)

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* Fraction of cells faulty at mv (0 at or above Vmin). */
static double rate(const undervolt_params *p, double mv)
{
    if (mv <= 0 || mv >= p->vmin_mv)
        return 0.0;
    const double t = (p->vmin_mv - mv) / (p->vmin_mv - p->vcrash_mv);
    return exp(log(p->rate_vmin) + (log(p->rate_vcrash) - log(p->rate_vmin)) * t);
}

static uint64_t weak_count(const undervolt_params *p, double mv)
{
    return (uint64_t)llround(rate(p, mv) * (double)CELLS);
}

/* ---------------------------------------------------------------- API */

static int check(chm_device *dev, const char *who, int region)
{
    if (!dev)
        return chm__fail(NULL, who, CHM_EINVAL, "dev is NULL");
    if (region < -1 || region >= dev->n_regions)
        return chm__fail(dev, who, CHM_EINVAL, "region %d: the device has %d (or -1 for all)",
                         region, dev->n_regions);
    if (strcmp(dev->be->name, "emu"))
        return chm__fail(dev, who, CHM_ELIMIT, "on-chip memory voltage is modelled on emu only "
                         "(this device is %s)", dev->be->name);
    if (!dev->uv_loaded) {
        char why[400];
        if (undervolt_load(&dev->uv, why, sizeof why))
            return chm__fail(dev, who, CHM_EFORMAT, "%s", why);
        const char *s = getenv("CHIMERA_FAULT_SEED");
        dev->fault_seed = mix(s ? strtoull(s, NULL, 0) : 1) ^ mix((uint64_t)dev->n_regions);
        dev->uv_loaded = 1;
    }
    return CHM_OK;
}

int chm_region_set_voltage(chm_device *dev, int region, int millivolts)
{
    CHECK(check(dev, __func__, region));
    const undervolt_params *p = &dev->uv;
    if (millivolts != 0 && (millivolts < p->vcrash_mv - 1e-6 || millivolts > p->nominal_mv + 1e-6))
        return CHM_FAIL(dev, CHM_ERANGE, "%d mV is outside %.0f (crash) .. %.0f (nominal) mV",
                        millivolts, ceil(p->vcrash_mv), p->nominal_mv);
    int rc = chm_finish(dev); /* queued work runs at the voltage it was queued at */
    pthread_mutex_lock(&dev->lock);
    for (int r = 0; r < dev->n_regions; r++)
        if (region < 0 || r == region)
            dev->regions[r].uv_mv = millivolts == p->nominal_mv ? 0 : millivolts;
    pthread_mutex_unlock(&dev->lock);
    (void)rc; /* an earlier command's failure is chm_finish's to report, not this call's */
    return CHM_OK;
}

int chm_region_set_ecc(chm_device *dev, int region, int on)
{
    CHECK(check(dev, __func__, region));
    chm_finish(dev);
    pthread_mutex_lock(&dev->lock);
    for (int r = 0; r < dev->n_regions; r++)
        if (region < 0 || r == region)
            dev->regions[r].ecc = on != 0;
    pthread_mutex_unlock(&dev->lock);
    return CHM_OK;
}

int chm_region_faults_get(chm_device *dev, int region, chm_fault_stats *out)
{
    if (!out)
        return CHM_FAIL(dev, CHM_EINVAL, "out is NULL");
    if (region < 0)
        return CHM_FAIL(dev, CHM_EINVAL, "region %d: one region at a time", region);
    CHECK(check(dev, __func__, region));
    const undervolt_params *p = &dev->uv;
    pthread_mutex_lock(&dev->lock);
    const chm_region *r = &dev->regions[region];
    memset(out, 0, sizeof *out);
    out->voltage_mv = r->uv_mv > 0 ? r->uv_mv : p->nominal_mv;
    out->nominal_mv = p->nominal_mv, out->vmin_mv = p->vmin_mv, out->vcrash_mv = p->vcrash_mv;
    out->weak_cells = 2 * weak_count(p, out->voltage_mv);
    out->ecc = r->ecc;
    out->injected = r->f_injected, out->corrected = r->f_corrected;
    out->detected = r->f_detected, out->undetected = r->f_undetected;
    pthread_mutex_unlock(&dev->lock);
    return CHM_OK;
}

/* ------------------------------------------------------------- faults */

int chm__uv_active(chm_device *dev, int region)
{
    pthread_mutex_lock(&dev->lock);
    int on = dev->uv_loaded && region >= 0 && region < dev->n_regions &&
             dev->regions[region].uv_mv > 0 && dev->regions[region].uv_mv < dev->uv.vmin_mv;
    pthread_mutex_unlock(&dev->lock);
    return on;
}

typedef struct uv_count {
    uint64_t injected, corrected, detected, undetected;
} uv_count;

/* Operand bytes [0, len) streamed through buffer `which` of region r: flips as the cells do. */
static int apply(uint64_t seed, uint64_t k, int ecc, uint8_t *data, size_t len, uv_count *c)
{
    uint8_t *taken = calloc(CELLS / 8 + 1, 1), *per_word = calloc(WORDS, 1);
    uint32_t *cells = malloc((size_t)(k ? k : 1) * sizeof *cells);
    if (!taken || !per_word || !cells) {
        free(taken), free(per_word), free(cells);
        return CHM_ENOMEM;
    }
    uint64_t n = 0;
    for (uint64_t i = 0; n < k && i < 64 * k + 1024; i++) {
        uint32_t cell = (uint32_t)(mix(seed + i) % CELLS);
        if (taken[cell / 8] & (1u << (cell % 8)))
            continue;
        taken[cell / 8] |= (uint8_t)(1u << (cell % 8));
        cells[n++] = cell;
        if (per_word[cell / 72] < 255)
            per_word[cell / 72]++;
    }
    for (uint64_t i = 0; i < n; i++) {
        const uint32_t word = cells[i] / 72, bit = cells[i] % 72;
        if (bit >= 64)
            continue; /* a check bit: only counts toward its word's faults */
        const size_t b = (size_t)word * 8 + bit / 8;
        if (b >= len)
            continue;
        const uint64_t hits = (uint64_t)((len - 1 - b) / BUF_BYTES + 1);
        c->injected += hits;
        if (ecc && per_word[word] == 1) {
            c->corrected += hits;
            continue;
        }
        if (ecc && per_word[word] == 2)
            c->detected += hits; /* flagged: the command fails, its data never used */
        else
            c->undetected += hits;
        for (size_t j = b; j < len; j += BUF_BYTES)
            data[j] ^= (uint8_t)(1u << (bit % 8));
    }
    free(taken), free(per_word), free(cells);
    return CHM_OK;
}

int chm__uv_run_conv(chm_device *dev, int region, const chm_kop *op, char *why, size_t nwhy)
{
    pthread_mutex_lock(&dev->lock);
    const double mv = dev->regions[region].uv_mv;
    const int ecc = dev->regions[region].ecc;
    const uint64_t k = weak_count(&dev->uv, mv);
    const uint64_t seed = dev->fault_seed ^ mix((uint64_t)region + 1);
    pthread_mutex_unlock(&dev->lock);
    const chm_tensor *in = op->in[0], *w = op->in[1];
    uint8_t *a = malloc(in->bytes ? in->bytes : 1), *b = malloc(w->bytes ? w->bytes : 1);
    if (!a || !b) {
        free(a), free(b);
        return CHM_ENOMEM;
    }
    memcpy(a, in->mem, in->bytes);
    memcpy(b, w->mem, w->bytes);
    uv_count c = { 0 };
    int rc = apply(seed ^ mix(1), k, ecc, b, w->bytes, &c);
    if (!rc)
        rc = apply(seed ^ mix(2), k, ecc, a, in->bytes, &c);
    if (!rc && c.detected) {
        snprintf(why, nwhy, "region %d at %.0f mV: ECC detected %llu operand bits in words with "
                 "two faulty cells (uncorrectable); no output written", region, mv,
                 (unsigned long long)c.detected);
        rc = CHM_EDEVICE;
    } else if (!rc) {
        cnn_conv2d((const int8_t *)a, (const int8_t *)b, op->in[2] ? op->in[2]->mem : NULL,
                   op->mult, op->shift, op->out->mem, op->u.conv);
    }
    free(a), free(b);
    pthread_mutex_lock(&dev->lock);
    chm_region *r = &dev->regions[region];
    r->f_injected += c.injected, r->f_corrected += c.corrected;
    r->f_detected += c.detected, r->f_undetected += c.undetected;
    pthread_mutex_unlock(&dev->lock);
    return rc;
}

void chm__uv_energy(const chm_device *dev, int region, chm_op_actions *a)
{
    if (!dev->uv_loaded || region < 0 || region >= dev->n_regions || dev->energy.onchip_byte < 0)
        return;
    const double mv = dev->regions[region].uv_mv;
    if (mv <= 0)
        return;
    const double s = (mv / dev->uv.nominal_mv) * (mv / dev->uv.nominal_mv);
    a->energy_uj -= (double)a->onchip_bytes * dev->energy.onchip_byte * 1e-6 * (1.0 - s);
}
