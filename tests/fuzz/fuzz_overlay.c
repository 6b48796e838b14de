/*
 * fuzz_overlay.c - libFuzzer target for the xrt backend's reading of an
 * overlay xclbin (xrt_overlay_parse: the container, then MEM_TOPOLOGY and
 * IP_LAYOUT as tables). Raw input, and the input split into those two
 * sections of a container built for the u250 shell, so that the table
 * checks are reached. ctest runs it briefly (tests/CMakeLists.txt).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "axlf.h"
#include "xrt_overlay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const platform_desc *p = platform_find("u250");
    if (!p)
        abort();
    xrt_overlay o;
    char why[512];
    xrt_overlay_parse(p, data, size, "fuzz", &o, why, sizeof why);
    if (size < 2)
        return 0;
    const size_t half = data[0] % size;
    axlf_info in = { .mode = AXLF_MODE_FLAT };
    strcpy(in.platform_vbnv, p->vbnv);
    memcpy(in.interface_uuid, p->interface_uuid, 16);
    axlf_section sec[2] = {
        { .kind = AXLF_MEM_TOPOLOGY, .name = "mem_topology", .size = half, .data = data },
        { .kind = AXLF_IP_LAYOUT, .name = "ip_layout", .size = size - half, .data = data + half },
    };
    size_t len;
    uint8_t *buf = axlf_build(&in, sec, 2, &len);
    if (buf) {
        if (xrt_overlay_parse(p, buf, len, "fuzz", &o, why, sizeof why) == 0)
            for (int r = 0; r < o.n_regions; r++)
                if ((unsigned)o.mode[r] > CHM_MODE_GRAPH)
                    abort();
        free(buf);
    }
    return 0;
}
