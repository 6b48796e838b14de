/*
 * fuzz_sparse.c - libFuzzer target for chm_sparse_import, the check every
 * compressed weight blob passes before the card reads it: whatever it
 * accepts must decode without reading outside the blob or the matrix.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chimera.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    chm_sparse *s = NULL;
    if (chm_sparse_import(data, size, &s) == CHM_OK) {
        chm_sparse_info info;
        chm_sparse_query(s, &info);
        int8_t *w = malloc((size_t)info.rows * (size_t)info.cols);
        if (w)
            chm_sparse_to_dense(s, w);
        free(w);
        chm_sparse_free(s);
    }
    /* Also from a valid X header, so the fuzzer starts past the magic. */
    if (size >= 8) {
        int8_t dense[64];
        memcpy(dense, data, size < 64 ? size : 64);
        if (size < 64)
            memset(dense + size, 0, 64 - size);
        chm_sparse *x = NULL;
        chm_sparse_params p = { .format = (data[0] & 1) ? CHM_SPARSE_X : CHM_SPARSE_S,
                                .step_bits = 1 + data[1] % 8, .code_bits = 1 + data[2] % 8,
                                .block_rows = 1 + data[3] % 16, .block_cols = 1 + data[4] % 16 };
        if (chm_sparse_from_dense(dense, 8, 8, &p, &x) == CHM_OK) {
            size_t len;
            const uint8_t *blob = chm_sparse_blob(x, &len);
            uint8_t *copy = malloc(len);
            memcpy(copy, blob, len);
            for (size_t i = 5; i + 1 < size && i < 40; i += 2)
                copy[data[i] % len] ^= data[i + 1];
            chm_sparse *y = NULL;
            if (chm_sparse_import(copy, len, &y) == CHM_OK) {
                chm_sparse_info info; /* the header may now say other dims */
                chm_sparse_query(y, &info);
                int8_t *back = malloc((size_t)info.rows * (size_t)info.cols);
                if (back)
                    chm_sparse_to_dense(y, back);
                free(back);
            }
            chm_sparse_free(y);
            free(copy);
            chm_sparse_free(x);
        }
    }
    return 0;
}
