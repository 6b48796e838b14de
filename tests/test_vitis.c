/*
 * test_vitis.c - the Vitis flow `chimera vitis` prints and the connectivity
 * config it writes, checked against the platform JSON and the register
 * maps: every compute unit of every region's mode (nk=), every buffer
 * argument connected to exactly the banks its region reaches (sp=), each
 * unit in its region's SLR (slr=), one v++ -c per kernel the assignment
 * needs and one v++ -l naming the config, the .xo files and the xclbin the
 * xrt backend will look for.
 */
#define _GNU_SOURCE /* open_memstream's prototype under glibc's strict headers */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chm_regmaps.h"
#include "test_util.h"
#include "vitis_flow.h"
#include "xrt_overlay.h"


static char *cfg_of(const platform_desc *p, const chm_mode *a, int *warnings)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    *warnings = vitis_write_cfg(p, a, f);
    fclose(f);
    return text;
}

/* The banks "sp=<cu>.<arg>:" lines connect, as a mask. */
static uint64_t sp_mask(const platform_desc *p, const char *cfg, const char *cu, const char *arg)
{
    char key[128];
    uint64_t mask = 0;
    const int klen = snprintf(key, sizeof key, "sp=%s.%s:", cu, arg);
    for (size_t at = 0; cfg[at];) {
        const size_t len = strcspn(cfg + at, "\n");
        char line[160];
        snprintf(line, sizeof line, "%.*s", (int)len, cfg + at);
        at += len + (cfg[at + len] == '\n');
        if (strncmp(line, key, (size_t)klen))
            continue;
        char type[16];
        int lo, hi;
        if (sscanf(line + klen, "%15[^[][%d:%d]", type, &lo, &hi) != 3) {
            sscanf(line + klen, "%15[^[][%d]", type, &lo);
            hi = lo;
        }
        for (int i = lo; i <= hi; i++) {
            char bank[32];
            snprintf(bank, sizeof bank, "%s[%d]", type, i);
            for (uint32_t b = 0; b < p->n_banks; b++)
                if (!strcmp(p->banks[b].name, bank))
                    mask |= 1ull << b;
        }
    }
    return mask;
}

static void check_cfg(const platform_desc *p, const chm_mode *a)
{
    int warnings;
    char *cfg = cfg_of(p, a, &warnings);
    int expect_warnings = 0;
    for (uint32_t r = 0; r < p->n_regions; r++) {
        const mode_desc *m = mode_find((int)a[r]);
        int types = 0;
        for (uint32_t b = 0; b < p->n_banks; b++) /* HBM and DDR both reached: a warning */
            if (p->regions[r].bank_mask >> b & 1 &&
                (b == 0 || !(p->regions[r].bank_mask >> (b - 1) & 1) ||
                 strncmp(p->banks[b].name, p->banks[b - 1].name, 3)))
                types++;
        expect_warnings += types > 1;
        for (int k = 0; k < m->n_kernels; k++) {
            char cu[64], want[96];
            snprintf(cu, sizeof cu, "chm_%s_r%u", m->kernels[k], r);
            CU_ASSERT_PTR_NOT_NULL(strstr(cfg, cu)); /* listed in nk= */
            for (size_t i = 0; i < CHM_N_REGMAPS; i++) {
                if (strcmp(chm_regmaps[i].kernel, m->kernels[k]))
                    continue;
                for (int j = 0; j < chm_regmaps[i].n; j++) {
                    uint64_t got = sp_mask(p, cfg, cu, chm_regmaps[i].args[j].name);
                    uint64_t want_mask = chm_regmaps[i].args[j].bits == 64 ? p->regions[r].bank_mask : 0;
                    CU_ASSERT_EQUAL(got, want_mask);
                    if (got != want_mask)
                        fprintf(stderr, "\n  %s %s.%s: banks %llx, region reaches %llx\n", p->name,
                                cu, chm_regmaps[i].args[j].name, (unsigned long long)got,
                                (unsigned long long)want_mask);
                }
            }
            int slr;
            if (sscanf(p->regions[r].name, "pr_slr%d", &slr) == 1) {
                snprintf(want, sizeof want, "\nslr=%s:SLR%d\n", cu, slr);
                CU_ASSERT_PTR_NOT_NULL(strstr(cfg, want));
            }
        }
    }
    /* nk= counts: units of each kernel = regions whose mode has it */
    for (size_t i = 0; i < CHM_N_REGMAPS; i++) {
        int count = 0;
        for (uint32_t r = 0; r < p->n_regions; r++) {
            const mode_desc *m = mode_find((int)a[r]);
            for (int k = 0; k < m->n_kernels; k++)
                count += !strcmp(m->kernels[k], chm_regmaps[i].kernel);
        }
        char nk[64];
        snprintf(nk, sizeof nk, "\nnk=chm_%s:%d:", chm_regmaps[i].kernel, count);
        CU_ASSERT_EQUAL(strstr(cfg, nk) != NULL, count > 0);
    }
    char freq[64];
    snprintf(freq, sizeof freq, "[clock]\nfreqHz=%.0f:", p->kernel_mhz * 1e6);
    CU_ASSERT_PTR_NOT_NULL(strstr(cfg, freq));
    CU_ASSERT_EQUAL(warnings, expect_warnings);
    free(cfg);
}

static void check_commands(const platform_desc *p, const chm_mode *a, const char *target)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    vitis_write_commands(p, a, target, "/src/hls", "/out", f);
    fclose(f);
    char name[128], want[512];
    xrt_overlay_name(p, a, name, sizeof name);
    int lines = 0;
    for (const char *s = text; (s = strchr(s, '\n')); s++)
        lines++;
    int kernels = 0;
    for (size_t i = 0; i < CHM_N_REGMAPS; i++) {
        int needed = 0;
        for (uint32_t r = 0; r < p->n_regions; r++) {
            const mode_desc *m = mode_find((int)a[r]);
            for (int k = 0; k < m->n_kernels; k++)
                needed |= !strcmp(m->kernels[k], chm_regmaps[i].kernel);
        }
        snprintf(want, sizeof want, "v++ -c -t %s --platform %s -k chm_%s ", target, p->vbnv,
                 chm_regmaps[i].kernel);
        CU_ASSERT_EQUAL(strstr(text, want) != NULL, needed);
        snprintf(want, sizeof want, " /out/chm_%s.xo", chm_regmaps[i].kernel);
        CU_ASSERT_EQUAL(strstr(text, want) != NULL, needed);
        kernels += needed;
    }
    snprintf(want, sizeof want, "v++ -l -t %s --platform %s --config /out/%.*s.cfg -o /out/%s ",
             target, p->vbnv, (int)(strlen(name) - 7), name, name);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, want));
    CU_ASSERT_EQUAL(lines, kernels + 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "/src/hls/top/chm_tops.c"));
    free(text);
}

/* Every shipped platform, all-CNN and a mixed assignment, both targets. */
static void test_platforms(void)
{
    for (const char *const *n = platform_names(); *n; n++) {
        const platform_desc *p = platform_find(*n);
        CU_ASSERT_FATAL(p != NULL);
        chm_mode a[PLATFORM_MAX_REGIONS];
        for (int mix = 0; mix < 2; mix++) {
            for (uint32_t r = 0; r < p->n_regions; r++)
                a[r] = mix ? (chm_mode)(1 + (r + 1) % 3) : CHM_MODE_CNN;
            check_cfg(p, a);
            check_commands(p, a, mix ? "hw_emu" : "hw");
        }
    }
}

static void test_assignments(void)
{
    const platform_desc *p = platform_find("u250");
    chm_mode a[PLATFORM_MAX_REGIONS];
    char why[256];
    CU_ASSERT_EQUAL(vitis_parse_assignment(p, "cnn,Sparse,GRAPH", a, why, sizeof why), 0);
    CU_ASSERT(a[0] == CHM_MODE_CNN && a[1] == CHM_MODE_SPARSE && a[2] == CHM_MODE_GRAPH);
    CU_ASSERT_EQUAL(vitis_parse_assignment(p, "cnn,cnn", a, why, sizeof why), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "3 regions"));
    CU_ASSERT_EQUAL(vitis_parse_assignment(p, "cnn,tpu,cnn", a, why, sizeof why), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "\"tpu\" is not a mode"));
    CU_ASSERT_EQUAL(vitis_parse_assignment(p, "cnn,cnn,cnn,cnn", a, why, sizeof why), -1);
    char name[128];
    vitis_parse_assignment(p, "graph,cnn,sparse", a, why, sizeof why);
    xrt_overlay_name(p, a, name, sizeof name);
    CU_ASSERT_STRING_EQUAL(name, "u250_graph-cnn-sparse.xclbin");
}

/* The overlay reader (xrt_overlay.c) on a good overlay xclbin and damaged copies of it
 * (the seeds of fuzz_overlay): each refused with its own reason, or read as it is. */
static void test_overlay_files(void)
{
    const platform_desc *p = platform_find("u250");
    const struct { const char *file, *why; } cases[] = {
        { "overlay_good", NULL },
        { "mem_topology_all_unused", NULL },
        { "mem_topology_count_past_end", "MEM_TOPOLOGY holds 1000 entries" },
        { "ip_layout_negative_count", "IP_LAYOUT holds -1 entries" },
        { "ip_layout_count_past_end", "IP_LAYOUT holds 100 entries" },
        { "other_shell", "built for the shell with interface UUID 7f" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[512], why[512] = "";
        snprintf(path, sizeof path, "%s/%s", CHM_OVERLAY_CORPUS, cases[i].file);
        xrt_overlay o;
        const int rc = xrt_overlay_read(p, path, &o, why, sizeof why);
        CU_ASSERT_EQUAL(rc, cases[i].why ? -1 : 0);
        if (cases[i].why && !strstr(why, cases[i].why))
            fprintf(stderr, "\n  %s: \"%s\" lacks \"%s\"\n", cases[i].file, why, cases[i].why);
        CU_ASSERT(!cases[i].why || strstr(why, cases[i].why));
        if (rc == 0) {
            CU_ASSERT(o.mode[0] == CHM_MODE_CNN && o.mode[1] == CHM_MODE_SPARSE &&
                      o.mode[2] == CHM_MODE_GRAPH);
            const int unused = !strcmp(cases[i].file, "mem_topology_all_unused");
            for (uint32_t b = 0; b < p->n_banks; b++) /* bankN tags; unused banks have no group */
                CU_ASSERT_EQUAL(o.group[b], unused ? -1 : (int)b);
        }
    }
    xrt_overlay o;
    char why[256];
    CU_ASSERT_EQUAL(xrt_overlay_read(p, "/nonexistent.xclbin", &o, why, sizeof why), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "cannot read /nonexistent.xclbin"));
}

int main(void)
{
    static const tu_test tests[] = {
        { "config and commands against every platform JSON", test_platforms },
        { "assignments and xclbin names", test_assignments },
        { "overlay files, good and damaged", test_overlay_files },
        { NULL, NULL },
    };
    return tu_run_suite("vitis", NULL, tests, NULL, NULL);
}
