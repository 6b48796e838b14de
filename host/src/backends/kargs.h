/*
 * kargs.h - a kernel operation as its kernel's argument list: which top
 * (the register map's kernel name), and each argument in the map's order,
 * a pointer (a tensor, the run's auxiliary buffer, or none) or a 32-bit
 * scalar. The rtl backend writes the list into the engine's control
 * registers at the map's offsets; the xrt backend sets it by index with
 * xrtRunSetArg. One description, read by both (rtl/regmap/KERNEL.json).
 */
#ifndef CHM_KARGS_H
#define CHM_KARGS_H

#include <stdint.h>

#include "../device.h"

#define KARGS_MAX 40

typedef enum { KARG_SCALAR = 0, KARG_TENSOR, KARG_AUX, KARG_NULL } karg_kind;

typedef struct karg {
    karg_kind kind;
    const chm_tensor *t; /* KARG_TENSOR */
    uint64_t aux_off;    /* KARG_AUX: offset into the auxiliary buffer */
    uint32_t value;      /* KARG_SCALAR */
    unsigned offset;     /* control-register byte offset (register map) */
} karg;

typedef struct kargs {
    const char *kernel;  /* "cnn_conv2d": the map's name; the Vitis top is "chm_" + it */
    int n;
    karg a[KARGS_MAX];
    /* Card memory the run needs beside its tensors, in out's bank: a conv's
     * or sparse layer's multipliers then shifts (filled by kargs_fill_aux), or
     * a combine-first GRAPH layer's X W^T scratch. 0: none. */
    uint64_t aux_bytes;
} kargs;

/* The argument list of op; CHM_EINVAL (with why) if the map and this code disagree. */
int kargs_of(const chm_kop *op, kargs *k, char *why, size_t n);

/* Writes op's initial auxiliary contents into aux (k->aux_bytes bytes). */
void kargs_fill_aux(const chm_kop *op, const kargs *k, uint8_t *aux);

#endif /* CHM_KARGS_H */
