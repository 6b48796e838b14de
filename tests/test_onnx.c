/*
 * test_onnx.c - quantized ONNX models on the card (chm_model_*):
 *  - ONNX's own node tests (Debian's libonnx-testdata, read in place): the
 *    applicable ones bit-exact to their expected outputs, the others
 *    refused with the node and the reason;
 *  - two generated models touching every supported op (QDQ and QOperator
 *    forms) bit-exact to an independent numpy reference under each of the
 *    card's two requantization rules (ONNX Runtime's float32 rule, the
 *    default, and TFLite's fixed-point one);
 *  - the Fashion-MNIST demo model exported to QDQ ONNX (dense, and pruned
 *    with sparse_initializer weights in SPARSE mode): the same 10,000 logits
 *    as the .chmq path;
 *  - two runs in flight (two activation sets): outputs, refusals, overlap;
 *  - broken models refused each with its own error, nothing left on the card.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnn_model.h"
#include "idx.h"
#include "onnx.pb-c.h"
#include "test_util.h"

#define NODE_DIR "/usr/share/libonnx-testdata/data/node"
#define FMNIST_IMAGES "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"

/* A .pb TensorProto: its bytes as stored (float, uint8, int8), n elements. */
typedef struct pbt {
    int elem;
    size_t n;
    uint8_t *data;
} pbt;

static int read_pb(const char *path, pbt *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    static uint8_t buf[1 << 22];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    Onnx__TensorProto *t = onnx__tensor_proto__unpack(NULL, len, buf);
    if (!t)
        return -1;
    out->elem = t->data_type;
    out->n = 1;
    for (size_t i = 0; i < t->n_dims; i++)
        out->n *= (size_t)t->dims[i];
    size_t es = out->elem == CHM_ONNX_FLOAT ? 4 : 1;
    out->data = malloc(out->n * es + 1);
    if (t->has_raw_data && t->raw_data.len == out->n * es) {
        memcpy(out->data, t->raw_data.data, out->n * es);
    } else if (es == 4 && t->n_float_data == out->n) {
        memcpy(out->data, t->float_data, out->n * 4);
    } else if (t->n_int32_data == out->n) {
        for (size_t i = 0; i < out->n; i++)
            out->data[i] = (uint8_t)t->int32_data[i];
    } else {
        onnx__tensor_proto__free_unpacked(t, NULL);
        free(out->data);
        return -1;
    }
    onnx__tensor_proto__free_unpacked(t, NULL);
    return 0;
}

static size_t out_bytes(const chm_model_info *mi, size_t n)
{
    return n * (mi->output.elem_type == CHM_ONNX_FLOAT ? 4 : 1);
}

static uint64_t bank_used(void)
{
    chm_device_info di;
    CU_ASSERT_EQUAL_FATAL(chm_device_query(tu_dev, &di), CHM_OK);
    uint64_t u = 0;
    for (uint32_t b = 0; b < di.n_banks; b++)
        u += di.banks[b].used;
    return u;
}

/* ------------------------------------------------------- ONNX node tests */

/*
 * A node test feeds every operand (scales, zero points, weights) as a graph
 * input with its value in test_data_set_0/input_K.pb; a deployed model has
 * them as initializers. Writes the model with inputs 1.. bound to those
 * files to a scratch path (input 0 stays the model's input).
 */
static void bind_inputs(const char *dir, char *out, size_t cap)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s/model.onnx", NODE_DIR, dir);
    FILE *f = fopen(path, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    static uint8_t buf[1 << 20];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    Onnx__ModelProto *mp = onnx__model_proto__unpack(NULL, len, buf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(mp);
    Onnx__GraphProto *g = mp->graph;
    size_t n_in = g->n_input;
    Onnx__TensorProto **inits = calloc(n_in, sizeof *inits);
    for (size_t k = 1; k < n_in; k++) {
        snprintf(path, sizeof path, "%s/%s/test_data_set_0/input_%zu.pb", NODE_DIR, dir, k);
        FILE *pf = fopen(path, "rb");
        CU_ASSERT_PTR_NOT_NULL_FATAL(pf);
        static uint8_t pb[1 << 20];
        size_t pl = fread(pb, 1, sizeof pb, pf);
        fclose(pf);
        inits[k] = onnx__tensor_proto__unpack(NULL, pl, pb);
        CU_ASSERT_PTR_NOT_NULL_FATAL(inits[k]);
        free(inits[k]->name);
        inits[k]->name = strdup(g->input[k]->name);
    }
    /* the graph keeps input 0; the rest become initializers */
    Onnx__ValueInfoProto **all_in = g->input;
    Onnx__TensorProto **old_init = g->initializer;
    size_t old_n_init = g->n_initializer;
    g->n_input = 1;
    g->n_initializer = n_in - 1;
    g->initializer = inits + 1;
    size_t olen = onnx__model_proto__get_packed_size(mp);
    uint8_t *o = malloc(olen);
    onnx__model_proto__pack(mp, o);
    snprintf(out, cap, "%s", tu_tmp(dir));
    f = fopen(out, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fwrite(o, 1, olen, f);
    fclose(f);
    free(o);
    g->n_input = n_in, g->input = all_in;
    g->n_initializer = old_n_init, g->initializer = old_init;
    onnx__model_proto__free_unpacked(mp, NULL);
    for (size_t k = 1; k < n_in; k++)
        onnx__tensor_proto__free_unpacked(inits[k], NULL);
    free(inits);
}

typedef struct node_case {
    const char *dir;
    int code;           /* 0: runs bit-exact; else refused with it */
    const char *reason; /* a part of the message */
} node_case;

static void test_node_tests(void)
{
    static const node_case cases[] = {
        { "test_quantizelinear", 0, NULL },
        { "test_dequantizelinear", 0, NULL },
        /* per-axis activation quantization is outside the int8 profile */
        { "test_quantizelinear_axis", CHM_ELIMIT, "per-tensor scale" },
        { "test_dequantizelinear_axis", CHM_ELIMIT, "per-tensor scale" },
        /* uint8 weights whose zero point does not leave int8 values */
        { "test_qlinearconv", CHM_ELIMIT, "beyond int8" },
        { "test_qlinearmatmul_2D", CHM_ELIMIT, "beyond int8" },
        { "test_qlinearmatmul_3D", CHM_ELIMIT, "rank 3" },
        { "test_convinteger_with_padding", CHM_ELIMIT, "int32 accumulator" },
        { "test_matmulinteger", CHM_ELIMIT, "int32 accumulator" },
        { "test_dynamicquantizelinear", CHM_ELIMIT, "not supported" },
    };
    DIR *d = opendir(NODE_DIR);
    if (!d) {
        printf("\n  libonnx-testdata not installed (%s): node tests skipped\n", NODE_DIR);
        return;
    }
    closedir(d);
    int ran = 0, refused = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const node_case *c = &cases[i];
        char path[512], msg[512];
        bind_inputs(c->dir, path, sizeof path);
        uint64_t used = bank_used();
        chm_model *m = NULL;
        int rc = chm_model_load(tu_dev, path, &m, NULL);
        snprintf(msg, sizeof msg, "%s", chm_last_error(tu_dev));
        if (c->code) {
            CU_ASSERT_EQUAL(rc, c->code);
            CU_ASSERT_PTR_NULL(m);
            CU_ASSERT_PTR_NOT_NULL(strstr(msg, c->reason));
            CU_ASSERT_EQUAL(bank_used(), used);
            if (rc != c->code || !strstr(msg, c->reason))
                printf("\n  %s: %d %s\n", c->dir, rc, msg);
            refused += rc == c->code;
            continue;
        }
        if (rc)
            printf("\n  %s: %s\n", c->dir, msg);
        CU_ASSERT_EQUAL_FATAL(rc, CHM_OK);
        pbt in, want;
        snprintf(path, sizeof path, "%s/%s/test_data_set_0/input_0.pb", NODE_DIR, c->dir);
        CU_ASSERT_EQUAL_FATAL(read_pb(path, &in), 0);
        snprintf(path, sizeof path, "%s/%s/test_data_set_0/output_0.pb", NODE_DIR, c->dir);
        CU_ASSERT_EQUAL_FATAL(read_pb(path, &want), 0);
        chm_model_info mi;
        CU_ASSERT_EQUAL(chm_model_info_get(m, &mi), CHM_OK);
        CU_ASSERT_EQUAL(mi.output.elem_type, want.elem);
        uint8_t *got = calloc(1, out_bytes(&mi, want.n));
        CU_ASSERT_EQUAL(chm_model_run(m, in.data, 1, got, NULL), CHM_OK);
        CU_ASSERT_EQUAL(memcmp(got, want.data, out_bytes(&mi, want.n)), 0);
        ran++;
        free(got);
        free(in.data);
        free(want.data);
        chm_model_free(m);
    }
    printf("\n  ONNX node tests: %d run bit-exact, %d refused as expected ", ran, refused);
}

/* --------------------------------------------------- generated op models */

/* The model under one rule; its outputs against that rule's reference, bit for bit. */
static void run_generated_rule(const char *name, int batch, int fixed, const pbt *in,
                               const pbt *want, const pbt *other)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.onnx", CHM_ONNX_MODELS, name);
    chm_model *m = NULL;
    int rc = chm_model_load(tu_dev, path, &m,
                            &(chm_model_opts){ .max_batch = batch, .fixed_point_requant = fixed });
    if (rc)
        printf("\n  %s\n", chm_last_error(tu_dev));
    CU_ASSERT_EQUAL_FATAL(rc, CHM_OK);
    chm_model_info mi;
    chm_model_info_get(m, &mi);
    CU_ASSERT_EQUAL(mi.output.elem_type, CHM_ONNX_FLOAT);
    float *got = calloc(want->n, sizeof *got);
    /* asynchronously: the event, then the output */
    chm_event *ev = NULL;
    CU_ASSERT_EQUAL_FATAL(chm_model_run(m, in->data, batch, got, &ev), CHM_OK);
    CU_ASSERT_EQUAL(chm_model_output(m, ev), CHM_OK);
    const float *w = (const float *)want->data, *o = (const float *)other->data;
    int exact = 0, as_other = 0;
    for (size_t i = 0; i < want->n; i++) {
        exact += got[i] == w[i];
        as_other += got[i] == o[i];
    }
    CU_ASSERT_EQUAL(exact, (int)want->n);
    printf("\n  %s, %s rule: %d layers, %zu outputs: %d bit-exact to that rule's reference "
           "(%d equal to the other rule's) ", name, fixed ? "TFLite's fixed-point" :
           "ONNX Runtime's float32", mi.n_layers, want->n, exact, as_other);
    for (int i = 0; i < mi.n_layers; i++) {
        chm_model_layer L;
        CU_ASSERT_EQUAL(chm_model_layer_get(m, i, &L), CHM_OK);
        CU_ASSERT(L.last_us > 0);
    }
    free(got);
    chm_model_free(m);
}

/* Both rules on one model; returns how many outputs the two references give apart. */
static int run_generated(const char *name, int batch)
{
    char path[512];
    pbt in, fixed, flt;
    snprintf(path, sizeof path, "%s/%s_in.pb", CHM_ONNX_MODELS, name);
    CU_ASSERT_EQUAL_FATAL(read_pb(path, &in), 0);
    snprintf(path, sizeof path, "%s/%s_out.pb", CHM_ONNX_MODELS, name);
    CU_ASSERT_EQUAL_FATAL(read_pb(path, &fixed), 0);
    snprintf(path, sizeof path, "%s/%s_float.pb", CHM_ONNX_MODELS, name);
    CU_ASSERT_EQUAL_FATAL(read_pb(path, &flt), 0);
    CU_ASSERT_EQUAL_FATAL(fixed.n, flt.n);
    run_generated_rule(name, batch, 0, &in, &flt, &fixed);
    run_generated_rule(name, batch, 1, &in, &fixed, &flt);
    int apart = 0;
    for (size_t i = 0; i < fixed.n; i++)
        apart += ((const float *)fixed.data)[i] != ((const float *)flt.data)[i];
    free(in.data), free(fixed.data), free(flt.data);
    return apart;
}

static void test_ops_qdq(void)
{
    /* the rules part inside (on 345 of the first convs' outputs), but the pools take the
     * differences away before the output */
    (void)run_generated("ops_qdq", 40);
}

/*
 * The same model and numbers written as PyTorch's exporter writes quantized
 * models (Constant nodes for every weight, scale and zero point, a Cast to
 * the same type after each QuantizeLinear, bias zero points from
 * ConstantOfShape and Cast): the constants fold at load, the outputs are
 * the initializer form's, bit for bit, under both rules.
 */
static void test_ops_qdq_torch(void)
{
    (void)run_generated("ops_qdq_torch", 40);
}

static void test_ops_qop(void)
{
    /* the rules part on some outputs here, so each load's rule is really tested */
    CU_ASSERT(run_generated("ops_qop", 40) > 0);
}

/* ------------------------------------------------------ runs in flight */

/* Waits for a run's event, notes when its output copy ended, takes the output. */
static double take(chm_model *m, chm_event *ev)
{
    chm_event_times t = { 0 };
    CU_ASSERT_EQUAL(chm_wait(ev), CHM_OK);
    CU_ASSERT_EQUAL(chm_event_times_get(ev, &t), CHM_OK);
    CU_ASSERT_EQUAL(chm_model_output(m, ev), CHM_OK);
    return t.device_end_us;
}

/*
 * Two runs in flight on the model's two activation sets: both outputs equal
 * the reference, taken in either order; a third run and a change of batch
 * while runs are in flight are refused; and the second run's results arrive
 * sooner after the first's than when the runs go one after the other (its
 * copies and kernels overlapped the first's on the card).
 */
static void test_runs_in_flight(void)
{
    char path[512];
    pbt in, want;
    snprintf(path, sizeof path, "%s/ops_qdq_in.pb", CHM_ONNX_MODELS);
    CU_ASSERT_EQUAL_FATAL(read_pb(path, &in), 0);
    snprintf(path, sizeof path, "%s/ops_qdq_float.pb", CHM_ONNX_MODELS);
    CU_ASSERT_EQUAL_FATAL(read_pb(path, &want), 0);
    snprintf(path, sizeof path, "%s/ops_qdq.onnx", CHM_ONNX_MODELS);
    chm_model *m = NULL;
    CU_ASSERT_EQUAL_FATAL(chm_model_load(tu_dev, path, &m, &(chm_model_opts){ .max_batch = 40 }),
                          CHM_OK);
    const size_t n = want.n;
    float *o1 = calloc(n, sizeof *o1), *o2 = calloc(n, sizeof *o2), *o3 = calloc(n, sizeof *o3);
    /* one after the other */
    chm_event *e1 = NULL, *e2 = NULL, *e3 = NULL;
    CU_ASSERT_EQUAL_FATAL(chm_model_run(m, in.data, 40, o1, &e1), CHM_OK);
    const double seq1 = take(m, e1);
    CU_ASSERT_EQUAL_FATAL(chm_model_run(m, in.data, 40, o2, &e2), CHM_OK);
    const double seq_gap = take(m, e2) - seq1;
    CU_ASSERT_EQUAL(memcmp(o1, want.data, n * sizeof *o1), 0);
    CU_ASSERT_EQUAL(memcmp(o2, want.data, n * sizeof *o2), 0);
    /* two in flight */
    memset(o1, 0, n * sizeof *o1), memset(o2, 0, n * sizeof *o2);
    CU_ASSERT_EQUAL_FATAL(chm_model_run(m, in.data, 40, o1, &e1), CHM_OK);
    CU_ASSERT_EQUAL_FATAL(chm_model_run(m, in.data, 40, o2, &e2), CHM_OK);
    CU_ASSERT_EQUAL(chm_model_run(m, in.data, 40, o3, &e3), CHM_EBUSY);
    CU_ASSERT_PTR_NULL(e3);
    CU_ASSERT_EQUAL(chm_model_output(m, NULL), CHM_EINVAL);
    const double t1 = take(m, e1);
    CU_ASSERT_EQUAL(chm_model_run(m, in.data, 20, o3, &e3), CHM_EBUSY); /* e2 in flight */
    const double pipe_gap = take(m, e2) - t1;
    CU_ASSERT_EQUAL(memcmp(o1, want.data, n * sizeof *o1), 0);
    CU_ASSERT_EQUAL(memcmp(o2, want.data, n * sizeof *o2), 0);
    CU_ASSERT(pipe_gap < seq_gap);
    printf("\n  second run done %.2f us after the first when queued after it, %.2f us with both "
           "in flight ", seq_gap, pipe_gap);
    /* the outputs taken in the other order, then a new batch once nothing is in flight */
    CU_ASSERT_EQUAL_FATAL(chm_model_run(m, in.data, 40, o1, &e1), CHM_OK);
    CU_ASSERT_EQUAL_FATAL(chm_model_run(m, in.data, 40, o2, &e2), CHM_OK);
    CU_ASSERT_EQUAL(chm_model_output(m, e2), CHM_OK);
    CU_ASSERT_EQUAL(chm_model_output(m, e1), CHM_OK);
    CU_ASSERT_EQUAL(memcmp(o2, want.data, n * sizeof *o2), 0);
    CU_ASSERT_EQUAL(chm_model_run(m, in.data, 20, o3, NULL), CHM_OK);
    CU_ASSERT_EQUAL(memcmp(o3, want.data, n / 2 * sizeof *o3), 0); /* the first 20 inputs */
    chm_model_free(m);
    free(o1), free(o2), free(o3), free(in.data), free(want.data);
}

/* ------------------------------------------------------------- FMNIST */

static void fmnist(const char *onnx_name, const char *chmq, int sparse)
{
    uint8_t *px;
    int n, rows, cols;
    if (idx_load_images(FMNIST_IMAGES, &px, &n, &rows, &cols)) {
        printf("\n  %s not installed (dataset-fashion-mnist): skipped ", FMNIST_IMAGES);
        return;
    }
    cnn_model cm;
    CU_ASSERT_EQUAL_FATAL(model_load(chmq, &cm), 0);
    const int batch = 250, per = rows * cols, ncls = cm.n_classes;
    /* the .chmq path: the demo's quantization, the model on the card */
    int8_t *img = malloc((size_t)n * per), *want = malloc((size_t)n * ncls);
    for (size_t i = 0; i < (size_t)n * per; i++) {
        long q = lround(px[i] / 255.0 / cm.in_scale) + cm.in_zp;
        img[i] = (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
    }
    model_dev *md;
    CU_ASSERT_EQUAL_FATAL(model_dev_create(tu_dev, &cm, batch, sparse ? CHM_SPARSE_X : 0, &md), 0);
    for (int b = 0; b + batch <= n; b += batch)
        CU_ASSERT_EQUAL(model_dev_enqueue(md, img + (size_t)b * per, want + (size_t)b * ncls), 0);
    CU_ASSERT_EQUAL(chm_finish(tu_dev), CHM_OK);
    model_dev_free(md);
    /* and on the first 500 the plain-C reference agrees with it */
    int8_t *ref = malloc(500 * (size_t)ncls);
    model_run_ref(&cm, img, 500, ref);
    CU_ASSERT_EQUAL(memcmp(ref, want, 500 * (size_t)ncls), 0);

    /* the ONNX path: float pixels in, QuantizeLinear on the host */
    char path[512];
    snprintf(path, sizeof path, "%s/%s", CHM_ONNX_MODELS, onnx_name);
    chm_model *m = NULL;
    /* the .chmq carries Q31 multipliers: TFLite's rule */
    int rc = chm_model_load(tu_dev, path, &m,
                            &(chm_model_opts){ .max_batch = batch, .fixed_point_requant = 1 });
    if (rc)
        printf("\n  %s\n", chm_last_error(tu_dev));
    CU_ASSERT_EQUAL_FATAL(rc, CHM_OK);
    chm_model_info mi;
    chm_model_info_get(m, &mi);
    CU_ASSERT_EQUAL(mi.n_sparse, sparse ? 4 : 0);
    CU_ASSERT_EQUAL(mi.input.elem_type, CHM_ONNX_FLOAT);
    CU_ASSERT_EQUAL(mi.output.elem_type, CHM_ONNX_INT8);
    float *x = malloc((size_t)batch * per * sizeof *x);
    int8_t *got = malloc((size_t)n * ncls);
    for (int b = 0; b + batch <= n; b += batch) {
        for (size_t i = 0; i < (size_t)batch * per; i++)
            x[i] = (float)px[(size_t)b * per + i] / 255.0f;
        CU_ASSERT_EQUAL(chm_model_run(m, x, batch, got + (size_t)b * ncls, NULL), CHM_OK);
    }
    long diff = tu_first_diff(got, want, (size_t)n * ncls);
    CU_ASSERT_EQUAL(diff, -1);
    printf("\n  %s: %d images, logits %s the .chmq path's; %d layers (%d SPARSE), %llu MACs, "
           "%llu weight bytes an image ", onnx_name, n, diff < 0 ? "identical to" : "DIFFER from",
           mi.n_layers, mi.n_sparse, (unsigned long long)mi.macs,
           (unsigned long long)mi.weight_bytes);
    chm_model_free(m);
    free(x), free(got), free(img), free(want), free(ref), free(px);
    model_free(&cm);
}

static void test_fmnist(void)
{
    fmnist("fmnist_qdq.onnx", CHM_FMNIST_DENSE, 0);
}

static void test_fmnist_sparse(void)
{
    fmnist("fmnist_sparse_qdq.onnx", CHM_FMNIST_SPARSE, 1);
}

/* ------------------------------------------------------------ refusals */

static void test_bad_models(void)
{
    static const struct {
        const char *file;
        int code;
        const char *reason;
    } cases[] = {
        { "bad_unsupported_op", CHM_ELIMIT, "(Sigmoid): operator not supported" },
        { "bad_opset", CHM_ELIMIT, "opset 7" },
        { "bad_uint8_weights", CHM_ELIMIT, "beyond int8" },
        { "bad_dims", CHM_EFORMAT, "its dims need" },
        { "bad_float_conv", CHM_ELIMIT, "float weights would run in float" },
        { "bad_truncated", CHM_EFORMAT, "does not parse" },
        { "bad_empty_tail", CHM_EFORMAT, "does not parse" },
        { "bad_cast_activation", CHM_ELIMIT, "(Cast): casts the quantized tensor" },
        { "bad_cast_overflow", CHM_ELIMIT, "(Cast): casts 300" },
        { "bad_constant_of_shape_huge", CHM_ELIMIT, "the card folds at most 1048576 elements" },
        { "bad_cast_chain", CHM_ELIMIT, "would make more than 16777216 elements" },
        { "no_such_file", CHM_EIO, "cannot open" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s.onnx", CHM_ONNX_MODELS, cases[i].file);
        uint64_t used = bank_used();
        chm_model *m = NULL;
        int rc = chm_model_load(tu_dev, path, &m, NULL);
        const char *msg = chm_last_error(tu_dev);
        CU_ASSERT_EQUAL(rc, cases[i].code);
        CU_ASSERT_PTR_NULL(m);
        CU_ASSERT_PTR_NOT_NULL(strstr(msg, cases[i].reason));
        if (rc != cases[i].code || !strstr(msg, cases[i].reason))
            printf("\n  %s: %d %s\n", cases[i].file, rc, msg);
        CU_ASSERT_EQUAL(bank_used(), used);
    }
    /* the control loads, runs, and gives back what it took */
    char path[512];
    snprintf(path, sizeof path, "%s/bad_none.onnx", CHM_ONNX_MODELS);
    uint64_t used = bank_used();
    chm_model *m = NULL;
    CU_ASSERT_EQUAL_FATAL(chm_model_load(tu_dev, path, &m, NULL), CHM_OK);
    CU_ASSERT(bank_used() > used);
    float x[72] = { 0 };
    int8_t y[64];
    CU_ASSERT_EQUAL(chm_model_run(m, x, 1, y, NULL), CHM_OK);
    CU_ASSERT_EQUAL(chm_model_run(m, x, 2, y, NULL), CHM_ESHAPE); /* the graph says batch 1 */
    /* a ReLU6 bound far past int8 (6 / 1e-12 steps) loads and clamps nothing but the lower end
     * (the bound overflowed an int once: found by fuzz_onnx) */
    chm_model *mc = NULL;
    snprintf(path, sizeof path, "%s/bad_none_relu6_tiny_scale.onnx", CHM_ONNX_MODELS);
    CU_ASSERT_EQUAL(chm_model_load(tu_dev, path, &mc, NULL), CHM_OK);
    chm_model_layer L;
    CU_ASSERT_EQUAL(chm_model_layer_get(mc, 0, &L), CHM_OK);
    float xc[72];
    for (int i = 0; i < 72; i++)
        xc[i] = (float)((i * 37) % 23 - 11) * 0.1f;
    int8_t yc[64];
    CU_ASSERT_EQUAL(chm_model_run(mc, xc, 1, yc, NULL), CHM_OK);
    int low = 0, high = 0;
    for (int i = 0; i < 64; i++)
        low += yc[i] == 0, high += yc[i] == 127;
    CU_ASSERT(low > 0 && high > 0); /* clamped below at 0, saturated above at 127 */
    CU_ASSERT_EQUAL(low + high, 64);
    chm_model_free(mc);
    chm_model_free(m);
    CU_ASSERT_EQUAL(bank_used(), used);
}

int main(void)
{
    static const tu_test tests[] = {
        { "ONNX node tests (libonnx-testdata)", test_node_tests },
        { "every supported op, QDQ form", test_ops_qdq },
        { "the same in PyTorch's exporter's dialect (Constant, Cast, ConstantOfShape)",
          test_ops_qdq_torch },
        { "QOperator form, uint8 activations", test_ops_qop },
        { "two runs in flight on two activation sets", test_runs_in_flight },
        { "Fashion-MNIST from ONNX = .chmq", test_fmnist },
        { "pruned Fashion-MNIST, sparse_initializer, SPARSE mode", test_fmnist_sparse },
        { "broken models refused, nothing left on the card", test_bad_models },
        { NULL, NULL },
    };
    return tu_run_suite("onnx", "emu", tests, NULL, NULL);
}
