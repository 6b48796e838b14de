/*
 * sparse_kernels.h - the SPARSE mode's kernel: a pruned layer (fully
 * connected, or a conv whose kernels are pruned per output channel) over a
 * batch, with weights in the Cambricon-X or Cambricon-S blob of
 * sparse_format.h, int8 in/out and the CNN mode's requantization.
 */
#ifndef SPARSE_KERNELS_H
#define SPARSE_KERNELS_H

#include <stdint.h>

#include "sparse_format.h"

/*
 * A weight pass: the entry stream is read once for up to SPARSE_VECTORS
 * input vectors (conv output pixels, or fc rows of a batch) held side by
 * side in the neuron buffers; every multiplier's weight meets each of them,
 * so a weight's bytes are paid once per pass, not once per vector. The
 * engine has SPARSE_PEAK_MACS (512) multipliers in use at a time.
 *
 * Cambricon-X's indexing module: 64 lanes, one 64-entry word of the entry
 * stream (values, and steps packed at step_bits) a cycle, each lane with a
 * multiplier per vector of the pass (64 x 8 = 512). Cambricon-S: one kept
 * block of a row group a cycle, its br x bc codes decoded once and
 * multiplied with each vector of the pass: as many vectors as 512
 * multipliers allow (sparse_pass_vectors: eight for a 4 x 16 block, two
 * for a 16 x 16 one).
 */
#define SPARSE_X_LANES 64
#define SPARSE_VECTORS 8
#define SPARSE_PEAK_MACS (SPARSE_X_LANES * SPARSE_VECTORS)

/* Vectors a weight pass takes: X SPARSE_VECTORS; S as many as its block's
 * br x bc multipliers a vector fit in SPARSE_PEAK_MACS, at most
 * SPARSE_VECTORS. */
static inline uint32_t sparse_pass_vectors(uint32_t format, uint32_t br, uint32_t bc)
{
    if (format != SPARSE_FMT_S || br * bc == 0)
        return SPARSE_VECTORS;
    const uint32_t p = SPARSE_PEAK_MACS / (br * bc);
    return p < SPARSE_VECTORS ? p : SPARSE_VECTORS;
}
/* Longest input vector (fc inputs, or kh*kw*ic taps of a conv) the on-chip
 * neuron buffer holds. */
#define SPARSE_MAX_K 16384
/* Largest layer output (rows) the accumulator bank holds. */
#define SPARSE_MAX_M 4096

/* Geometry as cnn_conv_desc (fc: 1x1 on a 1x1 image); groups are 1. */
typedef struct sparse_desc {
    int32_t n, ih, iw, ic;
    int32_t oh, ow, oc;
    int32_t kh, kw, stride_h, stride_w, pad_t, pad_l, dil_h, dil_w;
    int32_t in_zp, out_zp, act_min, act_max;
    int32_t has_bias, per_tensor;
} sparse_desc;

void sparse_layer(const int8_t *in, const uint8_t *wblob, const int32_t *bias,
                  const int32_t *mult, const int32_t *shift, int8_t *out, sparse_desc d);

typedef struct sparse_cost {
    uint64_t cycles;
    uint64_t macs;          /* multiplies done (nonzero weight x nonzero input) */
    uint64_t dense_macs;    /* what the dense layer would do */
    uint64_t weight_bytes;  /* compressed weights + indexes read */
} sparse_cost;

/* Cycle model driven by the blob's real nonzeros per PE and by the inputs
 * (Cambricon-S skips zero input neurons, so its cost depends on them). */
sparse_cost sparse_layer_cost(const sparse_desc *d, const uint8_t *wblob, const int8_t *in,
                              double bank_bytes_per_cycle);

#endif /* SPARSE_KERNELS_H */
