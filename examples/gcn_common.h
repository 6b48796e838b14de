/*
 * gcn_common.h - what the GCN examples share: the trained model (.chmg,
 * written by train_cora_gcn.py), Planetoid id lists, and the int8
 * calibration helpers (per-tensor ranges measured on the float run).
 */
#ifndef GCN_COMMON_H
#define GCN_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "chm_ref_graph.h"

/* Prints "PROG: message" to stderr and exits with status 2. */
void gcn_die(const char *fmt, ...);
extern const char *gcn_prog;

typedef struct model {
    int f, h, c, n;
    float acc;
    float *w1, *b1, *w2, *b2;
    uint8_t *pred; /* PyTorch's class for every node */
} model;

model load_model(const char *path);
int *read_ids(const char *dir, const char *name, int *count);
/* DIR/NAME.features.mtx, each row divided by its sum (as in training); dies on error. */
float *read_features(const char *dir, const char *name, int64_t *n, int64_t *f);
void argmax_rows(const float *logits, int n, int c, int *pred);
float max_abs(const float *p, size_t n);
/* The tensor between the engines in the order the card uses: A X or X W^T. */
float mid_range(const ref_graph *g, const float *x, int f, const float *w, int o, int ca);
int8_t *quantize(const float *x, size_t n, float scale, int zp);

#endif /* GCN_COMMON_H */
