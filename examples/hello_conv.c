/*
 * hello_conv - the README's ten-line example, as a program: one 3x3 conv
 * with ReLU on the emulated card. Prints the first outputs and the card time.
 */
#include <stdio.h>

#include "chimera.h"

int main(void)
{
    static int8_t image[28 * 28], weights[16 * 3 * 3], out[28 * 28 * 16];
    int32_t mult[16], shift[16];
    for (int i = 0; i < 28 * 28; i++)
        image[i] = (int8_t)(i % 200 - 100);
    for (int i = 0; i < 16 * 9; i++)
        weights[i] = (int8_t)(i % 7 - 3);
    for (int c = 0; c < 16; c++) /* output scale = input scale * weight scale * 2^-6 */
        chm_quantize_multiplier(1.0 / 64, &mult[c], &shift[c]);

    chm_device *dev;
    chm_tensor *x, *w, *y;
    chm_event *ev;
    if (chm_device_open("emu:u250", &dev)) {
        fprintf(stderr, "%s\n", chm_last_error(NULL));
        return 1;
    }
    int rc = chm_tensor_alloc(dev, CHM_INT8, 4, (int64_t[]){ 1, 28, 28, 1 }, CHM_BANK_DEFAULT, &x);
    rc = rc ? rc : chm_tensor_alloc(dev, CHM_INT8, 4, (int64_t[]){ 16, 3, 3, 1 }, CHM_BANK_DEFAULT, &w);
    rc = rc ? rc : chm_tensor_alloc(dev, CHM_INT8, 4, (int64_t[]){ 1, 28, 28, 16 }, CHM_BANK_DEFAULT, &y);
    rc = rc ? rc : chm_tensor_write(x, 0, image, sizeof image);
    rc = rc ? rc : chm_tensor_write(w, 0, weights, sizeof weights);
    chm_conv2d_params p = { .pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1,
                            .rq = { .multiplier = mult, .shift = shift, .act = CHM_ACT_RELU } };
    rc = rc ? rc : chm_conv2d(dev, x, w, NULL, y, &p, &ev);
    rc = rc ? rc : chm_tensor_read(y, 0, out, sizeof out);
    if (rc) {
        fprintf(stderr, "hello_conv: %s\n", chm_last_error(dev));
        chm_device_close(dev);
        return 1;
    }
    chm_event_times t;
    chm_event_times_get(ev, &t);
    chm_event_release(ev);
    printf("out[0][0][0][0..3] = %d %d %d %d\n", out[0], out[1], out[2], out[3]);
    printf("conv2d on region %d: %.2f us on the card (modelled), %.1f us wall\n", t.region,
           t.device_end_us - t.device_start_us, t.wall_end_us - t.wall_start_us);
    chm_device_close(dev);
    return 0;
}
