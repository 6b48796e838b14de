/*
 * test_sparse_format.c - Cambricon-X and Cambricon-S weight formats on the
 * host: exact round trips, pruning to a density, the codebook, the size
 * accounting, and corrupt blobs refused with the reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hls_bytes.h"
#include "sparse_format.h"
#include "test_util.h"

/* A rows x cols matrix with about density of its entries nonzero; some rows empty. */
static int8_t *random_matrix(tu_rng *r, int rows, int cols, double density)
{
    int8_t *w = calloc((size_t)rows * cols, 1);
    for (int i = 0; i < rows; i++) {
        if (i % 7 == 3)
            continue; /* an empty row */
        for (int j = 0; j < cols; j++)
            if (tu_u32(r) < density * 4294967295.0)
                w[(size_t)i * cols + j] = (int8_t)(tu_range(r, 1, 127) * (tu_range(r, 0, 1) ? 1 : -1));
    }
    return w;
}

static void round_trip(int rows, int cols, double density, chm_sparse_params p, uint64_t seed)
{
    tu_rng r;
    tu_seed(&r, seed);
    int8_t *w = random_matrix(&r, rows, cols, density), *back = malloc((size_t)rows * cols);
    chm_sparse *s = NULL;
    CU_ASSERT_EQUAL_FATAL(chm_sparse_from_dense(w, rows, cols, &p, &s), CHM_OK);
    CU_ASSERT_EQUAL(chm_sparse_to_dense(s, back), CHM_OK);
    CU_ASSERT_EQUAL(memcmp(w, back, (size_t)rows * cols), 0);
    if (memcmp(w, back, (size_t)rows * cols))
        fprintf(stderr, "round trip failed: seed %llu %dx%d density %g format %d\n",
                (unsigned long long)seed, rows, cols, density, (int)p.format);
    chm_sparse_info info;
    chm_sparse_query(s, &info);
    uint64_t nnz = 0;
    for (size_t i = 0; i < (size_t)rows * cols; i++)
        nnz += w[i] != 0;
    CU_ASSERT_EQUAL(info.nnz, nnz);
    /* The blob survives export and import. */
    size_t len;
    const void *blob = chm_sparse_blob(s, &len);
    chm_sparse *t = NULL;
    CU_ASSERT_EQUAL(chm_sparse_import(blob, len, &t), CHM_OK);
    if (t) {
        memset(back, 0x5A, (size_t)rows * cols);
        chm_sparse_to_dense(t, back);
        CU_ASSERT_EQUAL(memcmp(w, back, (size_t)rows * cols), 0);
    }
    chm_sparse_free(t);
    chm_sparse_free(s);
    free(w);
    free(back);
}

static void test_round_trips(void)
{
    const double dens[] = { 1.0, 0.5, 0.1, 0.01, 0.0 };
    for (int d = 0; d < 5; d++) {
        for (int bits = 1; bits <= 8; bits += 3) /* narrow fields force padding entries */
            round_trip(37, 300, dens[d], (chm_sparse_params){ .format = CHM_SPARSE_X,
                                                               .step_bits = bits }, 10 + d);
        round_trip(37, 300, dens[d], (chm_sparse_params){ .format = CHM_SPARSE_S }, 20 + d);
        round_trip(17, 23, dens[d], (chm_sparse_params){ .format = CHM_SPARSE_S, .block_rows = 5,
                                                         .block_cols = 3 }, 30 + d);
        round_trip(1, 1, dens[d], (chm_sparse_params){ .format = CHM_SPARSE_S, .block_rows = 16,
                                                       .block_cols = 16 }, 40 + d);
    }
}

static void test_padding_entries(void)
{
    /* One row: nonzeros at columns 0 and 100; a 4-bit step reaches 15. */
    int8_t w[101] = { 0 };
    w[0] = 5, w[100] = -7;
    chm_sparse *s;
    CU_ASSERT_EQUAL_FATAL(chm_sparse_from_dense(w, 1, 101, &(chm_sparse_params){ .format = CHM_SPARSE_X }, &s), CHM_OK);
    chm_sparse_info info;
    chm_sparse_query(s, &info);
    CU_ASSERT_EQUAL(info.nnz, 2);
    CU_ASSERT_EQUAL(info.padding, 6); /* 100 = 6 x 15 + 10 */
    CU_ASSERT_EQUAL(info.index_bytes, (8 * 4 + 7) / 8 + 4 * 2);
    CU_ASSERT_EQUAL(info.value_bytes, 8);
    chm_sparse_free(s);
}

static void test_csr_round_trip(void)
{
    tu_rng r;
    tu_seed(&r, 7);
    for (int trial = 0; trial < 10; trial++) {
        int rows = tu_range(&r, 1, 40), cols = tu_range(&r, 1, 500);
        int8_t *w = random_matrix(&r, rows, cols, 0.05 * trial);
        int32_t *rp = malloc(4 * (size_t)(rows + 1)), *ci = malloc(4 * (size_t)rows * cols + 4);
        int8_t *v = malloc((size_t)rows * cols + 1);
        int n = 0;
        for (int i = 0; i < rows; i++) {
            rp[i] = n;
            for (int j = 0; j < cols; j++)
                if (w[(size_t)i * cols + j])
                    ci[n] = j, v[n++] = w[(size_t)i * cols + j];
        }
        rp[rows] = n;
        chm_sparse *s;
        CU_ASSERT_EQUAL_FATAL(chm_sparse_from_csr(rows, cols, rp, ci, v,
                              &(chm_sparse_params){ .format = CHM_SPARSE_X, .step_bits = 3 }, &s), CHM_OK);
        int32_t *rp2 = malloc(4 * (size_t)(rows + 1)), *ci2 = malloc(4 * (size_t)n + 4);
        int8_t *v2 = malloc((size_t)n + 1);
        CU_ASSERT_EQUAL(chm_sparse_to_csr(s, rp2, ci2, v2), CHM_OK);
        CU_ASSERT_EQUAL(memcmp(rp, rp2, 4 * (size_t)(rows + 1)), 0);
        CU_ASSERT_EQUAL(memcmp(ci, ci2, 4 * (size_t)n), 0);
        CU_ASSERT_EQUAL(memcmp(v, v2, (size_t)n), 0);
        chm_sparse_free(s);
        free(w), free(rp), free(ci), free(v), free(rp2), free(ci2), free(v2);
    }
    int32_t rp[3] = { 0, 2, 3 }, ci[3] = { 4, 2, 1 };
    int8_t v[3] = { 1, 2, 3 };
    chm_sparse *s;
    CU_ASSERT_EQUAL(chm_sparse_from_csr(2, 5, rp, ci, v, &(chm_sparse_params){ .format = CHM_SPARSE_X }, &s),
                    CHM_EFORMAT);
    CU_ASSERT_PTR_NOT_NULL(strstr(chm_last_error(NULL), "not ascending"));
}

static void test_pruning(void)
{
    tu_rng r;
    tu_seed(&r, 9);
    int8_t *w = random_matrix(&r, 64, 256, 1.0), *back = malloc(64 * 256);
    chm_sparse *s;
    chm_sparse_info info;
    /* X at 10%: exactly the largest magnitudes are kept. */
    CU_ASSERT_EQUAL_FATAL(chm_sparse_from_dense(w, 64, 256, &(chm_sparse_params){ .format = CHM_SPARSE_X, .density = 0.1 }, &s), CHM_OK);
    chm_sparse_query(s, &info);
    CU_ASSERT_EQUAL(info.nnz, (uint64_t)(0.1 * 64 * 256 + 0.5));
    chm_sparse_to_dense(s, back);
    int min_kept = 999, max_dropped = -1;
    for (int i = 0; i < 64 * 256; i++) {
        if (back[i]) {
            CU_ASSERT_EQUAL(back[i], w[i]);
            min_kept = abs(back[i]) < min_kept ? abs(back[i]) : min_kept;
        } else if (abs(w[i]) > max_dropped) {
            max_dropped = abs(w[i]);
        }
    }
    CU_ASSERT(min_kept >= max_dropped);
    chm_sparse_free(s);
    /* S at 25% of 4x4 blocks: a quarter of the blocks, each kept whole. */
    CU_ASSERT_EQUAL_FATAL(chm_sparse_from_dense(w, 64, 256, &(chm_sparse_params){ .format = CHM_SPARSE_S, .density = 0.25, .block_cols = 4 }, &s), CHM_OK);
    chm_sparse_query(s, &info);
    CU_ASSERT_EQUAL(info.kept_blocks, 16 * 64 / 4);
    chm_sparse_to_dense(s, back);
    for (int b = 0; b < 16 * 64; b++) {
        int kept = 0, same = 1;
        for (int i = 0; i < 16; i++) {
            int idx = (b / 64 * 4 + i / 4) * 256 + b % 64 * 4 + i % 4;
            kept |= back[idx] != 0;
            same &= back[idx] == w[idx];
        }
        if (kept)
            CU_ASSERT(same); /* 8-bit codes: lossless inside a kept block */
    }
    chm_sparse_free(s);
    free(w);
    free(back);
}

static void test_codebook(void)
{
    tu_rng r;
    tu_seed(&r, 13);
    int8_t *w = random_matrix(&r, 32, 64, 0.6), *back = malloc(32 * 64);
    chm_sparse *s;
    CU_ASSERT_EQUAL_FATAL(chm_sparse_from_dense(w, 32, 64, &(chm_sparse_params){ .format = CHM_SPARSE_S, .code_bits = 2 }, &s), CHM_OK);
    chm_sparse_to_dense(s, back);
    int distinct[256] = { 0 }, n = 0;
    for (int i = 0; i < 32 * 64; i++) {
        if (!w[i])
            CU_ASSERT_EQUAL(back[i], 0); /* zeros stay zero */
        if (back[i] && !distinct[back[i] + 128]++)
            n++;
    }
    CU_ASSERT(n <= 3); /* 2-bit codes: 3 values besides 0 */
    for (int i = 0; i < 32 * 64; i++) /* each weight took the nearest codebook value */
        for (int c = -128; c < 128 && w[i] && back[i]; c++)
            if (distinct[c + 128])
                CU_ASSERT(abs(w[i] - back[i]) <= abs(w[i] - c));
    chm_sparse_info info;
    chm_sparse_query(s, &info);
    CU_ASSERT_EQUAL(info.value_bytes, (info.kept_blocks * 4 * 16 * 2 + 7) / 8 + 4); /* 4x16 blocks */
    /* the card's blob holds the codes packed, as the format's size says */
    size_t len;
    sparse_hdr h;
    memcpy(&h, chm_sparse_blob(s, &len), sizeof h);
    CU_ASSERT_EQUAL(h.off_c - h.off_b, ((uint64_t)info.kept_blocks * 4 * 16 * 2 / 8 + 7) / 8 * 8);
    CU_ASSERT_EQUAL(len, h.off_c + 256);
    chm_sparse_free(s);
    free(w);
    free(back);
}

/* Imports a copy with field i of a bits-wide packed array at byte at set to value
 * (bits 8: a byte) and expects it refused with why. */
static void expect_corrupt_field(const uint8_t *blob, size_t len, size_t at, uint64_t i,
                                 uint32_t bits, uint32_t value, const char *why)
{
    uint8_t *bad = malloc(len);
    memcpy(bad, blob, len);
    hls_wr_field(bad + at, i, bits, value);
    chm_sparse *s = (chm_sparse *)&s;
    CU_ASSERT_EQUAL(chm_sparse_import(bad, len, &s), CHM_EFORMAT);
    CU_ASSERT_PTR_NOT_NULL(strstr(chm_last_error(NULL), why));
    if (!strstr(chm_last_error(NULL), why))
        fprintf(stderr, "expected \"%s\", got \"%s\"\n", why, chm_last_error(NULL));
    free(bad);
}

static void expect_corrupt(const uint8_t *blob, size_t len, size_t at, uint8_t value, const char *why)
{
    expect_corrupt_field(blob, len, at, 0, 8, value, why);
}

/* hls_rd_field / hls_wr_field against a bit-at-a-time reading of the same bytes,
 * every width 1..8, fields straddling bytes, neighbours untouched. */
static void test_packed_fields(void)
{
    tu_rng r;
    tu_seed(&r, 29);
    for (uint32_t bits = 1; bits <= 8; bits++) {
        uint8_t a[64], keep[64];
        uint32_t want[64 * 8];
        const uint32_t n = 64 * 8 / bits;
        for (int i = 0; i < 64; i++)
            a[i] = (uint8_t)tu_u32(&r);
        for (uint32_t i = 0; i < n; i++)
            want[i] = (uint32_t)tu_u32(&r) & ((1u << bits) - 1);
        for (uint32_t i = 0; i < n; i++)
            hls_wr_field(a, i, bits, want[i] | 0xF00u); /* bits past the width ignored */
        for (uint32_t i = 0; i < n; i++) {
            uint32_t v = 0;
            for (uint32_t b = 0; b < bits; b++) {
                const uint32_t at = i * bits + b;
                v |= (uint32_t)(a[at / 8] >> (at % 8) & 1u) << b;
            }
            CU_ASSERT_EQUAL(v, want[i]);
            CU_ASSERT_EQUAL(hls_rd_field(a, i, bits), want[i]);
        }
        /* rewriting one field leaves its neighbours as they were */
        memcpy(keep, a, sizeof a);
        const uint32_t mid = n / 2 + 1;
        hls_wr_field(a, mid, bits, ~want[mid]);
        for (uint32_t i = 0; i < n; i++)
            CU_ASSERT_EQUAL(hls_rd_field(a, i, bits), i == mid ? (~want[mid] & ((1u << bits) - 1)) : want[i]);
        hls_wr_field(a, mid, bits, want[mid]);
        CU_ASSERT_EQUAL(memcmp(a, keep, sizeof a), 0);
        CU_ASSERT_EQUAL(hls_field_bytes(n, bits), 64);
        CU_ASSERT_EQUAL(hls_field_bytes(n + 1, bits), 65);
    }
}

static void test_corrupt_blobs(void)
{
    int8_t w[4 * 40] = { 0 };
    w[3] = 9, w[39] = -4, w[40 + 17] = 1, w[120 + 38] = 2;
    chm_sparse *x, *s;
    CU_ASSERT_EQUAL_FATAL(chm_sparse_from_dense(w, 4, 40, &(chm_sparse_params){ .format = CHM_SPARSE_X }, &x), CHM_OK);
    CU_ASSERT_EQUAL_FATAL(chm_sparse_from_dense(w, 4, 40, &(chm_sparse_params){ .format = CHM_SPARSE_S, .code_bits = 3 }, &s), CHM_OK);
    size_t xl, sl;
    const uint8_t *xb = chm_sparse_blob(x, &xl), *sb = chm_sparse_blob(s, &sl);
    sparse_hdr xh, sh;
    memcpy(&xh, xb, sizeof xh);
    memcpy(&sh, sb, sizeof sh);
    expect_corrupt(xb, xl, 0, 'Z', "bad magic");
    /* steps are packed 4 bits each: the last one too far, the first one 0 */
    expect_corrupt_field(xb, xl, xh.off_b, xh.entries - 1, 4, 15, "past the row");
    expect_corrupt_field(xb, xl, xh.off_b, 0, 4, 0, "step 0 is outside 1..15");
    expect_corrupt(xb, xl, xh.off_a, 0, "nonzero values stored, the header says"); /* counts */
    expect_corrupt(xb, xl, xh.off_ptr + 4, 200, "goes backwards");
    /* 3-bit codes packed: a nonzero code in the third block's column 47, past the 40 columns */
    CU_ASSERT_EQUAL(sh.entries, 3);
    expect_corrupt_field(sb, sl, sh.off_b, 2 * 4 * 16 + 15, 3, 1, "outside the 4x40 matrix");
    expect_corrupt_field(sb, sl, sh.off_b, 0, 3, 1, "weights decode, the header says");
    expect_corrupt(sb, sl, sh.off_a, 200, "column block 200 is outside");
    expect_corrupt(sb, sl, sh.off_c, 5, "code 0 must mean 0");
    expect_corrupt(sb, sl, 4 * 14, 0xFF, "header says"); /* bytes field */
    expect_corrupt(sb, sl, 4 * 10, 3, "misaligned or outside");
    CU_ASSERT_EQUAL(chm_sparse_import(xb, 10, &x), CHM_EFORMAT);
    chm_sparse_free(x);
    chm_sparse_free(s);
}

/*
 * CHM_SPARSE_STEP_AUTO picks, per matrix, the step width with the fewest
 * value and step bytes: the blob equals the one built at that width, no
 * fixed width is smaller, and the width moves with the density (dense rows
 * want narrow steps, sparse rows wide ones). Round trips stay exact.
 */
static void test_auto_step_bits(void)
{
    const double dens[] = { 0.9, 0.5, 0.2, 0.05, 0.01 };
    int lo = 9, hi = 0;
    for (int d = 0; d < 5; d++) {
        tu_rng r;
        tu_seed(&r, 60 + d);
        int8_t *w = random_matrix(&r, 41, 777, dens[d]), *back = malloc(41 * 777);
        chm_sparse *a = NULL;
        CU_ASSERT_EQUAL_FATAL(chm_sparse_from_dense(w, 41, 777, &(chm_sparse_params){
                                  .format = CHM_SPARSE_X, .step_bits = CHM_SPARSE_STEP_AUTO }, &a),
                              CHM_OK);
        chm_sparse_info ai;
        chm_sparse_query(a, &ai);
        CU_ASSERT(ai.step_bits >= 1 && ai.step_bits <= 8);
        uint64_t best = UINT64_MAX;
        for (int b = 1; b <= 8; b++) {
            chm_sparse *f = NULL;
            CU_ASSERT_EQUAL_FATAL(chm_sparse_from_dense(w, 41, 777, &(chm_sparse_params){
                                      .format = CHM_SPARSE_X, .step_bits = b }, &f), CHM_OK);
            chm_sparse_info fi;
            chm_sparse_query(f, &fi);
            CU_ASSERT_EQUAL(fi.step_bits, b);
            if (fi.bytes < best)
                best = fi.bytes;
            if (b == ai.step_bits) { /* the same blob as asking for that width */
                size_t la, lf;
                const void *ba = chm_sparse_blob(a, &la), *bf = chm_sparse_blob(f, &lf);
                CU_ASSERT(la == lf && !memcmp(ba, bf, la));
            }
            chm_sparse_free(f);
        }
        CU_ASSERT_EQUAL(ai.bytes, best);
        CU_ASSERT_EQUAL(chm_sparse_to_dense(a, back), CHM_OK);
        CU_ASSERT_EQUAL(memcmp(w, back, 41 * 777), 0);
        lo = ai.step_bits < lo ? ai.step_bits : lo;
        hi = ai.step_bits > hi ? ai.step_bits : hi;
        chm_sparse_free(a);
        free(w), free(back);
    }
    CU_ASSERT(lo < hi);
    printf("\n  auto step widths from %d bits (90%% dense) to %d bits (1%%) ", lo, hi);
}

static void test_bad_params(void)
{
    int8_t w[4] = { 1, 2, 3, 4 };
    chm_sparse *s;
    CU_ASSERT_EQUAL(chm_sparse_from_dense(w, 2, 2, &(chm_sparse_params){ .format = 7 }, &s), CHM_EINVAL);
    CU_ASSERT_EQUAL(chm_sparse_from_dense(w, 2, 2, &(chm_sparse_params){ .format = CHM_SPARSE_X, .density = 1.5 }, &s), CHM_EINVAL);
    CU_ASSERT_EQUAL(chm_sparse_from_dense(w, 2, 2, &(chm_sparse_params){ .format = CHM_SPARSE_X, .step_bits = 9 }, &s), CHM_EINVAL);
    CU_ASSERT_EQUAL(chm_sparse_from_dense(w, 2, 2, &(chm_sparse_params){ .format = CHM_SPARSE_X, .step_bits = -2 }, &s), CHM_EINVAL);
    CU_ASSERT_EQUAL(chm_sparse_from_dense(w, 2, 2, &(chm_sparse_params){ .format = CHM_SPARSE_S, .block_rows = 17 }, &s), CHM_EINVAL);
    CU_ASSERT_EQUAL(chm_sparse_from_dense(w, 0, 2, &(chm_sparse_params){ .format = CHM_SPARSE_X }, &s), CHM_ESHAPE);
    CU_ASSERT_PTR_NOT_NULL(strstr(chm_last_error(NULL), "rows and cols must be"));
}

int main(void)
{
    static const tu_test tests[] = {
        { "dense -> X/S -> dense exact at 100%..0% density, odd blocks", test_round_trips },
        { "gaps wider than the step field use padding entries", test_padding_entries },
        { "CSR -> X -> CSR exact; bad CSR refused", test_csr_round_trip },
        { "pruning keeps the largest weights / blocks", test_pruning },
        { "codebook: 2-bit codes, zeros kept, sizes", test_codebook },
        { "packed fields: every width, straddling bytes, neighbours kept", test_packed_fields },
        { "corrupt blobs are refused with the reason", test_corrupt_blobs },
        { "automatic step width: the fewest bytes", test_auto_step_bits },
        { "bad parameters", test_bad_params },
        { NULL, NULL },
    };
    return tu_run_suite("sparse_format", NULL, tests, NULL, NULL);
}
