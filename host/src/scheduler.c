/*
 * scheduler.c - which region runs an operation, in what order, and when a
 * region is reconfigured.
 *
 * Kernel operations wait in the scheduler's hold list (up to the policy's
 * window) and are placed one at a time on a region's engine. Placing an
 * operation fixes its region and its modelled start: among the regions that
 * will hold its mode once their queued loads are done, the one where it
 * starts first (its engine free and its inputs written), ties to the region
 * that became free last (best fit). When no region will hold the mode, a
 * load of it is queued into a victim region first. The policies (see
 * chimera.h) differ in which held operation goes next, which victim they
 * pick, and whether they load ahead (prefetch). An operation is placed only
 * after every operation it depends on, so engines never deadlock.
 * On a shell that reconfigures the whole card (XRT), a load stops every
 * engine (region.c places it after all of them), so the victim is the
 * region whose mode is least needed, not the one that frees up first.
 */
#include <stdio.h>

#include "device.h"

static int region_holds(const chm_device *dev, chm_mode mode)
{
    for (int r = 0; r < dev->n_regions; r++)
        if (dev->regions[r].sched_mode == mode)
            return 1;
    return 0;
}

int chm__mode_possible_locked(const chm_device *dev, chm_mode mode)
{
    if (region_holds(dev, mode))
        return 1;
    if (dev->sched.policy == CHM_SCHED_STATIC || !dev->be->container_for)
        return 0;
    for (int r = 0; r < dev->n_regions; r++)
        if (chm__mode_fits(dev, r, mode))
            return 1;
    return 0;
}

/* Is mode needed by a held operation (other than skip)? */
static int held_needs(const chm_device *dev, chm_mode mode, const chm_event *skip)
{
    for (const chm_event *e = dev->held; e; e = e->next)
        if (e != skip && e->op.mode == mode)
            return 1;
    return 0;
}

/* How many regions will hold mode. */
static int holders(const chm_device *dev, chm_mode mode)
{
    int n = 0;
    for (int r = 0; r < dev->n_regions; r++)
        n += dev->regions[r].sched_mode == mode;
    return n;
}

/*
 * The region to reconfigure for mode: under ON_DEMAND the one that frees up
 * first; under BATCH/PREFETCH, among regions whose mode no held operation
 * needs (or that another region also holds), the one that frees up first,
 * falling back to ON_DEMAND's choice.
 */
static int victim(const chm_device *dev, chm_mode mode, uint64_t banks, int spare_only)
{
    int best = -1, any = -1;
    for (int r = 0; r < dev->n_regions; r++) {
        double avail = dev->engines[ENGINE_REGION0 + r].dev_avail_us;
        chm_mode m = dev->regions[r].sched_mode;
        if (!chm__mode_fits(dev, r, mode) || !chm__region_reaches(dev, r, banks))
            continue;
        int spare = m != mode && (!held_needs(dev, m, NULL) || holders(dev, m) > 1);
        if (any < 0 || dev->engines[ENGINE_REGION0 + any].dev_avail_us > avail)
            any = r;
        if (spare && (best < 0 || avail < dev->engines[ENGINE_REGION0 + best].dev_avail_us))
            best = r;
    }
    if (best >= 0 || spare_only)
        return best;
    return any;
}

static void count_load(chm_device *dev, chm_mode mode)
{
    for (chm_event *e = dev->held; e; e = e->next)
        if (e->op.mode != mode)
            e->waited_loads++;
}

uint64_t chm__op_banks(const chm_kop *op)
{
    uint64_t m = 1ull << op->out->bank;
    for (int i = 0; i < op->n_in; i++)
        if (op->in[i])
            m |= 1ull << op->in[i]->bank;
    return m;
}

int chm__region_reaches(const chm_device *dev, int r, uint64_t banks)
{
    return (banks & ~dev->plat->regions[r].bank_mask) == 0;
}

/* The engine for op, queueing a load first if no region will hold its mode; -1 if none
 * can, -2 if the load could not be queued (no host memory). */
static int pick_engine(chm_device *dev, const chm_kop *op)
{
    int best = -1;
    double best_start = 0, best_avail = 0;
    double ready = chm__ready_us_locked(op->in, op->n_in, op->out);
    const uint64_t banks = chm__op_banks(op);
    for (int r = 0; r < dev->n_regions; r++) {
        if (dev->regions[r].sched_mode != op->mode || !chm__region_reaches(dev, r, banks))
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
    if (best >= 0 || dev->sched.policy == CHM_SCHED_STATIC ||
        !chm__mode_possible_locked(dev, op->mode))
        return best;
    int v = victim(dev, op->mode, banks, 0);
    /* ON_DEMAND: the region that frees up first. Not on a card-wide shell, where every
     * region drains for the load: there the spare region victim() chose is best. */
    if (dev->sched.policy == CHM_SCHED_ON_DEMAND && !dev->card_wide) {
        for (int r = 0; r < dev->n_regions; r++)
            if (chm__mode_fits(dev, r, op->mode) && chm__region_reaches(dev, r, banks) && v >= 0 &&
                dev->engines[ENGINE_REGION0 + r].dev_avail_us <
                    dev->engines[ENGINE_REGION0 + v].dev_avail_us)
                v = r;
    }
    if (v < 0)
        return -1;
    if (chm__region_autoload_locked(dev, v, op->mode) != CHM_OK)
        return -2;
    count_load(dev, op->mode);
    return ENGINE_REGION0 + v;
}

static int deps_placed(const chm_event *ev)
{
    for (int i = 0; i < ev->n_deps; i++)
        if (!ev->deps[i]->placed && !ev->deps[i]->done)
            return 0;
    return 1;
}

/* The held operation to place next under the policy. */
static chm_event *choose(chm_device *dev)
{
    if (dev->sched.policy == CHM_SCHED_ON_DEMAND || dev->sched.policy == CHM_SCHED_STATIC)
        return dev->held; /* the oldest: its dependencies are older, so placed */
    chm_event *first_held_mode = NULL;
    for (chm_event *e = dev->held; e; e = e->next) {
        if (!deps_placed(e))
            continue;
        if (e->waited_loads >= dev->sched.max_wait || e->passed_over >= 2 * dev->sched.window)
            return e; /* waited long enough: it goes now */
        if (!first_held_mode && region_holds(dev, e->op.mode))
            first_held_mode = e;
    }
    return first_held_mode ? first_held_mode : dev->held;
}

/* PREFETCH: load, ahead of time, a mode a held operation needs and no region holds. */
static void prefetch(chm_device *dev)
{
    for (chm_event *e = dev->held; e; e = e->next) {
        if (region_holds(dev, e->op.mode) || !chm__mode_possible_locked(dev, e->op.mode))
            continue;
        int v = victim(dev, e->op.mode, chm__op_banks(&e->op), 1);
        if (v >= 0 && chm__region_autoload_locked(dev, v, e->op.mode) == CHM_OK)
            count_load(dev, e->op.mode);
        return;
    }
}

static void unlink_held(chm_device *dev, chm_event *ev)
{
    chm_event **p = &dev->held;
    while (*p != ev)
        p = &(*p)->next;
    *p = ev->next;
    ev->next = NULL;
    dev->n_held--;
    for (chm_event *e = dev->held; e; e = e->next)
        if (e->seq < ev->seq)
            e->passed_over++;
}

/* Places ev, a held operation, on a region (or fails it if none can run it). */
static void place_held(chm_device *dev, chm_event *ev)
{
    unlink_held(dev, ev);
    int engine = pick_engine(dev, &ev->op);
    if (engine < 0) {
        snprintf(ev->why, sizeof ev->why, "%s",
                 engine == -2 ? "no host memory to queue the reconfiguration it needs"
                              : "no region can hold the operation's mode and reach its banks");
        chm__fail_unplaced_locked(dev, ev, CHM_EMODE);
        return;
    }
    ev->engine = engine;
    ev->dev_dur_us = dev->be->op_time_us(dev, engine - ENGINE_REGION0, &ev->op, &ev->macs, &ev->act);
    chm__place_locked(dev, ev);
}

void chm__sched_flush_locked(chm_device *dev, int keep)
{
    while (dev->n_held > (keep > 0 ? keep : 0)) {
        if (dev->sched.policy == CHM_SCHED_PREFETCH)
            prefetch(dev);
        place_held(dev, choose(dev));
    }
}

void chm__sched_place_deps_locked(chm_device *dev, chm_event *ev)
{
    for (int i = 0; i < ev->n_deps; i++) {
        chm_event *d = ev->deps[i];
        if (!d->placed && !d->done && d->kind == CMD_KERNEL) {
            chm__sched_place_deps_locked(dev, d); /* its own held dependencies first */
            place_held(dev, d);
        }
    }
}

int chm_device_set_scheduler(chm_device *dev, const chm_sched_params *p)
{
    if (!dev || !p)
        return CHM_FAIL(dev, CHM_EINVAL, "dev and p must not be NULL");
    if ((unsigned)p->policy > CHM_SCHED_STATIC)
        return CHM_FAIL(dev, CHM_EINVAL, "policy %d is not a chm_sched_policy", (int)p->policy);
    if (p->window < 0 || p->window > 4096 || p->max_wait < 0 || p->max_wait > 1000)
        return CHM_FAIL(dev, CHM_EINVAL, "window %d / max_wait %d: expected 0..4096 / 0..1000",
                        p->window, p->max_wait);
    int batching = p->policy == CHM_SCHED_BATCH || p->policy == CHM_SCHED_PREFETCH;
    pthread_mutex_lock(&dev->lock);
    chm__sched_flush_locked(dev, 0);
    dev->sched.policy = p->policy;
    dev->sched.window = batching ? (p->window ? p->window : 16) : 1;
    dev->sched.max_wait = p->max_wait ? p->max_wait : 2;
    pthread_mutex_unlock(&dev->lock);
    return CHM_OK;
}
