/*
 * conv_dnnl.c - conv_bench's oneDNN column (oneDNN 2.x C API, OpenMP
 * runtime as Debian builds it). See conv_dnnl.h.
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <oneapi/dnnl/dnnl.h>

#include "conv_dnnl.h"

struct conv_dnnl {
    int threads;
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    dnnl_primitive_t conv;
    dnnl_memory_t src, wei, dst;
};

#define TRY(call)                                                                  \
    do {                                                                           \
        dnnl_status_t st_ = (call);                                                \
        if (st_ != dnnl_success) {                                                 \
            fprintf(stderr, "conv_bench: oneDNN: %s failed (%d)\n", #call, (int)st_); \
            goto fail;                                                             \
        }                                                                          \
    } while (0)

/* The user's OHWI weights in the layout the primitive chose (a reorder, outside timing). */
static dnnl_status_t reorder_weights(conv_dnnl *d, const dnnl_memory_desc_t *user_md,
                                     const int8_t *w)
{
    dnnl_memory_t user = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_t r = NULL;
    const dnnl_memory_desc_t *want;
    dnnl_status_t st = dnnl_memory_get_memory_desc(d->wei, &want);
    if (st == dnnl_success)
        st = dnnl_memory_create(&user, user_md, d->eng, (void *)w);
    if (st == dnnl_success)
        st = dnnl_reorder_primitive_desc_create(&pd, user_md, d->eng, want, d->eng, NULL);
    if (st == dnnl_success)
        st = dnnl_primitive_create(&r, pd);
    if (st == dnnl_success) {
        const dnnl_exec_arg_t args[] = { { DNNL_ARG_FROM, user }, { DNNL_ARG_TO, d->wei } };
        st = dnnl_primitive_execute(r, d->stream, 2, args);
    }
    if (st == dnnl_success)
        st = dnnl_stream_wait(d->stream);
    dnnl_primitive_destroy(r);
    dnnl_primitive_desc_destroy(pd);
    dnnl_memory_destroy(user);
    return st;
}

conv_dnnl *conv_dnnl_create(const conv_shape *s, const int8_t *in, const int8_t *w_ohwi,
                            int32_t in_zp, const float *scale, int threads)
{
    conv_dnnl *d = calloc(1, sizeof *d);
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t pd = NULL;
    if (!d)
        return NULL;
    d->threads = threads;
    omp_set_num_threads(threads);
    const dnnl_dims_t src_dims = { 1, s->c, s->h, s->w }, wei_dims = { s->oc, s->c, s->k, s->k };
    const dnnl_dims_t dst_dims = { 1, s->oc, s->oh, s->ow }, strides = { s->stride, s->stride };
    const dnnl_dims_t pad = { s->pad, s->pad };
    /* bottom/right padding that makes the output oh x ow exactly */
    const dnnl_dims_t pad_r = { (s->oh - 1) * s->stride + s->k - s->h - s->pad,
                                (s->ow - 1) * s->stride + s->k - s->w - s->pad };
    dnnl_memory_desc_t src_md, wei_any, wei_user, dst_md;
    dnnl_convolution_desc_t cd;
    TRY(dnnl_engine_create(&d->eng, dnnl_cpu, 0));
    TRY(dnnl_stream_create(&d->stream, d->eng, dnnl_stream_default_flags));
    TRY(dnnl_memory_desc_init_by_tag(&src_md, 4, src_dims, dnnl_s8, dnnl_nhwc));
    TRY(dnnl_memory_desc_init_by_tag(&wei_any, 4, wei_dims, dnnl_s8, dnnl_format_tag_any));
    TRY(dnnl_memory_desc_init_by_tag(&wei_user, 4, wei_dims, dnnl_s8, dnnl_ohwi));
    TRY(dnnl_memory_desc_init_by_tag(&dst_md, 4, dst_dims, dnnl_s8, dnnl_nhwc));
    TRY(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct,
                                           &src_md, &wei_any, NULL, &dst_md, strides, pad, pad_r));
    TRY(dnnl_primitive_attr_create(&attr));
    TRY(dnnl_primitive_attr_set_output_scales(attr, s->oc, 1 << 1, scale));
    TRY(dnnl_primitive_attr_set_zero_points(attr, DNNL_ARG_SRC, 1, 0, &in_zp));
    TRY(dnnl_primitive_desc_create(&pd, &cd, attr, d->eng, NULL));
    TRY(dnnl_primitive_create(&d->conv, pd));
    TRY(dnnl_memory_create(&d->src, &src_md, d->eng, (void *)in));
    TRY(dnnl_memory_create(&d->wei, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), d->eng,
                           DNNL_MEMORY_ALLOCATE));
    TRY(dnnl_memory_create(&d->dst, &dst_md, d->eng, DNNL_MEMORY_ALLOCATE));
    TRY(reorder_weights(d, &wei_user, w_ohwi));
    dnnl_primitive_desc_destroy(pd);
    dnnl_primitive_attr_destroy(attr);
    return d;
fail:
    dnnl_primitive_desc_destroy(pd);
    dnnl_primitive_attr_destroy(attr);
    conv_dnnl_free(d);
    return NULL;
}

double conv_dnnl_run(conv_dnnl *d, int8_t *out)
{
    omp_set_num_threads(d->threads);
    const dnnl_exec_arg_t args[] = { { DNNL_ARG_SRC, d->src }, { DNNL_ARG_WEIGHTS, d->wei },
                                     { DNNL_ARG_DST, d->dst } };
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    if (dnnl_primitive_execute(d->conv, d->stream, 3, args) != dnnl_success ||
        dnnl_stream_wait(d->stream) != dnnl_success)
        return -1.0;
    clock_gettime(CLOCK_MONOTONIC, &b);
    void *h = NULL;
    const dnnl_memory_desc_t *md;
    if (dnnl_memory_get_data_handle(d->dst, &h) == dnnl_success &&
        dnnl_memory_get_memory_desc(d->dst, &md) == dnnl_success)
        memcpy(out, h, dnnl_memory_desc_get_size(md));
    return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;
}

void conv_dnnl_free(conv_dnnl *d)
{
    if (!d)
        return;
    dnnl_memory_destroy(d->src);
    dnnl_memory_destroy(d->wei);
    dnnl_memory_destroy(d->dst);
    dnnl_primitive_destroy(d->conv);
    dnnl_stream_destroy(d->stream);
    dnnl_engine_destroy(d->eng);
    free(d);
}
