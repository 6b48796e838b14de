/*
 * chm_ref.h - plain-C reference implementations of Chimera's operations.
 *
 * Written to be obviously right, not fast: one output element at a time,
 * 64-bit arithmetic, the rounding rules spelled out as formulas. It shares
 * no code with the kernels in hls/, so agreeing with it means something.
 * Layouts as in chimera.h: NHWC activations, OHWI weights.
 */
#ifndef CHM_REF_H
#define CHM_REF_H

#include <stdint.h>

#include "chimera.h"

/* TFLite/gemmlowp requantization of one accumulator (no zero point, no clamp). */
int32_t ref_requant(int32_t acc, int32_t multiplier, int32_t shift);

/* Output extent of a window; 0 if it does not fit. */
int64_t ref_out_extent(int64_t in, int k, int stride, int dilation, int pad_a, int pad_b);

/*
 * conv2d with p's defaults applied (0 stride = 1 ...). in [n,h,w,c], w
 * [oc,kh,kw,c/groups], bias [oc] or NULL; out must hold n*oh*ow*oc.
 */
void ref_conv2d(const int8_t *in, int n, int h, int w, int c, const int8_t *wts, int oc, int kh,
                int kw, const int32_t *bias, const chm_conv2d_params *p, int8_t *out);

/* out[n][m] from in[n][k] and wts[m][k]. */
void ref_fully_connected(const int8_t *in, int n, int k, const int8_t *wts, int m,
                         const int32_t *bias, const chm_requant *rq, int8_t *out);

void ref_pool(const int8_t *in, int n, int h, int w, int c, const chm_pool_params *p, int is_avg,
              int8_t *out);

void ref_add(const int8_t *a, const int8_t *b, int64_t count, const chm_add_params *p,
             int8_t *out);

#endif /* CHM_REF_H */
