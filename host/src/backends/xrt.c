/*
 * xrt.c - the "xrt" backend: an Alveo card through XRT's C API, loaded at
 * run time (xrt_api.c), so this library builds and runs without XRT.
 *
 * The card holds one overlay xclbin at a time (XRT shells have one user
 * partition, UG1701): which modes its regions hold is the xclbin's mode
 * assignment (xrt_overlay.h). A mode change is a whole-card load of the
 * assignment's xclbin: the runtime drains every region and DMA channel
 * first (dev->gate), this backend saves every tensor to the host, loads,
 * and puts the tensors back (the load reprograms the memory controllers in
 * the user partition, so card memory does not survive it).
 *
 * Tensors are buffer objects in the memory group of their bank; a copy is a
 * BO write + sync; an operation is a run of the region's compute unit with
 * the argument list of the kernel's register map (kargs.h, the list the rtl
 * backend writes into registers), waited for with a timeout: a kernel that
 * does not finish fails with CHM_ETIMEDOUT and leaves its region FAILED
 * (its run is abandoned, never waited for again), so the host never hangs.
 * Card time is measured, run start to done; the model's figure stays
 * beside it in the trace. Copy and load times are the emulated card's models.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgpkt.h"
#include "xrt_card.h"
#include "xrt_power.h"

#define XRT_DEFAULT_TIMEOUT_MS 10000u

static xrt_card *card_of(chm_device *dev)
{
    return xrt__card(dev);
}

const char *xrt__errno(void)
{
    return errno ? strerror(errno) : "no errno";
}

static void free_none(xrt_card *c)
{
    for (int b = 0; b < PLATFORM_MAX_BANKS; b++)
        if (c->none[b]) {
            c->x.BOFree(c->none[b]);
            c->none[b] = NULL;
        }
}

/* The stand-ins for absent pointers, one in each bank the overlay has. */
static int make_none(xrt_card *c, uint32_t n_banks, char *why, size_t n)
{
    for (uint32_t b = 0; b < n_banks; b++) {
        errno = 0;
        if (c->ov.group[b] >= 0 && !(c->none[b] = c->x.BOAlloc(c->d, 64, 0, (uint32_t)c->ov.group[b]))) {
            snprintf(why, n, "no room for a 64-byte buffer in bank %u: %s", b, xrt__errno());
            free_none(c);
            return CHM_EDEVMEM;
        }
    }
    return CHM_OK;
}

static void close_kernels(xrt_card *c)
{
    for (int r = 0; r < CHM_MAX_REGIONS; r++)
        for (int k = 0; k < MODE_MAX_KERNELS; k++)
            if (c->kern[r][k]) {
                c->x.KernelClose(c->kern[r][k]);
                c->kern[r][k] = NULL;
            }
}

/* Opens each region's compute units: chm_<kernel>:{chm_<kernel>_r<region>}. */
static int open_kernels(xrt_card *c, char *why, size_t n)
{
    for (int r = 0; r < c->ov.n_regions; r++) {
        const mode_desc *m = mode_find((int)c->ov.mode[r]);
        for (int k = 0; m && k < m->n_kernels; k++) {
            char name[96];
            snprintf(name, sizeof name, "chm_%s:{chm_%s_r%d}", m->kernels[k], m->kernels[k], r);
            errno = 0;
            c->kern[r][k] = c->x.PLKernelOpen(c->d, c->ov.uuid, name);
            if (!c->kern[r][k]) {
                snprintf(why, n, "XRT cannot open kernel %s of %s: %s", name, c->ov.path,
                         xrt__errno());
                close_kernels(c);
                return CHM_EDEVICE;
            }
        }
    }
    return CHM_OK;
}

/* Loads the overlay xclbin of assign; c->ov describes it on success. */
static int load_overlay(chm_device *dev, xrt_card *c, const chm_mode *assign, char *why,
                        size_t n)
{
    char name[128], path[640];
    xrt_overlay ov;
    xrt_overlay_name(dev->plat, assign, name, sizeof name);
    snprintf(path, sizeof path, "%s/%s", xrt_overlay_dir(), name);
    if (xrt_overlay_read(dev->plat, path, &ov, why, n))
        return CHM_EMODE;
    for (uint32_t r = 0; r < dev->plat->n_regions; r++) {
        if (ov.mode[r] != assign[r]) {
            snprintf(why, n, "%s holds %s in region %u, its name says %s", path,
                     ov.mode[r] ? mode_find((int)ov.mode[r])->name : "no whole mode", r,
                     mode_find((int)assign[r])->name);
            return CHM_EFORMAT;
        }
    }
    errno = 0;
    if (c->x.DeviceLoadXclbinFile(c->d, path) != 0) {
        const int e = errno;
        snprintf(why, n, "XRT refused %s: %s%s", path, strerror(e),
                 e == EINVAL ? " (an interface UUID mismatch: the card's shell is not "
                               "the one the xclbin was built for; see dmesg)"
                 : e == EBUSY ? " (another process holds the card)" : "");
        return e == EBUSY ? CHM_EBUSY : CHM_EDEVICE;
    }
    c->ov = ov;
    return CHM_OK;
}

/* Does the file's header name uuid as its xclbin UUID? (456 bytes read, not the file.) */
static int header_uuid_is(const char *path, const unsigned char uuid[16])
{
    unsigned char h[456];
    FILE *f = fopen(path, "rb");
    int same = f && fread(h, 1, sizeof h, f) == sizeof h && !memcmp(h, "xclbin2", 8) &&
               !memcmp(h + 304 + 112, uuid, 16);
    if (f)
        fclose(f);
    return same;
}

/*
 * The overlay the card holds already, if it is one of this platform's (a
 * `chimera program` earlier, or another run): its assignment is adopted
 * rather than loading all-CNN over it. 1 if found.
 */
static int adopt_loaded(chm_device *dev, xrt_card *c, chm_mode *assign)
{
    unsigned char uuid[16];
    if (c->x.DeviceGetXclbinUUID(c->d, uuid) != 0)
        return 0;
    int total = 1;
    for (uint32_t r = 0; r < dev->plat->n_regions; r++)
        total *= 3;
    for (int a = 0; a < total; a++) {
        for (uint32_t r = 0, v = (uint32_t)a; r < dev->plat->n_regions; r++, v /= 3)
            assign[r] = (chm_mode)(1 + v % 3);
        char name[128], path[640];
        xrt_overlay_name(dev->plat, assign, name, sizeof name);
        snprintf(path, sizeof path, "%s/%s", xrt_overlay_dir(), name);
        if (header_uuid_is(path, uuid))
            return 1;
    }
    return 0;
}

/* Opens the card and gives it an overlay: the one it holds, else all regions CNN. */
static int bring_up(chm_device *dev, xrt_card *c, char *why, size_t n)
{
    errno = 0;
    const int bdf = strchr(dev->card, ':') != NULL;
    c->d = bdf ? c->x.DeviceOpenByBDF(dev->card)
               : c->x.DeviceOpen((unsigned)strtoul(dev->card, NULL, 10));
    if (!c->d) {
        snprintf(why, n, "XRT cannot open card %s: %s", dev->card, xrt__errno());
        return CHM_ENODEV;
    }
    /* its PCI address, for the board power each run is measured against */
    if (bdf)
        snprintf(c->bdf, sizeof c->bdf, "%.31s", dev->card);
    else if (xrt_card_bdf(atoi(dev->card), c->bdf, sizeof c->bdf))
        c->bdf[0] = '\0';
    chm_mode assign[CHM_MAX_REGIONS];
    int rc;
    if (adopt_loaded(dev, c, assign)) {
        char name[128], path[640];
        xrt_overlay_name(dev->plat, assign, name, sizeof name);
        snprintf(path, sizeof path, "%s/%s", xrt_overlay_dir(), name);
        rc = xrt_overlay_read(dev->plat, path, &c->ov, why, n) ? CHM_EFORMAT : CHM_OK;
    } else {
        for (int r = 0; r < CHM_MAX_REGIONS; r++)
            assign[r] = CHM_MODE_CNN;
        rc = load_overlay(dev, c, assign, why, n);
    }
    if (rc == CHM_OK)
        rc = open_kernels(c, why, n);
    if (rc == CHM_OK && (rc = make_none(c, dev->plat->n_banks, why, n)))
        close_kernels(c);
    if (rc != CHM_OK) {
        c->x.DeviceClose(c->d);
        return rc;
    }
    for (int r = 0; r < dev->n_regions; r++) { /* what the regions hold */
        dev->regions[r].mode = dev->regions[r].sched_mode = c->ov.mode[r];
        dev->regions[r].macs_per_cycle = chm__mode_macs(c->ov.mode[r]);
    }
    return CHM_OK;
}

static int xrt_open(chm_device *dev)
{
    char why[400];
    xrt_card *c = calloc(1, sizeof *c);
    if (!c)
        return CHM_ENOMEM;
    const char *t = getenv("CHIMERA_XRT_TIMEOUT_MS");
    c->timeout_ms = t && atoi(t) > 0 ? (unsigned)atoi(t) : XRT_DEFAULT_TIMEOUT_MS;
    int rc = CHM_ENODEV;
    if (xrt_api_load(&c->x, why, sizeof why) == 0) {
        rc = bring_up(dev, c, why, sizeof why);
        if (rc != CHM_OK)
            xrt_api_unload(&c->x);
    }
    if (rc != CHM_OK) {
        free(c);
        return chm__fail(NULL, "chm_device_open", rc == CHM_EMODE ? CHM_ENODEV : rc, "%s", why);
    }
    emu_card_init(&c->emu, dev->plat);
    dev->backend_data = c;
    return CHM_OK;
}

static void xrt_close(chm_device *dev)
{
    xrt_card *c = card_of(dev);
    xrt__release_hung(c);
    free_none(c);
    close_kernels(c);
    c->x.DeviceClose(c->d);
    xrt_api_unload(&c->x);
    emu_card_destroy(&c->emu);
    free(c);
    dev->backend_data = NULL;
}

/* ------------------------------------------------------------- memory */

static int bo_alloc(xrt_card *c, chm_tensor *t, xrt_tensor *xt)
{
    const int g = c->ov.group[t->bank];
    if (g < 0)
        return CHM_EDEVMEM;
    errno = 0;
    xt->bo = c->x.BOAlloc(c->d, (size_t)t->bytes, 0, (uint32_t)g);
    if (!xt->bo)
        return CHM_EDEVMEM;
    t->addr = c->x.BOAddress(xt->bo);
    return CHM_OK;
}

static int xrt_mem_alloc(chm_device *dev, chm_tensor *t)
{
    xrt_card *c = card_of(dev);
    xrt_tensor *xt = calloc(1, sizeof *xt);
    if (!xt)
        return CHM_ENOMEM;
    int rc = c->swapping ? ((xt->saved = calloc(1, (size_t)t->bytes)) ? CHM_OK : CHM_ENOMEM)
                         : bo_alloc(c, t, xt);
    if (rc) {
        free(xt);
        return rc;
    }
    t->mem = xt;
    return CHM_OK;
}

static void xrt_mem_free(chm_device *dev, chm_tensor *t)
{
    xrt_tensor *xt = t->mem;
    if (xt && xt->bo)
        card_of(dev)->x.BOFree(xt->bo);
    if (xt)
        free(xt->saved);
    free(xt);
    t->mem = NULL;
}

static int xrt_mem_touch(chm_device *dev, chm_tensor *t)
{
    (void)dev;
    return t->mem ? CHM_OK : CHM_EDEVMEM;
}

static int xrt_copy_to(chm_device *dev, chm_tensor *t, size_t off, const void *src, size_t n)
{
    xrt_card *c = card_of(dev);
    xrt_tensor *xt = t->mem;
    if (!xt->bo)
        return CHM_EDEVMEM;
    return c->x.BOWrite(xt->bo, src, n, off) || c->x.BOSync(xt->bo, XRT_SYNC_TO_DEVICE, n, off)
               ? CHM_EIO
               : CHM_OK;
}

static int xrt_copy_from(chm_device *dev, chm_tensor *t, size_t off, void *dst, size_t n)
{
    xrt_card *c = card_of(dev);
    xrt_tensor *xt = t->mem;
    if (!xt->bo)
        return CHM_EDEVMEM;
    return c->x.BOSync(xt->bo, XRT_SYNC_FROM_DEVICE, n, off) || c->x.BORead(xt->bo, dst, n, off)
               ? CHM_EIO
               : CHM_OK;
}

/* ------------------------------------------------------- reconfiguration */

/* Every tensor's bytes to the host and its buffer freed (dev->lock held). */
static int save_tensors_locked(chm_device *dev, xrt_card *c, char *why, size_t n)
{
    for (chm_tensor *t = dev->tensors; t; t = t->next) {
        xrt_tensor *xt = t->mem;
        if (!xt || !xt->bo)
            continue;
        xt->saved = malloc((size_t)t->bytes);
        if (!xt->saved || c->x.BOSync(xt->bo, XRT_SYNC_FROM_DEVICE, (size_t)t->bytes, 0) ||
            c->x.BORead(xt->bo, xt->saved, (size_t)t->bytes, 0)) {
            snprintf(why, n, "cannot save a %llu-byte tensor before the load: %s",
                     (unsigned long long)t->bytes, xt->saved ? xrt__errno() : "no host memory");
            return CHM_EDEVICE;
        }
        c->x.BOFree(xt->bo);
        xt->bo = NULL;
    }
    return CHM_OK;
}

/* Every saved tensor back on the card (dev->lock held); the ones that do not fit are lost. */
static int restore_tensors_locked(chm_device *dev, xrt_card *c, char *why, size_t n)
{
    int rc = CHM_OK;
    for (chm_tensor *t = dev->tensors; t; t = t->next) {
        xrt_tensor *xt = t->mem;
        if (!xt || !xt->saved)
            continue;
        if (bo_alloc(c, t, xt) != CHM_OK ||
            c->x.BOWrite(xt->bo, xt->saved, (size_t)t->bytes, 0) ||
            c->x.BOSync(xt->bo, XRT_SYNC_TO_DEVICE, (size_t)t->bytes, 0)) {
            snprintf(why, n, "a %llu-byte tensor in bank %d could not be put back after the load",
                     (unsigned long long)t->bytes, t->bank);
            rc = CHM_EDEVMEM;
        }
        free(xt->saved);
        xt->saved = NULL;
    }
    return rc;
}

static int xrt_reconf_prepare(chm_device *dev, int region, chm_mode mode, char *why, size_t n)
{
    xrt_card *c = card_of(dev);
    for (int r = 0; r < c->ov.n_regions; r++)
        c->next[r] = c->ov.mode[r];
    c->next[region] = mode;
    close_kernels(c);
    free_none(c);
    pthread_mutex_lock(&dev->lock);
    c->swapping = 1;
    int rc = save_tensors_locked(dev, c, why, n);
    pthread_mutex_unlock(&dev->lock);
    return rc;
}

static int xrt_reconf_write(chm_device *dev, int region, chm_mode mode, const uint8_t *bits,
                            size_t len, char *why, size_t n)
{
    (void)region, (void)mode, (void)bits, (void)len;
    xrt_card *c = card_of(dev);
    int rc = load_overlay(dev, c, c->next, why, n);
    if (rc == CHM_OK)
        xrt__release_hung(c); /* the load reset the compute units */
    return rc;
}

/* After a failed load the card still holds what it held (XRT refuses before it writes). */
static int xrt_reconf_complete(chm_device *dev, int region, chm_mode mode, int ok, char *why,
                               size_t n)
{
    (void)region, (void)mode, (void)ok;
    xrt_card *c = card_of(dev);
    pthread_mutex_lock(&dev->lock);
    c->swapping = 0;
    int rc = restore_tensors_locked(dev, c, why, n);
    pthread_mutex_unlock(&dev->lock);
    const size_t used = rc ? strlen(why) : 0;
    int rk = open_kernels(c, why + used, n - used);
    if (rk == CHM_OK)
        rk = make_none(c, dev->plat->n_banks, why + used, n - used);
    return rc ? rc : rk;
}

static void xrt_describe(chm_device *dev, chm_device_info *info)
{
    xrt_card *c = card_of(dev);
    snprintf(info->card, sizeof info->card, "%s", dev->card);
    snprintf(info->xclbin, sizeof info->xclbin, "%s", c->ov.path);
    memcpy(info->xclbin_uuid, c->ov.uuid, 16);
    snprintf(info->bdf, sizeof info->bdf, "%s", c->bdf);
    info->power_w = c->bdf[0] ? xrt_card_power_w(c->bdf) : -1.0;
}

/* A whole-card load writes every region's frames (the user partition). */
static size_t xrt_reconf_bytes(chm_device *dev, int region, chm_mode mode)
{
    (void)region, (void)mode;
    size_t bytes = 0;
    for (uint32_t r = 0; r < dev->plat->n_regions; r++)
        bytes += (size_t)dev->plat->regions[r].frames * CFG_FRAME_WORDS * 4;
    return bytes;
}

/* No per-region containers: a load finds the assignment's xclbin itself. */
static uint8_t *xrt_container_for(chm_device *dev, int region, chm_mode mode, size_t *len)
{
    (void)dev, (void)region, (void)mode;
    *len = 0;
    return NULL;
}

const chm_backend_ops chm_xrt_backend = {
    .name = "xrt",
    .shell = PLATFORM_SHELL_XRT,
    .open = xrt_open,
    .close = xrt_close,
    .mem_alloc = xrt_mem_alloc,
    .mem_free = xrt_mem_free,
    .mem_touch = xrt_mem_touch,
    .copy_to = xrt_copy_to,
    .copy_from = xrt_copy_from,
    .run = xrt__run,
    .last_run_us = xrt__last_run_us,
    .shares_banks = 1,
    .last_run_uj = xrt__last_run_uj,
    .describe = xrt_describe,
    .container_for = xrt_container_for,
    .reconf_prepare = xrt_reconf_prepare,
    .reconf_write = xrt_reconf_write,
    .reconf_complete = xrt_reconf_complete,
    .reconf_bytes = xrt_reconf_bytes,
    /* the modelled estimates (copy and kernel times, the GRAPH plan): the emulated card's */
    .inherit = &chm_emu_backend,
};
