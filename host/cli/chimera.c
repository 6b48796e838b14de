/*
 * chimera - command-line tool: list devices and examine one.
 */
#include <stdio.h>
#include <string.h>

#include "chimera.h"

static const char *mode_name(chm_mode m)
{
    static const char *const names[] = { "EMPTY", "CNN", "SPARSE", "GRAPH" };
    return (unsigned)m < 4 ? names[m] : "?";
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: chimera <command> [args]\n"
            "\n"
            "Chimera drives a reconfigurable CNN/SPARSE/GRAPH overlay on Alveo cards.\n"
            "\n"
            "commands:\n"
            "  devices            list the device names this build can open, one a line,\n"
            "                     with platform, regions and peak int8 MACs per cycle\n"
            "  examine [DEVICE]   open DEVICE (default \"emu\") and show its platform,\n"
            "                     kernel clock, PCIe rate, memory banks (size, bandwidth,\n"
            "                     use), and each region with the mode it holds\n"
            "  help               show this text\n"
            "\n"
            "Device names: emu (= emu:u250), emu:u250, emu:u280 - the software-emulated\n"
            "card. The rtl (Verilator) and xrt (real card) backends are not built yet.\n"
            "\n"
            "options: -h, --help   this text;   --version   the SDK version\n");
}

static int open_or_report(const char *name, chm_device **dev)
{
    int rc = chm_device_open(name, dev);
    if (rc)
        fprintf(stderr, "chimera: %s\n  (%s)\n", chm_last_error(NULL), chm_strerror(rc));
    return rc;
}

static int cmd_devices(void)
{
    for (const char *const *p = chm_platform_names(); *p; p++) {
        char name[CHM_NAME_MAX];
        snprintf(name, sizeof name, "emu:%s", *p);
        chm_device *dev;
        if (open_or_report(name, &dev))
            return 1;
        chm_device_info info;
        chm_device_query(dev, &info);
        printf("%-10s %-40s %u regions, %u MACs/cycle, %u memory banks\n", name, info.platform,
               info.n_regions, info.peak_macs_per_cycle, info.n_banks);
        chm_device_close(dev);
    }
    return 0;
}

static void print_size(uint64_t bytes)
{
    if (bytes >= (UINT64_C(1) << 30))
        printf("%6.1f GiB", (double)bytes / (double)(UINT64_C(1) << 30));
    else
        printf("%6.1f MiB", (double)bytes / (double)(UINT64_C(1) << 20));
}

static int cmd_examine(const char *name)
{
    chm_device *dev;
    if (open_or_report(name, &dev))
        return 1;
    chm_device_info info;
    chm_device_query(dev, &info);
    printf("device     %s (backend %s)\n", info.name, info.backend);
    printf("platform   %s\n", info.platform);
    printf("clock      %.0f MHz kernel clock\n", info.kernel_clock_mhz);
    printf("pcie       %.1f GB/s per direction (DMA model)\n", info.pcie_gbps);
    printf("peak       %u int8 MACs/cycle = %.1f GOP/s\n", info.peak_macs_per_cycle,
           2.0 * info.peak_macs_per_cycle * info.kernel_clock_mhz / 1e3);
    printf("banks      %u\n", info.n_banks);
    for (uint32_t b = 0; b < info.n_banks; b++) {
        printf("  %-3u %-8s ", b, info.banks[b].name);
        print_size(info.banks[b].size);
        printf("  %6.2f GB/s  used ", info.banks[b].bandwidth_gbps);
        print_size(info.banks[b].used);
        printf("\n");
    }
    printf("regions    %u\n", info.n_regions);
    for (uint32_t r = 0; r < info.n_regions; r++)
        printf("  %-3u mode %-6s %u MACs/cycle\n", r, mode_name(info.regions[r].mode),
               info.regions[r].macs_per_cycle);
    chm_device_close(dev);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("chimera %d.%d\n", CHM_VERSION_MAJOR, CHM_VERSION_MINOR);
        return 0;
    }
    if (!strcmp(cmd, "devices"))
        return cmd_devices();
    if (!strcmp(cmd, "examine"))
        return cmd_examine(argc > 2 ? argv[2] : "emu");
    fprintf(stderr, "chimera: unknown command \"%s\"\n\n", cmd);
    usage(stderr);
    return 2;
}
