/*
 * onnx_import.c - a quantized ONNX graph turned into CNN-mode operations.
 *
 * The file is parsed by protobuf-c from the onnx.proto Debian's libonnx-dev
 * ships (compiled at build time). Nodes are visited in the graph's order
 * (ONNX requires it to be topological); every tensor name gets a symbol
 * saying what it is on the card:
 *   S_INIT  an initializer (decoded), S_CDQ  DequantizeLinear of one
 *   (a quantized weight or bias), S_QVAL  an int8 value on the card,
 *   S_FVIEW  DequantizeLinear of a card value, S_PEND  the float result of
 *   a card operation still waiting for its QuantizeLinear (QDQ form), S_FIN
 *   the model's float input before its QuantizeLinear.
 * A QDQ pattern DQ -> op -> [Relu|Clip] -> Q becomes one card operation
 * whose requantization comes from the three scales; QLinear* nodes carry
 * their scales themselves. Anything else is refused, naming the node.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "model.h"
#include "onnx.pb-c.h"

#define T_FLOAT ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT
#define T_UINT8 ONNX__TENSOR_PROTO__DATA_TYPE__UINT8
#define T_INT8 ONNX__TENSOR_PROTO__DATA_TYPE__INT8
#define T_INT32 ONNX__TENSOR_PROTO__DATA_TYPE__INT32
#define T_INT64 ONNX__TENSOR_PROTO__DATA_TYPE__INT64

#define OPSET_MIN 10 /* QLinearConv, QLinearMatMul, QuantizeLinear */
#define OPSET_MAX 18
#define MAX_ELEMS (INT64_C(1) << 31)
#define CONST_OF_SHAPE_MAX (INT64_C(1) << 20) /* elements a ConstantOfShape may make */
#define CONST_MADE_MAX (INT64_C(1) << 24)     /* elements ConstantOfShape and Cast make, in all */

typedef enum { S_NONE = 0, S_INIT, S_CDQ, S_QVAL, S_FVIEW, S_PEND, S_FIN } skind;

/* A decoded tensor: initializers and the constants DequantizeLinear gives. */
typedef struct ctensor {
    int elem;           /* ONNX element type */
    int ndim;
    int64_t dims[8];
    int64_t n;
    int32_t *iv;        /* int8 / uint8 / int32 */
    float *fv;          /* float */
    int64_t *lv;        /* int64 */
    int from_sparse;    /* a sparse_initializer */
} ctensor;

typedef struct sym {
    const char *name;
    skind kind;
    ctensor *ct;         /* S_INIT, S_CDQ */
    float *scales;       /* S_CDQ: one or one per slice of `axis` */
    int n_scales, axis;
    int32_t cdq_zp;      /* S_CDQ zero point (as stored) */
    int val;             /* S_QVAL, S_FVIEW, S_PEND: the card value */
    int layer;           /* S_PEND: the operation producing it */
    int same_scale;      /* S_PEND of a pool: QuantizeLinear must keep the scale */
    int flat;            /* S_QVAL / S_FVIEW seen through Flatten/Reshape */
    int chw;             /* ... of a [C,H,W] tensor: ONNX order is C,H,W, the card's H,W,C */
    int qelem;           /* S_QVAL: its ONNX element type (int8 / uint8), 0 if not known */
} sym;

typedef struct imp {
    chm_model *m;
    const chm_model_opts *opts;
    const Onnx__GraphProto *g;
    sym **syms;          /* each allocated alone: a sym * stays valid as more are added */
    int n_syms, cap_syms;
    ctensor **cts;
    int n_cts, cap_cts;
    int opset;
    int64_t made;        /* elements ConstantOfShape and Cast have made so far */
    const Onnx__NodeProto *node; /* being visited, for messages */
} imp;

static int fail(imp *I, int code, const char *fmt, ...)
{
    char body[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    if (I->node)
        return chm__fail(I->m->dev, "chm_model_load", code, "node \"%s\" (%s): %s",
                         I->node->name && *I->node->name ? I->node->name
                         : I->node->n_output                 ? I->node->output[0]
                                                             : "?",
                         I->node->op_type ? I->node->op_type : "?", body);
    return chm__fail(I->m->dev, "chm_model_load", code, "%s", body);
}

/* ------------------------------------------------------------ symbols */

static sym *find(imp *I, const char *name)
{
    if (!name || !*name)
        return NULL;
    for (int i = I->n_syms - 1; i >= 0; i--)
        if (!strcmp(I->syms[i]->name, name))
            return I->syms[i];
    return NULL;
}

static sym *add_sym(imp *I, const char *name, skind kind)
{
    if (I->n_syms == I->cap_syms) {
        int cap = I->cap_syms ? 2 * I->cap_syms : 64;
        sym **ss = realloc(I->syms, (size_t)cap * sizeof *ss);
        if (!ss)
            return NULL;
        I->syms = ss, I->cap_syms = cap;
    }
    sym *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    I->syms[I->n_syms++] = s;
    s->name = name, s->kind = kind, s->val = s->layer = -1;
    return s;
}

static ctensor *new_ct(imp *I)
{
    if (I->n_cts == I->cap_cts) {
        int cap = I->cap_cts ? 2 * I->cap_cts : 32;
        ctensor **c = realloc(I->cts, (size_t)cap * sizeof *c);
        if (!c)
            return NULL;
        I->cts = c, I->cap_cts = cap;
    }
    ctensor *t = calloc(1, sizeof *t);
    if (t)
        I->cts[I->n_cts++] = t;
    return t;
}

static void free_cts(imp *I)
{
    for (int i = 0; i < I->n_cts; i++) {
        free(I->cts[i]->iv);
        free(I->cts[i]->fv);
        free(I->cts[i]->lv);
        free(I->cts[i]);
    }
    for (int i = 0; i < I->n_syms; i++) {
        free(I->syms[i]->scales);
        free(I->syms[i]);
    }
    free(I->cts);
    free(I->syms);
}

/* ------------------------------------------------------ tensor decoding */

static size_t elem_size(int elem)
{
    switch (elem) {
    case T_UINT8:
    case T_INT8: return 1;
    case T_INT32:
    case T_FLOAT: return 4;
    case T_INT64: return 8;
    default: return 0;
    }
}

static const char *elem_name(int elem)
{
    static const char *names[] = { "undefined", "float", "uint8", "int8", "uint16", "int16",
                                   "int32",     "int64", "string", "bool", "float16", "double",
                                   "uint32",    "uint64" };
    return elem >= 0 && elem < (int)(sizeof names / sizeof names[0]) ? names[elem] : "other";
}

/* Decodes t (dims, raw_data or the typed field) into c. */
static int decode(imp *I, const Onnx__TensorProto *t, ctensor *c)
{
    const char *nm = t->name ? t->name : "?";
    c->elem = t->has_data_type ? t->data_type : 0;
    size_t es = elem_size(c->elem);
    if (!es)
        return fail(I, CHM_ELIMIT, "tensor \"%s\" has element type %s; the card takes int8, uint8, "
                    "int32, float and int64 (shapes) only", nm, elem_name(c->elem));
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return fail(I, CHM_ELIMIT, "tensor \"%s\" keeps its data in an external file; "
                    "save the model with its data inside", nm);
    if (t->n_dims > 8)
        return fail(I, CHM_ELIMIT, "tensor \"%s\" has %zu dims", nm, t->n_dims);
    c->ndim = (int)t->n_dims;
    c->n = 1;
    for (size_t i = 0; i < t->n_dims; i++) {
        if (t->dims[i] < 0 || (t->dims[i] && c->n > MAX_ELEMS / t->dims[i]))
            return fail(I, CHM_EFORMAT, "tensor \"%s\" has dim %zu = %lld", nm, i,
                        (long long)t->dims[i]);
        c->dims[i] = t->dims[i];
        c->n *= t->dims[i];
    }
    size_t n = (size_t)c->n;
    if (t->has_raw_data) {
        if (t->raw_data.len != n * es)
            return fail(I, CHM_EFORMAT, "tensor \"%s\" holds %zu bytes but its dims need %zu", nm,
                        t->raw_data.len, n * es);
    } else {
        size_t have = c->elem == T_FLOAT   ? t->n_float_data
                      : c->elem == T_INT64 ? t->n_int64_data
                                           : t->n_int32_data;
        if (have != n)
            return fail(I, CHM_EFORMAT, "tensor \"%s\" holds %zu values but its dims need %zu", nm,
                        have, n);
    }
    const uint8_t *raw = t->has_raw_data ? t->raw_data.data : NULL;
    if (c->elem == T_FLOAT) {
        c->fv = malloc(n ? n * 4 : 4);
        if (!c->fv)
            return fail(I, CHM_ENOMEM, "no host memory for \"%s\"", nm);
        if (raw)
            memcpy(c->fv, raw, n * 4); /* little-endian, as ONNX stores it */
        else if (n)
            memcpy(c->fv, t->float_data, n * 4);
    } else if (c->elem == T_INT64) {
        c->lv = malloc(n ? n * 8 : 8);
        if (!c->lv)
            return fail(I, CHM_ENOMEM, "no host memory for \"%s\"", nm);
        if (raw)
            memcpy(c->lv, raw, n * 8);
        else if (n)
            memcpy(c->lv, t->int64_data, n * 8);
    } else {
        c->iv = malloc(n ? n * 4 : 4);
        if (!c->iv)
            return fail(I, CHM_ENOMEM, "no host memory for \"%s\"", nm);
        for (size_t i = 0; i < n; i++) {
            int32_t v;
            if (!raw)
                v = t->int32_data[i];
            else if (c->elem == T_INT8)
                v = (int8_t)raw[i];
            else if (c->elem == T_UINT8)
                v = raw[i];
            else
                memcpy(&v, raw + 4 * i, 4);
            if ((c->elem == T_INT8 && (v < -128 || v > 127)) ||
                (c->elem == T_UINT8 && (v < 0 || v > 255)))
                return fail(I, CHM_EFORMAT, "tensor \"%s\" holds %d, outside %s", nm, v,
                            elem_name(c->elem));
            c->iv[i] = v;
        }
    }
    return CHM_OK;
}

/* A sparse_initializer made dense (the weights then run in SPARSE mode). */
static int decode_sparse(imp *I, const Onnx__SparseTensorProto *s, ctensor *c)
{
    const char *nm = s->values && s->values->name ? s->values->name : "?";
    if (!s->values || !s->indices)
        return fail(I, CHM_EFORMAT, "sparse initializer \"%s\" lacks values or indices", nm);
    ctensor v = { 0 }, ix = { 0 };
    int rc = decode(I, s->values, &v);
    if (!rc)
        rc = decode(I, s->indices, &ix);
    if (!rc && (!v.iv || !ix.lv || v.ndim != 1))
        rc = fail(I, CHM_ELIMIT, "sparse initializer \"%s\": int8/uint8/int32 values and int64 "
                  "indices expected", nm);
    int64_t n = 1;
    for (size_t i = 0; !rc && i < s->n_dims && i < 8; i++) {
        if (s->dims[i] < 0 || (s->dims[i] && n > MAX_ELEMS / s->dims[i]))
            rc = fail(I, CHM_EFORMAT, "sparse initializer \"%s\" has a bad dim", nm);
        else
            n *= s->dims[i];
    }
    if (!rc && (s->n_dims > 8 || (ix.ndim == 1 ? ix.n != v.n : ix.ndim != 2 || ix.dims[0] != v.n ||
                                                                ix.dims[1] != (int64_t)s->n_dims)))
        rc = fail(I, CHM_EFORMAT, "sparse initializer \"%s\": indices do not match values", nm);
    if (!rc) {
        c->elem = v.elem, c->ndim = (int)s->n_dims, c->n = n, c->from_sparse = 1;
        for (size_t i = 0; i < s->n_dims; i++)
            c->dims[i] = s->dims[i];
        c->iv = calloc(n ? (size_t)n : 1, sizeof *c->iv);
        if (!c->iv)
            rc = fail(I, CHM_ENOMEM, "no host memory for \"%s\"", nm);
    }
    for (int64_t k = 0; !rc && k < v.n; k++) {
        int64_t at = 0;
        if (ix.ndim == 1) {
            at = ix.lv[k];
        } else {
            for (int d = 0; d < c->ndim; d++) {
                int64_t j = ix.lv[k * c->ndim + d];
                if (j < 0 || j >= c->dims[d]) {
                    at = -1;
                    break;
                }
                at = at * c->dims[d] + j;
            }
        }
        if (at < 0 || at >= n)
            rc = fail(I, CHM_EFORMAT, "sparse initializer \"%s\": index %lld outside the tensor",
                      nm, (long long)at);
        else
            c->iv[at] = v.iv[k];
    }
    free(v.iv), free(v.fv), free(v.lv), free(ix.iv), free(ix.fv), free(ix.lv);
    return rc;
}

/* ------------------------------------------------------------ attributes */

static const Onnx__AttributeProto *attr(const Onnx__NodeProto *n, const char *name)
{
    for (size_t i = 0; i < n->n_attribute; i++)
        if (n->attribute[i]->name && !strcmp(n->attribute[i]->name, name))
            return n->attribute[i];
    return NULL;
}

static int64_t attr_i(const Onnx__NodeProto *n, const char *name, int64_t def)
{
    const Onnx__AttributeProto *a = attr(n, name);
    return a && a->has_i ? a->i : def;
}

static float attr_f(const Onnx__NodeProto *n, const char *name, float def)
{
    const Onnx__AttributeProto *a = attr(n, name);
    return a && a->has_f ? a->f : def;
}

static int attr_ints(const Onnx__NodeProto *n, const char *name, int64_t *out, int max)
{
    const Onnx__AttributeProto *a = attr(n, name);
    if (!a)
        return 0;
    if ((int)a->n_ints > max)
        return -1;
    for (size_t i = 0; i < a->n_ints; i++)
        out[i] = a->ints[i];
    return (int)a->n_ints;
}

static int attr_is(const Onnx__NodeProto *n, const char *name, const char *want)
{
    const Onnx__AttributeProto *a = attr(n, name);
    if (!a || !a->has_s)
        return want == NULL;
    return want && a->s.len == strlen(want) && !memcmp(a->s.data, want, a->s.len);
}

/* --------------------------------------------------------- node inputs */

static const char *in_name(const Onnx__NodeProto *n, size_t i)
{
    return i < n->n_input && n->input[i] && *n->input[i] ? n->input[i] : NULL;
}

static sym *input(imp *I, size_t i, int required)
{
    const char *nm = in_name(I->node, i);
    sym *s = find(I, nm);
    if (!s && required) {
        if (nm)
            fail(I, CHM_EFORMAT, "input %zu \"%s\" is produced by no earlier node, initializer or "
                 "graph input", i, nm);
        else
            fail(I, CHM_EFORMAT, "input %zu is missing", i);
    }
    return s;
}

/* A scalar (or one-element) initializer as a float / an integer. */
static int scalar_f(imp *I, size_t i, float *out)
{
    sym *s = input(I, i, 1);
    if (!s)
        return CHM_EFORMAT;
    if (s->kind != S_INIT || !s->ct->fv || s->ct->n != 1)
        return fail(I, CHM_ELIMIT, "input %zu \"%s\" must be one float initializer (per-tensor "
                    "scale)", i, s->name);
    *out = s->ct->fv[0];
    if (!(*out > 0) || !isfinite(*out))
        return fail(I, CHM_EFORMAT, "scale \"%s\" is %g; a scale must be positive", s->name,
                    (double)*out);
    return CHM_OK;
}

/* A zero point input (absent: 0, of type uint8 for Q/DQ); *elem gets its type. */
static int scalar_zp(imp *I, size_t i, int32_t *out, int *elem)
{
    *out = 0, *elem = T_UINT8;
    if (!in_name(I->node, i))
        return CHM_OK;
    sym *s = input(I, i, 1);
    if (!s)
        return CHM_EFORMAT;
    if (s->kind != S_INIT || !s->ct->iv || s->ct->n != 1 ||
        (s->ct->elem != T_INT8 && s->ct->elem != T_UINT8))
        return fail(I, CHM_ELIMIT, "input %zu \"%s\" must be one int8 or uint8 initializer "
                    "(per-tensor zero point)", i, s->name);
    *out = s->ct->iv[0], *elem = s->ct->elem;
    return CHM_OK;
}

/* The card value behind an input, which must be quantized (S_QVAL). */
static int qval_in(imp *I, size_t i, float scale, int32_t zp, int elem, int *val)
{
    sym *s = input(I, i, 1);
    if (!s)
        return CHM_EFORMAT;
    if (s->kind != S_QVAL)
        return fail(I, CHM_ELIMIT, "input %zu \"%s\" is not a quantized tensor on the card", i,
                    s->name);
    mval *v = &I->m->vals[s->val];
    int32_t zp8 = elem == T_UINT8 ? zp - 128 : zp;
    if (!v->has_q)
        v->scale = scale, v->zp = zp8, v->has_q = 1;
    else if (v->scale != scale || v->zp != zp8)
        return fail(I, CHM_ELIMIT, "input \"%s\" is quantized with scale %g zero point %d "
                    "elsewhere but %g %d here", s->name, (double)v->scale, v->zp, (double)scale,
                    zp8);
    *val = s->val;
    return CHM_OK;
}

static sym *output(imp *I, skind kind)
{
    if (!I->node->n_output || !I->node->output[0] || !*I->node->output[0]) {
        fail(I, CHM_EFORMAT, "no output");
        return NULL;
    }
    if (find(I, I->node->output[0])) {
        fail(I, CHM_EFORMAT, "output \"%s\" is already defined (the graph is not in SSA form)",
             I->node->output[0]);
        return NULL;
    }
    sym *s = add_sym(I, I->node->output[0], kind);
    if (!s)
        fail(I, CHM_ENOMEM, "no host memory");
    return s;
}

/* The node's output: a card value (S_QVAL) or a layer's float result waiting for Q (S_PEND). */
static int emit(imp *I, skind kind, const mlayer *L, int val)
{
    sym *o = output(I, kind);
    if (!o)
        return CHM_EFORMAT;
    o->val = L ? L->out : val;
    o->layer = L ? (int)(L - I->m->layers) : -1;
    return CHM_OK;
}

/* A QLinear operand: value at input i, its scale at i + 1, zero point at i + 2. */
static int q_operand(imp *I, size_t i, float *scale, int *val)
{
    int32_t zp;
    int elem;
    int rc = scalar_f(I, i + 1, scale);
    if (!rc)
        rc = scalar_zp(I, i + 2, &zp, &elem);
    if (!rc)
        rc = qval_in(I, i, *scale, zp, elem, val);
    return rc;
}

/* A QLinear result's scale (input i) and zero point (i + 1), the latter as int8. */
static int q_result(imp *I, size_t i, float *scale, int32_t *zp8)
{
    int elem;
    int rc = scalar_f(I, i, scale);
    if (!rc)
        rc = scalar_zp(I, i + 1, zp8, &elem);
    if (!rc && elem == T_UINT8)
        *zp8 -= 128;
    return rc;
}

/* --------------------------------------------------------- quantization */

/*
 * Per-channel output stages for real[c] = in_scale * w_scale[c] / out_scale:
 * by default ONNX Runtime's float32 rule (the ratio evaluated in float, as
 * its kernels do, held as the float's significand and power of two); with
 * opts.fixed_point_requant TFLite's Q31 multiplier of the ratio in double.
 */
static int set_requant(imp *I, mlayer *L, float in_scale, const float *w_scales, int n_scales,
                       float out_scale)
{
    const int fixed = I->opts && I->opts->fixed_point_requant;
    for (int c = 0; c < L->cout; c++) {
        const float ws = w_scales[n_scales == 1 ? 0 : c];
        if (!fixed) {
            volatile float sc = in_scale * ws; /* each step rounded to float, as in ORT */
            sc = sc / out_scale;
            if (chm_quantize_scale_f32(sc, &L->mult[c], &L->shift[c]) ||
                (L->mult[c] && L->shift[c] < -126))
                return fail(I, CHM_ELIMIT, "output channel %d's scale ratio %g is beyond the "
                            "card's float32 requantization (2^-126 .. 2^31)", c, (double)sc);
            continue;
        }
        double real = (double)in_scale * ws / out_scale;
        if (chm_quantize_multiplier(real, &L->mult[c], &L->shift[c]) ||
            L->shift[c] < -31 || L->shift[c] > 30)
            return fail(I, CHM_ELIMIT, "output channel %d's scale ratio %g is beyond the card's "
                        "requantization (2^-31 .. 2^30)", c, real);
    }
    return CHM_OK;
}

/* Weights (int8 symmetric, or uint8 that is int8 once its zero point is off). */
typedef struct wq {
    const ctensor *ct;
    const float *scales;
    int n_scales, axis;
    int32_t zp;
    const char *name;
} wq;

static int weight_of(imp *I, sym *s, wq *w)
{
    memset(w, 0, sizeof *w);
    if (!s || s->kind != S_CDQ || !s->ct->iv || s->ct->elem == T_INT32)
        return fail(I, CHM_ELIMIT, "weights \"%s\" are not a DequantizeLinear of an int8 "
                    "initializer; float weights would run in float", s ? s->name : "?");
    w->ct = s->ct, w->scales = s->scales, w->n_scales = s->n_scales, w->axis = s->axis;
    w->zp = s->cdq_zp, w->name = s->name;
    return CHM_OK;
}

/* The int8 value of weight k (its zero point off), or an error if it does not fit. */
static int weight_check(imp *I, const wq *w)
{
    if (w->ct->elem == T_INT8 && w->zp != 0)
        return fail(I, CHM_ELIMIT, "weights \"%s\" have zero point %d; the card's weights are "
                    "symmetric (zero point 0)", w->name, w->zp);
    for (int64_t k = 0; k < w->ct->n; k++) {
        int32_t v = w->ct->iv[k] - w->zp;
        if (v < -128 || v > 127)
            return fail(I, CHM_ELIMIT, "weights \"%s\" are %s with zero point %d: weight %lld is "
                        "%d once the zero point is off, beyond int8", w->name,
                        elem_name(w->ct->elem), w->zp, (long long)k, v);
    }
    return CHM_OK;
}

static int check_scales(imp *I, const wq *w, int64_t cout, int axis)
{
    if (w->n_scales != 1 && (w->n_scales != cout || w->axis != axis))
        return fail(I, CHM_ELIMIT, "weights \"%s\" have %d scales along axis %d; the card takes "
                    "one per tensor or one per output channel (%lld along axis %d)", w->name,
                    w->n_scales, w->axis, (long long)cout, axis);
    return CHM_OK;
}

/* Bias as int32 in accumulator units (in_scale * w_scale[c]). */
static int bias_of(imp *I, size_t i, mlayer *L, float in_scale, const wq *w)
{
    if (!in_name(I->node, i))
        return CHM_OK; /* zeros (calloc) */
    sym *s = input(I, i, 1);
    if (!s)
        return CHM_EFORMAT;
    const ctensor *ct = s->ct;
    if ((s->kind != S_INIT && s->kind != S_CDQ) || !ct || ct->n != L->cout)
        return fail(I, CHM_ELIMIT, "bias \"%s\" must be an initializer of %d values", s->name,
                    L->cout);
    for (int c = 0; c < L->cout; c++) {
        double acc_scale = (double)in_scale * w->scales[w->n_scales == 1 ? 0 : c];
        if (s->kind == S_INIT && ct->elem == T_INT32) {
            L->bias[c] = ct->iv[c]; /* QLinearConv: already in accumulator units */
        } else if (s->kind == S_INIT && ct->fv) {
            double q = nearbyint((double)ct->fv[c] / acc_scale);
            if (fabs(q) > INT32_MAX)
                return fail(I, CHM_ELIMIT, "bias \"%s\"[%d] overflows int32", s->name, c);
            L->bias[c] = (int32_t)q;
        } else if (s->kind == S_CDQ && ct->elem == T_INT32) {
            double bs = s->scales[s->n_scales == 1 ? 0 : c];
            if (s->cdq_zp != 0 || fabs(bs - acc_scale) > 1e-4 * acc_scale)
                return fail(I, CHM_ELIMIT, "bias \"%s\" channel %d has scale %g zero point %d; "
                            "the card adds bias at input_scale x weight_scale = %g, zero point 0",
                            s->name, c, bs, s->cdq_zp, acc_scale);
            L->bias[c] = ct->iv[c];
        } else {
            return fail(I, CHM_ELIMIT, "bias \"%s\" must be int32 (or float)", s->name);
        }
    }
    return CHM_OK;
}

/* ------------------------------------------------------------- layers */

static mlayer *new_layer(imp *I, ml_kind kind, int in0, int cout)
{
    mlayer *L = chm__model_add_layer(I->m, kind, I->node->name && *I->node->name
                                                     ? I->node->name
                                                     : I->node->output[0],
                                     I->node->op_type);
    if (!L) {
        fail(I, CHM_ENOMEM, "no host memory");
        return NULL;
    }
    L->in0 = in0, L->in1 = -1, L->out = -1, L->cout = cout;
    if (kind == ML_CONV || kind == ML_FC) {
        L->bias = calloc((size_t)cout, sizeof *L->bias);
        L->mult = calloc((size_t)cout, sizeof *L->mult);
        L->shift = calloc((size_t)cout, sizeof *L->shift);
        if (!L->bias || !L->mult || !L->shift) {
            fail(I, CHM_ENOMEM, "no host memory");
            return NULL;
        }
    }
    return L;
}

/* The float input of a QDQ operation: the card value a DequantizeLinear reads. */
static int fview_in(imp *I, size_t i, int *val, sym **out)
{
    sym *s = input(I, i, 1);
    if (!s)
        return CHM_EFORMAT;
    if (s->kind == S_PEND)
        return fail(I, CHM_ELIMIT, "input \"%s\" is a float result with no QuantizeLinear "
                    "before this node; the card keeps activations int8", s->name);
    if (s->kind != S_FVIEW)
        return fail(I, CHM_ELIMIT, "input \"%s\" is not DequantizeLinear of a quantized tensor "
                    "(a float op would run in float)", s->name);
    *val = s->val;
    if (out)
        *out = s;
    return CHM_OK;
}

static int out_dim(imp *I, int64_t in, int64_t k, int64_t stride, int64_t dil, int64_t *pb,
                   int64_t *pe, int same, int64_t *out)
{
    int64_t span = dil * (k - 1) + 1;
    if (same) {
        int64_t o = (in + stride - 1) / stride;
        int64_t total = (o - 1) * stride + span - in;
        total = total > 0 ? total : 0;
        *pb = same == 1 ? total / 2 : total - total / 2; /* SAME_UPPER: extra at the end */
        *pe = total - *pb;
    }
    int64_t full = in + *pb + *pe - span;
    if (full < 0 || stride < 1)
        return fail(I, CHM_ESHAPE, "window %lld (dilated) is larger than the padded input %lld",
                    (long long)span, (long long)(in + *pb + *pe));
    *out = full / stride + 1;
    return CHM_OK;
}

/* kernel, strides, pads, dilations, auto_pad of Conv / MaxPool / AveragePool. */
typedef struct win {
    int64_t k[2], s[2], p[4], d[2], oh, ow;
} win;

static int window(imp *I, const mval *v, int64_t kh, int64_t kw, win *w)
{
    memset(w, 0, sizeof *w);
    w->k[0] = kh, w->k[1] = kw, w->s[0] = w->s[1] = 1, w->d[0] = w->d[1] = 1;
    int64_t ks[2];
    int nk = attr_ints(I->node, "kernel_shape", ks, 2);
    if (nk == 2)
        w->k[0] = ks[0], w->k[1] = ks[1];
    else if (nk != 0 || kh <= 0)
        return fail(I, CHM_ELIMIT, "kernel_shape must have 2 values (2-D only)");
    if (w->k[0] != kh && kh > 0)
        return fail(I, CHM_ESHAPE, "kernel_shape disagrees with the weights");
    int n = attr_ints(I->node, "strides", w->s, 2);
    if (n != 0 && n != 2)
        return fail(I, CHM_ELIMIT, "strides must have 2 values");
    n = attr_ints(I->node, "dilations", w->d, 2);
    if (n != 0 && n != 2)
        return fail(I, CHM_ELIMIT, "dilations must have 2 values");
    n = attr_ints(I->node, "pads", w->p, 4);
    if (n != 0 && n != 4)
        return fail(I, CHM_ELIMIT, "pads must have 4 values");
    for (int i = 0; i < 4; i++)
        if (w->p[i] < 0 || (i < 2 && (w->s[i] < 1 || w->d[i] < 1 || w->k[i] < 1)))
            return fail(I, CHM_EFORMAT, "negative pad, or stride/dilation/kernel below 1");
    int same = 0;
    if (attr_is(I->node, "auto_pad", "SAME_UPPER"))
        same = 1;
    else if (attr_is(I->node, "auto_pad", "SAME_LOWER"))
        same = 2;
    else if (attr_is(I->node, "auto_pad", "VALID"))
        memset(w->p, 0, sizeof w->p);
    else if (!attr_is(I->node, "auto_pad", NULL) && !attr_is(I->node, "auto_pad", "NOTSET"))
        return fail(I, CHM_ELIMIT, "unknown auto_pad");
    /* ONNX pads: top, left, bottom, right */
    int rc = out_dim(I, v->h, w->k[0], w->s[0], w->d[0], &w->p[0], &w->p[2], same, &w->oh);
    if (!rc)
        rc = out_dim(I, v->w, w->k[1], w->s[1], w->d[1], &w->p[1], &w->p[3], same, &w->ow);
    return rc;
}

static int conv_like(imp *I, int val, float in_scale, const wq *w, size_t bias_i, mlayer **out)
{
    const mval *v = &I->m->vals[val];
    const ctensor *ct = w->ct;
    if (ct->ndim != 4)
        return fail(I, CHM_ELIMIT, "weights \"%s\" have %d dims; 2-D convolution takes 4",
                    w->name, ct->ndim);
    if (v->flat)
        return fail(I, CHM_ESHAPE, "convolution input is flattened");
    int64_t M = ct->dims[0], CG = ct->dims[1], KH = ct->dims[2], KW = ct->dims[3];
    int64_t group = attr_i(I->node, "group", 1);
    if (group < 1 || v->c % group || M % group || CG * group != v->c)
        return fail(I, CHM_ESHAPE, "weights [%lld, %lld, %lld, %lld] with group %lld do not fit "
                    "%lld input channels", (long long)M, (long long)CG, (long long)KH,
                    (long long)KW, (long long)group, (long long)v->c);
    int rc = check_scales(I, w, M, 0);
    if (!rc)
        rc = weight_check(I, w);
    win g;
    if (!rc)
        rc = window(I, v, KH, KW, &g);
    if (rc)
        return rc;
    mlayer *L = new_layer(I, ML_CONV, val, (int)M);
    if (!L)
        return CHM_ENOMEM;
    L->kh = (int)KH, L->kw = (int)KW, L->cin = (int)CG;
    L->w = malloc((size_t)ct->n);
    if (!L->w)
        return fail(I, CHM_ENOMEM, "no host memory");
    /* ONNX OIHW -> the card's OHWI */
    for (int64_t o = 0; o < M; o++)
        for (int64_t ci = 0; ci < CG; ci++)
            for (int64_t y = 0; y < KH; y++)
                for (int64_t x = 0; x < KW; x++)
                    L->w[((o * KH + y) * KW + x) * CG + ci] =
                        (int8_t)(ct->iv[((o * CG + ci) * KH + y) * KW + x] - w->zp);
    L->cp.stride_h = (int)g.s[0], L->cp.stride_w = (int)g.s[1];
    L->cp.dilation_h = (int)g.d[0], L->cp.dilation_w = (int)g.d[1];
    L->cp.pad_top = (int)g.p[0], L->cp.pad_left = (int)g.p[1];
    L->cp.pad_bottom = (int)g.p[2], L->cp.pad_right = (int)g.p[3];
    L->cp.groups = (int)group;
    L->sparse = ct->from_sparse;
    L->macs = (uint64_t)g.oh * g.ow * M * CG * KH * KW;
    L->wbytes = (uint64_t)ct->n;
    rc = bias_of(I, bias_i, L, in_scale, w);
    if (rc)
        return rc;
    L->out = chm__model_add_val(I->m, g.oh, g.ow, M);
    if (L->out < 0)
        return fail(I, CHM_ENOMEM, "no host memory");
    *out = L;
    return CHM_OK;
}

/* transposed: weights are [K, M] (MatMul, Gemm transB=0), else [M, K]. */
static int fc_like(imp *I, int val, sym *in_sym, float in_scale, const wq *w, int transposed,
                   size_t bias_i, mlayer **out)
{
    const mval *v = &I->m->vals[val];
    const ctensor *ct = w->ct;
    int64_t K = v->h * v->w * v->c;
    if (!(in_sym && in_sym->flat) && (v->h != 1 || v->w != 1))
        return fail(I, CHM_ESHAPE, "input is [%lld, %lld, %lld] per image; flatten it first",
                    (long long)v->c, (long long)v->h, (long long)v->w);
    if (ct->ndim != 2 || ct->dims[transposed ? 0 : 1] != K)
        return fail(I, CHM_ESHAPE, "weights \"%s\" are not a [%s] matrix with K = %lld",
                    w->name, transposed ? "K, M" : "M, K", (long long)K);
    int64_t M = ct->dims[transposed ? 1 : 0];
    int rc = check_scales(I, w, M, transposed ? 1 : 0);
    if (!rc)
        rc = weight_check(I, w);
    if (rc)
        return rc;
    mlayer *L = new_layer(I, ML_FC, val, (int)M);
    if (!L)
        return CHM_ENOMEM;
    L->kh = L->kw = 1, L->cin = (int)K;
    L->w = malloc((size_t)ct->n);
    if (!L->w)
        return fail(I, CHM_ENOMEM, "no host memory");
    int chw = in_sym && in_sym->chw;
    for (int64_t m = 0; m < M; m++)
        for (int64_t k = 0; k < K; k++) {
            /* the card's flat order is h, w, c; a flattened NCHW tensor's is c, h, w */
            int64_t ko = k;
            if (chw) {
                int64_t c = k % v->c, hw = k / v->c;
                ko = c * (v->h * v->w) + hw;
            }
            int32_t q = transposed ? ct->iv[ko * M + m] : ct->iv[m * K + ko];
            L->w[m * K + k] = (int8_t)(q - w->zp);
        }
    L->sparse = ct->from_sparse;
    L->macs = (uint64_t)M * K;
    L->wbytes = (uint64_t)ct->n;
    rc = bias_of(I, bias_i, L, in_scale, w);
    if (rc)
        return rc;
    L->out = chm__model_add_val(I->m, 1, 1, M);
    if (L->out < 0)
        return fail(I, CHM_ENOMEM, "no host memory");
    I->m->vals[L->out].flat = 1;
    *out = L;
    return CHM_OK;
}

static int pool_like(imp *I, int val, ml_kind kind, int global, mlayer **out)
{
    const mval *v = &I->m->vals[val];
    if (v->flat)
        return fail(I, CHM_ESHAPE, "pooling input is flattened");
    win g;
    int rc;
    if (global) {
        memset(&g, 0, sizeof g);
        g.k[0] = v->h, g.k[1] = v->w, g.s[0] = g.s[1] = 1, g.oh = g.ow = 1;
        rc = CHM_OK;
    } else {
        if (attr_i(I->node, "ceil_mode", 0))
            return fail(I, CHM_ELIMIT, "ceil_mode 1; the card's pools round the output size down");
        if (kind == ML_AVGPOOL && attr_i(I->node, "count_include_pad", 0))
            return fail(I, CHM_ELIMIT, "count_include_pad 1; the card's average leaves padding out");
        rc = window(I, v, 0, 0, &g);
        if (!rc && (g.d[0] != 1 || g.d[1] != 1))
            return fail(I, CHM_ELIMIT, "dilated pooling");
        if (!rc && (g.p[0] >= g.k[0] || g.p[2] >= g.k[0] || g.p[1] >= g.k[1] || g.p[3] >= g.k[1]))
            return fail(I, CHM_ELIMIT, "a pad as large as the window");
    }
    if (rc)
        return rc;
    mlayer *L = new_layer(I, kind, val, (int)v->c);
    if (!L)
        return CHM_ENOMEM;
    L->pp.kernel_h = (int)g.k[0], L->pp.kernel_w = (int)g.k[1];
    L->pp.stride_h = (int)g.s[0], L->pp.stride_w = (int)g.s[1];
    L->pp.pad_top = (int)g.p[0], L->pp.pad_left = (int)g.p[1];
    L->pp.pad_bottom = (int)g.p[2], L->pp.pad_right = (int)g.p[3];
    /* ONNX's average is QuantizeLinear(mean(DequantizeLinear(x))) at one scale: the mean of
     * x - zp rounded half to even, plus zp (the input's quantization is known: it came
     * through a DequantizeLinear) */
    if (kind == ML_AVGPOOL)
        L->pp.round_even = CHM_POOL_ROUND_EVEN, L->pp.zero_point = v->zp;
    L->out = chm__model_add_val(I->m, g.oh, g.ow, v->c);
    if (L->out < 0)
        return fail(I, CHM_ENOMEM, "no host memory");
    *out = L;
    return CHM_OK;
}

static int add_like(imp *I, int a, int b, mlayer **out)
{
    const mval *va = &I->m->vals[a], *vb = &I->m->vals[b];
    if (va->h != vb->h || va->w != vb->w || va->c != vb->c)
        return fail(I, CHM_ESHAPE, "adds [%lld, %lld, %lld] to [%lld, %lld, %lld]; the card adds "
                    "equal shapes only (no broadcast)", (long long)va->c, (long long)va->h,
                    (long long)va->w, (long long)vb->c, (long long)vb->h, (long long)vb->w);
    mlayer *L = new_layer(I, ML_ADD, a, (int)va->c);
    if (!L)
        return CHM_ENOMEM;
    L->in1 = b;
    const int flat = va->flat; /* adding a value may move m->vals */
    L->out = chm__model_add_val(I->m, va->h, va->w, va->c);
    if (L->out < 0)
        return fail(I, CHM_ENOMEM, "no host memory");
    I->m->vals[L->out].flat = flat;
    *out = L;
    return CHM_OK;
}

/* Output quantization of a layer: requantization and the value's scale. */
static int finish(imp *I, mlayer *L, float in_scale, const float *w_scales, int n_scales,
                  float out_scale, int32_t out_zp8)
{
    mval *o = &I->m->vals[L->out];
    o->scale = out_scale, o->zp = out_zp8, o->has_q = 1;
    if (L->kind == ML_CONV || L->kind == ML_FC) {
        L->cp.rq.in_zero_point = I->m->vals[L->in0].zp;
        L->cp.rq.out_zero_point = out_zp8;
        return set_requant(I, L, in_scale, w_scales, n_scales, out_scale);
    }
    if (L->kind == ML_ADD) {
        const mval *a = &I->m->vals[L->in0], *b = &I->m->vals[L->in1];
        L->ap.a_zero_point = a->zp, L->ap.b_zero_point = b->zp, L->ap.out_zero_point = out_zp8;
        if (chm_add_params_from_scales(a->scale, b->scale, out_scale, &L->ap))
            return fail(I, CHM_ELIMIT, "input scales %g, %g and output scale %g are beyond the "
                        "card's add", (double)a->scale, (double)b->scale, (double)out_scale);
        return CHM_OK;
    }
    const mval *in = &I->m->vals[L->in0];
    if (in->scale != out_scale || in->zp != out_zp8)
        return fail(I, CHM_ELIMIT, "the pool's output scale %g zero point %d differ from its "
                    "input's %g %d; the card's pools keep the quantization", (double)out_scale,
                    out_zp8, (double)in->scale, in->zp);
    return CHM_OK;
}

/* Relu / Clip fused into the layer before (they clamp in the output's units). */
static int set_act(imp *I, mlayer *L, chm_activation act, float hi)
{
    if (L->kind != ML_CONV && L->kind != ML_FC && L->kind != ML_ADD)
        return fail(I, CHM_ELIMIT, "follows a %s; the card fuses Relu/Clip into a conv, fully "
                    "connected or add only", L->op_type);
    if (L->cp.rq.act != CHM_ACT_NONE || L->ap.act != CHM_ACT_NONE)
        return fail(I, CHM_ELIMIT, "a second activation after %s", L->name);
    L->cp.rq.act = act, L->ap.act = act;
    L->act_hi = hi;
    return CHM_OK;
}

/*
 * The activation's quantized upper bound, known once the output scale is.
 * Past 255 steps it clamps nothing (an int8 value is at most 255 above the
 * zero point), so it is held at 255; below 0 (or NaN) the model is refused.
 */
static int act_bound(imp *I, mlayer *L, float out_scale)
{
    if (L->cp.rq.act != CHM_ACT_RELU6)
        return CHM_OK;
    const float q = nearbyintf(L->act_hi / out_scale);
    if (!(q >= 0.0f))
        return fail(I, CHM_ELIMIT, "Clip's upper bound %g is below its lower bound 0 in the "
                    "output's units", (double)L->act_hi);
    L->cp.rq.relu6_q = L->ap.relu6_q = q > 255.0f ? 255 : (int32_t)q;
    return CHM_OK;
}

/* ---------------------------------------------------------------- nodes */

static int is_op(const Onnx__NodeProto *n, const char *op)
{
    return n->op_type && !strcmp(n->op_type, op);
}

static int node_quantize(imp *I)
{
    float s;
    int32_t zp;
    int elem;
    int rc = scalar_f(I, 1, &s);
    if (!rc)
        rc = scalar_zp(I, 2, &zp, &elem);
    sym *x = rc ? NULL : input(I, 0, 1);
    if (!x)
        return rc ? rc : CHM_EFORMAT;
    int32_t zp8 = elem == T_UINT8 ? zp - 128 : zp;
    int val;
    if (x->kind == S_FIN) {
        mval *v = &I->m->vals[x->val];
        v->scale = s, v->zp = zp8, v->has_q = 1;
        I->m->in.scale = s, I->m->in.zero_point = zp;
        I->m->in_float = 1;
        val = x->val;
        if (elem != T_INT8 && elem != T_UINT8)
            return fail(I, CHM_ELIMIT, "quantizes to %s", elem_name(elem));
        I->m->in.elem_type = CHM_ONNX_FLOAT;
        I->m->in_u8 = elem == T_UINT8;
    } else if (x->kind == S_PEND) {
        mlayer *L = &I->m->layers[x->layer];
        const mval *in = &I->m->vals[L->in0];
        rc = act_bound(I, L, s);
        if (!rc)
            rc = finish(I, L, in->scale, L->wsc, L->n_wsc, s, zp8);
        if (rc)
            return rc;
        val = L->out;
    } else if (x->kind == S_FVIEW) {
        mval *v = &I->m->vals[x->val];
        if (v->scale != s || v->zp != zp8)
            return fail(I, CHM_ELIMIT, "requantizes \"%s\" from scale %g to %g with no operation "
                        "between; the card has no standalone requantize", x->name,
                        (double)v->scale, (double)s);
        val = x->val;
    } else {
        return fail(I, CHM_ELIMIT, "quantizes \"%s\", which is not a float activation", x->name);
    }
    sym *o = output(I, S_QVAL);
    if (!o)
        return CHM_EFORMAT;
    o->val = val, o->flat = x->flat, o->chw = x->chw, o->qelem = elem;
    return CHM_OK;
}

static int node_dequantize(imp *I)
{
    sym *x = input(I, 0, 1);
    if (!x)
        return CHM_EFORMAT;
    if (x->kind == S_INIT && x->ct->iv) {
        /* a constant: weights (per channel along axis) or a bias */
        sym *sc = input(I, 1, 1);
        if (!sc)
            return CHM_EFORMAT;
        if (sc->kind != S_INIT || !sc->ct->fv || sc->ct->n < 1)
            return fail(I, CHM_ELIMIT, "scale \"%s\" is not a float initializer", sc->name);
        int32_t zp = 0;
        if (in_name(I->node, 2)) {
            sym *z = input(I, 2, 1);
            if (!z)
                return CHM_EFORMAT;
            /* one zero point for per-channel scales is past the letter of the spec
             * (same shape), but PyTorch's exporter writes bias zero points so and
             * ONNX Runtime takes them: one value for every channel */
            if (z->kind != S_INIT || !z->ct->iv || (z->ct->n != sc->ct->n && z->ct->n != 1))
                return fail(I, CHM_ELIMIT, "zero point \"%s\" is not an initializer matching the "
                            "scale", z->name);
            for (int64_t k = 1; k < z->ct->n; k++)
                if (z->ct->iv[k] != z->ct->iv[0])
                    return fail(I, CHM_ELIMIT, "zero points of \"%s\" differ between channels; "
                                "the card's weights are symmetric", x->name);
            zp = z->ct->iv[0];
        }
        int64_t axis = attr_i(I->node, "axis", 1);
        if (axis < 0)
            axis += x->ct->ndim;
        if (sc->ct->n > 1 && (axis < 0 || axis >= x->ct->ndim || x->ct->dims[axis] != sc->ct->n))
            return fail(I, CHM_ESHAPE, "%lld scales do not match axis %lld of \"%s\"",
                        (long long)sc->ct->n, (long long)axis, x->name);
        sym *o = output(I, S_CDQ);
        if (!o)
            return CHM_EFORMAT;
        o->ct = x->ct, o->cdq_zp = zp, o->axis = (int)axis, o->n_scales = (int)sc->ct->n;
        o->scales = malloc((size_t)o->n_scales * sizeof *o->scales);
        if (!o->scales)
            return fail(I, CHM_ENOMEM, "no host memory");
        memcpy(o->scales, sc->ct->fv, (size_t)o->n_scales * sizeof *o->scales);
        for (int k = 0; k < o->n_scales; k++)
            if (!(o->scales[k] > 0) || !isfinite(o->scales[k]))
                return fail(I, CHM_EFORMAT, "scale %d of \"%s\" is %g", k, x->name,
                            (double)o->scales[k]);
        return CHM_OK;
    }
    float s;
    int32_t zp;
    int elem;
    int rc = scalar_f(I, 1, &s);
    if (!rc)
        rc = scalar_zp(I, 2, &zp, &elem);
    int val;
    if (!rc)
        rc = qval_in(I, 0, s, zp, elem, &val);
    if (rc)
        return rc;
    sym *o = output(I, S_FVIEW);
    if (!o)
        return CHM_EFORMAT;
    o->val = val, o->flat = x->flat, o->chw = x->chw;
    return CHM_OK;
}

/* Conv / Gemm / MatMul in QDQ form: a pending layer until its QuantizeLinear. */
static int node_qdq_linear(imp *I)
{
    int val = -1;
    sym *xs = NULL;
    int rc = fview_in(I, 0, &val, &xs);
    if (rc)
        return rc;
    wq w;
    rc = weight_of(I, input(I, 1, 1), &w);
    if (rc)
        return rc;
    float in_scale = I->m->vals[val].scale;
    mlayer *L = NULL;
    if (is_op(I->node, "Conv")) {
        rc = conv_like(I, val, in_scale, &w, 2, &L);
    } else if (is_op(I->node, "MatMul")) {
        rc = fc_like(I, val, xs, in_scale, &w, 1, 99, &L);
    } else {
        if (attr_i(I->node, "transA", 0) || attr_f(I->node, "alpha", 1.0f) != 1.0f ||
            attr_f(I->node, "beta", 1.0f) != 1.0f)
            return fail(I, CHM_ELIMIT, "transA, alpha or beta other than 0, 1, 1");
        rc = fc_like(I, val, xs, in_scale, &w, !attr_i(I->node, "transB", 0), 2, &L);
    }
    if (rc)
        return rc;
    L->wsc = w.scales, L->n_wsc = w.n_scales;
    return emit(I, S_PEND, L, -1);
}

static int node_qlinear(imp *I)
{
    /* QLinearConv: x xs xzp w ws wzp ys yzp [B]; QLinearMatMul: a as azp b bs bzp ys yzp */
    float xs, ys;
    int32_t yzp8;
    int val = -1;
    int rc = q_operand(I, 0, &xs, &val);
    if (!rc)
        rc = q_result(I, 6, &ys, &yzp8);
    if (rc)
        return rc;
    sym *ws = input(I, 4, 1), *wz = input(I, 5, 1), *wt = input(I, 3, 1);
    if (!ws || !wz || !wt)
        return CHM_EFORMAT;
    if (wt->kind != S_INIT || !wt->ct->iv || ws->kind != S_INIT || !ws->ct->fv ||
        wz->kind != S_INIT || !wz->ct->iv || wz->ct->n != ws->ct->n)
        return fail(I, CHM_ELIMIT, "weights, their scale and zero point must be initializers");
    for (int64_t k = 1; k < wz->ct->n; k++)
        if (wz->ct->iv[k] != wz->ct->iv[0])
            return fail(I, CHM_ELIMIT, "weight zero points differ between channels");
    int conv = is_op(I->node, "QLinearConv");
    int transposed = !conv;
    wq w = { .ct = wt->ct, .scales = ws->ct->fv, .n_scales = (int)ws->ct->n,
             .axis = conv ? 0 : 1, .zp = wz->ct->iv[0], .name = wt->name };
    mlayer *L = NULL;
    rc = conv ? conv_like(I, val, xs, &w, 8, &L)
              : fc_like(I, val, find(I, in_name(I->node, 0)), xs, &w, transposed, 99, &L);
    if (!rc)
        rc = finish(I, L, xs, w.scales, w.n_scales, ys, yzp8);
    return rc ? rc : emit(I, S_QVAL, L, -1);
}

static int node_qlinear_add(imp *I)
{
    /* QLinearAdd: a as azp b bs bzp cs czp */
    float as = 0, bs = 0, cs = 0;
    int32_t czp8;
    int a = -1, b = -1;
    int rc = q_operand(I, 0, &as, &a);
    if (!rc)
        rc = q_operand(I, 3, &bs, &b);
    if (!rc)
        rc = q_result(I, 6, &cs, &czp8);
    mlayer *L = NULL;
    if (!rc)
        rc = add_like(I, a, b, &L);
    if (!rc)
        rc = finish(I, L, 0, NULL, 0, cs, czp8);
    return rc ? rc : emit(I, S_QVAL, L, -1);
}

/* Pools and Add in QDQ form (float in), or pools straight on int8 (QOperator). */
static int node_pool_add(imp *I)
{
    int global = is_op(I->node, "GlobalAveragePool");
    ml_kind kind = is_op(I->node, "MaxPool") ? ML_MAXPOOL
                   : is_op(I->node, "Add")   ? ML_ADD
                                             : ML_AVGPOOL;
    sym *x = input(I, 0, 1);
    if (!x)
        return CHM_EFORMAT;
    if (I->node->n_output > 1 && I->node->output[1] && *I->node->output[1])
        return fail(I, CHM_ELIMIT, "MaxPool's Indices output");
    mlayer *L = NULL;
    int rc;
    if (kind == ML_ADD) {
        int a = -1, b = -1;
        rc = fview_in(I, 0, &a, NULL);
        if (!rc)
            rc = fview_in(I, 1, &b, NULL);
        if (!rc)
            rc = add_like(I, a, b, &L);
    } else if (x->kind == S_QVAL) {
        rc = pool_like(I, x->val, kind, global, &L);
        if (!rc) {
            const mval *in = &I->m->vals[x->val];
            rc = finish(I, L, 0, NULL, 0, in->scale, in->zp);
        }
        return rc ? rc : emit(I, S_QVAL, L, -1);
    } else {
        int v = -1;
        rc = fview_in(I, 0, &v, NULL);
        if (!rc)
            rc = pool_like(I, v, kind, global, &L);
    }
    return rc ? rc : emit(I, S_PEND, L, -1);
}

static int node_act(imp *I)
{
    sym *x = input(I, 0, 1);
    if (!x)
        return CHM_EFORMAT;
    if (x->kind != S_PEND)
        return fail(I, CHM_ELIMIT, "\"%s\" is not the float result of a Conv, Gemm, MatMul or "
                    "Add; the card applies Relu/Clip only fused into one", x->name);
    mlayer *L = &I->m->layers[x->layer];
    int rc;
    if (is_op(I->node, "Relu")) {
        rc = set_act(I, L, CHM_ACT_RELU, 0);
    } else {
        float lo = -INFINITY, hi = INFINITY;
        if (I->opset < 11) {
            lo = attr_f(I->node, "min", lo), hi = attr_f(I->node, "max", hi);
        } else {
            for (size_t i = 1; i <= 2; i++) {
                if (!in_name(I->node, i))
                    continue;
                sym *s = input(I, i, 1);
                if (!s || s->kind != S_INIT || !s->ct->fv || s->ct->n != 1)
                    return fail(I, CHM_ELIMIT, "Clip bounds must be float initializers");
                *(i == 1 ? &lo : &hi) = s->ct->fv[0];
            }
        }
        if (lo != 0.0f || !(hi == 6.0f || isinf(hi)))
            return fail(I, CHM_ELIMIT, "Clip(%g, %g); the card fuses Clip(0, 6) (ReLU6) and "
                        "Clip(0, inf) (ReLU) only", (double)lo, (double)hi);
        rc = set_act(I, L, isinf(hi) ? CHM_ACT_RELU : CHM_ACT_RELU6, 6.0f);
    }
    if (rc)
        return rc;
    sym *o = output(I, S_PEND);
    if (!o)
        return CHM_EFORMAT;
    o->layer = x->layer, o->val = x->val;
    return CHM_OK;
}

/* Flatten, Reshape to [N, K], Identity, Dropout, a no-op Transpose. */
static int node_view(imp *I)
{
    sym *x = input(I, 0, 1);
    if (!x)
        return CHM_EFORMAT;
    int flatten = 0;
    if (is_op(I->node, "Flatten")) {
        if (attr_i(I->node, "axis", 1) != 1)
            return fail(I, CHM_ELIMIT, "Flatten axis %lld; the card keeps the batch axis (1)",
                        (long long)attr_i(I->node, "axis", 1));
        flatten = 1;
    } else if (is_op(I->node, "Reshape")) {
        sym *sh = input(I, 1, 1);
        if (!sh)
            return CHM_EFORMAT;
        if (sh->kind != S_INIT || !sh->ct->lv)
            return fail(I, CHM_ELIMIT, "the shape is not an int64 initializer");
        if (x->kind != S_QVAL && x->kind != S_FVIEW)
            return fail(I, CHM_ELIMIT, "reshapes \"%s\", which is not an activation", x->name);
        const mval *v = &I->m->vals[x->val];
        int64_t K = v->h * v->w * v->c;
        const int64_t *d = sh->ct->lv;
        if (sh->ct->n != 2 || !(d[0] == -1 || d[0] == 0 || d[0] == 1) ||
            !(d[1] == -1 || d[1] == K))
            return fail(I, CHM_ELIMIT, "reshapes to a shape other than [N, %lld] (a flatten)",
                        (long long)K);
        flatten = 1;
    } else if (is_op(I->node, "Transpose")) {
        int64_t perm[8];
        int n = attr_ints(I->node, "perm", perm, 8);
        for (int i = 0; i < n; i++)
            if (perm[i] != i)
                return fail(I, CHM_ELIMIT, "a Transpose that moves data (only the identity "
                            "permutation is a layout no-op here)");
    } else if (is_op(I->node, "Dropout") && I->node->n_output > 1 && I->node->output[1] &&
               *I->node->output[1]) {
        return fail(I, CHM_ELIMIT, "Dropout's mask output");
    }
    if (x->kind != S_QVAL && x->kind != S_FVIEW && x->kind != S_PEND)
        return fail(I, CHM_ELIMIT, "\"%s\" is not an activation", x->name);
    if (flatten && x->kind == S_PEND)
        return fail(I, CHM_ELIMIT, "flattens a float result before its QuantizeLinear");
    sym *o = output(I, x->kind);
    if (!o)
        return CHM_EFORMAT;
    int val = x->val, layer = x->layer, chw = x->chw, fl = x->flat;
    o->val = val, o->layer = layer, o->flat = fl, o->chw = chw, o->qelem = x->qelem;
    if (flatten) {
        const mval *v = &I->m->vals[val];
        o->flat = 1;
        o->chw = chw || (!fl && v->c > 1 && v->h * v->w > 1);
    }
    return CHM_OK;
}

/* ------------------------------------------------ constants in the graph
 *
 * Exporters do not all write weights, scales and zero points as
 * initializers: PyTorch's writes each as a Constant node, makes a bias's
 * zero point with ConstantOfShape and Cast, and puts a Cast to the same type
 * after every QuantizeLinear. These fold here into the constants
 * (initializers) they stand for; nothing of them reaches the card. */

static sym *const_out(imp *I, ctensor **c)
{
    *c = new_ct(I);
    if (!*c) {
        fail(I, CHM_ENOMEM, "no host memory");
        return NULL;
    }
    sym *o = output(I, S_INIT);
    if (o)
        o->ct = *c;
    return o;
}

/* c holds n values of elem (one array allocated, dims as given). */
static int ct_alloc(imp *I, ctensor *c, int elem, int ndim, const int64_t *dims)
{
    c->elem = elem, c->ndim = ndim, c->n = 1;
    for (int i = 0; i < ndim; i++) {
        if (dims[i] < 0 || (dims[i] && c->n > MAX_ELEMS / dims[i]))
            return fail(I, CHM_EFORMAT, "dim %d is %lld", i, (long long)dims[i]);
        c->dims[i] = dims[i], c->n *= dims[i];
    }
    size_t n = c->n ? (size_t)c->n : 1;
    if (elem == T_FLOAT)
        c->fv = malloc(n * sizeof *c->fv);
    else if (elem == T_INT64)
        c->lv = malloc(n * sizeof *c->lv);
    else
        c->iv = malloc(n * sizeof *c->iv);
    return c->fv || c->lv || c->iv ? CHM_OK : fail(I, CHM_ENOMEM, "no host memory");
}

/* Constants made by folding are not bounded by the file's size (a chain of Casts copies
 * the same tensor again and again): their elements are counted and capped. */
static int made_ok(imp *I, int64_t n)
{
    if (n > CONST_MADE_MAX - I->made)
        return fail(I, CHM_ELIMIT, "folding the graph's ConstantOfShape and Cast nodes would make "
                    "more than %lld elements", (long long)CONST_MADE_MAX);
    I->made += n;
    return CHM_OK;
}

static int node_constant(imp *I)
{
    const Onnx__NodeProto *n = I->node;
    const Onnx__AttributeProto *a = NULL;
    for (size_t i = 0; i < n->n_attribute; i++) {
        if (a)
            return fail(I, CHM_EFORMAT, "a Constant takes exactly one attribute");
        a = n->attribute[i];
    }
    if (!a || !a->name)
        return fail(I, CHM_EFORMAT, "a Constant with no value");
    ctensor *c;
    sym *o = const_out(I, &c);
    if (!o)
        return CHM_EFORMAT;
    if (!strcmp(a->name, "value")) {
        if (!a->t)
            return fail(I, CHM_EFORMAT, "its value attribute holds no tensor");
        return decode(I, a->t, c);
    }
    int64_t one = 1;
    int rc;
    if (!strcmp(a->name, "value_float") && a->has_f) {
        if (!(rc = ct_alloc(I, c, T_FLOAT, 0, &one)))
            c->fv[0] = a->f;
    } else if (!strcmp(a->name, "value_floats")) {
        int64_t d = (int64_t)a->n_floats;
        if (!(rc = ct_alloc(I, c, T_FLOAT, 1, &d)) && d)
            memcpy(c->fv, a->floats, a->n_floats * sizeof *c->fv);
    } else if (!strcmp(a->name, "value_int") && a->has_i) {
        if (!(rc = ct_alloc(I, c, T_INT64, 0, &one)))
            c->lv[0] = a->i;
    } else if (!strcmp(a->name, "value_ints")) {
        int64_t d = (int64_t)a->n_ints;
        if (!(rc = ct_alloc(I, c, T_INT64, 1, &d)) && d)
            memcpy(c->lv, a->ints, a->n_ints * sizeof *c->lv);
    } else {
        rc = fail(I, CHM_ELIMIT, "a Constant's %s attribute (the card takes value, value_float(s) "
                  "and value_int(s))", a->name);
    }
    return rc;
}

/* Element k of a constant as a double (every type decode() keeps is exact in one). */
static double ct_get(const ctensor *c, int64_t k)
{
    return c->fv ? (double)c->fv[k] : c->lv ? (double)c->lv[k] : (double)c->iv[k];
}

/* Stores v as element k; 0 if elem cannot hold it exactly. */
static int ct_put(ctensor *c, int64_t k, double v)
{
    switch (c->elem) {
    case T_FLOAT: c->fv[k] = (float)v; return 1;
    case T_INT64:
        if (v != v || v < -9.2e18 || v > 9.2e18 || v != (double)(int64_t)v)
            return 0;
        c->lv[k] = (int64_t)v;
        return 1;
    default: {
        double lo = c->elem == T_INT8 ? -128 : c->elem == T_UINT8 ? 0 : -2147483648.0;
        double hi = c->elem == T_INT8 ? 127 : c->elem == T_UINT8 ? 255 : 2147483647.0;
        if (!(v >= lo && v <= hi) || v != (double)(int64_t)v)
            return 0;
        c->iv[k] = (int32_t)v;
        return 1;
    }
    }
}

static int node_constant_of_shape(imp *I)
{
    sym *sh = input(I, 0, 1);
    if (!sh)
        return CHM_EFORMAT;
    if (sh->kind != S_INIT || !sh->ct->lv || sh->ct->ndim != 1 || sh->ct->n > 8)
        return fail(I, CHM_ELIMIT, "the shape \"%s\" is not a constant int64 vector of at most 8 "
                    "dims", sh->name);
    /* unlike a constant read from the file, this one is made from a few bytes: bounded so a
     * file cannot ask for gigabytes (exporters make zero points and shapes with it) */
    int64_t total = 1;
    for (int64_t k = 0; k < sh->ct->n; k++) {
        const int64_t d = sh->ct->lv[k];
        if (d < 0 || (d && total > CONST_OF_SHAPE_MAX / d))
            return fail(I, CHM_ELIMIT, "ConstantOfShape of shape dim %lld = %lld: the card folds "
                        "at most %lld elements", (long long)k, (long long)d,
                        (long long)CONST_OF_SHAPE_MAX);
        total *= d;
    }
    int rc0 = made_ok(I, total);
    if (rc0)
        return rc0;
    const Onnx__AttributeProto *a = attr(I->node, "value");
    ctensor v = { 0 };
    int rc = CHM_OK;
    if (a && a->t)
        rc = decode(I, a->t, &v);
    if (!rc && a && (!a->t || v.n != 1))
        rc = fail(I, CHM_EFORMAT, "its value is not a one-element tensor");
    ctensor *c;
    sym *o = rc ? NULL : const_out(I, &c);
    if (!rc && !o)
        rc = CHM_EFORMAT;
    if (!rc)
        rc = ct_alloc(I, c, a ? v.elem : T_FLOAT, (int)sh->ct->n, sh->ct->lv);
    for (int64_t k = 0; !rc && k < c->n; k++)
        ct_put(c, k, a ? ct_get(&v, 0) : 0.0);
    free(v.iv), free(v.fv), free(v.lv);
    return rc;
}

static int node_cast(imp *I)
{
    sym *x = input(I, 0, 1);
    if (!x)
        return CHM_EFORMAT;
    const Onnx__AttributeProto *ta = attr(I->node, "to");
    if (!ta || !ta->has_i)
        return fail(I, CHM_EFORMAT, "a Cast with no \"to\"");
    int to = (int)ta->i;
    if (x->kind == S_QVAL) {
        /* the card's int8 value under another name, if the type does not change */
        if (!x->qelem || to != x->qelem)
            return fail(I, CHM_ELIMIT, "casts the quantized tensor \"%s\" from %s to %s; the card "
                        "casts nothing (a Cast to its own type is a no-op)", x->name,
                        elem_name(x->qelem), elem_name(to));
        sym *o = output(I, S_QVAL);
        if (!o)
            return CHM_EFORMAT;
        o->val = x->val, o->flat = x->flat, o->chw = x->chw, o->qelem = x->qelem;
        return CHM_OK;
    }
    if (x->kind != S_INIT)
        return fail(I, CHM_ELIMIT, "casts \"%s\", which is neither a constant nor a quantized "
                    "tensor", x->name);
    if (!elem_size(to))
        return fail(I, CHM_ELIMIT, "casts to %s; the card takes int8, uint8, int32, float and "
                    "int64 constants", elem_name(to));
    int rc0 = made_ok(I, x->ct->n);
    if (rc0)
        return rc0;
    ctensor *c;
    sym *o = const_out(I, &c);
    if (!o)
        return CHM_EFORMAT;
    int rc = ct_alloc(I, c, to, x->ct->ndim, x->ct->dims);
    for (int64_t k = 0; !rc && k < c->n; k++)
        if (!ct_put(c, k, ct_get(x->ct, k)))
            rc = fail(I, CHM_ELIMIT, "casts %g (element %lld of \"%s\") to %s, which cannot "
                      "hold it", ct_get(x->ct, k), (long long)k, x->name, elem_name(to));
    return rc;
}

static int visit(imp *I, const Onnx__NodeProto *n)
{
    I->node = n;
    if (!n->op_type)
        return fail(I, CHM_EFORMAT, "no op_type");
    int ms = n->domain && !strcmp(n->domain, "com.microsoft");
    if (n->domain && *n->domain && strcmp(n->domain, "ai.onnx") && !ms)
        return fail(I, CHM_ELIMIT, "operator domain \"%s\" is not supported", n->domain);
    if (ms && !is_op(n, "QLinearAdd"))
        return fail(I, CHM_ELIMIT, "com.microsoft operator not supported");
    if (is_op(n, "Constant"))
        return node_constant(I);
    if (is_op(n, "ConstantOfShape"))
        return node_constant_of_shape(I);
    if (is_op(n, "Cast"))
        return node_cast(I);
    if (is_op(n, "QuantizeLinear"))
        return node_quantize(I);
    if (is_op(n, "DequantizeLinear"))
        return node_dequantize(I);
    if (is_op(n, "Conv") || is_op(n, "Gemm") || is_op(n, "MatMul"))
        return node_qdq_linear(I);
    if (is_op(n, "QLinearConv") || is_op(n, "QLinearMatMul"))
        return node_qlinear(I);
    if (is_op(n, "QLinearAdd"))
        return node_qlinear_add(I);
    if (is_op(n, "MaxPool") || is_op(n, "AveragePool") || is_op(n, "GlobalAveragePool") ||
        is_op(n, "Add"))
        return node_pool_add(I);
    if (is_op(n, "Relu") || is_op(n, "Clip"))
        return node_act(I);
    if (is_op(n, "Flatten") || is_op(n, "Reshape") || is_op(n, "Identity") ||
        is_op(n, "Dropout") || is_op(n, "Transpose"))
        return node_view(I);
    if (is_op(n, "ConvInteger") || is_op(n, "MatMulInteger"))
        return fail(I, CHM_ELIMIT, "its output is the int32 accumulator; the card's operations "
                    "end in requantization to int8 (use QLinearConv / QLinearMatMul or QDQ)");
    return fail(I, CHM_ELIMIT, "operator not supported on the card (supported: Conv, Gemm, "
                "MatMul, MaxPool, AveragePool, GlobalAveragePool, Add, Relu, Clip, Flatten, "
                "Reshape, QLinearConv, QLinearMatMul, QLinearAdd, QuantizeLinear, "
                "DequantizeLinear; Constant, ConstantOfShape and Cast of constants fold)");
}

/* ---------------------------------------------------------- graph I/O */

static int io_shape(imp *I, const Onnx__ValueInfoProto *vi, chm_model_io *io)
{
    const char *nm = vi->name ? vi->name : "?";
    snprintf(io->name, sizeof io->name, "%s", nm);
    if (!vi->type || vi->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
        !vi->type->tensor_type || !vi->type->tensor_type->shape)
        return fail(I, CHM_ELIMIT, "graph input/output \"%s\" is not a tensor of known rank", nm);
    const Onnx__TypeProto__Tensor *tt = vi->type->tensor_type;
    io->elem_type = tt->elem_type;
    if (io->elem_type != CHM_ONNX_FLOAT && io->elem_type != CHM_ONNX_UINT8 &&
        io->elem_type != CHM_ONNX_INT8)
        return fail(I, CHM_ELIMIT, "graph input/output \"%s\" is %s; float, uint8 or int8 "
                    "expected", nm, elem_name(io->elem_type));
    const Onnx__TensorShapeProto *sh = tt->shape;
    if (sh->n_dim < 1 || sh->n_dim > 4 || sh->n_dim == 3)
        return fail(I, CHM_ELIMIT, "graph input/output \"%s\" has rank %zu; 1, 2 ([N, K]) or 4 "
                    "(NCHW) expected", nm, sh->n_dim);
    io->ndim = (int)sh->n_dim;
    for (size_t i = 0; i < sh->n_dim; i++) {
        const Onnx__TensorShapeProto__Dimension *d = sh->dim[i];
        int known = d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        io->dims[i] = known ? d->dim_value : -1;
        if ((i > 0 || sh->n_dim == 1) && (!known || d->dim_value < 1))
            return fail(I, CHM_ELIMIT, "graph input/output \"%s\": dim %zu is not a known size",
                        nm, i);
        if (known && d->dim_value < 0)
            return fail(I, CHM_EFORMAT, "graph input/output \"%s\": dim %zu is negative", nm, i);
    }
    return CHM_OK;
}

static int is_initializer(const Onnx__GraphProto *g, const char *name)
{
    for (size_t i = 0; i < g->n_initializer; i++)
        if (g->initializer[i]->name && !strcmp(g->initializer[i]->name, name))
            return 1;
    return 0;
}

static int graph_input(imp *I)
{
    const Onnx__GraphProto *g = I->g;
    const Onnx__ValueInfoProto *in = NULL;
    for (size_t i = 0; i < g->n_input; i++) {
        if (g->input[i]->name && is_initializer(g, g->input[i]->name))
            continue;
        if (in)
            return fail(I, CHM_ELIMIT, "the graph has more than one input (\"%s\", \"%s\")",
                        in->name, g->input[i]->name);
        in = g->input[i];
    }
    if (!in || !in->name)
        return fail(I, CHM_EFORMAT, "the graph has no input");
    chm_model_io *io = &I->m->in;
    int rc = io_shape(I, in, io);
    if (rc)
        return rc;
    int64_t h = 1, w = 1, c = io->ndim == 1 ? io->dims[0] : io->dims[1];
    if (io->ndim == 4)
        h = io->dims[2], w = io->dims[3];
    if (h * w * c > MAX_ELEMS)
        return fail(I, CHM_ELIMIT, "input \"%s\" is too large", in->name);
    int v = chm__model_add_val(I->m, h, w, c);
    if (v < 0)
        return fail(I, CHM_ENOMEM, "no host memory");
    I->m->in_val = v;
    I->m->vals[v].flat = io->ndim != 4;
    sym *s = add_sym(I, in->name, io->elem_type == CHM_ONNX_FLOAT ? S_FIN : S_QVAL);
    if (!s)
        return fail(I, CHM_ENOMEM, "no host memory");
    s->val = v, s->flat = io->ndim != 4;
    s->qelem = io->elem_type == CHM_ONNX_FLOAT ? 0 : io->elem_type;
    I->m->in_u8 = io->elem_type == CHM_ONNX_UINT8;
    return CHM_OK;
}

static int graph_output(imp *I)
{
    const Onnx__GraphProto *g = I->g;
    I->node = NULL;
    if (g->n_output != 1 || !g->output[0]->name)
        return fail(I, CHM_ELIMIT, "the graph has %zu outputs; one expected", g->n_output);
    chm_model_io *io = &I->m->out;
    int rc = io_shape(I, g->output[0], io);
    if (rc)
        return rc;
    sym *s = find(I, g->output[0]->name);
    if (!s)
        return fail(I, CHM_EFORMAT, "output \"%s\" is produced by no node", g->output[0]->name);
    if (s->kind == S_PEND)
        return fail(I, CHM_ELIMIT, "output \"%s\" is a float result with no QuantizeLinear "
                    "(it would need float on the card)", s->name);
    if (s->kind != S_QVAL && s->kind != S_FVIEW)
        return fail(I, CHM_ELIMIT, "output \"%s\" is not an activation", s->name);
    int float_out = s->kind == S_FVIEW;
    if ((io->elem_type == CHM_ONNX_FLOAT) != float_out)
        return fail(I, CHM_EFORMAT, "output \"%s\" is declared %s but computed %s", s->name,
                    elem_name(io->elem_type), float_out ? "float" : "quantized");
    const mval *v = &I->m->vals[s->val];
    if (!v->has_q)
        return fail(I, CHM_ELIMIT, "output \"%s\" has no known quantization", s->name);
    int64_t per = 1;
    for (int i = io->ndim == 1 ? 0 : 1; i < io->ndim; i++)
        per *= io->dims[i];
    if (per != v->h * v->w * v->c || (io->ndim == 4 && (io->dims[1] != v->c ||
                                                        io->dims[2] != v->h || io->dims[3] != v->w)))
        return fail(I, CHM_ESHAPE, "output \"%s\" is declared with %lld values an image but the "
                    "graph computes [%lld, %lld, %lld]", s->name, (long long)per, (long long)v->c,
                    (long long)v->h, (long long)v->w);
    if (io->ndim == 1 && I->m->in.ndim != 1)
        return fail(I, CHM_ELIMIT, "output \"%s\" has no batch axis but the input has", s->name);
    I->m->out_val = s->val;
    I->m->out_float = float_out;
    I->m->out_chw = s->chw;
    I->m->out.scale = v->scale;
    I->m->out_u8 = float_out ? 0 : io->elem_type == CHM_ONNX_UINT8;
    I->m->out.zero_point = v->zp + (io->elem_type == CHM_ONNX_UINT8 ? 128 : 0);
    if (float_out)
        I->m->out.zero_point = v->zp; /* dequantized on the host from the int8 value */
    if (!I->m->in_float && I->m->in.elem_type != CHM_ONNX_FLOAT) {
        const mval *iv = &I->m->vals[I->m->in_val];
        if (!iv->has_q)
            return fail(I, CHM_ELIMIT, "input \"%s\" is never given a quantization", I->m->in.name);
        I->m->in.scale = iv->scale;
        I->m->in.zero_point = iv->zp + (I->m->in_u8 ? 128 : 0);
    } else if (!I->m->in_float) {
        return fail(I, CHM_ELIMIT, "the float input \"%s\" does not go straight into a "
                    "QuantizeLinear", I->m->in.name);
    }
    return CHM_OK;
}

/* ------------------------------------------------------------------ load */

static int read_file(chm_device *dev, const char *path, uint8_t **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return chm__fail(dev, "chm_model_load", CHM_EIO, "cannot open %s", path);
    uint8_t *b = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? 2 * cap : 1 << 16;
            uint8_t *nb = realloc(b, cap);
            if (!nb) {
                free(b);
                fclose(f);
                return chm__fail(dev, "chm_model_load", CHM_ENOMEM, "no host memory for %s", path);
            }
            b = nb;
        }
        size_t got = fread(b + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(b);
        return chm__fail(dev, "chm_model_load", CHM_EIO, "cannot read %s", path);
    }
    *buf = b, *len = n;
    return CHM_OK;
}

static int import_graph(imp *I, const Onnx__ModelProto *mp)
{
    I->opset = -1;
    for (size_t i = 0; i < mp->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = mp->opset_import[i];
        if ((!o->domain || !*o->domain || !strcmp(o->domain, "ai.onnx")) && o->has_version)
            I->opset = (int)o->version;
    }
    if (I->opset < OPSET_MIN || I->opset > OPSET_MAX)
        return fail(I, CHM_ELIMIT, "the model imports ONNX opset %d; Chimera reads opsets %d..%d "
                    "(quantized operators arrived in %d)", I->opset, OPSET_MIN, OPSET_MAX,
                    OPSET_MIN);
    const Onnx__GraphProto *g = mp->graph;
    if (!g)
        return fail(I, CHM_EFORMAT, "the model has no graph");
    I->g = g;
    for (size_t i = 0; i < g->n_initializer; i++) {
        const Onnx__TensorProto *t = g->initializer[i];
        ctensor *c = new_ct(I);
        sym *s = c && t->name ? add_sym(I, t->name, S_INIT) : NULL;
        if (!c || !t->name || !s)
            return fail(I, t->name ? CHM_ENOMEM : CHM_EFORMAT, "initializer %zu: %s", i,
                        t->name ? "no host memory" : "no name");
        s->ct = c;
        int rc = decode(I, t, c);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < g->n_sparse_initializer; i++) {
        const Onnx__SparseTensorProto *t = g->sparse_initializer[i];
        const char *nm = t->values ? t->values->name : NULL;
        ctensor *c = new_ct(I);
        sym *s = c && nm ? add_sym(I, nm, S_INIT) : NULL;
        if (!c || !nm || !s)
            return fail(I, nm ? CHM_ENOMEM : CHM_EFORMAT, "sparse initializer %zu: %s", i,
                        nm ? "no host memory" : "no name");
        s->ct = c;
        int rc = decode_sparse(I, t, c);
        if (rc)
            return rc;
    }
    int rc = graph_input(I);
    for (size_t i = 0; !rc && i < g->n_node; i++)
        rc = visit(I, g->node[i]);
    if (!rc)
        rc = graph_output(I);
    I->node = NULL;
    /* every layer's output must have been quantized */
    for (int i = 0; !rc && i < I->m->n_layers; i++)
        if (!I->m->vals[I->m->layers[i].out].has_q)
            rc = fail(I, CHM_ELIMIT, "node \"%s\" (%s): its float result never reaches a "
                      "QuantizeLinear", I->m->layers[i].name, I->m->layers[i].op_type);
    /* dense weights below the density the user set run in SPARSE mode */
    for (int i = 0; !rc && I->opts && I->opts->sparse_below > 0 && i < I->m->n_layers; i++) {
        mlayer *L = &I->m->layers[i];
        if ((L->kind != ML_CONV && L->kind != ML_FC) || L->sparse)
            continue;
        uint64_t nz = 0, n = (uint64_t)L->cout * L->kh * L->kw * L->cin;
        for (uint64_t k = 0; k < n; k++)
            nz += L->w[k] != 0;
        L->sparse = (double)nz < I->opts->sparse_below * (double)n;
    }
    for (int i = 0; !rc && i < I->m->n_layers; i++) {
        mlayer *L = &I->m->layers[i];
        if (L->sparse && L->kind == ML_CONV && L->cp.groups > 1)
            rc = fail(I, CHM_ELIMIT, "node \"%s\" (%s): sparse weights with groups %d; the SPARSE "
                      "mode's convolution takes groups 1", L->name, L->op_type, L->cp.groups);
    }
    return rc;
}

int chm__onnx_import(chm_model *m, const char *path, const chm_model_opts *opts)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = read_file(m->dev, path, &buf, &len);
    if (rc)
        return rc;
    Onnx__ModelProto *mp = onnx__model_proto__unpack(NULL, len, buf);
    free(buf);
    if (!mp)
        return chm__fail(m->dev, "chm_model_load", CHM_EFORMAT,
                         "%s is not an ONNX model (the protobuf does not parse: truncated or not "
                         "ONNX)", path);
    imp I = { .m = m, .opts = opts };
    rc = import_graph(&I, mp);
    free_cts(&I);
    onnx__model_proto__free_unpacked(mp, NULL);
    return rc;
}
