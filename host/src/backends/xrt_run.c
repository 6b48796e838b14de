/*
 * xrt_run.c - an operation as an XRT run (the xrt backend's `run`): the
 * kernel's argument list from its register map (kargs.h), buffers for the
 * run's parameters and scratch, start, and a wait with a timeout that
 * never hangs the host (xrt.c says what happens to a region that timed out).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xrt_card.h"
#include "xrt_power.h"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}


static int kernel_index(const mode_desc *m, const char *kernel)
{
    for (int k = 0; m && k < m->n_kernels; k++)
        if (strcmp(m->kernels[k], kernel) == 0)
            return k;
    return -1;
}

static void free_bufs(xrt_card *c, run_bufs *b)
{
    for (int i = 0; i < KARGS_MAX; i++)
        if (b->bo[i])
            c->x.BOFree(b->bo[i]);
    memset(b, 0, sizeof *b);
}

static xrt_bo_h new_bo(xrt_card *c, int group, const uint8_t *init, uint64_t bytes)
{
    xrt_bo_h bo = c->x.BOAlloc(c->d, (size_t)bytes, 0, (uint32_t)group);
    if (bo && init && (c->x.BOWrite(bo, init, (size_t)bytes, 0) ||
                       c->x.BOSync(bo, XRT_SYNC_TO_DEVICE, (size_t)bytes, 0))) {
        c->x.BOFree(bo);
        bo = NULL;
    }
    return bo;
}

static int run_buffers(xrt_card *c, const chm_kop *op, const kargs *k, run_bufs *b, char *why,
                       size_t n)
{
    memset(b, 0, sizeof *b);
    const int g = c->ov.group[op->out->bank];
    uint8_t *init = k->aux_bytes ? malloc((size_t)k->aux_bytes) : NULL;
    if (k->aux_bytes && !init)
        return CHM_ENOMEM;
    if (init)
        kargs_fill_aux(op, k, init);
    errno = 0;
    int ok = g >= 0;
    for (int i = 0; ok && i < k->n; i++) {
        if (k->a[i].kind != KARG_AUX)
            continue;
        uint64_t end = k->aux_bytes; /* this argument's slice ends where the next one starts */
        for (int j = 0; j < k->n; j++)
            if (k->a[j].kind == KARG_AUX && k->a[j].aux_off > k->a[i].aux_off &&
                k->a[j].aux_off < end)
                end = k->a[j].aux_off;
        ok = (b->bo[i] = new_bo(c, g, init + k->a[i].aux_off, end - k->a[i].aux_off)) != NULL;
    }
    free(init);
    if (!ok) {
        snprintf(why, n, "no room for the run's %llu bytes of parameters / scratch in bank %d "
                 "(%s)", (unsigned long long)k->aux_bytes, op->out->bank, xrt__errno());
        free_bufs(c, b);
        return CHM_EDEVMEM;
    }
    return CHM_OK;
}

/* Sets run's arguments from k: buffers as BO handles, scalars as uint64_t. 0, or the
 * 1-based index of the argument XRT refused. */
static int set_args(xrt_card *c, xrt_run_h run, const kargs *k, const run_bufs *b, int bank)
{
    for (int i = 0; i < k->n; i++) {
        const karg *a = &k->a[i];
        int bad;
        switch (a->kind) {
        case KARG_SCALAR: bad = c->x.RunSetArg(run, i, (uint64_t)a->value); break;
        case KARG_TENSOR: bad = c->x.RunSetArg(run, i, ((const xrt_tensor *)a->t->mem)->bo); break;
        case KARG_AUX: bad = c->x.RunSetArg(run, i, b->bo[i]); break;
        default: bad = c->x.RunSetArg(run, i, c->none[bank]); break;
        }
        if (bad)
            return i + 1;
    }
    return 0;
}

/* Starts run and waits up to the timeout; the measured microseconds in *us, and the
 * board's energy over them in *uj (its power read before and after; < 0 if unknown). */
static int wait_run(xrt_card *c, xrt_run_h run, const char *kernel, int region, double *us,
                    double *uj, char *why, size_t n)
{
    const double p0 = c->bdf[0] ? xrt_card_power_w(c->bdf) : -1.0;
    const double t0 = now_us();
    errno = 0;
    if (c->x.RunStart(run)) {
        snprintf(why, n, "XRT could not start %s on region %d: %s", kernel, region, xrt__errno());
        return CHM_EDEVICE;
    }
    const int st = c->x.RunWaitFor(run, c->timeout_ms);
    *us = now_us() - t0;
    const double p1 = p0 >= 0 ? xrt_card_power_w(c->bdf) : -1.0;
    *uj = p0 >= 0 && p1 >= 0 ? 0.5 * (p0 + p1) * *us : -1.0; /* W x µs = µJ */
    if (st == XRT_CMD_COMPLETED)
        return CHM_OK;
    if (st == XRT_CMD_NEW || st == XRT_CMD_QUEUED || st == XRT_CMD_RUNNING ||
        st == XRT_CMD_SUBMITTED || st == XRT_CMD_TIMEOUT) {
        snprintf(why, n, "kernel chm_%s on region %d did not finish in %u ms (state %d); the "
                 "region is FAILED until reloaded (chm_region_load_mode)", kernel, region,
                 c->timeout_ms, st);
        return CHM_ETIMEDOUT;
    }
    snprintf(why, n, "XRT ended chm_%s on region %d in state %d (%s): %s", kernel, region, st,
             st == XRT_CMD_ABORT ? "aborted" : st == XRT_CMD_ERROR ? "error" : "failed",
             xrt__errno());
    return CHM_EDEVICE;
}

int xrt__run(chm_device *dev, int region, const chm_kop *op, char *why, size_t n)
{
    xrt_card *c = xrt__card(dev);
    c->last_us[region] = c->last_uj[region] = -1.0;
    kargs k;
    int rc = kargs_of(op, &k, why, n);
    if (rc)
        return rc;
    const int ki = kernel_index(mode_find((int)c->ov.mode[region]), k.kernel);
    if (ki < 0 || !c->kern[region][ki]) {
        snprintf(why, n, "the loaded xclbin (%s) has no chm_%s in region %d", c->ov.path,
                 k.kernel, region);
        return CHM_EMODE;
    }
    for (int i = 0; i < k.n; i++) {
        if (k.a[i].kind == KARG_TENSOR && !((const xrt_tensor *)k.a[i].t->mem)->bo) {
            snprintf(why, n, "a tensor of chm_%s lost its card memory in the last load", k.kernel);
            return CHM_EDEVMEM;
        }
    }
    run_bufs bufs;
    rc = run_buffers(c, op, &k, &bufs, why, n);
    if (rc)
        return rc;
    errno = 0;
    xrt_run_h run = c->x.RunOpen(c->kern[region][ki]);
    int bad = run ? set_args(c, run, &k, &bufs, op->out->bank) : -1;
    double us = 0, uj = -1.0;
    if (!run || bad) {
        snprintf(why, n, "XRT refused %s of chm_%s: %s", run ? "an argument" : "a run", k.kernel,
                 xrt__errno());
        if (run && bad > 0)
            snprintf(why + strlen(why), n - strlen(why), " (argument %d, %s)", bad - 1,
                     k.a[bad - 1].kind == KARG_SCALAR ? "a scalar" : "a buffer");
        rc = CHM_EDEVICE;
    } else {
        rc = wait_run(c, run, k.kernel, region, &us, &uj, why, n);
    }
    if (rc == CHM_ETIMEDOUT && c->n_hung < (int)(sizeof c->hung / sizeof c->hung[0])) {
        c->hung[c->n_hung].run = run; /* abandoned: closing it now could wait for it */
        c->hung[c->n_hung++].bufs = bufs;
    } else if (rc != CHM_ETIMEDOUT) {
        if (run)
            c->x.RunClose(run);
        free_bufs(c, &bufs);
    }
    if (rc == CHM_OK)
        c->last_us[region] = us, c->last_uj[region] = uj;
    return rc;
}

double xrt__last_run_us(chm_device *dev, int region)
{
    return xrt__card(dev)->last_us[region];
}

double xrt__last_run_uj(chm_device *dev, int region)
{
    return xrt__card(dev)->last_uj[region];
}

void xrt__release_hung(xrt_card *c)
{
    for (int i = 0; i < c->n_hung; i++) {
        c->x.RunClose(c->hung[i].run);
        free_bufs(c, &c->hung[i].bufs);
    }
    c->n_hung = 0;
}
