/*
 * chimera - command-line tool: list devices and examine one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axlf.h"
#include "bs_util.h"
#include "cfgpkt.h"
#include "chimera.h"
#include "container.h"

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
            "  xclbin pack PLATFORM REGION MODE OUT\n"
            "                     write the emulation's partial-bitstream container for\n"
            "                     MODE (CNN, SPARSE, GRAPH) in REGION (index) of PLATFORM\n"
            "  xclbin verify FILE PLATFORM\n"
            "                     check FILE as chm_region_load will: container, shell,\n"
            "                     region, checksum, then the packets as the ICAP sees them\n"
            "  graph info FILE    load a graph (Matrix Market .mtx, else an edge list) and\n"
            "                     show its size, degrees, self loops, isolated vertices and\n"
            "                     how many feature rows the GRAPH mode's windows load,\n"
            "                     as numbered and after reverse Cuthill-McKee\n"
            "  help               show this text\n"
            "\n"
            "Device names: emu (= emu:u250), emu:u250, emu:u280, emu:u55c - the emulated\n"
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
    static const char *const states[] = { "EMPTY", "CONFIGURING", "CONFIGURED", "FAILED" };
    for (uint32_t r = 0; r < info.n_regions; r++)
        printf("  %-3u %-8s %-11s mode %-6s %5u MACs/cycle  %u frames\n", r, info.regions[r].name,
               states[info.regions[r].state & 3], mode_name(info.regions[r].mode),
               info.regions[r].macs_per_cycle, info.regions[r].frames);
    for (uint32_t r = 0; r < info.n_regions; r++) {
        printf("  region %u reaches", r);
        for (uint32_t b = 0; b < info.n_banks; b++)
            if (info.regions[r].banks >> b & 1)
                printf(" %s", info.banks[b].name);
        printf("\n");
    }
    chm_device_close(dev);
    return 0;
}

static void print_uuid(const uint8_t u[16])
{
    for (int i = 0; i < 16; i++)
        printf("%02x%s", u[i], (i == 3 || i == 5 || i == 7 || i == 9) ? "-" : "");
}

static int cmd_xclbin_info(const char *path)
{
    size_t len;
    uint8_t *buf = bs_read_file(path, &len);
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

static int cmd_xclbin_pack(const char *plat, const char *region, const char *mode,
                           const char *out)
{
    const platform_desc *p = platform_find(plat);
    int m = mode_by_name(mode), r = atoi(region);
    if (!p || !m || r < 0 || (uint32_t)r >= p->n_regions) {
        fprintf(stderr, "chimera: no platform \"%s\", region %s or mode \"%s\"\n", plat, region,
                mode);
        return 2;
    }
    size_t len;
    uint8_t *buf = container_pack(p, r, m, &len);
    FILE *f = buf ? fopen(out, "wb") : NULL;
    int ok = f && fwrite(buf, 1, len, f) == len;
    if (f)
        ok &= fclose(f) == 0;
    free(buf);
    if (!ok) {
        fprintf(stderr, "chimera: cannot write %s\n", out);
        return 1;
    }
    printf("%s: %s for region %d (%s) of %s, %zu bytes\n", out, mode, r, p->regions[r].name,
           p->name, len);
    return 0;
}

static int cmd_xclbin_verify(const char *path, const char *plat)
{
    const platform_desc *p = platform_find(plat);
    if (!p) {
        fprintf(stderr, "chimera: unknown platform \"%s\"\n", plat);
        return 2;
    }
    size_t len;
    uint8_t *buf = bs_read_file(path, &len);
    if (!buf) {
        fprintf(stderr, "chimera: cannot read %s\n", path);
        return 1;
    }
    container_view v;
    cfg_result res;
    char err[256];
    int rc = container_verify(buf, len, p, &v, err, sizeof err) ||
             cfg_check(v.bitstream, v.bitstream_len,
                       &(cfg_target){ p->idcode, p->regions[v.region].far, v.frames }, &res, err,
                       sizeof err);
    if (rc)
        fprintf(stderr, "chimera: %s: %s\n", path, err);
    else
        printf("%s: OK, mode %s for region %d (%s) of %s, %u frames, %zu bitstream bytes\n", path,
               mode_find(v.mode)->name, v.region, p->regions[v.region].name, p->name, res.frames,
               v.bitstream_len);
    free(buf);
    return rc ? 1 : 0;
}

/* What the aggregation engine's windows load for g, from a 1-wide fp32 layer's plan. */
static int window_plan(chm_device *dev, const chm_graph *g, int64_t n, chm_gnn_plan *plan)
{
    chm_tensor *tg = NULL, *x = NULL, *w = NULL, *o = NULL;
    const chm_gnn_params p = { .kind = CHM_GNN_GCN, .order = CHM_ORDER_AGGREGATE_FIRST };
    int rc = chm_graph_upload(dev, g, CHM_BANK_DEFAULT, &tg) ||
             chm_tensor_alloc(dev, CHM_FP32, 2, (const int64_t[]){ n, 1 }, CHM_BANK_DEFAULT, &x) ||
             chm_tensor_alloc(dev, CHM_FP32, 2, (const int64_t[]){ 1, 1 }, CHM_BANK_DEFAULT, &w) ||
             chm_tensor_alloc(dev, CHM_FP32, 2, (const int64_t[]){ n, 1 }, CHM_BANK_DEFAULT, &o) ||
             chm_gnn_layer_plan(dev, tg, x, w, NULL, NULL, NULL, o, &p, plan);
    if (rc)
        fprintf(stderr, "chimera: %s\n", chm_last_error(dev));
    chm_tensor_free(tg), chm_tensor_free(x), chm_tensor_free(w), chm_tensor_free(o);
    return rc;
}

static int cmd_graph_info(const char *path)
{
    chm_graph *g;
    const size_t len = strlen(path);
    int rc = len > 4 && !strcmp(path + len - 4, ".mtx") ? chm_graph_load_mtx(path, 0, &g)
                                                           : chm_graph_load_edgelist(path, 0, 0, &g);
    if (rc) {
        fprintf(stderr, "chimera: %s\n", chm_last_error(NULL));
        return 1;
    }
    chm_graph_info gi;
    chm_graph_query(g, &gi);
    printf("%s\nvertices    %lld\nedges       %lld (directed; an undirected edge counts twice)\n"
           "self loops  %lld\nisolated    %lld\nmax in-degree %lld, mean %.2f\n", path,
           (long long)gi.n, (long long)gi.edges, (long long)gi.self_loops, (long long)gi.isolated,
           (long long)gi.max_in_degree, (double)gi.edges / (double)gi.n);
    chm_device *dev = NULL;
    rc = chm_device_open("emu", &dev);
    if (rc)
        fprintf(stderr, "chimera: %s\n", chm_last_error(NULL));
    for (int pass = 0; pass < 2 && !rc; pass++) {
        chm_gnn_plan plan;
        if (pass && (rc = chm_graph_reorder(g, CHM_REORDER_RCM, NULL)) != 0) {
            fprintf(stderr, "chimera: %s\n", chm_last_error(NULL));
            break;
        }
        if ((rc = window_plan(dev, g, gi.n, &plan)) != 0)
            break;
        printf("windows     %s%llu over %lld blocks of 32 vertices; they load %llu source rows, "
               "%.2f%% of the %llu a dense sweep reads\n", pass ? "after RCM: " : "",
               (unsigned long long)plan.windows, (long long)((gi.n + 31) / 32),
               (unsigned long long)plan.rows_loaded,
               100.0 * (double)plan.rows_loaded / (double)plan.rows_dense,
               (unsigned long long)plan.rows_dense);
    }
    if (dev)
        chm_device_close(dev);
    chm_graph_free(g);
    return rc ? 1 : 0;
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
    if (!strcmp(cmd, "xclbin") && argc == 7 && !strcmp(argv[2], "pack"))
        return cmd_xclbin_pack(argv[3], argv[4], argv[5], argv[6]);
    if (!strcmp(cmd, "xclbin") && argc == 5 && !strcmp(argv[2], "verify"))
        return cmd_xclbin_verify(argv[3], argv[4]);
    if (!strcmp(cmd, "graph") && argc == 4 && !strcmp(argv[2], "info"))
        return cmd_graph_info(argv[3]);
    if (!strcmp(cmd, "examine"))
        return cmd_examine(argc > 2 ? argv[2] : "emu");
    fprintf(stderr, "chimera: unknown command \"%s\"\n\n", cmd);
    usage(stderr);
    return 2;
}
