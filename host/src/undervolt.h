/*
 * undervolt.h - on-chip memory faults below the safe voltage (undervolt.c).
 */
#ifndef CHM_UNDERVOLT_H
#define CHM_UNDERVOLT_H

#include "device.h"

/* Region's rail is below Vmin, or its accumulators take upsets: its conv/fc commands go
 * through chm__uv_run_conv. */
int chm__uv_active(chm_device *dev, int region);
/* Runs a KOP_CONV on copies of its operands as the faulty buffers give them back. */
int chm__uv_run_conv(chm_device *dev, int region, const chm_kop *op, char *why, size_t n);
/* A GRAPH layer's features and weights (W2: GIN's second) as region's buffers give them
 * back below Vmin: malloc'd copies the caller frees, or all NULL at a safe voltage. */
int chm__uv_graph_operands(chm_device *dev, int region, const chm_kop *op, void **x, void **w,
                           void **w2, char *why, size_t n);
/* rtl: the faulty fraction of region's on-chip memory cells now (0 at a safe voltage), the
 * seed of where they are, ECC; and what a run met, added to region's counts. */
double chm__uv_rtl_faults(chm_device *dev, int region, uint64_t *seed, int *ecc);
void chm__uv_rtl_count(chm_device *dev, int region, uint64_t injected, uint64_t corrected,
                       uint64_t detected, uint64_t undetected);
/* Cycles a conv/fc command on region spends on its protection (ECC, ABFT; dev->lock held). */
uint64_t chm__uv_protection_cycles(const chm_device *dev, int region);
/* Scales a's on-chip energy by (V/Vnom)^2 for region's rail (dev->lock held). */
void chm__uv_energy(const chm_device *dev, int region, int conv, chm_op_actions *a);

#endif /* CHM_UNDERVOLT_H */
