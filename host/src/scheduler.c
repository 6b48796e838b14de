/*
 * scheduler.c - which region runs an operation.
 *
 * Today every region comes up holding CNN mode and stays so: the scheduler
 * picks, among the regions that hold the operation's mode, the one whose
 * modelled timeline frees up first (ties: the lowest index), so independent
 * work spreads over the regions as it would on the card.
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
    pthread_mutex_lock(&dev->lock);
    for (int r = 0; r < dev->n_regions; r++) {
        if (dev->regions[r].mode != op->mode)
            continue;
        int e = ENGINE_REGION0 + r;
        if (best < 0 || dev->engines[e].dev_avail_us < dev->engines[best].dev_avail_us)
            best = e;
    }
    pthread_mutex_unlock(&dev->lock);
    if (best < 0)
        chm__fail(dev, who, CHM_EMODE, "no region of %s holds %s mode", dev->name,
                  mode_name(op->mode));
    return best;
}
