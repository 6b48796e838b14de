/*
 * test_queue.c - ordering of asynchronous commands, overlap on the modelled
 * card timeline, events, stats, the trace file, and submission from threads.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chm_ref.h"
#include "test_util.h"

static int32_t mult[16], shift[16];

static chm_conv2d_params conv_params(void)
{
    chm_conv2d_params p = { .pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1 };
    p.rq = (chm_requant){ .multiplier = mult, .shift = shift, .in_zero_point = 1 };
    return p;
}

/*
 * Reuses one input tensor for many images without waiting: each write must
 * wait until the previous conv has read the tensor (write after read), and
 * each read-back must see its own image's result.
 */
static void test_reuse_without_waiting(void)
{
    enum { IMAGES = 24, H = 12, C = 8, OC = 16 };
    tu_rng r;
    tu_seed(&r, 77);
    static int8_t imgs[IMAGES][H * H * C], got[IMAGES][H * H * OC], want[H * H * OC];
    int8_t w[OC * 9 * C];
    tu_fill_i8(&r, &imgs[0][0], sizeof imgs, -128, 127);
    tu_fill_i8(&r, w, sizeof w, -128, 127);
    chm_tensor *ti = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(1, H, H, C), NULL);
    chm_tensor *tw = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(OC, 3, 3, C), w);
    chm_tensor *to = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(1, H, H, OC), NULL);
    CU_ASSERT_FATAL(ti && tw && to);
    chm_conv2d_params p = conv_params();
    for (int i = 0; i < IMAGES; i++) {
        CU_ASSERT_EQUAL(chm_tensor_write_async(ti, 0, imgs[i], sizeof imgs[i], NULL), CHM_OK);
        CU_ASSERT_EQUAL(chm_conv2d(tu_dev, ti, tw, NULL, to, &p, NULL), CHM_OK);
        CU_ASSERT_EQUAL(chm_tensor_read_async(to, 0, got[i], sizeof got[i], NULL), CHM_OK);
    }
    CU_ASSERT_EQUAL(chm_finish(tu_dev), CHM_OK);
    for (int i = 0; i < IMAGES; i++) {
        ref_conv2d(imgs[i], 1, H, H, C, w, OC, 3, 3, NULL, &p, want);
        CU_ASSERT_EQUAL(tu_first_diff(got[i], want, sizeof want), -1);
    }
    chm_tensor_free(ti), chm_tensor_free(tw), chm_tensor_free(to);
}

/* On the modelled card, a copy of batch 2 overlaps the kernel of batch 1,
 * and a kernel never starts before the copy of its input has ended. */
static void test_modelled_overlap(void)
{
    chm_tensor *in[2], *out[2];
    chm_tensor *tw = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(16, 3, 3, 8), NULL);
    static int8_t data[8 * 32 * 32 * 8];
    chm_event *copy[2], *conv[2];
    chm_conv2d_params p = conv_params();
    for (int i = 0; i < 2; i++) {
        in[i] = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(8, 32, 32, 8), NULL);
        out[i] = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(8, 32, 32, 16), NULL);
    }
    for (int i = 0; i < 2; i++) {
        CU_ASSERT_EQUAL(chm_tensor_write_async(in[i], 0, data, sizeof data, &copy[i]), CHM_OK);
        CU_ASSERT_EQUAL(chm_conv2d(tu_dev, in[i], tw, NULL, out[i], &p, &conv[i]), CHM_OK);
    }
    chm_event_times tc[2], tk[2];
    for (int i = 0; i < 2; i++) {
        CU_ASSERT_EQUAL(chm_wait(conv[i]), CHM_OK);
        CU_ASSERT_EQUAL(chm_wait(copy[i]), CHM_OK);
        chm_event_times_get(copy[i], &tc[i]);
        chm_event_times_get(conv[i], &tk[i]);
        CU_ASSERT(tk[i].device_start_us >= tc[i].device_end_us);
        CU_ASSERT(tk[i].region >= 0);
        CU_ASSERT_EQUAL(tc[i].region, -1);
        chm_event_release(copy[i]);
        chm_event_release(conv[i]);
    }
    CU_ASSERT(tc[1].device_start_us < tk[0].device_end_us); /* DMA overlaps compute */
    CU_ASSERT(tk[0].region != tk[1].region);                 /* two regions share work */
    for (int i = 0; i < 2; i++)
        chm_tensor_free(in[i]), chm_tensor_free(out[i]);
    chm_tensor_free(tw);
}

static void test_stats_and_trace(void)
{
    chm_device *d;
    CU_ASSERT_EQUAL_FATAL(chm_device_open("emu:u280", &d), CHM_OK);
    int8_t buf[64 * 64];
    memset(buf, 1, sizeof buf);
    chm_tensor *a = tu_tensor(d, CHM_INT8, 4, TU_DIMS(1, 64, 64, 1), buf);
    chm_tensor *b = tu_tensor(d, CHM_INT8, 4, TU_DIMS(1, 32, 32, 1), NULL);
    chm_pool_params pp = { .kernel_h = 2, .kernel_w = 2 };
    CU_ASSERT_EQUAL(chm_maxpool(d, a, b, &pp, NULL), CHM_OK);
    CU_ASSERT_EQUAL(chm_tensor_read(b, 0, buf, 32 * 32), CHM_OK);
    chm_device_stats s;
    CU_ASSERT_EQUAL(chm_device_stats_get(d, &s), CHM_OK);
    CU_ASSERT_EQUAL(s.ops, 1);
    CU_ASSERT_EQUAL(s.copies, 2);
    CU_ASSERT_EQUAL(s.bytes_to_device, 64 * 64);
    CU_ASSERT_EQUAL(s.bytes_from_device, 32 * 32);
    CU_ASSERT(s.device_kernel_us > 0 && s.device_dma_us > 0);
    CU_ASSERT(s.device_makespan_us >= s.device_kernel_us + s.device_dma_us - 1e-9);
    const char *path = tu_tmp("test_queue_trace.json");
    CU_ASSERT_EQUAL(chm_trace_write(d, path), CHM_OK);
    FILE *f = fopen(path, "r");
    CU_ASSERT_FATAL(f != NULL);
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose(f);
    remove(path);
    int complete = 0;
    for (const char *q = text; (q = strstr(q, "\"ph\":\"X\"")); q++)
        complete++;
    CU_ASSERT_EQUAL(complete, 2 * 3); /* 3 commands, on the card and the wall clock */
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"traceEvents\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "region 0 (pr_slr1)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "DMA host->card"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "maxpool 2x2"));
    CU_ASSERT_EQUAL(text[n - 2], '}');
    CU_ASSERT_EQUAL(chm_trace_write(d, "/nonexistent-dir/t.json"), CHM_EIO);
    CU_ASSERT_EQUAL(chm_device_close(d), CHM_OK);
}

typedef struct worker_arg {
    int id;
    int bad;
} worker_arg;

static void *worker(void *argp)
{
    worker_arg *arg = argp;
    tu_rng r;
    tu_seed(&r, 900 + (uint64_t)arg->id);
    int8_t a[4096], b[4096], got[4096], want[4096];
    chm_add_params p = { .a_zero_point = 3, .b_zero_point = -7, .out_zero_point = 1 };
    chm_add_params_from_scales(0.1, 0.07, 0.15, &p);
    chm_tensor *ta = tu_tensor(tu_dev, CHM_INT8, 1, TU_DIMS(4096), NULL);
    chm_tensor *tb = tu_tensor(tu_dev, CHM_INT8, 1, TU_DIMS(4096), NULL);
    chm_tensor *to = tu_tensor(tu_dev, CHM_INT8, 1, TU_DIMS(4096), NULL);
    for (int it = 0; it < 20 && ta && tb && to; it++) {
        tu_fill_i8(&r, a, sizeof a, -128, 127);
        tu_fill_i8(&r, b, sizeof b, -128, 127);
        chm_event *ev = NULL;
        int rc = chm_tensor_write_async(ta, 0, a, sizeof a, NULL);
        rc |= chm_tensor_write_async(tb, 0, b, sizeof b, NULL);
        rc |= chm_add(tu_dev, ta, tb, to, &p, NULL);
        rc |= chm_tensor_read_async(to, 0, got, sizeof got, &ev);
        rc |= chm_wait(ev);
        chm_event_release(ev);
        ref_add(a, b, 4096, &p, want);
        if (rc || tu_first_diff(got, want, sizeof got) >= 0)
            arg->bad++;
    }
    chm_tensor_free(ta), chm_tensor_free(tb), chm_tensor_free(to);
    return NULL;
}

static void test_threads(void)
{
    enum { THREADS = 6 };
    pthread_t th[THREADS];
    worker_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (worker_arg){ .id = i };
        pthread_create(&th[i], NULL, worker, &args[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        CU_ASSERT_EQUAL(args[i].bad, 0);
    }
}

static int init(void)
{
    for (int i = 0; i < 16; i++)
        mult[i] = 1518500250, shift[i] = -9;
    return 0;
}

int main(void)
{
    static const tu_test tests[] = {
        { "reused tensors without waiting keep every result", test_reuse_without_waiting },
        { "modelled timeline: DMA overlaps compute, deps respected", test_modelled_overlap },
        { "stats and the Chrome trace file", test_stats_and_trace },
        { "six threads submitting at once", test_threads },
        { NULL, NULL },
    };
    return tu_run_suite("queue", "emu", tests, init, NULL);
}
