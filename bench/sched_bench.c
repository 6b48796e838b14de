/*
 * sched_bench - a mixed CNN / SPARSE workload under each scheduling policy
 * and under a static split, on the modelled card.
 *
 * Requests (a conv layer in CNN mode, or a pruned fc layer in SPARSE mode)
 * come in a seeded random order and are all queued at card time 0; each has
 * its own tensors, so only regions and modes order them. For each policy it
 * prints the modelled makespan, mean and p99 completion time, and the
 * reconfigurations (each a 22.9 MB partial bitstream through the ICAP at
 * 125 MHz x 32 bits = 45.7 ms on a U250 region).
 *
 *   sched_bench [--device emu:u250] [--requests 120] [--seed 1] [--sparse-share 0.4]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chimera.h"

typedef struct req {
    int sparse;
    chm_tensor *in, *out;
    chm_event *ev;
} req;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static uint64_t rng;
static uint32_t next_u32(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static const char *devname = "emu:u250";

static int run_policy(const char *label, const chm_sched_params *sp, int pin, int n, uint64_t seed,
                      double share)
{
    chm_device *dev;
    if (chm_device_open(devname, &dev))
        return 1;
    chm_device_info info;
    chm_device_query(dev, &info);
    if (pin && info.n_regions < 2) {
        chm_device_close(dev);
        return 0; /* one region cannot be split */
    }
    if (pin) /* static split: the last region holds SPARSE, the others keep CNN */
        chm_region_load_mode(dev, (int)info.n_regions - 1, CHM_MODE_SPARSE, NULL);
    chm_device_set_scheduler(dev, sp);
    chm_finish(dev);
    chm_device_stats s0;
    chm_device_stats_get(dev, &s0);
    static int8_t cw[64 * 9 * 64], fw[1024 * 1024], data[56 * 56 * 64];
    rng = 0x1234567 + seed;
    for (size_t i = 0; i < sizeof cw; i++)
        cw[i] = (int8_t)next_u32();
    for (size_t i = 0; i < sizeof fw; i++)
        fw[i] = next_u32() % 10 == 0 ? (int8_t)next_u32() : 0; /* 10% dense */
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (int8_t)next_u32();
    chm_tensor *tcw, *tfw;
    chm_sparse *s;
    chm_tensor_alloc(dev, CHM_INT8, 4, (int64_t[]){ 64, 3, 3, 64 }, -1, &tcw);
    chm_tensor_write(tcw, 0, cw, sizeof cw);
    chm_sparse_from_dense(fw, 1024, 1024, &(chm_sparse_params){ .format = CHM_SPARSE_X }, &s);
    chm_sparse_upload(dev, s, -1, &tfw);
    chm_sparse_free(s);
    int32_t mult = 1 << 30, shift = -12;
    chm_requant rq = { .multiplier = &mult, .shift = &shift, .per_tensor = 1 };
    chm_conv2d_params cp = { .pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1, .rq = rq };
    req *r = calloc((size_t)n, sizeof *r);
    rng = 0x9E37 + seed; /* the same order for every policy */
    for (int i = 0; i < n; i++) {
        r[i].sparse = next_u32() % 1000 < share * 1000;
        int64_t d4[4] = { 1, 28, 28, 64 }, d2[2] = { 16, 1024 };
        chm_tensor_alloc(dev, CHM_INT8, r[i].sparse ? 2 : 4, r[i].sparse ? d2 : d4, -1, &r[i].in);
        chm_tensor_alloc(dev, CHM_INT8, r[i].sparse ? 2 : 4, r[i].sparse ? d2 : d4, -1, &r[i].out);
        chm_tensor_write(r[i].in, 0, data, r[i].sparse ? 16 * 1024 : 28 * 28 * 64);
    }
    chm_finish(dev);
    chm_device_stats s1;
    chm_device_stats_get(dev, &s1);
    const double t0 = s1.device_makespan_us; /* requests arrive when the setup is done */
    int bad = 0;
    for (int i = 0; i < n; i++)
        bad |= r[i].sparse ? chm_sparse_fully_connected(dev, r[i].in, tfw, NULL, r[i].out, &rq, &r[i].ev)
                           : chm_conv2d(dev, r[i].in, tcw, NULL, r[i].out, &cp, &r[i].ev);
    bad |= chm_finish(dev);
    double *done = calloc((size_t)n, sizeof *done), mean = 0, end = 0;
    for (int i = 0; i < n; i++) { /* completion time after the requests arrive at t0 */
        chm_event_times t;
        bad |= chm_event_times_get(r[i].ev, &t);
        done[i] = t.device_end_us - t0;
        mean += done[i] / n;
        end = done[i] > end ? done[i] : end;
        chm_event_release(r[i].ev);
    }
    qsort(done, (size_t)n, sizeof *done, cmp_double);
    chm_device_stats s2;
    chm_device_stats_get(dev, &s2);
    chm_device_query(dev, &info);
    double busy = 0, conf = 0;
    for (uint32_t g = 0; g < info.n_regions; g++)
        busy += info.regions[g].busy_us, conf += info.regions[g].configuring_us;
    const double span = s2.device_makespan_us * info.n_regions; /* region-time since open */
    printf("%-26s | %11.1f | %8.1f | %8.1f | %5llu | %5.1f%% %5.1f%% %5.1f%%\n", label, end / 1e3,
           mean / 1e3, done[(size_t)(0.99 * (n - 1))] / 1e3,
           (unsigned long long)(s2.reconfigurations - s1.reconfigurations), 100 * busy / span,
           100 * conf / span, 100 * (span - busy - conf) / span);
    free(done);
    for (int i = 0; i < n; i++)
        chm_tensor_free(r[i].in), chm_tensor_free(r[i].out);
    free(r);
    chm_device_close(dev);
    if (bad)
        fprintf(stderr, "sched_bench: %s\n", chm_last_error(NULL));
    return bad;
}

int main(int argc, char **argv)
{
    int n = 120;
    uint64_t seed = 1;
    double share = 0.4;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--requests")) n = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seed")) seed = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--sparse-share")) share = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--device")) devname = argv[i + 1];
    }
    if (n < 1)
        n = 1;
    printf("%d requests, %.0f%% SPARSE (fc 1024x1024 at 10%%, batch 16) / CNN (conv 3x3 64->64 "
           "28x28), seed %llu, %s\n", n, 100 * share, (unsigned long long)seed, devname);
    printf("%-26s | %11s | %8s | %8s | %5s | %s\n", "policy", "makespan ms", "mean ms", "p99 ms",
           "loads", "regions busy / configuring / idle");
    int bad = 0;
    bad |= run_policy("on-demand (FIFO)", &(chm_sched_params){ CHM_SCHED_ON_DEMAND, 0, 0 }, 0, n, seed, share);
    bad |= run_policy("batch, window 16", &(chm_sched_params){ CHM_SCHED_BATCH, 16, 2 }, 0, n, seed, share);
    bad |= run_policy("batch, window 64", &(chm_sched_params){ CHM_SCHED_BATCH, 64, 4 }, 0, n, seed, share);
    bad |= run_policy("prefetch, window 16", &(chm_sched_params){ CHM_SCHED_PREFETCH, 16, 2 }, 0, n, seed, share);
    bad |= run_policy("static: last region SPARSE", &(chm_sched_params){ CHM_SCHED_STATIC, 0, 0 }, 1, n, seed, share);
    return bad;
}
