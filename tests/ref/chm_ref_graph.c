/*
 * chm_ref_graph.c - reference GNN layers, obviously right and slow.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chm_ref.h"
#include "chm_ref_graph.h"

/* ------------------------------------------------------------- fp32 */

/* agg[width] for vertex v over rows of x (width wide). */
static void aggregate_f32(const ref_graph *g, int64_t v, const float *x, int width, chm_aggr a,
                          float *agg)
{
    const int64_t b = g->row_ptr[v], e = g->row_ptr[v + 1];
    for (int f = 0; f < width; f++) {
        float s = a == CHM_AGGR_MAX ? -INFINITY : 0.0f;
        for (int64_t k = b; k < e; k++) {
            const float xv = x[(int64_t)g->col[k] * width + f];
            if (a == CHM_AGGR_SUM)
                s += g->w[k] * xv;
            else if (a == CHM_AGGR_MEAN)
                s += xv;
            else if (xv > s)
                s = xv;
        }
        if (e == b)
            s = 0.0f;
        else if (a == CHM_AGGR_MEAN)
            s /= (float)(e - b);
        agg[f] = s;
    }
}

static float dot_f32(const float *a, const float *w, int k)
{
    float s = 0.0f;
    for (int i = 0; i < k; i++)
        s += a[i] * w[i];
    return s;
}

/* out[o] = act(vec W^T + bias) */
static void linear_f32(const float *vec, int k, const float *w, const float *bias, int o, int relu,
                       float *out)
{
    for (int c = 0; c < o; c++) {
        float v = dot_f32(vec, w + (int64_t)c * k, k) + (bias ? bias[c] : 0.0f);
        out[c] = relu && v < 0.0f ? 0.0f : v;
    }
}

void ref_gnn_f32(const ref_graph *g, const float *x, const ref_gnn *l, const chm_gnn_params *p,
                 int combine_first, float *out)
{
    const int f = l->f, o = l->o;
    float *agg = malloc(sizeof(float) * (size_t)(2 * f + o + l->h + 1));
    float *hid = agg + 2 * f + o;
    if (combine_first) {
        float *t = malloc(sizeof(float) * (size_t)(g->n * o + 1));
        for (int64_t u = 0; u < g->n; u++)
            linear_f32(x + u * f, f, l->w, NULL, o, 0, t + u * o);
        for (int64_t v = 0; v < g->n; v++) {
            aggregate_f32(g, v, t, o, p->aggr, agg);
            for (int c = 0; c < o; c++) {
                float s = agg[c] + (l->bias ? l->bias[c] : 0.0f);
                out[v * o + c] = p->relu && s < 0.0f ? 0.0f : s;
            }
        }
        free(t);
        free(agg);
        return;
    }
    for (int64_t v = 0; v < g->n; v++) {
        aggregate_f32(g, v, x, f, p->aggr, agg);
        if (p->kind == CHM_GNN_SAGE) {
            memcpy(agg + f, x + v * f, sizeof(float) * (size_t)f);
            linear_f32(agg, 2 * f, l->w, l->bias, o, p->relu, out + v * o);
        } else if (p->kind == CHM_GNN_GIN) {
            linear_f32(agg, f, l->w, l->bias, l->h, 1, hid);
            linear_f32(hid, l->h, l->w2, l->bias2, o, p->relu, out + v * o);
        } else {
            linear_f32(agg, f, l->w, l->bias, o, p->relu, out + v * o);
        }
    }
    free(agg);
}

/* ------------------------------------------------------------- int8 */

/* Real scale -> (multiplier, shift); the runtime's rule is the public one. */
static void qm(double real, int32_t *m, int32_t *s)
{
    chm_quantize_multiplier(real, m, s);
}

static int8_t out8(int64_t acc, int32_t m, int32_t s, int32_t zp, int32_t lo)
{
    if (acc > INT32_MAX)
        acc = INT32_MAX;
    if (acc < INT32_MIN)
        acc = INT32_MIN;
    int64_t v = (int64_t)ref_requant((int32_t)acc, m, s) + zp;
    return (int8_t)(v < lo ? lo : v > 127 ? 127 : v);
}

static int32_t bias_q(float b, float inv)
{
    const float t = b * inv;
    if (t != t)
        return 0;
    if (t <= -2147483520.0f)
        return INT32_MIN;
    if (t > 2147483520.0f)
        return INT32_MAX;
    return (int32_t)lroundf(t);
}

/* Integer aggregate of (x - zp) for vertex v; wq: quantized edge weights. */
static void aggregate_i8(const ref_graph *g, int64_t v, const int8_t *x, int width, int32_t zp,
                         chm_aggr a, const int8_t *wq, int64_t *acc)
{
    const int64_t b = g->row_ptr[v], e = g->row_ptr[v + 1], deg = e - b;
    for (int f = 0; f < width; f++) {
        int64_t s = a == CHM_AGGR_MAX ? INT64_MIN : 0;
        for (int64_t k = b; k < e; k++) {
            const int64_t xv = x[(int64_t)g->col[k] * width + f] - zp;
            if (a == CHM_AGGR_SUM)
                s += wq[k] * xv;
            else if (a == CHM_AGGR_MEAN)
                s += xv;
            else if (xv > s)
                s = xv;
        }
        if (!deg)
            s = 0;
        else if (a == CHM_AGGR_MEAN) /* round half away from zero */
            s = s >= 0 ? (2 * s + deg) / (2 * deg) : -((-2 * s + deg) / (2 * deg));
        acc[f] = s;
    }
}

typedef struct lin8 {
    const int8_t *w;
    int k, o;
    int32_t in_zp, m, s, zp, lo;
    const float *bias;
    float inv;
} lin8;

static void linear_i8(const int8_t *vec, const lin8 *L, int8_t *out)
{
    for (int c = 0; c < L->o; c++) {
        int64_t acc = L->bias ? bias_q(L->bias[c], L->inv) : 0;
        for (int k = 0; k < L->k; k++)
            acc += (int64_t)(vec[k] - L->in_zp) * L->w[(int64_t)c * L->k + k];
        out[c] = out8(acc, L->m, L->s, L->zp, L->lo);
    }
}

void ref_gnn_i8(const ref_graph *g, const int8_t *x, const ref_gnn *l, const chm_gnn_params *p,
                int combine_first, int8_t *out)
{
    const chm_gnn_quant *q = &p->q;
    const int f = l->f, o = l->o, sage = p->kind == CHM_GNN_SAGE;
    float wmax = 0.0f;
    for (int64_t k = 0; k < g->row_ptr[g->n]; k++)
        wmax = fabsf(g->w[k]) > wmax ? fabsf(g->w[k]) : wmax;
    const float wscale = wmax > 0.0f ? wmax / 127.0f : 1.0f;
    int8_t *wq = malloc((size_t)g->row_ptr[g->n] + 1);
    for (int64_t k = 0; k < g->row_ptr[g->n]; k++) {
        long r = lroundf(g->w[k] / wscale);
        wq[k] = (int8_t)(r > 127 ? 127 : r < -127 ? -127 : r);
    }
    const double mid = sage ? q->in_scale : q->mid_scale;
    const int32_t mid_zp = sage ? q->in_zero_point : q->mid_zero_point;
    const double edge = p->aggr == CHM_AGGR_SUM ? wscale : 1.0;
    const int32_t lo = p->relu ? q->out_zero_point : -128;
    const int width = combine_first ? o : f;
    int64_t *acc = malloc(sizeof(int64_t) * (size_t)width);
    int8_t *vec = malloc((size_t)(2 * f + l->h + 1));
    int8_t *hid = vec + 2 * f;
    if (combine_first) {
        int8_t *t = malloc((size_t)(g->n * o + 1));
        lin8 L = { l->w, f, o, q->in_zero_point, 0, 0, mid_zp, -128, NULL, 0 };
        qm(q->in_scale * (double)q->w_scale / mid, &L.m, &L.s);
        for (int64_t u = 0; u < g->n; u++)
            linear_i8(x + u * f, &L, t + u * o);
        int32_t m, s;
        qm(mid * edge / q->out_scale, &m, &s);
        const float inv = (float)(1.0 / (mid * edge));
        for (int64_t v = 0; v < g->n; v++) {
            aggregate_i8(g, v, t, o, mid_zp, p->aggr, wq, acc);
            for (int c = 0; c < o; c++)
                out[v * o + c] = out8(acc[c] + (l->bias ? bias_q(l->bias[c], inv) : 0), m, s,
                                      q->out_zero_point, lo);
        }
        free(t);
    } else {
        int32_t am, as;
        qm(q->in_scale * edge / mid, &am, &as);
        const int gin = p->kind == CHM_GNN_GIN;
        lin8 L1 = { l->w, sage ? 2 * f : f, gin ? l->h : o, mid_zp, 0, 0,
                    gin ? q->hidden_zero_point : q->out_zero_point, gin ? q->hidden_zero_point : lo,
                    l->bias, (float)(1.0 / (mid * q->w_scale)) };
        qm(mid * q->w_scale / (gin ? q->hidden_scale : q->out_scale), &L1.m, &L1.s);
        lin8 L2 = { l->w2, l->h, o, q->hidden_zero_point, 0, 0, q->out_zero_point, lo, l->bias2,
                    (float)(1.0 / ((double)q->hidden_scale * q->w2_scale)) };
        if (gin)
            qm((double)q->hidden_scale * q->w2_scale / q->out_scale, &L2.m, &L2.s);
        for (int64_t v = 0; v < g->n; v++) {
            aggregate_i8(g, v, x, f, q->in_zero_point, p->aggr, wq, acc);
            for (int c = 0; c < f; c++)
                vec[c] = out8(acc[c], am, as, mid_zp, -128);
            if (sage)
                memcpy(vec + f, x + v * f, (size_t)f);
            if (gin) {
                linear_i8(vec, &L1, hid);
                linear_i8(hid, &L2, out + v * o);
            } else {
                linear_i8(vec, &L1, out + v * o);
            }
        }
    }
    free(vec);
    free(acc);
    free(wq);
}
