/*
 * graph_engines.h - the GRAPH mode's two engines, as graph_layer.c wires them.
 */
#ifndef GRAPH_ENGINES_H
#define GRAPH_ENGINES_H

#include <stdint.h>

#include "graph_kernels.h"

/* Widest combination input: SAGE's [aggregated | self] row. */
#define GRAPH_MAX_K (2 * GRAPH_MAX_F)

/*
 * Aggregates destination block b from feature rows x[n][width] into acc
 * (rows past the last vertex are left as initialized). int8: values are
 * x - zp; SUM weighs them by the edge's wq, MEAN rounds half away from zero.
 */
void graph_aggregate_f32(const uint8_t *blob, int32_t b, const float *x, int32_t width,
                         int32_t aggr, float acc[GRAPH_BLOCK][GRAPH_MAX_K]);
void graph_aggregate_i8(const uint8_t *blob, int32_t b, const int8_t *x, int32_t width,
                        int32_t zp, int32_t aggr, int32_t acc[GRAPH_BLOCK][GRAPH_MAX_K]);

#endif /* GRAPH_ENGINES_H */
