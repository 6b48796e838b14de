/*
 * model.h - a quantized model as the card runs it: int8 NHWC values and
 * the CNN-mode operations between them (filled by onnx_import.c, run by
 * model.c).
 */
#ifndef CHM_MODEL_H
#define CHM_MODEL_H

#include <stdint.h>

#include "chimera.h"

/*
 * Activation sets: a run uses one, the next run the other, so a run's
 * copies and kernels can overlap the previous run's on the card (as the
 * demo's two batches in flight do). Weights are shared.
 */
#define CHM_MODEL_SETS 2

/* An int8 activation tensor on the card, per image. */
typedef struct mval {
    int64_t h, w, c;
    int flat;        /* consumed as [N, h*w*c] (after Flatten / Reshape) */
    float scale;
    int32_t zp;      /* int8 zero point (a uint8 one minus 128) */
    int has_q;       /* scale / zp known yet */
    chm_tensor *t[CHM_MODEL_SETS]; /* on the card, act_batch images each */
} mval;

typedef enum { ML_CONV, ML_FC, ML_MAXPOOL, ML_AVGPOOL, ML_ADD } ml_kind;

typedef struct mlayer {
    ml_kind kind;
    char name[64], op_type[32];
    int in0, in1, out;         /* value indices (in1: ML_ADD only) */
    int kh, kw, cin, cout;     /* conv / fc (fc: kh = kw = 1, cin = K) */
    chm_conv2d_params cp;      /* conv; cp.rq also for fc (its arrays set at run) */
    chm_pool_params pp;
    chm_add_params ap;
    int8_t *w;                 /* conv OHWI, fc [cout][cin] */
    int32_t *bias, *mult, *shift;
    const float *wsc;          /* weight scales while importing (QDQ: until the QuantizeLinear) */
    int n_wsc;
    float act_hi;              /* Clip's upper bound while importing */
    int sparse;                /* runs in SPARSE mode */
    uint64_t macs, wbytes;     /* per image; wbytes packed when sparse */
    chm_tensor *wt, *bt;       /* on the card */
    chm_event *ev[CHM_MODEL_SETS]; /* of the last run on each set */
} mlayer;

struct chm_model {
    chm_device *dev;
    int n_vals, n_layers, cap_vals, cap_layers;
    mval *vals;
    mlayer *layers;
    int in_val, out_val;
    chm_model_io in, out;      /* as the ONNX graph has them */
    int in_float, out_float;   /* host QuantizeLinear / DequantizeLinear */
    int in_u8, out_u8;         /* the int8 side of the ONNX tensor is uint8 (128 apart) */
    int out_chw;               /* the output was flattened from [C,H,W]: ONNX order c,h,w */
    int act_batch, bank;       /* activations allocated for act_batch images */
    int8_t *stage_in[CHM_MODEL_SETS], *stage_out[CHM_MODEL_SETS];
    void *pending_out[CHM_MODEL_SETS]; /* chm_model_run's output until chm_model_output */
    int pending_batch[CHM_MODEL_SETS];
    chm_event *pending_ev[CHM_MODEL_SETS];
    int next_set, last_set;    /* the set the next run takes; the last run's */
};

/* onnx_import.c: fills m's values and layers (no card tensors yet). */
int chm__onnx_import(chm_model *m, const char *path, const chm_model_opts *opts);

/* model_build.c: the host side */
int chm__model_add_val(chm_model *m, int64_t h, int64_t w, int64_t c);
mlayer *chm__model_add_layer(chm_model *m, ml_kind kind, const char *name, const char *op_type);
void chm__model_free_host(chm_model *m); /* frees m itself too */

/* model.c: waits for m's commands, frees its card tensors and then m */
void chm__model_release(chm_model *m);

#endif /* CHM_MODEL_H */
