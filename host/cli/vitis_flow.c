/*
 * vitis_flow.c - the v++ flow of the overlay (vitis_flow.h). Facts: UG1393
 * (v++ -c / -l, --connectivity.nk/sp/slr, [clock] freqHz), UG1399 (HLS
 * kernels compiled from C by v++ -c).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chm_regmaps.h"
#include "vitis_flow.h"
#include "xrt_overlay.h"


/* The HLS sources every top needs (the tops inline their kernels). */
static const char *const sources[] = {
    "top/chm_tops.c", "cnn/cnn_conv.c", "cnn/cnn_pool.c", "cnn/cnn_add.c", "cnn/gemm_dot.c",
    "sparse/sparse_layer.c", "graph/graph_aggregate.c", "graph/graph_layer.c",
};
static const char *const includes[] = { "common", "cnn", "sparse", "graph", "top" };

int vitis_parse_assignment(const platform_desc *p, const char *s, chm_mode *out, char *why,
                           size_t n)
{
    uint32_t r = 0;
    for (const char *c = s; *c; r++) {
        size_t len = strcspn(c, ",");
        char word[16] = "";
        for (size_t i = 0; i < len && i + 1 < sizeof word; i++)
            word[i] = (char)toupper((unsigned char)c[i]);
        const int m = mode_by_name(word);
        if (!m) {
            snprintf(why, n, "\"%.*s\" is not a mode (cnn, sparse, graph)", (int)len, c);
            return -1;
        }
        if (r >= p->n_regions) {
            snprintf(why, n, "%s has %u regions; \"%s\" names more modes", p->name,
                     p->n_regions, s);
            return -1;
        }
        out[r] = (chm_mode)m;
        c += len + (c[len] == ',');
    }
    if (r != p->n_regions) {
        snprintf(why, n, "%s has %u regions; \"%s\" names %u modes", p->name, p->n_regions, s, r);
        return -1;
    }
    return 0;
}

/* The banks of mask as "DDR[0:3]" ranges (one per run of the same type), space separated. */
static int bank_ranges(const platform_desc *p, uint64_t mask, char *out, size_t n)
{
    size_t k = 0;
    int ranges = 0;
    out[0] = '\0';
    for (uint32_t b = 0; b < p->n_banks; b++) {
        if (!(mask >> b & 1))
            continue;
        char type[16];
        int lo, hi, idx;
        sscanf(p->banks[b].name, "%15[^[][%d]", type, &lo);
        hi = lo;
        while (b + 1 < p->n_banks && (mask >> (b + 1) & 1) &&
               sscanf(p->banks[b + 1].name, "%*[^[][%d]", &idx) == 1 && idx == hi + 1 &&
               !strncmp(p->banks[b + 1].name, type, strlen(type)))
            b++, hi++;
        k += (size_t)snprintf(out + k, k < n ? n - k : 0, lo == hi ? "%s%s[%d]" : "%s%s[%d:%d]",
                              ranges ? " " : "", type, lo, hi);
        ranges++;
    }
    return ranges;
}

int vitis_write_cfg(const platform_desc *p, const chm_mode *assign, FILE *f)
{
    char name[128];
    int warnings = 0;
    xrt_overlay_name(p, assign, name, sizeof name);
    fprintf(f, "# %s: v++ -l connectivity for the Chimera overlay on %s (%s)\n", name, p->name,
            p->vbnv);
    fprintf(f, "# made by `chimera vitis` from overlays/platforms/%s.json; do not edit\n",
            p->name);
    fprintf(f, "[connectivity]\n");
    for (size_t i = 0; i < CHM_N_REGMAPS; i++) {
        char cus[512] = "";
        int count = 0;
        for (uint32_t r = 0; r < p->n_regions; r++) {
            const mode_desc *m = mode_find((int)assign[r]);
            for (int k = 0; m && k < m->n_kernels; k++)
                if (!strcmp(m->kernels[k], chm_regmaps[i].kernel))
                    snprintf(cus + strlen(cus), sizeof cus - strlen(cus), "%schm_%s_r%u",
                             count++ ? "." : "", chm_regmaps[i].kernel, r);
        }
        if (count)
            fprintf(f, "nk=chm_%s:%d:%s\n", chm_regmaps[i].kernel, count, cus);
    }
    for (uint32_t r = 0; r < p->n_regions; r++) {
        const mode_desc *m = mode_find((int)assign[r]);
        char ranges[256];
        int nr = bank_ranges(p, p->regions[r].bank_mask, ranges, sizeof ranges);
        if (nr > 1) {
            fprintf(f, "# warning: region %u (%s) reaches %s: one port takes one contiguous "
                       "range of one memory type, so v++ will refuse the second sp= of each "
                       "argument; give the region one range in the platform JSON\n",
                    r, p->regions[r].name, ranges);
            warnings++;
        }
        int slr = -1;
        sscanf(p->regions[r].name, "pr_slr%d", &slr);
        for (int k = 0; m && k < m->n_kernels; k++) {
            const chm_regmap *mp = chm_regmap_find(m->kernels[k]);
            const chm_regmap_arg *a = mp ? mp->args : NULL;
            for (int i = 0; a && i < mp->n; i++) {
                if (a[i].bits != 64)
                    continue;
                for (char *s = ranges, *e; *s; s = *e ? e + 1 : e) {
                    e = strchr(s, ' ');
                    if (!e)
                        e = s + strlen(s);
                    fprintf(f, "sp=chm_%s_r%u.%s:%.*s\n", m->kernels[k], r, a[i].name,
                            (int)(e - s), s);
                }
            }
            if (slr >= 0)
                fprintf(f, "slr=chm_%s_r%u:SLR%d\n", m->kernels[k], r, slr);
        }
    }
    fprintf(f, "\n[clock]\nfreqHz=%.0f:", p->kernel_mhz * 1e6);
    int first = 1;
    for (uint32_t r = 0; r < p->n_regions; r++) {
        const mode_desc *m = mode_find((int)assign[r]);
        for (int k = 0; m && k < m->n_kernels; k++, first = 0)
            fprintf(f, "%schm_%s_r%u", first ? "" : ".", m->kernels[k], r);
    }
    fprintf(f, "\n");
    return warnings;
}

void vitis_write_commands(const platform_desc *p, const chm_mode *assign, const char *target,
                          const char *srcdir, const char *outdir, FILE *f)
{
    char name[128], base[128];
    xrt_overlay_name(p, assign, name, sizeof name);
    snprintf(base, sizeof base, "%.*s", (int)(strlen(name) - strlen(".xclbin")), name);
    int needed[CHM_N_REGMAPS] = { 0 };
    for (uint32_t r = 0; r < p->n_regions; r++) {
        const mode_desc *m = mode_find((int)assign[r]);
        for (int k = 0; m && k < m->n_kernels; k++)
            for (size_t i = 0; i < CHM_N_REGMAPS; i++)
                needed[i] |= !strcmp(m->kernels[k], chm_regmaps[i].kernel);
    }
    char xos[1024] = "";
    for (size_t i = 0; i < CHM_N_REGMAPS; i++) {
        if (!needed[i])
            continue;
        fprintf(f, "v++ -c -t %s --platform %s -k chm_%s", target, p->vbnv, chm_regmaps[i].kernel);
        for (size_t j = 0; j < sizeof includes / sizeof includes[0]; j++)
            fprintf(f, " -I%s/%s", srcdir, includes[j]);
        fprintf(f, " -o %s/chm_%s.xo", outdir, chm_regmaps[i].kernel);
        for (size_t j = 0; j < sizeof sources / sizeof sources[0]; j++)
            fprintf(f, " %s/%s", srcdir, sources[j]);
        fprintf(f, "\n");
        snprintf(xos + strlen(xos), sizeof xos - strlen(xos), " %s/chm_%s.xo", outdir,
                 chm_regmaps[i].kernel);
    }
    fprintf(f, "v++ -l -t %s --platform %s --config %s/%s.cfg -o %s/%s%s\n", target, p->vbnv,
            outdir, base, outdir, name, xos);
}
