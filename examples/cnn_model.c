/*
 * cnn_model.c - load a .chmq model; run it on a device or on the reference.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chm_ref.h"
#include "cnn_model.h"

typedef struct reader {
    const uint8_t *p, *end;
    const char *path;
    int bad;
} reader;

static uint32_t rd_u32(reader *r)
{
    if (r->end - r->p < 4) {
        r->bad = 1;
        return 0;
    }
    uint32_t v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
                 (uint32_t)r->p[3] << 24;
    r->p += 4;
    return v;
}

static float rd_f32(reader *r)
{
    uint32_t u = rd_u32(r);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static void *rd_bytes(reader *r, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = 1;
        return NULL;
    }
    void *dst = malloc(n ? n : 1);
    if (!dst) {
        r->bad = 1;
        return NULL;
    }
    memcpy(dst, r->p, n);
    r->p += n;
    return dst;
}

static int read_params(reader *r, model_layer *L, size_t nw)
{
    L->w = rd_bytes(r, nw);
    L->bias = rd_bytes(r, 4 * (size_t)L->cout);
    L->mult = rd_bytes(r, 4 * (size_t)L->cout);
    L->shift = rd_bytes(r, 4 * (size_t)L->cout);
    return r->bad;
}

static int read_layer(reader *r, model_layer *L, int *h, int *w, int *c)
{
    L->kind = (layer_kind)rd_u32(r);
    L->in_h = *h, L->in_w = *w;
    if (L->kind == LAYER_MAXPOOL) {
        L->k = (int)rd_u32(r), L->stride = (int)rd_u32(r);
        if (r->bad || L->k < 1 || L->stride < 1 || L->k > *h)
            return 1;
        *h = (*h - L->k) / L->stride + 1, *w = (*w - L->k) / L->stride + 1;
    } else if (L->kind == LAYER_CONV) {
        L->cin = (int)rd_u32(r), L->cout = (int)rd_u32(r), L->k = (int)rd_u32(r);
        if ((int)rd_u32(r) != L->k) /* square kernels only in this format */
            return 1;
        L->stride = (int)rd_u32(r), L->pad = (int)rd_u32(r), L->relu = (int)rd_u32(r);
        L->in_zp = (int32_t)rd_u32(r), L->out_zp = (int32_t)rd_u32(r);
        if (r->bad || L->cin != *c || L->cout < 1 || L->cout > 4096 || L->k < 1 || L->k > 11 ||
            L->stride < 1)
            return 1;
        if (read_params(r, L, (size_t)L->cout * L->k * L->k * L->cin))
            return 1;
        *h = (*h + 2 * L->pad - L->k) / L->stride + 1;
        *w = (*w + 2 * L->pad - L->k) / L->stride + 1;
        *c = L->cout;
    } else if (L->kind == LAYER_FC) {
        L->cin = (int)rd_u32(r), L->cout = (int)rd_u32(r), L->relu = (int)rd_u32(r);
        L->in_zp = (int32_t)rd_u32(r), L->out_zp = (int32_t)rd_u32(r);
        L->k = 1, L->stride = 1;
        if (r->bad || L->cin != *h * *w * *c || L->cout < 1 || L->cout > 65536)
            return 1;
        if (read_params(r, L, (size_t)L->cout * L->cin))
            return 1;
        *h = *w = 1;
        *c = L->cout;
    } else {
        return 1;
    }
    L->out_h = *h, L->out_w = *w;
    return *h < 1 || *w < 1;
}

int model_load(const char *path, cnn_model *m)
{
    memset(m, 0, sizeof *m);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "model: cannot open %s\n", path);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(size > 0 ? (size_t)size : 1);
    if (!buf || size < 12 || fread(buf, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "model: cannot read %s\n", path);
        fclose(f);
        free(buf);
        return 1;
    }
    fclose(f);
    reader r = { buf, buf + size, path, 0 };
    int bad = memcmp(buf, "CHMQ", 4) != 0;
    r.p += 4;
    bad |= rd_u32(&r) != 1;
    uint32_t n = rd_u32(&r);
    m->h = (int)rd_u32(&r), m->w = (int)rd_u32(&r), m->c = (int)rd_u32(&r);
    m->in_scale = rd_f32(&r);
    m->in_zp = (int32_t)rd_u32(&r);
    m->float_accuracy = rd_f32(&r);
    bad |= r.bad || n < 1 || n > MODEL_MAX_LAYERS || m->h < 1 || m->w < 1 || m->c < 1;
    int h = m->h, w = m->w, c = m->c;
    for (uint32_t i = 0; !bad && i < n; i++, m->n_layers++)
        bad = read_layer(&r, &m->layers[i], &h, &w, &c);
    bad |= r.p != r.end;
    free(buf);
    if (bad) {
        fprintf(stderr, "model: %s is not a valid .chmq model (layer %d)\n", path, m->n_layers);
        model_free(m);
        return 1;
    }
    m->n_classes = c;
    return 0;
}

void model_free(cnn_model *m)
{
    for (int i = 0; i < MODEL_MAX_LAYERS; i++) {
        free(m->layers[i].w);
        free(m->layers[i].bias);
        free(m->layers[i].mult);
        free(m->layers[i].shift);
    }
    memset(m, 0, sizeof *m);
}

static chm_requant layer_rq(const model_layer *L)
{
    chm_requant rq = { .multiplier = L->mult, .shift = L->shift, .in_zero_point = L->in_zp,
                       .out_zero_point = L->out_zp, .act = L->relu ? CHM_ACT_RELU : CHM_ACT_NONE };
    return rq;
}

static chm_conv2d_params layer_conv(const model_layer *L)
{
    chm_conv2d_params p = { .stride_h = L->stride, .stride_w = L->stride, .pad_top = L->pad,
                            .pad_left = L->pad, .pad_bottom = L->pad, .pad_right = L->pad };
    p.rq = layer_rq(L);
    return p;
}

static chm_pool_params layer_pool(const model_layer *L)
{
    chm_pool_params p = { .kernel_h = L->k, .kernel_w = L->k, .stride_h = L->stride,
                          .stride_w = L->stride };
    return p;
}

void model_run_ref(const cnn_model *m, const int8_t *images, int n, int8_t *logits)
{
    size_t cap = (size_t)m->h * m->w * m->c;
    for (int i = 0, c = m->c; i < m->n_layers; i++) {
        const model_layer *L = &m->layers[i];
        c = L->kind == LAYER_MAXPOOL ? c : L->cout;
        size_t need = (size_t)L->out_h * L->out_w * c;
        cap = need > cap ? need : cap;
    }
    int8_t *a = malloc(cap), *b = malloc(cap);
    for (int img = 0; img < n; img++) {
        memcpy(a, images + (size_t)img * m->h * m->w * m->c, (size_t)m->h * m->w * m->c);
        int c = m->c;
        for (int i = 0; i < m->n_layers; i++) {
            const model_layer *L = &m->layers[i];
            if (L->kind == LAYER_CONV) {
                chm_conv2d_params p = layer_conv(L);
                ref_conv2d(a, 1, L->in_h, L->in_w, c, L->w, L->cout, L->k, L->k, L->bias, &p, b);
                c = L->cout;
            } else if (L->kind == LAYER_MAXPOOL) {
                chm_pool_params p = layer_pool(L);
                ref_pool(a, 1, L->in_h, L->in_w, c, &p, 0, b);
            } else {
                chm_requant rq = layer_rq(L);
                ref_fully_connected(a, 1, L->cin, L->w, L->cout, L->bias, &rq, b);
                c = L->cout;
            }
            int8_t *t = a;
            a = b, b = t;
        }
        memcpy(logits + (size_t)img * m->n_classes, a, (size_t)m->n_classes);
    }
    free(a);
    free(b);
}

/* Activations of one batch in flight; two sets let one batch's copies
 * overlap the other's kernels. */
#define SETS 2

struct model_dev {
    chm_device *dev;
    const cnn_model *m;
    int batch, next, sparse;
    uint64_t nnz, packed, dense;
    chm_tensor *w[MODEL_MAX_LAYERS], *bias[MODEL_MAX_LAYERS];
    chm_tensor *act[SETS][MODEL_MAX_LAYERS + 1]; /* act[s][0] = input, act[s][i+1] = layer i out */
};

static int alloc_act(model_dev *md, int s, int i, int h, int w, int c, int flat)
{
    int64_t d4[4] = { md->batch, h, w, c }, d2[2] = { md->batch, (int64_t)h * w * c };
    return chm_tensor_alloc(md->dev, CHM_INT8, flat ? 2 : 4, flat ? d2 : d4, CHM_BANK_SPREAD,
                            &md->act[s][i]);
}

int model_quantize_codes(cnn_model *m, int code_bits)
{
    for (int i = 0; i < m->n_layers; i++) {
        model_layer *L = &m->layers[i];
        if (L->kind == LAYER_MAXPOOL)
            continue;
        const int rows = L->cout, cols = L->k * L->k * L->cin;
        chm_sparse_params p = { .format = CHM_SPARSE_S, .code_bits = code_bits };
        chm_sparse *s;
        int rc = chm_sparse_from_dense(L->w, rows, cols, &p, &s);
        if (rc)
            return rc;
        rc = chm_sparse_to_dense(s, L->w);
        chm_sparse_free(s);
        if (rc)
            return rc;
    }
    m->code_bits = code_bits;
    return CHM_OK;
}

/* The layer's weights compressed and on the card (SPARSE mode). */
static int upload_sparse(model_dev *md, const model_layer *L, int i)
{
    /* keep every nonzero; S codes at the model's width (its weights already decoded from it) */
    chm_sparse_params p = { .format = (chm_sparse_format)md->sparse, .code_bits = md->m->code_bits,
                            .step_bits = md->m->step_bits };
    chm_sparse *s;
    int rc = chm_sparse_from_dense(L->w, L->cout, L->k * L->k * L->cin, &p, &s);
    if (rc)
        return rc;
    chm_sparse_info info;
    chm_sparse_query(s, &info);
    md->nnz += info.nnz;
    md->packed += info.bytes;
    md->dense += info.dense_bytes;
    rc = chm_sparse_upload(md->dev, s, CHM_BANK_SPREAD, &md->w[i]);
    chm_sparse_free(s);
    return rc;
}

static int upload_layer(model_dev *md, int i)
{
    const model_layer *L = &md->m->layers[i];
    if (L->kind == LAYER_MAXPOOL)
        return CHM_OK;
    int64_t wd4[4] = { L->cout, L->k, L->k, L->cin }, wd2[2] = { L->cout, L->cin };
    int conv = L->kind == LAYER_CONV;
    size_t nw = (size_t)L->cout * L->k * L->k * L->cin;
    int rc;
    if (md->sparse) {
        rc = upload_sparse(md, L, i);
    } else {
        rc = chm_tensor_alloc(md->dev, CHM_INT8, conv ? 4 : 2, conv ? wd4 : wd2, CHM_BANK_SPREAD,
                              &md->w[i]);
        if (!rc)
            rc = chm_tensor_write(md->w[i], 0, L->w, nw);
        for (size_t k = 0; k < nw; k++)
            md->nnz += L->w[k] != 0;
        md->dense += nw;
    }
    int64_t bd[1] = { L->cout };
    if (!rc)
        rc = chm_tensor_alloc(md->dev, CHM_INT32, 1, bd, CHM_BANK_SPREAD, &md->bias[i]);
    if (!rc)
        rc = chm_tensor_write(md->bias[i], 0, L->bias, 4 * (size_t)L->cout);
    return rc;
}

void model_dev_sparsity(const model_dev *md, double *density, uint64_t *bytes, uint64_t *dense_bytes)
{
    *density = md->dense ? (double)md->nnz / (double)md->dense : 0;
    *bytes = md->packed;
    *dense_bytes = md->dense;
}

int model_dev_create(chm_device *dev, const cnn_model *m, int batch, int sparse, model_dev **out)
{
    model_dev *md = calloc(1, sizeof *md);
    if (!md)
        return CHM_ENOMEM;
    md->dev = dev, md->m = m, md->batch = batch, md->sparse = sparse;
    int rc = CHM_OK;
    for (int i = 0; i < m->n_layers && !rc; i++)
        rc = upload_layer(md, i);
    for (int s = 0; s < SETS && !rc; s++) {
        rc = alloc_act(md, s, 0, m->h, m->w, m->c, 0);
        int c = m->c;
        for (int i = 0; i < m->n_layers && !rc; i++) {
            const model_layer *L = &m->layers[i];
            c = L->kind == LAYER_MAXPOOL ? c : L->cout;
            /* A pool that feeds a fc layer is allocated flat: the fc reads it as [batch, h*w*c]. */
            int feeds_fc = i + 1 < m->n_layers && m->layers[i + 1].kind == LAYER_FC;
            rc = alloc_act(md, s, i + 1, L->out_h, L->out_w, c, feeds_fc || L->kind == LAYER_FC);
        }
    }
    if (rc) {
        model_dev_free(md);
        return rc;
    }
    *out = md;
    return CHM_OK;
}

int model_dev_enqueue(model_dev *md, const int8_t *images, int8_t *logits)
{
    const cnn_model *m = md->m;
    chm_tensor **act = md->act[md->next];
    md->next = (md->next + 1) % SETS;
    int rc = chm_tensor_write_async(act[0], 0, images, (size_t)md->batch * m->h * m->w * m->c, NULL);
    int c = m->c;
    for (int i = 0; i < m->n_layers && !rc; i++) {
        const model_layer *L = &m->layers[i];
        if (L->kind == LAYER_CONV) {
            chm_conv2d_params p = layer_conv(L);
            rc = md->sparse ? chm_sparse_conv2d(md->dev, act[i], md->w[i], L->k, L->k, md->bias[i],
                                                act[i + 1], &p, NULL)
                            : chm_conv2d(md->dev, act[i], md->w[i], md->bias[i], act[i + 1], &p, NULL);
            c = L->cout;
        } else if (L->kind == LAYER_MAXPOOL) {
            chm_pool_params p = layer_pool(L);
            int64_t d4[4] = { md->batch, L->out_h, L->out_w, c };
            chm_tensor_info oi;
            chm_tensor_query(act[i + 1], &oi);
            /* Pool writes NHWC; a flat output tensor gets its 4-D view for this command. */
            if (oi.ndim == 2)
                rc = chm_tensor_reshape(act[i + 1], 4, d4);
            if (!rc)
                rc = chm_maxpool(md->dev, act[i], act[i + 1], &p, NULL);
            if (!rc && oi.ndim == 2)
                rc = chm_tensor_reshape(act[i + 1], 2, oi.dims);
        } else {
            chm_requant rq = layer_rq(L);
            rc = md->sparse ? chm_sparse_fully_connected(md->dev, act[i], md->w[i], md->bias[i],
                                                         act[i + 1], &rq, NULL)
                            : chm_fully_connected(md->dev, act[i], md->w[i], md->bias[i], act[i + 1],
                                                  &rq, NULL);
            c = L->cout;
        }
    }
    if (!rc)
        rc = chm_tensor_read_async(act[m->n_layers], 0, logits, (size_t)md->batch * m->n_classes,
                                   NULL);
    return rc;
}

void model_dev_free(model_dev *md)
{
    if (!md)
        return;
    for (int i = 0; i < MODEL_MAX_LAYERS; i++) {
        chm_tensor_free(md->w[i]);
        chm_tensor_free(md->bias[i]);
        for (int s = 0; s < SETS; s++)
            chm_tensor_free(md->act[s][i]);
    }
    for (int s = 0; s < SETS; s++)
        chm_tensor_free(md->act[s][MODEL_MAX_LAYERS]);
    free(md);
}
