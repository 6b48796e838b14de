/*
 * test_overlay.c - platform descriptions read from JSON: the shipped ones
 * load with the figures the runtime relies on, and malformed files are
 * refused with a message that names the file and the field.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform.h"
#include "test_util.h"

static char dir[256];

static void write_file(const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs(text, f);
    fclose(f);
}

/* A platform file with one field replaced: key's value becomes value. */
static void write_platform(const char *name, const char *key, const char *value)
{
    char text[2048];
    const char *v[9][2] = {
        { "name", NULL }, { "idcode", "\"0x04B57093\"" },
        { "reconfiguration", "{\"emulated\":\"region\",\"xrt\":\"card\"}" },
        { "interface_uuid", "\"807a580e-5f50-7d48-484d-26c2217aa787\"" },
        { "kernel_mhz", "300" }, { "icap_mhz", "125" },
        { "banks", "[{\"name\":\"DDR[%d]\",\"count\":2,\"size_mib\":1024,\"base\":\"0x0\","
                   "\"stride\":\"0x40000000\",\"gbps\":19.2}]" },
        { "regions", "[{\"name\":\"pr0\",\"frames\":100,\"far\":\"0x0\",\"budget\":{\"lut\":1,"
                     "\"ff\":1,\"dsp\":1,\"bram\":1,\"uram\":1}}]" },
        { NULL, NULL },
    };
    char quoted[64];
    snprintf(quoted, sizeof quoted, "\"%s\"", name);
    v[0][1] = quoted;
    int n = snprintf(text, sizeof text, "{\"vbnv\":\"v\",\"part\":\"p\",\"pcie_gbps\":12,"
                                        "\"dma_setup_us\":6");
    for (int i = 0; v[i][0]; i++)
        if (!key || strcmp(key, v[i][0]) != 0 || value)
            n += snprintf(text + n, sizeof text - (size_t)n, ",\"%s\":%s", v[i][0],
                          key && strcmp(key, v[i][0]) == 0 ? value : v[i][1]);
    snprintf(text + n, sizeof text - (size_t)n, "}");
    char file[64];
    snprintf(file, sizeof file, "platforms/%s.json", name);
    write_file(file, text);
}

static void test_shipped(void)
{
    const platform_desc *p = platform_find("u280");
    CU_ASSERT_FATAL(p != NULL);
    CU_ASSERT_EQUAL(p->n_banks, 34);
    CU_ASSERT_STRING_EQUAL(p->banks[31].name, "HBM[31]");
    CU_ASSERT_EQUAL(p->banks[31].base, 31ull * 256 * 1024 * 1024);
    CU_ASSERT_EQUAL(p->banks[33].size, 16ull << 30);
    CU_ASSERT_EQUAL(p->n_regions, 2);
    CU_ASSERT_EQUAL(p->regions[1].frames, 58080);
    const platform_desc *u250 = platform_find("u250");
    CU_ASSERT_FATAL(u250 != NULL);
    CU_ASSERT_EQUAL(u250->interface_uuid[0], 0x80);
    CU_ASSERT_EQUAL(u250->interface_uuid[15], 0x87);
    CU_ASSERT_EQUAL(u250->idcode, 0x04B57093u);
    CU_ASSERT_PTR_EQUAL(platform_find("u250"), u250); /* read once */
    CU_ASSERT_EQUAL(mode_find(1)->needs.dsp, 1438); /* Yosys: conv + pool + add */
    CU_ASSERT_EQUAL(mode_by_name("GRAPH"), 3);
    CU_ASSERT_EQUAL(mode_find(1)->n_kernels, 3);
    CU_ASSERT_STRING_EQUAL(mode_find(3)->kernels[1], "graph_layer_f32");
    CU_ASSERT_EQUAL(mode_by_name("TPU"), 0);
}

static void expect_bad(const char *name, const char *why)
{
    CU_ASSERT_PTR_NULL(platform_find(name));
    CU_ASSERT_PTR_NOT_NULL(strstr(platform_error(), why));
    if (!strstr(platform_error(), why))
        fprintf(stderr, "%s: expected \"%s\", got \"%s\"\n", name, why, platform_error());
}

static void test_malformed(void)
{
    write_platform("good", NULL, NULL);
    const platform_desc *g = platform_find("good");
    CU_ASSERT_FATAL(g != NULL);
    CU_ASSERT_EQUAL(g->n_banks, 2);
    CU_ASSERT_STRING_EQUAL(g->banks[1].name, "DDR[1]");
    CU_ASSERT_EQUAL(g->banks[1].base, 0x40000000u);
    write_platform("nouuid", "interface_uuid", NULL);
    expect_bad("nouuid", "\"interface_uuid\" is missing");
    write_platform("baduuid", "interface_uuid", "\"807a580e-zz\"");
    expect_bad("baduuid", "not 32 hex digits");
    CU_ASSERT_EQUAL(g->granularity[PLATFORM_SHELL_EMULATED], PLATFORM_REGION);
    CU_ASSERT_EQUAL(g->granularity[PLATFORM_SHELL_XRT], PLATFORM_CARD);
    write_platform("badgran", "reconfiguration", "{\"emulated\":\"slr\",\"xrt\":\"card\"}");
    expect_bad("badgran", "\"emulated\": \"region\" or \"card\"");
    write_platform("badmhz", "kernel_mhz", "-3");
    expect_bad("badmhz", "\"kernel_mhz\" is missing or not a positive number");
    write_platform("nobanks", "banks", "[]");
    expect_bad("nobanks", "\"banks\" must be a non-empty array");
    write_platform("manybanks", "banks", "[{\"name\":\"B%d\",\"count\":41,\"size_mib\":1,"
                                         "\"base\":0,\"stride\":0,\"gbps\":1}]");
    expect_bad("manybanks", "\"count\" is missing or not a whole number in 0..40");
    write_platform("zeroframes", "regions", "[{\"name\":\"r\",\"frames\":0,\"far\":0,\"budget\":"
                                            "{\"lut\":1,\"ff\":1,\"dsp\":1,\"bram\":1,\"uram\":1}}]");
    expect_bad("zeroframes", "has 0 frames");
    write_platform("nobudget", "regions", "[{\"name\":\"r\",\"frames\":5,\"far\":0}]");
    expect_bad("nobudget", "no \"budget\"");
    /* B2: a bank name reaches snprintf as its format; only one %d may. */
    write_platform("fmtname", "banks", "[{\"name\":\"DDR%s%s%s\",\"size_mib\":1,\"base\":0,"
                                       "\"gbps\":1}]");
    expect_bad("fmtname", "may hold one %d");
    write_platform("fmtn", "banks", "[{\"name\":\"B%n\",\"size_mib\":1,\"base\":0,\"gbps\":1}]");
    expect_bad("fmtn", "may hold one %d");
    write_platform("countnopct", "banks", "[{\"name\":\"B\",\"count\":2,\"size_mib\":1,"
                                          "\"base\":0,\"stride\":0,\"gbps\":1}]");
    expect_bad("countnopct", "required with a count");
    /* B3: a region's bank list holding null. */
    write_platform("nullbank", "regions", "[{\"name\":\"r\",\"frames\":5,\"far\":0,\"banks\":[null],"
                                          "\"budget\":{\"lut\":1,\"ff\":1,\"dsp\":1,\"bram\":1,\"uram\":1}}]");
    expect_bad("nullbank", "entry 0 is not a string");
    /* Numbers that used to wrap or be cast: 2^44 MiB, 1e300 frames, fractions, negatives. */
    write_platform("hugebank", "banks", "[{\"name\":\"B\",\"size_mib\":17592186044416,\"base\":0,"
                                        "\"gbps\":1}]");
    expect_bad("hugebank", "\"size_mib\" is missing or not a whole number in 0..16777216");
    write_platform("hugeframes", "regions", "[{\"name\":\"r\",\"frames\":1e300,\"far\":0,\"budget\":"
                                            "{\"lut\":1,\"ff\":1,\"dsp\":1,\"bram\":1,\"uram\":1}}]");
    expect_bad("hugeframes", "\"frames\" is missing or not a whole number");
    write_platform("fracframes", "regions", "[{\"name\":\"r\",\"frames\":2.5,\"far\":0,\"budget\":"
                                            "{\"lut\":1,\"ff\":1,\"dsp\":1,\"bram\":1,\"uram\":1}}]");
    expect_bad("fracframes", "\"frames\"");
    write_platform("negfar", "regions", "[{\"name\":\"r\",\"frames\":5,\"far\":\"-1\",\"budget\":"
                                        "{\"lut\":1,\"ff\":1,\"dsp\":1,\"bram\":1,\"uram\":1}}]");
    expect_bad("negfar", "\"far\"");
    write_platform("bigidcode", "idcode", "\"0x1FFFFFFFF\"");
    expect_bad("bigidcode", "\"idcode\"");
    write_platform("bigdsp", "regions", "[{\"name\":\"r\",\"frames\":5,\"far\":0,\"budget\":"
                                        "{\"lut\":1,\"ff\":1,\"dsp\":4294967296,\"bram\":1,\"uram\":1}}]");
    expect_bad("bigdsp", "\"dsp\"");
    write_platform("misnamed", "name", "\"other\"");
    expect_bad("misnamed", "names platform \"other\"");
    write_file("platforms/broken.json", "{\"name\": \"broken\", ");
    expect_bad("broken", "cannot read platform \"broken\"");
    expect_bad("absent", "cannot read platform \"absent\"");
    expect_bad("../u250", "not a platform name");
    /* And through the public API: */
    chm_device *d = NULL;
    CU_ASSERT_EQUAL(chm_device_open("emu:badmhz", &d), CHM_ENODEV);
    CU_ASSERT_PTR_NOT_NULL(strstr(chm_last_error(NULL), "kernel_mhz"));
    CU_ASSERT_EQUAL(chm_device_open("emu:good", &d), CHM_OK);
    /* Its one region has a budget of 1 of everything: no mode fits. */
    CU_ASSERT_EQUAL(chm_region_load_mode(d, 0, CHM_MODE_SPARSE, NULL), CHM_ELIMIT);
    CU_ASSERT_PTR_NOT_NULL(strstr(chm_last_error(d), "mode SPARSE needs 150000 LUT, region 0 (pr0) has 1"));
    chm_device_close(d);
}

static int init(void)
{
    /* A private overlay folder: the shipped files plus the malformed ones. */
    snprintf(dir, sizeof dir, "%s", tu_tmp("test_overlay"));
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s && cp -r %s/platforms %s/energy %s/modes.json %s/",
             dir, dir, CHM_SOURCE_OVERLAYS, CHM_SOURCE_OVERLAYS, CHM_SOURCE_OVERLAYS, dir);
    if (system(cmd) != 0)
        return 1;
    return setenv("CHIMERA_OVERLAYS", dir, 1);
}

static int clean(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) != 0;
}

int main(void)
{
    static const tu_test tests[] = {
        { "shipped platforms and modes", test_shipped },
        { "malformed platform files are refused with the field named", test_malformed },
        { NULL, NULL },
    };
    return tu_run_suite("overlay", NULL, tests, init, clean);
}
