/*
 * region.c - a reconfigurable region and its load sequence.
 *
 * The Linux fpga-region split: the region (this file) owns the state and the
 * sequence; the bridge is the DFX decoupler (a region decoupled takes no AXI
 * traffic); the manager is the backend's reconfiguration ops (backend.h):
 * on emu and rtl the ICAP model, which checks the packet stream as the
 * configuration logic would (bitstreams/cfgpkt.c); on xrt an xclbin load.
 * States:
 * EMPTY -> CONFIGURING -> CONFIGURED(mode), or FAILED, then reloadable.
 * A load is a command in the region's FIFO, so everything queued on the
 * region before it has drained when it starts (what the DFX AXI Shutdown
 * Manager waits for on a card); other regions keep running.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bs_util.h"
#include "container.h"
#include "device.h"

uint32_t chm__mode_macs(chm_mode mode)
{
    switch (mode) {
    case CHM_MODE_CNN: return CNN_PE_ROWS * CNN_PE_COLS;
    case CHM_MODE_SPARSE: return SPARSE_PEAK_MACS;
    case CHM_MODE_GRAPH: return CNN_PE_ROWS * CNN_PE_COLS; /* the combination engine's int8 array */
    default: return 0;
    }
}

int chm__mode_fits(const chm_device *dev, int region, chm_mode mode)
{
    const platform_resources *b = &dev->plat->regions[region].budget;
    const mode_desc *m = mode_find((int)mode);
    return m && m->needs.lut <= b->lut && m->needs.ff <= b->ff && m->needs.dsp <= b->dsp &&
           m->needs.bram <= b->bram && m->needs.uram <= b->uram && chm__mode_macs(mode) > 0;
}

/* Does mode fit the region's budget? Says which resource does not. */
static int check_fit(chm_device *dev, int region, chm_mode mode)
{
    const platform_resources *b = &dev->plat->regions[region].budget;
    const mode_desc *m = mode_find((int)mode);
    const struct { const char *what; uint32_t need, have; } r[] = {
        { "LUT", m->needs.lut, b->lut }, { "FF", m->needs.ff, b->ff },
        { "DSP", m->needs.dsp, b->dsp }, { "BRAM", m->needs.bram, b->bram },
        { "URAM", m->needs.uram, b->uram },
    };
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        if (r[i].need > r[i].have)
            return chm__fail(dev, "chm_region_load", CHM_ELIMIT,
                             "mode %s needs %u %s, region %d (%s) has %u", m->name, r[i].need,
                             r[i].what, region, dev->plat->regions[region].name, r[i].have);
    if (chm__mode_macs(mode) == 0)
        return chm__fail(dev, "chm_region_load", CHM_EMODE,
                         "mode %s has no kernels in this build yet", m->name);
    return CHM_OK;
}

/* Fills a load command for region from a checked container view. */
static void fill_load(chm_device *dev, chm_event *e, int region, chm_mode mode, size_t bits)
{
    e->engine = ENGINE_REGION0 + region;
    e->bytes = bits;
    e->load_mode = mode;
    /* ICAPE3: 4 bytes a cycle; MHz x 4 = bytes per microsecond. */
    e->dev_dur_us = (double)bits / (dev->plat->icap_mhz * 4.0);
    snprintf(e->name, sizeof e->name, "%sload %s (%.1f MB)", e->automatic ? "auto " : "",
             mode_find((int)mode)->name, (double)bits / 1e6);
}

/* The region will hold mode once its queued loads are done (dev->lock held). */
void chm__region_expect_locked(chm_region *r, chm_mode mode)
{
    r->sched_mode = mode;
    r->loads_queued++;
    r->state = CHM_REGION_CONFIGURING;
}

/*
 * Every check of a container file for region, before anything is touched:
 * its structure and shell, its signature under the device's trust policy,
 * the region it names, and its packets as the ICAP will see them (so that a
 * stream writing another region's frames never drains or decouples this one).
 */
static int check_file(chm_device *dev, int region, const char *path, const uint8_t *buf,
                      size_t len, container_view *out)
{
    const char *who = "chm_region_load";
    container_view v;
    char why[256];
    if (container_verify(buf, len, dev->plat, &v, why, sizeof why))
        return chm__fail(dev, who, CHM_EFORMAT, "\"%s\": %s", path, why);
    int sig = dev->sig_policy == CHM_SIG_OFF ? SIG_OK : sig_check(buf, len, dev->trust, why, sizeof why);
    if (sig == SIG_UNSIGNED && dev->sig_policy == CHM_SIG_IF_PRESENT)
        sig = SIG_OK;
    if (sig != SIG_OK) {
        static const int code[] = { [SIG_UNSIGNED] = CHM_EUNSIGNED, [SIG_UNTRUSTED] = CHM_EUNTRUSTED,
                                    [SIG_BAD] = CHM_EBADSIG, [SIG_MALFORMED] = CHM_EFORMAT };
        return chm__fail(dev, who, code[sig], "\"%s\": %s%s", path, why,
                        sig == SIG_UNSIGNED ? " (the trust policy requires a signature)" : "");
    }
    if (v.region != region)
        return chm__fail(dev, who, CHM_EFORMAT, "\"%s\" is built for region %d (%s), not region %d (%s)",
                        path, v.region, dev->plat->regions[v.region].name, region,
                        dev->plat->regions[region].name);
    if (dev->be->reconf_check(dev, region, v.bitstream, v.bitstream_len, why, sizeof why))
        return chm__fail(dev, who, CHM_EFORMAT, "\"%s\": bitstream for region %d (%s): %s", path, region,
                        dev->plat->regions[region].name, why);
    *out = v;
    return CHM_OK;
}

int chm_region_load(chm_device *dev, int region, const char *path, chm_event **ev)
{
    if (!dev || !path)
        return CHM_FAIL(dev, CHM_EINVAL, "dev and path must not be NULL");
    if (region < 0 || region >= dev->n_regions)
        return CHM_FAIL(dev, CHM_EINVAL, "region %d does not exist; %s has regions 0..%d", region,
                        dev->plat->name, dev->n_regions - 1);
    if (dev->card_wide)
        return CHM_FAIL(dev, CHM_EMODE, "\"%s\": the %s backend's shell loads whole-card xclbins, "
                        "not one region's container: use chm_region_load_mode (the runtime "
                        "loads the xclbin of the new mode assignment) or `chimera program`", path,
                        dev->be->name);
    size_t len;
    uint8_t *buf = bs_read_file(path, &len);
    if (!buf)
        return CHM_FAIL(dev, CHM_EIO, "cannot read \"%s\": %s", path, strerror(errno));
    container_view v = { 0 };
    int rc = check_file(dev, region, path, buf, len, &v);
    if (rc) {
        free(buf);
        return rc;
    }
    rc = check_fit(dev, region, (chm_mode)v.mode);
    chm_event *e = rc ? NULL : chm__event_new(dev, CMD_LOAD);
    if (!e) {
        free(buf);
        return rc ? rc : CHM_FAIL(dev, CHM_ENOMEM, "no host memory for the command");
    }
    e->file = buf;
    e->bitstream = v.bitstream;
    e->bitstream_len = v.bitstream_len;
    fill_load(dev, e, region, (chm_mode)v.mode, v.bitstream_len);
    rc = chm__submit(dev, e, NULL, 0, NULL, ev); /* sets what the region will hold */
    if (rc)
        return CHM_FAIL(dev, rc, "no host memory to queue the load");
    return CHM_OK;
}

/* Bytes an automatic load of mode into region writes (the backend's figure). */
static size_t auto_bits(chm_device *dev, int region, chm_mode mode)
{
    return dev->be->reconf_bytes(dev, region, mode);
}

/*
 * A load on a PLATFORM_CARD shell stops the whole card: on the modelled
 * timeline it starts when every engine (regions and DMA) is free and they
 * all resume after it. On a PLATFORM_REGION shell it is its region's alone.
 */
void chm__load_span_locked(chm_device *dev, chm_event *ev)
{
    chm_engine *eng = &dev->engines[ev->engine];
    double start = eng->dev_avail_us > ev->not_before_us ? eng->dev_avail_us : ev->not_before_us;
    if (dev->card_wide)
        for (int e = 0; e < dev->n_engines; e++)
            if (dev->engines[e].dev_avail_us > start)
                start = dev->engines[e].dev_avail_us;
    ev->dev_start_us = start;
    ev->dev_end_us = start + ev->dev_dur_us;
    eng->dev_avail_us = ev->dev_end_us;
    if (dev->card_wide)
        for (int e = 0; e < dev->n_engines; e++)
            dev->engines[e].dev_avail_us = ev->dev_end_us;
}

static chm_event *new_autoload_locked(chm_device *dev, int region, chm_mode mode)
{
    chm_event *e = chm__event_new(dev, CMD_LOAD);
    if (!e)
        return NULL;
    e->automatic = 1;
    fill_load(dev, e, region, mode, auto_bits(dev, region, mode));
    chm__region_expect_locked(&dev->regions[region], mode);
    return e;
}

int chm_region_load_mode(chm_device *dev, int region, chm_mode mode, chm_event **ev)
{
    if (!dev)
        return CHM_FAIL(dev, CHM_EINVAL, "dev is NULL");
    if (region < 0 || region >= dev->n_regions)
        return CHM_FAIL(dev, CHM_EINVAL, "region %d does not exist; %s has regions 0..%d", region,
                        dev->plat->name, dev->n_regions - 1);
    if (!mode_find((int)mode))
        return CHM_FAIL(dev, CHM_EINVAL, "mode %d is not CNN, SPARSE or GRAPH", (int)mode);
    int rc = check_fit(dev, region, mode);
    if (rc)
        return rc;
    if (!dev->be->container_for)
        return CHM_FAIL(dev, CHM_EMODE, "the %s backend has no containers of its own",
                        dev->be->name);
    chm_event *e = chm__event_new(dev, CMD_LOAD);
    if (!e)
        return CHM_FAIL(dev, CHM_ENOMEM, "no host memory for the command");
    e->automatic = 1;
    fill_load(dev, e, region, mode, auto_bits(dev, region, mode));
    rc = chm__submit(dev, e, NULL, 0, NULL, ev); /* sets what the region will hold */
    return rc ? CHM_FAIL(dev, rc, "no host memory to queue the load") : CHM_OK;
}

int chm__region_autoload_locked(chm_device *dev, int region, chm_mode mode)
{
    chm_event *e = new_autoload_locked(dev, region, mode);
    if (!e)
        return CHM_ENOMEM;
    chm_engine *eng = &dev->engines[ENGINE_REGION0 + region];
    chm__load_span_locked(dev, e);
    chm__engine_append(eng, e);
    dev->queued++;
    return CHM_OK;
}

/* The region other than not that will hold mode, reaches banks and frees up first, or -1. */
static int other_region_locked(chm_device *dev, int not, chm_mode mode, uint64_t banks)
{
    int best = -1;
    for (int r = 0; r < dev->n_regions; r++) {
        int e = ENGINE_REGION0 + r;
        if (r != not && dev->regions[r].sched_mode == mode && chm__region_reaches(dev, r, banks) &&
            (best < 0 || dev->engines[e].dev_avail_us < dev->engines[ENGINE_REGION0 + best].dev_avail_us))
            best = r;
    }
    return best;
}

/* Moves cur (after prev in eng's FIFO) to the tail of region to's FIFO. */
static void move_locked(chm_device *dev, chm_engine *eng, chm_event *prev, chm_event *cur, int to)
{
    prev->next = cur->next;
    if (eng->tail == cur)
        eng->tail = prev;
    chm_engine *dst = &dev->engines[ENGINE_REGION0 + to];
    double start = dst->dev_avail_us > cur->dev_start_us ? dst->dev_avail_us : cur->dev_start_us;
    cur->dev_start_us = start;
    cur->dev_end_us = start + cur->dev_dur_us;
    dst->dev_avail_us = cur->dev_end_us;
    cur->engine = ENGINE_REGION0 + to;
    chm__engine_append(dst, cur);
}

/* Puts an automatic reload of ev's mode (ev: a failed load) between prev and cur; 0 or
 * CHM_ENOMEM. Work from cur on starts that much later. */
static int reload_behind_locked(chm_device *dev, chm_event *ev, chm_event *prev, chm_event *cur)
{
    const int r = ev->engine - ENGINE_REGION0;
    chm_event *load = new_autoload_locked(dev, r, ev->load_mode);
    if (!load)
        return CHM_ENOMEM;
    load->dev_start_us = ev->dev_end_us;
    load->dev_end_us = load->dev_start_us + load->dev_dur_us;
    for (chm_event *later = cur; later; later = later->next) {
        later->dev_start_us += load->dev_dur_us;
        later->dev_end_us += load->dev_dur_us;
    }
    dev->engines[ev->engine].dev_avail_us += load->dev_dur_us;
    load->next = cur;
    prev->next = load;
    dev->queued++;
    return CHM_OK;
}

/*
 * After a failed load (ev, at the head of its region's FIFO): each operation
 * queued behind it for that mode moves to another region that will hold the
 * mode and reaches the operation's banks. If one cannot move and ev was the
 * user's load, an automatic load of the mode goes in right behind ev (the
 * runtime's own container) and the rest stays behind it. If ev was itself
 * automatic, or no reload could be queued, what cannot move stays and fails
 * when it comes up, with the region's why (the load's reason and this one):
 * nothing is lost silently.
 */
static void reroute_locked(chm_device *dev, chm_event *ev)
{
    const int r = ev->engine - ENGINE_REGION0;
    chm_region *reg = &dev->regions[r];
    chm_engine *eng = &dev->engines[ev->engine];
    chm_event *prev = ev;
    for (chm_event *cur = ev->next; cur; cur = prev->next) {
        if (cur->kind == CMD_LOAD)
            return; /* work behind a later load waits for that load */
        if (cur->kind != CMD_KERNEL || cur->op.mode != ev->load_mode) {
            prev = cur;
            continue;
        }
        int to = other_region_locked(dev, r, ev->load_mode, chm__op_banks(&cur->op));
        if (to >= 0) {
            move_locked(dev, eng, prev, cur, to);
            continue;
        }
        if (ev->automatic || !dev->be->container_for) {
            prev = cur; /* fails when it comes up, with reg->why */
            continue;
        }
        if (reload_behind_locked(dev, ev, prev, cur) == CHM_OK)
            return;
        size_t n = strlen(reg->why);
        snprintf(reg->why + n, sizeof reg->why - n, "; no host memory to queue a reload");
        prev = cur;
    }
}

/* The backend's load sequence: prepare, write, complete (complete runs even after a failed
 * write, told so). On a PLATFORM_CARD shell it holds the card: no kernel or copy runs. */
static int backend_load(chm_device *dev, chm_region *r, const chm_event *ev, char *why, size_t n)
{
    const chm_backend_ops *be = dev->be;
    if (dev->card_wide)
        pthread_rwlock_wrlock(&dev->gate);
    int rc = be->reconf_prepare(dev, r->index, ev->load_mode, why, n);
    if (rc == CHM_OK)
        rc = be->reconf_write(dev, r->index, ev->load_mode, ev->bitstream, ev->bitstream_len, why,
                              n);
    char why2[128] = "";
    int rc2 = be->reconf_complete(dev, r->index, ev->load_mode, rc == CHM_OK, why2, sizeof why2);
    if (rc == CHM_OK && rc2 != CHM_OK) {
        rc = rc2;
        snprintf(why, n, "%s", why2);
    }
    if (dev->card_wide)
        pthread_rwlock_unlock(&dev->gate);
    return rc;
}

int chm__region_run_load(chm_device *dev, chm_event *ev)
{
    chm_region *r = &dev->regions[ev->engine - ENGINE_REGION0];
    if (!ev->file && dev->be->container_for) { /* automatic: the backend supplies the container */
        size_t len;
        container_view v;
        ev->file = dev->be->container_for(dev, r->index, ev->load_mode, &len);
        if (ev->file && container_verify(ev->file, len, dev->plat, &v, NULL, 0) == 0) {
            ev->bitstream = v.bitstream;
            ev->bitstream_len = v.bitstream_len;
        }
    }
    pthread_mutex_lock(&dev->lock);
    r->mode = CHM_MODE_EMPTY; /* decoupled: no kernel runs here until recoupled */
    pthread_mutex_unlock(&dev->lock);
    char why[160] = "";
    int rc = backend_load(dev, r, ev, why, sizeof why);
    const int ok = rc == CHM_OK;
    pthread_mutex_lock(&dev->lock);
    r->loads_queued--;
    if (ok) {
        r->mode = ev->load_mode;
        r->macs_per_cycle = chm__mode_macs(ev->load_mode);
        r->loads++;
    } else {
        r->macs_per_cycle = 0;
        snprintf(ev->why, sizeof ev->why, "%s refused the load of region %d: %s",
                 dev->card_wide ? "the card" : "ICAP", r->index, why);
        snprintf(r->why, sizeof r->why, "region %d's %sload of %.16s failed (%.120s)", r->index,
                 ev->automatic ? "automatic " : "", mode_find((int)ev->load_mode)->name, why);
    }
    if (r->loads_queued == 0) {
        r->state = ok ? CHM_REGION_CONFIGURED : CHM_REGION_FAILED;
        if (!ok)
            r->sched_mode = CHM_MODE_EMPTY;
    }
    if (!ok)
        reroute_locked(dev, ev);
    pthread_mutex_unlock(&dev->lock);
    free(ev->file);
    ev->file = NULL;
    return ok ? CHM_OK : (rc == CHM_EFORMAT || rc == CHM_EDEVICE || rc == CHM_EBUSY ? rc : CHM_EDEVICE);
}

void chm__region_hung(chm_device *dev, int region, const char *why)
{
    pthread_mutex_lock(&dev->lock);
    chm_region *r = &dev->regions[region];
    r->state = CHM_REGION_FAILED;
    r->mode = r->sched_mode = CHM_MODE_EMPTY;
    r->macs_per_cycle = 0;
    snprintf(r->why, sizeof r->why, "region %d hung (%.150s)", region, why);
    pthread_mutex_unlock(&dev->lock);
}

int chm__region_inject_icap_faults(chm_device *dev, int n)
{
    pthread_mutex_lock(&dev->lock);
    dev->icap_faults = n;
    pthread_mutex_unlock(&dev->lock);
    return CHM_OK;
}
