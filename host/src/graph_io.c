/*
 * graph_io.c - reading graphs and node features from files: Matrix Market,
 * edge lists and the Planetoid (LINQS) text format. Every malformed file is
 * refused with CHM_EFORMAT and the line that is wrong; nothing is created.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "device.h"
#include "graph.h"

/* A file read line by line, counting lines for the messages. */
typedef struct reader {
    const char *who, *path;
    FILE *f;
    char *line;
    size_t cap;
    int64_t lineno;
    int64_t file_bytes;     /* the file's size: no count in it can claim more than this */
} reader;

static int reader_open(reader *r, const char *who, const char *path)
{
    memset(r, 0, sizeof *r);
    r->who = who;
    r->path = path;
    if (!path)
        return chm__fail(NULL, who, CHM_EINVAL, "path is NULL");
    r->f = fopen(path, "r");
    if (!r->f)
        return chm__fail(NULL, who, CHM_EIO, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(r->f), &st) || !S_ISREG(st.st_mode)) {
        int dir = S_ISDIR(st.st_mode);
        fclose(r->f);
        r->f = NULL;
        return chm__fail(NULL, who, CHM_EIO, "%s %s", path,
                         dir ? "is a directory" : "is not a regular file");
    }
    r->file_bytes = (int64_t)st.st_size;
    return CHM_OK;
}

static void reader_close(reader *r)
{
    if (r->f)
        fclose(r->f);
    free(r->line);
}

/* Next line that is not blank and not a comment (comment chars in `skip`); 0 at EOF. */
static int next_line(reader *r, const char *skip)
{
    while (getline(&r->line, &r->cap, r->f) >= 0) {
        r->lineno++;
        char *p = r->line;
        while (isspace((unsigned char)*p))
            p++;
        if (*p && !strchr(skip, *p))
            return 1;
    }
    return 0;
}

#define BAD(r, ...) bad_line((r), __VA_ARGS__)
static int bad_line(reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad_line(reader *r, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return chm__fail(NULL, r->who, CHM_EFORMAT, "%s:%lld: %s", r->path, (long long)r->lineno, msg);
}

/* Splits the line in place into at most max tokens; returns the count (max + 1 if more). */
static int tokens(char *line, char **tok, int max)
{
    int n = 0;
    for (char *p = strtok(line, " \t\r\n"); p; p = strtok(NULL, " \t\r\n")) {
        if (n == max)
            return max + 1;
        tok[n++] = p;
    }
    return n;
}

static int parse_i64(const char *s, int64_t *v)
{
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    *v = x;
    return 0;
}

static int parse_float(const char *s, float *v)
{
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(x) || fabs(x) > 3.0e38)
        return -1;
    *v = (float)x;
    return 0;
}

typedef struct mtx_header {
    int array, pattern, symmetric;
    int64_t rows, cols, nnz;
} mtx_header;

/* The banner and the size line of a Matrix Market file. */
static int mtx_header_read(reader *r, mtx_header *h, int allow_array)
{
    memset(h, 0, sizeof *h);
    if (getline(&r->line, &r->cap, r->f) < 0)
        return BAD(r, "empty file, expected a %%%%MatrixMarket banner");
    r->lineno = 1;
    char *tok[6];
    int n = tokens(r->line, tok, 5);
    if (n != 5 || strcmp(tok[0], "%%MatrixMarket") || strcasecmp(tok[1], "matrix"))
        return BAD(r, "not a Matrix Market banner (%%%%MatrixMarket matrix <format> <field> <symmetry>)");
    if (!strcasecmp(tok[2], "array") && allow_array)
        h->array = 1;
    else if (strcasecmp(tok[2], "coordinate"))
        return BAD(r, "format '%s' not supported (coordinate%s)", tok[2], allow_array ? " or array" : "");
    if (!strcasecmp(tok[3], "pattern") && !h->array)
        h->pattern = 1;
    else if (strcasecmp(tok[3], "real") && strcasecmp(tok[3], "integer"))
        return BAD(r, "field '%s' not supported (pattern, real or integer)", tok[3]);
    if (!strcasecmp(tok[4], "symmetric") && !h->array)
        h->symmetric = 1;
    else if (strcasecmp(tok[4], "general"))
        return BAD(r, "symmetry '%s' not supported (general or symmetric)", tok[4]);
    if (!next_line(r, "%"))
        return BAD(r, "no size line after the banner");
    n = tokens(r->line, tok, 3);
    if (n != (h->array ? 2 : 3) || parse_i64(tok[0], &h->rows) || parse_i64(tok[1], &h->cols) ||
        (!h->array && parse_i64(tok[2], &h->nnz)))
        return BAD(r, "size line must be '<rows> <cols>%s'", h->array ? "" : " <entries>");
    if (h->rows < 1 || h->cols < 1 || h->rows > CHM_GRAPH_MAX_VERTICES ||
        h->cols > CHM_GRAPH_MAX_VERTICES || h->nnz < 0)
        return BAD(r, "sizes %lld x %lld with %lld entries are out of range (1..%d rows and "
                   "columns)", (long long)h->rows, (long long)h->cols, (long long)h->nnz,
                   CHM_GRAPH_MAX_VERTICES);
    if (h->array && __builtin_mul_overflow(h->rows, h->cols, &h->nnz))
        return BAD(r, "%lld x %lld values overflow", (long long)h->rows, (long long)h->cols);
    /* An entry is at least two bytes ("1\n"; "1 1\n" for coordinates): a size
     * line claiming more than the file can hold is refused before anything
     * is allocated for it. */
    const int64_t min_entry = h->array ? 2 : 4;
    if (h->nnz > r->file_bytes / min_entry)
        return BAD(r, "the size line claims %lld entries; a file of %lld bytes holds at most %lld",
                   (long long)h->nnz, (long long)r->file_bytes, (long long)(r->file_bytes / min_entry));
    return CHM_OK;
}

/* One coordinate entry: 1-based (i, j) checked against the header, and its value. */
static int mtx_entry(reader *r, const mtx_header *h, int64_t k, int64_t *i, int64_t *j, float *v)
{
    if (!next_line(r, "%"))
        return BAD(r, "file ends after %lld of %lld entries", (long long)k, (long long)h->nnz);
    char *tok[4];
    const int want = h->pattern ? 2 : 3, n = tokens(r->line, tok, 3);
    if (n != want)
        return BAD(r, "entry has %d fields, expected %d", n > 3 ? 4 : n, want);
    if (parse_i64(tok[0], i) || parse_i64(tok[1], j))
        return BAD(r, "entry indexes must be integers");
    if (*i < 1 || *i > h->rows || *j < 1 || *j > h->cols)
        return BAD(r, "entry (%lld, %lld) is outside the %lld x %lld matrix (indexes are 1-based)",
                   (long long)*i, (long long)*j, (long long)h->rows, (long long)h->cols);
    if (h->symmetric && *j > *i)
        return BAD(r, "entry (%lld, %lld) is above the diagonal of a symmetric matrix", (long long)*i,
                   (long long)*j);
    *v = 1.0f;
    if (!h->pattern && parse_float(tok[2], v))
        return BAD(r, "value '%s' is not a finite number", tok[2]);
    return CHM_OK;
}

static int mtx_no_more(reader *r, const mtx_header *h)
{
    if (next_line(r, "%"))
        return BAD(r, "more entries than the %lld the size line gives", (long long)h->nnz);
    return CHM_OK;
}

int chm_graph_load_mtx(const char *path, unsigned flags, chm_graph **out)
{
    reader r;
    if (!out)
        return chm__fail(NULL, __func__, CHM_EINVAL, "out is NULL");
    int rc = reader_open(&r, __func__, path);
    mtx_header h;
    graph_edge *e = NULL;
    if (!rc)
        rc = mtx_header_read(&r, &h, 0);
    if (!rc && h.rows != h.cols)
        rc = BAD(&r, "a graph's matrix is square; this one is %lld x %lld", (long long)h.rows,
                 (long long)h.cols);
    if (!rc)
        rc = chm__graph_check_vertices(__func__, r.path, h.rows, h.nnz);
    if (!rc && !(e = chm__alloc_array(h.nnz ? h.nnz : 1, sizeof *e)))
        rc = chm__fail(NULL, __func__, CHM_ENOMEM, "no memory for %lld entries", (long long)h.nnz);
    for (int64_t k = 0; !rc && k < h.nnz; k++) {
        int64_t i, j;
        float v;
        rc = mtx_entry(&r, &h, k, &i, &j, &v);
        e[k] = (graph_edge){ (int32_t)(j - 1), (int32_t)(i - 1), v, r.lineno, 0 };
    }
    if (!rc)
        rc = mtx_no_more(&r, &h);
    if (!rc)
        rc = chm__graph_build(__func__, h.rows, e, h.nnz, flags | (h.symmetric ? CHM_GRAPH_SYMMETRIC : 0),
                              !h.pattern, out);
    free(e);
    reader_close(&r);
    return rc;
}

int chm_mtx_read_dense(const char *path, float **data, int64_t *rows, int64_t *cols)
{
    reader r;
    if (!data || !rows || !cols)
        return chm__fail(NULL, __func__, CHM_EINVAL, "data, rows and cols must not be NULL");
    int rc = reader_open(&r, __func__, path);
    mtx_header h;
    float *m = NULL;
    uint8_t *set = NULL;
    if (!rc)
        rc = mtx_header_read(&r, &h, 1);
    int64_t cells = 0;
    if (!rc && (__builtin_mul_overflow(h.rows, h.cols, &cells) || cells > ((int64_t)1 << 31)))
        rc = BAD(&r, "%lld x %lld is too large a dense matrix", (long long)h.rows, (long long)h.cols);
    if (!rc && h.symmetric && h.rows != h.cols)
        rc = BAD(&r, "a symmetric matrix is square; this one is %lld x %lld", (long long)h.rows,
                 (long long)h.cols);
    if (!rc && (!(m = calloc((size_t)cells, sizeof *m)) || !(set = calloc((size_t)cells, 1))))
        rc = chm__fail(NULL, __func__, CHM_ENOMEM, "no memory for %lld x %lld", (long long)h.rows,
                       (long long)h.cols);
    for (int64_t k = 0; !rc && k < h.nnz; k++) {
        if (h.array) { /* column-major values, one a line */
            char *tok[2];
            if (!next_line(&r, "%"))
                rc = BAD(&r, "file ends after %lld of %lld values", (long long)k, (long long)h.nnz);
            else if (tokens(r.line, tok, 1) != 1 || parse_float(tok[0], &m[(k % h.rows) * h.cols + k / h.rows]))
                rc = BAD(&r, "expected one finite number");
            continue;
        }
        int64_t i, j;
        float v;
        rc = mtx_entry(&r, &h, k, &i, &j, &v);
        if (rc)
            break;
        const int64_t at = (i - 1) * h.cols + (j - 1);
        if (set[at])
            rc = BAD(&r, "entry (%lld, %lld) given twice", (long long)i, (long long)j);
        set[at] = 1;
        m[at] = v;
        if (h.symmetric) {
            m[(j - 1) * h.cols + (i - 1)] = v;
            set[(j - 1) * h.cols + (i - 1)] = 1;
        }
    }
    if (!rc)
        rc = mtx_no_more(&r, &h);
    free(set);
    reader_close(&r);
    if (rc) {
        free(m);
        return rc;
    }
    *data = m;
    *rows = h.rows;
    *cols = h.cols;
    return CHM_OK;
}

int chm_graph_load_edgelist(const char *path, int64_t n, unsigned flags, chm_graph **out)
{
    reader r;
    if (!out || n < 0 || n > CHM_GRAPH_MAX_VERTICES)
        return chm__fail(NULL, __func__, CHM_EINVAL, "out must not be NULL and n in 0..%d", CHM_GRAPH_MAX_VERTICES);
    int rc = reader_open(&r, __func__, path);
    graph_edge *e = NULL;
    int64_t count = 0, cap = 0, top = -1;
    int weighted = -1;
    while (!rc && next_line(&r, "#%")) {
        char *tok[4];
        const int k = tokens(r.line, tok, 3);
        int64_t s = 0, d = 0;
        float w = 1.0f;
        if (k < 2 || k > 3)
            rc = BAD(&r, "expected 'src dst [weight]'");
        else if (weighted >= 0 && weighted != (k == 3))
            rc = BAD(&r, "%s a weight where earlier lines %s", k == 3 ? "has" : "lacks", k == 3 ? "have none" : "have one");
        else if (parse_i64(tok[0], &s) || parse_i64(tok[1], &d) || (k == 3 && parse_float(tok[2], &w)))
            rc = BAD(&r, "expected integer vertex ids and a finite weight");
        else if (s < 0 || d < 0 || (n && (s >= n || d >= n)) || s > CHM_GRAPH_MAX_VERTICES - 1 || d > CHM_GRAPH_MAX_VERTICES - 1)
            rc = BAD(&r, "edge %lld -> %lld: vertex ids are 0..%lld", (long long)s, (long long)d,
                     (long long)(n ? n - 1 : CHM_GRAPH_MAX_VERTICES - 1));
        if (rc)
            break;
        weighted = k == 3;
        if (count == cap) {
            cap = cap ? 2 * cap : 1024;
            graph_edge *ne = chm__realloc_array(e, cap, sizeof *e);
            if (!ne) {
                rc = chm__fail(NULL, __func__, CHM_ENOMEM, "no memory for %lld edges", (long long)cap);
                break;
            }
            e = ne;
        }
        e[count++] = (graph_edge){ (int32_t)s, (int32_t)d, w, r.lineno, 0 };
        top = s > top ? s : top;
        top = d > top ? d : top;
    }
    if (!rc && !n && top < 0)
        rc = BAD(&r, "no edges, and n is 0: the vertex count is unknown");
    if (!rc && !n)
        rc = chm__graph_check_vertices(__func__, r.path, top + 1, count);
    if (!rc)
        rc = chm__graph_build(__func__, n ? n : top + 1, e, count, flags, weighted == 1, out);
    free(e);
    reader_close(&r);
    return rc;
}

/* ------------------------------------------------- Planetoid / LINQS */

/* String -> index, open addressing (FNV-1a); keys are owned copies. */
typedef struct id_map {
    char **keys;
    int32_t *vals;
    size_t cap, count;
} id_map;

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static size_t id_slot(const id_map *m, const char *key)
{
    size_t i = fnv1a(key) & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], key))
        i = (i + 1) & (m->cap - 1);
    return i;
}

static int32_t id_find(const id_map *m, const char *key)
{
    if (!m->cap)
        return -1;
    size_t i = id_slot(m, key);
    return m->keys[i] ? m->vals[i] : -1;
}

/* Adds key with value val; -1 on no memory. */
static int id_add(id_map *m, const char *key, int32_t val)
{
    if (2 * (m->count + 1) > m->cap) {
        id_map bigger = { 0, 0, m->cap ? 2 * m->cap : 1024, m->count };
        bigger.keys = calloc(bigger.cap, sizeof *bigger.keys);
        bigger.vals = calloc(bigger.cap, sizeof *bigger.vals);
        if (!bigger.keys || !bigger.vals) {
            free(bigger.keys);
            free(bigger.vals);
            return -1;
        }
        for (size_t i = 0; i < m->cap; i++) {
            if (m->keys[i]) {
                size_t j = id_slot(&bigger, m->keys[i]);
                bigger.keys[j] = m->keys[i];
                bigger.vals[j] = m->vals[i];
            }
        }
        free(m->keys);
        free(m->vals);
        *m = bigger;
    }
    size_t i = id_slot(m, key);
    if (!(m->keys[i] = strdup(key)))
        return -1;
    m->vals[i] = val;
    m->count++;
    return 0;
}

static void id_free(id_map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->vals);
}

#define PLANETOID_MAX_TOKENS 65537 /* id, up to 65535 features, label */

typedef struct planetoid {
    char **tok;             /* PLANETOID_MAX_TOKENS + 1 token pointers (heap: no big stack frames) */
    id_map ids, classes;
    float *x;
    int32_t *y;
    int64_t n, cap;
    int f;
} planetoid;

/* One content line: id, f feature values, label. */
static int content_line(reader *r, planetoid *p)
{
    char **tok = p->tok;
    const int max_tok = PLANETOID_MAX_TOKENS;
    const int k = tokens(r->line, tok, max_tok);
    if (k > max_tok || k < 3)
        return BAD(r, "expected '<id> <features...> <label>' with 1..65535 features");
    if (p->f && k - 2 != p->f)
        return BAD(r, "%d features, earlier lines have %d", k - 2, p->f);
    p->f = k - 2;
    if (id_find(&p->ids, tok[0]) >= 0)
        return BAD(r, "vertex id '%s' appears twice", tok[0]);
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 1024;
        float *nx = chm__realloc_array(p->x, p->cap * p->f, sizeof *nx);
        if (nx)
            p->x = nx;
        int32_t *ny = chm__realloc_array(p->y, p->cap, sizeof *ny);
        if (ny)
            p->y = ny;
        if (!nx || !ny)
            return chm__fail(NULL, r->who, CHM_ENOMEM, "no memory for %lld vertices", (long long)p->cap);
    }
    for (int i = 0; i < p->f; i++)
        if (parse_float(tok[1 + i], &p->x[p->n * p->f + i]))
            return BAD(r, "feature %d ('%s') is not a finite number", i + 1, tok[1 + i]);
    int32_t c = id_find(&p->classes, tok[k - 1]);
    if (c < 0 && id_add(&p->classes, tok[k - 1], c = (int32_t)p->classes.count))
        return chm__fail(NULL, r->who, CHM_ENOMEM, "no memory for labels");
    if (id_add(&p->ids, tok[0], (int32_t)p->n))
        return chm__fail(NULL, r->who, CHM_ENOMEM, "no memory for vertex ids");
    p->y[p->n++] = c;
    return CHM_OK;
}

static int read_cites(reader *r, const planetoid *p, graph_edge **out, int64_t *count)
{
    int64_t cap = 0;
    graph_edge *e = NULL;
    int rc = CHM_OK;
    *count = 0;
    while (!rc && next_line(r, "#%")) {
        char *tok[3];
        int32_t cited = -1, citing = -1;
        if (tokens(r->line, tok, 2) != 2)
            rc = BAD(r, "expected '<cited id> <citing id>'");
        else if ((cited = id_find(&p->ids, tok[0])) < 0 || (citing = id_find(&p->ids, tok[1])) < 0)
            rc = BAD(r, "id '%s' is not in the content file", cited < 0 ? tok[0] : tok[1]);
        else if (*count == cap) {
            cap = cap ? 2 * cap : 4096;
            graph_edge *ne = chm__realloc_array(e, cap, sizeof *e);
            if (!ne)
                rc = chm__fail(NULL, r->who, CHM_ENOMEM, "no memory for %lld edges", (long long)cap);
            else
                e = ne;
        }
        if (!rc)
            e[(*count)++] = (graph_edge){ citing, cited, 1.0f, r->lineno, 0 };
    }
    *out = e;
    return rc;
}

int chm_graph_load_planetoid(const char *content_path, const char *cites_path, unsigned flags,
                             chm_graph **graph, float **features, int *n_features,
                             int32_t **labels, int *n_classes)
{
    const char *who = __func__;
    if (!graph || !features || !n_features || !labels || !n_classes)
        return chm__fail(NULL, who, CHM_EINVAL, "no output pointer may be NULL");
    planetoid p;
    memset(&p, 0, sizeof p);
    reader r;
    graph_edge *e = NULL;
    int64_t count = 0;
    if (!(p.tok = malloc((PLANETOID_MAX_TOKENS + 1) * sizeof *p.tok)))
        return chm__fail(NULL, who, CHM_ENOMEM, "no memory to split lines");
    int rc = reader_open(&r, who, content_path);
    while (!rc && next_line(&r, "#%"))
        rc = content_line(&r, &p);
    if (!rc && !p.n)
        rc = BAD(&r, "no vertices in the content file");
    reader_close(&r);
    if (!rc)
        rc = reader_open(&r, who, cites_path);
    if (!rc) {
        rc = read_cites(&r, &p, &e, &count);
        reader_close(&r);
    }
    chm_graph *g = NULL;
    if (!rc)
        rc = chm__graph_build(who, p.n, e, count, flags, 0, &g);
    free(e);
    free(p.tok);
    id_free(&p.ids);
    id_free(&p.classes);
    if (rc) {
        free(p.x);
        free(p.y);
        return rc;
    }
    *graph = g;
    *features = p.x;
    *n_features = p.f;
    *labels = p.y;
    *n_classes = (int)p.classes.count;
    return CHM_OK;
}
