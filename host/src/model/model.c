/*
 * model.c - a loaded model on the card: weights uploaded once, activations
 * per batch, the host's share of a run (QuantizeLinear of a float input,
 * NCHW <-> NHWC, DequantizeLinear of a float output), per-layer times.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "model.h"

static void free_acts(chm_model *m)
{
    for (int s = 0; s < CHM_MODEL_SETS; s++) {
        for (int i = 0; i < m->n_vals; i++) {
            chm_tensor_free(m->vals[i].t[s]);
            m->vals[i].t[s] = NULL;
        }
        free(m->stage_in[s]);
        free(m->stage_out[s]);
        m->stage_in[s] = m->stage_out[s] = NULL;
    }
    m->act_batch = 0;
}

void chm__model_release(chm_model *m)
{
    if (!m)
        return;
    if (m->dev)
        chm_finish(m->dev);
    for (int s = 0; s < CHM_MODEL_SETS; s++)
        chm_event_release(m->pending_ev[s]);
    free_acts(m);
    for (int i = 0; i < m->n_layers; i++) {
        mlayer *L = &m->layers[i];
        for (int s = 0; s < CHM_MODEL_SETS; s++)
            chm_event_release(L->ev[s]);
        chm_tensor_free(L->wt);
        chm_tensor_free(L->bt);
    }
    chm__model_free_host(m);
}

/* ----------------------------------------------------------- on the card */

static int upload(chm_model *m, mlayer *L)
{
    if (L->kind != ML_CONV && L->kind != ML_FC)
        return CHM_OK;
    L->cp.rq.multiplier = L->mult, L->cp.rq.shift = L->shift;
    int conv = L->kind == ML_CONV;
    size_t nw = (size_t)L->cout * L->kh * L->kw * L->cin;
    int rc;
    if (L->sparse) {
        chm_sparse_params p = { .format = CHM_SPARSE_X };
        chm_sparse *s;
        rc = chm_sparse_from_dense(L->w, L->cout, L->kh * L->kw * L->cin, &p, &s);
        if (!rc) {
            chm_sparse_info info;
            chm_sparse_query(s, &info);
            L->wbytes = info.bytes;
            rc = chm_sparse_upload(m->dev, s, m->bank, &L->wt);
            chm_sparse_free(s);
        }
    } else {
        int64_t d4[4] = { L->cout, L->kh, L->kw, L->cin }, d2[2] = { L->cout, L->cin };
        rc = chm_tensor_alloc(m->dev, CHM_INT8, conv ? 4 : 2, conv ? d4 : d2, m->bank, &L->wt);
        if (!rc)
            rc = chm_tensor_write(L->wt, 0, L->w, nw);
    }
    int64_t bd[1] = { L->cout };
    if (!rc)
        rc = chm_tensor_alloc(m->dev, CHM_INT32, 1, bd, m->bank, &L->bt);
    if (!rc)
        rc = chm_tensor_write(L->bt, 0, L->bias, 4 * (size_t)L->cout);
    return rc;
}

static size_t per_image(const mval *v)
{
    return (size_t)(v->h * v->w * v->c);
}

static int alloc_acts(chm_model *m, int batch)
{
    int rc = CHM_OK;
    size_t in = per_image(&m->vals[m->in_val]), out = per_image(&m->vals[m->out_val]);
    for (int s = 0; s < CHM_MODEL_SETS && !rc; s++) {
        for (int i = 0; i < m->n_vals && !rc; i++) {
            int64_t d[2] = { batch, (int64_t)per_image(&m->vals[i]) };
            rc = chm_tensor_alloc(m->dev, CHM_INT8, 2, d, m->bank, &m->vals[i].t[s]);
        }
        if (!rc) {
            m->stage_in[s] = malloc((size_t)batch * in);
            m->stage_out[s] = malloc((size_t)batch * out);
            if (!m->stage_in[s] || !m->stage_out[s])
                rc = chm__fail(m->dev, "chm_model", CHM_ENOMEM, "no host memory for a batch of %d",
                               batch);
        }
    }
    if (rc)
        free_acts(m);
    else
        m->act_batch = batch;
    return rc;
}

int chm_model_load(chm_device *dev, const char *path, chm_model **out, const chm_model_opts *opts)
{
    if (!dev || !path || !out)
        return CHM_FAIL(dev, CHM_EINVAL, "dev, path and out must not be NULL");
    chm_model *m = calloc(1, sizeof *m);
    if (!m)
        return CHM_FAIL(dev, CHM_ENOMEM, "no host memory");
    m->dev = dev;
    m->bank = opts ? opts->bank : CHM_BANK_DEFAULT;
    int batch = opts && opts->max_batch > 0 ? opts->max_batch : 1;
    m->in_val = m->out_val = -1;
    int rc = chm__onnx_import(m, path, opts);
    if (!rc && m->in.ndim == 1 && batch != 1)
        rc = CHM_FAIL(dev, CHM_ELIMIT, "%s: the input has no batch axis; max_batch must be 1",
                      path);
    for (int i = 0; i < m->n_layers && !rc; i++)
        rc = upload(m, &m->layers[i]);
    if (!rc)
        rc = alloc_acts(m, batch);
    if (rc) {
        /* releasing the tensors must not overwrite why the load failed */
        char msg[512];
        const char *why = chm_last_error(dev);
        snprintf(msg, sizeof msg, "%s", strncmp(why, "chm_model_load: ", 16) ? why : why + 16);
        chm__model_release(m);
        return chm__fail(dev, "chm_model_load", rc, "%s", msg);
    }
    *out = m;
    return CHM_OK;
}

void chm_model_free(chm_model *m)
{
    chm__model_release(m);
}

/* ---------------------------------------------------------------- info */

static const char *op_name(ml_kind k)
{
    switch (k) {
    case ML_CONV: return "conv2d";
    case ML_FC: return "fully_connected";
    case ML_MAXPOOL: return "maxpool";
    case ML_AVGPOOL: return "avgpool";
    default: return "add";
    }
}

int chm_model_info_get(const chm_model *m, chm_model_info *out)
{
    if (!m || !out)
        return CHM_FAIL(NULL, CHM_EINVAL, "m and out must not be NULL");
    memset(out, 0, sizeof *out);
    out->input = m->in, out->output = m->out;
    out->n_layers = m->n_layers;
    for (int i = 0; i < m->n_layers; i++) {
        out->macs += m->layers[i].macs;
        out->weight_bytes += m->layers[i].wbytes;
        out->n_sparse += m->layers[i].sparse;
    }
    return CHM_OK;
}

int chm_model_layer_get(const chm_model *m, int i, chm_model_layer *out)
{
    if (!m || !out)
        return CHM_FAIL(NULL, CHM_EINVAL, "m and out must not be NULL");
    if (i < 0 || i >= m->n_layers)
        return CHM_FAIL(m->dev, CHM_ERANGE, "layer %d of %d", i, m->n_layers);
    const mlayer *L = &m->layers[i];
    const mval *v = &m->vals[L->out];
    memset(out, 0, sizeof *out);
    out->name = L->name, out->op_type = L->op_type, out->op = op_name(L->kind);
    out->mode = L->sparse ? CHM_MODE_SPARSE : CHM_MODE_CNN;
    out->out_dims[0] = 1, out->out_dims[1] = v->h, out->out_dims[2] = v->w,
    out->out_dims[3] = v->c;
    out->macs = L->macs, out->weight_bytes = L->wbytes;
    chm_event_times t;
    chm_event *ev = L->ev[m->last_set];
    if (ev && chm_event_times_get(ev, &t) == CHM_OK) {
        out->last_us = t.device_end_us - t.device_start_us;
        out->last_uj = t.energy_uj;
    }
    return CHM_OK;
}

/* ----------------------------------------------------------------- run */

static int view(chm_model *m, int val, int s, int batch, int flat)
{
    const mval *v = &m->vals[val];
    int64_t d4[4] = { batch, v->h, v->w, v->c }, d2[2] = { batch, (int64_t)per_image(v) };
    return chm_tensor_reshape(v->t[s], flat ? 2 : 4, flat ? d2 : d4);
}

/* Queues layer L of a run on activation set s. */
static int run_layer(chm_model *m, mlayer *L, int s, int batch)
{
    chm_event **ev = &L->ev[s];
    chm_event_release(*ev);
    *ev = NULL;
    chm_tensor *in = m->vals[L->in0].t[s], *out = m->vals[L->out].t[s];
    int fc = L->kind == ML_FC;
    int rc = view(m, L->in0, s, batch, fc);
    if (!rc)
        rc = view(m, L->out, s, batch, fc);
    if (!rc && L->kind == ML_ADD)
        rc = view(m, L->in1, s, batch, 0);
    if (rc)
        return rc;
    switch (L->kind) {
    case ML_CONV:
        return L->sparse ? chm_sparse_conv2d(m->dev, in, L->wt, L->kh, L->kw, L->bt, out, &L->cp, ev)
                         : chm_conv2d(m->dev, in, L->wt, L->bt, out, &L->cp, ev);
    case ML_FC:
        return L->sparse ? chm_sparse_fully_connected(m->dev, in, L->wt, L->bt, out, &L->cp.rq, ev)
                         : chm_fully_connected(m->dev, in, L->wt, L->bt, out, &L->cp.rq, ev);
    case ML_MAXPOOL: return chm_maxpool(m->dev, in, out, &L->pp, ev);
    case ML_AVGPOOL: return chm_avgpool(m->dev, in, out, &L->pp, ev);
    default: return chm_add(m->dev, in, m->vals[L->in1].t[s], out, &L->ap, ev);
    }
}

/* ONNX QuantizeLinear: saturate(round_half_even(x / scale) + zero_point). */
static int8_t quantize(float x, float scale, int32_t zp, int u8)
{
    float q = nearbyintf(x / scale) + (float)zp;
    float lo = u8 ? 0.0f : -128.0f, hi = u8 ? 255.0f : 127.0f;
    q = q < lo ? lo : q > hi ? hi : q;
    if (isnan(q))
        q = (float)zp;
    return (int8_t)((int32_t)q - (u8 ? 128 : 0));
}

/* Host side of the input: ONNX element type and layout to int8 NHWC. */
static void stage_input(chm_model *m, int8_t *stage, const void *input, int batch)
{
    const mval *v = &m->vals[m->in_val];
    size_t per = per_image(v);
    int nchw = m->in.ndim == 4;
    for (int n = 0; n < batch; n++)
        for (size_t k = 0; k < per; k++) {
            /* k walks the card's NHWC order; src is where ONNX keeps it */
            size_t src = k;
            if (nchw) {
                size_t c = k % (size_t)v->c, hw = k / (size_t)v->c;
                src = c * (size_t)(v->h * v->w) + hw;
            }
            src += (size_t)n * per;
            int8_t q;
            if (m->in.elem_type == CHM_ONNX_FLOAT)
                q = quantize(((const float *)input)[src], m->in.scale, m->in.zero_point, m->in_u8);
            else if (m->in_u8)
                q = (int8_t)((int32_t)((const uint8_t *)input)[src] - 128);
            else
                q = ((const int8_t *)input)[src];
            stage[(size_t)n * per + k] = q;
        }
}

static void unstage_output(chm_model *m, const int8_t *stage, void *output, int batch)
{
    const mval *v = &m->vals[m->out_val];
    size_t per = per_image(v);
    int chw = m->out.ndim == 4 || m->out_chw;
    for (int n = 0; n < batch; n++)
        for (size_t k = 0; k < per; k++) {
            size_t dst = k;
            if (chw) {
                size_t c = k % (size_t)v->c, hw = k / (size_t)v->c;
                dst = c * (size_t)(v->h * v->w) + hw;
            }
            dst += (size_t)n * per;
            int8_t q = stage[(size_t)n * per + k];
            if (m->out_float)
                /* ONNX DequantizeLinear: (x - zero_point) * scale, in float */
                ((float *)output)[dst] = (float)((int32_t)q - v->zp) * v->scale;
            else if (m->out_u8)
                ((uint8_t *)output)[dst] = (uint8_t)((int32_t)q + 128);
            else
                ((int8_t *)output)[dst] = q;
        }
}

int chm_model_run(chm_model *m, const void *input, int batch, void *output, chm_event **ev)
{
    if (!m || !input || !output)
        return CHM_FAIL(m ? m->dev : NULL, CHM_EINVAL, "m, input and output must not be NULL");
    if (batch < 1 || (m->in.ndim == 1 && batch != 1) ||
        (m->in.dims[0] > 0 && m->in.ndim > 1 && batch != m->in.dims[0]))
        return CHM_FAIL(m->dev, CHM_ESHAPE, "batch %d; the model's input \"%s\" takes %lld", batch,
                        m->in.name, (long long)m->in.dims[0]);
    const int s = m->next_set;
    if (m->pending_ev[s])
        return CHM_FAIL(m->dev, CHM_EBUSY, "%d runs are in flight: take the earlier one's output "
                        "first (chm_model_output)", CHM_MODEL_SETS);
    if (batch != m->act_batch) {
        if (m->pending_ev[!s])
            return CHM_FAIL(m->dev, CHM_EBUSY, "batch %d after a run of %d still in flight: take "
                            "its output first (chm_model_output)", batch, m->act_batch);
        int rc = chm_finish(m->dev);
        if (rc)
            return rc;
        free_acts(m);
        rc = alloc_acts(m, batch);
        if (rc)
            return rc;
    }
    stage_input(m, m->stage_in[s], input, batch);
    const mval *vin = &m->vals[m->in_val], *vout = &m->vals[m->out_val];
    int rc = view(m, m->in_val, s, batch, 1);
    if (!rc)
        rc = chm_tensor_write_async(vin->t[s], 0, m->stage_in[s], (size_t)batch * per_image(vin),
                                    NULL);
    for (int i = 0; i < m->n_layers && !rc; i++)
        rc = run_layer(m, &m->layers[i], s, batch);
    if (!rc)
        rc = view(m, m->out_val, s, batch, 1);
    chm_event *done = NULL;
    if (!rc)
        rc = chm_tensor_read_async(vout->t[s], 0, m->stage_out[s],
                                   (size_t)batch * per_image(vout), &done);
    if (rc) {
        /* what was queued finishes; the caller gets the first error */
        char msg[512];
        snprintf(msg, sizeof msg, "%s", chm_last_error(m->dev));
        chm_finish(m->dev);
        return chm__fail(m->dev, "chm_model_run", rc, "%s", msg);
    }
    m->pending_ev[s] = done, m->pending_out[s] = output, m->pending_batch[s] = batch;
    m->last_set = s;
    m->next_set = (s + 1) % CHM_MODEL_SETS;
    if (ev) {
        *ev = done;
        return CHM_OK;
    }
    return chm_model_output(m, done);
}

int chm_model_output(chm_model *m, chm_event *ev)
{
    int s = 0;
    while (m && ev && s < CHM_MODEL_SETS && ev != m->pending_ev[s])
        s++;
    if (!m || !ev || s == CHM_MODEL_SETS)
        return CHM_FAIL(m ? m->dev : NULL, CHM_EINVAL,
                        "not the event of a run of this model in flight");
    int rc = chm_wait(ev);
    if (!rc)
        unstage_output(m, m->stage_out[s], m->pending_out[s], m->pending_batch[s]);
    m->pending_ev[s] = NULL, m->pending_out[s] = NULL;
    chm_event_release(ev);
    return rc;
}
