/*
 * graph.c - building, completing and normalizing graphs on the host.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "graph.h"

static int edge_cmp(const void *pa, const void *pb)
{
    const graph_edge *a = pa, *b = pb;
    if (a->dst != b->dst)
        return a->dst < b->dst ? -1 : 1;
    if (a->src != b->src)
        return a->src < b->src ? -1 : 1;
    return llabs(a->line) < llabs(b->line) ? -1 : llabs(a->line) > llabs(b->line);
}

int chm__graph_check_vertices(const char *who, const char *path, int64_t n, int64_t edges)
{
    if (n > CHM_GRAPH_MAX_VERTICES)
        return chm__fail(NULL, who, CHM_EFORMAT, "%s: %lld vertices, more than the %d a graph "
                         "may have", path, (long long)n, CHM_GRAPH_MAX_VERTICES);
    if (n > (INT64_C(1) << 20) + 64 * edges)
        return chm__fail(NULL, who, CHM_EFORMAT, "%s: %lld vertices for %lld edges: more than "
                         "2^20 + 64 per edge, so nearly all would be isolated; refused as a "
                         "corrupt size", path, (long long)n, (long long)edges);
    return CHM_OK;
}

chm_graph *chm__graph_alloc(int64_t n, int64_t nnz)
{
    chm_graph *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->n = n;
    g->nnz = nnz;
    g->row_ptr = n >= 0 && n < INT64_MAX / 8 ? calloc((size_t)n + 1, sizeof *g->row_ptr) : NULL;
    g->col = chm__alloc_array(nnz, sizeof *g->col);
    g->w = chm__alloc_array(nnz, sizeof *g->w);
    if (!g->row_ptr || !g->col || !g->w) {
        chm_graph_free(g);
        return NULL;
    }
    return g;
}

static const char *where(const graph_edge *e, char *buf, size_t len)
{
    if (e->line > 0)
        snprintf(buf, len, " (line %lld)", (long long)e->line);
    else
        snprintf(buf, len, " (edge %lld)", (long long)-e->line);
    return buf;
}

/*
 * With SYMMETRIC, each edge is first put in canonical form (src <= dst) so
 * that both directions of one undirected edge meet; the duplicate rule
 * applies within a direction, and the first direction listed gives the weight.
 */
int chm__graph_build(const char *who, int64_t n, graph_edge *e, int64_t count, unsigned flags,
                     int weighted, chm_graph **out)
{
    const int sym = (flags & CHM_GRAPH_SYMMETRIC) != 0, merge = (flags & CHM_GRAPH_MERGE_DUPLICATES) != 0;
    for (int64_t i = 0; i < count; i++) {
        e[i].flip = sym && e[i].src > e[i].dst;
        if (e[i].flip) {
            int32_t t = e[i].src;
            e[i].src = e[i].dst;
            e[i].dst = t;
        }
    }
    if (count > 0)
        qsort(e, (size_t)count, sizeof *e, edge_cmp);
    /* Collapse each (dst, src) group into one entry, in place. */
    int64_t kept = 0;
    char buf[48];
    for (int64_t i = 0; i < count;) {
        int64_t j = i + 1;
        float w = e[i].w;
        int seen[2] = { 0, 0 };
        seen[e[i].flip] = 1;
        for (; j < count && e[j].dst == e[i].dst && e[j].src == e[i].src; j++) {
            if (seen[e[j].flip] && !merge) {
                const int32_t s = e[j].flip ? e[j].dst : e[j].src, d = e[j].flip ? e[j].src : e[j].dst;
                return chm__fail(NULL, who, CHM_EFORMAT,
                                 "duplicate edge %d -> %d%s (pass CHM_GRAPH_MERGE_DUPLICATES to "
                                 "merge duplicates)", s, d, where(&e[j], buf, sizeof buf));
            }
            if (e[j].flip == e[i].flip && weighted)
                w += e[j].w; /* a duplicate in the first direction listed: merged */
            seen[e[j].flip] = 1;
        }
        e[kept] = e[i];
        e[kept].w = weighted ? w : 1.0f;
        kept++;
        i = j;
    }
    int64_t nnz = 0;
    for (int64_t i = 0; i < kept; i++)
        nnz += sym && e[i].src != e[i].dst ? 2 : 1;
    chm_graph *g = chm__graph_alloc(n, nnz);
    if (!g)
        return chm__fail(NULL, who, CHM_ENOMEM, "no memory for a graph of %lld edges", (long long)nnz);
    for (int64_t i = 0; i < kept; i++) {
        g->row_ptr[e[i].dst + 1]++;
        if (sym && e[i].src != e[i].dst)
            g->row_ptr[e[i].src + 1]++;
    }
    for (int64_t v = 0; v < n; v++)
        g->row_ptr[v + 1] += g->row_ptr[v];
    int64_t *fill = malloc((size_t)n * sizeof *fill + 1);
    if (!fill) {
        chm_graph_free(g);
        return chm__fail(NULL, who, CHM_ENOMEM, "no memory for %lld vertices", (long long)n);
    }
    memcpy(fill, g->row_ptr, (size_t)n * sizeof *fill);
    /* e is sorted by (dst, src): rows fill in column order except for the
     * mirrored entries, which a per-row sort puts in place below. */
    for (int64_t i = 0; i < kept; i++) {
        int64_t k = fill[e[i].dst]++;
        g->col[k] = e[i].src, g->w[k] = e[i].w;
        if (sym && e[i].src != e[i].dst) {
            k = fill[e[i].src]++;
            g->col[k] = e[i].dst, g->w[k] = e[i].w;
        }
    }
    free(fill);
    if (sym)
        chm__graph_sort_rows(g);
    *out = g;
    return CHM_OK;
}

void chm__graph_sort_rows(chm_graph *g)
{
    for (int64_t v = 0; v < g->n; v++) {
        for (int64_t k = g->row_ptr[v] + 1; k < g->row_ptr[v + 1]; k++) {
            const int32_t c = g->col[k];
            const float w = g->w[k];
            int64_t m = k;
            for (; m > g->row_ptr[v] && g->col[m - 1] > c; m--)
                g->col[m] = g->col[m - 1], g->w[m] = g->w[m - 1];
            g->col[m] = c, g->w[m] = w;
        }
    }
}

void chm__graph_replace(chm_graph *g, chm_graph *ng)
{
    chm_graph tmp = *g;
    *g = *ng;
    *ng = tmp;
    chm_graph_free(ng);
}

static int check_n(const char *who, int64_t n)
{
    if (n < 1 || n > CHM_GRAPH_MAX_VERTICES)
        return chm__fail(NULL, who, CHM_EINVAL, "n is %lld; a graph has 1..%d vertices", (long long)n,
                         CHM_GRAPH_MAX_VERTICES);
    return CHM_OK;
}

int chm_graph_from_edges(int64_t n, int64_t n_edges, const int32_t *src, const int32_t *dst,
                         const float *weight, unsigned flags, chm_graph **out)
{
    const char *who = __func__;
    if (!out || (n_edges > 0 && (!src || !dst)) || n_edges < 0)
        return chm__fail(NULL, who, CHM_EINVAL, "out, src and dst must not be NULL; n_edges >= 0");
    int rc = check_n(who, n);
    if (rc)
        return rc;
    graph_edge *e = chm__alloc_array(n_edges, sizeof *e);
    if (!e)
        return chm__fail(NULL, who, CHM_ENOMEM, "no memory for %lld edges", (long long)n_edges);
    for (int64_t i = 0; i < n_edges; i++) {
        if (src[i] < 0 || src[i] >= n || dst[i] < 0 || dst[i] >= n) {
            free(e);
            return chm__fail(NULL, who, CHM_ERANGE, "edge %lld is %d -> %d; vertices are 0..%lld",
                             (long long)i, src[i], dst[i], (long long)n - 1);
        }
        if (weight && !isfinite(weight[i])) {
            free(e);
            return chm__fail(NULL, who, CHM_EINVAL, "edge %lld has weight %g", (long long)i, weight[i]);
        }
        e[i] = (graph_edge){ src[i], dst[i], weight ? weight[i] : 1.0f, -i, 0 };
    }
    rc = chm__graph_build(who, n, e, n_edges, flags, weight != NULL, out);
    free(e);
    return rc;
}

int chm_graph_add_self_loops(chm_graph *g, float weight)
{
    if (!g || !isfinite(weight))
        return chm__fail(NULL, __func__, CHM_EINVAL, "g must not be NULL and weight finite");
    int64_t missing = 0;
    for (int64_t v = 0; v < g->n; v++) {
        int has = 0;
        for (int64_t k = g->row_ptr[v]; k < g->row_ptr[v + 1] && !has; k++)
            has = g->col[k] == v;
        missing += !has;
    }
    chm_graph *ng = chm__graph_alloc(g->n, g->nnz + missing);
    if (!ng)
        return chm__fail(NULL, __func__, CHM_ENOMEM, "no memory for %lld more edges", (long long)missing);
    int64_t k2 = 0;
    for (int64_t v = 0; v < g->n; v++) {
        int done = 0;
        for (int64_t k = g->row_ptr[v]; k < g->row_ptr[v + 1]; k++) {
            if (!done && g->col[k] >= v) {
                if (g->col[k] != v)
                    ng->col[k2] = (int32_t)v, ng->w[k2++] = weight;
                done = 1;
            }
            ng->col[k2] = g->col[k], ng->w[k2++] = g->w[k];
        }
        if (!done)
            ng->col[k2] = (int32_t)v, ng->w[k2++] = weight;
        ng->row_ptr[v + 1] = k2;
    }
    chm__graph_replace(g, ng);
    return CHM_OK;
}

int chm_graph_normalize(chm_graph *g, chm_graph_norm norm)
{
    if (!g || (norm != CHM_NORM_GCN && norm != CHM_NORM_MEAN))
        return chm__fail(NULL, __func__, CHM_EINVAL, "g must not be NULL; norm is CHM_NORM_GCN or _MEAN");
    double *deg = calloc((size_t)g->n, sizeof *deg);
    if (!deg)
        return chm__fail(NULL, __func__, CHM_ENOMEM, "no memory for %lld degrees", (long long)g->n);
    for (int64_t v = 0; v < g->n; v++)
        for (int64_t k = g->row_ptr[v]; k < g->row_ptr[v + 1]; k++)
            deg[v] += g->w[k];
    for (int64_t v = 0; v < g->n; v++) {
        for (int64_t k = g->row_ptr[v]; k < g->row_ptr[v + 1]; k++) {
            const double du = deg[g->col[k]], dv = deg[v];
            double s = 0.0;
            if (norm == CHM_NORM_MEAN)
                s = dv != 0.0 ? 1.0 / dv : 0.0;
            else
                s = dv > 0.0 && du > 0.0 ? 1.0 / sqrt(dv * du) : 0.0;
            g->w[k] = (float)(g->w[k] * s);
        }
    }
    free(deg);
    g->edge_scale = 0.0f; /* the weights changed */
    return CHM_OK;
}

/* max |w| / 127, the default scale of the int8 edge codes (1 for a graph of zeros) */
static float own_edge_scale(const chm_graph *g)
{
    float wmax = 0.0f;
    for (int64_t k = 0; k < g->nnz; k++)
        wmax = fabsf(g->w[k]) > wmax ? fabsf(g->w[k]) : wmax;
    return wmax > 0.0f ? wmax / 127.0f : 1.0f;
}

int chm_graph_set_edge_scale(chm_graph *g, float scale)
{
    if (!g || !(scale >= 0.0f) || !isfinite(scale))
        return chm__fail(NULL, __func__, CHM_EINVAL, "g must not be NULL and scale finite and >= 0");
    for (int64_t k = 0; scale > 0.0f && k < g->nnz; k++)
        if (fabsf(g->w[k]) / scale > 127.5f)
            return chm__fail(NULL, __func__, CHM_ERANGE, "edge %lld's weight %g is %g steps of %g; "
                             "int8 codes reach 127", (long long)k, (double)g->w[k],
                             (double)(fabsf(g->w[k]) / scale), (double)scale);
    g->edge_scale = scale;
    return CHM_OK;
}

int chm_graph_edge_scale(const chm_graph *g, float *scale)
{
    if (!g || !scale)
        return chm__fail(NULL, __func__, CHM_EINVAL, "g and scale must not be NULL");
    *scale = g->edge_scale > 0.0f ? g->edge_scale : own_edge_scale(g);
    return CHM_OK;
}

int chm_graph_query(const chm_graph *g, chm_graph_info *info)
{
    if (!g || !info)
        return chm__fail(NULL, __func__, CHM_EINVAL, "g and info must not be NULL");
    memset(info, 0, sizeof *info);
    info->n = g->n;
    info->edges = g->nnz;
    uint8_t *touched = calloc((size_t)g->n, 1);
    if (!touched)
        return chm__fail(NULL, __func__, CHM_ENOMEM, "no memory for %lld vertices", (long long)g->n);
    for (int64_t v = 0; v < g->n; v++) {
        const int64_t d = g->row_ptr[v + 1] - g->row_ptr[v];
        info->max_in_degree = d > info->max_in_degree ? d : info->max_in_degree;
        for (int64_t k = g->row_ptr[v]; k < g->row_ptr[v + 1]; k++) {
            if (g->col[k] == v) {
                info->self_loops++;
                continue;
            }
            touched[v] = touched[g->col[k]] = 1;
        }
    }
    for (int64_t v = 0; v < g->n; v++)
        info->isolated += !touched[v];
    free(touched);
    return CHM_OK;
}

int chm_graph_csr(const chm_graph *g, const int64_t **row_ptr, const int32_t **col_idx,
                  const float **weight)
{
    if (!g || !row_ptr || !col_idx || !weight)
        return chm__fail(NULL, __func__, CHM_EINVAL, "no argument may be NULL");
    *row_ptr = g->row_ptr;
    *col_idx = g->col;
    *weight = g->w;
    return CHM_OK;
}

void chm_graph_free(chm_graph *g)
{
    if (!g)
        return;
    free(g->row_ptr);
    free(g->col);
    free(g->w);
    free(g);
}
