/*
 * chm_ref_graph.h - plain-C reference GNN layers (GCN, GraphSAGE, GIN) in
 * fp32 and int8, computed vertex by vertex from the graph's CSR. Shares no
 * code with hls/graph. Summation orders, which fp32 results depend on:
 * a vertex's neighbours in ascending source order, acc += w * x (no FMA);
 * a dot product in ascending k from 0.0f, the bias added after it.
 */
#ifndef CHM_REF_GRAPH_H
#define CHM_REF_GRAPH_H

#include <stdint.h>

#include "chimera.h"

typedef struct ref_graph {
    int64_t n;
    const int64_t *row_ptr;
    const int32_t *col;
    const float *w;
} ref_graph;

/* A layer's sizes and parameters; weights are float or int8 as the call says. */
typedef struct ref_gnn {
    int f, h, o;               /* in, GIN hidden, out widths */
    const void *w, *w2;
    const float *bias, *bias2; /* or NULL */
} ref_gnn;

/* out[n][o]; combine_first: compute X W^T, then aggregate (GCN, sum/mean). */
void ref_gnn_f32(const ref_graph *g, const float *x, const ref_gnn *l, const chm_gnn_params *p,
                 int combine_first, float *out);
void ref_gnn_i8(const ref_graph *g, const int8_t *x, const ref_gnn *l, const chm_gnn_params *p,
                int combine_first, int8_t *out);

#endif /* CHM_REF_GRAPH_H */
