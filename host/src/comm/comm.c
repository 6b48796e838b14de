/*
 * comm.c - chimera_comm.h over MPI: tensors staged through host memory,
 * every wait bounded by the communicator's timeout (nonblocking MPI polled
 * against a deadline), reductions in rank order.
 */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <mpi.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chimera_comm.h"

struct chm_comm {
    int rank, size, own_mpi;
    int timeout_ms;
    double link_gbps;
    double time_us;
    char why[320];
};

static int fail(chm_comm *c, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(c->why, sizeof c->why, "rank %d: ", c->rank);
    vsnprintf(c->why + n, sizeof c->why - (size_t)n, fmt, ap);
    va_end(ap);
    return code;
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Waits for req until the timeout; `who` says what it waited for (names the peer). */
static int wait_req(chm_comm *c, MPI_Request *req, const char *who)
{
    const double end = now_ms() + c->timeout_ms;
    for (;;) {
        int done = 0;
        const int rc = MPI_Test(req, &done, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS) {
            char s[MPI_MAX_ERROR_STRING];
            int len = 0;
            MPI_Error_string(rc, s, &len);
            return fail(c, CHM_EDEVICE, "%s: MPI error: %s", who, s);
        }
        if (done)
            return CHM_OK;
        if (now_ms() > end) {
            /* the request is left pending: the peer is gone or stuck, the job is over */
            return fail(c, CHM_ETIMEDOUT, "%s: nothing within %d ms (that rank stopped or died)",
                        who, c->timeout_ms);
        }
        struct timespec nap = { 0, 100000 }; /* 0.1 ms */
        nanosleep(&nap, NULL);
    }
}

/* Waits for a request if MPI took it (mpi_rc), or says it refused. */
static int posted(chm_comm *c, int mpi_rc, MPI_Request *req, const char *who)
{
    return mpi_rc != MPI_SUCCESS ? fail(c, CHM_EDEVICE, "%s: MPI refused it", who) : wait_req(c, req, who);
}

/* The tensor's bytes and element type. */
static int info_of(chm_comm *c, chm_tensor *t, chm_tensor_info *i)
{
    if (!t || chm_tensor_query(t, i))
        return fail(c, CHM_EINVAL, "a tensor is NULL or not live");
    if (i->bytes > INT_MAX) /* MPI counts are ints */
        return fail(c, CHM_ELIMIT, "a tensor of %llu bytes; at most %d a message",
                    (unsigned long long)i->bytes, INT_MAX);
    return CHM_OK;
}

/* The card's bytes up (PCIe) into a new host buffer; its modelled time added. */
static int stage_up(chm_comm *c, chm_tensor *t, uint64_t bytes, uint8_t **out)
{
    uint8_t *b = malloc(bytes ? bytes : 1);
    chm_event *ev = NULL;
    chm_event_times tm;
    if (!b)
        return fail(c, CHM_ENOMEM, "no host memory for %llu bytes", (unsigned long long)bytes);
    if (chm_tensor_read_async(t, 0, b, bytes, &ev) || chm_wait(ev) || chm_event_times_get(ev, &tm)) {
        chm_event_release(ev);
        free(b);
        return fail(c, CHM_EDEVICE, "reading the tensor from its card: %s", chm_last_error(NULL));
    }
    c->time_us += tm.device_end_us - tm.device_start_us;
    chm_event_release(ev);
    *out = b;
    return CHM_OK;
}

/* Host bytes down (PCIe) into t; modelled time added. */
static int stage_down(chm_comm *c, chm_tensor *t, const uint8_t *b, uint64_t bytes)
{
    chm_event *ev = NULL;
    chm_event_times tm;
    if (chm_tensor_write_async(t, 0, b, bytes, &ev) || chm_wait(ev) || chm_event_times_get(ev, &tm)) {
        chm_event_release(ev);
        return fail(c, CHM_EDEVICE, "writing the tensor to its card: %s", chm_last_error(NULL));
    }
    c->time_us += tm.device_end_us - tm.device_start_us;
    chm_event_release(ev);
    return CHM_OK;
}

/* The network leg of bytes (one link's rate). */
static void link_time(chm_comm *c, uint64_t bytes)
{
    c->time_us += (double)bytes / (c->link_gbps * 1e3);
}

int chm_comm_init(int *argc, char ***argv, const chm_comm_opts *opts, chm_comm **out)
{
    if (!out)
        return CHM_EINVAL;
    *out = NULL;
    chm_comm *c = calloc(1, sizeof *c);
    if (!c)
        return CHM_ENOMEM;
    int inited = 0;
    MPI_Initialized(&inited);
    if (!inited && MPI_Init(argc, argv) != MPI_SUCCESS) {
        free(c);
        return CHM_EDEVICE;
    }
    c->own_mpi = !inited;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &c->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &c->size);
    c->timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms : 10000;
    c->link_gbps = opts && opts->link_gbps > 0 ? opts->link_gbps : 12.5;
    *out = c;
    return CHM_OK;
}

int chm_comm_free(chm_comm *c)
{
    if (!c)
        return CHM_OK;
    if (c->own_mpi)
        MPI_Finalize();
    free(c);
    return CHM_OK;
}

int chm_comm_rank(const chm_comm *c) { return c ? c->rank : -1; }
int chm_comm_size(const chm_comm *c) { return c ? c->size : 0; }
const char *chm_comm_error(const chm_comm *c) { return c ? c->why : "no communicator"; }
double chm_comm_time_us(const chm_comm *c) { return c ? c->time_us : 0.0; }

static int check_rank(chm_comm *c, int r, const char *what)
{
    if (!c)
        return CHM_EINVAL;
    if (r < 0 || r >= c->size)
        return fail(c, CHM_EINVAL, "%s %d is not a rank (0..%d)", what, r, c->size - 1);
    return CHM_OK;
}

int chm_comm_send(chm_comm *c, chm_tensor *t, int dst, int tag)
{
    chm_tensor_info i;
    uint8_t *b;
    int rc = check_rank(c, dst, "destination");
    if (rc || (rc = info_of(c, t, &i)) || (rc = stage_up(c, t, i.bytes, &b)))
        return rc;
    MPI_Request req;
    char who[64];
    snprintf(who, sizeof who, "send to rank %d", dst);
    rc = posted(c, MPI_Isend(b, (int)i.bytes, MPI_BYTE, dst, tag, MPI_COMM_WORLD, &req), &req, who);
    if (rc == CHM_OK)
        link_time(c, i.bytes);
    if (rc != CHM_ETIMEDOUT) /* a pending send may still read b */
        free(b);
    return rc;
}

int chm_comm_recv(chm_comm *c, chm_tensor *t, int src, int tag)
{
    chm_tensor_info i;
    int rc = check_rank(c, src, "source");
    if (rc || (rc = info_of(c, t, &i)))
        return rc;
    uint8_t *b = malloc(i.bytes ? i.bytes : 1);
    if (!b)
        return fail(c, CHM_ENOMEM, "no host memory for %llu bytes", (unsigned long long)i.bytes);
    MPI_Request req;
    char who[64];
    snprintf(who, sizeof who, "receive from rank %d", src);
    rc = posted(c, MPI_Irecv(b, (int)i.bytes, MPI_BYTE, src, tag, MPI_COMM_WORLD, &req), &req, who);
    if (rc == CHM_OK) {
        link_time(c, i.bytes);
        rc = stage_down(c, t, b, i.bytes);
    }
    if (rc != CHM_ETIMEDOUT)
        free(b);
    return rc;
}

int chm_comm_barrier(chm_comm *c)
{
    if (!c)
        return CHM_EINVAL;
    MPI_Request req;
    return posted(c, MPI_Ibarrier(MPI_COMM_WORLD, &req), &req, "barrier (some rank never reached it)");
}

int chm_comm_bcast(chm_comm *c, chm_tensor *t, int root)
{
    chm_tensor_info i;
    int rc = check_rank(c, root, "root");
    if (rc || (rc = info_of(c, t, &i)))
        return rc;
    uint8_t *b = NULL;
    if (c->rank == root ? (rc = stage_up(c, t, i.bytes, &b)) != 0 : !(b = malloc(i.bytes ? i.bytes : 1)))
        return rc ? rc : fail(c, CHM_ENOMEM, "no host memory");
    MPI_Request req;
    char who[64];
    snprintf(who, sizeof who, "broadcast from rank %d", root);
    rc = posted(c, MPI_Ibcast(b, (int)i.bytes, MPI_BYTE, root, MPI_COMM_WORLD, &req), &req, who);
    if (rc == CHM_OK) {
        link_time(c, i.bytes);
        if (c->rank != root)
            rc = stage_down(c, t, b, i.bytes);
    }
    if (rc != CHM_ETIMEDOUT)
        free(b);
    return rc;
}

/* root's host buffer of size x each bytes to each rank's host buffer `mine`. */
static int scatter_bytes(chm_comm *c, const uint8_t *all, uint8_t *mine, uint64_t each, int root)
{
    MPI_Request req;
    char who[64];
    snprintf(who, sizeof who, "scatter from rank %d", root);
    int rc = posted(c, MPI_Iscatter(all, (int)each, MPI_BYTE, mine, (int)each, MPI_BYTE, root,
                                    MPI_COMM_WORLD, &req), &req, who);
    if (rc == CHM_OK)
        link_time(c, c->rank == root ? each * (uint64_t)(c->size - 1) : each);
    return rc;
}

int chm_comm_scatter(chm_comm *c, chm_tensor *send, chm_tensor *recv, int root)
{
    chm_tensor_info ri, si;
    int rc = check_rank(c, root, "root");
    if (rc || (rc = info_of(c, recv, &ri)))
        return rc;
    uint8_t *all = NULL;
    if (c->rank == root) {
        if ((rc = info_of(c, send, &si)))
            return rc;
        if (si.bytes != ri.bytes * (uint64_t)c->size)
            return fail(c, CHM_ESHAPE, "scatter: send has %llu bytes, %d ranks x %llu wanted",
                        (unsigned long long)si.bytes, c->size, (unsigned long long)ri.bytes);
        if ((rc = stage_up(c, send, si.bytes, &all)))
            return rc;
    }
    uint8_t *mine = malloc(ri.bytes ? ri.bytes : 1);
    if (!mine) {
        free(all);
        return fail(c, CHM_ENOMEM, "no host memory");
    }
    rc = scatter_bytes(c, all, mine, ri.bytes, root);
    if (rc == CHM_OK)
        rc = stage_down(c, recv, mine, ri.bytes);
    if (rc != CHM_ETIMEDOUT)
        free(all), free(mine);
    return rc;
}

/* Every rank's `mine` (each bytes) into root's host buffer, rank order (*all: malloc'd on root). */
static int gather_bytes(chm_comm *c, const uint8_t *mine, uint64_t each, int root, int to_all,
                        uint8_t **all)
{
    const uint64_t total = each * (uint64_t)c->size;
    *all = c->rank == root || to_all ? malloc(total ? total : 1) : NULL;
    if ((c->rank == root || to_all) && !*all)
        return fail(c, CHM_ENOMEM, "no host memory for %llu bytes", (unsigned long long)total);
    MPI_Request req;
    char who[64];
    snprintf(who, sizeof who, to_all ? "allgather" : "gather to rank %d", root);
    const int ok = to_all ? MPI_Iallgather(mine, (int)each, MPI_BYTE, *all, (int)each, MPI_BYTE,
                                           MPI_COMM_WORLD, &req)
                          : MPI_Igather(mine, (int)each, MPI_BYTE, *all, (int)each, MPI_BYTE, root,
                                        MPI_COMM_WORLD, &req);
    int rc = posted(c, ok, &req, who);
    if (rc == CHM_OK)
        link_time(c, to_all || c->rank == root ? each * (uint64_t)(c->size - 1) : each);
    return rc;
}

static int gather_common(chm_comm *c, chm_tensor *send, chm_tensor *recv, int root, int to_all)
{
    chm_tensor_info si, ri;
    uint8_t *mine, *all = NULL;
    int rc = to_all ? CHM_OK : check_rank(c, root, "root");
    if (rc || (rc = info_of(c, send, &si)))
        return rc;
    const int wants = to_all || c->rank == root;
    if (wants && (rc = info_of(c, recv, &ri)))
        return rc;
    if (wants && ri.bytes != si.bytes * (uint64_t)c->size)
        return fail(c, CHM_ESHAPE, "gather: recv has %llu bytes, %d ranks x %llu wanted",
                    (unsigned long long)ri.bytes, c->size, (unsigned long long)si.bytes);
    if ((rc = stage_up(c, send, si.bytes, &mine)))
        return rc;
    rc = gather_bytes(c, mine, si.bytes, root, to_all, &all);
    if (rc == CHM_OK && wants)
        rc = stage_down(c, recv, all, ri.bytes);
    if (rc != CHM_ETIMEDOUT)
        free(mine), free(all);
    return rc;
}

int chm_comm_gather(chm_comm *c, chm_tensor *send, chm_tensor *recv, int root)
{
    return gather_common(c, send, recv, root, 0);
}

int chm_comm_allgather(chm_comm *c, chm_tensor *send, chm_tensor *recv)
{
    return gather_common(c, send, recv, 0, 1);
}

/* acc = acc op v, element-wise, n elements of dtype. */
static void combine(chm_dtype dt, chm_reduce_op op, uint8_t *acc, const uint8_t *v, uint64_t n)
{
    for (uint64_t k = 0; k < n; k++) {
        if (dt == CHM_INT8) {
            const int s = op == CHM_REDUCE_SUM ? (int8_t)acc[k] + (int8_t)v[k]
                                               : ((int8_t)acc[k] > (int8_t)v[k] ? (int8_t)acc[k] : (int8_t)v[k]);
            acc[k] = (uint8_t)(int8_t)(s < -128 ? -128 : s > 127 ? 127 : s);
        } else if (dt == CHM_INT32) {
            int32_t a, b;
            memcpy(&a, acc + 4 * k, 4), memcpy(&b, v + 4 * k, 4);
            a = op == CHM_REDUCE_SUM ? (int32_t)((uint32_t)a + (uint32_t)b) : (a > b ? a : b);
            memcpy(acc + 4 * k, &a, 4);
        } else {
            float a, b;
            memcpy(&a, acc + 4 * k, 4), memcpy(&b, v + 4 * k, 4);
            a = op == CHM_REDUCE_SUM ? a + b : (a > b ? a : b);
            memcpy(acc + 4 * k, &a, 4);
        }
    }
}

static int reduce_common(chm_comm *c, chm_tensor *send, chm_tensor *recv, chm_reduce_op op, int root,
                         int to_all)
{
    chm_tensor_info si, ri;
    int rc = to_all ? CHM_OK : check_rank(c, root, "root");
    if (rc || (rc = info_of(c, send, &si)))
        return rc;
    if ((unsigned)op > CHM_REDUCE_MAX)
        return fail(c, CHM_EINVAL, "reduce: op %d is not a chm_reduce_op", (int)op);
    if (si.dtype != CHM_INT8 && si.dtype != CHM_INT32 && si.dtype != CHM_FP32)
        return fail(c, CHM_EDTYPE, "reduce: int8, int32 or fp32 tensors only");
    const int wants = to_all || c->rank == root;
    if (wants && ((rc = info_of(c, recv, &ri)) || ri.bytes != si.bytes || ri.dtype != si.dtype))
        return rc ? rc : fail(c, CHM_ESHAPE, "reduce: recv must have send's dtype and bytes");
    uint8_t *mine, *all = NULL;
    if ((rc = stage_up(c, send, si.bytes, &mine)))
        return rc;
    /* everything to root (everyone for allreduce), then summed in rank order there */
    rc = gather_bytes(c, mine, si.bytes, root, to_all, &all);
    if (rc == CHM_OK && wants) {
        const uint64_t es = si.dtype == CHM_INT8 ? 1 : 4, n = si.bytes / es;
        for (int r = 1; r < c->size; r++)
            combine(si.dtype, op, all, all + (uint64_t)r * si.bytes, n);
        rc = stage_down(c, recv, all, si.bytes);
    }
    if (rc != CHM_ETIMEDOUT)
        free(mine), free(all);
    return rc;
}

int chm_comm_reduce(chm_comm *c, chm_tensor *send, chm_tensor *recv, chm_reduce_op op, int root)
{
    return reduce_common(c, send, recv, op, root, 0);
}

int chm_comm_allreduce(chm_comm *c, chm_tensor *send, chm_tensor *recv, chm_reduce_op op)
{
    return reduce_common(c, send, recv, op, 0, 1);
}
