/*
 * sparse_build.c - pruning dense weights into the X and S formats, the
 * S codebook, and the checks a blob must pass before the card reads it.
 */
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "sparse_build.h"

#define WHO "chm_sparse"

typedef struct build_opts {
    int format, step_bits, br, bc, code_bits, threshold;
    double density;
} build_opts;

static int take_params(const chm_sparse_params *p, int rows, int cols, build_opts *o)
{
    if (!p)
        return chm__fail(NULL, WHO, CHM_EINVAL, "params are NULL");
    if (p->format != CHM_SPARSE_X && p->format != CHM_SPARSE_S)
        return chm__fail(NULL, WHO, CHM_EINVAL, "format %d is not CHM_SPARSE_X or CHM_SPARSE_S",
                         (int)p->format);
    if (rows < 1 || cols < 1 || (unsigned)rows > SPARSE_MAX_DIM || (unsigned)cols > SPARSE_MAX_DIM)
        return chm__fail(NULL, WHO, CHM_ESHAPE, "%dx%d weights: rows and cols must be 1..%u", rows,
                         cols, SPARSE_MAX_DIM);
    if (!(p->density >= 0.0 && p->density <= 1.0))
        return chm__fail(NULL, WHO, CHM_EINVAL, "density %g is not in [0, 1]", p->density);
    *o = (build_opts){ (int)p->format, p->step_bits ? p->step_bits : 4,
                       p->block_rows ? p->block_rows : 4, p->block_cols ? p->block_cols : 16,
                       p->code_bits ? p->code_bits : 8, p->threshold, p->density };
    if ((o->step_bits != CHM_SPARSE_STEP_AUTO && (o->step_bits < 1 || o->step_bits > 8)) ||
        o->code_bits < 1 || o->code_bits > 8)
        return chm__fail(NULL, WHO, CHM_EINVAL, "step_bits %d / code_bits %d: each must be 1..8 "
                         "(step_bits also CHM_SPARSE_STEP_AUTO)", o->step_bits, o->code_bits);
    if (o->br < 1 || o->br > (int)SPARSE_MAX_BLOCK || o->bc < 1 || o->bc > (int)SPARSE_MAX_BLOCK)
        return chm__fail(NULL, WHO, CHM_EINVAL, "block %dx%d: each side must be 1..%u", o->br,
                         o->bc, SPARSE_MAX_BLOCK);
    if (o->threshold < 0 || o->threshold > 128)
        return chm__fail(NULL, WHO, CHM_EINVAL, "threshold %d is not in 0..128", o->threshold);
    return CHM_OK;
}

typedef struct scored {
    int64_t score;
    uint32_t index;
} scored;

static int by_score_desc(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* keep[i] = 1 for the n items to keep: top density share by score, or score > threshold. */
static void choose(scored *items, uint32_t n, const build_opts *o, uint8_t *keep)
{
    uint32_t k = 0;
    if (o->density > 0.0) {
        uint64_t want = (uint64_t)(o->density * n + 0.5);
        qsort(items, n, sizeof *items, by_score_desc);
        for (uint32_t i = 0; i < n && k < want; i++)
            if (items[i].score > 0)
                keep[items[i].index] = 1, k++;
        return;
    }
    for (uint32_t i = 0; i < n; i++)
        keep[items[i].index] = items[i].score > o->threshold;
}

/* X entries (kept weights plus padding) with steps of `bits` bits. */
static uint64_t x_entries(int rows, int cols, const uint8_t *keep, int bits, uint64_t *nnz)
{
    const uint32_t max_step = (1u << bits) - 1;
    uint64_t entries = 0, n = 0;
    for (int r = 0; r < rows; r++) {
        int64_t last = -1;
        for (int c = 0; c < cols; c++) {
            if (!keep[(size_t)r * cols + c])
                continue;
            entries += (uint64_t)(c - last - 1) / max_step + 1;
            n++;
            last = c;
        }
    }
    *nnz = n;
    return entries;
}

/*
 * CHM_SPARSE_STEP_AUTO: the step width giving the fewest bytes of values and
 * steps (an entry is a value byte and a step field; narrow steps need padding
 * entries across long gaps). On a tie the wider width: fewer entries, fewer
 * walker cycles.
 */
static int x_best_step_bits(int rows, int cols, const uint8_t *keep)
{
    int best = 8;
    uint64_t best_bytes = UINT64_MAX, nnz;
    for (int b = 8; b >= 1; b--) {
        const uint64_t e = x_entries(rows, cols, keep, b, &nnz);
        const uint64_t bytes = e + hls_field_bytes(e, (uint32_t)b);
        if (bytes < best_bytes)
            best = b, best_bytes = bytes;
    }
    return best;
}

static chm_sparse *build_x(const int8_t *w, int rows, int cols, const build_opts *o,
                           const uint8_t *keep)
{
    const int bits = o->step_bits == CHM_SPARSE_STEP_AUTO ? x_best_step_bits(rows, cols, keep)
                                                          : o->step_bits;
    const uint32_t max_step = (1u << bits) - 1;
    uint64_t nnz;
    const uint64_t entries = x_entries(rows, cols, keep, bits, &nnz);
    if (entries > UINT32_MAX / 2)
        return NULL;
    sparse_hdr h = { .format = SPARSE_FMT_X, .rows = (uint32_t)rows, .cols = (uint32_t)cols,
                     .step_bits = (uint32_t)bits, .entries = (uint32_t)entries,
                     .nnz = (uint32_t)nnz };
    chm_sparse *s = chm__sparse_alloc(h, (uint32_t)rows + 1, (uint32_t)entries,
                                      (uint32_t)hls_field_bytes(entries, h.step_bits), 0);
    if (!s)
        return NULL;
    uint32_t *ptr = (uint32_t *)(s->blob + s->hdr->off_ptr);
    int8_t *val = (int8_t *)(s->blob + s->hdr->off_a);
    uint8_t *step = s->blob + s->hdr->off_b;
    uint32_t e = 0;
    for (int r = 0; r < rows; r++) {
        ptr[r] = e;
        int64_t last = -1;
        for (int c = 0; c < cols; c++) {
            if (!keep[(size_t)r * cols + c])
                continue;
            for (int64_t gap = c - last; gap > (int64_t)max_step; gap -= max_step) {
                val[e] = 0; /* padding: moves max_step columns, adds nothing */
                hls_wr_field(step, e++, h.step_bits, max_step);
                last += max_step;
            }
            val[e] = w[(size_t)r * cols + c];
            hls_wr_field(step, e++, h.step_bits, (uint32_t)(c - last));
            last = c;
        }
    }
    ptr[rows] = e;
    return s;
}

/* Rounds a/b to nearest, ties away from zero (b > 0). */
static int64_t div_round(int64_t a, int64_t b)
{
    return a >= 0 ? (2 * a + b) / (2 * b) : -((-2 * a + b) / (2 * b));
}

/*
 * Local quantization (Cambricon-S §3.3): a codebook of 2^bits - 1 nonzero
 * int8 values for the kept weights, by 1-D k-means (Lloyd) over their
 * histogram; code 0 is 0. With no more distinct values than codes, lossless.
 */
static void make_codebook(const uint64_t hist[256], int bits, int8_t book[256], uint8_t map[256])
{
    const int k = (1 << bits) - 1;
    int cent[255], n = 0;
    uint64_t total = 0;
    for (int v = -128; v < 128; v++)
        if (v && hist[v + 128])
            total += hist[v + 128], n++;
    if (n <= k) { /* every distinct value gets its own code */
        n = 0;
        for (int v = -128; v < 128; v++)
            if (v && hist[v + 128])
                cent[n++] = v;
    } else { /* start at the quantiles, then Lloyd */
        uint64_t seen = 0;
        int c = 0;
        for (int v = -128; v < 128 && c < k; v++) {
            if (!v || !hist[v + 128])
                continue;
            seen += hist[v + 128];
            while (c < k && seen * (uint64_t)k >= (uint64_t)(2 * c + 1) * total / 2)
                cent[c++] = v;
        }
        n = c;
        for (int it = 0; it < 30; it++) {
            int64_t sum[255] = { 0 }, cnt[255] = { 0 };
            for (int v = -128; v < 128; v++) {
                if (!v || !hist[v + 128])
                    continue;
                int best = 0;
                for (int j = 1; j < n; j++)
                    if (abs(v - cent[j]) < abs(v - cent[best]))
                        best = j;
                sum[best] += (int64_t)v * (int64_t)hist[v + 128];
                cnt[best] += (int64_t)hist[v + 128];
            }
            for (int j = 0; j < n; j++)
                if (cnt[j])
                    cent[j] = (int)div_round(sum[j], cnt[j]);
        }
    }
    memset(book, 0, 256);
    memset(map, 0, 256);
    for (int j = 0; j < n; j++)
        book[j + 1] = (int8_t)cent[j];
    for (int v = -128; v < 128; v++) {
        if (!v || n == 0)
            continue;
        int best = 0;
        for (int j = 1; j < n; j++)
            if (abs(v - cent[j]) < abs(v - cent[best]))
                best = j;
        map[v + 128] = (uint8_t)(best + 1);
    }
}

static chm_sparse *build_s(const int8_t *w, int rows, int cols, const build_opts *o,
                           const uint8_t *keep_block)
{
    const uint32_t br = (uint32_t)o->br, bc = (uint32_t)o->bc;
    const uint32_t groups = ((uint32_t)rows + br - 1) / br, cbs = ((uint32_t)cols + bc - 1) / bc;
    uint64_t kept = 0, hist[256] = { 0 };
    for (uint32_t b = 0; b < groups * cbs; b++) {
        if (!keep_block[b])
            continue;
        kept++;
        for (uint32_t i = 0; i < br; i++)
            for (uint32_t j = 0; j < bc; j++) {
                uint32_t r = b / cbs * br + i, c = b % cbs * bc + j;
                if (r < (uint32_t)rows && c < (uint32_t)cols)
                    hist[w[(size_t)r * cols + c] + 128]++;
            }
    }
    if (kept * br * bc > UINT32_MAX / 2)
        return NULL;
    sparse_hdr h = { .format = SPARSE_FMT_S, .rows = (uint32_t)rows, .cols = (uint32_t)cols,
                     .block_rows = br, .block_cols = bc, .code_bits = (uint32_t)o->code_bits,
                     .entries = (uint32_t)kept };
    chm_sparse *s = chm__sparse_alloc(h, groups + 1, 2 * (uint32_t)kept,
                                      (uint32_t)hls_field_bytes(kept * br * bc, h.code_bits), 256);
    if (!s)
        return NULL;
    uint32_t *ptr = (uint32_t *)(s->blob + s->hdr->off_ptr);
    uint16_t *col = (uint16_t *)(s->blob + s->hdr->off_a);
    uint8_t *code = s->blob + s->hdr->off_b, map[256];
    int8_t *book = (int8_t *)(s->blob + s->hdr->off_c);
    make_codebook(hist, o->code_bits, book, map);
    uint32_t k = 0, nnz = 0;
    for (uint32_t g = 0; g < groups; g++) {
        ptr[g] = k;
        for (uint32_t cb = 0; cb < cbs; cb++) {
            if (!keep_block[g * cbs + cb])
                continue;
            col[k] = (uint16_t)cb;
            for (uint32_t i = 0; i < br; i++)
                for (uint32_t j = 0; j < bc; j++) {
                    uint32_t r = g * br + i, c = cb * bc + j;
                    uint8_t q = (r < (uint32_t)rows && c < (uint32_t)cols)
                                    ? map[w[(size_t)r * cols + c] + 128] : 0;
                    hls_wr_field(code, ((uint64_t)k * br + i) * bc + j, h.code_bits, q);
                    nnz += book[q] != 0;
                }
            k++;
        }
    }
    ptr[groups] = k;
    s->hdr->nnz = nnz;
    return s;
}

int chm_sparse_from_dense(const int8_t *w, int rows, int cols, const chm_sparse_params *p,
                          chm_sparse **out)
{
    build_opts o;
    int rc = take_params(p, rows, cols, &o);
    if (rc)
        return rc;
    if (!w || !out)
        return chm__fail(NULL, WHO, CHM_EINVAL, "w and out must not be NULL");
    const uint32_t br = (uint32_t)o.br, bc = (uint32_t)o.bc;
    const uint32_t cbs = ((uint32_t)cols + bc - 1) / bc;
    const uint32_t n = o.format == CHM_SPARSE_X ? (uint32_t)rows * (uint32_t)cols
                                                : (((uint32_t)rows + br - 1) / br) * cbs;
    scored *items = calloc(n, sizeof *items);
    uint8_t *keep = calloc(n, 1);
    chm_sparse *s = NULL;
    if (items && keep) {
        for (uint32_t i = 0; i < n; i++)
            items[i].index = i;
        if (o.format == CHM_SPARSE_X) {
            for (uint32_t i = 0; i < n; i++)
                items[i].score = abs(w[i]);
        } else { /* a block's score: sum |w| to rank, max |w| against a threshold */
            for (uint32_t r = 0; r < (uint32_t)rows; r++)
                for (uint32_t c = 0; c < (uint32_t)cols; c++) {
                    scored *it = &items[r / br * cbs + c / bc];
                    int64_t a = abs(w[(size_t)r * cols + c]);
                    it->score = o.density > 0 ? it->score + a : (a > it->score ? a : it->score);
                }
        }
        choose(items, n, &o, keep);
        s = o.format == CHM_SPARSE_X ? build_x(w, rows, cols, &o, keep)
                                     : build_s(w, rows, cols, &o, keep);
    }
    free(items);
    free(keep);
    if (!s)
        return chm__fail(NULL, WHO, CHM_ENOMEM, "no host memory to compress %dx%d weights", rows,
                         cols);
    *out = s;
    return CHM_OK;
}

int chm_sparse_from_csr(int rows, int cols, const int32_t *row_ptr, const int32_t *col_idx,
                        const int8_t *values, const chm_sparse_params *p, chm_sparse **out)
{
    build_opts o;
    int rc = take_params(p, rows, cols, &o);
    if (rc)
        return rc;
    if (!row_ptr || !out || (row_ptr[rows] > 0 && (!col_idx || !values)))
        return chm__fail(NULL, WHO, CHM_EINVAL, "row_ptr, col_idx, values and out must be set");
    if (row_ptr[0] != 0)
        return chm__fail(NULL, WHO, CHM_EFORMAT, "row_ptr[0] is %d, expected 0", row_ptr[0]);
    for (int r = 0; r < rows; r++) {
        if (row_ptr[r + 1] < row_ptr[r])
            return chm__fail(NULL, WHO, CHM_EFORMAT, "row_ptr decreases at row %d", r);
        for (int32_t e = row_ptr[r]; e < row_ptr[r + 1]; e++)
            if (col_idx[e] < 0 || col_idx[e] >= cols || (e > row_ptr[r] && col_idx[e] <= col_idx[e - 1]))
                return chm__fail(NULL, WHO, CHM_EFORMAT,
                                 "row %d: column %d is outside 0..%d or not ascending", r,
                                 col_idx[e], cols - 1);
    }
    int8_t *w = calloc((size_t)rows * cols, 1);
    if (!w)
        return chm__fail(NULL, WHO, CHM_ENOMEM, "no host memory for %dx%d weights", rows, cols);
    for (int r = 0; r < rows; r++)
        for (int32_t e = row_ptr[r]; e < row_ptr[r + 1]; e++)
            w[(size_t)r * cols + col_idx[e]] = values[e];
    rc = chm_sparse_from_dense(w, rows, cols, p, out);
    free(w);
    return rc;
}

#define BAD(...) chm__fail(NULL, "chm_sparse_import", CHM_EFORMAT, __VA_ARGS__)

static int check_x(const uint8_t *blob, const sparse_hdr *h)
{
    const uint32_t *ptr = (const uint32_t *)(blob + h->off_ptr);
    const int8_t *val = (const int8_t *)(blob + h->off_a);
    const uint8_t *step = blob + h->off_b;
    const uint32_t max_step = (1u << h->step_bits) - 1;
    uint32_t nnz = 0;
    if (ptr[0] != 0 || ptr[h->rows] != h->entries)
        return BAD("row pointers span [%u, %u), the header says %u entries", ptr[0], ptr[h->rows],
                   h->entries);
    for (uint32_t r = 0; r < h->rows; r++) {
        if (ptr[r + 1] < ptr[r] || ptr[r + 1] > h->entries)
            return BAD("row pointer of row %u goes backwards or past the %u entries", r + 1,
                       h->entries);
        int64_t col = -1;
        for (uint32_t e = ptr[r]; e < ptr[r + 1]; e++) {
            const uint32_t st = hls_rd_field(step, e, h->step_bits);
            if (st < 1 || st > max_step)
                return BAD("entry %u: step %u is outside 1..%u (%u-bit field)", e, st, max_step,
                           h->step_bits);
            col += st;
            if (col >= h->cols)
                return BAD("row %u: entry %u steps to column %lld, past the row's %u columns", r,
                           e, (long long)col, h->cols);
            nnz += val[e] != 0;
        }
    }
    if (nnz != h->nnz)
        return BAD("%u nonzero values stored, the header says %u", nnz, h->nnz);
    return CHM_OK;
}

static int check_s(const uint8_t *blob, const sparse_hdr *h)
{
    const uint32_t br = h->block_rows, bc = h->block_cols;
    const uint32_t groups = (h->rows + br - 1) / br, cbs = (h->cols + bc - 1) / bc;
    const uint32_t *ptr = (const uint32_t *)(blob + h->off_ptr);
    const uint16_t *col = (const uint16_t *)(blob + h->off_a);
    const uint8_t *code = blob + h->off_b;
    const int8_t *book = (const int8_t *)(blob + h->off_c);
    uint32_t nnz = 0;
    if (book[0] != 0)
        return BAD("codebook entry 0 is %d; code 0 must mean 0", book[0]);
    if (ptr[0] != 0 || ptr[groups] != h->entries)
        return BAD("group pointers span [%u, %u), the header says %u blocks", ptr[0],
                   ptr[groups], h->entries);
    for (uint32_t g = 0; g < groups; g++) {
        if (ptr[g + 1] < ptr[g] || ptr[g + 1] > h->entries)
            return BAD("group pointer of row group %u goes backwards or past the %u blocks", g + 1,
                       h->entries);
        for (uint32_t k = ptr[g]; k < ptr[g + 1]; k++) {
            if (col[k] >= cbs || (k > ptr[g] && col[k] <= col[k - 1]))
                return BAD("block %u: column block %u is outside 0..%u or not ascending", k,
                           col[k], cbs - 1);
            for (uint32_t i = 0; i < br * bc; i++) {
                const uint32_t q = hls_rd_field(code, (uint64_t)k * br * bc + i, h->code_bits);
                uint32_t r = g * br + i / bc, c = col[k] * bc + i % bc;
                if ((r >= h->rows || c >= h->cols) && q != 0)
                    return BAD("block %u: code %u outside the %ux%u matrix", k, q, h->rows,
                               h->cols);
                nnz += book[q] != 0 && r < h->rows && c < h->cols;
            }
        }
    }
    if (nnz != h->nnz)
        return BAD("%u nonzero weights decode, the header says %u", nnz, h->nnz);
    return CHM_OK;
}

int chm__sparse_check(const uint8_t *blob, size_t bytes)
{
    sparse_hdr h;
    if (!blob || bytes < sizeof h)
        return BAD("%zu bytes: shorter than the 64-byte header", bytes);
    memcpy(&h, blob, sizeof h);
    if (h.magic != SPARSE_MAGIC)
        return BAD("bad magic 0x%08x", h.magic);
    if (h.format != SPARSE_FMT_X && h.format != SPARSE_FMT_S)
        return BAD("format %u is neither X (1) nor S (2)", h.format);
    if (h.bytes != bytes)
        return BAD("header says %u bytes, the blob has %zu", h.bytes, bytes);
    if (!h.rows || !h.cols || h.rows > SPARSE_MAX_DIM || h.cols > SPARSE_MAX_DIM)
        return BAD("%ux%u: rows and cols must be 1..%u", h.rows, h.cols, SPARSE_MAX_DIM);
    int x = h.format == SPARSE_FMT_X;
    if (x ? (h.step_bits < 1 || h.step_bits > 8)
          : (h.code_bits < 1 || h.code_bits > 8 || h.block_rows < 1 ||
             h.block_rows > SPARSE_MAX_BLOCK || h.block_cols < 1 || h.block_cols > SPARSE_MAX_BLOCK))
        return BAD("field widths or block shape out of range");
    uint64_t groups = x ? h.rows : (h.rows + h.block_rows - 1) / h.block_rows;
    uint64_t need[4][2] = { /* offset, size of each array */
        { h.off_ptr, 4 * (groups + 1) },
        { h.off_a, x ? h.entries : 2ull * h.entries },
        { h.off_b, x ? hls_field_bytes(h.entries, h.step_bits)
                     : hls_field_bytes((uint64_t)h.entries * h.block_rows * h.block_cols, h.code_bits) },
        { h.off_c, x ? 0 : 256 },
    };
    for (int i = 0; i < 4; i++)
        if (need[i][0] % 8 || need[i][0] < sizeof h || need[i][0] + need[i][1] > bytes)
            return BAD("array %d at [%llu, +%llu) is misaligned or outside the %zu-byte blob", i,
                       (unsigned long long)need[i][0], (unsigned long long)need[i][1], bytes);
    return x ? check_x(blob, &h) : check_s(blob, &h);
}

int chm_sparse_import(const void *blob, size_t bytes, chm_sparse **out)
{
    if (!out)
        return BAD("out is NULL");
    int rc = chm__sparse_check(blob, bytes);
    if (rc)
        return rc;
    sparse_hdr h;
    memcpy(&h, blob, sizeof h);
    chm_sparse *s = calloc(1, sizeof *s);
    if (s)
        s->blob = malloc(bytes);
    if (!s || !s->blob) {
        free(s);
        return chm__fail(NULL, "chm_sparse_import", CHM_ENOMEM, "no host memory for %zu bytes", bytes);
    }
    memcpy(s->blob, blob, bytes);
    s->hdr = (sparse_hdr *)s->blob;
    *out = s;
    return CHM_OK;
}
