/*
 * graph.h - the host's graph object (CSR by destination), shared by the
 * loaders, the builders and the GRAPH mode's upload.
 */
#ifndef CHM_GRAPH_H
#define CHM_GRAPH_H

#include <stdint.h>

#include "alloc.h"
#include "chimera.h"

struct chm_graph {
    int64_t n, nnz;
    int64_t *row_ptr; /* [n + 1] */
    int32_t *col;     /* [nnz], ascending within a row */
    float *w;         /* [nnz] */
    float edge_scale; /* int8 code scale of w set by chm_graph_set_edge_scale; 0: max |w| / 127 */
};

/* One edge src -> dst as read; line is where it came from (0: not a file). */
typedef struct graph_edge {
    int32_t src, dst;
    float w;
    int64_t line;  /* > 0: a file's line; <= 0: -(index in the caller's arrays) */
    int flip;      /* set by the builder: stored as dst -> src (symmetric graphs) */
} graph_edge;

/*
 * Builds a graph from edges (taken over: sorted in place, not freed),
 * applying flags' symmetry and duplicate rules; weighted 0 means every
 * weight is 1 and merged duplicates stay 1. who names the caller in errors.
 */
int chm__graph_build(const char *who, int64_t n, graph_edge *e, int64_t count, unsigned flags,
                     int weighted, chm_graph **out);

/*
 * A vertex count read from a file is believed only within reason: at most
 * CHM_GRAPH_MAX_VERTICES, and at most 2^20 + 64 x edges (a header that
 * claims far more vertices than its edges could touch is taken as corrupt,
 * not as a graph of isolated vertices to allocate). CHM_EFORMAT naming path.
 */
int chm__graph_check_vertices(const char *who, const char *path, int64_t n, int64_t edges);

/* An empty graph of n vertices with room for nnz edges (row_ptr zeroed); NULL if no memory. */
chm_graph *chm__graph_alloc(int64_t n, int64_t nnz);

/* Sorts each row's columns ascending (insertion sort: rows are short, often nearly sorted). */
void chm__graph_sort_rows(chm_graph *g);

/* Moves ng's contents into g (the caller's handle stays valid) and frees the rest. */
void chm__graph_replace(chm_graph *g, chm_graph *ng);

#endif /* CHM_GRAPH_H */
