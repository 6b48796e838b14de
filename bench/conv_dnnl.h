/*
 * conv_dnnl.h - conv_bench's oneDNN column: an int8 convolution as a CPU
 * user would run it (libdnnl-dev), built only when CMake finds oneDNN.
 */
#ifndef CONV_DNNL_H
#define CONV_DNNL_H

#include <stdint.h>

/* One layer's shape (NHWC input, OHWI weights, square kernel and stride). */
typedef struct conv_shape {
    int h, w, c, oc, k, stride, pad, oh, ow;
} conv_shape;

typedef struct conv_dnnl conv_dnnl;

/*
 * A oneDNN primitive for the layer: s8 NHWC in and out, s8 weights
 * reordered once to the layout oneDNN picks, the source zero point and one
 * output scale per channel (scale[oc]), for `threads` OpenMP threads
 * (oneDNN splits the work when it builds the primitive). NULL (and a
 * message on stderr) if oneDNN refuses it.
 */
conv_dnnl *conv_dnnl_create(const conv_shape *s, const int8_t *in, const int8_t *w_ohwi,
                            int32_t in_zp, const float *scale, int threads);
/* Runs it; seconds taken; out gets the s8 result. */
double conv_dnnl_run(conv_dnnl *d, int8_t *out);
void conv_dnnl_free(conv_dnnl *d);

#endif /* CONV_DNNL_H */
