/*
 * bankshare.c - a memory bank's bandwidth shared by the commands that use
 * it at the same time, on the card timeline.
 *
 * A command's duration comes from its model (or its simulation) with the
 * bank to itself; in that time it moves its card-memory bytes, a share
 * f = (bytes / bandwidth) / duration of the bank. Laid on the timeline it
 * gets what the commands already laid there leave: where they use u of the
 * bank, it runs at min(1, (1 - u) / f) of its own speed (a command whose
 * stretch of time is bound by compute, f small, is not slowed until the bank
 * is nearly full). The commands laid first keep their times (a priority
 * arbiter in the order commands are placed, not a fair one), so a command's
 * time is fixed once it is placed, as the timeline needs.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bankshare.h"

/* Index of the last breakpoint <= x, or -1. */
static int seg_of(const chm_bank_use *p, double x)
{
    int lo = 0, hi = p->n - 1, at = -1;
    while (lo <= hi) {
        const int mid = (lo + hi) / 2;
        if (p->t[mid] <= x)
            at = mid, lo = mid + 1;
        else
            hi = mid - 1;
    }
    return at;
}

/* Makes x a breakpoint (its use that of the stretch it cuts); its index, or -1. */
static int cut(chm_bank_use *p, double x)
{
    const int at = seg_of(p, x);
    if (at >= 0 && p->t[at] == x)
        return at;
    if (p->n == p->cap) {
        const int cap = p->cap ? 2 * p->cap : 64;
        double *t = realloc(p->t, (size_t)cap * sizeof *t);
        if (t)
            p->t = t;
        double *u = t ? realloc(p->u, (size_t)cap * sizeof *u) : NULL;
        if (!u)
            return -1;
        p->u = u;
        p->cap = cap;
    }
    const int i = at + 1;
    memmove(p->t + i + 1, p->t + i, (size_t)(p->n - i) * sizeof *p->t);
    memmove(p->u + i + 1, p->u + i, (size_t)(p->n - i) * sizeof *p->u);
    p->t[i] = x;
    p->u[i] = at >= 0 ? p->u[at] : 0.0;
    p->n++;
    return i;
}

double chm__bank_lay(chm_bank_use *p, double start, double dur, double f)
{
    if (!(f > 0) || !(dur > 0))
        return start + (dur > 0 ? dur : 0);
    if (f > 1)
        f = 1;
    /* first pass: where it ends (the use so far decides) */
    double t = start, left = dur; /* left: its own time still to run */
    int i = seg_of(p, start);
    for (;;) {
        const double u = i >= 0 ? p->u[i] : 0.0;
        const double next = i + 1 < p->n ? p->t[i + 1] : INFINITY;
        const double avail = u < 1 ? 1 - u : 0;
        const double rate = avail >= f ? 1.0 : avail / f;
        if (rate > 1e-9 && (next - t) * rate >= left) { /* past the last breakpoint u is 0 */
            t += left / rate;
            break;
        }
        left -= (next - t) * rate;
        t = next;
        i++;
    }
    const double end = t;
    /* second pass: its use added over [start, end) */
    const int a = cut(p, start);
    const int b = a >= 0 ? cut(p, end) : -1; /* end > start: cut after a, a stays */
    if (a < 0 || b < 0)
        return end;
    for (int k = a; k < b; k++) {
        const double avail = p->u[k] < 1 ? 1 - p->u[k] : 0;
        p->u[k] += avail >= f ? f : avail;
    }
    return end;
}

void chm__bank_forget(chm_bank_use *p, double t)
{
    int drop = 0;
    while (drop + 1 < p->n && p->t[drop + 1] <= t)
        drop++;
    if (!drop)
        return;
    memmove(p->t, p->t + drop, (size_t)(p->n - drop) * sizeof *p->t);
    memmove(p->u, p->u + drop, (size_t)(p->n - drop) * sizeof *p->u);
    p->n -= drop;
}

void chm__bank_free(chm_bank_use *p)
{
    free(p->t);
    free(p->u);
    memset(p, 0, sizeof *p);
}
