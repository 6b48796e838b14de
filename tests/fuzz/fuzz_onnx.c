/*
 * fuzz_onnx.c - libFuzzer target for the ONNX importer (protobuf-c parse,
 * tensor decoding, every node's checks) without a device: the bytes are
 * written to a scratch file and imported; a model that imports must have
 * consistent values and layers. ctest runs it briefly, seeded with the
 * generated test models (tests/CMakeLists.txt).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[256];
    if (!path[0])
        snprintf(path, sizeof path, "%s/fuzz_onnx_%d.onnx", CHM_FUZZ_TMPDIR, (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    fwrite(data, 1, size, f);
    fclose(f);
    chm_model *m = calloc(1, sizeof *m);
    if (!m)
        abort();
    m->in_val = m->out_val = -1;
    chm_model_opts o = { .sparse_below = 0.5 };
    if (chm__onnx_import(m, path, &o) == 0) {
        if (m->in_val < 0 || m->in_val >= m->n_vals || m->out_val < 0 || m->out_val >= m->n_vals)
            abort();
        for (int i = 0; i < m->n_layers; i++) {
            const mlayer *L = &m->layers[i];
            if (L->in0 < 0 || L->in0 >= m->n_vals || L->out < 0 || L->out >= m->n_vals ||
                L->in1 >= m->n_vals || !m->vals[L->out].has_q)
                abort();
            if (m->vals[L->out].h < 1 || m->vals[L->out].w < 1 || m->vals[L->out].c < 1)
                abort();
        }
    }
    chm__model_free_host(m);
    return 0;
}
