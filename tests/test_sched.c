/*
 * test_sched.c - scheduling policies with CNN and SPARSE work interleaved:
 * every result right under every policy and from several threads, fewer
 * reconfigurations when batching, none under a static split.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chm_ref.h"
#include "test_util.h"

enum { K = 96, M = 40 };
static int8_t fcw[M * K];
static chm_sparse *sw;
static int32_t mult[M], shift[M];

/* One request: CNN-mode fc or SPARSE-mode fc on the same (pruned) weights. */
typedef struct job {
    int sparse;
    int8_t in[4 * K], got[4 * M];
    chm_tensor *ti, *to;
} job;

static uint64_t loads(chm_device *d)
{
    chm_device_stats s;
    chm_device_stats_get(d, &s);
    return s.reconfigurations;
}

/* Queues jobs on d without waiting, then checks each against the reference. */
static int run_jobs(chm_device *d, job *jobs, int n, chm_tensor *tw_dense, chm_tensor *tw_sparse)
{
    chm_requant rq = { .multiplier = mult, .shift = shift, .in_zero_point = 2 };
    int bad = 0;
    for (int i = 0; i < n; i++) {
        job *j = &jobs[i];
        j->ti = tu_tensor(d, CHM_INT8, 2, TU_DIMS(4, K), j->in);
        j->to = tu_tensor(d, CHM_INT8, 2, TU_DIMS(4, M), NULL);
        bad |= j->sparse ? chm_sparse_fully_connected(d, j->ti, tw_sparse, NULL, j->to, &rq, NULL)
                         : chm_fully_connected(d, j->ti, tw_dense, NULL, j->to, &rq, NULL);
    }
    int8_t dec[M * K], want[4 * M];
    chm_sparse_to_dense(sw, dec);
    for (int i = 0; i < n; i++) {
        bad |= chm_tensor_read(jobs[i].to, 0, jobs[i].got, sizeof jobs[i].got);
        ref_fully_connected(jobs[i].in, 4, K, dec, M, NULL, &rq, want);
        bad |= memcmp(jobs[i].got, want, sizeof want) != 0;
        chm_tensor_free(jobs[i].ti);
        chm_tensor_free(jobs[i].to);
    }
    return bad;
}

static job *make_jobs(int n, uint64_t seed, int alternate)
{
    job *jobs = calloc((size_t)n, sizeof *jobs);
    tu_rng r;
    tu_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        jobs[i].sparse = alternate ? i % 2 : tu_range(&r, 0, 1);
        tu_fill_i8(&r, jobs[i].in, sizeof jobs[i].in, -128, 127);
    }
    return jobs;
}

static int policy_run(const char *dev_name, chm_sched_policy pol, int window, int n,
                      uint64_t *reconfigs)
{
    chm_device *d;
    if (chm_device_open(dev_name, &d))
        return 1;
    chm_device_set_scheduler(d, &(chm_sched_params){ pol, window, 2 });
    chm_tensor *tw = tu_tensor(d, CHM_INT8, 2, TU_DIMS(M, K), NULL), *ts;
    int8_t dec[M * K];
    chm_sparse_to_dense(sw, dec);
    chm_tensor_write(tw, 0, dec, sizeof dec);
    chm_sparse_upload(d, sw, CHM_BANK_DEFAULT, &ts);
    job *jobs = make_jobs(n, 3, 1);
    uint64_t before = loads(d);
    int bad = run_jobs(d, jobs, n, tw, ts);
    *reconfigs = loads(d) - before;
    free(jobs);
    chm_device_close(d);
    return bad;
}

static void test_policies_one_region(void)
{
    uint64_t on_demand, batch, prefetch;
    /* 24 jobs alternating CNN / SPARSE on a card with one region. */
    CU_ASSERT_EQUAL(policy_run("emu:u50", CHM_SCHED_ON_DEMAND, 0, 24, &on_demand), 0);
    CU_ASSERT_EQUAL(policy_run("emu:u50", CHM_SCHED_BATCH, 32, 24, &batch), 0);
    CU_ASSERT_EQUAL(policy_run("emu:u50", CHM_SCHED_PREFETCH, 32, 24, &prefetch), 0);
    CU_ASSERT(on_demand >= 20); /* thrashes: a load for (nearly) every switch */
    CU_ASSERT(batch <= 2);      /* all of one mode, then all of the other */
    CU_ASSERT(prefetch <= 2);
    fprintf(stderr, "reconfigurations: on-demand %llu, batch %llu, prefetch %llu\n",
            (unsigned long long)on_demand, (unsigned long long)batch, (unsigned long long)prefetch);
}

static void test_static_split(void)
{
    chm_device *d;
    CU_ASSERT_EQUAL_FATAL(chm_device_open("emu:u250", &d), CHM_OK);
    CU_ASSERT_EQUAL(chm_device_set_scheduler(d, &(chm_sched_params){ CHM_SCHED_STATIC, 0, 0 }), CHM_OK);
    /* No region holds SPARSE and none may be reconfigured: refused at once. */
    chm_tensor *ti = tu_tensor(d, CHM_INT8, 2, TU_DIMS(4, K), NULL);
    chm_tensor *to = tu_tensor(d, CHM_INT8, 2, TU_DIMS(4, M), NULL), *ts;
    chm_sparse_upload(d, sw, CHM_BANK_DEFAULT, &ts);
    chm_requant rq = { .multiplier = mult, .shift = shift };
    CU_ASSERT_EQUAL(chm_sparse_fully_connected(d, ti, ts, NULL, to, &rq, NULL), CHM_EMODE);
    CU_ASSERT_PTR_NOT_NULL(strstr(chm_last_error(d), "static scheduling"));
    /* Pin region 2 to SPARSE: then the work runs with no further load. */
    CU_ASSERT_EQUAL(chm_region_load_mode(d, 2, CHM_MODE_SPARSE, NULL), CHM_OK);
    CU_ASSERT_EQUAL(chm_finish(d), CHM_OK);
    uint64_t before = loads(d);
    chm_tensor *tw = tu_tensor(d, CHM_INT8, 2, TU_DIMS(M, K), NULL);
    int8_t dec[M * K];
    chm_sparse_to_dense(sw, dec);
    chm_tensor_write(tw, 0, dec, sizeof dec);
    job *jobs = make_jobs(30, 8, 0);
    CU_ASSERT_EQUAL(run_jobs(d, jobs, 30, tw, ts), 0);
    CU_ASSERT_EQUAL(loads(d), before);
    free(jobs);
    chm_tensor_free(ti), chm_tensor_free(to), chm_tensor_free(ts), chm_tensor_free(tw);
    chm_device_close(d);
}

typedef struct thread_arg {
    chm_device *d;
    chm_tensor *tw, *ts;
    int id, bad;
} thread_arg;

static void *submitter(void *p)
{
    thread_arg *a = p;
    job *jobs = make_jobs(16, 100 + (uint64_t)a->id, 0);
    a->bad = run_jobs(a->d, jobs, 16, a->tw, a->ts);
    free(jobs);
    return NULL;
}

static void test_threads(void)
{
    for (int pol = CHM_SCHED_ON_DEMAND; pol <= CHM_SCHED_PREFETCH; pol++) {
        chm_device *d;
        CU_ASSERT_EQUAL_FATAL(chm_device_open("emu:u280", &d), CHM_OK);
        chm_device_set_scheduler(d, &(chm_sched_params){ (chm_sched_policy)pol, 8, 2 });
        chm_tensor *tw = tu_tensor(d, CHM_INT8, 2, TU_DIMS(M, K), NULL), *ts;
        int8_t dec[M * K];
        chm_sparse_to_dense(sw, dec);
        chm_tensor_write(tw, 0, dec, sizeof dec);
        chm_sparse_upload(d, sw, CHM_BANK_DEFAULT, &ts);
        pthread_t th[4];
        thread_arg args[4];
        for (int i = 0; i < 4; i++) {
            args[i] = (thread_arg){ d, tw, ts, i, 0 };
            pthread_create(&th[i], NULL, submitter, &args[i]);
        }
        for (int i = 0; i < 4; i++) {
            pthread_join(th[i], NULL);
            CU_ASSERT_EQUAL(args[i].bad, 0);
        }
        CU_ASSERT_EQUAL(chm_finish(d), CHM_OK);
        chm_tensor_free(tw), chm_tensor_free(ts);
        chm_device_close(d);
    }
}

static int init(void)
{
    tu_rng r;
    tu_seed(&r, 1);
    tu_fill_i8(&r, fcw, sizeof fcw, -127, 127);
    tu_random_requant(&r, mult, shift, M, -12, -8);
    return chm_sparse_from_dense(fcw, M, K, &(chm_sparse_params){ .format = CHM_SPARSE_X, .density = 0.3 }, &sw);
}

static int clean(void)
{
    chm_sparse_free(sw);
    return 0;
}

int main(void)
{
    static const tu_test tests[] = {
        { "one region, alternating modes: batching cuts reconfigurations", test_policies_one_region },
        { "static split: refused without a region, no loads with one", test_static_split },
        { "four threads submitting CNN and SPARSE work under each policy", test_threads },
        { NULL, NULL },
    };
    return tu_run_suite("sched", NULL, tests, init, clean);
}
