/*
 * xrt_overlay.h - the overlay's xclbins as an XRT card loads them: one
 * file per (platform, mode assignment), named <platform>_<m0>-<m1>-...
 * .xclbin after the modes its regions hold ("u250_cnn-sparse-graph.xclbin")
 * and looked for in $CHIMERA_XCLBIN_DIR (else the installed xclbin
 * directory). What a file holds is read from the file itself: its compute
 * units (IP_LAYOUT, "chm_<kernel>:chm_<kernel>_r<region>") say which mode
 * each region holds, its MEM_TOPOLOGY which memory group each bank is.
 */
#ifndef CHM_XRT_OVERLAY_H
#define CHM_XRT_OVERLAY_H

#include <stddef.h>
#include <stdint.h>

#include "chimera.h"
#include "platform.h"

typedef struct xrt_overlay {
    char path[512];
    uint8_t uuid[16];                /* the xclbin's UUID (header) */
    int n_regions;
    chm_mode mode[CHM_MAX_REGIONS];  /* what each region holds (EMPTY: no whole mode) */
    int group[PLATFORM_MAX_BANKS];   /* MEM_TOPOLOGY index of each platform bank, -1: absent */
} xrt_overlay;

/* The file name of an assignment ("u250_cnn-cnn-graph.xclbin"). */
void xrt_overlay_name(const platform_desc *p, const chm_mode *assign, char *out, size_t n);

/* Where the overlay xclbins are: $CHIMERA_XCLBIN_DIR, else the installed directory. */
const char *xrt_overlay_dir(void);

/*
 * Reads and checks path as an overlay xclbin for platform p: a well-formed
 * container, built for p's shell (interface UUID), with a MEM_TOPOLOGY and
 * an IP_LAYOUT. 0, or -1 with why.
 */
int xrt_overlay_read(const platform_desc *p, const char *path, xrt_overlay *o, char *why,
                     size_t n);
/* The same checks on buf[0..len) (path only names it in messages). */
int xrt_overlay_parse(const platform_desc *p, const uint8_t *buf, size_t len, const char *path,
                      xrt_overlay *o, char *why, size_t n);

#endif /* CHM_XRT_OVERLAY_H */
