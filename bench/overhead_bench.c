/*
 * overhead_bench - what the host runtime costs per operation, apart from
 * the kernel: the time to enqueue one small operation (chm_add of 16
 * int8 values: the call, from entry to return, events not requested), and
 * the round trip of one (enqueue, the engine thread runs it, chm_wait
 * returns), each the median of many, and the sustained rate of a chain of
 * them queued back to back; the add's modelled card time beside.
 *
 *   overhead_bench [--device emu:u250] [--n 20000]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chimera.h"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return v[n / 2];
}

int main(int argc, char **argv)
{
    const char *name = "emu:u250";
    int n = 20000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--device"))
            name = argv[i + 1];
        else if (!strcmp(argv[i], "--n"))
            n = atoi(argv[i + 1]) > 10 ? atoi(argv[i + 1]) : 10;
    }
    chm_device *dev;
    if (chm_device_open(name, &dev)) {
        fprintf(stderr, "overhead_bench: %s\n", chm_last_error(NULL));
        return 1;
    }
    int8_t x[16] = { 1, 2, 3 };
    chm_tensor *a, *b, *o;
    chm_tensor_alloc(dev, CHM_INT8, 1, (int64_t[]){ 16 }, CHM_BANK_DEFAULT, &a);
    chm_tensor_alloc(dev, CHM_INT8, 1, (int64_t[]){ 16 }, CHM_BANK_DEFAULT, &b);
    chm_tensor_alloc(dev, CHM_INT8, 1, (int64_t[]){ 16 }, CHM_BANK_DEFAULT, &o);
    chm_tensor_write(a, 0, x, sizeof x);
    chm_tensor_write(b, 0, x, sizeof x);
    chm_add_params p = { 0 };
    chm_add_params_from_scales(0.1, 0.1, 0.2, &p);
    double *t = malloc(sizeof *t * (size_t)n);
    /* enqueue only: writes to o make every add depend on the last, as a layer chain would */
    const double start = now_us();
    for (int i = 0; i < n; i++) {
        const double t0 = now_us();
        if (chm_add(dev, a, b, o, &p, NULL)) {
            fprintf(stderr, "overhead_bench: %s\n", chm_last_error(dev));
            return 1;
        }
        t[i] = now_us() - t0;
    }
    const double t_enqueue = median(t, n);
    chm_finish(dev);
    const double sustained = (now_us() - start) / n;
    /* round trip: enqueue, run, wait */
    const int m = n / 10;
    for (int i = 0; i < m; i++) {
        chm_event *ev;
        const double t0 = now_us();
        chm_add(dev, a, b, o, &p, &ev);
        chm_wait(ev);
        t[i] = now_us() - t0;
        chm_event_release(ev);
    }
    const double t_round = median(t, m);
    chm_device_stats st;
    chm_device_stats_get(dev, &st);
    printf("host overhead on %s, chm_add of 16 int8 values, median of %d\n", name, n);
    printf("  enqueue (call to return, no event)     %8.2f us\n", t_enqueue);
    printf("  round trip (enqueue, run, chm_wait)    %8.2f us (median of %d)\n", t_round, m);
    printf("  sustained (%d queued, then finish)  %8.2f us an add\n", n, sustained);
    printf("  modelled card time of one add          %8.2f us\n", st.device_kernel_us / st.ops);
    free(t);
    chm_tensor_free(a), chm_tensor_free(b), chm_tensor_free(o);
    chm_device_close(dev);
    return 0;
}
