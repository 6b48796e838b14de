/*
 * chimera - command-line tool: list devices and examine one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axlf.h"
#include "bs_util.h"
#include "cfgpkt.h"
#include "chimera.h"
#include "cli.h"
#include "container.h"
#include "signing.h"

static const char *mode_name(chm_mode m)
{
    static const char *const names[] = { "EMPTY", "CNN", "SPARSE", "GRAPH" };
    return (unsigned)m < 4 ? names[m] : "?";
}

/* One command of the CLI: its words, its arguments and what it does. */
typedef struct command {
    const char *group, *name; /* "xclbin", "info"; group NULL for a top-level command */
    const char *args, *help;
    int min_args, max_args;   /* positional arguments after the command's words */
    int (*run)(char **args, int n, const char *const *opt);
} command;

/* Options a command may take (cli.h); all but --dry-run take a value. */
static const char *const opt_names[N_OPTS] = { "--key",   "--trust",  "--policy", "--target",
                                               "--out",   "--dry-run", "--input", "--device",
                                               "--trace", "--batch",  "--limit",  "--labels",
                                               "--output", "--requant" };

static const command commands[];
static const size_t n_commands;

static void usage_of(FILE *f, const command *c)
{
    char words[64];
    snprintf(words, sizeof words, "%s%s%s", c->group ? c->group : "", c->group ? " " : "", c->name);
    fprintf(f, "  %s %s\n%s\n", words, c->args, c->help);
}

static void usage(FILE *f, const char *group)
{
    fprintf(f, "usage: chimera %s%s<command> [args]   (chimera ... COMMAND --help for one)\n\n",
            group ? group : "", group ? " " : "");
    if (!group)
        fprintf(f, "Chimera drives a reconfigurable CNN/SPARSE/GRAPH overlay on Alveo cards.\n\n");
    fprintf(f, "commands:\n");
    for (size_t i = 0; i < n_commands; i++)
        if (!group || (commands[i].group && !strcmp(commands[i].group, group)))
            usage_of(f, &commands[i]);
    if (group)
        return;
    fprintf(f, "  help\n                     show this text\n\n"
               "Device names: emu (= emu:u250), emu:u250, emu:u280, emu:u55c, emu:u50 - the\n"
               "emulated card; rtl:PLATFORM - the engines in RTL under Verilator; xrt,\n"
               "xrt:INDEX, xrt:BDF, each with @PLATFORM if not a u250 - a card through XRT\n"
               "(CHIMERA_XCLBIN_DIR holds the overlay xclbins `chimera vitis` builds).\n"
               "chimera devices lists them.\n\n"
               "Trust (chm_region_load): CHIMERA_TRUST_DIR names a directory of *.pub keys,\n"
               "CHIMERA_SIG_POLICY is required, if-present (default) or off.\n\n"
               "options: -h, --help   this text;   --version   the SDK version\n");
}

/* A whole decimal int in [lo, hi], or -1 with a message. */
static int parse_int(const char *s, const char *what, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "chimera: %s \"%s\" is not a whole number in %ld..%ld\n", what, s, lo, hi);
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* Reads a whole file, or says why not (a directory, missing, unreadable). */
static uint8_t *read_or_report(const char *path, size_t *len)
{
    uint8_t *buf = bs_read_file(path, len);
    if (!buf)
        fprintf(stderr, "chimera: cannot read %s: %s\n", path, strerror(errno));
    return buf;
}

int cli_open(const char *name, chm_device **dev)
{
    int rc = chm_device_open(name, dev);
    if (rc)
        fprintf(stderr, "chimera: %s\n  (%s)\n", chm_last_error(NULL), chm_strerror(rc));
    return rc;
}

static int cmd_devices(char **a, int n, const char *const *opt)
{
    (void)a, (void)n, (void)opt;
    static const char *const backends[] = { "emu", "rtl" };
    for (size_t b = 0; b < sizeof backends / sizeof backends[0]; b++) {
        for (const char *const *p = chm_platform_names(); *p; p++) {
            char name[CHM_NAME_MAX];
            snprintf(name, sizeof name, "%s:%s", backends[b], *p);
            chm_device *dev;
            if (chm_device_open(name, &dev)) {
                if (b == 0) { /* emu always builds: a failure here is worth saying */
                    fprintf(stderr, "chimera: %s\n", chm_last_error(NULL));
                    return 1;
                }
                printf("%-10s (not available: %s)\n", name, chm_last_error(NULL));
                break;
            }
            chm_device_info info;
            chm_device_query(dev, &info);
            printf("%-10s %-40s %u region%s, %u MACs/cycle, %u memory banks\n", name,
                   info.platform, info.n_regions, info.n_regions == 1 ? "" : "s",
                   info.peak_macs_per_cycle, info.n_banks);
            chm_device_close(dev);
        }
    }
    /* Cards through XRT: opening one loads the overlay (all regions CNN). */
    for (int i = 0; i < 16; i++) {
        char name[CHM_NAME_MAX];
        snprintf(name, sizeof name, "xrt:%d", i);
        chm_device *dev;
        if (chm_device_open(name, &dev)) {
            if (i == 0)
                printf("%-10s (not available: %s)\n", "xrt", chm_last_error(NULL));
            break;
        }
        chm_device_info info;
        chm_device_query(dev, &info);
        printf("%-10s %-40s %u regions, overlay %s\n", name, info.platform, info.n_regions,
               info.xclbin);
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

static void print_uuid(const uint8_t u[16])
{
    for (int i = 0; i < 16; i++)
        printf("%02x%s", u[i], (i == 3 || i == 5 || i == 7 || i == 9) ? "-" : "");
}

static int cmd_examine(char **a, int n, const char *const *opt)
{
    (void)opt;
    const char *name = n ? a[0] : "emu";
    chm_device *dev;
    if (cli_open(name, &dev))
        return 1;
    chm_device_info info;
    chm_device_query(dev, &info);
    printf("device     %s (backend %s)\n", info.name, info.backend);
    printf("platform   %s\n", info.platform);
    printf("shell      interface UUID ");
    print_uuid(info.interface_uuid);
    printf("\n");
    if (info.card[0]) {
        printf("card       %s%s%s%s\n", info.card, info.bdf[0] ? " (PCI " : "", info.bdf,
               info.bdf[0] ? ")" : "");
        if (info.power_w >= 0)
            printf("power      %.2f W now (hwmon power1_input)\n", info.power_w);
        else
            printf("power      not exposed (no hwmon power1_input under the card's functions)\n");
        printf("overlay    %s\n           xclbin UUID ", info.xclbin);
        print_uuid(info.xclbin_uuid);
        printf("\n");
    }
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


static int cmd_xclbin_info(char **a, int n, const char *const *opt)
{
    (void)n, (void)opt;
    const char *path = a[0];
    size_t len;
    uint8_t *buf = read_or_report(path, &len);
    if (!buf)
        return 1;
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
    uint8_t id[SIG_KEYID_BYTES];
    printf("\nversion     %u.%u.%u, mode %u, ", info.version_major, info.version_minor,
           info.version_patch, info.mode);
    if (sig_key_id(buf, len, id) == 0) {
        printf("signed by key ");
        for (unsigned i = 0; i < SIG_KEYID_BYTES; i++)
            printf("%02x", id[i]);
        printf("\n");
    } else {
        printf("%s\n", info.signature_length > 0 ? "signature block malformed" : "unsigned");
    }
    printf("sections    %u\n", info.num_sections);
    for (uint32_t i = 0; i < info.num_sections; i++)
        printf("  %-3u %-20s %-16s offset %-10llu size %llu\n", i, axlf_kind_name(s[i].kind),
               s[i].name, (unsigned long long)s[i].offset, (unsigned long long)s[i].size);
    free(s);
    free(buf);
    return 0;
}

static int cmd_xclbin_pack(char **a, int n, const char *const *opt)
{
    (void)n, (void)opt;
    const char *plat = a[0], *mode = a[2], *out = a[3];
    const platform_desc *p = platform_find(plat);
    int m = mode_by_name(mode), r;
    if (!p) {
        fprintf(stderr, "chimera: %s\n", platform_error());
        return 2;
    }
    if (parse_int(a[1], "region", 0, (long)p->n_regions - 1, &r))
        return 2;
    if (!m) {
        fprintf(stderr, "chimera: mode \"%s\" is not CNN, SPARSE or GRAPH\n", mode);
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

static int policy_of(const char *s, chm_sig_policy *out)
{
    if (!s || !strcmp(s, "if-present"))
        *out = CHM_SIG_IF_PRESENT;
    else if (!strcmp(s, "required"))
        *out = CHM_SIG_REQUIRED;
    else if (!strcmp(s, "off"))
        *out = CHM_SIG_OFF;
    else {
        fprintf(stderr, "chimera: --policy \"%s\": expected required, if-present or off\n", s);
        return -1;
    }
    return 0;
}

static int cmd_xclbin_verify(char **a, int n, const char *const *opt)
{
    (void)n;
    const char *path = a[0], *plat = a[1];
    const platform_desc *p = platform_find(plat);
    chm_sig_policy policy;
    if (!p) {
        fprintf(stderr, "chimera: %s\n", platform_error());
        return 2;
    }
    if (policy_of(opt[OPT_POLICY], &policy))
        return 2;
    size_t len;
    uint8_t *buf = read_or_report(path, &len);
    if (!buf)
        return 1;
    static sig_trust trust;
    char err[256];
    int rc = opt[OPT_TRUST] && sig_trust_load(opt[OPT_TRUST], &trust, err, sizeof err);
    if (!rc && policy != CHM_SIG_OFF) {
        sig_status st = sig_check(buf, len, opt[OPT_TRUST] ? &trust : NULL, err, sizeof err);
        rc = st != SIG_OK && !(st == SIG_UNSIGNED && policy == CHM_SIG_IF_PRESENT);
    }
    container_view v;
    cfg_result res;
    if (!rc)
        rc = container_verify(buf, len, p, &v, err, sizeof err) ||
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

static int cmd_xclbin_keygen(char **a, int n, const char *const *opt)
{
    (void)n, (void)opt;
    char err[256];
    if (sig_keygen(a[0], a[1], err, sizeof err)) {
        fprintf(stderr, "chimera: %s\n", err);
        return 1;
    }
    printf("%s/%s.key (secret, keep it off the card's host) and %s/%s.pub (put it in the trust "
           "store)\n", a[0], a[1], a[0], a[1]);
    return 0;
}

static int cmd_xclbin_sign(char **a, int n, const char *const *opt)
{
    (void)n;
    if (!opt[OPT_KEY]) {
        fprintf(stderr, "chimera: xclbin sign needs --key SECRET_KEY_FILE\n");
        return 2;
    }
    size_t len, out_len;
    uint8_t *buf = read_or_report(a[0], &len);
    if (!buf)
        return 1;
    char err[256];
    uint8_t *out = sig_sign(buf, len, opt[OPT_KEY], &out_len, err, sizeof err);
    free(buf);
    if (!out) {
        fprintf(stderr, "chimera: %s: %s\n", a[0], err);
        return 1;
    }
    FILE *f = fopen(a[1], "wb");
    int ok = f && fwrite(out, 1, out_len, f) == out_len;
    if (f)
        ok &= fclose(f) == 0;
    free(out);
    if (!ok) {
        fprintf(stderr, "chimera: cannot write %s: %s\n", a[1], strerror(errno));
        return 1;
    }
    printf("%s: signed, %zu bytes\n", a[1], out_len);
    return 0;
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

static int cmd_graph_info(char **a, int n, const char *const *opt)
{
    (void)n, (void)opt;
    const char *path = a[0];
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
               "%.2f%% of the %llu a dense sweep reads (the graph as loaded: GCN layers add "
               "self loops first)\n", pass ? "after RCM: " : "",
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

static const command commands[] = {
    { NULL, "devices", "", "                     list the device names this build can open, one a line,\n"
      "                     with platform, regions and peak int8 MACs per cycle", 0, 0, cmd_devices },
    { NULL, "examine", "[DEVICE]", "                     open DEVICE (default \"emu\") and show its platform,\n"
      "                     kernel clock, PCIe rate, memory banks and regions", 0, 1, cmd_examine },
    { "xclbin", "info", "FILE", "                     check an xclbin (AXLF) container and list its header\n"
      "                     (platform, interface UUID, mode, signing key) and sections", 1, 1,
      cmd_xclbin_info },
    { "xclbin", "pack", "PLATFORM REGION MODE OUT", "                     write the emulation's partial-bitstream container for\n"
      "                     MODE (CNN, SPARSE, GRAPH) in REGION (index) of PLATFORM", 4, 4,
      cmd_xclbin_pack },
    { "xclbin", "verify", "FILE PLATFORM [--trust DIR] [--policy required|if-present|off]",
      "                     check FILE as chm_region_load will: signature, container,\n"
      "                     shell, region, checksum, then the packets as the ICAP sees them", 2, 2,
      cmd_xclbin_verify },
    { "xclbin", "keygen", "DIR NAME", "                     make an Ed25519 key pair: DIR/NAME.key (secret) and\n"
      "                     DIR/NAME.pub (copy it into a device's trust store)", 2, 2,
      cmd_xclbin_keygen },
    { "xclbin", "sign", "--key KEYFILE IN OUT", "                     sign container IN with the secret key, writing OUT", 2, 2,
      cmd_xclbin_sign },
    { NULL, "validate", "DEVICE", "                     run a short self-test of each mode (CNN conv, add and\n"
      "                     pool; SPARSE fc; GRAPH GCN int8 and fp32) on DEVICE and on\n"
      "                     the emulated card of its platform; outputs must be equal", 1, 1,
      cli_validate },
    { NULL, "program", "DEVICE MODES", "                     load MODES (one a region: cnn,sparse,graph) into DEVICE's\n"
      "                     regions (on xrt: the overlay xclbin of that assignment)", 2, 2,
      cli_program },
    { NULL, "vitis", "PLATFORM MODES [--target hw|hw_emu] [--out DIR] [--dry-run]",
      "                     build the overlay xclbin of MODES (cnn,sparse,graph: one a\n"
      "                     region) for PLATFORM with v++: writes DIR/TARGET/NAME.cfg\n"
      "                     (connectivity from the platform JSON), runs v++ -c per\n"
      "                     kernel and v++ -l; --dry-run prints the commands", 2, 2,
      cli_vitis },
    { NULL, "run", "MODEL.onnx --input FILE [--device D] [--batch N] [--limit N] [--labels FILE] [--trace T.json] [--output OUT] [--requant float|fixed]",
      "                     run a quantized ONNX model on D (default emu:u250): inputs\n"
      "                     from .npy or IDX (pixels / 255 for a float input); prints\n"
      "                     top-3 outputs, card time and energy per layer and input,\n"
      "                     accuracy with --labels (IDX), writes a Chrome trace, and\n"
      "                     the outputs as raw bytes (ONNX type and layout) to OUT;\n"
      "                     --requant fixed: TFLite's rule in conv/matmul layers\n"
      "                     (default float: ONNX Runtime's float32 rule)", 1, 1,
      cli_run },
    { "model", "info", "MODEL.onnx [--device D]",
      "                     check a quantized ONNX model as chm_model_load does and list\n"
      "                     its card operations: mode, output shape, MACs, weight bytes", 1, 1,
      cli_model_info },
    { "graph", "info", "FILE", "                     load a graph (Matrix Market .mtx, else an edge list) and\n"
      "                     show its size, degrees, self loops, isolated vertices and\n"
      "                     how many feature rows the GRAPH mode's windows load,\n"
      "                     as numbered and after reverse Cuthill-McKee", 1, 1, cmd_graph_info },
};
static const size_t n_commands = sizeof commands / sizeof commands[0];

static int is_help(const char *s)
{
    return !strcmp(s, "-h") || !strcmp(s, "--help");
}

static int is_group(const char *s)
{
    for (size_t i = 0; i < n_commands; i++)
        if (commands[i].group && !strcmp(commands[i].group, s))
            return 1;
    return 0;
}

/* Runs c on the words after its name: options (--key V ...) and positionals. */
static int run_command(const command *c, int argc, char **argv)
{
    char *pos[8];
    const char *opt[N_OPTS] = { NULL };
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (is_help(argv[i])) {
            printf("usage:\n");
            usage_of(stdout, c);
            return 0;
        }
        int o = 0;
        while (o < N_OPTS && strcmp(argv[i], opt_names[o]))
            o++;
        if (o == OPT_DRY_RUN) {
            opt[o] = "1";
        } else if (o < N_OPTS) {
            if (i + 1 == argc) {
                fprintf(stderr, "chimera: %s needs a value\n", argv[i]);
                return 2;
            }
            opt[o] = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            fprintf(stderr, "chimera: unknown option \"%s\"\nusage:\n", argv[i]);
            usage_of(stderr, c);
            return 2;
        } else if (n < 8) {
            pos[n++] = argv[i];
        } else {
            n++;
        }
    }
    if (n < c->min_args || n > c->max_args) {
        fprintf(stderr, "chimera: %s%s%s takes %d..%d arguments, got %d\nusage:\n",
                c->group ? c->group : "", c->group ? " " : "", c->name, c->min_args, c->max_args, n);
        usage_of(stderr, c);
        return 2;
    }
    return c->run(pos, n, opt);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr, NULL);
        return 2;
    }
    const char *cmd = argv[1];
    if (is_help(cmd) || !strcmp(cmd, "help")) {
        usage(stdout, NULL);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("chimera %d.%d\n", CHM_VERSION_MAJOR, CHM_VERSION_MINOR);
        return 0;
    }
    const int grouped = is_group(cmd);
    if (grouped && (argc < 3 || is_help(argv[2]))) {
        usage(argc < 3 ? stderr : stdout, cmd);
        return argc < 3 ? 2 : 0;
    }
    for (size_t i = 0; i < n_commands; i++) {
        const command *c = &commands[i];
        if (grouped ? (c->group && !strcmp(c->group, cmd) && !strcmp(c->name, argv[2]))
                    : (!c->group && !strcmp(c->name, cmd)))
            return run_command(c, argc - 2 - grouped, argv + 2 + grouped);
    }
    if (grouped)
        fprintf(stderr, "chimera: unknown %s command \"%s\"\n\n", cmd, argv[2]);
    else
        fprintf(stderr, "chimera: unknown command \"%s\"\n\n", cmd);
    usage(stderr, grouped ? cmd : NULL);
    return 2;
}
