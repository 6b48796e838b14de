/*
 * scheduler.c - which region runs an operation.
 *
 * Regions come up holding CNN mode; chm_region_load changes that, and when
 * no region will hold an operation's mode the scheduler queues a load of
 * it into the region that frees up first (on-demand reconfiguration). Among
 * the regions that will hold the operation's mode once their queued loads
 * are done, the scheduler picks the one where
 * the operation would start first on the modelled card timeline (its
 * engine free and its inputs written); among equal starts, the region that
 * became free last, so that regions idle earlier stay free for independent
 * work (best fit, no head-of-line blocking behind a dependency).
 */
#include "device.h"

static const char *mode_name(chm_mode m)
{
    switch (m) {
    case CHM_MODE_EMPTY: return "EMPTY";
    case CHM_MODE_CNN: return "CNN";
    case CHM_MODE_SPARSE: return "SPARSE";
    case CHM_MODE_GRAPH: return "GRAPH";
    }
    return "?";
}

int chm__schedule(chm_device *dev, const char *who, const chm_kop *op)
{
    int best = -1;
    double best_start = 0, best_avail = 0;
    pthread_mutex_lock(&dev->lock);
    double ready = chm__ready_us_locked(op->in, op->n_in, op->out);
    for (int r = 0; r < dev->n_regions; r++) {
        if (dev->regions[r].sched_mode != op->mode)
            continue;
        int e = ENGINE_REGION0 + r;
        double avail = dev->engines[e].dev_avail_us;
        double start = avail > ready ? avail : ready;
        if (best < 0 || start < best_start || (start == best_start && avail > best_avail)) {
            best = e;
            best_start = start;
            best_avail = avail;
        }
    }
    if (best < 0 && chm__mode_macs(op->mode) > 0 && dev->be->container_for) {
        /* No region will hold the mode: reconfigure the one that frees up
         * first (on-demand, the baseline policy). */
        int victim = 0;
        for (int r = 1; r < dev->n_regions; r++)
            if (dev->engines[ENGINE_REGION0 + r].dev_avail_us <
                dev->engines[ENGINE_REGION0 + victim].dev_avail_us)
                victim = r;
        if (chm__region_autoload_locked(dev, victim, op->mode) == CHM_OK)
            best = ENGINE_REGION0 + victim;
    }
    pthread_mutex_unlock(&dev->lock);
    if (best < 0)
        chm__fail(dev, who, CHM_EMODE, "no region of %s holds %s mode", dev->name,
                  mode_name(op->mode));
    return best;
}
