/*
 * cnn_model.h - a small int8 CNN read from a .chmq file (written by
 * train_fashion_mnist.py), run on a Chimera device or on the plain-C
 * reference.
 */
#ifndef CNN_MODEL_H
#define CNN_MODEL_H

#include <stdint.h>

#include "chimera.h"

#define MODEL_MAX_LAYERS 16

typedef enum { LAYER_CONV = 1, LAYER_MAXPOOL = 2, LAYER_FC = 3 } layer_kind;

typedef struct model_layer {
    layer_kind kind;
    int cin, cout, k, stride, pad, relu;   /* conv / fc (k = 1 for fc) */
    int32_t in_zp, out_zp;
    int8_t *w;                             /* conv OHWI, fc [out][in] */
    int32_t *bias, *mult, *shift;
    int in_h, in_w, out_h, out_w;          /* spatial extents, filled by model_load */
} model_layer;

typedef struct cnn_model {
    int h, w, c;                 /* input image */
    float in_scale;
    int32_t in_zp;
    float float_accuracy;        /* test accuracy of the float model, percent */
    int n_layers;
    model_layer layers[MODEL_MAX_LAYERS];
    int n_classes;
    int code_bits;               /* Cambricon-S code width for SPARSE runs (0: 8, lossless) */
    int step_bits;               /* Cambricon-X step width (0: 4; CHM_SPARSE_STEP_AUTO) */
} cnn_model;

/* Reads path; on error prints why to stderr and returns nonzero. */
int model_load(const char *path, cnn_model *m);
void model_free(cnn_model *m);

/*
 * Cambricon-S local quantization: replaces every conv and fc layer's weights
 * by what code_bits-wide codes into a per-layer codebook give back
 * (chm_sparse_from_dense then chm_sparse_to_dense), and remembers the width
 * for SPARSE runs, so the reference computes what the card computes.
 */
int model_quantize_codes(cnn_model *m, int code_bits);

/* Runs n images (int8, [n][h][w][c]) through the reference; logits [n][n_classes]. */
void model_run_ref(const cnn_model *m, const int8_t *images, int n, int8_t *logits);

/* The model's weights and activations on a device, for batches of `batch` images. */
typedef struct model_dev model_dev;

/*
 * sparse: 0 for dense CNN-mode layers, or CHM_SPARSE_X / CHM_SPARSE_S to run
 * every conv and fc layer in SPARSE mode, its weights compressed (zeros
 * dropped) by chm_sparse_from_dense.
 */
int model_dev_create(chm_device *dev, const cnn_model *m, int batch, int sparse, model_dev **out);
/* Weight density over the conv and fc layers, and packed sparse bytes (0 if dense). */
void model_dev_sparsity(const model_dev *md, double *density, uint64_t *bytes, uint64_t *dense_bytes);
/* Queues one batch: copy images in, all layers, copy logits out to host. */
int model_dev_enqueue(model_dev *md, const int8_t *images, int8_t *logits);
void model_dev_free(model_dev *md);

#endif /* CNN_MODEL_H */
