/*
 * platform.c - the Alveo platforms Chimera knows, as data.
 *
 * Sources: Alveo U250 and U280 data sheets (DS962, DS963) for memory sizes
 * and bandwidths; the xdma gen3x16 shells' PCIe link (15.75 GB/s raw per
 * direction; XDMA sustains about 12 GB/s, the figure used here); 300 MHz is
 * the shells' default kernel clock. Regions: one per SLR not taken by the
 * static shell; the frame counts size their partial bitstreams (UG570: 93
 * words a frame; ~60k frames is about a third of an XCU250). Interface UUID
 * of the U250 gen3x16 xdma 4.1 shell: UG1120. Region budgets: about 80% of
 * one SLR (XCU250: 1,728K LUT, 12,288 DSP, 2,688 BRAM36, 1,280 URAM in 4
 * SLRs; XCU280: 1,304K LUT, 9,024 DSP, 2,016 BRAM36, 960 URAM in 3).
 *
 * The IDCODEs and frame addresses are the emulation's own values (well
 * formed: Xilinx's manufacturer code 0x093); take the real ones from UG570
 * before a bitstream from here is sent to silicon.
 */
#include <string.h>

#include "platform.h"

#define GiB (UINT64_C(1) << 30)
#define MiB (UINT64_C(1) << 20)

#define HBM(i) { "HBM[" #i "]", 256 * MiB, (uint64_t)(i) * 256 * MiB, 14.375 }

static const platform_desc platforms[] = {
    {
        .name = "u250",
        .vbnv = "xilinx_u250_gen3x16_xdma_shell_4_1",
        .part = "xcu250-figd2104-2L-e",
        .kernel_mhz = 300.0,
        .pcie_gbps = 12.0,
        .dma_setup_us = 6.0,
        .idcode = 0x04B57093u,
        .interface_uuid = { 0x80, 0x7a, 0x58, 0x0e, 0x5f, 0x50, 0x7d, 0x48,
                            0x48, 0x4d, 0x26, 0xc2, 0x21, 0x7a, 0xa7, 0x87 },
        .icap_mhz = 125.0,
        .n_banks = 4,
        .banks = {
            { "DDR[0]", 16 * GiB, 0x0000000000ull, 19.2 },
            { "DDR[1]", 16 * GiB, 0x0400000000ull, 19.2 },
            { "DDR[2]", 16 * GiB, 0x0800000000ull, 19.2 },
            { "DDR[3]", 16 * GiB, 0x0c00000000ull, 19.2 },
        },
        .n_regions = 3,
        .regions = {
            { "pr_slr0", 61440, 0x00000000u, { 345600, 691200, 2457, 537, 256 } },
            { "pr_slr2", 61440, 0x00100000u, { 345600, 691200, 2457, 537, 256 } },
            { "pr_slr3", 61440, 0x00200000u, { 345600, 691200, 2457, 537, 256 } },
        },
    },
    {
        .name = "u280",
        .vbnv = "xilinx_u280_gen3x16_xdma_base_1",
        .part = "xcu280-fsvh2892-2L-e",
        .kernel_mhz = 300.0,
        .pcie_gbps = 12.0,
        .dma_setup_us = 6.0,
        .idcode = 0x04B7D093u,
        .interface_uuid = { 0x43, 0x68, 0x69, 0x6d, 0x65, 0x72, 0x61, 0x2d,
                            0x75, 0x32, 0x38, 0x30, 0x2d, 0x65, 0x6d, 0x75 },
        .icap_mhz = 125.0,
        .n_banks = 34,
        .banks = {
            HBM(0), HBM(1), HBM(2), HBM(3), HBM(4), HBM(5), HBM(6), HBM(7),
            HBM(8), HBM(9), HBM(10), HBM(11), HBM(12), HBM(13), HBM(14), HBM(15),
            HBM(16), HBM(17), HBM(18), HBM(19), HBM(20), HBM(21), HBM(22), HBM(23),
            HBM(24), HBM(25), HBM(26), HBM(27), HBM(28), HBM(29), HBM(30), HBM(31),
            { "DDR[0]", 16 * GiB, 0x1000000000ull, 19.2 },
            { "DDR[1]", 16 * GiB, 0x1400000000ull, 19.2 },
        },
        .n_regions = 2,
        .regions = {
            { "pr_slr1", 58080, 0x00100000u, { 347733, 695200, 2406, 537, 256 } },
            { "pr_slr2", 58080, 0x00200000u, { 347733, 695200, 2406, 537, 256 } },
        },
    },
};

static const char *const names[] = { "u250", "u280", NULL };

/*
 * CNN: the 32x32 int8 array (512 DSPs, two MACs each, WP486), its 256 KiB
 * of double-buffered tiles (~60 BRAM36) plus stream FIFOs, control and AXI.
 * SPARSE and GRAPH: the budgets their issues will size.
 */
static const mode_desc modes[] = {
    { "EMPTY", { 0, 0, 0, 0, 0 } },
    { "CNN", { 128000, 210000, 560, 150, 0 } },
    { "SPARSE", { 150000, 240000, 560, 200, 32 } },
    { "GRAPH", { 180000, 260000, 600, 260, 64 } },
};

const mode_desc *mode_find(int mode)
{
    return mode >= 1 && mode <= 3 ? &modes[mode] : NULL;
}

int mode_by_name(const char *name)
{
    for (int m = 1; m <= 3; m++)
        if (strcmp(modes[m].name, name) == 0)
            return m;
    return 0;
}

const platform_desc *platform_find(const char *name)
{
    for (size_t i = 0; i < sizeof platforms / sizeof platforms[0]; i++)
        if (strcmp(platforms[i].name, name) == 0)
            return &platforms[i];
    return NULL;
}

const char *const *platform_names(void)
{
    return names;
}
