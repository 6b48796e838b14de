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

/* ops_cnn.c: checks shared with the other modes' operations. */
/* Checks rq for oc channels, fills d's quantization fields, copies the arrays into op. */
int chm__take_requant(chm_device *dev, const char *who, const chm_requant *rq, int32_t oc,
                      cnn_conv_desc *d, chm_kop *op);
int chm__check_window(chm_device *dev, const char *who, int k, int stride, int dil, int pad_a,
                      int pad_b, const char *axis);
/* Output extent of a window; 0 or less when the window does not fit. */
int64_t chm__out_extent(int64_t in, int k, int stride, int dil, int pad_a, int pad_b);
int chm__check_distinct(chm_device *dev, const char *who, const chm_tensor *out,
                        const chm_tensor *a, const chm_tensor *b, const chm_tensor *c);

/* Picks a region, models its time, and queues op (which it then owns). */
int chm__submit_kop(chm_device *dev, const char *who, chm_kop *op, const char *name,
                    chm_event **ev);

#endif /* CHM_OP_SUBMIT_H */
