/*
 * fuzz_graph.c - libFuzzer target for the graph and feature loaders
 * (Matrix Market, edge list, Planetoid, dense Matrix Market): whatever they
 * accept must be a well-formed CSR graph; whatever they refuse must leave
 * nothing behind. The first byte picks the loader; Planetoid input is split
 * into its two files at the first '|'. Numbers of any size reach the
 * loaders: a header may claim no more than its file can hold (seeds in
 * tests/fuzz/corpus/graph are the bad files found so far).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chimera.h"

static void put(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    fwrite(p, 1, n, f);
    fclose(f);
}

static void check(chm_graph *g)
{
    chm_graph_info info;
    const int64_t *rp;
    const int32_t *ci;
    const float *w;
    if (chm_graph_query(g, &info) || chm_graph_csr(g, &rp, &ci, &w) || rp[0] != 0)
        abort();
    for (int64_t v = 0; v < info.n; v++) {
        if (rp[v + 1] < rp[v])
            abort();
        for (int64_t k = rp[v]; k < rp[v + 1]; k++)
            if (ci[k] < 0 || ci[k] >= info.n || (k > rp[v] && ci[k] <= ci[k - 1]))
                abort(); /* out of range, unsorted or a duplicate */
    }
    if (rp[info.n] != info.edges || chm_graph_add_self_loops(g, 1.0f) ||
        chm_graph_normalize(g, CHM_NORM_GCN))
        abort();
    chm_graph_free(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char a[512], b[512];
    snprintf(a, sizeof a, "%s/fuzz_graph_%d.a", CHM_FUZZ_TMPDIR, (int)getpid());
    snprintf(b, sizeof b, "%s/fuzz_graph_%d.b", CHM_FUZZ_TMPDIR, (int)getpid());
    chm_graph *g = NULL;
    const unsigned flags = data[0] >> 4 & 3;
    int rc;
    switch (data[0] % 4) {
    case 0:
        put(a, data + 1, size - 1);
        rc = chm_graph_load_mtx(a, flags, &g);
        break;
    case 1:
        put(a, data + 1, size - 1);
        rc = chm_graph_load_edgelist(a, data[0] >> 6, flags, &g);
        break;
    case 2: {
        const uint8_t *bar = memchr(data + 1, '|', size - 1);
        const size_t na = bar ? (size_t)(bar - data - 1) : size - 1;
        put(a, data + 1, na);
        put(b, bar ? bar + 1 : data, bar ? size - na - 2 : 0);
        float *x = NULL;
        int32_t *y = NULL;
        int nf, nc;
        rc = chm_graph_load_planetoid(a, b, flags, &g, &x, &nf, &y, &nc);
        free(x);
        free(y);
        break;
    }
    default: {
        put(a, data + 1, size - 1);
        float *m = NULL;
        int64_t r, c;
        if (chm_mtx_read_dense(a, &m, &r, &c) == CHM_OK && (!m || r < 1 || c < 1))
            abort();
        free(m);
        return 0;
    }
    }
    if (rc == CHM_OK)
        check(g);
    else if (g)
        abort(); /* a refusal creates nothing */
    return 0;
}
