/*
 * test_bankshare.c - a memory bank's bandwidth shared on the card timeline
 * by the commands that use it at once (host/src/bankshare.c): hand-worked
 * cases of the arbiter, then two residual adds on two regions of emu:u250,
 * slowed when their outputs share a bank and not when they do not; and the
 * CHM_BANK_SPREAD placement rule.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bankshare.h"
#include "test_util.h"

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

static void test_arbiter(void)
{
    chm_bank_use p = { 0 };
    /* alone: its own time */
    CU_ASSERT(NEAR(chm__bank_lay(&p, 0, 10, 1.0), 10));
    /* a second full-bank command at once waits for the bank: 10 more */
    CU_ASSERT(NEAR(chm__bank_lay(&p, 0, 10, 1.0), 20));
    /* a third that needs none of it is not slowed */
    CU_ASSERT(NEAR(chm__bank_lay(&p, 5, 10, 0.0), 15));
    chm__bank_free(&p);

    /* two halves fit side by side */
    CU_ASSERT(NEAR(chm__bank_lay(&p, 0, 10, 0.5), 10));
    CU_ASSERT(NEAR(chm__bank_lay(&p, 0, 10, 0.5), 10));
    /* a third half at 5: nothing left until 10, then alone: 10 + 10 */
    CU_ASSERT(NEAR(chm__bank_lay(&p, 5, 10, 0.5), 20));
    chm__bank_free(&p);

    /* 0.75 then 0.5: the second gets 0.25 of the bank = half speed over [0, 10),
     * 5 of its 10 done, the other 5 alone: ends at 15 */
    CU_ASSERT(NEAR(chm__bank_lay(&p, 0, 10, 0.75), 10));
    CU_ASSERT(NEAR(chm__bank_lay(&p, 0, 10, 0.5), 15));
    /* and the use it left: 0.75 + 0.25 over [0, 10), 0.5 over [10, 15) -> a 1.0 command
     * at 0 waits until 10, runs at half speed to 15 (2.5 done), then alone: 22.5 */
    CU_ASSERT(NEAR(chm__bank_lay(&p, 0, 10, 1.0), 22.5));
    /* shares past 1 are 1 */
    CU_ASSERT(NEAR(chm__bank_lay(&p, 100, 10, 3.0), 110));
    /* forgetting the past leaves the future as it was */
    chm__bank_forget(&p, 12);
    CU_ASSERT(NEAR(chm__bank_lay(&p, 105, 10, 0.5), 120)); /* all of it used until 110 */
    CU_ASSERT(NEAR(chm__bank_lay(&p, 0, 1, 0.0), 1));
    chm__bank_free(&p);
    CU_ASSERT(p.n == 0 && p.t == NULL);
}

/* Two residual adds of n elements submitted at once (regions 0 and 1 hold CNN mode);
 * the second's output in bank out_bank. Their modelled card durations. */
static void two_adds(int out_bank, double dur[2])
{
    enum { N = 256 * 1024 };
    int8_t *x = malloc(N);
    for (int i = 0; i < N; i++)
        x[i] = (int8_t)(i * 7);
    chm_tensor *a[2], *b[2], *o[2];
    for (int k = 0; k < 2; k++) {
        a[k] = tu_tensor(tu_dev, CHM_INT8, 2, TU_DIMS(256, 1024), x);
        b[k] = tu_tensor(tu_dev, CHM_INT8, 2, TU_DIMS(256, 1024), x);
        CU_ASSERT_EQUAL_FATAL(chm_tensor_alloc(tu_dev, CHM_INT8, 2, TU_DIMS(256, 1024),
                                               k ? out_bank : 0, &o[k]), CHM_OK);
    }
    CU_ASSERT_EQUAL(chm_finish(tu_dev), CHM_OK);
    chm_add_params p = { 0 };
    CU_ASSERT_EQUAL(chm_add_params_from_scales(0.05, 0.05, 0.1, &p), CHM_OK);
    chm_event *ev[2];
    for (int k = 0; k < 2; k++)
    {
        const int rc = chm_add(tu_dev, a[k], b[k], o[k], &p, &ev[k]);
        if (rc)
            fprintf(stderr, "%s\n", chm_last_error(tu_dev));
        CU_ASSERT_EQUAL_FATAL(rc, CHM_OK);
    }
    chm_event_times t[2];
    for (int k = 0; k < 2; k++) {
        CU_ASSERT_EQUAL(chm_wait(ev[k]), CHM_OK);
        CU_ASSERT_EQUAL(chm_event_times_get(ev[k], &t[k]), CHM_OK);
        dur[k] = t[k].device_end_us - t[k].device_start_us;
        chm_event_release(ev[k]);
    }
    CU_ASSERT(t[0].region != t[1].region); /* side by side */
    CU_ASSERT(t[1].device_start_us < t[0].device_end_us);
    for (int k = 0; k < 2; k++)
        chm_tensor_free(a[k]), chm_tensor_free(b[k]), chm_tensor_free(o[k]);
    free(x);
}

static void test_two_regions(void)
{
    for (int r = 0; r < 2; r++) {
        chm_event *ev;
        CU_ASSERT_EQUAL_FATAL(chm_region_load_mode(tu_dev, r, CHM_MODE_CNN, &ev), CHM_OK);
        CU_ASSERT_EQUAL(chm_wait(ev), CHM_OK);
        chm_event_release(ev);
    }
    double same[2], apart[2];
    two_adds(0, same);
    two_adds(1, apart);
    printf("\n    adds side by side: one bank %.2f + %.2f us, two banks %.2f + %.2f us ", same[0],
           same[1], apart[0], apart[1]);
    /* the add moves 3 bytes an element at 16 elements a cycle: 48 of the bank's 64 bytes
     * a cycle, so two at once do not fit one bank: the second is slowed */
    CU_ASSERT(NEAR(same[0], apart[0]));
    CU_ASSERT(same[1] > 1.3 * same[0]);
    /* with its output (where the model charges its bytes) in another bank it is not */
    CU_ASSERT(fabs(apart[1] - apart[0]) < 1e-6 * apart[0]);
}

/* CHM_BANK_SPREAD: the least-filled bank every region reaches, else the first. */
static void test_spread(void)
{
    chm_tensor *t[5];
    chm_tensor_info ti;
    int seen[4] = { 0 };
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL_FATAL(chm_tensor_alloc(tu_dev, CHM_INT8, 1, TU_DIMS(1 << 20), CHM_BANK_SPREAD,
                                               &t[i]), CHM_OK);
        CU_ASSERT_EQUAL(chm_tensor_query(t[i], &ti), CHM_OK);
        CU_ASSERT(ti.bank >= 0 && ti.bank < 4);
        if (ti.bank >= 0 && ti.bank < 4)
            seen[ti.bank]++;
    }
    CU_ASSERT(seen[0] == 1 && seen[1] == 1 && seen[2] == 1 && seen[3] == 1); /* U250: 4 DDR banks */
    /* a smaller one goes where the least is: all equal, so the first */
    CU_ASSERT_EQUAL_FATAL(chm_tensor_alloc(tu_dev, CHM_INT8, 1, TU_DIMS(4096), CHM_BANK_SPREAD, &t[4]),
                          CHM_OK);
    CU_ASSERT_EQUAL(chm_tensor_query(t[4], &ti), CHM_OK);
    CU_ASSERT_EQUAL(ti.bank, 0);
    /* freeing one makes its bank the emptiest again */
    CU_ASSERT_EQUAL(chm_tensor_query(t[2], &ti), CHM_OK);
    const int freed = ti.bank;
    chm_tensor_free(t[2]);
    CU_ASSERT_EQUAL_FATAL(chm_tensor_alloc(tu_dev, CHM_INT8, 1, TU_DIMS(1 << 20), CHM_BANK_SPREAD,
                                           &t[2]), CHM_OK);
    CU_ASSERT(chm_tensor_query(t[2], &ti) == CHM_OK && ti.bank == freed);
    for (int i = 0; i < 5; i++)
        chm_tensor_free(t[i]);
    /* U280: its two regions reach different HBM halves and DDR banks: no common bank */
    chm_device *u280;
    CU_ASSERT_EQUAL_FATAL(chm_device_open("emu:u280", &u280), CHM_OK);
    chm_tensor *a, *b;
    CU_ASSERT_EQUAL(chm_tensor_alloc(u280, CHM_INT8, 1, TU_DIMS(4096), CHM_BANK_SPREAD, &a), CHM_OK);
    CU_ASSERT_EQUAL(chm_tensor_alloc(u280, CHM_INT8, 1, TU_DIMS(4096), CHM_BANK_SPREAD, &b), CHM_OK);
    CU_ASSERT(chm_tensor_query(a, &ti) == CHM_OK && ti.bank == 0);
    CU_ASSERT(chm_tensor_query(b, &ti) == CHM_OK && ti.bank == 0);
    chm_tensor_free(a), chm_tensor_free(b);
    chm_device_close(u280);
}

typedef struct waiter {
    chm_event *ev;
    chm_tensor *t;
    const void *src;
    chm_event *after; /* the copy it queues once ev is done */
} waiter;

static void *wait_then_copy(void *arg)
{
    waiter *w = arg;
    CU_ASSERT_EQUAL(chm_wait(w->ev), CHM_OK);
    CU_ASSERT_EQUAL(chm_tensor_write_async(w->t, 0, w->src, 4096, &w->after), CHM_OK);
    return NULL;
}

/* A thread that waited for an event queues work that starts after it; a thread that did not
 * wait is not held back by the other's wait. */
static void test_waits_per_thread(void)
{
    static int8_t x[256 * 1024];
    chm_tensor *a = tu_tensor(tu_dev, CHM_INT8, 2, TU_DIMS(256, 1024), x);
    chm_tensor *b = tu_tensor(tu_dev, CHM_INT8, 2, TU_DIMS(256, 1024), x);
    chm_tensor *o = tu_tensor(tu_dev, CHM_INT8, 2, TU_DIMS(256, 1024), NULL);
    chm_tensor *p = tu_tensor(tu_dev, CHM_INT8, 1, TU_DIMS(4096), NULL);
    chm_tensor *q = tu_tensor(tu_dev, CHM_INT8, 1, TU_DIMS(4096), NULL);
    CU_ASSERT_EQUAL(chm_finish(tu_dev), CHM_OK);
    chm_add_params ap = { 0 };
    CU_ASSERT_EQUAL(chm_add_params_from_scales(0.05, 0.05, 0.1, &ap), CHM_OK);
    waiter w = { .t = p, .src = x };
    CU_ASSERT_EQUAL_FATAL(chm_add(tu_dev, a, b, o, &ap, &w.ev), CHM_OK);
    pthread_t th;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, wait_then_copy, &w), 0);
    pthread_join(th, NULL);
    /* this thread never waited for the add: its copy (independent of it, on the other DMA
     * direction) may run beside it */
    static int8_t back[4096];
    chm_event *mine;
    CU_ASSERT_EQUAL_FATAL(chm_tensor_read_async(q, 0, back, 4096, &mine), CHM_OK);
    chm_event_times te, tw, tm;
    CU_ASSERT_EQUAL(chm_wait(w.after), CHM_OK);
    CU_ASSERT_EQUAL(chm_wait(mine), CHM_OK);
    chm_event_times_get(w.ev, &te), chm_event_times_get(w.after, &tw), chm_event_times_get(mine, &tm);
    CU_ASSERT(tw.device_start_us >= te.device_end_us);      /* queued after its wait */
    CU_ASSERT(tm.device_start_us < te.device_end_us);       /* not held back by it */
    chm_event_release(w.ev), chm_event_release(w.after), chm_event_release(mine);
    chm_tensor_free(a), chm_tensor_free(b), chm_tensor_free(o), chm_tensor_free(p), chm_tensor_free(q);
}

int main(void)
{
    static const tu_test tests[] = {
        { "the arbiter: hand-worked shares, waits and forgetting", test_arbiter },
        { "two adds on two regions: one bank shared, two banks not", test_two_regions },
        { "CHM_BANK_SPREAD: the least-filled common bank; none in common: the first", test_spread },
        { "a wait holds back what its own thread queues next, not other threads", test_waits_per_thread },
        { NULL, NULL },
    };
    return tu_run_suite("bankshare", "emu:u250", tests, NULL, NULL);
}
