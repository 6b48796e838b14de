/*
 * test_graph_io.c - graphs on the host: builders, the Matrix Market, edge
 * list and Planetoid loaders (good files and every kind of malformed one),
 * self loops, normalization, and Cora as it sits in ../shared/data/cora.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

static char path[512], path2[512];

static void put(const char *p, const char *text)
{
    FILE *f = fopen(p, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
}

/* Loads text as a Matrix Market graph; returns the status. */
static int mtx(const char *text, unsigned flags, chm_graph **g)
{
    put(path, text);
    *g = NULL;
    return chm_graph_load_mtx(path, flags, g);
}

/* Expects code and a message containing why; no graph is made (*g is read after the call). */
static void refused(int rc, chm_graph **g, int code, const char *why)
{
    CU_ASSERT_EQUAL(rc, code);
    CU_ASSERT_PTR_NULL(*g);
    if (!strstr(chm_last_error(NULL), why))
        printf("\n  expected \"%s\" in \"%s\"\n", why, chm_last_error(NULL));
    CU_ASSERT_PTR_NOT_NULL(strstr(chm_last_error(NULL), why));
}

/* Row v of g as "c:w c:w ..." for compact checks. */
static const char *row(const chm_graph *g, int64_t v)
{
    static char buf[256];
    const int64_t *rp;
    const int32_t *ci;
    const float *w;
    chm_graph_csr(g, &rp, &ci, &w);
    buf[0] = 0;
    for (int64_t k = rp[v]; k < rp[v + 1]; k++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%d:%g", k > rp[v] ? " " : "", ci[k], w[k]);
    return buf;
}

static void test_mtx_good(void)
{
    chm_graph *g;
    /* symmetric pattern, lower triangle, with a comment and a self loop */
    CU_ASSERT_EQUAL_FATAL(mtx("%%MatrixMarket matrix coordinate pattern symmetric\n% c\n4 4 4\n"
                              "2 1\n3 2\n4 1\n3 3\n", 0, &g), CHM_OK);
    CU_ASSERT_STRING_EQUAL(row(g, 0), "1:1 3:1");
    CU_ASSERT_STRING_EQUAL(row(g, 1), "0:1 2:1");
    CU_ASSERT_STRING_EQUAL(row(g, 2), "1:1 2:1");
    CU_ASSERT_STRING_EQUAL(row(g, 3), "0:1");
    chm_graph_info info;
    CU_ASSERT_EQUAL(chm_graph_query(g, &info), CHM_OK);
    CU_ASSERT_EQUAL(info.n, 4);
    CU_ASSERT_EQUAL(info.edges, 7);
    CU_ASSERT_EQUAL(info.self_loops, 1);
    CU_ASSERT_EQUAL(info.max_in_degree, 2);
    CU_ASSERT_EQUAL(info.isolated, 0);
    chm_graph_free(g);
    /* real general: entry (i, j) is edge j -> i, so row i */
    CU_ASSERT_EQUAL_FATAL(mtx("%%MatrixMarket matrix coordinate real general\n3 3 3\n1 2 0.5\n"
                              "1 3 -2\n3 1 4e0\n", 0, &g), CHM_OK);
    CU_ASSERT_STRING_EQUAL(row(g, 0), "1:0.5 2:-2");
    CU_ASSERT_STRING_EQUAL(row(g, 1), "");
    CU_ASSERT_STRING_EQUAL(row(g, 2), "0:4");
    chm_graph_query(g, &info);
    CU_ASSERT_EQUAL(info.isolated, 0);
    chm_graph_free(g);
    /* duplicates merged on request: weights add */
    CU_ASSERT_EQUAL_FATAL(mtx("%%MatrixMarket matrix coordinate integer general\n2 2 3\n1 2 3\n"
                              "2 1 1\n1 2 4\n", CHM_GRAPH_MERGE_DUPLICATES, &g), CHM_OK);
    CU_ASSERT_STRING_EQUAL(row(g, 0), "1:7");
    chm_graph_free(g);
}

static void test_mtx_malformed(void)
{
    chm_graph *g;
    refused(mtx("", 0, &g), &g, CHM_EFORMAT, "empty file");
    refused(mtx("%%MatrixMarket tensor coordinate real general\n2 2 0\n", 0, &g), &g, CHM_EFORMAT,
            ":1: not a Matrix Market banner");
    refused(mtx("%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n", 0, &g), &g,
            CHM_EFORMAT, "format 'array' not supported");
    refused(mtx("%%MatrixMarket matrix coordinate complex general\n2 2 0\n", 0, &g), &g,
            CHM_EFORMAT, "field 'complex'");
    refused(mtx("%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 0\n", 0, &g), &g,
            CHM_EFORMAT, "symmetry 'skew-symmetric'");
    refused(mtx("%%MatrixMarket matrix coordinate real general\n2 x 0\n", 0, &g), &g, CHM_EFORMAT,
            ":2: size line must be");
    refused(mtx("%%MatrixMarket matrix coordinate real general\n2 3 0\n", 0, &g), &g, CHM_EFORMAT,
            "square; this one is 2 x 3");
    refused(mtx("%%MatrixMarket matrix coordinate real general\n3 3 2\n1 2 1\n", 0, &g), &g,
            CHM_EFORMAT, "file ends after 1 of 2 entries");
    refused(mtx("%%MatrixMarket matrix coordinate real general\n3 3 1\n1 2 1\n2 1 1\n", 0, &g), &g,
            CHM_EFORMAT, ":4: more entries than the 1");
    refused(mtx("%%MatrixMarket matrix coordinate real general\n3 3 1\n1 4 1\n", 0, &g), &g,
            CHM_EFORMAT, ":3: entry (1, 4) is outside the 3 x 3 matrix");
    refused(mtx("%%MatrixMarket matrix coordinate real general\n3 3 1\n0 1 1\n", 0, &g), &g,
            CHM_EFORMAT, "1-based");
    refused(mtx("%%MatrixMarket matrix coordinate pattern symmetric\n3 3 1\n1 2\n", 0, &g), &g,
            CHM_EFORMAT, "above the diagonal");
    refused(mtx("%%MatrixMarket matrix coordinate real general\n3 3 1\n1 2\n", 0, &g), &g,
            CHM_EFORMAT, "entry has 2 fields, expected 3");
    refused(mtx("%%MatrixMarket matrix coordinate real general\n3 3 1\n1 2 nan\n", 0, &g), &g,
            CHM_EFORMAT, "not a finite number");
    refused(mtx("%%MatrixMarket matrix coordinate pattern general\n3 3 3\n1 2\n2 2\n1 2\n", 0, &g),
            &g, CHM_EFORMAT, "duplicate edge 1 -> 0 (line 5)");
    g = NULL;
    refused(chm_graph_load_mtx("/nonexistent/x.mtx", 0, &g), &g, CHM_EIO, "cannot open /nonexistent/x.mtx");
}

static void test_edges_and_symmetry(void)
{
    chm_graph *g = NULL;
    /* both directions of one undirected edge are one edge; the same direction twice is not */
    const int32_t s[] = { 0, 1, 2 }, d[] = { 1, 0, 2 };
    CU_ASSERT_EQUAL_FATAL(chm_graph_from_edges(3, 3, s, d, NULL, CHM_GRAPH_SYMMETRIC, &g), CHM_OK);
    CU_ASSERT_STRING_EQUAL(row(g, 0), "1:1");
    CU_ASSERT_STRING_EQUAL(row(g, 1), "0:1");
    CU_ASSERT_STRING_EQUAL(row(g, 2), "2:1");
    chm_graph_free(g);
    g = NULL;
    const int32_t s2[] = { 0, 0 }, d2[] = { 1, 1 };
    refused(chm_graph_from_edges(3, 2, s2, d2, NULL, CHM_GRAPH_SYMMETRIC, &g), &g, CHM_EFORMAT,
            "duplicate edge 0 -> 1 (edge 1)");
    const int32_t bad[] = { 0, 3 };
    refused(chm_graph_from_edges(3, 2, s2, bad, NULL, 0, &g), &g, CHM_ERANGE, "edge 1 is 0 -> 3");
    refused(chm_graph_from_edges(0, 0, NULL, NULL, NULL, 0, &g), &g, CHM_EINVAL, "n is 0");
    /* edge lists */
    snprintf(path, sizeof path, "%s", tu_tmp("test_graph_io.txt"));
    put(path, "# edges\n0 1\n1 2\n\n5 0\n");
    CU_ASSERT_EQUAL_FATAL(chm_graph_load_edgelist(path, 0, 0, &g), CHM_OK);
    chm_graph_info info;
    chm_graph_query(g, &info);
    CU_ASSERT_EQUAL(info.n, 6);
    CU_ASSERT_EQUAL(info.edges, 3);
    CU_ASSERT_EQUAL(info.isolated, 2); /* 3 and 4 */
    CU_ASSERT_STRING_EQUAL(row(g, 0), "5:1");
    chm_graph_free(g);
    g = NULL;
    put(path, "0 1 0.5\n1 2\n");
    refused(chm_graph_load_edgelist(path, 0, 0, &g), &g, CHM_EFORMAT, ":2: lacks a weight");
    put(path, "0 1\n1 9\n");
    refused(chm_graph_load_edgelist(path, 5, 0, &g), &g, CHM_EFORMAT, ":2: edge 1 -> 9: vertex ids are 0..4");
    put(path, "0 1 2 3\n");
    refused(chm_graph_load_edgelist(path, 0, 0, &g), &g, CHM_EFORMAT, "expected 'src dst [weight]'");
    put(path, "0 -1\n");
    refused(chm_graph_load_edgelist(path, 0, 0, &g), &g, CHM_EFORMAT, "vertex ids are");
}

static void test_self_loops_and_norm(void)
{
    chm_graph *g;
    /* path 0 - 1 - 2 plus an isolated 3; vertex 1 already has a loop of weight 5 */
    const int32_t s[] = { 0, 1, 1 }, d[] = { 1, 2, 1 };
    const float w[] = { 1, 1, 5 };
    CU_ASSERT_EQUAL_FATAL(chm_graph_from_edges(4, 3, s, d, w, CHM_GRAPH_SYMMETRIC, &g), CHM_OK);
    CU_ASSERT_EQUAL(chm_graph_add_self_loops(g, 1.0f), CHM_OK);
    CU_ASSERT_STRING_EQUAL(row(g, 0), "0:1 1:1");
    CU_ASSERT_STRING_EQUAL(row(g, 1), "0:1 1:5 2:1");
    CU_ASSERT_STRING_EQUAL(row(g, 3), "3:1");
    CU_ASSERT_EQUAL(chm_graph_normalize(g, CHM_NORM_GCN), CHM_OK);
    const int64_t *rp;
    const int32_t *ci;
    const float *nw;
    chm_graph_csr(g, &rp, &ci, &nw);
    /* degrees 2, 7, 2, 1: w(0->1) = 1 / sqrt(2 * 7) */
    CU_ASSERT_DOUBLE_EQUAL(nw[rp[1]], 1.0 / sqrt(14.0), 1e-7);
    CU_ASSERT_DOUBLE_EQUAL(nw[rp[1] + 1], 5.0 / 7.0, 1e-7);
    CU_ASSERT_DOUBLE_EQUAL(nw[rp[3]], 1.0, 1e-7);
    chm_graph_free(g);
    CU_ASSERT_EQUAL_FATAL(chm_graph_from_edges(4, 3, s, d, w, 0, &g), CHM_OK);
    CU_ASSERT_EQUAL(chm_graph_normalize(g, CHM_NORM_MEAN), CHM_OK);
    CU_ASSERT_STRING_EQUAL(row(g, 1), "0:0.166667 1:0.833333");
    CU_ASSERT_EQUAL(chm_graph_normalize(g, (chm_graph_norm)7), CHM_EINVAL);
    chm_graph_free(g);
}

/* The int8 edge-code scale: the graph's own by default, a larger graph's when set. */
static void test_edge_scale(void)
{
    chm_graph *g;
    const int32_t s[] = { 0, 1, 2 }, d[] = { 1, 2, 0 };
    const float w[] = { 0.5f, -2.54f, 1.0f };
    CU_ASSERT_EQUAL_FATAL(chm_graph_from_edges(3, 3, s, d, w, 0, &g), CHM_OK);
    float sc;
    CU_ASSERT_EQUAL(chm_graph_edge_scale(g, &sc), CHM_OK);
    CU_ASSERT_EQUAL(sc, 2.54f / 127.0f);
    /* a part of a graph whose largest weight is 5.08: its scale, twice this one's own */
    CU_ASSERT_EQUAL(chm_graph_set_edge_scale(g, 0.04f), CHM_OK);
    CU_ASSERT_EQUAL(chm_graph_edge_scale(g, &sc), CHM_OK);
    CU_ASSERT_EQUAL(sc, 0.04f);
    /* too fine a scale for -2.54 (63.5 steps is fine, 127.5 the limit): refused, kept */
    CU_ASSERT_EQUAL(chm_graph_set_edge_scale(g, 0.01f), CHM_ERANGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(chm_last_error(NULL), "int8 codes reach 127"));
    CU_ASSERT_EQUAL(chm_graph_edge_scale(g, &sc), CHM_OK);
    CU_ASSERT_EQUAL(sc, 0.04f);
    CU_ASSERT_EQUAL(chm_graph_set_edge_scale(g, -1.0f), CHM_EINVAL);
    /* new weights: back to the graph's own */
    CU_ASSERT_EQUAL(chm_graph_normalize(g, CHM_NORM_MEAN), CHM_OK);
    CU_ASSERT_EQUAL(chm_graph_edge_scale(g, &sc), CHM_OK);
    CU_ASSERT(sc != 0.04f);
    CU_ASSERT_EQUAL(chm_graph_set_edge_scale(g, 0.5f), CHM_OK);
    CU_ASSERT_EQUAL(chm_graph_set_edge_scale(g, 0.0f), CHM_OK);
    CU_ASSERT_EQUAL(chm_graph_edge_scale(g, &sc), CHM_OK);
    CU_ASSERT(sc != 0.5f);
    chm_graph_free(g);
}

static void test_planetoid(void)
{
    snprintf(path2, sizeof path2, "%s", tu_tmp("test_graph_io.cites"));
    put(path, "p31 0 1 0 Neural\np7\t1 0 0\tTheory\np9 0 0 1 Neural\n");
    put(path2, "p31 p7\np7 p31\np9 p7\n");
    chm_graph *g;
    float *x;
    int32_t *y;
    int nf, nc;
    CU_ASSERT_EQUAL_FATAL(chm_graph_load_planetoid(path, path2, CHM_GRAPH_SYMMETRIC, &g, &x, &nf, &y,
                                                   &nc), CHM_OK);
    CU_ASSERT_EQUAL(nf, 3);
    CU_ASSERT_EQUAL(nc, 2);
    CU_ASSERT_EQUAL(y[0], 0);
    CU_ASSERT_EQUAL(y[1], 1);
    CU_ASSERT_EQUAL(y[2], 0);
    CU_ASSERT_EQUAL(x[1 * 3 + 0], 1.0f);
    CU_ASSERT_STRING_EQUAL(row(g, 0), "1:1");  /* cited both ways: one undirected edge */
    CU_ASSERT_STRING_EQUAL(row(g, 1), "0:1 2:1");
    chm_graph_free(g);
    free(x);
    free(y);
    g = NULL;
    put(path2, "p31 p8\n");
    refused(chm_graph_load_planetoid(path, path2, 0, &g, &x, &nf, &y, &nc), &g, CHM_EFORMAT,
            ":1: id 'p8' is not in the content file");
    put(path, "p31 0 1 0 Neural\np7 1 0 Theory\n");
    refused(chm_graph_load_planetoid(path, path2, 0, &g, &x, &nf, &y, &nc), &g, CHM_EFORMAT,
            ":2: 2 features, earlier lines have 3");
    put(path, "p31 0 1 0 Neural\np31 1 0 0 Theory\n");
    refused(chm_graph_load_planetoid(path, path2, 0, &g, &x, &nf, &y, &nc), &g, CHM_EFORMAT,
            "vertex id 'p31' appears twice");
    put(path, "p31 0 x 0 Neural\n");
    refused(chm_graph_load_planetoid(path, path2, 0, &g, &x, &nf, &y, &nc), &g, CHM_EFORMAT,
            "feature 2 ('x')");
    remove(path2);
}

static void test_dense_mtx(void)
{
    float *m = NULL;
    int64_t r = 0, c = 0;
    put(path, "%%MatrixMarket matrix coordinate real general\n2 3 2\n1 3 0.25\n2 1 -1\n");
    CU_ASSERT_EQUAL_FATAL(chm_mtx_read_dense(path, &m, &r, &c), CHM_OK);
    CU_ASSERT_EQUAL(r, 2);
    CU_ASSERT_EQUAL(c, 3);
    const float want[] = { 0, 0, 0.25f, -1, 0, 0 };
    CU_ASSERT_EQUAL(memcmp(m, want, sizeof want), 0);
    free(m);
    put(path, "%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n");
    CU_ASSERT_EQUAL_FATAL(chm_mtx_read_dense(path, &m, &r, &c), CHM_OK);
    const float col_major[] = { 1, 3, 2, 4 };
    CU_ASSERT_EQUAL(memcmp(m, col_major, sizeof col_major), 0);
    free(m);
    m = NULL;
    put(path, "%%MatrixMarket matrix coordinate real general\n2 3 2\n1 3 0.25\n1 3 1\n");
    CU_ASSERT_EQUAL(chm_mtx_read_dense(path, &m, &r, &c), CHM_EFORMAT);
    CU_ASSERT_PTR_NOT_NULL(strstr(chm_last_error(NULL), "entry (1, 3) given twice"));
    CU_ASSERT_PTR_NULL(m);
}

/* Largest |new id of destination - new id of source| over the edges. */
static int64_t bandwidth(const chm_graph *g)
{
    const int64_t *rp;
    const int32_t *ci;
    const float *w;
    chm_graph_info info;
    chm_graph_csr(g, &rp, &ci, &w);
    chm_graph_query(g, &info);
    int64_t b = 0;
    for (int64_t v = 0; v < info.n; v++)
        for (int64_t k = rp[v]; k < rp[v + 1]; k++)
            b = llabs(v - ci[k]) > b ? llabs(v - ci[k]) : b;
    return b;
}

static void test_reorder(void)
{
    /* a path 0-1-...-49 under shuffled ids, plus two isolated vertices */
    enum { N = 52, P = 50 };
    int32_t label[N], s[P - 1], d[P - 1];
    tu_rng r;
    tu_seed(&r, 77);
    for (int i = 0; i < N; i++)
        label[i] = i;
    for (int i = N - 1; i > 0; i--) {
        int j = tu_range(&r, 0, i), t = label[i];
        label[i] = label[j], label[j] = t;
    }
    float w[P - 1];
    for (int i = 0; i < P - 1; i++)
        s[i] = label[i], d[i] = label[i + 1], w[i] = (float)(i + 1);
    chm_graph *g, *orig;
    CU_ASSERT_EQUAL_FATAL(chm_graph_from_edges(N, P - 1, s, d, w, CHM_GRAPH_SYMMETRIC, &g), CHM_OK);
    CU_ASSERT_EQUAL_FATAL(chm_graph_from_edges(N, P - 1, s, d, w, CHM_GRAPH_SYMMETRIC, &orig), CHM_OK);
    CU_ASSERT(bandwidth(g) > 10);
    int32_t perm[N];
    CU_ASSERT_EQUAL_FATAL(chm_graph_reorder(g, CHM_REORDER_RCM, perm), CHM_OK);
    CU_ASSERT_EQUAL(bandwidth(g), 1);
    /* perm is a permutation, and every edge maps back to one of the original's, same weight */
    int hit[N] = { 0 };
    for (int i = 0; i < N; i++)
        hit[perm[i]]++;
    for (int i = 0; i < N; i++)
        CU_ASSERT_EQUAL(hit[i], 1);
    const int64_t *rp, *orp;
    const int32_t *ci, *oci;
    const float *nw, *ow;
    chm_graph_csr(g, &rp, &ci, &nw);
    chm_graph_csr(orig, &orp, &oci, &ow);
    CU_ASSERT_EQUAL(rp[N], orp[N]);
    for (int v = 0; v < N; v++) {
        CU_ASSERT_EQUAL(rp[v + 1] - rp[v], orp[perm[v] + 1] - orp[perm[v]]);
        for (int64_t k = rp[v]; k < rp[v + 1]; k++) {
            CU_ASSERT(k == rp[v] || ci[k] > ci[k - 1]);
            int found = 0;
            for (int64_t m = orp[perm[v]]; m < orp[perm[v] + 1]; m++)
                found |= oci[m] == perm[ci[k]] && ow[m] == nw[k];
            CU_ASSERT(found);
        }
    }
    /* by degree: in-degrees never grow along the new order */
    CU_ASSERT_EQUAL(chm_graph_add_self_loops(orig, 1.0f), CHM_OK);
    CU_ASSERT_EQUAL_FATAL(chm_graph_reorder(orig, CHM_REORDER_DEGREE, NULL), CHM_OK);
    chm_graph_csr(orig, &orp, &oci, &ow);
    for (int v = 1; v < N; v++)
        CU_ASSERT(orp[v + 1] - orp[v] <= orp[v] - orp[v - 1]);
    CU_ASSERT_EQUAL(chm_graph_reorder(g, (chm_graph_reorder_kind)9, perm), CHM_EINVAL);
    chm_graph_free(g);
    chm_graph_free(orig);
}

/* Sizes read from a file never wrap or allocate what the file cannot hold. */
static void test_hostile_sizes(void)
{
    chm_graph *g;
    /* B1: nnz x 32 wrapped to 0 in malloc, then the entries overflowed it. */
    refused(mtx("%%MatrixMarket matrix coordinate pattern general\n3 3 576460752303423488\n1 1\n2 2\n",
                0, &g), &g, CHM_EFORMAT, "a file of 80 bytes holds at most 20");
    /* A 75-byte file claiming 10^8 vertices (took 3.3 GB and 147 s) and 2^31 - 1. */
    refused(mtx("%%MatrixMarket matrix coordinate pattern general\n100000000 100000000 2\n1 1\n2 2\n",
                0, &g), &g, CHM_EFORMAT, "100000000 vertices for 2 edges");
    refused(mtx("%%MatrixMarket matrix coordinate pattern general\n2147483647 2147483647 1\n1 1\n",
                0, &g), &g, CHM_EFORMAT, "out of range");
    put(path, "0 1\n300000000 1\n");
    g = NULL;
    refused(chm_graph_load_edgelist(path, 0, 0, &g), &g, CHM_EFORMAT, "vertex ids are 0..");
    put(path, "0 1\n2000000 1\n");
    g = NULL;
    refused(chm_graph_load_edgelist(path, 0, 0, &g), &g, CHM_EFORMAT, "2000001 vertices for 2 edges");
    /* A directory is not a file. */
    g = NULL;
    refused(chm_graph_load_mtx(CHM_TEST_TMPDIR, 0, &g), &g, CHM_EIO, "is a directory");
    float *x = NULL;
    int64_t r, c;
    CU_ASSERT_EQUAL(chm_mtx_read_dense(CHM_TEST_TMPDIR, &x, &r, &c), CHM_EIO);
    /* B9: a "symmetric" dense file that is not square. */
    put(path, "%%MatrixMarket matrix coordinate real symmetric\n3 2 1\n2 1 5\n");
    CU_ASSERT_EQUAL(chm_mtx_read_dense(path, &x, &r, &c), CHM_EFORMAT);
    CU_ASSERT_PTR_NOT_NULL(strstr(chm_last_error(NULL), "symmetric matrix is square"));
    CU_ASSERT_PTR_NULL(x);
    put(path, "%%MatrixMarket matrix array real general\n3037000500 3037000500\n1\n");
    CU_ASSERT_EQUAL(chm_mtx_read_dense(path, &x, &r, &c), CHM_EFORMAT);
}

/* B8: the Planetoid loader in a thread with a 256 KiB stack (it had 512 KiB of locals). */
static void *load_planetoid(void *arg)
{
    (void)arg;
    chm_graph *g = NULL;
    float *x = NULL;
    int32_t *y = NULL;
    int nf, nc;
    put(path, "a 1 0 L1\nb 0 1 L2\n");
    put(path2, "a b\n");
    int rc = chm_graph_load_planetoid(path, path2, 0, &g, &x, &nf, &y, &nc);
    chm_graph_free(g);
    free(x);
    free(y);
    return (void *)(intptr_t)(rc == CHM_OK && nf == 2 && nc == 2);
}

static void test_small_stack(void)
{
    pthread_attr_t a;
    pthread_t t;
    void *ok = NULL;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 256 << 10);
    CU_ASSERT_EQUAL_FATAL(pthread_create(&t, &a, load_planetoid, NULL), 0);
    pthread_join(t, &ok);
    pthread_attr_destroy(&a);
    CU_ASSERT_PTR_NOT_NULL(ok);
}

static void test_cora(void)
{
    chm_graph *g;
    int rc = chm_graph_load_mtx(CHM_CORA_DIR "/cora.adj.mtx", 0, &g);
    if (rc == CHM_EIO) {
        printf("\n  %s: Cora not found, not checked\n", CHM_CORA_DIR);
        return;
    }
    CU_ASSERT_EQUAL_FATAL(rc, CHM_OK);
    chm_graph_info info;
    chm_graph_query(g, &info);
    CU_ASSERT_EQUAL(info.n, 2708);
    CU_ASSERT_EQUAL(info.edges, 2 * 5278);
    CU_ASSERT_EQUAL(info.self_loops, 0);
    CU_ASSERT_EQUAL(info.isolated, 0);
    CU_ASSERT_EQUAL(info.max_in_degree, 168);
    chm_graph_free(g);
    float *x;
    int64_t r, c;
    CU_ASSERT_EQUAL_FATAL(chm_mtx_read_dense(CHM_CORA_DIR "/cora.features.mtx", &x, &r, &c), CHM_OK);
    CU_ASSERT_EQUAL(r, 2708);
    CU_ASSERT_EQUAL(c, 1433);
    int64_t nz = 0;
    for (int64_t i = 0; i < r * c; i++)
        nz += x[i] != 0.0f;
    CU_ASSERT_EQUAL(nz, 49216);
    free(x);
}

int main(void)
{
    snprintf(path, sizeof path, "%s", tu_tmp("test_graph_io.mtx"));
    snprintf(path2, sizeof path2, "%s", tu_tmp("test_graph_io.cites"));
    static const tu_test tests[] = {
        { "Matrix Market graphs: pattern/real, symmetric/general, merged duplicates", test_mtx_good },
        { "sizes from a file never wrap or over-allocate; directories refused", test_hostile_sizes },
        { "the Planetoid loader runs on a 256 KiB thread stack", test_small_stack },
        { "malformed Matrix Market files are refused with the line and the reason", test_mtx_malformed },
        { "edge arrays and edge lists; symmetric edges, duplicates, ranges", test_edges_and_symmetry },
        { "self loops keep existing ones; GCN and mean normalization", test_self_loops_and_norm },
        { "Planetoid content + cites, and its malformed files", test_planetoid },
        { "the int8 edge-code scale: own, set from a larger graph, refused, cleared", test_edge_scale },
        { "dense Matrix Market features (coordinate and array)", test_dense_mtx },
        { "reordering: RCM makes a shuffled path banded; degree order; edges kept", test_reorder },
        { "Cora from ../shared/data/cora", test_cora },
        { NULL, NULL },
    };
    int rc = tu_run_suite("graph_io", NULL, tests, NULL, NULL);
    remove(path);
    return rc;
}
