/*
 * quant.c - turning real scales into the integer multipliers kernels use.
 */
#include <math.h>

#include "device.h"

int chm_quantize_multiplier(double real, int32_t *multiplier, int32_t *shift)
{
    if (!multiplier || !shift)
        return CHM_FAIL(NULL, CHM_EINVAL, "multiplier and shift must not be NULL");
    if (!(real >= 0.0) || isinf(real))
        return CHM_FAIL(NULL, CHM_EINVAL, "real multiplier %g is not a finite value >= 0", real);
    if (real == 0.0) {
        *multiplier = 0;
        *shift = 0;
        return CHM_OK;
    }
    int exp;
    double frac = frexp(real, &exp); /* real = frac * 2^exp, frac in [0.5, 1) */
    int64_t q = llround(frac * 2147483648.0);
    if (q == INT64_C(2147483648)) {
        q /= 2;
        exp++;
    }
    if (exp > 30)
        return CHM_FAIL(NULL, CHM_EINVAL, "real multiplier %g is 2^31 or more", real);
    if (exp < -31) { /* too small to matter: every accumulator rounds to 0 */
        q = 0;
        exp = 0;
    }
    *multiplier = (int32_t)q;
    *shift = exp;
    return CHM_OK;
}

int chm_add_params_from_scales(double a_scale, double b_scale, double out_scale,
                               chm_add_params *p)
{
    if (!p)
        return CHM_FAIL(NULL, CHM_EINVAL, "p is NULL");
    if (!(a_scale > 0.0) || !(b_scale > 0.0) || !(out_scale > 0.0))
        return CHM_FAIL(NULL, CHM_EINVAL, "scales must be > 0 (got %g, %g, %g)", a_scale, b_scale,
                        out_scale);
    const int left_shift = 20; /* TFLite's headroom for int8 */
    const double twice_max = 2.0 * (a_scale > b_scale ? a_scale : b_scale);
    chm_add_params q = *p;
    q.left_shift = left_shift;
    int rc = chm_quantize_multiplier(a_scale / twice_max, &q.a_multiplier, &q.a_shift);
    if (!rc)
        rc = chm_quantize_multiplier(b_scale / twice_max, &q.b_multiplier, &q.b_shift);
    if (!rc)
        rc = chm_quantize_multiplier(twice_max / ((double)(1 << left_shift) * out_scale),
                                     &q.out_multiplier, &q.out_shift);
    if (rc)
        return rc;
    *p = q;
    return CHM_OK;
}

int chm_quantize_scale_f32(float scale, int32_t *multiplier, int32_t *shift)
{
    if (!multiplier || !shift)
        return CHM_FAIL(NULL, CHM_EINVAL, "multiplier and shift must not be NULL");
    if (!(scale >= 0.0f) || isinf(scale))
        return CHM_FAIL(NULL, CHM_EINVAL, "scale %g is not a finite value >= 0", (double)scale);
    if (scale == 0.0f) {
        *multiplier = 0;
        *shift = 0;
        return CHM_OK;
    }
    if (!isnormal(scale))
        return CHM_FAIL(NULL, CHM_EINVAL, "scale %g is a subnormal float", (double)scale);
    int exp;
    float frac = frexpf(scale, &exp); /* scale = frac * 2^exp, frac in [0.5, 1): exact */
    if (exp - 1 > 30)
        return CHM_FAIL(NULL, CHM_EINVAL, "scale %g is 2^31 or more", (double)scale);
    *multiplier = (int32_t)ldexpf(frac, 24); /* the 24-bit significand, exactly */
    *shift = exp - 1;
    return CHM_OK;
}
