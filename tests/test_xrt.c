/*
 * test_xrt.c - the xrt backend against the XRT stand-in (tests/xrt_double/):
 * loading the library, naming cards, operations bit-exact with emu,
 * whole-card mode swaps that keep every tensor, and each way XRT fails
 * (interface UUID mismatch, a busy card, an aborted run, a kernel that
 * never finishes) ending in an error code and a message, never a hang.
 * ctest sets CHIMERA_XRT_LIB and CHIMERA_XCLBIN_DIR; the other suites run
 * on xrt:0 too (CHIMERA_TEST_DEVICE), bit-exact against their references.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "test_util.h"

/* Opens xrt:0 with every region in CNN mode (the card keeps what an earlier test loaded). */
static chm_device *open_xrt(void)
{
    chm_device *d = NULL;
    int rc = chm_device_open("xrt:0", &d);
    if (rc)
        fprintf(stderr, "\n  xrt:0 did not open: %s\n", chm_last_error(NULL));
    CU_ASSERT_EQUAL_FATAL(rc, CHM_OK);
    chm_device_info info;
    chm_device_query(d, &info);
    for (uint32_t r = 0; r < info.n_regions; r++) {
        chm_event *ev = NULL;
        if (info.regions[r].mode != CHM_MODE_CNN) {
            CU_ASSERT_EQUAL_FATAL(chm_region_load_mode(d, (int)r, CHM_MODE_CNN, &ev), CHM_OK);
            CU_ASSERT_EQUAL_FATAL(chm_wait(ev), CHM_OK);
            chm_event_release(ev);
        }
    }
    return d;
}

static int has(const char *msg, const char *want)
{
    if (strstr(msg, want))
        return 1;
    fprintf(stderr, "\n  message \"%s\" lacks \"%s\"\n", msg, want);
    return 0;
}

/* Runs fn with env var name set to value (NULL: unset), then puts it back. */
static char saved[1024];
static void env_set(const char *name, const char *value)
{
    const char *old = getenv(name);
    snprintf(saved, sizeof saved, "%s", old ? old : "");
    if (value)
        setenv(name, value, 1);
    else
        unsetenv(name);
}

static void env_restore(const char *name)
{
    if (saved[0])
        setenv(name, saved, 1);
    else
        unsetenv(name);
}

static void t_missing_library(void)
{
    chm_device *d = NULL;
    env_set("CHIMERA_XRT_LIB", "/nonexistent/libxrt_coreutil.so");
    CU_ASSERT_EQUAL(chm_device_open("xrt", &d), CHM_ENODEV);
    CU_ASSERT(has(chm_last_error(NULL), "cannot be loaded"));
    CU_ASSERT_PTR_NULL(d);
    env_restore("CHIMERA_XRT_LIB");
}

static void t_card_names(void)
{
    chm_device *d = NULL;
    CU_ASSERT_EQUAL(chm_device_open("xrt:1", &d), CHM_ENODEV);
    CU_ASSERT(has(chm_last_error(NULL), "cannot open card 1"));
    CU_ASSERT_EQUAL(chm_device_open("xrt:0000:01:00.1", &d), CHM_ENODEV);
    CU_ASSERT_EQUAL(chm_device_open("xrt:0@u999", &d), CHM_ENODEV);
    CU_ASSERT(has(chm_last_error(NULL), "unknown platform"));
    CU_ASSERT_EQUAL(chm_device_open("xrtx", &d), CHM_ENODEV);
    CU_ASSERT_PTR_NULL(d);
    CU_ASSERT_EQUAL_FATAL(chm_device_open("xrt:0000:65:00.1@u250", &d), CHM_OK);
    chm_device_info info;
    CU_ASSERT_EQUAL(chm_device_query(d, &info), CHM_OK);
    CU_ASSERT_STRING_EQUAL(info.backend, "xrt");
    CU_ASSERT_EQUAL(info.n_regions, 3);
    for (uint32_t r = 0; r < info.n_regions; r++)
        CU_ASSERT_EQUAL(info.regions[r].mode, CHM_MODE_CNN);
    chm_device_close(d);
}

static void t_no_xclbin(void)
{
    chm_device *d = NULL;
    env_set("CHIMERA_XCLBIN_DIR", "/nonexistent");
    CU_ASSERT_EQUAL(chm_device_open("xrt", &d), CHM_ENODEV);
    CU_ASSERT(has(chm_last_error(NULL), "/nonexistent/u250_cnn-cnn-cnn.xclbin"));
    env_restore("CHIMERA_XCLBIN_DIR");
}

/* out = a + b on dev; n elements, bytes from seed. */
static int run_add(chm_device *d, int n, uint64_t seed, int8_t *out, chm_event_times *t)
{
    tu_rng r;
    tu_seed(&r, seed);
    int8_t *a = malloc((size_t)n), *b = malloc((size_t)n);
    tu_fill_i8(&r, a, (size_t)n, -128, 127);
    tu_fill_i8(&r, b, (size_t)n, -128, 127);
    chm_add_params p = { .a_zero_point = 3, .b_zero_point = -7, .out_zero_point = 1 };
    chm_add_params_from_scales(0.02, 0.03, 0.04, &p);
    chm_tensor *ta = tu_tensor(d, CHM_INT8, 1, TU_DIMS(n), a);
    chm_tensor *tb = tu_tensor(d, CHM_INT8, 1, TU_DIMS(n), b);
    chm_tensor *to = tu_tensor(d, CHM_INT8, 1, TU_DIMS(n), NULL);
    chm_event *ev = NULL;
    int rc = chm_add(d, ta, tb, to, &p, &ev);
    if (rc == CHM_OK)
        rc = chm_wait(ev);
    if (rc == CHM_OK && t)
        chm_event_times_get(ev, t);
    if (rc == CHM_OK)
        rc = chm_tensor_read(to, 0, out, (size_t)n);
    chm_event_release(ev);
    chm_tensor_free(ta);
    chm_tensor_free(tb);
    chm_tensor_free(to);
    free(a);
    free(b);
    return rc;
}

static void t_add_matches_emu(void)
{
    chm_device *x = open_xrt(), *e = NULL;
    CU_ASSERT_EQUAL_FATAL(chm_device_open("emu:u250", &e), CHM_OK);
    const int sizes[] = { 1, 17, 4099, 65536 };
    for (int i = 0; i < 4; i++) {
        int8_t *ox = malloc((size_t)sizes[i]), *oe = malloc((size_t)sizes[i]);
        chm_event_times t;
        CU_ASSERT_EQUAL(run_add(x, sizes[i], 40 + (uint64_t)i, ox, &t), CHM_OK);
        CU_ASSERT_EQUAL(run_add(e, sizes[i], 40 + (uint64_t)i, oe, NULL), CHM_OK);
        CU_ASSERT_EQUAL(tu_first_diff(ox, oe, (size_t)sizes[i]), -1);
        CU_ASSERT(t.device_end_us >= t.device_start_us); /* measured, run start to done */
        free(ox);
        free(oe);
    }
    /* the trace keeps the model's figure beside each measured kernel */
    const char *path = tu_tmp("xrt_trace.json");
    CU_ASSERT_EQUAL(chm_trace_write(x, path), CHM_OK);
    FILE *f = fopen(path, "r");
    char buf[8192] = "";
    size_t got = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[got] = '\0';
    if (f)
        fclose(f);
    CU_ASSERT(has(buf, "card (kernels measured)"));
    CU_ASSERT(has(buf, "\"model_us\":"));
    chm_device_close(e);
    chm_device_close(x);
}

/* A mode change is a whole-card load: every tensor survives it, every engine waits for it. */
static void t_swap_keeps_tensors(void)
{
    chm_device *d = open_xrt();
    enum { N = 5000 };
    uint8_t in[N], back[N];
    for (int i = 0; i < N; i++)
        in[i] = (uint8_t)(i * 131 + 7);
    int bank;
    CU_ASSERT_EQUAL_FATAL(chm_bank_find(d, "DDR[1]", &bank), CHM_OK);
    chm_tensor *t = NULL;
    CU_ASSERT_EQUAL_FATAL(chm_tensor_alloc(d, CHM_INT8, 1, TU_DIMS(N), bank, &t), CHM_OK);
    CU_ASSERT_EQUAL(chm_tensor_write(t, 0, in, N), CHM_OK);
    int8_t out[64];
    chm_event_times before, load;
    CU_ASSERT_EQUAL(run_add(d, 64, 5, out, &before), CHM_OK);
    chm_event *ev = NULL;
    CU_ASSERT_EQUAL_FATAL(chm_region_load_mode(d, 1, CHM_MODE_SPARSE, &ev), CHM_OK);
    CU_ASSERT_EQUAL(chm_wait(ev), CHM_OK);
    CU_ASSERT_EQUAL(chm_event_times_get(ev, &load), CHM_OK);
    chm_event_release(ev);
    CU_ASSERT(load.device_start_us >= before.device_end_us); /* after every engine drained */
    chm_device_info info;
    chm_device_query(d, &info);
    CU_ASSERT_EQUAL(info.regions[0].mode, CHM_MODE_CNN);
    CU_ASSERT_EQUAL(info.regions[1].mode, CHM_MODE_SPARSE);
    CU_ASSERT_EQUAL(info.regions[2].mode, CHM_MODE_CNN);
    CU_ASSERT_EQUAL(chm_tensor_read(t, 0, back, N), CHM_OK);
    CU_ASSERT_EQUAL(memcmp(in, back, N), 0);
    chm_event_times after;
    CU_ASSERT_EQUAL(run_add(d, 64, 6, out, &after), CHM_OK);
    CU_ASSERT(after.region != 1);
    chm_tensor_free(t);
    chm_device_close(d);
}

/* A load XRT refuses leaves the region FAILED and says why; the card keeps its tensors. */
static void refused_load(const char *env, const char *value, int code, const char *says)
{
    chm_device *d = open_xrt();
    uint8_t in[300], back[300];
    for (int i = 0; i < 300; i++)
        in[i] = (uint8_t)(i ^ 0x5c);
    chm_tensor *t = tu_tensor(d, CHM_INT8, 1, TU_DIMS(300), in);
    env_set(env, value);
    chm_event *ev = NULL;
    CU_ASSERT_EQUAL_FATAL(chm_region_load_mode(d, 2, CHM_MODE_GRAPH, &ev), CHM_OK);
    CU_ASSERT_EQUAL(chm_wait(ev), code);
    CU_ASSERT(has(chm_last_error(d), says));
    chm_event_release(ev);
    env_restore(env);
    chm_device_info info;
    chm_device_query(d, &info);
    CU_ASSERT_EQUAL(info.regions[2].state, CHM_REGION_FAILED);
    CU_ASSERT_EQUAL(chm_tensor_read(t, 0, back, 300), CHM_OK);
    CU_ASSERT_EQUAL(memcmp(in, back, 300), 0);
    CU_ASSERT_EQUAL_FATAL(chm_region_load_mode(d, 2, CHM_MODE_CNN, &ev), CHM_OK); /* recovers */
    CU_ASSERT_EQUAL(chm_wait(ev), CHM_OK);
    chm_event_release(ev);
    chm_device_query(d, &info);
    CU_ASSERT_EQUAL(info.regions[2].state, CHM_REGION_CONFIGURED);
    chm_tensor_free(t);
    chm_device_close(d);
}

static void t_shell_mismatch(void)
{
    refused_load("CHM_XRT_DOUBLE_SHELL", "00112233445566778899aabbccddeeff", CHM_EDEVICE,
                 "interface UUID mismatch");
}

static void t_busy(void)
{
    refused_load("CHM_XRT_DOUBLE_BUSY", "1", CHM_EBUSY, "another process holds the card");
}

/* The card keeps its overlay between processes: a device opened later adopts it. */
static void t_adopts_loaded_overlay(void)
{
    chm_device *d = open_xrt();
    chm_event *ev = NULL;
    CU_ASSERT_EQUAL_FATAL(chm_region_load_mode(d, 0, CHM_MODE_GRAPH, &ev), CHM_OK);
    CU_ASSERT_EQUAL(chm_wait(ev), CHM_OK);
    chm_event_release(ev);
    chm_device_close(d);
    CU_ASSERT_EQUAL_FATAL(chm_device_open("xrt:0", &d), CHM_OK);
    chm_device_info info;
    chm_device_query(d, &info);
    CU_ASSERT_EQUAL(info.regions[0].mode, CHM_MODE_GRAPH);
    CU_ASSERT(has(info.xclbin, "u250_graph-cnn-cnn.xclbin"));
    CU_ASSERT_EQUAL(chm_region_load_mode(d, 0, CHM_MODE_CNN, &ev), CHM_OK); /* as it was */
    CU_ASSERT_EQUAL(chm_wait(ev), CHM_OK);
    chm_event_release(ev);
    chm_device_close(d);
}

/* An add on d: its actions, its measured time (µs). */
static double add_actions(chm_device *d, chm_op_actions *act)
{
    int8_t a[64] = { 1, 2, 3 }, b[64] = { 4, 5, 6 };
    chm_add_params p = { 0 };
    chm_add_params_from_scales(0.02, 0.03, 0.04, &p);
    chm_tensor *ta = tu_tensor(d, CHM_INT8, 1, TU_DIMS(64), a);
    chm_tensor *tb = tu_tensor(d, CHM_INT8, 1, TU_DIMS(64), b);
    chm_tensor *to = tu_tensor(d, CHM_INT8, 1, TU_DIMS(64), NULL);
    chm_event *ev = NULL;
    chm_event_times t = { 0 };
    CU_ASSERT_EQUAL_FATAL(chm_add(d, ta, tb, to, &p, &ev), CHM_OK);
    CU_ASSERT_EQUAL_FATAL(chm_wait(ev), CHM_OK);
    CU_ASSERT_EQUAL(chm_event_times_get(ev, &t), CHM_OK);
    CU_ASSERT_EQUAL(chm_event_actions_get(ev, act), CHM_OK);
    chm_event_release(ev);
    chm_tensor_free(ta), chm_tensor_free(tb), chm_tensor_free(to);
    return t.device_end_us - t.device_start_us;
}

/* Board power from a sysfs tree laid out as XRT's drivers lay it out (XMC hwmon), and each
 * run's measured energy from it beside the model's. */
static void t_power(void)
{
    char root[256], cmd[2048];
    snprintf(root, sizeof root, "%s", tu_tmp("sysfs"));
    snprintf(cmd, sizeof cmd,
             "rm -rf %s && mkdir -p %s/bus/pci/devices/0000:65:00.0/xmc.m.7/hwmon/hwmon3 "
             "%s/bus/pci/drivers/xocl/0000:65:00.1 && echo 23450000 > "
             "%s/bus/pci/devices/0000:65:00.0/xmc.m.7/hwmon/hwmon3/power1_input",
             root, root, root, root);
    CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
    env_set("CHIMERA_SYSFS_ROOT", root);
    chm_device *d = open_xrt();
    chm_device_info info;
    chm_device_query(d, &info);
    CU_ASSERT_STRING_EQUAL(info.bdf, "0000:65:00.1"); /* card 0 = the first xocl device */
    CU_ASSERT_DOUBLE_EQUAL(info.power_w, 23.45, 1e-9);
    chm_op_actions act;
    const double us = add_actions(d, &act);
    CU_ASSERT(us > 0);
    CU_ASSERT_DOUBLE_EQUAL(act.measured_uj, 23.45 * us, 1e-6 * (1 + 23.45 * us));
    CU_ASSERT(act.energy_uj > 0 && act.adds_int32 == 64);
    chm_device_close(d);
    env_restore("CHIMERA_SYSFS_ROOT");
    struct stat st;
    if (stat("/sys/bus/pci/drivers/xocl", &st) != 0) { /* no XRT driver: nothing to read */
        d = open_xrt();
        chm_device_query(d, &info);
        CU_ASSERT_STRING_EQUAL(info.bdf, "");
        CU_ASSERT(info.power_w < 0);
        add_actions(d, &act);
        CU_ASSERT(act.measured_uj < 0 && act.energy_uj > 0);
        chm_device_close(d);
    }
}

static void t_region_container_refused(void)
{
    chm_device *d = open_xrt();
    CU_ASSERT_EQUAL(chm_region_load(d, 0, "any.xclbin", NULL), CHM_EMODE);
    CU_ASSERT(has(chm_last_error(d), "whole-card xclbins"));
    chm_device_close(d);
}

static void t_abort(void)
{
    chm_device *d = open_xrt();
    int8_t out[100];
    env_set("CHM_XRT_DOUBLE_ABORT", "chm_cnn_add");
    CU_ASSERT_EQUAL(run_add(d, 100, 9, out, NULL), CHM_EDEVICE);
    CU_ASSERT(has(chm_last_error(d), "aborted"));
    env_restore("CHM_XRT_DOUBLE_ABORT");
    CU_ASSERT_EQUAL(run_add(d, 100, 9, out, NULL), CHM_OK); /* the region is still good */
    chm_device_close(d);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A kernel that never finishes: CHM_ETIMEDOUT in about the timeout, its region FAILED. */
static void t_timeout(void)
{
    env_set("CHIMERA_XRT_TIMEOUT_MS", "300");
    chm_device *d = open_xrt();
    env_restore("CHIMERA_XRT_TIMEOUT_MS");
    int8_t out[100];
    env_set("CHM_XRT_DOUBLE_HANG", "chm_cnn_add");
    const double t0 = now_s();
    CU_ASSERT_EQUAL(run_add(d, 100, 11, out, NULL), CHM_ETIMEDOUT);
    CU_ASSERT(now_s() - t0 < 5.0);
    CU_ASSERT(has(chm_last_error(d), "did not finish in 300 ms"));
    env_restore("CHM_XRT_DOUBLE_HANG");
    chm_device_info info;
    chm_device_query(d, &info);
    int failed = -1;
    for (uint32_t r = 0; r < info.n_regions; r++)
        if (info.regions[r].state == CHM_REGION_FAILED)
            failed = (int)r;
    CU_ASSERT_FATAL(failed >= 0);
    chm_event_times t;
    CU_ASSERT_EQUAL(run_add(d, 100, 12, out, &t), CHM_OK); /* another region takes the work */
    CU_ASSERT_NOT_EQUAL(t.region, failed);
    chm_event *ev = NULL;
    CU_ASSERT_EQUAL_FATAL(chm_region_load_mode(d, failed, CHM_MODE_CNN, &ev), CHM_OK);
    CU_ASSERT_EQUAL(chm_wait(ev), CHM_OK);
    chm_event_release(ev);
    chm_device_query(d, &info);
    CU_ASSERT_EQUAL(info.regions[failed].state, CHM_REGION_CONFIGURED);
    CU_ASSERT_EQUAL(chm_device_close(d), CHM_OK);
}

int main(void)
{
    static const tu_test tests[] = {
        { "missing library", t_missing_library },
        { "card names", t_card_names },
        { "no xclbin", t_no_xclbin },
        { "add matches emu", t_add_matches_emu },
        { "mode swap keeps tensors", t_swap_keeps_tensors },
        { "shell mismatch (EINVAL)", t_shell_mismatch },
        { "busy card (EBUSY)", t_busy },
        { "region container refused", t_region_container_refused },
        { "a later open adopts the loaded overlay", t_adopts_loaded_overlay },
        { "board power from hwmon", t_power },
        { "aborted run", t_abort },
        { "kernel timeout", t_timeout },
        { NULL, NULL },
    };
    return tu_run_suite("xrt", NULL, tests, NULL, NULL);
}
