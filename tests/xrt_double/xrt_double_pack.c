/*
 * xrt_double_pack.c - overlay xclbins for the XRT stand-in: for a platform,
 * one file per mode assignment, shaped as v++ -l would link the overlay
 * from the connectivity the Vitis flow generates (`chimera vitis`): the
 * compute units chm_<kernel>_r<region> in IP_LAYOUT, the banks in
 * MEM_TOPOLOGY (DDR tagged bankN as on DDR shells, HBM[n]), each buffer
 * argument connected to every bank its region reaches. No bitstream: the
 * stand-in runs the HLS tops natively. Test scaffolding, not a build tool.
 *
 *   xrt_double_pack PLATFORM OUTDIR [INTERFACE_UUID_HEX]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axlf.h"
#include "chm_regmaps.h"
#include "platform.h"
#include "xrt_overlay.h"


static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

static int pack(const platform_desc *p, const chm_mode *assign, const uint8_t shell[16],
                const char *dir)
{
    uint8_t mem[8 + 40 * PLATFORM_MAX_BANKS] = { 0 }, ip[8 + 80 * 32] = { 0 };
    uint8_t conn[4 + 12 * 4096] = { 0 };
    put32(mem, p->n_banks);
    for (uint32_t b = 0; b < p->n_banks; b++) {
        uint8_t *e = mem + 8 + 40 * b;
        int idx;
        const int ddr = sscanf(p->banks[b].name, "DDR[%d]", &idx) == 1;
        e[0] = ddr ? 1 : 6; /* DDR4, HBM */
        e[1] = 1;
        put64(e + 8, p->banks[b].size / 1024);
        put64(e + 16, p->banks[b].base);
        if (ddr)
            snprintf((char *)e + 24, 16, "bank%d", idx);
        else
            snprintf((char *)e + 24, 16, "%s", p->banks[b].name);
    }
    uint32_t n_ip = 0, n_conn = 0;
    for (uint32_t r = 0; r < p->n_regions; r++) {
        const mode_desc *m = mode_find((int)assign[r]);
        for (int k = 0; m && k < m->n_kernels; k++, n_ip++) {
            uint8_t *e = ip + 8 + 80 * n_ip;
            put32(e, 1);          /* IP_KERNEL */
            put32(e + 4, 1u << 8); /* AP_CTRL_CHAIN */
            put64(e + 8, 0x1800000u + 0x10000u * n_ip);
            char cu[160];
            snprintf(cu, sizeof cu, "chm_%s:chm_%s_r%u", m->kernels[k], m->kernels[k], r);
            memcpy(e + 16, cu, strlen(cu) < 63 ? strlen(cu) : 63);
            const chm_regmap *mp = chm_regmap_find(m->kernels[k]);
            const chm_regmap_arg *a = mp ? mp->args : NULL;
            for (int i = 0; a && i < mp->n; i++)
                for (uint32_t b = 0; a[i].bits == 64 && b < p->n_banks; b++)
                    if (p->regions[r].bank_mask >> b & 1) {
                        uint8_t *c = conn + 4 + 12 * n_conn++;
                        put32(c, (uint32_t)i);
                        put32(c + 4, n_ip);
                        put32(c + 8, b);
                    }
        }
    }
    put32(ip, n_ip);
    put32(conn, n_conn);
    char name[128], path[1024];
    xrt_overlay_name(p, assign, name, sizeof name);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    axlf_info info = { .mode = AXLF_MODE_FLAT, .version_major = 2, .version_minor = 14 };
    snprintf(info.platform_vbnv, sizeof info.platform_vbnv, "%s", p->vbnv);
    memcpy(info.interface_uuid, shell, 16);
    for (size_t i = 0; i < 16; i++) /* a stable id per assignment */
        info.xclbin_uuid[i] = (uint8_t)(name[i % strlen(name)] * 31u + i * 7u + strlen(name));
    const char meta[] = "{\"chimera_test_double\":true}";
    axlf_section s[4] = {
        { .kind = AXLF_MEM_TOPOLOGY, .name = "mem_topology", .size = 8 + 40 * p->n_banks, .data = mem },
        { .kind = AXLF_IP_LAYOUT, .name = "ip_layout", .size = 8 + 80 * n_ip, .data = ip },
        { .kind = AXLF_CONNECTIVITY, .name = "connectivity", .size = 4 + 12 * n_conn, .data = conn },
        { .kind = AXLF_USER_METADATA, .name = "chimera", .size = sizeof meta - 1,
          .data = (const uint8_t *)meta },
    };
    size_t len;
    uint8_t *out = axlf_build(&info, s, 4, &len);
    FILE *f = out ? fopen(path, "wb") : NULL;
    int ok = f && fwrite(out, 1, len, f) == len;
    if (f)
        ok = fclose(f) == 0 && ok;
    free(out);
    if (!ok)
        fprintf(stderr, "xrt_double_pack: cannot write %s\n", path);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: xrt_double_pack PLATFORM OUTDIR [INTERFACE_UUID_HEX]\n");
        return 2;
    }
    const platform_desc *p = platform_find(argv[1]);
    if (!p) {
        fprintf(stderr, "xrt_double_pack: %s\n", platform_error());
        return 1;
    }
    uint8_t shell[16];
    memcpy(shell, p->interface_uuid, 16);
    for (int i = 0; argc > 3 && i < 16; i++)
        sscanf(argv[3] + 2 * i, "%2hhx", &shell[i]);
    chm_mode assign[PLATFORM_MAX_REGIONS];
    int total = 1, bad = 0;
    for (uint32_t r = 0; r < p->n_regions; r++)
        total *= 3;
    for (int a = 0; a < total; a++) { /* every assignment of CNN, SPARSE, GRAPH */
        for (uint32_t r = 0, v = (uint32_t)a; r < p->n_regions; r++, v /= 3)
            assign[r] = (chm_mode)(1 + v % 3);
        bad |= pack(p, assign, shell, argv[2]);
    }
    return bad;
}
