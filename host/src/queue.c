/*
 * queue.c - commands, their ordering, and the engines that run them.
 *
 * A device has one engine per DMA direction (XDMA's H2C and C2H channels)
 * and one per region; each is a worker thread with a FIFO. A command waits
 * for the earlier commands that touch the same tensors (read after write,
 * write after read, write after write); everything else overlaps. Since
 * every dependency was queued before its dependent, the oldest queued
 * command can always run, so the engines never deadlock.
 *
 * Modelled card time is fixed when a command is queued: it starts when its
 * engine is free and its dependencies have ended on the card's timeline, so
 * the modelled timeline does not depend on how the host threads ran.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "energy.h"

chm_event *chm__event_new(chm_device *dev, cmd_kind kind)
{
    chm_event *ev = calloc(1, sizeof *ev);
    if (!ev)
        return NULL;
    ev->dev = dev;
    ev->refs = 1;
    ev->magic = CHM_EVENT_MAGIC;
    ev->kind = kind;
    return ev;
}

void chm__event_unref_locked(chm_event *ev)
{
    if (!ev || --ev->refs > 0)
        return;
    for (int i = 0; i < ev->n_deps; i++)
        chm__event_unref_locked(ev->deps[i]);
    free(ev->deps);
    free(ev->op.mult);
    free(ev->op.shift);
    free(ev->file);
    chm__mark_dead(&ev->magic);
    free(ev);
}

/* ev is non-NULL and not yet released by its last holder. */
static int event_live(const char *who, const chm_event *ev)
{
    if (!ev)
        return chm__fail(NULL, who, CHM_EINVAL, "ev is NULL");
    if (ev->magic != CHM_EVENT_MAGIC)
        return chm__fail(NULL, who, CHM_EINVAL, "ev is not a live event (released already?)");
    return CHM_OK;
}

static int add_dep(chm_event *ev, chm_event *dep)
{
    if (!dep || dep->done || dep == ev)
        return CHM_OK;
    for (int i = 0; i < ev->n_deps; i++)
        if (ev->deps[i] == dep)
            return CHM_OK;
    chm_event **d = realloc(ev->deps, (size_t)(ev->n_deps + 1) * sizeof *d);
    if (!d)
        return CHM_ENOMEM;
    ev->deps = d;
    ev->deps[ev->n_deps++] = dep;
    dep->refs++;
    return CHM_OK;
}

/* Drops readers that have completed, so the list stays short. */
static void prune_readers(chm_tensor *t)
{
    int k = 0;
    for (int i = 0; i < t->n_readers; i++) {
        if (t->readers[i]->done)
            chm__event_unref_locked(t->readers[i]);
        else
            t->readers[k++] = t->readers[i];
    }
    t->n_readers = k;
}

static int reserve_reader(chm_tensor *t)
{
    if (t->n_readers < t->cap_readers)
        return CHM_OK;
    int cap = t->cap_readers ? 2 * t->cap_readers : 4;
    chm_event **r = realloc(t->readers, (size_t)cap * sizeof *r);
    if (!r)
        return CHM_ENOMEM;
    t->readers = r;
    t->cap_readers = cap;
    return CHM_OK;
}

/* Collects ev's dependencies; fails (with nothing recorded) only on ENOMEM. */
static int collect_deps(chm_event *ev, chm_tensor *const *reads, int n_reads, chm_tensor *write)
{
    for (int i = 0; i < n_reads; i++) {
        prune_readers(reads[i]);
        if (add_dep(ev, reads[i]->last_write) || reserve_reader(reads[i]))
            return CHM_ENOMEM;
    }
    if (write) {
        prune_readers(write);
        if (add_dep(ev, write->last_write))
            return CHM_ENOMEM;
        for (int i = 0; i < write->n_readers; i++)
            if (add_dep(ev, write->readers[i]))
                return CHM_ENOMEM;
    }
    return CHM_OK;
}

static void track(chm_event *ev, chm_tensor *const *reads, int n_reads, chm_tensor *write)
{
    for (int i = 0; i < n_reads; i++) {
        reads[i]->readers[reads[i]->n_readers++] = ev;
        ev->refs++;
        ev->touch[ev->n_touch++] = reads[i];
        reads[i]->users++;
    }
    if (write) {
        for (int i = 0; i < write->n_readers; i++)
            chm__event_unref_locked(write->readers[i]);
        write->n_readers = 0;
        chm__event_unref_locked(write->last_write);
        write->last_write = ev;
        ev->refs++;
        ev->touch[ev->n_touch++] = write;
        write->users++;
    }
}

static double max_d(double a, double b)
{
    return a > b ? a : b;
}

/*
 * What each host thread has waited for, per device: a command a thread queues
 * after chm_wait returned cannot start on the card before the end of the
 * event it waited for (it had not been queued). A few devices per thread,
 * keyed by the device and its open time (a later device at the same address
 * starts clean); past that the oldest is dropped (the model then lets that
 * thread's commands start earlier, as before this rule).
 */
#define WAIT_SLOTS 4
static _Thread_local struct {
    const chm_device *dev;
    uint64_t opened_ns;
    double t;
} waited[WAIT_SLOTS];
static _Thread_local int waited_next;

static void thread_waited(const chm_device *dev, double t)
{
    for (int i = 0; i < WAIT_SLOTS; i++)
        if (waited[i].dev == dev && waited[i].opened_ns == dev->opened_ns) {
            waited[i].t = max_d(waited[i].t, t);
            return;
        }
    const int i = waited_next++ % WAIT_SLOTS;
    waited[i].dev = dev, waited[i].opened_ns = dev->opened_ns, waited[i].t = t;
}

static double thread_waited_until(const chm_device *dev)
{
    for (int i = 0; i < WAIT_SLOTS; i++)
        if (waited[i].dev == dev && waited[i].opened_ns == dev->opened_ns)
            return waited[i].t;
    return 0.0;
}

/*
 * Places ev on the modelled card timeline: after its engine's previous
 * command, after the writes it reads, and (if it writes) after every
 * earlier read and write of its output, completed or not.
 */
double chm__ready_us_locked(chm_tensor *const *reads, int n_reads, const chm_tensor *write)
{
    double t = 0;
    for (int i = 0; i < n_reads; i++)
        if (reads[i])
            t = max_d(t, reads[i]->dev_write_end_us);
    if (write)
        t = max_d(t, max_d(write->dev_write_end_us, write->dev_read_end_us));
    return t;
}

/*
 * The bank a copy or kernel moves its card-memory bytes through and its share
 * of the bank's bandwidth over dur (bankshare.c); -1 if none. A kernel's
 * bytes are its model's (chm_op_actions), charged to its output's bank as
 * the models charge them; a copy's go through its tensor's bank.
 */
static int bank_share(const chm_device *dev, const chm_event *ev, double dur, double *f)
{
    int bank = -1;
    uint64_t bytes = 0;
    if (ev->kind == CMD_KERNEL && ev->op.out) {
        bank = ev->op.out->bank;
        bytes = ev->act.ddr_bytes + ev->act.hbm_bytes;
    } else if ((ev->kind == CMD_WRITE || ev->kind == CMD_READ) && ev->tensor) {
        bank = ev->tensor->bank;
        bytes = ev->bytes;
    }
    if (bank < 0 || (uint32_t)bank >= dev->plat->n_banks || !bytes || !(dur > 0))
        return -1;
    *f = (double)bytes / (dev->plat->banks[bank].gbps * 1e3) / dur;
    return bank;
}

/* ev's end when it starts at start and lasts dur alone, sharing its bank with what use
 * holds; earlier use no engine can start before (min_avail) is forgotten. */
static double lay_on_bank(chm_device *dev, chm_bank_use *use, const chm_event *ev, double start,
                          double dur, double min_avail)
{
    double f;
    const int bank = bank_share(dev, ev, dur, &f);
    if (bank < 0)
        return start + dur;
    const double end = chm__bank_lay(&use[bank], start, dur, f);
    chm__bank_forget(&use[bank], min_avail);
    return end;
}

static void model_times(chm_device *dev, chm_engine *eng, chm_event *ev, chm_tensor *const *reads,
                        int n_reads, chm_tensor *write)
{
    double start = max_d(max_d(eng->dev_avail_us, ev->not_before_us),
                         chm__ready_us_locked(reads, n_reads, write));
    double min_avail = start;
    for (int e = 0; e < dev->n_engines; e++)
        if (&dev->engines[e] != eng && dev->engines[e].dev_avail_us < min_avail)
            min_avail = dev->engines[e].dev_avail_us;
    ev->dev_start_us = start;
    ev->dev_end_us = lay_on_bank(dev, dev->bank_use, ev, start, ev->dev_dur_us, min_avail);
    ev->dev_dur_us = ev->dev_end_us - start;
    eng->dev_avail_us = ev->dev_end_us;
    for (int i = 0; i < n_reads; i++)
        reads[i]->dev_read_end_us = max_d(reads[i]->dev_read_end_us, ev->dev_end_us);
    if (write)
        write->dev_write_end_us = ev->dev_end_us;
}

void chm__engine_append(chm_engine *eng, chm_event *ev)
{
    ev->next = NULL;
    if (eng->tail)
        eng->tail->next = ev;
    else
        eng->head = ev;
    eng->tail = ev;
    pthread_cond_signal(&eng->wake);
}

/* A command completed: waiters look again, and so do the engines with work queued
 * (their head may have been waiting for it). */
static void completed_locked(chm_device *dev)
{
    pthread_cond_broadcast(&dev->changed);
    for (int e = 0; e < dev->n_engines; e++)
        if (dev->engines[e].head)
            pthread_cond_signal(&dev->engines[e].wake);
}

void chm__place_locked(chm_device *dev, chm_event *ev)
{
    chm_engine *eng = &dev->engines[ev->engine];
    if (ev->kind == CMD_LOAD)
        chm__load_span_locked(dev, ev);
    else
        model_times(dev, eng, ev, ev->reads, ev->n_reads, ev->write);
    chm__engine_append(eng, ev);
    ev->placed = 1;
}

int chm__submit(chm_device *dev, chm_event *ev, chm_tensor *const *reads, int n_reads,
                chm_tensor *write, chm_event **out)
{
    pthread_mutex_lock(&dev->lock);
    if (ev->kind == CMD_LOAD)
        chm__sched_flush_locked(dev, 0); /* held work was meant for the regions as they are */
    if (collect_deps(ev, reads, n_reads, write)) {
        chm__event_unref_locked(ev);
        pthread_mutex_unlock(&dev->lock);
        return CHM_ENOMEM;
    }
    track(ev, reads, n_reads, write);
    if (n_reads)
        memcpy(ev->reads, reads, (size_t)n_reads * sizeof *reads);
    ev->seq = dev->next_seq++;
    ev->not_before_us = thread_waited_until(dev);
    ev->n_reads = n_reads;
    ev->write = write;
    dev->queued++;
    if (out) {
        ev->refs++;
        *out = ev;
    }
    if (ev->kind == CMD_KERNEL) { /* the scheduler holds it, then places it */
        ev->next = NULL;
        chm_event **tail = &dev->held;
        while (*tail)
            tail = &(*tail)->next;
        *tail = ev;
        dev->n_held++;
        chm__sched_flush_locked(dev, dev->sched.window - 1);
    } else {
        chm__sched_place_deps_locked(dev, ev); /* a copy may need held work done first */
        if (ev->kind == CMD_LOAD) /* after the flush: held work was placed for the old mode */
            chm__region_expect_locked(&dev->regions[ev->engine - ENGINE_REGION0], ev->load_mode);
        chm__place_locked(dev, ev);
    }
    pthread_mutex_unlock(&dev->lock);
    return CHM_OK;
}

void chm__fail_unplaced_locked(chm_device *dev, chm_event *ev, int status)
{
    ev->done = 1;
    ev->status = status;
    if (dev->first_failure == CHM_OK)
        dev->first_failure = status;
    for (int i = 0; i < ev->n_touch; i++)
        ev->touch[i]->users--;
    dev->queued--;
    chm__event_unref_locked(ev);
    completed_locked(dev);
}

/* CHM_OK if every dependency succeeded, else the first failure; -1 if not all done. */
static int deps_state(const chm_event *ev)
{
    int st = CHM_OK;
    for (int i = 0; i < ev->n_deps; i++) {
        if (!ev->deps[i]->done)
            return 1;
        if (ev->deps[i]->status && st == CHM_OK)
            st = ev->deps[i]->status;
    }
    return st;
}

static int execute_one(chm_device *dev, chm_event *ev)
{
    switch (ev->kind) {
    case CMD_WRITE:
        return dev->be->copy_to(dev, ev->tensor, ev->offset, ev->src, ev->bytes);
    case CMD_READ:
        return dev->be->copy_from(dev, ev->tensor, ev->offset, ev->dst, ev->bytes);
    case CMD_KERNEL: {
        chm_region *r = &dev->regions[ev->engine - ENGINE_REGION0];
        pthread_mutex_lock(&dev->lock);
        chm_mode held = r->mode;
        pthread_mutex_unlock(&dev->lock);
        if (held != ev->op.mode) {
            pthread_mutex_lock(&dev->lock);
            snprintf(ev->why, sizeof ev->why, "%.200s; no other region holds %.16s and reaches its banks",
                     r->why[0] ? r->why : "its region no longer holds the mode",
                     mode_find((int)ev->op.mode)->name);
            pthread_mutex_unlock(&dev->lock);
            return CHM_EMODE;
        }
        int rc = dev->be->run(dev, r->index, &ev->op, ev->why, sizeof ev->why);
        if (rc == CHM_ETIMEDOUT)
            chm__region_hung(dev, r->index, ev->why);
        double us = dev->be->last_run_us ? dev->be->last_run_us(dev, r->index) : -1.0;
        if (rc == CHM_OK && us >= 0) {
            ev->model_us = ev->dev_dur_us;
            ev->dev_dur_us = us;
            ev->measured = 1;
            if (dev->be->last_run_uj)
                ev->act.measured_uj = dev->be->last_run_uj(dev, r->index);
        }
        return rc;
    }
    case CMD_LOAD:
        return chm__region_run_load(dev, ev);
    }
    return CHM_EINVAL;
}

/* A command's work; on a PLATFORM_CARD shell copies and kernels hold the card's gate
 * shared, so that a whole-card load (which holds it alone) never runs beside them. */
static int execute(chm_device *dev, chm_event *ev)
{
    if (!dev->card_wide || ev->kind == CMD_LOAD)
        return execute_one(dev, ev);
    pthread_rwlock_rdlock(&dev->gate);
    int rc = execute_one(dev, ev);
    pthread_rwlock_unlock(&dev->gate);
    return rc;
}

static void account_locked(chm_device *dev, chm_event *ev)
{
    chm_device_stats *s = &dev->stats;
    chm__actions_finish(dev, ev);
    s->energy_uj += ev->act.energy_uj;
    double wall = ev->wall_end_us - ev->wall_start_us;
    double devt = ev->dev_end_us - ev->dev_start_us;
    s->wall_busy_us += wall;
    if (ev->engine >= ENGINE_REGION0) {
        chm_region *r = &dev->regions[ev->engine - ENGINE_REGION0];
        if (ev->kind == CMD_LOAD)
            r->configuring_us += devt;
        else
            r->busy_us += devt;
    }
    if (ev->kind == CMD_LOAD) {
        s->reconfigurations++;
        s->icap_bytes += ev->bytes;
        s->device_reconfig_us += devt;
    } else if (ev->kind == CMD_KERNEL) {
        s->ops++;
        s->macs += ev->macs;
        s->device_kernel_us += devt;
    } else {
        s->copies++;
        s->device_dma_us += devt;
        if (ev->kind == CMD_WRITE)
            s->bytes_to_device += ev->bytes;
        else
            s->bytes_from_device += ev->bytes;
    }
    if (ev->dev_end_us > s->device_makespan_us)
        s->device_makespan_us = ev->dev_end_us;
}

/*
 * On a backend that measures kernel time, the card timeline is laid again
 * as commands complete: a command starts when its engine's previous command
 * and the commands whose tensors it reads or overwrites have ended (as
 * completed), and lasts its measured time (kernels) or its modelled one
 * (copies, loads). Completion follows dependencies, so this is exact.
 */
static void retime_locked(chm_device *dev, chm_engine *eng, chm_event *ev)
{
    double start = eng->meas_end_us;
    const int card = ev->kind == CMD_LOAD && dev->card_wide; /* the whole card waits for it */
    for (int e = 0; card && e < dev->n_engines; e++)
        start = max_d(start, dev->engines[e].meas_end_us);
    for (int i = 0; i < ev->n_reads; i++)
        start = max_d(start, ev->reads[i]->meas_write_end_us);
    if (ev->write)
        start = max_d(start, max_d(ev->write->meas_write_end_us, ev->write->meas_read_end_us));
    start = max_d(start, ev->not_before_us);
    double min_avail = start;
    for (int e = 0; e < dev->n_engines; e++)
        if (&dev->engines[e] != eng && dev->engines[e].meas_end_us < min_avail)
            min_avail = dev->engines[e].meas_end_us;
    ev->dev_start_us = start;
    /* a card's measured times already include the sharing (xrt); rtl's engines each have
     * their own memory model, so the sharing is laid on here as on the modelled timeline */
    ev->dev_end_us = dev->be->shares_banks
                         ? start + ev->dev_dur_us
                         : lay_on_bank(dev, dev->bank_meas, ev, start, ev->dev_dur_us, min_avail);
    ev->dev_dur_us = ev->dev_end_us - start;
    eng->meas_end_us = ev->dev_end_us;
    for (int e = 0; card && e < dev->n_engines; e++)
        dev->engines[e].meas_end_us = ev->dev_end_us;
    for (int i = 0; i < ev->n_reads; i++)
        ev->reads[i]->meas_read_end_us = max_d(ev->reads[i]->meas_read_end_us, ev->dev_end_us);
    if (ev->write)
        ev->write->meas_write_end_us = ev->dev_end_us;
}

static void complete_locked(chm_device *dev, chm_engine *eng, chm_event *ev, int status)
{
    if (status == CHM_OK && dev->be->last_run_us)
        retime_locked(dev, eng, ev);
    eng->head = ev->next;
    if (!eng->head)
        eng->tail = NULL;
    ev->done = 1;
    ev->status = status;
    if (status == CHM_OK) {
        account_locked(dev, ev);
        chm__trace_add_locked(dev, ev);
    } else if (dev->first_failure == CHM_OK) {
        dev->first_failure = status;
    }
    for (int i = 0; i < ev->n_touch; i++)
        ev->touch[i]->users--;
    for (int i = 0; i < ev->n_deps; i++)
        chm__event_unref_locked(ev->deps[i]);
    free(ev->deps);
    ev->deps = NULL;
    ev->n_deps = 0;
    dev->queued--;
    chm__event_unref_locked(ev);
    completed_locked(dev);
}

static void *engine_main(void *arg)
{
    chm_engine *eng = arg;
    chm_device *dev = eng->dev;
    pthread_mutex_lock(&dev->lock);
    for (;;) {
        while (!eng->head && !dev->shutting_down)
            pthread_cond_wait(&eng->wake, &dev->lock);
        if (!eng->head)
            break;
        chm_event *ev = eng->head;
        int st;
        while ((st = deps_state(ev)) > 0)
            pthread_cond_wait(&eng->wake, &dev->lock);
        pthread_mutex_unlock(&dev->lock);
        ev->wall_start_us = chm__wall_us(dev);
        if (st == CHM_OK)
            st = execute(dev, ev);
        ev->wall_end_us = chm__wall_us(dev);
        pthread_mutex_lock(&dev->lock);
        complete_locked(dev, eng, ev, st);
    }
    pthread_mutex_unlock(&dev->lock);
    return NULL;
}

/*
 * Engine threads run the emulated kernels, whose on-chip buffers (tiles,
 * windows, accumulators: a few MiB in GRAPH mode) are locals, as in HLS:
 * the stack is sized for them rather than left to the ulimit.
 */
#define ENGINE_STACK_BYTES (32u << 20)

int chm__engines_start(chm_device *dev)
{
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) || pthread_attr_setstacksize(&attr, ENGINE_STACK_BYTES))
        return CHM_ENOMEM;
    int rc = CHM_OK;
    for (int i = 0; i < dev->n_engines; i++)
        pthread_cond_init(&dev->engines[i].wake, NULL);
    for (int i = 0; i < dev->n_engines && !rc; i++) {
        chm_engine *e = &dev->engines[i];
        e->dev = dev;
        e->index = i;
        if (pthread_create(&e->thread, &attr, engine_main, e) != 0) {
            chm__engines_stop(dev);
            rc = CHM_ENOMEM;
            break;
        }
        e->started = 1;
    }
    pthread_attr_destroy(&attr);
    return rc;
}

void chm__engines_stop(chm_device *dev)
{
    pthread_mutex_lock(&dev->lock);
    chm__sched_flush_locked(dev, 0);
    dev->shutting_down = 1;
    pthread_cond_broadcast(&dev->changed);
    for (int i = 0; i < dev->n_engines; i++)
        pthread_cond_broadcast(&dev->engines[i].wake);
    pthread_mutex_unlock(&dev->lock);
    for (int i = 0; i < dev->n_engines; i++) {
        if (dev->engines[i].started)
            pthread_join(dev->engines[i].thread, NULL);
        dev->engines[i].started = 0;
        pthread_cond_destroy(&dev->engines[i].wake);
    }
}

void chm__tensor_drain_locked(chm_tensor *t)
{
    chm__sched_flush_locked(t->dev, 0);
    while (t->users > 0)
        pthread_cond_wait(&t->dev->changed, &t->dev->lock);
}

/* The host learnt that the card reached time t: no engine starts anything queued from now
 * on before t (the host had not queued it yet). */
static void host_waited_locked(chm_device *dev, double t)
{
    for (int i = 0; i < dev->n_engines; i++) {
        if (dev->engines[i].dev_avail_us < t)
            dev->engines[i].dev_avail_us = t;
        if (dev->engines[i].meas_end_us < t)
            dev->engines[i].meas_end_us = t;
    }
}

int chm_wait(chm_event *ev)
{
    CHECK(event_live(__func__, ev));
    chm_device *dev = ev->dev;
    pthread_mutex_lock(&dev->lock);
    if (!ev->placed && !ev->done)
        chm__sched_flush_locked(dev, 0);
    while (!ev->done)
        pthread_cond_wait(&dev->changed, &dev->lock);
    /* This thread waited for ev: what it queues next starts no earlier on the card's
     * timeline than ev's end (other threads did not wait and are not held back). */
    if (ev->status == CHM_OK)
        thread_waited(dev, ev->dev_end_us);
    int st = ev->status;
    pthread_mutex_unlock(&dev->lock);
    if (st)
        return CHM_FAIL(dev, st, "command \"%s\" failed: %s", ev->name,
                        ev->why[0] ? ev->why : chm_strerror(st));
    return CHM_OK;
}

int chm_finish(chm_device *dev)
{
    if (!dev)
        return CHM_FAIL(NULL, CHM_EINVAL, "dev is NULL");
    pthread_mutex_lock(&dev->lock);
    chm__sched_flush_locked(dev, 0);
    while (dev->queued > 0)
        pthread_cond_wait(&dev->changed, &dev->lock);
    /* The host waited for the card: what it queues next starts no earlier
     * on the card's timeline than the end of everything before. */
    host_waited_locked(dev, dev->stats.device_makespan_us);
    int st = dev->first_failure;
    dev->first_failure = CHM_OK;
    pthread_mutex_unlock(&dev->lock);
    if (st)
        return CHM_FAIL(dev, st, "a queued command failed: %s", chm_strerror(st));
    return CHM_OK;
}

void chm_event_release(chm_event *ev)
{
    if (!ev || event_live(__func__, ev))
        return;
    chm_device *dev = ev->dev;
    pthread_mutex_lock(&dev->lock);
    chm__event_unref_locked(ev);
    pthread_mutex_unlock(&dev->lock);
}

/* A completed command's times and/or actions (either may be NULL), copied under the lock. */
static int snapshot(const char *who, chm_event *ev, chm_event_times *t, chm_op_actions *a)
{
    CHECK(event_live(who, ev));
    if (!t && !a)
        return CHM_FAIL(NULL, CHM_EINVAL, "out is NULL");
    chm_device *dev = ev->dev;
    pthread_mutex_lock(&dev->lock);
    const int done = ev->done;
    if (done && t) {
        t->wall_start_us = ev->wall_start_us;
        t->wall_end_us = ev->wall_end_us;
        t->device_start_us = ev->dev_start_us;
        t->device_end_us = ev->dev_end_us;
        t->region = ev->engine >= ENGINE_REGION0 ? ev->engine - ENGINE_REGION0 : -1;
        t->energy_uj = ev->act.energy_uj;
    }
    if (done && a)
        *a = ev->act;
    pthread_mutex_unlock(&dev->lock);
    if (!done)
        return CHM_FAIL(dev, CHM_EBUSY, "command \"%s\" has not completed", ev->name);
    return CHM_OK;
}

int chm_event_actions_get(chm_event *ev, chm_op_actions *out)
{
    return snapshot(__func__, ev, NULL, out);
}

int chm_event_times_get(chm_event *ev, chm_event_times *out)
{
    return snapshot(__func__, ev, out, NULL);
}
