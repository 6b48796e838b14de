/*
 * cli_run.c - `chimera run MODEL.onnx --input FILE` and `chimera model info
 * MODEL.onnx`: a quantized ONNX model on a device (chm_model_*), inputs
 * from .npy or IDX files, top-k outputs, card time and energy per layer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "idx.h"

static const char *mode_word(chm_mode m)
{
    return m == CHM_MODE_SPARSE ? "SPARSE" : "CNN";
}

static const char *elem_word(int e)
{
    return e == CHM_ONNX_FLOAT ? "float" : e == CHM_ONNX_UINT8 ? "uint8" : "int8";
}

static void print_io(const char *what, const chm_model_io *io)
{
    printf("%-7s \"%s\" %s [", what, io->name, elem_word(io->elem_type));
    for (int i = 0; i < io->ndim; i++)
        printf(i ? ", %lld" : "%lld", (long long)io->dims[i]);
    printf("]  (card: int8, scale %g, zero point %d)\n", (double)io->scale, io->zero_point);
}

static void print_layers(const chm_model *m, int images)
{
    chm_model_info mi;
    chm_model_info_get(m, &mi);
    printf("%-3s %-28s %-16s %-15s %-6s %-16s %12s %10s", "#", "node", "op type", "card op",
           "mode", "out (H, W, C)", "MACs/image", "weights");
    printf(images ? " %12s %10s\n" : "\n", "card us", "uJ");
    for (int i = 0; i < mi.n_layers; i++) {
        chm_model_layer L;
        chm_model_layer_get(m, i, &L);
        char dims[40];
        snprintf(dims, sizeof dims, "%lld, %lld, %lld", (long long)L.out_dims[1],
                 (long long)L.out_dims[2], (long long)L.out_dims[3]);
        printf("%-3d %-28.28s %-16s %-15s %-6s %-16s %12llu %10llu", i, L.name, L.op_type, L.op,
               mode_word(L.mode), dims, (unsigned long long)L.macs,
               (unsigned long long)L.weight_bytes);
        if (images)
            printf(" %12.2f %10.3f\n", L.last_us, L.last_uj);
        else
            printf("\n");
    }
    printf("total: %d card operations (%d SPARSE), %llu MACs an image, %llu weight bytes\n",
           mi.n_layers, mi.n_sparse, (unsigned long long)mi.macs,
           (unsigned long long)mi.weight_bytes);
}

static int load(const char *dev_name, const char *path, int batch, const char *const *opt,
                chm_device **dev, chm_model **m)
{
    const char *rule = opt[OPT_REQUANT] ? opt[OPT_REQUANT] : "float";
    if (strcmp(rule, "float") && strcmp(rule, "fixed")) {
        fprintf(stderr, "chimera: --requant is \"%s\", expected float or fixed\n", rule);
        return 2;
    }
    int rc = cli_open(dev_name, dev);
    if (rc)
        return rc;
    rc = chm_model_load(*dev, path, m, &(chm_model_opts){ .max_batch = batch,
                                                        .bank = CHM_BANK_DEFAULT,
                                                        .fixed_point_requant = !strcmp(rule, "fixed") });
    if (rc) {
        fprintf(stderr, "chimera: %s\n", chm_last_error(*dev));
        chm_device_close(*dev);
    }
    return rc;
}

int cli_model_info(char **a, int n, const char *const *opt)
{
    (void)n;
    chm_device *dev;
    chm_model *m;
    if (load(opt[OPT_DEVICE] ? opt[OPT_DEVICE] : "emu:u250", a[0], 1, opt, &dev, &m))
        return 1;
    chm_model_info mi;
    chm_model_info_get(m, &mi);
    printf("model   %s\n", a[0]);
    print_io("input", &mi.input);
    print_io("output", &mi.output);
    print_layers(m, 0);
    chm_model_free(m);
    chm_device_close(dev);
    return 0;
}

/* ------------------------------------------------------------- inputs */

/* A .npy array (version 1-3, C order): its element type as ONNX's and its data. */
static int read_npy(const char *path, int *elem, size_t *count, uint8_t **data)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "chimera: cannot open %s\n", path);
        return 1;
    }
    uint8_t head[10];
    int bad = fread(head, 1, 10, f) != 10 || memcmp(head, "\x93NUMPY", 6) != 0;
    size_t hl = 0;
    if (!bad && head[6] == 1) {
        hl = (size_t)head[8] | (size_t)head[9] << 8;
    } else if (!bad) {
        uint8_t b2[2];
        bad = fread(b2, 1, 2, f) != 2;
        hl = (size_t)head[8] | (size_t)head[9] << 8 | (size_t)b2[0] << 16 | (size_t)b2[1] << 24;
    }
    char *h = bad || hl > 65536 ? NULL : calloc(1, hl + 1);
    if (!h || fread(h, 1, hl, f) != hl) {
        fprintf(stderr, "chimera: %s is not a .npy file\n", path);
        free(h);
        fclose(f);
        return 1;
    }
    size_t es = 0;
    if (strstr(h, "'<f4'"))
        *elem = CHM_ONNX_FLOAT, es = 4;
    else if (strstr(h, "'|u1'"))
        *elem = CHM_ONNX_UINT8, es = 1;
    else if (strstr(h, "'|i1'"))
        *elem = CHM_ONNX_INT8, es = 1;
    const char *shape = strstr(h, "'shape':");
    if (!es || strstr(h, "'fortran_order': True") || !shape) {
        fprintf(stderr, "chimera: %s: float32, uint8 or int8 in C order expected\n", path);
        free(h);
        fclose(f);
        return 1;
    }
    size_t cnt = 1;
    for (const char *p = strchr(shape, '('); p && *p && *p != ')'; p++)
        if (*p >= '0' && *p <= '9') {
            char *end;
            cnt *= strtoull(p, &end, 10);
            p = end - 1;
        }
    free(h);
    *data = malloc(cnt * es + 1);
    if (!*data || fread(*data, es, cnt, f) != cnt) {
        fprintf(stderr, "chimera: %s: shorter than its shape says\n", path);
        free(*data);
        fclose(f);
        return 1;
    }
    fclose(f);
    *count = cnt;
    return 0;
}

/* Inputs as the model takes them; IDX pixels become value / 255 for a float input. */
static int read_inputs(const char *path, const chm_model_info *mi, uint8_t **data, int *images)
{
    size_t per = 1;
    for (int i = mi->input.ndim == 1 ? 0 : 1; i < mi->input.ndim; i++)
        per *= (size_t)mi->input.dims[i];
    size_t len = strlen(path);
    int elem;
    size_t count;
    if (len > 4 && !strcmp(path + len - 4, ".npy")) {
        if (read_npy(path, &elem, &count, data))
            return 1;
        if (elem != mi->input.elem_type) {
            fprintf(stderr, "chimera: %s holds %s; the model's input is %s\n", path,
                    elem_word(elem), elem_word(mi->input.elem_type));
            free(*data);
            return 1;
        }
    } else {
        uint8_t *px;
        int n, rows, cols;
        if (idx_load_images(path, &px, &n, &rows, &cols)) {
            fprintf(stderr, "chimera: %s is neither .npy nor an IDX image file\n", path);
            return 1;
        }
        count = (size_t)n * rows * cols;
        if (mi->input.elem_type == CHM_ONNX_FLOAT) {
            float *x = malloc(count * sizeof *x);
            for (size_t i = 0; x && i < count; i++)
                x[i] = (float)px[i] / 255.0f;
            free(px);
            *data = (uint8_t *)x;
        } else if (mi->input.elem_type == CHM_ONNX_UINT8) {
            *data = px;
        } else {
            fprintf(stderr, "chimera: IDX pixels are uint8; the model's input is int8\n");
            free(px);
            return 1;
        }
    }
    if (count % per) {
        fprintf(stderr, "chimera: %s holds %zu values, not a whole number of inputs of %zu\n",
                path, count, per);
        free(*data);
        return 1;
    }
    *images = (int)(count / per);
    return 0;
}

static double out_value(const chm_model_info *mi, const void *out, size_t i)
{
    switch (mi->output.elem_type) {
    case CHM_ONNX_FLOAT: return ((const float *)out)[i];
    case CHM_ONNX_UINT8: return ((const uint8_t *)out)[i];
    default: return ((const int8_t *)out)[i];
    }
}

int cli_run(char **a, int n, const char *const *opt)
{
    (void)n;
    if (!opt[OPT_INPUT]) {
        fprintf(stderr, "chimera run: --input FILE (.npy or IDX) is required\n");
        return 2;
    }
    int batch = opt[OPT_BATCH] ? atoi(opt[OPT_BATCH]) : 100;
    int limit = opt[OPT_LIMIT] ? atoi(opt[OPT_LIMIT]) : 0;
    if (batch < 1) {
        fprintf(stderr, "chimera run: --batch must be at least 1\n");
        return 2;
    }
    chm_device *dev;
    chm_model *m;
    const char *dev_name = opt[OPT_DEVICE] ? opt[OPT_DEVICE] : "emu:u250";
    if (load(dev_name, a[0], 1, opt, &dev, &m))
        return 1;
    chm_model_info mi;
    chm_model_info_get(m, &mi);
    uint8_t *in = NULL, *labels = NULL;
    int images, n_labels = 0, rc = 1;
    if (read_inputs(opt[OPT_INPUT], &mi, &in, &images))
        goto out;
    if (opt[OPT_LABELS] && idx_load_labels(opt[OPT_LABELS], &labels, &n_labels)) {
        fprintf(stderr, "chimera: cannot read labels %s\n", opt[OPT_LABELS]);
        goto out;
    }
    if (limit > 0 && limit < images)
        images = limit;
    if (mi.input.ndim == 1 || mi.input.dims[0] > 0)
        batch = mi.input.ndim == 1 ? 1 : (int)mi.input.dims[0]; /* the graph fixes it */
    size_t in_per = 1, out_per = 1;
    for (int i = mi.input.ndim == 1 ? 0 : 1; i < mi.input.ndim; i++)
        in_per *= (size_t)mi.input.dims[i];
    for (int i = mi.output.ndim == 1 ? 0 : 1; i < mi.output.ndim; i++)
        out_per *= (size_t)mi.output.dims[i];
    size_t in_es = mi.input.elem_type == CHM_ONNX_FLOAT ? 4 : 1;
    size_t out_es = mi.output.elem_type == CHM_ONNX_FLOAT ? 4 : 1;
    uint8_t *outs = malloc((size_t)images * out_per * out_es + 1);
    chm_device_stats s0, s1;
    chm_device_stats_get(dev, &s0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    /* two runs in flight: batch i+1 is queued before batch i's outputs are taken */
    int done = 0, k = 0, last_b = 0, failed = 0;
    chm_event *ev[2] = { NULL, NULL };
    while (done < images && !failed) {
        int b = images - done < batch ? images - done : batch;
        if (mi.input.dims[0] > 0 && b != batch)
            break; /* a fixed batch: the remainder cannot run */
        if (ev[k]) /* the run two before */
            failed = chm_model_output(m, ev[k]);
        ev[k] = NULL;
        if (!failed && b != last_b && ev[!k]) /* a new batch size: nothing in flight */
            failed = chm_model_output(m, ev[!k]), ev[!k] = NULL;
        if (!failed)
            failed = chm_model_run(m, in + (size_t)done * in_per * in_es, b,
                                   outs + (size_t)done * out_per * out_es, &ev[k]);
        k ^= 1, last_b = b;
        if (!failed)
            done += b;
    }
    for (int i = 0; i < 2; i++, k ^= 1) /* the older run first */
        if (ev[k] && chm_model_output(m, ev[k]) && !failed)
            failed = 1;
    if (failed) {
        fprintf(stderr, "chimera: %s\n", chm_last_error(dev));
        free(outs);
        goto out;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    chm_device_stats_get(dev, &s1);
    double wall_ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    printf("model   %s on %s: %d inputs in batches of %d, %.1f ms on this host\n", a[0],
           dev_name, done, batch, wall_ms);
    print_io("input", &mi.input);
    print_io("output", &mi.output);
    printf("requant %s\n", opt[OPT_REQUANT] && !strcmp(opt[OPT_REQUANT], "fixed")
                               ? "TFLite's fixed-point rule (--requant fixed)"
                               : "ONNX Runtime's float32 rule in conv/matmul layers");
    int correct = 0, shown = 0;
    for (int i = 0; i < done; i++) {
        int top[3] = { -1, -1, -1 };
        const void *o = outs + (size_t)i * out_per * out_es;
        for (int k = 0; k < 3 && k < (int)out_per; k++)
            for (size_t j = 0; j < out_per; j++) {
                int taken = 0;
                for (int t = 0; t < k; t++)
                    taken |= top[t] == (int)j;
                if (!taken && (top[k] < 0 || out_value(&mi, o, j) > out_value(&mi, o, (size_t)top[k])))
                    top[k] = (int)j;
            }
        if (labels && i < n_labels)
            correct += top[0] == labels[i];
        if (shown++ < 5) {
            printf("input %d: top-3", i);
            for (int k = 0; k < 3 && top[k] >= 0; k++)
                printf("  %d (%g)", top[k], out_value(&mi, o, (size_t)top[k]));
            printf(labels && i < n_labels ? "   label %d\n" : "\n", labels ? labels[i] : 0);
        }
    }
    printf("layers of the last batch (modelled on the card):\n");
    print_layers(m, 1);
    double us = s1.device_makespan_us - s0.device_makespan_us;
    printf("card time %.2f us for %d inputs: %.2f us an input (modelled, %s); energy %.2f uJ an "
           "input\n", us, done, done ? us / done : 0.0, dev_name,
           done ? (s1.energy_uj - s0.energy_uj) / done : 0.0);
    if (labels)
        printf("accuracy %.2f%% (%d of %d)\n", 100.0 * correct / (done ? done : 1), correct, done);
    if (opt[OPT_TRACE]) {
        if (chm_trace_write(dev, opt[OPT_TRACE]))
            fprintf(stderr, "chimera: %s\n", chm_last_error(dev));
        else
            printf("trace   %s\n", opt[OPT_TRACE]);
    }
    rc = 0;
    if (opt[OPT_OUTPUT]) {
        FILE *f = fopen(opt[OPT_OUTPUT], "wb");
        size_t bytes = (size_t)done * out_per * out_es;
        if (!f || fwrite(outs, 1, bytes, f) != bytes) {
            fprintf(stderr, "chimera: cannot write %s\n", opt[OPT_OUTPUT]);
            rc = 1;
        } else {
            printf("outputs %s (%zu bytes)\n", opt[OPT_OUTPUT], bytes);
        }
        if (f)
            fclose(f);
    }
    free(outs);
out:
    free(in);
    free(labels);
    chm_model_free(m);
    chm_device_close(dev);
    return rc;
}
