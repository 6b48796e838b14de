/*
 * trace.c - per-command records, device stats, and the Chrome trace file.
 *
 * The file holds two processes: "card" with the card's timeline (modelled,
 * or on rtl and xrt laid from the kernels' measured times, each measured
 * kernel carrying the model's figure as args.model_us beside it), and
 * "host (wall clock)" with when the same commands really ran in this
 * process. Each has one track per DMA direction and one per region.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"

#define TRACE_MAX_RECORDS (1u << 20)

void chm__trace_add_locked(chm_device *dev, const chm_event *ev)
{
    if (dev->n_trace == dev->cap_trace) {
        if (dev->cap_trace >= TRACE_MAX_RECORDS)
            return; /* keep the first million; stats still count everything */
        size_t cap = dev->cap_trace ? 2 * dev->cap_trace : 256;
        trace_rec *r = realloc(dev->trace, cap * sizeof *r);
        if (!r)
            return;
        dev->trace = r;
        dev->cap_trace = cap;
    }
    trace_rec *r = &dev->trace[dev->n_trace++];
    memcpy(r->name, ev->name, sizeof r->name);
    r->engine = ev->engine;
    r->dev_start_us = ev->dev_start_us;
    r->dev_end_us = ev->dev_end_us;
    r->wall_start_us = ev->wall_start_us;
    r->wall_end_us = ev->wall_end_us;
    r->bytes = ev->kind == CMD_KERNEL ? 0 : ev->bytes;
    r->macs = ev->macs;
    r->model_us = ev->model_us;
    r->measured = ev->measured;
    r->energy_uj = ev->act.energy_uj;
    r->measured_uj = ev->act.measured_uj;
}

int chm_device_stats_get(chm_device *dev, chm_device_stats *out)
{
    if (!dev || !out)
        return CHM_FAIL(dev, CHM_EINVAL, "dev and out must not be NULL");
    pthread_mutex_lock(&dev->lock);
    *out = dev->stats;
    pthread_mutex_unlock(&dev->lock);
    return CHM_OK;
}

static void engine_name(const chm_device *dev, int e, char *buf, size_t n)
{
    if (e == ENGINE_H2D)
        snprintf(buf, n, "DMA host->card");
    else if (e == ENGINE_D2H)
        snprintf(buf, n, "DMA card->host");
    else
        snprintf(buf, n, "region %d (%s)", e - ENGINE_REGION0,
                 dev->plat->regions[e - ENGINE_REGION0].name);
}

/* Writes s as a JSON string body (names are ours, but quote anyway). */
static void json_str(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        if ((unsigned char)*s >= 0x20)
            fputc(*s, f);
    }
}

static void write_meta(FILE *f, const chm_device *dev)
{
    const char *const procs[] = { dev->be->last_run_us ? "card (kernels measured)"
                                                       : "card (modelled)",
                                  "host (wall clock)" };
    for (int p = 0; p < 2; p++) {
        fprintf(f, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":0,"
                   "\"args\":{\"name\":\"%s %s\"}},\n", p + 1, dev->name, procs[p]);
        for (int e = 0; e < dev->n_engines; e++) {
            char nm[64];
            engine_name(dev, e, nm, sizeof nm);
            fprintf(f, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":%d,"
                       "\"args\":{\"name\":\"%s\"}},\n", p + 1, e, nm);
        }
    }
}

int chm_trace_write(chm_device *dev, const char *path)
{
    if (!dev || !path)
        return CHM_FAIL(dev, CHM_EINVAL, "dev and path must not be NULL");
    FILE *f = fopen(path, "w");
    if (!f)
        return CHM_FAIL(dev, CHM_EIO, "cannot open \"%s\" for writing", path);
    fprintf(f, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n");
    write_meta(f, dev);
    pthread_mutex_lock(&dev->lock);
    for (size_t i = 0; i < dev->n_trace; i++) {
        const trace_rec *r = &dev->trace[i];
        const char *cat = r->engine >= ENGINE_REGION0 ? "kernel" : "dma";
        /* a counter track of modelled dynamic power on the card timeline: µJ / µs = W */
        const double span = r->dev_end_us - r->dev_start_us;
        if (span > 0 && r->energy_uj > 0) {
            char en[64];
            engine_name(dev, r->engine, en, sizeof en);
            for (int edge = 0; edge < 2; edge++) {
                fprintf(f, "{\"name\":\"power (W, modelled dynamic)\",\"ph\":\"C\",\"ts\":%.3f,"
                           "\"pid\":1,\"args\":{\"",
                        edge ? r->dev_end_us : r->dev_start_us);
                json_str(f, en);
                fprintf(f, "\":%.6f}},\n", edge ? 0.0 : r->energy_uj / span);
            }
        }
        for (int p = 0; p < 2; p++) {
            double ts = p == 0 ? r->dev_start_us : r->wall_start_us;
            double dur = p == 0 ? r->dev_end_us - r->dev_start_us : r->wall_end_us - r->wall_start_us;
            fprintf(f, "{\"name\":\"");
            json_str(f, r->name);
            fprintf(f, "\",\"cat\":\"%s\",\"ph\":\"X\",\"ts\":%.3f,\"dur\":%.3f,\"pid\":%d,"
                       "\"tid\":%d,\"args\":{\"bytes\":%llu,\"macs\":%llu",
                    cat, ts, dur, p + 1, r->engine, (unsigned long long)r->bytes,
                    (unsigned long long)r->macs);
            if (r->measured)
                fprintf(f, ",\"measured_us\":%.3f,\"model_us\":%.3f",
                        r->dev_end_us - r->dev_start_us, r->model_us);
            fprintf(f, ",\"energy_uj\":%.6f", r->energy_uj);
            if (r->measured_uj >= 0)
                fprintf(f, ",\"measured_uj\":%.6f", r->measured_uj);
            fprintf(f, "}}%s\n", (i + 1 == dev->n_trace && p == 1) ? "" : ",");
        }
    }
    if (dev->n_trace == 0)
        fprintf(f, "{\"name\":\"empty\",\"ph\":\"M\",\"pid\":1,\"tid\":0,\"args\":{}}\n");
    pthread_mutex_unlock(&dev->lock);
    fprintf(f, "]}\n");
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return CHM_FAIL(dev, CHM_EIO, "error writing \"%s\"", path);
    return CHM_OK;
}
