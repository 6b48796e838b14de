/*
 * kop.h - one kernel operation as the runtime hands it to a backend: which
 * mode and kernel, its descriptor, and the tensors it reads and writes.
 */
#ifndef CHM_KOP_H
#define CHM_KOP_H

#include <stdint.h>

#include "cnn_kernels.h"
#include "graph_kernels.h"
#include "sparse_kernels.h"
#include "chimera.h"

typedef enum {
    KOP_CONV = 0, /* conv2d and fully connected */
    KOP_POOL = 1,
    KOP_ADD = 2,
    KOP_SPARSE = 3, /* SPARSE mode: fc or conv with compressed weights in[1] */
    KOP_GRAPH = 4,  /* GRAPH mode: graph, features, weights, bias, weights2, bias2 */
} kop_kind;

#define KOP_MAX_TENSORS 6

typedef struct chm_kop {
    chm_mode mode;
    kop_kind kind;
    union {
        cnn_conv_desc conv;
        cnn_pool_desc pool;
        cnn_add_desc add;
        sparse_desc sparse;
        graph_desc graph;
    } u;
    /* Inputs first, then outputs; NULL where absent (e.g. no bias). */
    chm_tensor *in[KOP_MAX_TENSORS];
    int n_in;
    chm_tensor *out;
    /* Per-channel requantization, owned by the op (copied at submit). */
    int32_t *mult, *shift;
} chm_kop;

#endif /* CHM_KOP_H */
