/*
 * cnn_schedule.h - the order and slicing of the conv's work, shared by the
 * HLS kernel (cnn_conv.c), its cycle model (cnn_cycles.c) and, in RTL, by
 * rtl/cnn/chm_cnn_conv.sv and chm_tile_walk.sv (which compute the same).
 *
 *   - K is cut into ceil(K / CNN_TILE_K) slices of equal depth (the last one
 *     may be shorter by less than a slice count): 2,304 taps are 2 x 1,152,
 *     not 2,048 + 256, whose long fetch a short compute could not hide.
 *   - Output tiles are walked with the longer tile loop inside: pixel tiles
 *     inside channel tiles when there are more pixel tiles (the weights of a
 *     channel tile stay in their buffer), else channel tiles inside pixel
 *     tiles (the input rows stay).
 *   - With at most two slices a tile an operand already in its buffer set is
 *     not fetched again (each set is tagged with what it holds).
 *   - One group and no dilation: a window row's kw taps are one run of
 *     kw * icg contiguous bytes (NHWC), cut where the window leaves the
 *     input; otherwise one run a tap.
 */
#ifndef CNN_SCHEDULE_H
#define CNN_SCHEDULE_H

#include <stdint.h>

#include "cnn_config.h"
#include "cnn_kernels.h"

/* Taps a slice of a K-deep reduction. */
static inline int32_t cnn_slice_depth(int32_t K)
{
    const int32_t slices = (K + CNN_TILE_K - 1) / CNN_TILE_K;
    return (K + slices - 1) / slices;
}

/* 1: pixel tiles inside channel tiles (the weights stay); 0: the other way. */
static inline int cnn_n_outer(int64_t row_tiles, int64_t col_tiles)
{
    return row_tiles > col_tiles;
}

/* 1: buffer sets keep their operand from tile to tile (at most two slices). */
static inline int cnn_reuse(int32_t K)
{
    return K <= 2 * CNN_TILE_K;
}

/*
 * A buffer set's tag: the (group, tile, first tap) of the operand it holds
 * (group -1: nothing). Returns 1 when the set already holds what a slice
 * needs and reuse is on; either way the set is tagged with it afterwards.
 */
static inline int cnn_tag_hit(int32_t tag[3], int32_t g, int32_t tile, int32_t k0, int reuse)
{
    const int hit = reuse && tag[0] == g && tag[1] == tile && tag[2] == k0;
    tag[0] = g;
    tag[1] = tile;
    tag[2] = k0;
    return hit;
}

/*
 * The tap after the last one a run from tap kx of a window row covers: the
 * run is all inside the input or all padding. ix0 is the input column of
 * the row's tap 0 and row_inside whether the window row is inside at all.
 */
static inline int32_t cnn_run_end(const cnn_conv_desc *d, int32_t kx, int32_t ix0, int row_inside)
{
    if (d->groups != 1 || d->dil_w != 1)
        return kx + 1;
    const int32_t ix = ix0 + kx;
    int32_t end = d->kw;
    if (row_inside && ix < 0)
        end = -ix0;                 /* the first tap inside */
    else if (row_inside && ix < d->iw)
        end = d->iw - ix0;          /* the first tap past the right edge */
    return end < d->kw ? end : d->kw;
}

#endif /* CNN_SCHEDULE_H */
