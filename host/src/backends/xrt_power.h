/*
 * xrt_power.h - an Alveo card's PCI address and board power from sysfs.
 */
#ifndef CHM_XRT_POWER_H
#define CHM_XRT_POWER_H

#include <stddef.h>

/* The BDF of XRT's card index (xocl's devices in BDF order); 0, or -1. */
int xrt_card_bdf(int index, char *out, size_t n);

/* Board power now, in watts, from hwmon power1_input; < 0 if not exposed. */
double xrt_card_power_w(const char *bdf);

#endif /* CHM_XRT_POWER_H */
