/*
 * chimera - command-line tool: list devices and examine one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axlf.h"
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
            "  xclbin info FILE   check an xclbin (AXLF) container and list its header\n"
            "                     (platform, interface UUID, mode) and sections\n"
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

static void print_uuid(const uint8_t u[16])
{
    for (int i = 0; i < 16; i++)
        printf("%02x%s", u[i], (i == 3 || i == 5 || i == 7 || i == 9) ? "-" : "");
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = NULL;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) &&
        fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = n > 0 ? (size_t)n : 0;
    return buf;
}

static int cmd_xclbin_info(const char *path)
{
    size_t len;
    uint8_t *buf = read_file(path, &len);
    if (!buf) {
        fprintf(stderr, "chimera: cannot read %s\n", path);
        return 1;
    }
    axlf_info info;
    char err[256];
    if (axlf_parse(buf, len, &info, NULL, 0, err, sizeof err)) {
        fprintf(stderr, "chimera: %s: %s\n", path, err);
        free(buf);
        return 1;
    }
    axlf_section *s = calloc(info.num_sections ? info.num_sections : 1, sizeof *s);
    if (!s || axlf_parse(buf, len, &info, s, info.num_sections, err, sizeof err)) {
        free(s);
        free(buf);
        return 1;
    }
    printf("file        %s (%zu bytes)\n", path, len);
    printf("platform    %s\n", info.platform_vbnv);
    printf("interface   ");
    print_uuid(info.interface_uuid);
    printf("\nxclbin      ");
    print_uuid(info.xclbin_uuid);
    printf("\nversion     %u.%u.%u, mode %u, %s\n", info.version_major, info.version_minor,
           info.version_patch, info.mode,
           info.signature_length < 0 ? "unsigned" : "signed");
    printf("sections    %u\n", info.num_sections);
    for (uint32_t i = 0; i < info.num_sections; i++)
        printf("  %-3u %-20s %-16s offset %-10llu size %llu\n", i, axlf_kind_name(s[i].kind),
               s[i].name, (unsigned long long)s[i].offset, (unsigned long long)s[i].size);
    free(s);
    free(buf);
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
    if (!strcmp(cmd, "xclbin") && argc == 4 && !strcmp(argv[2], "info"))
        return cmd_xclbin_info(argv[3]);
    if (!strcmp(cmd, "examine"))
        return cmd_examine(argc > 2 ? argv[2] : "emu");
    fprintf(stderr, "chimera: unknown command \"%s\"\n\n", cmd);
    usage(stderr);
    return 2;
}
