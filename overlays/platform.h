/*
 * platform.h - what a card and its shell give the overlay: memory banks,
 * PCIe link, kernel clock, reconfigurable regions and their budgets, and
 * what each mode needs. The figures are data: overlays/platforms/NAME.json
 * and overlays/modes.json, read with json-c by platform.c.
 */
#ifndef CHM_PLATFORM_H
#define CHM_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#define PLATFORM_MAX_BANKS 40
#define PLATFORM_MAX_REGIONS 8

typedef struct platform_bank {
    char name[16];         /* XRT's tag: "DDR[0]", "HBM[7]" */
    uint64_t size;         /* bytes */
    uint64_t base;         /* address in the card's memory map */
    double gbps;           /* peak bandwidth, GB/s */
} platform_bank;

typedef struct platform_resources {
    uint32_t lut, ff, dsp, bram, uram; /* BRAM counted in 36 Kb blocks */
} platform_resources;

typedef struct platform_region {
    char name[16];         /* where it sits: "pr_slr0" */
    uint32_t frames;       /* configuration frames (93 words each, UG570) */
    uint32_t far;          /* first frame address of the region */
    platform_resources budget; /* what a mode may use in it */
    uint64_t bank_mask;    /* bit b set: its kernels reach bank b */
} platform_region;

enum { PLATFORM_SHELL_EMULATED = 0, PLATFORM_SHELL_XRT = 1, PLATFORM_SHELLS = 2 };
enum { PLATFORM_REGION = 0, PLATFORM_CARD = 1 };

typedef struct platform_desc {
    char name[16];         /* short name used in device strings: "u250" */
    char vbnv[64];         /* shell platform name */
    char part[48];         /* FPGA part */
    double kernel_mhz;     /* kernel clock */
    double pcie_gbps;      /* achieved host<->card DMA rate per direction, GB/s */
    double dma_setup_us;   /* fixed cost of one DMA transfer (descriptor, doorbell, IRQ) */
    uint32_t idcode;       /* what a bitstream's IDCODE write must match */
    uint8_t interface_uuid[16]; /* the shell's; xclbins name it */
    double icap_mhz;       /* ICAPE3 clock: 32 bits a cycle (UG909) */
    /* What one load replaces, per shell kind: PLATFORM_REGION (the emulated
     * Coyote-style shell) or PLATFORM_CARD (XRT shells: the whole user partition). */
    int granularity[PLATFORM_SHELLS];
    uint32_t n_banks;
    platform_bank banks[PLATFORM_MAX_BANKS];
    uint32_t n_regions;
    platform_region regions[PLATFORM_MAX_REGIONS];
} platform_desc;

/* What a mode's logic needs in a region, and its name ("CNN"). */
#define MODE_MAX_KERNELS 4

typedef struct mode_desc {
    char name[16];
    platform_resources needs;
    int n_kernels;                       /* the kernels a region of the mode holds: */
    char kernels[MODE_MAX_KERNELS][24];  /* register-map names ("cnn_conv2d") */
} mode_desc;

/* The mode table entry of mode (1 CNN, 2 SPARSE, 3 GRAPH), or NULL. */
const mode_desc *mode_find(int mode);
/* The mode called name ("CNN"), or 0. */
int mode_by_name(const char *name);

/*
 * The platform called name ("u250"), read from its JSON file the first
 * time, or NULL with the reason in platform_error(). Files are looked for in
 * $CHIMERA_OVERLAYS, then the installed data directory, then the source
 * tree's overlays/.
 */
const platform_desc *platform_find(const char *name);

/* Why the last platform_find or mode lookup in this thread failed. */
const char *platform_error(void);

/* The overlays directory found on that search path, or NULL. */
const char *platform_overlay_dir(void);

/*
 * The energy table (overlays/energy/ultrascale_plus.json): pJ per action,
 * -1 where the table gives null (no sourced figure). 0, or -1 with the
 * reason in why[0..n). Names as in chm_energy_table.
 */
typedef struct energy_table {
    double mac_int8, mac_fp32, add_int32, add_fp32;
    double onchip_byte, ddr_byte, hbm_byte, pcie_byte, icap_byte;
} energy_table;
int energy_table_load(energy_table *out, char *why, size_t n);

/*
 * On-chip memory faults below the safe voltage (overlays/faults/
 * bram_undervolt.json): the rail's nominal, minimum safe and crash
 * voltages, and the fraction of cells faulty at the last two. 0, or -1 with
 * the reason in why[0..n).
 */
typedef struct undervolt_params {
    double nominal_mv, vmin_mv, vcrash_mv;
    double rate_vmin, rate_vcrash;
} undervolt_params;
int undervolt_load(undervolt_params *out, char *why, size_t n);

/* The platforms there are files for, as a NULL-terminated sorted list. */
const char *const *platform_names(void);

#endif /* CHM_PLATFORM_H */
