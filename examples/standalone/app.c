/*
 * app.c - the smallest application of the installed SDK: a 1x1 conv that
 * doubles every value, on the emulated card, checked by hand.
 */
#include <stdio.h>

#include <chimera.h>

int main(int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : "emu";
    chm_device *dev;
    if (chm_device_open(name, &dev)) {
        fprintf(stderr, "chimera_app: %s\n", chm_last_error(NULL));
        return 1;
    }
    int8_t x[8] = { -60, -3, -1, 0, 1, 2, 30, 63 }, w[1] = { 2 }, y[8];
    int32_t mult, shift;
    chm_quantize_multiplier(1.0, &mult, &shift);
    chm_tensor *tx, *tw, *ty;
    int rc = chm_tensor_alloc(dev, CHM_INT8, 4, (int64_t[]){ 1, 1, 8, 1 }, CHM_BANK_DEFAULT, &tx);
    rc = rc ? rc : chm_tensor_alloc(dev, CHM_INT8, 4, (int64_t[]){ 1, 1, 1, 1 }, CHM_BANK_DEFAULT, &tw);
    rc = rc ? rc : chm_tensor_alloc(dev, CHM_INT8, 4, (int64_t[]){ 1, 1, 8, 1 }, CHM_BANK_DEFAULT, &ty);
    rc = rc ? rc : chm_tensor_write(tx, 0, x, sizeof x);
    rc = rc ? rc : chm_tensor_write(tw, 0, w, sizeof w);
    chm_conv2d_params p = { .rq = { &mult, &shift, 1, 0, 0, CHM_ACT_NONE, 0 } };
    rc = rc ? rc : chm_conv2d(dev, tx, tw, NULL, ty, &p, NULL);
    rc = rc ? rc : chm_tensor_read(ty, 0, y, sizeof y);
    if (rc) {
        fprintf(stderr, "chimera_app: %s\n", chm_last_error(dev));
        chm_device_close(dev);
        return 1;
    }
    int bad = 0;
    for (int i = 0; i < 8; i++)
        bad |= y[i] != 2 * x[i];
    printf("chimera_app on %s: %s\n", name, bad ? "WRONG" : "2 x input, as expected");
    chm_device_close(dev);
    return bad;
}
