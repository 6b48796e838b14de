/*
 * op_submit.h - checks shared by every operation, and the one path that
 * queues a kernel operation on a region.
 */
#ifndef CHM_OP_SUBMIT_H
#define CHM_OP_SUBMIT_H

#include "device.h"

/* t is non-NULL, on dev, of dtype and ndim; arg names it in the message. */
int chm__check_tensor(chm_device *dev, const char *who, const char *arg, const chm_tensor *t,
                      chm_dtype dtype, int ndim);

/* Fails with CHM_ESHAPE unless t->dims[i] == want; why says what want is. */
int chm__check_dim(chm_device *dev, const char *who, const char *arg, const chm_tensor *t, int i,
                   int64_t want, const char *why);

/* Picks a region, models its time, and queues op (which it then owns). */
int chm__submit_kop(chm_device *dev, const char *who, chm_kop *op, const char *name,
                    chm_event **ev);

#endif /* CHM_OP_SUBMIT_H */
