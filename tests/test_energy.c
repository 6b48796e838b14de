/*
 * test_energy.c - the modelled energy of commands: the table as its JSON
 * says, a hand-counted conv's MACs, energy = counts x table exactly,
 * copies charged to their bank's memory type, stats = the events' sum, and
 * a broken or missing table refused at open with the file and the reason.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "test_util.h"

#define TABLE CHM_OVERLAY_DIR "/energy/ultrascale_plus.json"

/* The table's value for action name, straight from the JSON; -1 for null. */
static double json_pj(const char *name)
{
    json_object *root = json_object_from_file(TABLE), *actions, *a, *pj;
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    CU_ASSERT_FATAL(json_object_object_get_ex(root, "actions", &actions) &&
                    json_object_object_get_ex(actions, name, &a) &&
                    json_object_object_get_ex(a, "pj", &pj));
    const double v = pj ? json_object_get_double(pj) : -1.0;
    json_object_put(root);
    return v;
}

/* What chm__energy_uj charges, summed in the same order: count x pJ, nothing for < 0. */
static double charge(uint64_t n, double pj)
{
    return pj < 0 ? 0.0 : (double)n * pj;
}

static double expected_uj(const chm_op_actions *a, const chm_energy_table *t)
{
    return (charge(a->macs_int8, t->mac_int8) + charge(a->macs_fp32, t->mac_fp32) +
            charge(a->adds_int32, t->add_int32) + charge(a->adds_fp32, t->add_fp32) +
            charge(a->onchip_bytes, t->onchip_byte) + charge(a->ddr_bytes, t->ddr_byte) +
            charge(a->hbm_bytes, t->hbm_byte) + charge(a->pcie_bytes, t->pcie_byte) +
            charge(a->icap_bytes, t->icap_byte)) * 1e-6;
}

static void test_table(void)
{
    chm_energy_table t;
    CU_ASSERT_EQUAL_FATAL(chm_device_energy_table(tu_dev, &t), CHM_OK);
    CU_ASSERT_EQUAL(t.mac_int8, json_pj("mac_int8"));
    CU_ASSERT_EQUAL(t.mac_fp32, json_pj("mac_fp32"));
    CU_ASSERT_EQUAL(t.add_int32, json_pj("add_int32"));
    CU_ASSERT_EQUAL(t.add_fp32, json_pj("add_fp32"));
    CU_ASSERT_EQUAL(t.onchip_byte, json_pj("onchip_byte"));
    CU_ASSERT_EQUAL(t.ddr_byte, json_pj("ddr_byte"));
    CU_ASSERT_EQUAL(t.hbm_byte, json_pj("hbm_byte"));
    CU_ASSERT_EQUAL(t.pcie_byte, json_pj("pcie_byte"));
    CU_ASSERT_EQUAL(t.icap_byte, json_pj("icap_byte"));
    CU_ASSERT(t.mac_int8 > 0 && t.mac_fp32 > t.mac_int8 && t.hbm_byte < t.ddr_byte);
    CU_ASSERT_EQUAL(chm_device_energy_table(tu_dev, NULL), CHM_EINVAL);
}

/* A 5x7x3 input, 4 filters of 3x3, stride 1, pad 1: 5 x 7 x 4 outputs of 27 MACs each. */
static void test_conv(void)
{
    chm_device_stats s0, s1;
    CU_ASSERT_EQUAL_FATAL(chm_device_stats_get(tu_dev, &s0), CHM_OK);
    int8_t in[5 * 7 * 3], w[4 * 3 * 3 * 3];
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = (int8_t)(i * 7 % 255 - 127);
    for (size_t i = 0; i < sizeof w; i++)
        w[i] = (int8_t)(i * 13 % 255 - 127);
    int32_t mult[4] = { 1 << 30, 1 << 30, 1 << 30, 1 << 30 }, shift[4] = { -6, -6, -6, -6 };
    chm_tensor *ti = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(1, 5, 7, 3), in);
    chm_tensor *tw = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(4, 3, 3, 3), w);
    chm_tensor *to = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(1, 5, 7, 4), NULL);
    CU_ASSERT_FATAL(ti && tw && to);
    chm_conv2d_params p = { .pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1 };
    p.rq = (chm_requant){ .multiplier = mult, .shift = shift };
    chm_event *ev, *wr;
    CU_ASSERT_EQUAL_FATAL(chm_conv2d(tu_dev, ti, tw, NULL, to, &p, &ev), CHM_OK);
    CU_ASSERT_EQUAL_FATAL(chm_wait(ev), CHM_OK);
    chm_op_actions a;
    chm_event_times et;
    chm_energy_table t;
    CU_ASSERT_EQUAL_FATAL(chm_event_actions_get(ev, &a), CHM_OK);
    CU_ASSERT_EQUAL_FATAL(chm_event_times_get(ev, &et), CHM_OK);
    CU_ASSERT_EQUAL_FATAL(chm_device_energy_table(tu_dev, &t), CHM_OK);
    CU_ASSERT_EQUAL(a.macs_int8, 5u * 7 * 4 * 3 * 3 * 3);
    CU_ASSERT_EQUAL(a.macs_fp32 + a.adds_fp32 + a.pcie_bytes + a.icap_bytes + a.hbm_bytes, 0u);
    /* the card reads at least the input and weights once and writes the output */
    CU_ASSERT(a.ddr_bytes >= sizeof in + sizeof w + 5 * 7 * 4);
    CU_ASSERT(a.onchip_bytes >= a.ddr_bytes);
    CU_ASSERT(a.energy_uj > 0);
    CU_ASSERT_EQUAL(a.energy_uj, expected_uj(&a, &t));
    CU_ASSERT_EQUAL(et.energy_uj, a.energy_uj);
    /* a copy: PCIe bytes (no sourced figure: counted, not charged) and the bank's DDR bytes */
    CU_ASSERT_EQUAL_FATAL(chm_tensor_write_async(ti, 0, in, sizeof in, &wr), CHM_OK);
    CU_ASSERT_EQUAL_FATAL(chm_wait(wr), CHM_OK);
    chm_op_actions c;
    CU_ASSERT_EQUAL_FATAL(chm_event_actions_get(wr, &c), CHM_OK);
    CU_ASSERT_EQUAL(c.pcie_bytes, sizeof in);
    CU_ASSERT_EQUAL(c.ddr_bytes, sizeof in);
    CU_ASSERT_EQUAL(c.macs_int8 + c.onchip_bytes + c.hbm_bytes, 0u);
    CU_ASSERT_EQUAL(c.energy_uj, expected_uj(&c, &t));
    CU_ASSERT_EQUAL(chm_device_stats_get(tu_dev, &s1), CHM_OK);
    /* this test's commands: the three tensor writes, the conv, the copy (one engine each at a time) */
    CU_ASSERT(s1.energy_uj - s0.energy_uj >= a.energy_uj + c.energy_uj - 1e-9);
    chm_event_release(ev), chm_event_release(wr);
    chm_tensor_free(ti), chm_tensor_free(tw), chm_tensor_free(to);
}

/* On an HBM platform a copy's card-memory bytes are HBM bytes. */
static void test_hbm(void)
{
    chm_device *d;
    CU_ASSERT_EQUAL_FATAL(chm_device_open("emu:u55c", &d), CHM_OK);
    chm_tensor *t;
    CU_ASSERT_EQUAL_FATAL(chm_tensor_alloc(d, CHM_INT8, 1, TU_DIMS(4096), CHM_BANK_DEFAULT, &t), CHM_OK);
    static uint8_t buf[4096];
    chm_event *ev;
    CU_ASSERT_EQUAL_FATAL(chm_tensor_write_async(t, 0, buf, sizeof buf, &ev), CHM_OK);
    CU_ASSERT_EQUAL_FATAL(chm_wait(ev), CHM_OK);
    chm_op_actions a;
    chm_energy_table tb;
    CU_ASSERT_EQUAL(chm_event_actions_get(ev, &a), CHM_OK);
    CU_ASSERT_EQUAL(chm_device_energy_table(d, &tb), CHM_OK);
    CU_ASSERT_EQUAL(a.hbm_bytes, sizeof buf);
    CU_ASSERT_EQUAL(a.ddr_bytes, 0u);
    CU_ASSERT_EQUAL(a.energy_uj, (double)sizeof buf * tb.hbm_byte * 1e-6);
    chm_device_stats s;
    CU_ASSERT_EQUAL(chm_device_stats_get(d, &s), CHM_OK);
    CU_ASSERT_EQUAL(s.energy_uj, a.energy_uj);
    chm_event_release(ev);
    chm_tensor_free(t);
    chm_device_close(d);
}

/* An overlays directory whose energy table is text (or missing): open refuses, naming the file. */
static void open_with_table(const char *text, const char *want)
{
    char dir[] = "/tmp/chm_energy_XXXXXX", path[512];
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(path, sizeof path, "cp -r %s/modes.json %s/platforms %s/", CHM_OVERLAY_DIR, CHM_OVERLAY_DIR, dir);
    CU_ASSERT_EQUAL_FATAL(system(path), 0);
    if (text) {
        snprintf(path, sizeof path, "%s/energy", dir);
        CU_ASSERT_EQUAL_FATAL(mkdir(path, 0700), 0);
        snprintf(path, sizeof path, "%s/energy/ultrascale_plus.json", dir);
        FILE *f = fopen(path, "w");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        fputs(text, f);
        fclose(f);
    }
    setenv("CHIMERA_OVERLAYS", dir, 1);
    chm_device *d = NULL;
    const int rc = chm_device_open("emu:u250", &d);
    unsetenv("CHIMERA_OVERLAYS");
    CU_ASSERT_EQUAL(rc, CHM_EFORMAT);
    CU_ASSERT_PTR_NULL(d);
    const char *msg = chm_last_error(NULL);
    if (!strstr(msg, want) || !strstr(msg, "ultrascale_plus.json"))
        printf("\n  message: %s (wanted \"%s\")\n", msg, want);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, want));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "ultrascale_plus.json"));
    snprintf(path, sizeof path, "rm -rf %s", dir);
    CU_ASSERT_EQUAL(system(path), 0);
}

static void test_bad_tables(void)
{
    open_with_table(NULL, "missing or not JSON");
    open_with_table("{ \"actions\": ", "missing or not JSON");
    open_with_table("{ \"name\": \"x\" }", "no \"actions\" object");
    open_with_table("{ \"actions\": { \"mac_int8\": { \"pj\": 1.0 } } }",
                    "action \"mac_int8\" needs \"pj\" and a \"source\"");
    open_with_table("{ \"actions\": { \"mac_int8\": { \"pj\": -1, \"source\": \"s\" } } }",
                    "\"mac_int8\": \"pj\" must be a number >= 0 or null");
    open_with_table("{ \"actions\": { \"mac_int8\": { \"pj\": \"a lot\", \"source\": \"s\" } } }",
                    "\"mac_int8\": \"pj\" must be a number >= 0 or null");
    /* and the real table still opens afterwards */
    chm_device *d;
    CU_ASSERT_EQUAL(chm_device_open("emu:u250", &d), CHM_OK);
    chm_device_close(d);
}

int main(void)
{
    static const tu_test tests[] = {
        { "the table is the JSON's", test_table },
        { "a hand-counted conv: MACs, counts x table, copies, stats", test_conv },
        { "HBM platforms: copies charged as HBM", test_hbm },
        { "broken or missing tables refused at open", test_bad_tables },
        { NULL, NULL },
    };
    return tu_run_suite("energy", "emu", tests, NULL, NULL);
}
