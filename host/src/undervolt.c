/*
 * undervolt.c - a region's on-chip memories below the safe voltage: where
 * this card's weak cells are, what they do to the operands streaming
 * through the CNN mode's tile buffers, what SECDED ECC makes of it, and the
 * (V/Vnom)^2 scaling of on-chip dynamic energy, and the GEMM core's
 * Huang-Abraham checksums (ABFT). See chimera.h.
 *
 * Weak cells: a fixed pseudo-random sequence of cell positions per card,
 * region and buffer; at voltage V the first k of them are faulty, k = rate(V)
 * x cells (rounded), so the faults at a voltage stay faulty at every lower
 * one. A buffer is CNN_TILE_K x 32 bytes (128 KiB) of data in 72-bit words
 * (64 data + 8 check bits).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnn_config.h"
#include "cnn_kernels.h"
#include "device.h"
#include "graph_kernels.h"
#include "hls_quant.h"
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

/* The same for a buffer of buf bytes (72-bit words of 8 data bytes). */
static uint64_t weak_in(const undervolt_params *p, double mv, size_t buf)
{
    return (uint64_t)llround(rate(p, mv) * (double)(buf / 8 * 72));
}

/* ---------------------------------------------------------------- API */

/* rtl: the setting is simulated there too (voltage, ECC: the RTL tile buffers' weak cells),
 * or only on emu (ABFT, accumulator upsets: not in the RTL). */
static int check_on(chm_device *dev, const char *who, int region, int rtl)
{
    if (!dev)
        return chm__fail(NULL, who, CHM_EINVAL, "dev is NULL");
    if (region < -1 || region >= dev->n_regions)
        return chm__fail(dev, who, CHM_EINVAL, "region %d: the device has %d (or -1 for all)",
                         region, dev->n_regions);
    if (strcmp(dev->be->name, "emu") && (!rtl || strcmp(dev->be->name, "rtl")))
        return chm__fail(dev, who, CHM_ELIMIT, "%s (this device is %s)",
                         rtl ? "on-chip memory voltage is modelled on emu and rtl only"
                             : "modelled on emu only: the RTL has no ABFT checksums or "
                               "accumulator upsets",
                         dev->be->name);
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

static int check(chm_device *dev, const char *who, int region)
{
    return check_on(dev, who, region, 1);
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

/* Sets a region's ECC or ABFT switch (every region's for -1), after the queued work. */
static int set_protection(chm_device *dev, const char *who, int region, int abft, int on)
{
    CHECK(check_on(dev, who, region, !abft));
    chm_finish(dev);
    pthread_mutex_lock(&dev->lock);
    for (int r = 0; r < dev->n_regions; r++)
        if (region < 0 || r == region)
            *(abft ? &dev->regions[r].abft : &dev->regions[r].ecc) = on != 0;
    pthread_mutex_unlock(&dev->lock);
    return CHM_OK;
}

int chm_region_set_ecc(chm_device *dev, int region, int on)
{
    return set_protection(dev, __func__, region, 0, on);
}

int chm_region_set_abft(chm_device *dev, int region, int on)
{
    return set_protection(dev, __func__, region, 1, on);
}

int chm_region_set_acc_upsets(chm_device *dev, int region, double per_accumulator)
{
    CHECK(check_on(dev, __func__, region, 0));
    if (!(per_accumulator >= 0.0 && per_accumulator <= 1.0))
        return CHM_FAIL(dev, CHM_ERANGE, "per_accumulator %g: a probability, 0 to 1", per_accumulator);
    chm_finish(dev); /* queued work runs as it was queued */
    pthread_mutex_lock(&dev->lock);
    for (int r = 0; r < dev->n_regions; r++)
        if (region < 0 || r == region)
            dev->regions[r].acc_rate = per_accumulator;
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
    out->abft = r->abft;
    out->abft_flagged = r->abft_flagged, out->abft_recomputed = r->abft_recomputed;
    out->abft_failed = r->abft_failed;
    out->acc_upset_rate = r->acc_rate, out->acc_tiles = r->acc_tiles;
    out->acc_upsets = r->acc_upsets, out->acc_data_upsets = r->acc_data;
    out->acc_detected = r->acc_detected, out->acc_corrected = r->acc_corrected;
    out->acc_tiles_recomputed = r->acc_redone, out->acc_undetected = r->acc_undetected;
    pthread_mutex_unlock(&dev->lock);
    return CHM_OK;
}

/* ------------------------------------------------------------- faults */

int chm__uv_active(chm_device *dev, int region)
{
    pthread_mutex_lock(&dev->lock);
    int on = dev->uv_loaded && region >= 0 && region < dev->n_regions &&
             ((dev->regions[region].uv_mv > 0 && dev->regions[region].uv_mv < dev->uv.vmin_mv) ||
              dev->regions[region].acc_rate > 0);
    pthread_mutex_unlock(&dev->lock);
    return on;
}

typedef struct uv_count {
    uint64_t injected, corrected, detected, undetected;
} uv_count;

/*
 * Where an operand's bytes sit in a buffer of buf bytes: in rows of row bytes, source row s
 * in slot s mod slots (slot bytes apart, its byte c at c), the GRAPH window's way; or, with
 * slots 0, byte i at buffer byte (i + place) mod buf, the way operands stream through the
 * CNN tile buffers and the resident GRAPH weights.
 */
typedef struct placing {
    size_t buf, place, row, slot, slots;
} placing;

/* Operand bytes [0, len) read through the buffer (seeded cells, k of them weak) as
 * placed by *pl: flips as the cells do, ECC's verdict per word, counted in *c. */
static int apply_at(uint64_t seed, uint64_t k, int ecc, const placing *pl, uint8_t *data, size_t len,
                    uv_count *c)
{
    const size_t words = pl->buf / 8, cells_n = words * 72;
    uint8_t *taken = calloc(cells_n / 8 + 1, 1), *per_word = calloc(words, 1);
    uint32_t *cells = malloc((size_t)(k ? k : 1) * sizeof *cells);
    if (!taken || !per_word || !cells) {
        free(taken), free(per_word), free(cells);
        return CHM_ENOMEM;
    }
    uint64_t n = 0;
    for (uint64_t i = 0; n < k && i < 64 * k + 1024; i++) {
        uint32_t cell = (uint32_t)(mix(seed + i) % cells_n);
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
        const size_t bb = (size_t)word * 8 + bit / 8;
        size_t first, step;
        if (pl->slots) {
            if (bb % pl->slot >= pl->row)
                continue; /* past the row's end: holds nothing */
            first = bb / pl->slot * pl->row + bb % pl->slot, step = pl->slots * pl->row;
        } else {
            first = (bb + pl->buf - pl->place % pl->buf) % pl->buf, step = pl->buf;
        }
        if (first >= len)
            continue;
        const uint64_t hits = (uint64_t)((len - 1 - first) / step + 1);
        c->injected += hits;
        if (ecc && per_word[word] == 1) {
            c->corrected += hits;
            continue;
        }
        if (ecc && per_word[word] == 2)
            c->detected += hits; /* flagged: the command fails, its data never used */
        else
            c->undetected += hits;
        for (size_t j = first; j < len; j += step)
            data[j] ^= (uint8_t)(1u << (bit % 8));
    }
    free(taken), free(per_word), free(cells);
    return CHM_OK;
}

/* Operand bytes [0, len) streamed through a CNN tile buffer, byte i at buffer byte
 * (i + place) mod BUF_BYTES. */
static int apply(uint64_t seed, uint64_t k, int ecc, size_t place, uint8_t *data, size_t len,
                 uv_count *c)
{
    const placing pl = { BUF_BYTES, place, 0, 0, 0 };
    return apply_at(seed, k, ecc, &pl, data, len, c);
}

/*
 * ABFT: the output tiles (CNN_PE_ROWS pixels x CNN_PE_COLS channels of a
 * group) whose checksums disagree when the array multiplies the operands
 * as read (af, bf) while the checksums were encoded from them as they came
 * from card memory (ac, bc). By linearity the checks' differences are
 *   column check (row tile R, channel j): sum over m in R, k of (af - ac)[m][k] x bf[j][k]
 *   row check (pixel m, column tile T):  sum over j in T, k of af[m][k] x (bf - bc)[j][k]
 * (k a window tap; a padding tap reads in_zp and is not in the tensor), so
 * they are summed from the changed bytes only. Returns the tiles flagged,
 * or -1 if out of memory.
 */
static int64_t abft_flags(const cnn_conv_desc *d, const int8_t *ac, const int8_t *af, size_t na,
                          const int8_t *bc, const int8_t *bf, size_t nb)
{
    const int64_t m_all = (int64_t)d->n * d->oh * d->ow, rt = (m_all + CNN_PE_ROWS - 1) / CNN_PE_ROWS;
    const int32_t icg = d->ic / d->groups, ocg = d->oc / d->groups;
    const int64_t ct = (ocg + CNN_PE_COLS - 1) / CNN_PE_COLS, taps = (int64_t)d->kh * d->kw * icg;
    uint8_t *flag = calloc((size_t)(d->groups * rt * ct), 1);
    int64_t *col = calloc((size_t)(rt * d->oc), sizeof *col), *row = malloc((size_t)m_all * sizeof *row);
    if (!flag || !col || !row) {
        free(flag), free(col), free(row);
        return -1;
    }
    /* column checks: each changed input byte, through every window that reads it */
    for (size_t i = 0; i < na; i++) {
        if (af[i] == ac[i])
            continue;
        const int64_t delta = (int64_t)af[i] - ac[i];
        const int32_t c = (int32_t)(i % (size_t)d->ic), g = c / icg, cc = c % icg;
        const int64_t pix = (int64_t)(i / (size_t)d->ic);
        const int32_t ix = (int32_t)(pix % d->iw), iy = (int32_t)(pix / d->iw % d->ih);
        const int64_t b = pix / ((int64_t)d->iw * d->ih);
        for (int32_t ky = 0; ky < d->kh; ky++)
            for (int32_t kx = 0; kx < d->kw; kx++) {
                const int32_t ty = iy + d->pad_t - ky * d->dil_h, tx = ix + d->pad_l - kx * d->dil_w;
                if (ty < 0 || tx < 0 || ty % d->stride_h || tx % d->stride_w ||
                    ty / d->stride_h >= d->oh || tx / d->stride_w >= d->ow)
                    continue;
                const int64_t m = (b * d->oh + ty / d->stride_h) * d->ow + tx / d->stride_w;
                for (int32_t j = g * ocg; j < (g + 1) * ocg; j++)
                    col[m / CNN_PE_ROWS * d->oc + j] +=
                        delta * bf[(size_t)(((int64_t)j * d->kh + ky) * d->kw + kx) * icg + cc];
            }
    }
    for (int64_t r = 0; r < rt; r++)
        for (int32_t j = 0; j < d->oc; j++)
            if (col[r * d->oc + j])
                flag[((int64_t)(j / ocg) * rt + r) * ct + (j % ocg) / CNN_PE_COLS] = 1;
    /* row checks: one column tile at a time, from its changed weight bytes */
    for (int32_t g = 0; g < d->groups; g++)
        for (int64_t t = 0; t < ct; t++) {
            const int32_t j0 = g * ocg + (int32_t)t * CNN_PE_COLS;
            const int32_t j1 = j0 + CNN_PE_COLS < (g + 1) * ocg ? j0 + CNN_PE_COLS : (g + 1) * ocg;
            int any = 0;
            for (size_t i = (size_t)(j0 * taps); i < (size_t)(j1 * taps) && i < nb; i++)
                any |= bf[i] != bc[i];
            if (!any)
                continue;
            memset(row, 0, (size_t)m_all * sizeof *row);
            for (size_t i = (size_t)(j0 * taps); i < (size_t)(j1 * taps) && i < nb; i++) {
                if (bf[i] == bc[i])
                    continue;
                const int64_t delta = (int64_t)bf[i] - bc[i], rem = (int64_t)(i % (size_t)taps);
                const int32_t ky = (int32_t)(rem / ((int64_t)d->kw * icg));
                const int32_t kx = (int32_t)(rem / icg % d->kw), cc = (int32_t)(rem % icg);
                for (int64_t m = 0; m < m_all; m++) {
                    const int32_t ox = (int32_t)(m % d->ow), oy = (int32_t)(m / d->ow % d->oh);
                    const int64_t b = m / ((int64_t)d->ow * d->oh);
                    const int32_t iy = oy * d->stride_h - d->pad_t + ky * d->dil_h;
                    const int32_t ix = ox * d->stride_w - d->pad_l + kx * d->dil_w;
                    const int64_t a = iy >= 0 && iy < d->ih && ix >= 0 && ix < d->iw
                                          ? af[((b * d->ih + iy) * d->iw + ix) * d->ic + g * icg + cc]
                                          : d->in_zp;
                    row[m] += a * delta;
                }
            }
            for (int64_t m = 0; m < m_all; m++)
                if (row[m])
                    flag[((int64_t)g * rt + m / CNN_PE_ROWS) * ct + t] = 1;
        }
    int64_t n = 0;
    for (int64_t i = 0; i < d->groups * rt * ct; i++)
        n += flag[i];
    free(flag), free(col), free(row);
    return n;
}

/* The operands as the array reads them with their buffers' placement `place`: their
 * flipped copies in a and b, the counts added to *c, and (ABFT) the tiles flagged. */
static int read_through(uint64_t seed, uint64_t k, int ecc, int abft, size_t place,
                        const chm_kop *op, uint8_t *a, uint8_t *b, uv_count *c, int64_t *flagged)
{
    const chm_tensor *in = op->in[0], *w = op->in[1];
    memcpy(a, in->mem, in->bytes);
    memcpy(b, w->mem, w->bytes);
    int rc = apply(seed ^ mix(1), k, ecc, place, b, w->bytes, c);
    if (!rc)
        rc = apply(seed ^ mix(2), k, ecc, place, a, in->bytes, c);
    *flagged = 0;
    if (!rc && abft) {
        *flagged = abft_flags(&op->u.conv, in->mem, (const int8_t *)a, in->bytes, w->mem,
                              (const int8_t *)b, w->bytes);
        if (*flagged < 0)
            rc = CHM_ENOMEM;
    }
    return rc;
}

/* ------------------------------------------------ accumulator upsets */

/* Passes of a tile the checks could not sort out, redone before its command fails: the
 * upsets are transient, so each pass draws anew (a tile's redo costs its own cycles only). */
#define ACC_RETRIES 3

typedef struct acc_count {
    uint64_t tiles, upsets, data, detected, corrected, redone, undetected, flagged;
    uint64_t mismatch; /* accumulators whose output this model and the kernel disagree on */
} acc_count;

/* One upset: data accumulator (r, c); r < 0: the column check of c; c < 0: the row check
 * of r; both < 0: the corner. d: what it added to the accumulator. */
typedef struct upset {
    int32_t r, c;
    int64_t d;
    int fix; /* the correction the output stage applied, not an upset */
} upset;

/* The raw accumulator sum x * w of output pixel m, channel j as the array forms it (a
 * padding tap reads in_zp), over the operands as read; *colsum: the weights' sum. */
static int32_t acc_at(const cnn_conv_desc *d, const int8_t *a, const int8_t *b, int64_t m,
                      int32_t j, int32_t *colsum)
{
    const int32_t icg = d->ic / d->groups, g = j / (d->oc / d->groups);
    const int32_t ox = (int32_t)(m % d->ow), oy = (int32_t)(m / d->ow % d->oh);
    const int64_t img = m / ((int64_t)d->ow * d->oh);
    int32_t s = 0, cs = 0;
    for (int32_t ky = 0; ky < d->kh; ky++)
        for (int32_t kx = 0; kx < d->kw; kx++) {
            const int32_t iy = oy * d->stride_h - d->pad_t + ky * d->dil_h;
            const int32_t ix = ox * d->stride_w - d->pad_l + kx * d->dil_w;
            const int inside = iy >= 0 && iy < d->ih && ix >= 0 && ix < d->iw;
            const int64_t x = inside ? ((img * d->ih + iy) * d->iw + ix) * d->ic + g * icg : 0;
            const int8_t *w = b + (((int64_t)j * d->kh + ky) * d->kw + kx) * icg;
            for (int32_t cc = 0; cc < icg; cc++) {
                s += (inside ? a[x + cc] : (int8_t)d->in_zp) * w[cc];
                cs += w[cc];
            }
        }
    *colsum = cs;
    return s;
}

/* The output stage on one accumulator (cnn_conv.c's store). */
static int8_t out_of(const chm_kop *op, int64_t acc, int32_t colsum, int32_t j)
{
    const cnn_conv_desc *d = &op->u.conv;
    const int32_t q = d->per_tensor ? 0 : j;
    int64_t v = acc - (int64_t)d->in_zp * colsum;
    if (d->has_bias)
        v += ((const int32_t *)op->in[2]->mem)[j];
    return hls_requant_int8(hls_sat32(v), op->mult[q], op->shift[q], d->out_zp, d->act_min,
                            d->act_max);
}

/* The next of a seeded sequence; a uniform draw in (0, 1]; the gap to the next upset at
 * probability p. */
static uint64_t next(uint64_t *st)
{
    *st += 0x9e3779b97f4a7c15ull;
    return mix(*st);
}

static double unit(uint64_t *st)
{
    return ((double)(next(st) >> 11) + 1.0) * 0x1.0p-53;
}

static uint64_t gap(uint64_t *st, double p)
{
    if (p >= 1.0)
        return 0;
    const double g = floor(log(unit(st)) / log1p(-p));
    return g > 1e18 ? (uint64_t)1e18 : (uint64_t)g;
}

/* One pass of a tile (nr x nc data accumulators at pixel m0, channel j0) with its upsets
 * drawn from *st; with ABFT, the checks' verdict. Returns 1 if the checks could not
 * locate the upsets (recompute), else 0 with the tile's wrong outputs written to o. */
static int tile_pass(const chm_kop *op, const int8_t *a, const int8_t *b, int8_t *o, int64_t m0,
                     int32_t j0, int32_t nr, int32_t nc, double p, int abft, uint64_t *st,
                     acc_count *n)
{
    const cnn_conv_desc *d = &op->u.conv;
    const uint64_t data = (uint64_t)nr * nc, all = data + (abft ? (uint64_t)nr + nc + 1 : 0);
    upset u[CNN_PE_ROWS * CNN_PE_COLS + CNN_PE_ROWS + CNN_PE_COLS + 2]; /* every accumulator, a fix */
    int nu = 0;
    n->tiles++;
    for (uint64_t i = gap(st, p); i < all; i += 1 + gap(st, p)) {
        n->upsets++;
        const uint64_t draw = next(st);
        upset x = { -1, -1, 0, 0 };
        if (i < data) {
            x.r = (int32_t)(i / (uint64_t)nc), x.c = (int32_t)(i % (uint64_t)nc);
            int32_t cs;
            const int32_t v = acc_at(d, a, b, m0 + x.r, j0 + x.c, &cs);
            /* the model's own check: unflipped, its output is the kernel's */
            n->mismatch += out_of(op, v, cs, j0 + x.c) != o[(m0 + x.r) * d->oc + j0 + x.c];
            const int32_t f = (int32_t)((uint32_t)v ^ (1u << (draw % 32)));
            x.d = (int64_t)f - v;
            n->data++;
        } else {
            /* a checksum (48 bits): the flipped bit's value is not worked out (the checksums
             * are not computed), so whether it adds or takes away is drawn */
            const uint64_t k = i - data;
            x.r = k < (uint64_t)nr ? (int32_t)k : -1;
            x.c = k >= (uint64_t)nr && k < (uint64_t)nr + nc ? (int32_t)(k - nr) : -1;
            const int bit = (int)(draw % 96);
            x.d = (bit & 1 ? 1 : -1) * ((int64_t)1 << (bit / 2));
        }
        u[nu++] = x;
    }
    int redo = 0;
    if (abft && nu) {
        /* the residual of each row check (the tile's row sums against the checksum column)
         * and of each column check */
        int64_t row[CNN_PE_ROWS] = { 0 }, col[CNN_PE_COLS] = { 0 };
        for (int i = 0; i < nu; i++) {
            if (u[i].r >= 0 && u[i].c >= 0)
                row[u[i].r] += u[i].d, col[u[i].c] += u[i].d;
            else if (u[i].r >= 0)
                row[u[i].r] -= u[i].d;
            else if (u[i].c >= 0)
                col[u[i].c] -= u[i].d;
        }
        int nr_bad = 0, nc_bad = 0, rb = -1, cb = -1;
        for (int32_t r = 0; r < nr; r++)
            if (row[r])
                nr_bad++, rb = r;
        for (int32_t c = 0; c < nc; c++)
            if (col[c])
                nc_bad++, cb = c;
        const int flagged = nr_bad || nc_bad;
        n->flagged += (uint64_t)flagged;
        for (int i = 0; i < nu; i++)
            n->detected += (uint64_t)(flagged && u[i].r >= 0 && u[i].c >= 0);
        if (nr_bad == 1 && nc_bad == 1 && row[rb] == col[cb]) {
            /* one accumulator off by the same amount in its row and its column: the output
             * stage takes the residual off it (right unless the upsets conspired) */
            int64_t left = -row[rb];
            int hits = 0;
            for (int i = 0; i < nu; i++)
                if (u[i].r == rb && u[i].c == cb)
                    left += u[i].d, hits++;
            u[nu++] = (upset){ rb, cb, -row[rb], 1 };
            if (!left)
                n->corrected += (uint64_t)hits;
        } else if (nr_bad + nc_bad > 1) {
            redo = 1;
        }
    }
    if (redo)
        return 1;
    /* used wrong: each data accumulator whose upsets (and any correction) do not cancel */
    for (int i = 0; i < nu; i++) {
        int first = u[i].r >= 0 && u[i].c >= 0, hits = 0;
        int64_t sum = 0;
        for (int k = 0; first && k < nu; k++)
            if (u[k].r == u[i].r && u[k].c == u[i].c) {
                first = k >= i;
                sum += u[k].d, hits += !u[k].fix;
            }
        if (!first || !sum)
            continue;
        int32_t cs;
        const int64_t m = m0 + u[i].r;
        const int32_t j = j0 + u[i].c;
        const uint32_t v = (uint32_t)acc_at(d, a, b, m, j, &cs) + (uint32_t)(uint64_t)sum;
        o[m * d->oc + j] = out_of(op, (int32_t)v, cs, j);
        n->undetected += (uint64_t)(hits ? hits : 1); /* a miscorrection alone: one */
    }
    return 0;
}

/* The conv on the operands as read (a, b) with accumulator upsets at probability p, each
 * tile checked by ABFT if on; the outputs reach op->out only if no tile failed. */
static int acc_run(const chm_kop *op, const uint8_t *a, const uint8_t *b, double p, int abft,
                   uint64_t seed, acc_count *n, int *failed)
{
    const cnn_conv_desc *d = &op->u.conv;
    int8_t *o = malloc(op->out->bytes ? op->out->bytes : 1);
    if (!o)
        return CHM_ENOMEM;
    const int8_t *ai = (const int8_t *)a, *bi = (const int8_t *)b;
    cnn_conv2d(ai, bi, op->in[2] ? op->in[2]->mem : NULL, op->mult, op->shift, o, *d);
    const int64_t mall = (int64_t)d->n * d->oh * d->ow, rt = (mall + CNN_PE_ROWS - 1) / CNN_PE_ROWS;
    const int32_t ocg = d->oc / d->groups, ct = (ocg + CNN_PE_COLS - 1) / CNN_PE_COLS;
    *failed = 0;
    uint64_t tile = 0;
    for (int32_t g = 0; g < d->groups && !*failed; g++)
        for (int64_t mt = 0; mt < rt && !*failed; mt++)
            for (int32_t nt = 0; nt < ct && !*failed; nt++, tile++) {
                const int64_t m0 = mt * CNN_PE_ROWS;
                const int32_t j0 = g * ocg + nt * CNN_PE_COLS;
                const int32_t nr = (int32_t)(mall - m0 < CNN_PE_ROWS ? mall - m0 : CNN_PE_ROWS);
                const int32_t nc = ocg - nt * CNN_PE_COLS < CNN_PE_COLS ? ocg - nt * CNN_PE_COLS : CNN_PE_COLS;
                uint64_t st = seed ^ mix(tile);
                int redo = tile_pass(op, ai, bi, o, m0, j0, nr, nc, p, abft, &st, n);
                for (int k = 0; redo && k < ACC_RETRIES; k++) {
                    n->redone++;
                    redo = tile_pass(op, ai, bi, o, m0, j0, nr, nc, p, abft, &st, n);
                }
                *failed = redo;
            }
    if (!*failed && !n->mismatch)
        memcpy(op->out->mem, o, op->out->bytes);
    free(o);
    return CHM_OK;
}

int chm__uv_run_conv(chm_device *dev, int region, const chm_kop *op, char *why, size_t nwhy)
{
    pthread_mutex_lock(&dev->lock);
    const double mv = dev->regions[region].uv_mv;
    const int ecc = dev->regions[region].ecc, abft = dev->regions[region].abft;
    const uint64_t k = weak_count(&dev->uv, mv);
    const uint64_t seed = dev->fault_seed ^ mix((uint64_t)region + 1);
    const double p_acc = dev->regions[region].acc_rate;
    const uint64_t cmd = p_acc > 0 ? dev->regions[region].acc_cmds++ : 0;
    pthread_mutex_unlock(&dev->lock);
    const chm_tensor *in = op->in[0], *w = op->in[1];
    uint8_t *a = malloc(in->bytes ? in->bytes : 1), *b = malloc(w->bytes ? w->bytes : 1);
    if (!a || !b) {
        free(a), free(b);
        return CHM_ENOMEM;
    }
    uv_count c = { 0 }, used = { 0 };
    acc_count u = { 0 };
    int64_t flagged = 0, again = 0;
    int recomputed = 0, failed = 0;
    int rc = read_through(seed, k, ecc, abft, 0, op, a, b, &used, &flagged);
    if (!rc && abft && (used.detected || flagged)) {
        /* caught (by ECC or the checksums): once more, the operands in the buffers' other
         * half; what the first pass read wrong was never used */
        c.injected += used.injected, c.corrected += used.corrected, c.detected += used.detected;
        c.detected += used.undetected;
        used = (uv_count){ 0 };
        recomputed = 1;
        rc = read_through(seed, k, ecc, abft, BUF_BYTES / 2, op, a, b, &used, &again);
        failed = !rc && (used.detected || again);
    }
    c.injected += used.injected, c.corrected += used.corrected, c.detected += used.detected;
    if (!rc && failed) {
        snprintf(why, nwhy, "region %d at %.0f mV: ABFT flagged %lld output tiles, and %lld "
                 "again after the recompute (ECC detected %llu operand bits); no output written",
                 region, mv, (long long)flagged, (long long)again,
                 (unsigned long long)used.detected);
        c.detected += used.undetected;
        rc = CHM_EDEVICE;
    } else if (!rc && used.detected) {
        snprintf(why, nwhy, "region %d at %.0f mV: ECC detected %llu operand bits in words with "
                 "two faulty cells (uncorrectable); no output written", region, mv,
                 (unsigned long long)used.detected);
        rc = CHM_EDEVICE;
    } else if (!rc && p_acc > 0) {
        c.undetected += used.undetected;
        int lost = 0;
        rc = acc_run(op, a, b, p_acc, abft, seed ^ mix(~cmd), &u, &lost);
        if (!rc && u.mismatch) {
            snprintf(why, nwhy, "emulator: the accumulator upset model disagrees with the conv "
                     "kernel on %llu outputs (a bug in undervolt.c); no output written",
                     (unsigned long long)u.mismatch);
            rc = CHM_EDEVICE;
        } else if (!rc && lost) {
            snprintf(why, nwhy, "region %d: ABFT could not place the accumulator upsets of an "
                     "output tile in %d passes; no output written", region, ACC_RETRIES + 1);
            failed = 1;
            rc = CHM_EDEVICE;
        }
    } else if (!rc) {
        c.undetected += used.undetected;
        cnn_conv2d((const int8_t *)a, (const int8_t *)b, op->in[2] ? op->in[2]->mem : NULL,
                   op->mult, op->shift, op->out->mem, op->u.conv);
    }
    free(a), free(b);
    pthread_mutex_lock(&dev->lock);
    chm_region *r = &dev->regions[region];
    r->f_injected += c.injected, r->f_corrected += c.corrected;
    r->f_detected += c.detected, r->f_undetected += c.undetected;
    r->abft_flagged += (uint64_t)(flagged + again);
    r->abft_recomputed += (uint64_t)recomputed, r->abft_failed += (uint64_t)failed;
    r->abft_flagged += u.flagged;
    r->acc_tiles += u.tiles, r->acc_upsets += u.upsets, r->acc_data += u.data;
    r->acc_detected += u.detected, r->acc_corrected += u.corrected;
    r->acc_redone += u.redone, r->acc_undetected += u.undetected;
    pthread_mutex_unlock(&dev->lock);
    return rc;
}

/*
 * GRAPH mode: a layer's features and weights as its on-chip buffers give them back. The
 * features come through the aggregation window (GRAPH_WINDOW rows of GRAPH_MAX_F
 * elements, source row s in row s mod GRAPH_WINDOW) in aggregate-first order, through the
 * combination core's A tile buffer (the CNN mode's, byte i at i mod 128 KiB) in
 * combine-first order; the weights (W, then GIN's W2) sit in the resident weight banks
 * (GRAPH_WBUF_BYTES) from byte 0. Not modelled: the combine-first intermediate X W^T in
 * the window, the accumulators, the edge rings. With ECC a word with two faulty cells
 * fails the command.
 */
int chm__uv_graph_operands(chm_device *dev, int region, const chm_kop *op, void **x, void **w,
                           void **w2, char *why, size_t nwhy)
{
    *x = *w = *w2 = NULL;
    pthread_mutex_lock(&dev->lock);
    const double mv = dev->regions[region].uv_mv;
    const int ecc = dev->regions[region].ecc;
    const uint64_t seed = dev->fault_seed ^ mix((uint64_t)region + 1);
    const int low = mv > 0 && mv < dev->uv.vmin_mv;
    pthread_mutex_unlock(&dev->lock);
    if (!low)
        return CHM_OK;
    const graph_desc *d = &op->u.graph;
    const size_t eb = d->int8 ? 1 : sizeof(float);
    const chm_tensor *tx = op->in[1], *tw = op->in[2], *tw2 = op->in[4];
    uint8_t *cx = malloc(tx->bytes ? tx->bytes : 1), *cw = malloc(tw->bytes ? tw->bytes : 1);
    uint8_t *cw2 = tw2 ? malloc(tw2->bytes ? tw2->bytes : 1) : NULL;
    if (!cx || !cw || (tw2 && !cw2)) {
        free(cx), free(cw), free(cw2);
        return CHM_ENOMEM;
    }
    memcpy(cx, tx->mem, tx->bytes);
    memcpy(cw, tw->mem, tw->bytes);
    if (cw2)
        memcpy(cw2, tw2->mem, tw2->bytes);
    const placing win = { (size_t)GRAPH_WINDOW * GRAPH_MAX_F * eb, 0, (size_t)d->f * eb,
                          (size_t)GRAPH_MAX_F * eb, GRAPH_WINDOW };
    const placing abuf = { BUF_BYTES, 0, 0, 0, 0 };
    const placing *px = d->order == GRAPH_CA ? &abuf : &win;
    const placing wb = { GRAPH_WBUF_BYTES, 0, 0, 0, 0 }, wb2 = { GRAPH_WBUF_BYTES, tw->bytes, 0, 0, 0 };
    const uint64_t kw = weak_in(&dev->uv, mv, GRAPH_WBUF_BYTES);
    uv_count c = { 0 };
    int rc = apply_at(seed ^ mix(d->order == GRAPH_CA ? 2 : 3), weak_in(&dev->uv, mv, px->buf), ecc,
                      px, cx, tx->bytes, &c);
    if (!rc)
        rc = apply_at(seed ^ mix(4), kw, ecc, &wb, cw, tw->bytes, &c);
    if (!rc && cw2)
        rc = apply_at(seed ^ mix(4), kw, ecc, &wb2, cw2, tw2->bytes, &c);
    if (!rc && c.detected) {
        snprintf(why, nwhy, "region %d at %.0f mV: ECC detected %llu GRAPH operand bits in words "
                 "with two faulty cells (uncorrectable); no output written", region, mv,
                 (unsigned long long)c.detected);
        rc = CHM_EDEVICE;
    }
    pthread_mutex_lock(&dev->lock);
    chm_region *r = &dev->regions[region];
    r->f_injected += c.injected, r->f_corrected += c.corrected;
    r->f_detected += c.detected, r->f_undetected += rc ? 0 : c.undetected;
    r->f_detected += rc == CHM_EDEVICE ? c.undetected : 0; /* never used */
    pthread_mutex_unlock(&dev->lock);
    if (rc) {
        free(cx), free(cw), free(cw2);
        return rc;
    }
    *x = cx, *w = cw, *w2 = cw2;
    return CHM_OK;
}

double chm__uv_rtl_faults(chm_device *dev, int region, uint64_t *seed, int *ecc)
{
    pthread_mutex_lock(&dev->lock);
    const double mv = dev->uv_loaded ? dev->regions[region].uv_mv : 0;
    const double frac = dev->uv_loaded ? rate(&dev->uv, mv) : 0;
    *seed = dev->fault_seed ^ mix((uint64_t)region + 1);
    *ecc = dev->regions[region].ecc;
    pthread_mutex_unlock(&dev->lock);
    return frac;
}

void chm__uv_rtl_count(chm_device *dev, int region, uint64_t injected, uint64_t corrected,
                       uint64_t detected, uint64_t undetected)
{
    pthread_mutex_lock(&dev->lock);
    chm_region *r = &dev->regions[region];
    r->f_injected += injected, r->f_corrected += corrected;
    r->f_detected += detected, r->f_undetected += undetected;
    pthread_mutex_unlock(&dev->lock);
}

uint64_t chm__uv_protection_cycles(const chm_device *dev, int region)
{
    if (region < 0 || region >= dev->n_regions)
        return 0;
    /* ECC: the decoder's output register (UltraScale+ OREG_ECC, UG573) on the buffers' read
     * path, once a command as the pipeline fills; ABFT: the checksum PE row and column, one
     * more step each for the operands to skew through and the tile to drain */
    return (uint64_t)(dev->regions[region].ecc ? 1 : 0) + (dev->regions[region].abft ? 2 : 0);
}

void chm__uv_energy(const chm_device *dev, int region, int conv, chm_op_actions *a)
{
    if (!dev->uv_loaded || region < 0 || region >= dev->n_regions)
        return;
    if (conv && dev->regions[region].abft && dev->energy.mac_int8 >= 0) {
        /* the checksum row and column: (rows + cols + 1) MACs beside each rows x cols */
        const uint64_t extra = a->macs_int8 * (CNN_PE_ROWS + CNN_PE_COLS + 1) /
                               ((uint64_t)CNN_PE_ROWS * CNN_PE_COLS);
        a->macs_int8 += extra;
        a->energy_uj += (double)extra * dev->energy.mac_int8 * 1e-6;
    }
    if (dev->energy.onchip_byte < 0)
        return;
    const double mv = dev->regions[region].uv_mv;
    if (mv <= 0)
        return;
    const double s = (mv / dev->uv.nominal_mv) * (mv / dev->uv.nominal_mv);
    a->energy_uj -= (double)a->onchip_bytes * dev->energy.onchip_byte * 1e-6 * (1.0 - s);
}
