/*
 * platform.h - what a card and its shell give the overlay: memory banks,
 * PCIe link, kernel clock, reconfigurable regions. The figures are data in
 * platform.c, read by the runtime and the emulated card alike.
 */
#ifndef CHM_PLATFORM_H
#define CHM_PLATFORM_H

#include <stdint.h>

#define PLATFORM_MAX_BANKS 40
#define PLATFORM_MAX_REGIONS 8

typedef struct platform_bank {
    const char *name;      /* XRT's tag: "DDR[0]", "HBM[7]" */
    uint64_t size;         /* bytes */
    uint64_t base;         /* address in the card's memory map */
    double gbps;           /* peak bandwidth, GB/s */
} platform_bank;

typedef struct platform_resources {
    uint32_t lut, ff, dsp, bram, uram; /* BRAM counted in 36 Kb blocks */
} platform_resources;

typedef struct platform_region {
    const char *name;      /* where it sits: "pr_slr0" */
    uint32_t frames;       /* configuration frames (93 words each, UG570) */
    uint32_t far;          /* first frame address of the region */
    platform_resources budget; /* what a mode may use in it */
} platform_region;

typedef struct platform_desc {
    const char *name;      /* short name used in device strings: "u250" */
    const char *vbnv;      /* shell platform name */
    const char *part;      /* FPGA part */
    double kernel_mhz;     /* kernel clock */
    double pcie_gbps;      /* achieved host<->card DMA rate per direction, GB/s */
    double dma_setup_us;   /* fixed cost of one DMA transfer (descriptor, doorbell, IRQ) */
    uint32_t idcode;       /* what a bitstream's IDCODE write must match */
    uint8_t interface_uuid[16]; /* the shell's; xclbins name it */
    double icap_mhz;       /* ICAPE3 clock: 32 bits a cycle (UG909) */
    uint32_t n_banks;
    platform_bank banks[PLATFORM_MAX_BANKS];
    uint32_t n_regions;
    platform_region regions[PLATFORM_MAX_REGIONS];
} platform_desc;

/* What a mode's logic needs in a region, and its name ("CNN"). */
typedef struct mode_desc {
    const char *name;
    platform_resources needs;
} mode_desc;

/* The mode table entry of mode (1 CNN, 2 SPARSE, 3 GRAPH), or NULL. */
const mode_desc *mode_find(int mode);
/* The mode called name ("CNN"), or 0. */
int mode_by_name(const char *name);

/* The platform called name ("u250"), or NULL. */
const platform_desc *platform_find(const char *name);

/* The platforms in a NULL-terminated list of names. */
const char *const *platform_names(void);

#endif /* CHM_PLATFORM_H */
