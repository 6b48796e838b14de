/*
 * region.c - a reconfigurable region and its load sequence.
 *
 * The Linux fpga-region split: the region (this file) owns the state and the
 * sequence; the bridge is the DFX decoupler (a region decoupled takes no AXI
 * traffic); the manager is the ICAP model, which checks the packet stream
 * as the configuration logic would (bitstreams/cfgpkt.c). States:
 * EMPTY -> CONFIGURING -> CONFIGURED(mode), or FAILED, then reloadable.
 * A load is a command in the region's FIFO, so everything queued on the
 * region before it has drained when it starts (what the DFX AXI Shutdown
 * Manager waits for on a card); other regions keep running.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bs_util.h"
#include "cfgpkt.h"
#include "container.h"
#include "device.h"

uint32_t chm__mode_macs(chm_mode mode)
{
    return mode == CHM_MODE_CNN ? CNN_PE_ROWS * CNN_PE_COLS : 0;
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

int chm_region_load(chm_device *dev, int region, const char *path, chm_event **ev)
{
    if (!dev || !path)
        return CHM_FAIL(dev, CHM_EINVAL, "dev and path must not be NULL");
    if (region < 0 || region >= dev->n_regions)
        return CHM_FAIL(dev, CHM_EINVAL, "region %d does not exist; %s has regions 0..%d", region,
                        dev->plat->name, dev->n_regions - 1);
    size_t len;
    uint8_t *buf = bs_read_file(path, &len);
    if (!buf)
        return CHM_FAIL(dev, CHM_EIO, "cannot read \"%s\"", path);
    container_view v;
    char why[256];
    if (container_verify(buf, len, dev->plat, &v, why, sizeof why)) {
        free(buf);
        return CHM_FAIL(dev, CHM_EFORMAT, "\"%s\": %s", path, why);
    }
    if (v.region != region) {
        free(buf);
        return CHM_FAIL(dev, CHM_EFORMAT, "\"%s\" is built for region %d (%s), not region %d (%s)",
                        path, v.region, dev->plat->regions[v.region].name, region,
                        dev->plat->regions[region].name);
    }
    int rc = check_fit(dev, region, (chm_mode)v.mode);
    if (rc) {
        free(buf);
        return rc;
    }
    chm_event *e = chm__event_new(dev, CMD_LOAD);
    if (!e) {
        free(buf);
        return CHM_FAIL(dev, CHM_ENOMEM, "no host memory for the command");
    }
    e->engine = ENGINE_REGION0 + region;
    e->file = buf;
    e->bitstream = v.bitstream;
    e->bitstream_len = v.bitstream_len;
    e->bytes = v.bitstream_len;
    e->load_mode = (chm_mode)v.mode;
    /* ICAPE3: 4 bytes a cycle; MHz x 4 = bytes per microsecond. */
    e->dev_dur_us = (double)v.bitstream_len / (dev->plat->icap_mhz * 4.0);
    snprintf(e->name, sizeof e->name, "load %s (%.1f MB)", mode_find(v.mode)->name,
             (double)v.bitstream_len / 1e6);
    pthread_mutex_lock(&dev->lock);
    chm_region *r = &dev->regions[region];
    r->sched_mode = e->load_mode;
    r->loads_queued++;
    r->state = CHM_REGION_CONFIGURING;
    pthread_mutex_unlock(&dev->lock);
    rc = chm__submit(dev, e, NULL, 0, NULL, ev);
    if (rc)
        return CHM_FAIL(dev, rc, "no host memory to queue the load");
    return CHM_OK;
}

int chm__region_run_load(chm_device *dev, chm_event *ev)
{
    chm_region *r = &dev->regions[ev->engine - ENGINE_REGION0];
    const platform_region *pr = &dev->plat->regions[r->index];
    pthread_mutex_lock(&dev->lock);
    r->mode = CHM_MODE_EMPTY; /* decoupled: no kernel runs here until recoupled */
    pthread_mutex_unlock(&dev->lock);
    cfg_result res;
    char why[128];
    int ok = cfg_check(ev->bitstream, ev->bitstream_len, dev->plat->idcode, pr->frames, &res, why,
                       sizeof why) == 0;
    pthread_mutex_lock(&dev->lock);
    r->loads_queued--;
    if (ok) {
        r->mode = ev->load_mode;
        r->macs_per_cycle = chm__mode_macs(ev->load_mode);
        r->loads++;
    } else {
        r->macs_per_cycle = 0;
        snprintf(ev->why, sizeof ev->why, "ICAP refused the bitstream for region %d: %s",
                 r->index, why);
    }
    if (r->loads_queued == 0) {
        r->state = ok ? CHM_REGION_CONFIGURED : CHM_REGION_FAILED;
        if (!ok)
            r->sched_mode = CHM_MODE_EMPTY;
    }
    pthread_mutex_unlock(&dev->lock);
    free(ev->file);
    ev->file = NULL;
    return ok ? CHM_OK : CHM_EFORMAT;
}
