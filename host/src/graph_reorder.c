/*
 * graph_reorder.c - vertex renumbering for window locality: reverse
 * Cuthill-McKee (Cuthill & McKee 1969, George's reversal) over A + A^T, or
 * by degree.
 */
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "graph.h"

/* The undirected structure of g: CSR of A + A^T (duplicates kept; BFS ignores them). */
typedef struct sym_adj {
    int64_t *ptr;
    int32_t *adj;
    int64_t *deg; /* distinct-neighbour count is not needed: degree in A + A^T */
} sym_adj;

static int sym_build(const chm_graph *g, sym_adj *s)
{
    s->ptr = calloc((size_t)g->n + 1, sizeof *s->ptr);
    s->adj = malloc(sizeof *s->adj * (size_t)(2 * g->nnz + 1));
    if (!s->ptr || !s->adj)
        return -1;
    for (int64_t v = 0; v < g->n; v++) {
        for (int64_t k = g->row_ptr[v]; k < g->row_ptr[v + 1]; k++) {
            s->ptr[v + 1]++;
            s->ptr[g->col[k] + 1]++;
        }
    }
    for (int64_t v = 0; v < g->n; v++)
        s->ptr[v + 1] += s->ptr[v];
    int64_t *fill = malloc(sizeof *fill * (size_t)(g->n + 1));
    if (!fill)
        return -1;
    memcpy(fill, s->ptr, sizeof *fill * (size_t)g->n);
    for (int64_t v = 0; v < g->n; v++) {
        for (int64_t k = g->row_ptr[v]; k < g->row_ptr[v + 1]; k++) {
            s->adj[fill[v]++] = g->col[k];
            s->adj[fill[g->col[k]]++] = (int32_t)v;
        }
    }
    free(fill);
    return 0;
}

static _Thread_local const int64_t *sort_deg; /* qsort has no context argument in C11 */

static int by_degree_then_id(const void *pa, const void *pb)
{
    const int32_t a = *(const int32_t *)pa, b = *(const int32_t *)pb;
    const int64_t da = sort_deg[a], db = sort_deg[b];
    return da != db ? (da < db ? -1 : 1) : (a > b) - (a < b);
}

/*
 * BFS from root over unvisited vertices, neighbours by ascending degree;
 * appends to order, returns the last level's first index (for the
 * peripheral-vertex search).
 */
static int64_t bfs(const sym_adj *s, const int64_t *deg, int32_t root, uint8_t *seen, int32_t *order,
                   int64_t *count)
{
    int64_t head = *count, level_start = *count;
    order[(*count)++] = root;
    seen[root] = 1;
    while (head < *count) {
        const int64_t level_end = *count;
        level_start = head;
        for (; head < level_end; head++) {
            const int32_t v = order[head];
            const int64_t first = *count;
            for (int64_t k = s->ptr[v]; k < s->ptr[v + 1]; k++) {
                const int32_t u = s->adj[k];
                if (!seen[u]) {
                    seen[u] = 1;
                    order[(*count)++] = u;
                }
            }
            sort_deg = deg;
            qsort(order + first, (size_t)(*count - first), sizeof *order, by_degree_then_id);
        }
    }
    return level_start;
}

/* RCM order into perm (perm[new] = old). */
static int rcm(const chm_graph *g, int32_t *perm)
{
    sym_adj s = { 0 };
    int64_t *deg = malloc(sizeof *deg * (size_t)g->n);
    uint8_t *seen = calloc((size_t)g->n, 1), *probe = calloc((size_t)g->n, 1);
    int32_t *by_deg = malloc(sizeof *by_deg * (size_t)g->n), *tmp = malloc(sizeof *tmp * (size_t)g->n);
    int rc = -1;
    if (!deg || !seen || !probe || !by_deg || !tmp || sym_build(g, &s))
        goto out;
    for (int64_t v = 0; v < g->n; v++)
        deg[v] = s.ptr[v + 1] - s.ptr[v], by_deg[v] = (int32_t)v;
    sort_deg = deg;
    qsort(by_deg, (size_t)g->n, sizeof *by_deg, by_degree_then_id);
    int64_t count = 0;
    for (int64_t i = 0; i < g->n; i++) {
        int32_t root = by_deg[i];
        if (seen[root])
            continue;
        /* one George-Liu step: restart from a low-degree vertex of the last level */
        int64_t probe_count = 0;
        const int64_t last = bfs(&s, deg, root, probe, tmp, &probe_count);
        int32_t far = tmp[last];
        for (int64_t k = last; k < probe_count; k++)
            far = deg[tmp[k]] < deg[far] ? tmp[k] : far;
        bfs(&s, deg, far, seen, perm, &count);
    }
    for (int64_t i = 0; i < g->n / 2; i++) { /* the reversal */
        const int32_t t = perm[i];
        perm[i] = perm[g->n - 1 - i];
        perm[g->n - 1 - i] = t;
    }
    rc = 0;
out:
    free(s.ptr), free(s.adj), free(deg), free(seen), free(probe), free(by_deg), free(tmp);
    return rc;
}

/* Rows of g renumbered: new row v is old row perm[v], columns through inv. */
static chm_graph *renumber(const chm_graph *g, const int32_t *perm)
{
    chm_graph *ng = chm__graph_alloc(g->n, g->nnz);
    int32_t *inv = malloc(sizeof *inv * (size_t)g->n);
    if (!ng || !inv) {
        free(inv);
        chm_graph_free(ng);
        return NULL;
    }
    for (int64_t v = 0; v < g->n; v++)
        inv[perm[v]] = (int32_t)v;
    int64_t at = 0;
    for (int64_t v = 0; v < g->n; v++) {
        for (int64_t k = g->row_ptr[perm[v]]; k < g->row_ptr[perm[v] + 1]; k++, at++)
            ng->col[at] = inv[g->col[k]], ng->w[at] = g->w[k];
        ng->row_ptr[v + 1] = at;
    }
    chm__graph_sort_rows(ng);
    free(inv);
    return ng;
}

int chm_graph_reorder(chm_graph *g, chm_graph_reorder_kind how, int32_t *perm)
{
    const char *who = __func__;
    if (!g || (how != CHM_REORDER_RCM && how != CHM_REORDER_DEGREE))
        return chm__fail(NULL, who, CHM_EINVAL, "g must not be NULL; how is CHM_REORDER_RCM or _DEGREE");
    int32_t *p = malloc(sizeof *p * (size_t)g->n);
    if (!p)
        return chm__fail(NULL, who, CHM_ENOMEM, "no memory for %lld vertices", (long long)g->n);
    int rc = 0;
    if (how == CHM_REORDER_RCM) {
        rc = rcm(g, p);
    } else {
        int64_t *deg = malloc(sizeof *deg * (size_t)g->n);
        if (!deg) {
            rc = -1;
        } else {
            for (int64_t v = 0; v < g->n; v++)
                deg[v] = -(g->row_ptr[v + 1] - g->row_ptr[v]), p[v] = (int32_t)v;
            sort_deg = deg;
            qsort(p, (size_t)g->n, sizeof *p, by_degree_then_id);
            free(deg);
        }
    }
    chm_graph *ng = rc ? NULL : renumber(g, p);
    if (!ng) {
        free(p);
        return chm__fail(NULL, who, CHM_ENOMEM, "no memory to renumber %lld vertices", (long long)g->n);
    }
    chm__graph_replace(g, ng);
    if (perm)
        memcpy(perm, p, sizeof *p * (size_t)g->n);
    free(p);
    return CHM_OK;
}
