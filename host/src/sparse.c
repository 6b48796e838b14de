/*
 * sparse.c - building, checking and decoding the SPARSE mode's compressed
 * weights (layouts in hls/sparse/sparse_format.h). Pruning and the
 * codebook live in sparse_build.c; this file owns the blob.
 */
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "sparse_build.h"

static uint32_t align8(uint32_t x)
{
    return (x + 7u) & ~7u;
}

/* Lays out a blob for the header fields already set in h; arrays zeroed. */
chm_sparse *chm__sparse_alloc(sparse_hdr h, uint32_t ptr_n, uint32_t a_bytes, uint32_t b_bytes,
                              uint32_t c_bytes)
{
    h.magic = SPARSE_MAGIC;
    h.off_ptr = align8(sizeof h);
    h.off_a = align8(h.off_ptr + 4 * ptr_n);
    h.off_b = align8(h.off_a + a_bytes);
    h.off_c = align8(h.off_b + b_bytes);
    h.bytes = align8(h.off_c + c_bytes);
    chm_sparse *s = calloc(1, sizeof *s);
    if (s)
        s->blob = calloc(1, h.bytes);
    if (!s || !s->blob) {
        free(s);
        return NULL;
    }
    memcpy(s->blob, &h, sizeof h);
    s->hdr = (sparse_hdr *)s->blob;
    return s;
}

void chm_sparse_free(chm_sparse *s)
{
    if (s)
        free(s->blob);
    free(s);
}

const void *chm_sparse_blob(const chm_sparse *s, size_t *bytes)
{
    if (!s || !bytes)
        return NULL;
    *bytes = s->hdr->bytes;
    return s->blob;
}

/* Decodes into w[rows][cols] (zeroed by the caller). */
static void decode(const chm_sparse *s, int8_t *w)
{
    const sparse_hdr *h = s->hdr;
    const uint32_t *ptr = (const uint32_t *)(s->blob + h->off_ptr);
    if (h->format == SPARSE_FMT_X) {
        const int8_t *val = (const int8_t *)(s->blob + h->off_a);
        const uint8_t *step = s->blob + h->off_b;
        for (uint32_t r = 0; r < h->rows; r++) {
            int64_t col = -1;
            for (uint32_t e = ptr[r]; e < ptr[r + 1]; e++) {
                col += hls_rd_field(step, e, h->step_bits);
                if (val[e])
                    w[(size_t)r * h->cols + (size_t)col] = val[e];
            }
        }
        return;
    }
    const uint16_t *cb = (const uint16_t *)(s->blob + h->off_a);
    const uint8_t *code = s->blob + h->off_b;
    const int8_t *book = (const int8_t *)(s->blob + h->off_c);
    const uint32_t br = h->block_rows, bc = h->block_cols, groups = (h->rows + br - 1) / br;
    for (uint32_t g = 0; g < groups; g++)
        for (uint32_t k = ptr[g]; k < ptr[g + 1]; k++)
            for (uint32_t i = 0; i < br; i++)
                for (uint32_t j = 0; j < bc; j++) {
                    uint32_t r = g * br + i, c = (uint32_t)cb[k] * bc + j;
                    if (r < h->rows && c < h->cols)
                        w[(size_t)r * h->cols + c] =
                            book[hls_rd_field(code, ((uint64_t)k * br + i) * bc + j, h->code_bits)];
                }
}

int chm_sparse_to_dense(const chm_sparse *s, int8_t *w)
{
    if (!s || !w)
        return CHM_FAIL(NULL, CHM_EINVAL, "s and w must not be NULL");
    memset(w, 0, (size_t)s->hdr->rows * s->hdr->cols);
    decode(s, w);
    return CHM_OK;
}

int chm_sparse_to_csr(const chm_sparse *s, int32_t *row_ptr, int32_t *col_idx, int8_t *values)
{
    if (!s || !row_ptr || (s->hdr->nnz && (!col_idx || !values)))
        return CHM_FAIL(NULL, CHM_EINVAL, "s, row_ptr, col_idx and values must not be NULL");
    const sparse_hdr *h = s->hdr;
    int8_t *w = calloc((size_t)h->rows * h->cols, 1);
    if (!w)
        return CHM_FAIL(NULL, CHM_ENOMEM, "no host memory for a %ux%u matrix", h->rows, h->cols);
    decode(s, w);
    int32_t n = 0;
    for (uint32_t r = 0; r < h->rows; r++) {
        row_ptr[r] = n;
        for (uint32_t c = 0; c < h->cols; c++)
            if (w[(size_t)r * h->cols + c]) {
                col_idx[n] = (int32_t)c;
                values[n++] = w[(size_t)r * h->cols + c];
            }
    }
    row_ptr[h->rows] = n;
    free(w);
    return CHM_OK;
}

int chm_sparse_query(const chm_sparse *s, chm_sparse_info *info)
{
    if (!s || !info)
        return CHM_FAIL(NULL, CHM_EINVAL, "s and info must not be NULL");
    const sparse_hdr *h = s->hdr;
    memset(info, 0, sizeof *info);
    info->format = (chm_sparse_format)h->format;
    info->rows = (int)h->rows;
    info->cols = (int)h->cols;
    info->nnz = h->nnz;
    info->dense_bytes = (uint64_t)h->rows * h->cols;
    info->density = info->dense_bytes ? (double)h->nnz / (double)info->dense_bytes : 0;
    if (h->format == SPARSE_FMT_X) {
        info->padding = h->entries - h->nnz;
        info->step_bits = (int)h->step_bits;
        info->value_bytes = h->entries;
        info->index_bytes = ((uint64_t)h->entries * h->step_bits + 7) / 8 + 4ull * (h->rows + 1);
    } else {
        uint64_t groups = (h->rows + h->block_rows - 1) / h->block_rows;
        uint64_t codes = (uint64_t)h->entries * h->block_rows * h->block_cols;
        info->kept_blocks = h->entries;
        info->value_bytes = (codes * h->code_bits + 7) / 8 + (1u << h->code_bits);
        info->index_bytes = 2ull * h->entries + 4 * (groups + 1);
    }
    info->bytes = info->value_bytes + info->index_bytes;
    return CHM_OK;
}
