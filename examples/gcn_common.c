/*
 * gcn_common.c - see gcn_common.h.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gcn_common.h"

const char *gcn_prog = "gcn";

void gcn_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", gcn_prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

static void *read_all(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        gcn_die("cannot open %s", path);
    fseek(fp, 0, SEEK_END);
    *len = (size_t)ftell(fp);
    fseek(fp, 0, SEEK_SET);
    void *p = malloc(*len);
    if (!p || fread(p, 1, *len, fp) != *len)
        gcn_die("cannot read %s", path);
    fclose(fp);
    return p;
}

model load_model(const char *path)
{
    size_t len;
    uint8_t *b = read_all(path, &len);
    model m;
    uint32_t hdr[5];
    if (len < 28 || memcmp(b, "CHMG", 4))
        gcn_die("%s: not a CHMG model", path);
    memcpy(hdr, b + 4, sizeof hdr);
    memcpy(&m.acc, b + 24, 4);
    m.f = (int)hdr[1], m.h = (int)hdr[2], m.c = (int)hdr[3], m.n = (int)hdr[4];
    const size_t floats = (size_t)m.h * m.f + m.h + (size_t)m.c * m.h + m.c;
    if (hdr[0] != 1 || len != 28 + 4 * floats + (size_t)m.n)
        gcn_die("%s: version %u or size %zu is wrong", path, hdr[0], len);
    float *w = (float *)(b + 28); /* b is kept: the model points into it */
    m.w1 = w, m.b1 = w + (size_t)m.h * m.f, m.w2 = m.b1 + m.h, m.b2 = m.w2 + (size_t)m.c * m.h;
    m.pred = b + 28 + 4 * floats;
    return m;
}

int *read_ids(const char *dir, const char *name, int *count)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "r");
    if (!fp)
        gcn_die("cannot open %s", path);
    int cap = 4096, n = 0, *v = malloc(sizeof(int) * (size_t)cap);
    while (n < cap && fscanf(fp, "%d", &v[n]) == 1)
        n++;
    fclose(fp);
    *count = n;
    return v;
}

float *read_features(const char *dir, const char *name, int64_t *n, int64_t *f)
{
    char path[512];
    float *x;
    snprintf(path, sizeof path, "%s/%s.features.mtx", dir, name);
    if (chm_mtx_read_dense(path, &x, n, f))
        gcn_die("%s", chm_last_error(NULL));
    for (int64_t v = 0; v < *n; v++) { /* row-normalised, as in training */
        float s = 0.0f;
        for (int64_t k = 0; k < *f; k++)
            s += x[v * *f + k];
        for (int64_t k = 0; k < *f && s != 0.0f; k++)
            x[v * *f + k] /= s;
    }
    return x;
}

void argmax_rows(const float *logits, int n, int c, int *pred)
{
    for (int v = 0; v < n; v++) {
        int best = 0;
        for (int k = 1; k < c; k++)
            if (logits[(size_t)v * c + k] > logits[(size_t)v * c + best])
                best = k;
        pred[v] = best;
    }
}

float max_abs(const float *p, size_t n)
{
    float m = 0.0f;
    for (size_t i = 0; i < n; i++)
        m = fabsf(p[i]) > m ? fabsf(p[i]) : m;
    return m > 0.0f ? m : 1.0f;
}

float mid_range(const ref_graph *g, const float *x, int f, const float *w, int o, int ca)
{
    float m = 0.0f;
    for (int64_t v = 0; v < g->n; v++) {
        for (int j = 0; j < (ca ? o : f); j++) {
            float s = 0.0f;
            if (ca)
                for (int k = 0; k < f; k++)
                    s += x[v * f + k] * w[(size_t)j * f + k];
            else
                for (int64_t e = g->row_ptr[v]; e < g->row_ptr[v + 1]; e++)
                    s += g->w[e] * x[(int64_t)g->col[e] * f + j];
            m = fabsf(s) > m ? fabsf(s) : m;
        }
    }
    return m > 0.0f ? m : 1.0f;
}

int8_t *quantize(const float *x, size_t n, float scale, int zp)
{
    int8_t *q = malloc(n);
    for (size_t i = 0; i < n; i++) {
        long v = lroundf(x[i] / scale) + zp;
        q[i] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
    }
    return q;
}

