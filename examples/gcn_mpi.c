/*
 * gcn_mpi - a 2-layer GCN with its graph split across MPI ranks, one card a
 * rank (chimera_comm.h). Each rank owns a set of destination vertices,
 * aggregates into them on its card from a local graph of its owned
 * vertices and the halo (the source vertices of their edges that other
 * ranks own), exchanges only those halo feature rows before each layer,
 * and runs the combination locally. Rank 0 then gathers the owned rows and
 * compares them with the same network on one card: int8 outputs byte for
 * byte, fp32 outputs bit for bit.
 *
 * Why fp32 can be bit-identical: a destination's sum runs over its CSR row
 * in ascending source order on one card; the local graph numbers its
 * vertices in ascending global order, so each row keeps its order, and
 * both layers are forced to the same order (combine first) on every card.
 *
 *   mpirun -np 3 ./build/examples/gcn_mpi [--part metis|rcm|range]
 *          [--data DIR (Cora) | --rmat SCALE] [--model FILE.chmg] [--device emu:u250]
 *   ./build/examples/gcn_mpi --rmat 14 --project 1,2,4,8,16,32,64   (one process, modelled)
 * (--rmat SCALE [--degree D] [--features F]: 2^SCALE vertices, D x 2^SCALE edges drawn
 * (default 8), F random features (default 64), 32 hidden, 8 classes)
 *
 * Partitions: metis (METIS k-way, minimum edge cut, vertices weighted by
 * their in-degree so that parts get equal aggregation work), rcm (contiguous ranges
 * of the reverse Cuthill-McKee order, equal edge counts), range (contiguous
 * ranges of the ids as given). Card-to-card traffic goes by host staging;
 * its time is modelled (chm_comm_time_us). Exits 0 only if rank 0 found
 * both outputs identical to one card's.
 */
#include <math.h>
#include <metis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chimera_comm.h"
#include "gcn_common.h"

static chm_comm *comm;
static chm_device *dev;

#define OK(call)                                                                              \
    do {                                                                                      \
        if ((call) != CHM_OK)                                                                 \
            gcn_die("rank %d: %s: %s %s", chm_comm_rank(comm), #call, chm_last_error(dev),  \
                    chm_comm_error(comm));                                                    \
    } while (0)

/* ----------------------------------------------------------------- data */

typedef struct net {
    int64_t n, f;
    int h, c;
    float *x, *w1, *b1, *w2, *b2;
} net;

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return *s;
}

static float urand(uint64_t *s)
{
    return (float)(rnd(s) >> 40) / (float)(1 << 24);
}

/* R-MAT (a, b, c = 0.57, 0.19, 0.19), 2^scale vertices, `degree` edges a vertex, undirected. */
static chm_graph *rmat(int scale, int degree, uint64_t seed)
{
    const int64_t n = INT64_C(1) << scale, m = degree * n;
    int32_t *src = malloc(sizeof(int32_t) * (size_t)m), *dst = malloc(sizeof(int32_t) * (size_t)m);
    uint64_t s = seed;
    int64_t k = 0;
    while (k < m) {
        int32_t u = 0, v = 0;
        for (int b = 0; b < scale; b++) {
            const float r = urand(&s);
            const int q = r < 0.57f ? 0 : r < 0.76f ? 1 : r < 0.95f ? 2 : 3;
            u = u << 1 | (q >> 1), v = v << 1 | (q & 1);
        }
        if (u != v)
            src[k] = u, dst[k] = v, k++;
    }
    chm_graph *g;
    if (chm_graph_from_edges(n, m, src, dst, NULL, CHM_GRAPH_SYMMETRIC | CHM_GRAPH_MERGE_DUPLICATES,
                             &g))
        gcn_die("R-MAT graph: %s", chm_last_error(NULL));
    free(src), free(dst);
    return g;
}

static net random_net(int64_t n, int64_t f, uint64_t seed)
{
    net t = { .n = n, .f = f, .h = 32, .c = 8 };
    uint64_t s = seed;
    t.x = malloc(sizeof(float) * (size_t)(n * t.f));
    t.w1 = malloc(sizeof(float) * (size_t)(t.h * t.f));
    t.w2 = malloc(sizeof(float) * (size_t)(t.c * t.h));
    t.b1 = malloc(sizeof(float) * (size_t)t.h);
    t.b2 = malloc(sizeof(float) * (size_t)t.c);
    for (int64_t i = 0; i < n * t.f; i++)
        t.x[i] = urand(&s) < 0.9f ? 0.0f : urand(&s);
    for (int64_t i = 0; i < t.h * t.f; i++)
        t.w1[i] = urand(&s) - 0.5f;
    for (int64_t i = 0; i < t.c * t.h; i++)
        t.w2[i] = urand(&s) - 0.5f;
    for (int i = 0; i < t.h; i++)
        t.b1[i] = 0.1f * (urand(&s) - 0.5f);
    for (int i = 0; i < t.c; i++)
        t.b2[i] = 0.1f * (urand(&s) - 0.5f);
    return t;
}

static net cora_net(const char *dir, const char *model_path, chm_graph **g)
{
    char path[512];
    snprintf(path, sizeof path, "%s/cora.adj.mtx", dir);
    if (chm_graph_load_mtx(path, 0, g))
        gcn_die("%s", chm_last_error(NULL));
    net t;
    t.x = read_features(dir, "cora", &t.n, &t.f);
    model m = load_model(model_path);
    if (m.f != t.f || m.n != t.n)
        gcn_die("the model does not fit Cora");
    t.h = m.h, t.c = m.c, t.w1 = m.w1, t.b1 = m.b1, t.w2 = m.w2, t.b2 = m.b2;
    return t;
}

/* ------------------------------------------------------------ partition */

/* g's CSR arrays (by destination); returns its vertex count. */
static int64_t csr(const chm_graph *g, const int64_t **rp, const int32_t **ci, const float **w)
{
    chm_graph_info gi;
    chm_graph_csr(g, rp, ci, w);
    chm_graph_query(g, &gi);
    return gi.n;
}

/* part[v]: the rank owning v. */
static void partition(const char *how, const chm_graph *g, int parts, int *part)
{
    const int64_t *rp;
    const int32_t *ci;
    const float *w;
    const int64_t n = csr(g, &rp, &ci, &w);
    if (parts == 1) {
        memset(part, 0, sizeof(int) * (size_t)n);
        return;
    }
    if (!strcmp(how, "metis")) {
        /* the adjacency without self loops, as METIS wants it */
        idx_t nv = (idx_t)n, ncon = 1, np = parts, cut, *xadj = malloc(sizeof(idx_t) * (size_t)(n + 1));
        idx_t *adj = malloc(sizeof(idx_t) * (size_t)(rp[n] + 1)), *pv = malloc(sizeof(idx_t) * (size_t)n);
        idx_t *vw = malloc(sizeof(idx_t) * (size_t)n); /* a vertex weighs its edges: balance the work */
        idx_t opt[METIS_NOPTIONS];
        METIS_SetDefaultOptions(opt);
        opt[METIS_OPTION_SEED] = 1;
        int64_t e = 0;
        for (int64_t v = 0; v < n; v++) {
            xadj[v] = (idx_t)e;
            vw[v] = (idx_t)(rp[v + 1] - rp[v]);
            for (int64_t k = rp[v]; k < rp[v + 1]; k++)
                if (ci[k] != v)
                    adj[e++] = ci[k];
        }
        xadj[n] = (idx_t)e;
        if (METIS_PartGraphKway(&nv, &ncon, xadj, adj, vw, NULL, NULL, &np, NULL, NULL, opt, &cut,
                                pv) != METIS_OK)
            gcn_die("METIS_PartGraphKway failed");
        for (int64_t v = 0; v < n; v++)
            part[v] = (int)pv[v];
        free(xadj), free(adj), free(pv), free(vw);
        return;
    }
    /* contiguous ranges of an order (RCM or the ids), cut at equal edge counts */
    int32_t *order = malloc(sizeof(int32_t) * (size_t)n);
    if (!strcmp(how, "rcm")) {
        chm_graph *copy;
        /* chm_graph_reorder renumbers its graph: work on a copy */
        int32_t *src = malloc(sizeof(int32_t) * (size_t)rp[n]), *dst = malloc(sizeof(int32_t) * (size_t)rp[n]);
        for (int64_t v = 0; v < n; v++)
            for (int64_t k = rp[v]; k < rp[v + 1]; k++)
                src[k] = ci[k], dst[k] = (int32_t)v;
        if (chm_graph_from_edges(n, rp[n], src, dst, w, 0, &copy) ||
            chm_graph_reorder(copy, CHM_REORDER_RCM, order))
            gcn_die("RCM: %s", chm_last_error(NULL));
        chm_graph_free(copy);
        free(src), free(dst);
    } else {
        for (int64_t v = 0; v < n; v++)
            order[v] = (int32_t)v;
    }
    int64_t done = 0;
    for (int64_t i = 0; i < n; i++) {
        const int32_t v = order[i];
        int p = (int)(done * parts / rp[n]);
        part[v] = p < parts ? p : parts - 1;
        done += rp[v + 1] - rp[v];
    }
    free(order);
}

/* --------------------------------------------------------- local graph */

typedef struct local {
    int64_t n_local;      /* owned + halo, ascending global id */
    int32_t *global;      /* local -> global */
    int32_t *to_local;    /* global -> local, or -1 */
    int64_t n_owned, n_halo, edges;
    chm_graph *g;
} local;

static local build_local(const chm_graph *g, const int *part, int rank)
{
    const int64_t *rp;
    const int32_t *ci;
    const float *w;
    const int64_t n = csr(g, &rp, &ci, &w);
    local L = { 0 };
    L.to_local = malloc(sizeof(int32_t) * (size_t)n);
    uint8_t *need = calloc((size_t)n, 1);
    for (int64_t v = 0; v < n; v++)
        if (part[v] == rank) {
            need[v] = 1, L.n_owned++;
            for (int64_t k = rp[v]; k < rp[v + 1]; k++)
                need[ci[k]] = 1;
        }
    L.global = malloc(sizeof(int32_t) * (size_t)n);
    for (int64_t v = 0; v < n; v++) {
        L.to_local[v] = need[v] ? (int32_t)L.n_local : -1;
        if (need[v])
            L.global[L.n_local++] = (int32_t)v;
    }
    L.n_halo = L.n_local - L.n_owned;
    int64_t m = 0;
    for (int64_t v = 0; v < n; v++)
        if (part[v] == rank)
            m += rp[v + 1] - rp[v];
    int32_t *src = malloc(sizeof(int32_t) * (size_t)(m + 1)), *dst = malloc(sizeof(int32_t) * (size_t)(m + 1));
    float *ew = malloc(sizeof(float) * (size_t)(m + 1));
    int64_t e = 0;
    for (int64_t v = 0; v < n; v++)
        if (part[v] == rank)
            for (int64_t k = rp[v]; k < rp[v + 1]; k++)
                src[e] = L.to_local[ci[k]], dst[e] = L.to_local[v], ew[e] = w[k], e++;
    L.edges = m;
    if (chm_graph_from_edges(L.n_local, m, src, dst, ew, 0, &L.g))
        gcn_die("local graph: %s", chm_last_error(NULL));
    free(src), free(dst), free(ew), free(need);
    return L;
}

/* --------------------------------------------------------- halo exchange */

static chm_tensor *tensor2(chm_dtype dt, int64_t rows, int64_t cols)
{
    chm_tensor *t;
    const int64_t d[2] = { rows, cols };
    OK(chm_tensor_alloc(dev, dt, 2, d, CHM_BANK_DEFAULT, &t));
    return t;
}

/* rows (global ids, ascending) owned by `owner` that rank `reader` needs */
static int64_t rows_between(const chm_graph *g, const int *part, int owner, int reader, int32_t *out)
{
    const int64_t *rp;
    const int32_t *ci;
    const float *w;
    const int64_t n = csr(g, &rp, &ci, &w);
    uint8_t *mark = calloc((size_t)n, 1);
    for (int64_t v = 0; v < n; v++)
        if (part[v] == reader)
            for (int64_t k = rp[v]; k < rp[v + 1]; k++)
                if (part[ci[k]] == owner)
                    mark[ci[k]] = 1;
    int64_t cnt = 0;
    for (int64_t u = 0; u < n; u++)
        if (mark[u]) {
            if (out)
                out[cnt] = (int32_t)u;
            cnt++;
        }
    free(mark);
    return cnt;
}

/* Which rows go to and come from each peer (global ids, ascending), worked out once. */
typedef struct halo {
    int64_t *n_send, *n_recv;
    int32_t **send, **recv;
} halo;

static halo halo_lists(const chm_graph *g, const int *part, const local *L)
{
    const int me = chm_comm_rank(comm), size = chm_comm_size(comm);
    halo h = { calloc((size_t)size, sizeof(int64_t)), calloc((size_t)size, sizeof(int64_t)),
               calloc((size_t)size, sizeof(int32_t *)), calloc((size_t)size, sizeof(int32_t *)) };
    for (int peer = 0; peer < size; peer++) {
        if (peer == me)
            continue;
        h.n_send[peer] = rows_between(g, part, me, peer, NULL);
        h.send[peer] = malloc(sizeof(int32_t) * (size_t)(h.n_send[peer] + 1));
        rows_between(g, part, me, peer, h.send[peer]);
        h.recv[peer] = malloc(sizeof(int32_t) * (size_t)(L->n_halo + 1));
    }
    for (int64_t i = 0; i < L->n_local; i++) { /* the halo: what my edges read from others */
        const int32_t v = L->global[i];
        if (part[v] != me)
            h.recv[part[v]][h.n_recv[part[v]]++] = v;
    }
    return h;
}

static void halo_free(halo *h)
{
    for (int peer = 0; peer < chm_comm_size(comm); peer++)
        free(h->send[peer]), free(h->recv[peer]);
    free(h->n_send), free(h->n_recv), free(h->send), free(h->recv);
}

/*
 * buf: this rank's local rows (n_local x width elements of es bytes), its
 * owned rows filled; fills the halo rows from their owners. Pairs exchange
 * in rank order (the lower rank sends first), so no cycle of waits forms.
 * Returns the bytes received.
 */
static uint64_t exchange(const halo *h, const local *L, uint8_t *buf, int64_t width, chm_dtype dt)
{
    const int me = chm_comm_rank(comm), size = chm_comm_size(comm);
    const size_t es = dt == CHM_FP32 ? 4 : 1, row = (size_t)width * es;
    uint64_t got = 0;
    for (int peer = 0; peer < size; peer++) {
        if (peer == me)
            continue;
        for (int step = 0; step < 2; step++) {
            const int sending = (step == 0) == (me < peer);
            const int64_t cnt = sending ? h->n_send[peer] : h->n_recv[peer];
            const int32_t *ids = sending ? h->send[peer] : h->recv[peer];
            if (!cnt)
                continue;
            chm_tensor *t = tensor2(dt, cnt, width);
            uint8_t *tmp = malloc((size_t)cnt * row);
            if (sending) {
                for (int64_t i = 0; i < cnt; i++)
                    memcpy(tmp + (size_t)i * row, buf + (size_t)L->to_local[ids[i]] * row, row);
                OK(chm_tensor_write(t, 0, tmp, (size_t)cnt * row));
                OK(chm_comm_send(comm, t, peer, 7));
            } else {
                OK(chm_comm_recv(comm, t, peer, 7));
                OK(chm_tensor_read(t, 0, tmp, (size_t)cnt * row));
                for (int64_t i = 0; i < cnt; i++)
                    memcpy(buf + (size_t)L->to_local[ids[i]] * row, tmp + (size_t)i * row, row);
                got += (uint64_t)cnt * row;
            }
            free(tmp);
            OK(chm_tensor_free(t));
        }
    }
    return got;
}

/* ------------------------------------------------------------------ run */

typedef struct result {
    double layer_us[2], comm_us, uj;
    uint64_t halo_bytes[2];
} result;

/* What a card computes over: its rows, and for a partitioned run where the halo comes from. */
typedef struct graph_io {
    const halo *h;    /* NULL: one card, the whole graph */
    const local *L;
    int64_t rows;
    uint8_t *x, *hid, *out; /* rows x f, rows x h, rows x c elements (owned rows of x filled) */
} graph_io;

/* Both layers on graph tensor tg; halo rows exchanged before each (partitioned runs). */
static void two_layers(chm_tensor *tg, const net *t, int int8, const chm_gnn_quant *q,
                       const graph_io *io, result *r)
{
    const chm_dtype dt = int8 ? CHM_INT8 : CHM_FP32;
    const size_t es = int8 ? 1 : 4;
    chm_tensor *tx = tensor2(dt, io->rows, t->f), *th = tensor2(dt, io->rows, t->h),
               *to = tensor2(dt, io->rows, t->c), *tw1 = tensor2(dt, t->h, t->f),
               *tw2 = tensor2(dt, t->c, t->h), *tb1, *tb2;
    const int64_t db1[1] = { t->h }, db2[1] = { t->c };
    OK(chm_tensor_alloc(dev, CHM_FP32, 1, db1, CHM_BANK_DEFAULT, &tb1));
    OK(chm_tensor_alloc(dev, CHM_FP32, 1, db2, CHM_BANK_DEFAULT, &tb2));
    OK(chm_tensor_write(tb1, 0, t->b1, sizeof(float) * (size_t)t->h));
    OK(chm_tensor_write(tb2, 0, t->b2, sizeof(float) * (size_t)t->c));
    if (int8) {
        int8_t *w1 = quantize(t->w1, (size_t)(t->h * t->f), q[0].w_scale, 0);
        int8_t *w2 = quantize(t->w2, (size_t)(t->c * t->h), q[1].w_scale, 0);
        OK(chm_tensor_write(tw1, 0, w1, (size_t)(t->h * t->f)));
        OK(chm_tensor_write(tw2, 0, w2, (size_t)(t->c * t->h)));
        free(w1), free(w2);
    } else {
        OK(chm_tensor_write(tw1, 0, t->w1, sizeof(float) * (size_t)(t->h * t->f)));
        OK(chm_tensor_write(tw2, 0, t->w2, sizeof(float) * (size_t)(t->c * t->h)));
    }
    chm_gnn_params p1 = { .kind = CHM_GNN_GCN, .relu = 1, .order = CHM_ORDER_COMBINE_FIRST };
    chm_gnn_params p2 = { .kind = CHM_GNN_GCN, .order = CHM_ORDER_COMBINE_FIRST };
    if (int8)
        p1.q = q[0], p2.q = q[1];
    const double c0 = chm_comm_time_us(comm);
    memset(r, 0, sizeof *r);
    for (int l = 0; l < 2; l++) {
        uint8_t *in = l ? io->hid : io->x;
        const int64_t width = l ? t->h : t->f;
        if (io->h)
            r->halo_bytes[l] = exchange(io->h, io->L, in, width, dt);
        OK(chm_tensor_write(l ? th : tx, 0, in, (size_t)io->rows * (size_t)width * es));
        chm_event *e;
        chm_tensor *out = l ? to : th;
        OK(chm_gnn_layer(dev, tg, l ? th : tx, l ? tw2 : tw1, l ? tb2 : tb1, NULL, NULL,
                         l ? to : th, l ? &p2 : &p1, &e));
        OK(chm_wait(e));
        chm_event_times et;
        OK(chm_event_times_get(e, &et));
        r->layer_us[l] = et.device_end_us - et.device_start_us;
        r->uj += et.energy_uj;
        chm_event_release(e);
        OK(chm_tensor_read(out, 0, l ? io->out : io->hid,
                           (size_t)io->rows * (size_t)(l ? t->c : t->h) * es));
    }
    r->comm_us = chm_comm_time_us(comm) - c0;
    chm_tensor *all[] = { tx, th, to, tw1, tw2, tb1, tb2 };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        OK(chm_tensor_free(all[i]));
}

/* ----------------------------------------------------------------- main */

static void calibrate(const chm_graph *g, const net *t, chm_gnn_quant q[2])
{
    const int64_t *rp;
    const int32_t *ci;
    const float *w;
    chm_graph_csr(g, &rp, &ci, &w);
    const ref_graph rg = { t->n, rp, ci, w };
    float *h = malloc(sizeof(float) * (size_t)(t->n * t->h)), *o = malloc(sizeof(float) * (size_t)(t->n * t->c));
    chm_gnn_params p1 = { .kind = CHM_GNN_GCN, .relu = 1 }, p2 = { .kind = CHM_GNN_GCN };
    const ref_gnn l1 = { (int)t->f, 0, t->h, t->w1, NULL, t->b1, NULL };
    const ref_gnn l2 = { t->h, 0, t->c, t->w2, NULL, t->b2, NULL };
    ref_gnn_f32(&rg, t->x, &l1, &p1, 1, h);
    ref_gnn_f32(&rg, h, &l2, &p2, 1, o);
    q[0] = (chm_gnn_quant){ .in_scale = max_abs(t->x, (size_t)(t->n * t->f)) / 255.0f,
                            .in_zero_point = -128,
                            .w_scale = max_abs(t->w1, (size_t)(t->h * t->f)) / 127.0f,
                            .mid_scale = mid_range(&rg, t->x, (int)t->f, t->w1, t->h, 1) / 127.0f,
                            .out_scale = max_abs(h, (size_t)(t->n * t->h)) / 255.0f,
                            .out_zero_point = -128 };
    q[1] = (chm_gnn_quant){ .in_scale = q[0].out_scale, .in_zero_point = -128,
                            .w_scale = max_abs(t->w2, (size_t)(t->c * t->h)) / 127.0f,
                            .mid_scale = mid_range(&rg, h, t->h, t->w2, t->c, 1) / 127.0f,
                            .out_scale = max_abs(o, (size_t)(t->n * t->c)) / 127.0f };
    free(h), free(o);
}

/*
 * --project K,K,...: no MPI run; for each K the graph is partitioned into K
 * parts and every part's two layers are planned on this process's card
 * (chm_gnn_layer_plan: the same cycle model the runs use); communication is
 * modelled as chm_comm models it: each halo row crosses PCIe up at its
 * owner, the link (12.5 GB/s, 100 Gb/s), and PCIe down at the reader.
 */
/* The device's modelled time for a copy of `bytes` up (card to host) or down. */
static double copy_us(uint64_t bytes, int up)
{
    const int64_t d[1] = { (int64_t)bytes };
    chm_tensor *t;
    OK(chm_tensor_alloc(dev, CHM_INT8, 1, d, CHM_BANK_DEFAULT, &t));
    uint8_t *buf = calloc(1, (size_t)bytes);
    chm_event *e;
    if (up)
        OK(chm_tensor_read_async(t, 0, buf, (size_t)bytes, &e));
    else
        OK(chm_tensor_write_async(t, 0, buf, (size_t)bytes, &e));
    OK(chm_wait(e));
    chm_event_times et;
    OK(chm_event_times_get(e, &et));
    chm_event_release(e);
    OK(chm_tensor_free(t));
    free(buf);
    return et.device_end_us - et.device_start_us;
}

typedef struct proj {
    double cut_frac, worst[2], comm[2]; /* slowest card's layers + comm, its comm; [fp32, int8] */
    int64_t max_halo;
    int na8;                            /* int8 not plannable (a degree past its limit) */
} proj;

/* One K: partition, and every part's two layers planned and its halo charged. */
static proj project_k(int k, const char *how, const chm_graph *g, const net *t,
                      const chm_gnn_quant *q, float escale, int *part)
{
    const double link = 12.5e3; /* bytes per µs: 100 Gb/s, chm_comm's default */
    proj P = { 0 };
    partition(how, g, k, part);
    const int64_t *rp;
    const int32_t *ci;
    const float *ew;
    chm_graph_csr(g, &rp, &ci, &ew);
    int64_t cut = 0, und = 0;
    for (int64_t v = 0; v < t->n; v++)
        for (int64_t e = rp[v]; e < rp[v + 1]; e++)
            cut += part[ci[e]] != part[v], und += ci[e] != v;
    P.cut_frac = und ? (double)cut / (double)und : 0.0;
    /* rows[owner][reader]: in one pass (the graph is undirected: row u lists u's readers) */
    int64_t *rows = calloc((size_t)k * (size_t)k, sizeof *rows);
    int64_t *stamp = malloc(sizeof(int64_t) * (size_t)k);
    for (int i = 0; i < k; i++)
        stamp[i] = -1;
    for (int64_t u = 0; u < t->n; u++)
        for (int64_t e = rp[u]; e < rp[u + 1]; e++) {
            const int reader = part[ci[e]];
            if (reader != part[u] && stamp[reader] != u)
                stamp[reader] = u, rows[part[u] * k + reader]++;
        }
    free(stamp);
    for (int r = 0; r < k; r++) {
        local L = build_local(g, part, r);
        chm_graph_set_edge_scale(L.g, escale);
        P.max_halo = L.n_halo > P.max_halo ? L.n_halo : P.max_halo;
        chm_tensor *tg;
        OK(chm_graph_upload(dev, L.g, CHM_BANK_DEFAULT, &tg));
        for (int int8 = 0; int8 < 2; int8++) {
            const chm_dtype dt = int8 ? CHM_INT8 : CHM_FP32;
            const uint64_t es = int8 ? 1 : 4;
            chm_tensor *tx = tensor2(dt, L.n_local, t->f), *th = tensor2(dt, L.n_local, t->h),
                       *to = tensor2(dt, L.n_local, t->c), *w1 = tensor2(dt, t->h, t->f),
                       *w2 = tensor2(dt, t->c, t->h);
            chm_gnn_params p1 = { .kind = CHM_GNN_GCN, .relu = 1, .order = CHM_ORDER_COMBINE_FIRST };
            chm_gnn_params p2 = { .kind = CHM_GNN_GCN, .order = CHM_ORDER_COMBINE_FIRST };
            if (int8)
                p1.q = q[0], p2.q = q[1];
            chm_gnn_plan a, b;
            if (chm_gnn_layer_plan(dev, tg, tx, w1, NULL, NULL, NULL, th, &p1, &a) ||
                chm_gnn_layer_plan(dev, tg, th, w2, NULL, NULL, NULL, to, &p2, &b)) {
                if (!int8)
                    gcn_die("plan: %s", chm_last_error(dev));
                P.na8 = 1; /* e.g. a hub past the int8 aggregator's degree limit */
                memset(&a, 0, sizeof a), memset(&b, 0, sizeof b);
            }
            /* each layer's rows, as chm_comm charges them: up + link at the owner, down at the reader */
            double cus = 0;
            for (int l = 0; l < 2; l++) {
                const uint64_t row = (uint64_t)(l ? t->h : t->f) * es;
                for (int s2 = 0; s2 < k; s2++) {
                    if (rows[r * k + s2])
                        cus += copy_us((uint64_t)rows[r * k + s2] * row, 1) +
                               (double)rows[r * k + s2] * (double)row / link;
                    if (rows[s2 * k + r])
                        cus += copy_us((uint64_t)rows[s2 * k + r] * row, 0);
                }
            }
            const double tot = a.device_us + b.device_us + cus;
            if (tot > P.worst[int8])
                P.worst[int8] = tot, P.comm[int8] = cus;
            chm_tensor *all[] = { tx, th, to, w1, w2 };
            for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
                OK(chm_tensor_free(all[i]));
        }
        OK(chm_tensor_free(tg));
        chm_graph_free(L.g);
        free(L.global), free(L.to_local);
    }
    free(rows);
    return P;
}

/*
 * --project K,K,...: no MPI run; for each K the graph is partitioned into K
 * parts and every part's two layers are planned on this process's card
 * (chm_gnn_layer_plan: the same cycle model the runs use); communication is
 * charged as chm_comm charges it: each halo row crosses PCIe up at its
 * owner (the device's copy model), the link (12.5 GB/s, 100 Gb/s), and
 * PCIe down at the reader. Speedups are against K = 1, the whole graph on
 * one card.
 */
static void project(const char *list, const char *how, const chm_graph *g, const net *t,
                    const chm_gnn_quant *q)
{
    int *part = malloc(sizeof(int) * (size_t)t->n);
    float escale;
    chm_graph_edge_scale(g, &escale);
    const proj one = project_k(1, how, g, t, q, escale, part);
    printf("projection (%s partitions, modelled; speedup against the whole graph on one card):\n", how);
    printf("|  K | edge cut | largest halo (rows) | slowest card fp32: layers + comm us | speedup | comm share "
           "| int8: layers + comm us | speedup |\n|---|---|---|---|---|---|---|---|\n");
    for (const char *p = list; p && *p;) {
        const int k = atoi(p);
        p = strchr(p, ',');
        p = p ? p + 1 : NULL;
        if (k < 1 || k > 4096)
            gcn_die("--project: %d parts", k);
        const proj P = k == 1 ? one : project_k(k, how, g, t, q, escale, part);
        printf("| %2d | %.1f%% | %lld | %.1f | %.2fx | %.0f%% | ", k, 100.0 * P.cut_frac,
               (long long)P.max_halo, P.worst[0], one.worst[0] / P.worst[0],
               100.0 * P.comm[0] / P.worst[0]);
        if (P.na8 || one.na8)
            printf("n/a (degree past the int8 limit) | |\n");
        else
            printf("%.1f | %.2fx |\n", P.worst[1], one.worst[1] / P.worst[1]);
        fflush(stdout);
    }
    free(part);
}

int main(int argc, char **argv)
{
    gcn_prog = "gcn_mpi";
    OK(chm_comm_init(&argc, &argv, NULL, &comm));
    const int me = chm_comm_rank(comm), size = chm_comm_size(comm);
    const char *how = "metis", *data = NULL, *model_path = CHM_DEFAULT_GCN, *devname = "emu:u250";
    const char *proj = NULL;
    int scale = 0, degree = 8, features = 64;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--part")) how = argv[i + 1];
        else if (!strcmp(argv[i], "--data")) data = argv[i + 1];
        else if (!strcmp(argv[i], "--rmat")) scale = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--model")) model_path = argv[i + 1];
        else if (!strcmp(argv[i], "--device")) devname = argv[i + 1];
        else if (!strcmp(argv[i], "--project")) proj = argv[i + 1];
        else if (!strcmp(argv[i], "--degree")) degree = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--features")) features = atoi(argv[i + 1]);
        else gcn_die("unknown option %s (--part metis|rcm|range, --data DIR | --rmat SCALE, "
                     "--model FILE, --device NAME)", argv[i]);
    }
    if (strcmp(how, "metis") && strcmp(how, "rcm") && strcmp(how, "range"))
        gcn_die("--part %s: metis, rcm or range", how);
    if (!data && (scale < 4 || scale > 20 || degree < 1 || degree > 256 || features < 1 ||
                  features > 4096))
        gcn_die("--data DIR (Cora) or --rmat SCALE (4..20) [--degree 1..256] [--features 1..4096] "
                "is needed");
    chm_graph *g;
    net t = data ? cora_net(data, model_path, &g) : random_net(INT64_C(1) << scale, features, 42);
    if (!data)
        g = rmat(scale, degree, 7);
    chm_graph_info gi;
    chm_graph_query(g, &gi);
    const int64_t und_edges = gi.edges / 2; /* both graphs are undirected: each edge twice */
    if (chm_graph_add_self_loops(g, 1.0f) || chm_graph_normalize(g, CHM_NORM_GCN))
        gcn_die("%s", chm_last_error(NULL));
    if (proj) {
        chm_gnn_quant q[2];
        calibrate(g, &t, q);
        OK(chm_device_open(devname, &dev));
        if (!me)
            project(proj, how, g, &t, q);
        OK(chm_device_close(dev));
        chm_graph_free(g);
        chm_comm_free(comm);
        return 0;
    }
    int *part = malloc(sizeof(int) * (size_t)t.n);
    partition(how, g, size, part);
    local L = build_local(g, part, me);
    halo hl = halo_lists(g, part, &L);
    /* the int8 edge codes at the whole graph's scale, not the part's own */
    float escale;
    chm_graph_edge_scale(g, &escale);
    if (chm_graph_set_edge_scale(L.g, escale))
        gcn_die("%s", chm_last_error(NULL));
    chm_gnn_quant q[2];
    calibrate(g, &t, q);
    OK(chm_device_open(devname, &dev));
    chm_tensor *tg;
    OK(chm_graph_upload(dev, L.g, CHM_BANK_DEFAULT, &tg));

    /* edge cut: directed edges between parts (each undirected edge twice), self loops aside */
    const int64_t *rp;
    const int32_t *ci;
    const float *ew;
    chm_graph_csr(g, &rp, &ci, &ew);
    int64_t cut = 0;
    for (int64_t v = 0; v < t.n; v++)
        for (int64_t k = rp[v]; k < rp[v + 1]; k++)
            cut += part[ci[k]] != part[v];

    int pass_all = 1;
    for (int int8 = 0; int8 < 2; int8++) {
        const size_t es = int8 ? 1 : 4;
        const chm_dtype dt = int8 ? CHM_INT8 : CHM_FP32;
        int8_t *qx = int8 ? quantize(t.x, (size_t)(t.n * t.f), q[0].in_scale, -128) : NULL;
        const uint8_t *xs = int8 ? (const uint8_t *)qx : (const uint8_t *)t.x;
        const size_t xrow = (size_t)t.f * es;
        graph_io io = { &hl, &L, L.n_local, calloc((size_t)L.n_local, xrow),
                        calloc((size_t)L.n_local, (size_t)t.h * es),
                        calloc((size_t)L.n_local, (size_t)t.c * es) };
        for (int64_t i = 0; i < L.n_local; i++) /* owned rows only: the halo comes by exchange */
            if (part[L.global[i]] == me)
                memcpy(io.x + (size_t)i * xrow, xs + (size_t)L.global[i] * xrow, xrow);
        result r;
        two_layers(tg, &t, int8, q, &io, &r);
        /* rank 0 gathers every rank's owned output rows and its figures */
        const size_t orow = (size_t)t.c * es;
        uint8_t *mine = malloc((size_t)(L.n_owned + 1) * orow);
        int64_t k = 0;
        for (int64_t i = 0; i < L.n_local; i++)
            if (part[L.global[i]] == me)
                memcpy(mine + (size_t)k++ * orow, io.out + (size_t)i * orow, orow);
        float fig[8] = { (float)r.layer_us[0], (float)r.layer_us[1], (float)r.comm_us,
                         (float)r.halo_bytes[0], (float)r.halo_bytes[1], (float)L.n_owned,
                         (float)L.n_halo, (float)L.edges };
        chm_tensor *tf = tensor2(CHM_FP32, 1, 8), *tall = me ? NULL : tensor2(CHM_FP32, size, 8);
        OK(chm_tensor_write(tf, 0, fig, sizeof fig));
        OK(chm_comm_gather(comm, tf, tall, 0));
        uint8_t *full = me ? NULL : malloc((size_t)t.n * orow);
        if (me) {
            if (L.n_owned) {
                chm_tensor *to = tensor2(dt, L.n_owned, t.c);
                OK(chm_tensor_write(to, 0, mine, (size_t)L.n_owned * orow));
                OK(chm_comm_send(comm, to, 0, 9));
                OK(chm_tensor_free(to));
            }
        } else {
            for (int s = 0; s < size; s++) {
                int64_t cnt = 0;
                for (int64_t v = 0; v < t.n; v++)
                    cnt += part[v] == s;
                uint8_t *rows = mine;
                if (s && cnt) {
                    chm_tensor *ti = tensor2(dt, cnt, t.c);
                    rows = malloc((size_t)cnt * orow);
                    OK(chm_comm_recv(comm, ti, s, 9));
                    OK(chm_tensor_read(ti, 0, rows, (size_t)cnt * orow));
                    OK(chm_tensor_free(ti));
                }
                int64_t j = 0;
                for (int64_t v = 0; v < t.n; v++)
                    if (part[v] == s)
                        memcpy(full + (size_t)v * orow, rows + (size_t)j++ * orow, orow);
                if (rows != mine)
                    free(rows);
            }
            /* the same network on one card, the whole graph */
            chm_tensor *tgf;
            OK(chm_graph_upload(dev, g, CHM_BANK_DEFAULT, &tgf));
            graph_io one = { NULL, NULL, t.n, malloc((size_t)t.n * xrow),
                             malloc((size_t)t.n * (size_t)t.h * es), malloc((size_t)t.n * orow) };
            memcpy(one.x, xs, (size_t)t.n * xrow);
            result r1;
            two_layers(tgf, &t, int8, q, &one, &r1);
            OK(chm_tensor_free(tgf));
            const int same = !memcmp(one.out, full, (size_t)t.n * orow);
            pass_all &= same;
            float *f = malloc(sizeof(float) * (size_t)size * 8);
            OK(chm_tensor_read(tall, 0, f, sizeof(float) * (size_t)size * 8));
            printf("%s %s, %lld vertices, %lld undirected edges, partition %s over %d ranks: edge cut "
                   "%lld (%.1f%%)\n", int8 ? "int8" : "fp32", data ? "Cora" : "R-MAT",
                   (long long)t.n, (long long)und_edges, how, size, (long long)(cut / 2),
                   100.0 * (double)cut / (double)gi.edges);
            printf("  rank  owned   halo  local edges  halo B l1  halo B l2  layer1 us  layer2 us  comm us (modelled)\n");
            double worst = 0;
            for (int s = 0; s < size; s++) {
                const float *q8 = f + 8 * s;
                printf("  %4d %6.0f %6.0f %12.0f %10.0f %10.0f %10.1f %10.1f %9.1f\n", s, q8[5], q8[6],
                       q8[7], q8[3], q8[4], q8[0], q8[1], q8[2]);
                const double tot = (double)q8[0] + q8[1] + q8[2];
                worst = tot > worst ? tot : worst;
            }
            const double one_us = r1.layer_us[0] + r1.layer_us[1];
            printf("  one card: %.1f + %.1f us; %d cards: slowest rank %.1f us with its communication "
                   "(%.2fx)\n", r1.layer_us[0], r1.layer_us[1], size, worst, one_us / worst);
            printf("  %s outputs %s one card's on all %lld vertices\n", int8 ? "int8" : "fp32",
                   same ? (int8 ? "identical (bytes) to" : "bit-identical to") : "DIFFER from",
                   (long long)t.n);
            free(f), free(full), free(one.x), free(one.hid), free(one.out);
        }
        if (tall)
            OK(chm_tensor_free(tall));
        OK(chm_tensor_free(tf));
        free(mine), free(io.x), free(io.hid), free(io.out), free(qx);
    }
    if (!me)
        printf("result %s\n", pass_all ? "PASS" : "FAIL");
    OK(chm_tensor_free(tg));
    OK(chm_device_close(dev));
    halo_free(&hl);
    chm_graph_free(L.g), chm_graph_free(g);
    free(L.global), free(L.to_local), free(part);
    chm_comm_free(comm);
    return pass_all ? 0 : 1;
}
