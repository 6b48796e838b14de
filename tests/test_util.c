/*
 * test_util.c - shared helpers of the CUnit suites.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

void tu_seed(tu_rng *r, uint64_t seed)
{
    r->s = seed * 0x9E3779B97F4A7C15ull + 1;
}

uint32_t tu_u32(tu_rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return (uint32_t)((r->s * 0x2545F4914F6CDD1Dull) >> 32);
}

int tu_range(tu_rng *r, int lo, int hi)
{
    return lo + (int)(tu_u32(r) % (uint32_t)(hi - lo + 1));
}

void tu_fill_i8(tu_rng *r, int8_t *p, size_t n, int lo, int hi)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (int8_t)tu_range(r, lo, hi);
}

#ifndef CHM_TEST_TMPDIR
#error "CHM_TEST_TMPDIR is set by tests/CMakeLists.txt"
#endif

const char *tu_tmp(const char *name)
{
    static char buf[8][512];
    static int next;
    char *b = buf[next++ % 8];
    snprintf(b, sizeof buf[0], "%s/%s", CHM_TEST_TMPDIR, name);
    return b;
}

chm_tensor *tu_tensor(chm_device *dev, chm_dtype dt, int ndim, const int64_t *dims,
                      const void *data)
{
    chm_tensor *t = NULL;
    int rc = chm_tensor_alloc(dev, dt, ndim, dims, CHM_BANK_DEFAULT, &t);
    if (rc) {
        fprintf(stderr, "tu_tensor: %s\n", chm_last_error(dev));
        return NULL;
    }
    if (data) {
        chm_tensor_info info;
        chm_tensor_query(t, &info);
        if (chm_tensor_write(t, 0, data, info.bytes)) {
            fprintf(stderr, "tu_tensor: %s\n", chm_last_error(dev));
            chm_tensor_free(t);
            return NULL;
        }
    }
    return t;
}

long tu_first_diff(const int8_t *a, const int8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return (long)i;
    return -1;
}

void tu_random_requant(tu_rng *r, int32_t *mult, int32_t *shift, int n, int shift_lo,
                       int shift_hi)
{
    for (int i = 0; i < n; i++) {
        const uint32_t u = tu_u32(r);
        mult[i] = (int32_t)((1u << 30) | (u & 0x3FFFFFFFu));
        shift[i] = tu_range(r, shift_lo, shift_hi);
        if (u >> 30 == 3) { /* a quarter of the channels: the float32 rule, same magnitude */
            mult[i] >>= 7;
            shift[i] -= 1;
        }
    }
}

chm_device *tu_dev;
static const char *suite_device;
static int (*suite_init)(void), (*suite_clean)(void);

static int wrapped_init(void)
{
    if (suite_device && chm_device_open(suite_device, &tu_dev)) {
        fprintf(stderr, "cannot open %s: %s\n", suite_device, chm_last_error(NULL));
        return 1;
    }
    return suite_init ? suite_init() : 0;
}

static int wrapped_clean(void)
{
    int rc = suite_clean ? suite_clean() : 0;
    if (tu_dev)
        rc |= chm_device_close(tu_dev);
    tu_dev = NULL;
    return rc;
}

int tu_run_suite(const char *suite, const char *device, const tu_test *tests, int (*init)(void),
                 int (*clean)(void))
{
    /* CHIMERA_TEST_DEVICE runs a device suite on another backend (e.g. rtl:u250). */
    const char *env = getenv("CHIMERA_TEST_DEVICE");
    suite_device = device && env && *env ? env : device;
    suite_init = init;
    suite_clean = clean;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    CU_pSuite s = CU_add_suite(suite, wrapped_init, wrapped_clean);
    if (!s)
        return 2;
    for (const tu_test *t = tests; t->name; t++)
        if (!CU_add_test(s, t->name, t->fn))
            return 2;
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    unsigned run = CU_get_number_of_tests_run();
    CU_cleanup_registry();
    return (failed || run == 0) ? 1 : 0;
}
