/*
 * ops_sparse.c - the SPARSE mode's operations: uploading compressed
 * weights, and pruned fully connected / conv layers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "op_submit.h"
#include "sparse_build.h"

int chm_sparse_upload(chm_device *dev, const chm_sparse *s, int bank, chm_tensor **out)
{
    if (!dev || !s || !out)
        return CHM_FAIL(dev, CHM_EINVAL, "dev, s and out must not be NULL");
    const uint32_t bytes = s->hdr->bytes;
    uint8_t *copy = malloc(bytes);
    if (!copy)
        return CHM_FAIL(dev, CHM_ENOMEM, "no host memory for %u bytes", bytes);
    memcpy(copy, s->blob, bytes);
    int rc = chm__upload_blob(dev, __func__, copy, bytes, bank, out);
    if (rc)
        free(copy);
    return rc;
}

/* The sparse weights' header, checked against the layer: rows x cols. */
static int check_weights(chm_device *dev, const char *who, const chm_tensor *w, int64_t rows,
                         int64_t cols, const char *cols_are)
{
    CHECK(chm__check_tensor(dev, who, "weights", w, CHM_INT8, 1));
    if (!w->blob)
        return chm__fail(dev, who, CHM_EINVAL,
                         "weights is not a sparse weight tensor (make it with chm_sparse_upload)");
    const sparse_hdr *h = (const sparse_hdr *)w->blob;
    if (h->cols != cols)
        return chm__fail(dev, who, CHM_ESHAPE, "sparse weights have %u columns, expected %lld (%s)",
                         h->cols, (long long)cols, cols_are);
    if (rows >= 0 && h->rows != rows)
        return chm__fail(dev, who, CHM_ESHAPE, "sparse weights have %u rows, out has %lld", h->rows,
                         (long long)rows);
    if (h->cols > SPARSE_MAX_K || h->rows > SPARSE_MAX_M)
        return chm__fail(dev, who, CHM_ELIMIT,
                         "%ux%u sparse weights: the SPARSE mode takes at most %u inputs and %u "
                         "outputs", h->rows, h->cols, SPARSE_MAX_K, SPARSE_MAX_M);
    return CHM_OK;
}

/* Copies the geometry and quantization of a checked conv descriptor. */
static void to_sparse_desc(const cnn_conv_desc *c, sparse_desc *s)
{
    *s = (sparse_desc){ c->n, c->ih, c->iw, c->ic, c->oh, c->ow, c->oc, c->kh, c->kw,
                        c->stride_h, c->stride_w, c->pad_t, c->pad_l, c->dil_h, c->dil_w,
                        c->in_zp, c->out_zp, c->act_min, c->act_max, c->has_bias, c->per_tensor };
}

static int submit(chm_device *dev, const char *who, chm_kop *op, const cnn_conv_desc *c,
                  chm_tensor *in, chm_tensor *w, chm_tensor *bias, chm_tensor *out, chm_event **ev)
{
    op->kind = KOP_SPARSE;
    op->mode = CHM_MODE_SPARSE;
    to_sparse_desc(c, &op->u.sparse);
    op->in[0] = in;
    op->in[1] = w;
    op->in[2] = bias;
    op->n_in = 3;
    op->out = out;
    const sparse_hdr *h = (const sparse_hdr *)w->blob;
    char name[48];
    snprintf(name, sizeof name, "sparse %s %s %ux%u %.0f%%", c->kh * c->kw > 1 ? "conv" : "fc",
             h->format == SPARSE_FMT_X ? "X" : "S", h->rows, h->cols,
             100.0 * h->nnz / ((double)h->rows * h->cols));
    return chm__submit_kop(dev, who, op, name, ev);
}

int chm_sparse_fully_connected(chm_device *dev, chm_tensor *in, chm_tensor *weights,
                               chm_tensor *bias, chm_tensor *out, const chm_requant *rq,
                               chm_event **ev)
{
    const char *who = __func__;
    if (!dev)
        return CHM_FAIL(dev, CHM_EINVAL, "dev is NULL");
    CHECK(chm__check_tensor(dev, who, "in", in, CHM_INT8, 2));
    CHECK(chm__check_tensor(dev, who, "out", out, CHM_INT8, 2));
    CHECK(chm__check_distinct(dev, who, out, in, weights, bias));
    CHECK(check_weights(dev, who, weights, out->dims[1], in->dims[1], "in features = in dims[1]"));
    CHECK(chm__check_dim(dev, who, "out", out, 0, in->dims[0], "batch"));
    if (bias) {
        CHECK(chm__check_tensor(dev, who, "bias", bias, CHM_INT32, 1));
        CHECK(chm__check_dim(dev, who, "bias", bias, 0, out->dims[1], "out features"));
    }
    cnn_conv_desc c = { .n = (int32_t)in->dims[0], .ih = 1, .iw = 1, .ic = (int32_t)in->dims[1],
                        .oh = 1, .ow = 1, .oc = (int32_t)out->dims[1], .kh = 1, .kw = 1,
                        .stride_h = 1, .stride_w = 1, .dil_h = 1, .dil_w = 1, .groups = 1,
                        .has_bias = bias != NULL };
    chm_kop op;
    memset(&op, 0, sizeof op);
    CHECK(chm__take_requant(dev, who, rq, c.oc, &c, &op));
    return submit(dev, who, &op, &c, in, weights, bias, out, ev);
}

int chm_sparse_conv2d(chm_device *dev, chm_tensor *in, chm_tensor *weights, int kernel_h,
                      int kernel_w, chm_tensor *bias, chm_tensor *out,
                      const chm_conv2d_params *p, chm_event **ev)
{
    const char *who = __func__;
    if (!dev || !p)
        return CHM_FAIL(dev, CHM_EINVAL, "dev and p must not be NULL");
    CHECK(chm__check_tensor(dev, who, "in", in, CHM_INT8, 4));
    CHECK(chm__check_tensor(dev, who, "out", out, CHM_INT8, 4));
    CHECK(chm__check_distinct(dev, who, out, in, weights, bias));
    if (p->groups > 1)
        return CHM_FAIL(dev, CHM_EINVAL, "groups is %d; sparse conv takes groups 1", p->groups);
    cnn_conv_desc c = { .stride_h = p->stride_h ? p->stride_h : 1,
                        .stride_w = p->stride_w ? p->stride_w : 1,
                        .dil_h = p->dilation_h ? p->dilation_h : 1,
                        .dil_w = p->dilation_w ? p->dilation_w : 1, .groups = 1,
                        .pad_t = p->pad_top, .pad_l = p->pad_left, .kh = kernel_h, .kw = kernel_w };
    CHECK(chm__check_window(dev, who, kernel_h, c.stride_h, c.dil_h, p->pad_top, p->pad_bottom, "h"));
    CHECK(chm__check_window(dev, who, kernel_w, c.stride_w, c.dil_w, p->pad_left, p->pad_right, "w"));
    const int64_t oh = chm__out_extent(in->dims[1], kernel_h, c.stride_h, c.dil_h, p->pad_top, p->pad_bottom);
    const int64_t ow = chm__out_extent(in->dims[2], kernel_w, c.stride_w, c.dil_w, p->pad_left, p->pad_right);
    if (oh < 1 || ow < 1)
        return CHM_FAIL(dev, CHM_ESHAPE, "the %dx%d window does not fit the padded input", kernel_h,
                        kernel_w);
    CHECK(check_weights(dev, who, weights, out->dims[3], (int64_t)kernel_h * kernel_w * in->dims[3],
                        "kernel h * kernel w * in channels"));
    CHECK(chm__check_dim(dev, who, "out", out, 0, in->dims[0], "batch"));
    CHECK(chm__check_dim(dev, who, "out", out, 1, oh, "output height"));
    CHECK(chm__check_dim(dev, who, "out", out, 2, ow, "output width"));
    if (bias) {
        CHECK(chm__check_tensor(dev, who, "bias", bias, CHM_INT32, 1));
        CHECK(chm__check_dim(dev, who, "bias", bias, 0, out->dims[3], "out channels"));
    }
    if (in->dims[0] * oh * ow > INT32_MAX / 2)
        return CHM_FAIL(dev, CHM_ELIMIT, "too many output pixels");
    c.n = (int32_t)in->dims[0], c.ih = (int32_t)in->dims[1], c.iw = (int32_t)in->dims[2];
    c.ic = (int32_t)in->dims[3], c.oh = (int32_t)oh, c.ow = (int32_t)ow, c.oc = (int32_t)out->dims[3];
    c.has_bias = bias != NULL;
    chm_kop op;
    memset(&op, 0, sizeof op);
    CHECK(chm__take_requant(dev, who, &p->rq, c.oc, &c, &op));
    return submit(dev, who, &op, &c, in, weights, bias, out, ev);
}
