/*
 * model_build.c - a model's host side: its values and layers as the
 * importer adds them, and their release (no card state here, so the
 * importer can be fuzzed without a device).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

int chm__model_add_val(chm_model *m, int64_t h, int64_t w, int64_t c)
{
    if (m->n_vals == m->cap_vals) {
        int cap = m->cap_vals ? 2 * m->cap_vals : 16;
        mval *v = realloc(m->vals, (size_t)cap * sizeof *v);
        if (!v)
            return -1;
        m->vals = v, m->cap_vals = cap;
    }
    mval *v = &m->vals[m->n_vals];
    memset(v, 0, sizeof *v);
    v->h = h, v->w = w, v->c = c;
    return m->n_vals++;
}

mlayer *chm__model_add_layer(chm_model *m, ml_kind kind, const char *name, const char *op_type)
{
    if (m->n_layers == m->cap_layers) {
        int cap = m->cap_layers ? 2 * m->cap_layers : 16;
        mlayer *l = realloc(m->layers, (size_t)cap * sizeof *l);
        if (!l)
            return NULL;
        m->layers = l, m->cap_layers = cap;
    }
    mlayer *L = &m->layers[m->n_layers++];
    memset(L, 0, sizeof *L);
    L->kind = kind;
    snprintf(L->name, sizeof L->name, "%s", name ? name : "");
    snprintf(L->op_type, sizeof L->op_type, "%s", op_type ? op_type : "");
    return L;
}

void chm__model_free_host(chm_model *m)
{
    for (int i = 0; i < m->n_layers; i++) {
        mlayer *L = &m->layers[i];
        free(L->w);
        free(L->bias);
        free(L->mult);
        free(L->shift);
    }
    free(m->layers);
    free(m->vals);
    free(m);
}
