/*
 * kargs.c - a kernel operation as its kernel's argument list (kargs.h).
 *
 * Arguments are named, not counted: each is looked up by name in the
 * generated register map, and every argument of the map must be set, so a
 * field added to a map and not here (or the reverse) fails loudly.
 */
#include <stdio.h>
#include <string.h>

#include "chm_regmaps.h"
#include "kargs.h"

typedef struct builder {
    kargs *k;
    const chm_regmap_arg *map;
    int n;
    uint64_t set;        /* bit i: argument i given */
    const char *bad;     /* first name the map lacks */
} builder;

static void begin(builder *b, kargs *k, const char *kernel)
{
    const chm_regmap *m = chm_regmap_find(kernel); /* every kernel here has one (CMake) */
    memset(k, 0, sizeof *k);
    *b = (builder){ k, m->args, m->n, 0, NULL };
    k->kernel = kernel;
    k->n = m->n;
    for (int i = 0; i < m->n; i++)
        k->a[i].offset = m->args[i].offset;
}

static karg *slot(builder *b, const char *name, unsigned bits)
{
    for (int i = 0; i < b->n; i++) {
        if (strcmp(b->map[i].name, name) == 0 && b->map[i].bits == bits) {
            b->set |= 1ull << i;
            return &b->k->a[i];
        }
    }
    if (!b->bad)
        b->bad = name;
    return NULL;
}

static void scalar(builder *b, const char *name, int32_t v)
{
    karg *a = slot(b, name, 32);
    if (a)
        *a = (karg){ KARG_SCALAR, NULL, 0, (uint32_t)v, a->offset };
}

static void ptr(builder *b, const char *name, const chm_tensor *t)
{
    karg *a = slot(b, name, 64);
    if (a)
        *a = (karg){ t ? KARG_TENSOR : KARG_NULL, t, 0, 0, a->offset };
}

static void aux(builder *b, const char *name, uint64_t off)
{
    karg *a = slot(b, name, 64);
    if (a)
        *a = (karg){ KARG_AUX, NULL, off, 0, a->offset };
}

static int end(builder *b, char *why, size_t n)
{
    if (b->bad) {
        snprintf(why, n, "kernel %s: its register map has no argument \"%s\"", b->k->kernel, b->bad);
        return CHM_EINVAL;
    }
    for (int i = 0; i < b->n; i++) {
        if (!(b->set >> i & 1)) {
            snprintf(why, n, "kernel %s: argument \"%s\" of its register map is not set",
                     b->k->kernel, b->map[i].name);
            return CHM_EINVAL;
        }
    }
    return CHM_OK;
}

/* Multipliers then shifts, one pair per channel (or one for the tensor). */
static uint64_t params(builder *b, int per_tensor, int32_t oc)
{
    const uint64_t np = per_tensor ? 1u : (uint64_t)oc;
    aux(b, "mult", 0);
    aux(b, "shift", 4 * np);
    b->k->aux_bytes = 8 * np;
    return np;
}

/* A layer over an NHWC image (conv2d, fully connected, sparse): its buffers and the
 * scalars cnn_conv_desc and sparse_desc share (D is either; groups is conv's alone). */
#define IMAGE_LAYER(b, op, d, kernel, weights)                                                 \
    do {                                                                                       \
        begin(b, b->k, kernel);                                                                \
        ptr(b, "in", (op)->in[0]);                                                             \
        ptr(b, weights, (op)->in[1]);                                                          \
        ptr(b, "bias", (op)->in[2]);                                                           \
        params(b, (d)->per_tensor, (d)->oc);                                                   \
        ptr(b, "out", (op)->out);                                                              \
        const struct { const char *n; int32_t v; } s_[] = {                                    \
            { "n", (d)->n }, { "ih", (d)->ih }, { "iw", (d)->iw }, { "ic", (d)->ic },          \
            { "oh", (d)->oh }, { "ow", (d)->ow }, { "oc", (d)->oc }, { "kh", (d)->kh },        \
            { "kw", (d)->kw }, { "stride_h", (d)->stride_h }, { "stride_w", (d)->stride_w },   \
            { "pad_t", (d)->pad_t }, { "pad_l", (d)->pad_l }, { "dil_h", (d)->dil_h },         \
            { "dil_w", (d)->dil_w }, { "in_zp", (d)->in_zp }, { "out_zp", (d)->out_zp },       \
            { "act_min", (d)->act_min }, { "act_max", (d)->act_max },                          \
            { "has_bias", (d)->has_bias }, { "per_tensor", (d)->per_tensor },                  \
        };                                                                                     \
        for (size_t i_ = 0; i_ < sizeof s_ / sizeof s_[0]; i_++)                               \
            scalar(b, s_[i_].n, s_[i_].v);                                                     \
    } while (0)

static void conv(builder *b, const chm_kop *op)
{
    IMAGE_LAYER(b, op, &op->u.conv, "cnn_conv2d", "wts");
    scalar(b, "groups", op->u.conv.groups);
}

static void pool(builder *b, const chm_kop *op)
{
    const cnn_pool_desc *d = &op->u.pool;
    begin(b, b->k, "cnn_pool");
    ptr(b, "in", op->in[0]);
    ptr(b, "out", op->out);
    const struct { const char *n; int32_t v; } s[] = {
        { "n", d->n }, { "ih", d->ih }, { "iw", d->iw }, { "c", d->c }, { "oh", d->oh },
        { "ow", d->ow }, { "kh", d->kh }, { "kw", d->kw }, { "stride_h", d->stride_h },
        { "stride_w", d->stride_w }, { "pad_t", d->pad_t }, { "pad_l", d->pad_l },
        { "is_avg", d->is_avg }, { "avg_zp", d->avg_zp },
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        scalar(b, s[i].n, s[i].v);
}

static void add(builder *b, const chm_kop *op)
{
    const cnn_add_desc *d = &op->u.add;
    begin(b, b->k, "cnn_add");
    ptr(b, "a", op->in[0]);
    ptr(b, "b", op->in[1]);
    ptr(b, "out", op->out);
    const struct { const char *n; int32_t v; } s[] = {
        { "count", d->count }, { "a_zp", d->a_zp }, { "b_zp", d->b_zp },
        { "out_zp", d->out_zp }, { "a_mult", d->a_mult }, { "a_shift", d->a_shift },
        { "b_mult", d->b_mult }, { "b_shift", d->b_shift }, { "out_mult", d->out_mult },
        { "out_shift", d->out_shift }, { "left_shift", d->left_shift },
        { "act_min", d->act_min }, { "act_max", d->act_max },
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        scalar(b, s[i].n, s[i].v);
}

static void sparse(builder *b, const chm_kop *op)
{
    IMAGE_LAYER(b, op, &op->u.sparse, "sparse_layer", "wblob");
}

static void graph(builder *b, const chm_kop *op)
{
    const graph_desc *d = &op->u.graph;
    if (d->int8)
        begin(b, b->k, "graph_layer_i8");
    else
        begin(b, b->k, "graph_layer_f32");
    static const char *const ptrs[] = { "gblob", "feat", "w", "bias", "w2", "bias2" };
    for (int i = 0; i < 6; i++)
        ptr(b, ptrs[i], op->in[i]);
    ptr(b, "out", op->out);
    if (d->order == GRAPH_CA) {
        aux(b, "scratch", 0);
        b->k->aux_bytes = (uint64_t)d->n * (uint64_t)d->o * (d->int8 ? 1u : sizeof(float));
    } else {
        ptr(b, "scratch", NULL);
    }
    int32_t inv, inv2;
    memcpy(&inv, &d->bias_inv_scale, sizeof inv);
    memcpy(&inv2, &d->bias2_inv_scale, sizeof inv2);
    const struct { const char *n; int32_t v; } s[] = {
        { "n", d->n }, { "f", d->f }, { "o", d->o }, { "h", d->h }, { "kind", d->kind },
        { "aggr", d->aggr }, { "order", d->order }, { "relu", d->relu },
        { "has_bias", d->has_bias }, { "has_bias2", d->has_bias2 }, { "in_zp", d->in_zp },
        { "mid_zp", d->mid_zp }, { "hid_zp", d->hid_zp }, { "out_zp", d->out_zp },
        { "agg_mult", d->agg_mult }, { "agg_shift", d->agg_shift },
        { "comb_mult", d->comb_mult }, { "comb_shift", d->comb_shift },
        { "fin_mult", d->fin_mult }, { "fin_shift", d->fin_shift },
        { "bias_inv_scale", inv }, { "bias2_inv_scale", inv2 },
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        scalar(b, s[i].n, s[i].v);
}

int kargs_of(const chm_kop *op, kargs *k, char *why, size_t n)
{
    builder b = { .k = k };
    switch (op->kind) {
    case KOP_CONV: conv(&b, op); break;
    case KOP_POOL: pool(&b, op); break;
    case KOP_ADD: add(&b, op); break;
    case KOP_SPARSE: sparse(&b, op); break;
    case KOP_GRAPH: graph(&b, op); break;
    default:
        snprintf(why, n, "operation kind %d has no kernel", (int)op->kind);
        return CHM_EINVAL;
    }
    return end(&b, why, n);
}

void kargs_fill_aux(const chm_kop *op, const kargs *k, uint8_t *aux)
{
    if (op->kind == KOP_CONV || op->kind == KOP_SPARSE) {
        const uint64_t np = k->aux_bytes / 8;
        memcpy(aux, op->mult, 4 * np);
        memcpy(aux + 4 * np, op->shift, 4 * np);
    } else {
        memset(aux, 0, k->aux_bytes);
    }
}
