/*
 * vitis_flow.h - the Vitis build of the overlay for a real card: one .xo
 * per HLS top (v++ -c), one xclbin per (platform, mode assignment) linked
 * with a connectivity config made from the platform JSON (v++ -l). The
 * names match what the xrt backend opens: compute units
 * chm_<kernel>_r<region>, files <platform>_<m0>-<m1>-....xclbin.
 */
#ifndef CHM_VITIS_FLOW_H
#define CHM_VITIS_FLOW_H

#include <stdio.h>

#include "chimera.h"
#include "platform.h"

/* Parses "cnn,sparse,graph" (one mode a region); 0, or -1 with why. */
int vitis_parse_assignment(const platform_desc *p, const char *s, chm_mode *out, char *why,
                           size_t n);

/*
 * Writes the v++ -l connectivity config of an assignment: [connectivity]
 * nk= (the compute units of each kernel, chm_<kernel>_r<region>), sp= (each
 * buffer argument to the banks its region reaches, as contiguous ranges),
 * slr= (the region's SLR, from its name "pr_slrN"), and [clock] at the
 * platform's kernel clock. Returns the number of warnings written as
 * comments (a region reaching two memory types: one port takes one).
 */
int vitis_write_cfg(const platform_desc *p, const chm_mode *assign, FILE *f);

/*
 * Writes the commands of the flow, one a line: v++ -c per kernel the
 * assignment needs, then v++ -l. srcdir is the source tree (hls/), outdir
 * where .xo, .cfg and .xclbin go (one directory a target: the xclbin has
 * the name the xrt backend looks for); target "hw" or "hw_emu".
 */
void vitis_write_commands(const platform_desc *p, const chm_mode *assign, const char *target,
                          const char *srcdir, const char *outdir, FILE *f);

#endif /* CHM_VITIS_FLOW_H */
