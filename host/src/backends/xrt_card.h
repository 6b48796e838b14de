/*
 * xrt_card.h - the xrt backend's card state, shared by xrt.c (the card,
 * its memory and its overlay) and xrt_run.c (operations as XRT runs).
 */
#ifndef CHM_XRT_CARD_H
#define CHM_XRT_CARD_H

#include "../device.h"
#include "emu_card.h"
#include "kargs.h"
#include "xrt_api.h"
#include "xrt_overlay.h"

/* A tensor on the card: its buffer object, or (across a load) its saved bytes. */
typedef struct xrt_tensor {
    xrt_bo_h bo;
    uint8_t *saved;
} xrt_tensor;

/* The run's own buffers, one per auxiliary argument (a conv's multipliers, its
 * shifts; a combine-first GRAPH layer's scratch), in out's bank. */
typedef struct run_bufs {
    xrt_bo_h bo[KARGS_MAX]; /* [i]: argument i's */
} run_bufs;

typedef struct xrt_card {
    emu_card emu;             /* first: the inherited timing models take the card as theirs */
    xrt_api x;
    xrt_device_h d;
    xrt_overlay ov;           /* the loaded overlay */
    unsigned timeout_ms;
    xrt_kernel_h kern[CHM_MAX_REGIONS][MODE_MAX_KERNELS]; /* the region's mode's kernels */
    double last_us[CHM_MAX_REGIONS];
    double last_uj[CHM_MAX_REGIONS]; /* board power x run time, or < 0 */
    char bdf[32];             /* the card's PCI address ("" if unknown): its hwmon power */
    /* Per bank, a small buffer that stands for absent pointers (a compute unit never
     * reads it), made with the overlay so that a run never needs room for it. */
    xrt_bo_h none[PLATFORM_MAX_BANKS];
    int swapping;             /* between prepare and complete: tensors are saved bytes */
    /* Runs that did not finish, with their buffers: never waited for again,
     * released once a load has reset the card or at close. */
    struct { xrt_run_h run; run_bufs bufs; } hung[16];
    int n_hung;
    chm_mode next[CHM_MAX_REGIONS]; /* the assignment being loaded */
} xrt_card;

static inline xrt_card *xrt__card(chm_device *dev)
{
    return dev->backend_data;
}

/* errno as XRT left it, in words. */
const char *xrt__errno(void);

/* xrt_run.c: runs op on region's compute unit (the backend's run entry). */
int xrt__run(chm_device *dev, int region, const chm_kop *op, char *why, size_t n);
double xrt__last_run_us(chm_device *dev, int region);
double xrt__last_run_uj(chm_device *dev, int region);
/* Releases the runs abandoned after a timeout, and their buffers. */
void xrt__release_hung(xrt_card *c);

#endif /* CHM_XRT_CARD_H */
