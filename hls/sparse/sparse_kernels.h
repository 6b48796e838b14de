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
 * side in the neuron buffers; every lane multiplies its weight with each of
 * them, so a weight's bytes are paid once per pass, not once per vector.
 *
 * Cambricon-X's indexing module: 64 lanes, one 64-entry word of the entry
 * stream (values, and steps packed at step_bits) a cycle, each lane with a
 * multiplier per vector of the pass (64 x 8 = 512). Cambricon-S: up to
 * SPARSE_S_BLOCKS kept blocks of one row group a cycle, as many as fit 256
 * multipliers (a 16 x 16 block's worth): four 4 x 16 blocks, one 16 x 16
 * block (sparse_s_blocks); S takes one vector a pass (sparse_pass_vectors).
 */
#define SPARSE_X_LANES 64
#define SPARSE_VECTORS 8
#define SPARSE_S_MACS (SPARSE_MAX_BLOCK * SPARSE_MAX_BLOCK)
/* Most multiplies in a cycle: X's 64 lanes x 8 vectors (S: 256). */
#define SPARSE_PEAK_MACS (SPARSE_X_LANES * SPARSE_VECTORS)
#define SPARSE_S_BLOCKS 4

/* Kept blocks of br x bc codes the S walker takes a cycle: they share the
 * 256 multipliers; each reads its bc <= 16 inputs (4 x 16 = the X lanes'
 * 64 neuron-buffer reads a cycle). */
static inline uint32_t sparse_s_blocks(uint32_t br, uint32_t bc)
{
    const uint32_t p = SPARSE_S_MACS / (br * bc);
    return p < SPARSE_S_BLOCKS ? p : SPARSE_S_BLOCKS;
}

/* Vectors a weight pass takes: X SPARSE_VECTORS; S one (its multipliers take
 * a cycle's blocks of one vector). */
static inline uint32_t sparse_pass_vectors(uint32_t format)
{
    return format == SPARSE_FMT_X ? SPARSE_VECTORS : 1;
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
