/*
 * cnn_store_native.h - the conv output stage on the host's vector units
 * (native emulation only; cnn_store_native.c).
 */
#ifndef CNN_STORE_NATIVE_H
#define CNN_STORE_NATIVE_H

#include <stdint.h>

#include "cnn_kernels.h"

/* Requantizes rows [0, nr) x channels [0, nc) of a tile into out, as the
 * kernel's store() does; 1 if done, 0 if the host lacks the vector units. */
int cnn_store_host(int8_t *out, const int32_t *acc, int32_t ldacc, const int32_t *colsum,
                   const int32_t *bias, const int32_t *mult, const int32_t *shift,
                   const cnn_conv_desc *d, int32_t oc0, int32_t m0, int32_t nr, int32_t nc);

/* One requantization rule for a whole tile (a per-tensor multiplier). */
typedef struct hls_requant_rule {
    const int32_t *colsum; /* per column, times in_zp taken off; or NULL */
    int32_t in_zp;
    const int32_t *bias;   /* per column, added; or NULL */
    int32_t mult, shift, out_zp, act_min, act_max;
} hls_requant_rule;

/* out[r][c] = hls_requant_int8(sat32(acc[r][c] - in_zp * colsum[c] + bias[c]), ...) for
 * r < nr, c < nc (rows ldo / lda apart); 1 if done, 0 if the host lacks the vector units. */
int hls_requant_rows_host(int8_t *out, int64_t ldo, const int32_t *acc, int64_t lda, int32_t nr,
                          int32_t nc, const hls_requant_rule *q);

#endif /* CNN_STORE_NATIVE_H */
