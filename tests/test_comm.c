/*
 * test_comm.c - chimera_comm.h under mpirun (-np 2 and 3): every verb
 * against a direct computation of what each rank must hold (each rank's
 * data is a known function of its rank), on one emulated card a rank.
 *
 *   test_comm                 every verb; exit 0 if all ranks pass
 *   test_comm --stall R       rank R stops answering before a broadcast: the
 *                             others must fail within the timeout, naming R
 *   test_comm --kill R        rank R is killed (SIGKILL) before a broadcast:
 *                             mpirun ends the job and names the rank
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chimera_comm.h"

static int rank, failures;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "rank %d: %s:%d: failed: %s\n", rank, __FILE__, __LINE__, #cond); \
            failures++;                                                              \
        }                                                                            \
    } while (0)

static chm_tensor *tensor(chm_device *d, chm_dtype dt, int64_t n, const void *data)
{
    chm_tensor *t = NULL;
    const int64_t dims[1] = { n };
    if (chm_tensor_alloc(d, dt, 1, dims, CHM_BANK_DEFAULT, &t)) {
        fprintf(stderr, "rank %d: %s\n", rank, chm_last_error(d));
        exit(2);
    }
    if (data)
        chm_tensor_write(t, 0, data, (size_t)n * (dt == CHM_INT8 ? 1 : 4));
    return t;
}

/* Rank r's k-th int8 / fp32 value. */
static int8_t v8(int r, int k) { return (int8_t)((r * 37 + k * 11) % 200 - 100); }
static float vf(int r, int k) { return 0.1f * (float)(r + 1) + 0.37f * (float)k; }

static void test_p2p_bcast(chm_comm *c, chm_device *d, int size)
{
    enum { N = 300 };
    int8_t buf[N], got[N];
    for (int k = 0; k < N; k++)
        buf[k] = v8(rank, k);
    chm_tensor *t = tensor(d, CHM_INT8, N, buf);
    /* a ring: send to the next rank, receive from the previous (even ranks send first) */
    const int next = (rank + 1) % size, prev = (rank + size - 1) % size;
    chm_tensor *r = tensor(d, CHM_INT8, N, NULL);
    if (rank % 2 == 0) {
        CHECK(chm_comm_send(c, t, next, 7) == CHM_OK);
        CHECK(chm_comm_recv(c, r, prev, 7) == CHM_OK);
    } else {
        CHECK(chm_comm_recv(c, r, prev, 7) == CHM_OK);
        CHECK(chm_comm_send(c, t, next, 7) == CHM_OK);
    }
    chm_tensor_read(r, 0, got, N);
    for (int k = 0; k < N; k++)
        CHECK(got[k] == v8(prev, k));
    /* broadcast from the last rank */
    CHECK(chm_comm_bcast(c, t, size - 1) == CHM_OK);
    chm_tensor_read(t, 0, got, N);
    for (int k = 0; k < N; k++)
        CHECK(got[k] == v8(size - 1, k));
    CHECK(chm_comm_send(c, t, size, 0) == CHM_EINVAL); /* not a rank */
    CHECK(strstr(chm_comm_error(c), "is not a rank") != NULL);
    chm_tensor_free(t), chm_tensor_free(r);
}

static void test_scatter_gather(chm_comm *c, chm_device *d, int size)
{
    enum { N = 64 };
    int8_t all[8 * N], mine[N], got[8 * N];
    for (int r = 0; r < size; r++)
        for (int k = 0; k < N; k++)
            all[r * N + k] = v8(r + 10, k);
    chm_tensor *ta = tensor(d, CHM_INT8, (int64_t)size * N, rank == 0 ? all : NULL);
    chm_tensor *tm = tensor(d, CHM_INT8, N, NULL);
    CHECK(chm_comm_scatter(c, ta, tm, 0) == CHM_OK);
    chm_tensor_read(tm, 0, mine, N);
    for (int k = 0; k < N; k++)
        CHECK(mine[k] == v8(rank + 10, k));
    /* each rank changes its share, then all of them come back to rank 1 (in rank order) */
    for (int k = 0; k < N; k++)
        mine[k] = v8(rank, k);
    chm_tensor_write(tm, 0, mine, N);
    chm_tensor *tg = tensor(d, CHM_INT8, (int64_t)size * N, NULL);
    CHECK(chm_comm_gather(c, tm, rank == 1 ? tg : NULL, 1) == CHM_OK);
    if (rank == 1) {
        chm_tensor_read(tg, 0, got, (size_t)size * N);
        for (int r = 0; r < size; r++)
            for (int k = 0; k < N; k++)
                CHECK(got[r * N + k] == v8(r, k));
    }
    memset(got, 0, sizeof got);
    CHECK(chm_comm_allgather(c, tm, tg) == CHM_OK);
    chm_tensor_read(tg, 0, got, (size_t)size * N);
    for (int r = 0; r < size; r++)
        for (int k = 0; k < N; k++)
            CHECK(got[r * N + k] == v8(r, k));
    CHECK(chm_comm_allgather(c, tm, tm) == CHM_ESHAPE); /* recv too small */
    chm_tensor_free(ta), chm_tensor_free(tm), chm_tensor_free(tg);
}

static void test_reduce(chm_comm *c, chm_device *d, int size)
{
    enum { N = 100 };
    int8_t a8[N], g8[N];
    float af[N], gf[N];
    int32_t a32[N], g32[N];
    for (int k = 0; k < N; k++)
        a8[k] = v8(rank, k), af[k] = vf(rank, k), a32[k] = (int32_t)(v8(rank, k) * 1000003);
    chm_tensor *s8 = tensor(d, CHM_INT8, N, a8), *r8 = tensor(d, CHM_INT8, N, NULL);
    chm_tensor *sf = tensor(d, CHM_FP32, N, af), *rf = tensor(d, CHM_FP32, N, NULL);
    chm_tensor *s32 = tensor(d, CHM_INT32, N, a32), *r32 = tensor(d, CHM_INT32, N, NULL);
    CHECK(chm_comm_allreduce(c, s8, r8, CHM_REDUCE_SUM) == CHM_OK);
    CHECK(chm_comm_allreduce(c, sf, rf, CHM_REDUCE_SUM) == CHM_OK);
    CHECK(chm_comm_reduce(c, s32, rank == 0 ? r32 : NULL, CHM_REDUCE_SUM, 0) == CHM_OK);
    chm_tensor_read(r8, 0, g8, N), chm_tensor_read(rf, 0, gf, sizeof gf);
    chm_tensor_read(r32, 0, g32, sizeof g32);
    for (int k = 0; k < N; k++) {
        int s = v8(0, k);
        float f = vf(0, k);
        uint32_t w = (uint32_t)(v8(0, k) * 1000003);
        for (int r = 1; r < size; r++) { /* rank order, saturating per step as the card's int8 */
            s += v8(r, k);
            s = s < -128 ? -128 : s > 127 ? 127 : s;
            f += vf(r, k);
            w += (uint32_t)(v8(r, k) * 1000003);
        }
        CHECK(g8[k] == s);
        CHECK(memcmp(&gf[k], &f, 4) == 0); /* bit for bit: the same order */
        if (rank == 0)
            CHECK(g32[k] == (int32_t)w);
    }
    CHECK(chm_comm_allreduce(c, s8, r8, CHM_REDUCE_MAX) == CHM_OK);
    chm_tensor_read(r8, 0, g8, N);
    for (int k = 0; k < N; k++) {
        int m = v8(0, k);
        for (int r = 1; r < size; r++)
            m = v8(r, k) > m ? v8(r, k) : m;
        CHECK(g8[k] == m);
    }
    CHECK(chm_comm_allreduce(c, s8, rf, CHM_REDUCE_SUM) == CHM_ESHAPE); /* dtypes differ */
    CHECK(chm_comm_barrier(c) == CHM_OK);
    CHECK(chm_comm_time_us(c) > 0);
    chm_tensor_free(s8), chm_tensor_free(r8), chm_tensor_free(sf), chm_tensor_free(rf);
    chm_tensor_free(s32), chm_tensor_free(r32);
}

int main(int argc, char **argv)
{
    int stall = -1, kill_rank = -1;
    for (int i = 1; i + 1 < argc; i++) {
        if (!strcmp(argv[i], "--stall"))
            stall = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--kill"))
            stall = kill_rank = atoi(argv[i + 1]);
    }
    chm_comm *c;
    const chm_comm_opts opts = { .timeout_ms = stall >= 0 ? 2000 : 20000 };
    if (chm_comm_init(&argc, &argv, &opts, &c)) {
        fprintf(stderr, "test_comm: MPI did not start\n");
        return 2;
    }
    rank = chm_comm_rank(c);
    const int size = chm_comm_size(c);
    chm_device *d;
    if (chm_device_open("emu:u250", &d)) {
        fprintf(stderr, "rank %d: %s\n", rank, chm_last_error(NULL));
        return 2;
    }
    if (stall >= 0) {
        chm_tensor *t = tensor(d, CHM_INT8, 16, NULL);
        if (rank == kill_rank)
            raise(SIGKILL);
        if (rank == stall) { /* stops answering: never joins the broadcast */
            sleep(6);
            printf("rank %d: stalled\n", rank);
            return 0;
        }
        const double t0 = (double)clock() / CLOCKS_PER_SEC;
        const int rc = chm_comm_bcast(c, t, stall);
        (void)t0;
        printf("rank %d: bcast from the stalled rank: %s (%s)\n", rank, chm_strerror(rc), chm_comm_error(c));
        fflush(stdout);
        /* a clear error naming the rank, in time; then the job is ended for everyone */
        const int ok = rc == CHM_ETIMEDOUT && strstr(chm_comm_error(c), "broadcast from rank") != NULL;
        chm_device_close(d);
        _exit(ok ? 0 : 1);
    }
    test_p2p_bcast(c, d, size);
    test_scatter_gather(c, d, size);
    test_reduce(c, d, size);
    chm_device_close(d);
    printf("rank %d of %d: %s (%d failures), modelled communication %.1f us\n", rank, size,
           failures ? "FAIL" : "pass", failures, chm_comm_time_us(c));
    chm_comm_free(c);
    return failures ? 1 : 0;
}
