/*
 * energy.h - modelled energy of commands (energy.c).
 */
#ifndef CHM_ENERGY_H
#define CHM_ENERGY_H

#include "device.h"

/* The dynamic energy of a's counts with table t, µJ (actions without a figure: 0). */
double chm__energy_uj(const energy_table *t, const chm_op_actions *a);
/* Adds bytes of card memory traffic on bank to a (HBM or DDR by the bank's name). */
void chm__actions_bank(const chm_device *dev, int bank, uint64_t bytes, chm_op_actions *a);
/* At completion: a copy's or a load's counts, and every command's energy (dev->lock held). */
void chm__actions_finish(chm_device *dev, chm_event *ev);

#endif /* CHM_ENERGY_H */
