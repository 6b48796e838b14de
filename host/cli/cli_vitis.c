/*
 * cli_vitis.c - `chimera vitis` (the Vitis build of an overlay xclbin) and
 * `chimera program` (a mode assignment onto a device).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "vitis_flow.h"
#include "xrt_overlay.h"

#ifndef CHM_HLS_DIR
#define CHM_HLS_DIR "hls"
#endif

static int make_dirs(const char *path)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0777) && errno != EEXIST ? -1 : 0;
}

int cli_vitis(char **a, int n, const char *const *opt)
{
    (void)n;
    const platform_desc *p = platform_find(a[0]);
    if (!p) {
        fprintf(stderr, "chimera: %s\n", platform_error());
        return 1;
    }
    chm_mode assign[PLATFORM_MAX_REGIONS];
    char why[256];
    if (vitis_parse_assignment(p, a[1], assign, why, sizeof why)) {
        fprintf(stderr, "chimera: %s\n", why);
        return 2;
    }
    const char *target = opt[OPT_TARGET] ? opt[OPT_TARGET] : "hw";
    if (strcmp(target, "hw") && strcmp(target, "hw_emu")) {
        fprintf(stderr, "chimera: --target is hw or hw_emu, not \"%s\"\n", target);
        return 2;
    }
    char out[768], name[128], cfg[1024];
    snprintf(out, sizeof out, "%s/%s", opt[OPT_OUT] ? opt[OPT_OUT] : "xclbin", target);
    const char *env = getenv("CHIMERA_HLS_DIR");
    const char *src = env && env[0] ? env : CHM_HLS_DIR;
    xrt_overlay_name(p, assign, name, sizeof name);
    snprintf(cfg, sizeof cfg, "%s/%.*s.cfg", out, (int)(strlen(name) - 7), name);
    FILE *f = make_dirs(out) == 0 ? fopen(cfg, "w") : NULL;
    if (!f) {
        fprintf(stderr, "chimera: cannot write %s: %s\n", cfg, strerror(errno));
        return 1;
    }
    const int warnings = vitis_write_cfg(p, assign, f);
    fclose(f);
    if (warnings)
        fprintf(stderr, "chimera: %s has %d warning%s (see its comments)\n", cfg, warnings,
                warnings == 1 ? "" : "s");
    char *cmds = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&cmds, &len);
    if (!m)
        return 1;
    vitis_write_commands(p, assign, target, src, out, m);
    fclose(m);
    int rc = 0;
    if (opt[OPT_DRY_RUN]) {
        printf("# %s (connectivity in %s)\n%s", name, cfg, cmds);
    } else if (system("command -v v++ > /dev/null 2>&1") != 0) {
        fprintf(stderr, "chimera: v++ is not on PATH: source Vitis's settings64.sh (and XRT's "
                        "setup.sh), or add --dry-run to see the commands\n");
        rc = 1;
    } else {
        for (char *line = strtok(cmds, "\n"); line && !rc; line = strtok(NULL, "\n")) {
            printf("%s\n", line);
            fflush(stdout);
            rc = system(line) != 0;
        }
        if (!rc)
            printf("built %s/%s: CHIMERA_XCLBIN_DIR=%s for the xrt backend\n", out, name, out);
    }
    free(cmds);
    return rc;
}

/* `chimera program DEVICE cnn,sparse,graph`: each region into its mode. */
int cli_program(char **a, int n, const char *const *opt)
{
    (void)n, (void)opt;
    chm_device *dev;
    if (cli_open(a[0], &dev))
        return 1;
    chm_device_info info;
    chm_device_query(dev, &info);
    int rc = 0;
    uint32_t r = 0;
    for (const char *c = a[1]; *c && !rc; r++) {
        size_t len = strcspn(c, ",");
        char word[16] = "";
        for (size_t i = 0; i < len && i + 1 < sizeof word; i++)
            word[i] = (char)(c[i] >= 'a' && c[i] <= 'z' ? c[i] - 32 : c[i]);
        const chm_mode m = !strcmp(word, "CNN") ? CHM_MODE_CNN : !strcmp(word, "SPARSE")
                         ? CHM_MODE_SPARSE : !strcmp(word, "GRAPH") ? CHM_MODE_GRAPH : CHM_MODE_EMPTY;
        if (m == CHM_MODE_EMPTY || r >= info.n_regions) {
            fprintf(stderr, "chimera: \"%s\" is not one mode (cnn, sparse, graph) for each of the "
                            "%u regions\n", a[1], info.n_regions);
            rc = 2;
            break;
        }
        chm_event *ev = NULL;
        if (info.regions[r].mode != m &&
            (chm_region_load_mode(dev, (int)r, m, &ev) || chm_wait(ev))) {
            fprintf(stderr, "chimera: region %u: %s\n", r, chm_last_error(dev));
            rc = 1;
        }
        chm_event_release(ev);
        c += len + (c[len] == ',');
    }
    if (!rc && r != info.n_regions) {
        fprintf(stderr, "chimera: %s has %u regions; \"%s\" names %u\n", a[0], info.n_regions,
                a[1], r);
        rc = 2;
    }
    if (!rc) {
        chm_device_stats s;
        chm_device_stats_get(dev, &s);
        printf("%s: regions hold %s (%llu load%s, %.1f ms of reconfiguration)\n", a[0], a[1],
               (unsigned long long)s.reconfigurations, s.reconfigurations == 1 ? "" : "s",
               s.device_reconfig_us / 1e3);
    }
    chm_device_close(dev);
    return rc;
}
