/*
 * graph_comb_native.h - the fp32 combination on the host's vector units
 * (native emulation only; graph_comb_native.c). Never seen by Vitis HLS.
 */
#ifndef GRAPH_COMB_NATIVE_H
#define GRAPH_COMB_NATIVE_H

#include <stdint.h>

/*
 * The weights w[o][k_len] k-major ([k_len][o rounded up to 16], zeros in
 * the padding), for graph_comb_f32_host; malloc'd (the caller frees), NULL
 * if out of memory (the kernel then runs its own loops).
 */
float *graph_wt_f32(const float *w, int32_t o, int32_t k_len);

/*
 * dst[r][c] = act(s + bias[c]) for r < nr, c < o, where s starts at 0.0f
 * and takes s = s + a[r][k] * w[c][k] for k ascending, each product and
 * sum rounded (no FMA): the order the fp32 PEs of the array accumulate in,
 * so the results are bit-identical to the kernel's. bias NULL adds 0.0f
 * (as the kernel does); act is ReLU (v < 0 -> 0) when relu. a's rows are
 * lda floats apart, dst's ldd. Rows are spread over the host's cores.
 */
void graph_comb_f32_host(const float *a, int64_t lda, int32_t nr, int32_t k_len, const float *wt,
                         int32_t o, const float *bias, int32_t relu, float *dst, int64_t ldd);

#endif /* GRAPH_COMB_NATIVE_H */
