/*
 * xrt_overlay.c - overlay xclbins for XRT cards (xrt_overlay.h). Section
 * layouts: shared/FORMATS.md (MEM_TOPOLOGY, IP_LAYOUT).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axlf.h"
#include "bs_util.h"
#include "xrt_overlay.h"

#ifndef CHM_XCLBIN_INSTALL_DIR
#define CHM_XCLBIN_INSTALL_DIR "/usr/local/share/chimera/xclbin"
#endif

#define MEM_ENTRY 40u
#define IP_ENTRY 80u

void xrt_overlay_name(const platform_desc *p, const chm_mode *assign, char *out, size_t n)
{
    size_t k = (size_t)snprintf(out, n, "%s_", p->name);
    for (uint32_t r = 0; r < p->n_regions && k < n; r++) {
        const mode_desc *m = mode_find((int)assign[r]);
        k += (size_t)snprintf(out + k, n - k, "%s", r ? "-" : "");
        for (const char *c = m ? m->name : "empty"; *c && k + 1 < n; c++)
            out[k++] = (char)tolower((unsigned char)*c);
        out[k < n ? k : n - 1] = '\0';
    }
    if (k < n)
        snprintf(out + k, n - k, ".xclbin");
}

const char *xrt_overlay_dir(void)
{
    const char *env = getenv("CHIMERA_XCLBIN_DIR");
    return env && env[0] ? env : CHM_XCLBIN_INSTALL_DIR;
}

static int32_t le32(const uint8_t *p)
{
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24);
}

/* "DDR[2]" is tagged "DDR[2]" or "bank2" (older DDR shells); "HBM[7]" is "HBM[7]". */
static int tag_is(const char *tag, const char *bank)
{
    int i;
    char rest;
    if (strcmp(tag, bank) == 0)
        return 1;
    return sscanf(bank, "DDR[%d%c", &i, &rest) == 2 && rest == ']' &&
           strncmp(tag, "bank", 4) == 0 && atoi(tag + 4) == i && isdigit((unsigned char)tag[4]);
}

/* A table section (int32 count, 4 bytes padding, count entries): its count, or -1 with
 * why if the entries do not fit in the section. */
static int32_t entries(const axlf_section *s, uint32_t entry, char *why, size_t n)
{
    const int32_t count = s->size >= 8 ? le32(s->data) : -1;
    if (count < 0 || 8 + (uint64_t)count * entry > s->size) {
        snprintf(why, n, "%s holds %d entries in %llu bytes", axlf_kind_name(s->kind), count,
                 (unsigned long long)s->size);
        return -1;
    }
    return count;
}

static int read_groups(const platform_desc *p, const axlf_section *s, xrt_overlay *o, char *why,
                       size_t n)
{
    const int32_t count = entries(s, MEM_ENTRY, why, n);
    if (count < 0)
        return -1;
    for (uint32_t b = 0; b < p->n_banks; b++) {
        o->group[b] = -1;
        for (int32_t i = 0; i < count; i++) {
            const uint8_t *e = s->data + 8 + (size_t)i * MEM_ENTRY;
            char tag[17];
            memcpy(tag, e + 24, 16);
            tag[16] = '\0';
            if (e[1] && tag_is(tag, p->banks[b].name)) {
                o->group[b] = i;
                break;
            }
        }
    }
    return 0;
}

/* Does IP_LAYOUT hold the compute unit chm_<kernel>:chm_<kernel>_r<region>? */
static int has_cu(const axlf_section *s, int32_t count, const char *kernel, int region)
{
    char want[64];
    snprintf(want, sizeof want, "chm_%s:chm_%s_r%d", kernel, kernel, region);
    for (int32_t i = 0; i < count; i++) {
        const uint8_t *e = s->data + 8 + (size_t)i * IP_ENTRY;
        if (le32(e) == 1 /* IP_KERNEL */ && strncmp((const char *)e + 16, want, 64) == 0)
            return 1;
    }
    return 0;
}

static int read_modes(const platform_desc *p, const axlf_section *s, xrt_overlay *o, char *why,
                      size_t n)
{
    const int32_t count = entries(s, IP_ENTRY, why, n);
    if (count < 0)
        return -1;
    o->n_regions = (int)p->n_regions;
    for (int r = 0; r < o->n_regions; r++) {
        o->mode[r] = CHM_MODE_EMPTY;
        for (int m = 1; m <= 3 && o->mode[r] == CHM_MODE_EMPTY; m++) {
            const mode_desc *md = mode_find(m);
            int all = md != NULL;
            for (int k = 0; md && k < md->n_kernels; k++)
                all = all && has_cu(s, count, md->kernels[k], r);
            if (all)
                o->mode[r] = (chm_mode)m;
        }
    }
    return 0;
}

static void uuid_str(const uint8_t u[16], char out[37])
{
    for (int i = 0, k = 0; i < 16; i++)
        k += sprintf(out + k, "%s%02x", i == 4 || i == 6 || i == 8 || i == 10 ? "-" : "", u[i]);
}

int xrt_overlay_parse(const platform_desc *p, const uint8_t *buf, size_t len, const char *path,
                      xrt_overlay *o, char *why, size_t n)
{
    memset(o, 0, sizeof *o);
    snprintf(o->path, sizeof o->path, "%s", path);
    axlf_info info;
    axlf_section sec[64];
    char err[200];
    if (axlf_parse(buf, len, &info, sec, 64, err, sizeof err)) {
        snprintf(why, n, "%s is not an xclbin: %s", path, err);
        return -1;
    }
    if (memcmp(info.interface_uuid, p->interface_uuid, 16) != 0) {
        char a[37], b[37];
        uuid_str(info.interface_uuid, a);
        uuid_str(p->interface_uuid, b);
        snprintf(why, n, "%s is built for the shell with interface UUID %s, not %s's (%s)", path,
                 a, p->name, b);
        return -1;
    }
    memcpy(o->uuid, info.xclbin_uuid, 16);
    const uint32_t ns = info.num_sections < 64 ? info.num_sections : 64;
    const axlf_section *mem = axlf_find(sec, ns, AXLF_MEM_TOPOLOGY);
    const axlf_section *ip = axlf_find(sec, ns, AXLF_IP_LAYOUT);
    if (!mem || !ip) {
        snprintf(why, n, "%s has no %s section", path, mem ? "IP_LAYOUT" : "MEM_TOPOLOGY");
        return -1;
    }
    if (read_groups(p, mem, o, err, sizeof err) || read_modes(p, ip, o, err, sizeof err)) {
        snprintf(why, n, "%s: %s", path, err);
        return -1;
    }
    return 0;
}

int xrt_overlay_read(const platform_desc *p, const char *path, xrt_overlay *o, char *why,
                     size_t n)
{
    size_t len;
    uint8_t *buf = bs_read_file(path, &len);
    if (!buf) {
        memset(o, 0, sizeof *o);
        snprintf(why, n, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    int rc = xrt_overlay_parse(p, buf, len, path, o, why, n);
    free(buf);
    return rc;
}
