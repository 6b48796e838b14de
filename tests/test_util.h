/*
 * test_util.h - what the suites share: a seeded generator, device tensors
 * from host arrays, and a CUnit runner that names the suite.
 */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <CUnit/CUnit.h>
#include <stddef.h>
#include <stdint.h>

#include "chimera.h"

/* xorshift64*: the seed printed on a failure reproduces the case. */
typedef struct tu_rng {
    uint64_t s;
} tu_rng;

void tu_seed(tu_rng *r, uint64_t seed);
uint32_t tu_u32(tu_rng *r);
int tu_range(tu_rng *r, int lo, int hi); /* uniform in [lo, hi] */
void tu_fill_i8(tu_rng *r, int8_t *p, size_t n, int lo, int hi);

/* Allocates a tensor of the given dims on dev and writes host data (if any). */
chm_tensor *tu_tensor(chm_device *dev, chm_dtype dt, int ndim, const int64_t *dims,
                      const void *data);
#define TU_DIMS(...) ((const int64_t[]){ __VA_ARGS__ })

/* A path for a scratch file under the build tree (CHM_TEST_TMPDIR), never the
 * working directory; one of 8 rotating buffers. */
const char *tu_tmp(const char *name);

/* Index of the first differing byte, or -1. */
long tu_first_diff(const int8_t *a, const int8_t *b, size_t n);

/*
 * Random per-channel requantization: multipliers in [2^30, 2^31), shifts in
 * [lo, hi]; a quarter of the channels (drawn from the same bits) take the
 * float32 rule instead, a significand in [2^23, 2^24) of the same magnitude.
 */
void tu_random_requant(tu_rng *r, int32_t *mult, int32_t *shift, int n, int shift_lo,
                       int shift_hi);

typedef struct tu_test {
    const char *name;
    void (*fn)(void);
} tu_test;

/* The device a suite runs on, opened before its tests and closed after. */
extern chm_device *tu_dev;

/*
 * Runs one suite; returns nonzero if any assertion failed. With device set,
 * tu_dev is opened on it (or on $CHIMERA_TEST_DEVICE) before init and closed
 * after clean (either may be NULL).
 */
int tu_run_suite(const char *suite, const char *device, const tu_test *tests, int (*init)(void),
                 int (*clean)(void));

#endif /* TEST_UTIL_H */
