/*
 * device.c - opening, describing and closing a device.
 */
#define _GNU_SOURCE /* pthread_rwlockattr_setkind_np */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "device.h"

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double chm__wall_us(const chm_device *dev)
{
    return (double)(now_ns() - dev->opened_ns) / 1000.0;
}

size_t chm__dtype_size(chm_dtype dt)
{
    return dt == CHM_INT8 ? 1 : 4;
}

const char *chm__dtype_name(chm_dtype dt)
{
    switch (dt) {
    case CHM_INT8: return "int8";
    case CHM_INT32: return "int32";
    case CHM_FP32: return "fp32";
    }
    return "?";
}

const char *const *chm_platform_names(void)
{
    return platform_names();
}

chm_backend_ops chm__backend_resolve(const chm_backend_ops *t)
{
    chm_backend_ops o = *t;
    const chm_backend_ops *p = t->inherit;
    if (!p)
        return o;
#define INHERIT(f) if (!o.f) o.f = p->f
    INHERIT(open); INHERIT(close); INHERIT(mem_alloc); INHERIT(mem_free); INHERIT(mem_touch);
    INHERIT(copy_to); INHERIT(copy_from); INHERIT(run); INHERIT(copy_time_us);
    INHERIT(op_time_us); INHERIT(graph); INHERIT(container_for); INHERIT(last_run_us); INHERIT(last_run_uj);
    INHERIT(supports); INHERIT(reconf_prepare); INHERIT(reconf_check); INHERIT(reconf_write); INHERIT(reconf_complete);
    INHERIT(reconf_bytes);
#undef INHERIT
    return o;
}

static int find_platform(const char *name, const char *pname, const platform_desc **plat)
{
    *plat = platform_find(pname);
    if (*plat)
        return CHM_OK;
    char known[128] = "";
    for (const char *const *n = platform_names(); *n; n++)
        snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s",
                 known[0] ? ", " : "", *n);
    return chm__fail(NULL, "chm_device_open", CHM_ENODEV,
                     "device \"%s\": unknown platform \"%s\": %s (known: %s)", name, pname,
                     platform_error(), known);
}

/*
 * "xrt[:CARD][@PLATFORM]": CARD is an index ("0") or a PCIe BDF
 * ("0000:65:00.1"), 0 if absent; PLATFORM the card's shell as a platform
 * file name, else $CHIMERA_XRT_PLATFORM, else u250 (the C API cannot ask a
 * card for its shell; the xclbin load checks the interface UUID).
 */
static int parse_xrt_name(const char *name, const chm_backend_ops **be,
                          const platform_desc **plat, char *card)
{
    *be = &chm_xrt_backend;
    const char *at = strchr(name, '@');
    const char *c = name[3] == ':' ? name + 4 : name + 3;
    size_t clen = at ? (size_t)(at - c) : strlen(c);
    if ((name[3] && name[3] != ':' && name[3] != '@') || (name[3] == ':' && clen == 0))
        return chm__fail(NULL, "chm_device_open", CHM_ENODEV,
                         "device \"%s\": expected xrt, xrt:INDEX or xrt:BDF, then @PLATFORM "
                         "if the card is not a u250", name);
    snprintf(card, CHM_NAME_MAX, "%.*s", clen ? (int)clen : 1, clen ? c : "0");
    const char *env = getenv("CHIMERA_XRT_PLATFORM");
    return find_platform(name, at ? at + 1 : env && env[0] ? env : "u250", plat);
}

/* A gate that prefers the writer (a whole-card load), so that a stream of copies and
 * kernels cannot hold it off. */
static void gate_init(pthread_rwlock_t *g)
{
    pthread_rwlockattr_t a;
    pthread_rwlockattr_init(&a);
    pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(g, &a);
    pthread_rwlockattr_destroy(&a);
}

/* Splits "emu:u280" into a backend table and a platform ("xrt:0@u280": and a card). */
static int parse_name(const char *name, const chm_backend_ops **be, const platform_desc **plat,
                      char *card)
{
    const char *colon = strchr(name, ':');
    size_t blen = colon ? (size_t)(colon - name) : strlen(name);
    if (blen == 3 && strncmp(name, "emu", 3) == 0) {
        *be = &chm_emu_backend;
    } else if (blen == 3 && strncmp(name, "rtl", 3) == 0) {
        *be = &chm_rtl_backend;
    } else if (blen == 3 && strncmp(name, "xrt", 3) == 0) {
        return parse_xrt_name(name, be, plat, card);
    } else {
        return chm__fail(NULL, "chm_device_open", CHM_ENODEV,
                         "device \"%s\": unknown backend, expected emu, rtl or xrt, with "
                         "\":PLATFORM\" (chimera devices lists them)", name);
    }
    return find_platform(name, colon ? colon + 1 : "u250", plat);
}

/* The trust settings of CHIMERA_TRUST_DIR and CHIMERA_SIG_POLICY. */
static int env_opts(chm_device_opts *o)
{
    const char *pol = getenv("CHIMERA_SIG_POLICY");
    o->trust_dir = getenv("CHIMERA_TRUST_DIR");
    if (o->trust_dir && !o->trust_dir[0])
        o->trust_dir = NULL;
    if (!pol || !pol[0] || strcmp(pol, "if-present") == 0)
        o->sig_policy = CHM_SIG_IF_PRESENT;
    else if (strcmp(pol, "required") == 0)
        o->sig_policy = CHM_SIG_REQUIRED;
    else if (strcmp(pol, "off") == 0)
        o->sig_policy = CHM_SIG_OFF;
    else
        return chm__fail(NULL, "chm_device_open", CHM_EINVAL,
                         "CHIMERA_SIG_POLICY is \"%s\", expected required, if-present or off", pol);
    return CHM_OK;
}

static int load_trust(chm_device *dev, const chm_device_opts *o)
{
    if ((unsigned)o->sig_policy > CHM_SIG_OFF)
        return chm__fail(NULL, "chm_device_open", CHM_EINVAL,
                         "sig_policy %d is not a chm_sig_policy", (int)o->sig_policy);
    dev->sig_policy = o->sig_policy;
    if (!o->trust_dir)
        return CHM_OK;
    char why[256];
    dev->trust = malloc(sizeof *dev->trust);
    if (!dev->trust)
        return chm__fail(NULL, "chm_device_open", CHM_ENOMEM, "no host memory for the trust store");
    if (sig_trust_load(o->trust_dir, dev->trust, why, sizeof why))
        return chm__fail(NULL, "chm_device_open", CHM_EIO, "%s", why);
    return CHM_OK;
}

int chm_device_open(const char *name, chm_device **out)
{
    return chm_device_open_opts(name, NULL, out);
}

int chm_device_open_opts(const char *name, const chm_device_opts *opts, chm_device **out)
{
    if (!name || !out)
        return CHM_FAIL(NULL, CHM_EINVAL, "name and out must not be NULL");
    chm_device_opts env;
    if (!opts) {
        CHECK(env_opts(&env));
        opts = &env;
    }
    if (strlen(name) >= CHM_NAME_MAX)
        return CHM_FAIL(NULL, CHM_ENODEV, "device name longer than %d characters", CHM_NAME_MAX - 1);
    const chm_backend_ops *be = NULL;
    const platform_desc *plat;
    char card[CHM_NAME_MAX] = "";
    int rc = parse_name(name, &be, &plat, card);
    if (rc)
        return rc;
    energy_table energy;
    char ewhy[600];
    if (energy_table_load(&energy, ewhy, sizeof ewhy))
        return CHM_FAIL(NULL, CHM_EFORMAT, "energy table %s", ewhy);
    chm_device *dev = calloc(1, sizeof *dev);
    if (!dev)
        return CHM_FAIL(NULL, CHM_ENOMEM, "no host memory for the device");
    dev->energy = energy;
    strcpy(dev->name, name);
    strcpy(dev->card, card);
    dev->plat = plat;
    dev->ops = chm__backend_resolve(be);
    dev->be = &dev->ops;
    dev->opened_ns = now_ns();
    pthread_mutex_init(&dev->lock, NULL);
    pthread_cond_init(&dev->changed, NULL);
    dev->card_wide = plat->granularity[be->shell] == PLATFORM_CARD;
    gate_init(&dev->gate);
    dev->n_regions = (int)plat->n_regions;
    for (int i = 0; i < dev->n_regions; i++) {
        dev->regions[i].index = i;
        dev->regions[i].mode = dev->regions[i].sched_mode = CHM_MODE_CNN;
        dev->regions[i].state = CHM_REGION_CONFIGURED;
        dev->regions[i].macs_per_cycle = chm__mode_macs(CHM_MODE_CNN);
    }
    dev->n_engines = ENGINE_REGION0 + dev->n_regions;
    dev->sched = (chm_sched_params){ CHM_SCHED_ON_DEMAND, 1, 2 };
    rc = load_trust(dev, opts);
    if (rc) {
        free(dev->trust);
        free(dev);
        return rc;
    }
    rc = dev->be->open(dev);
    if (rc == CHM_OK) {
        rc = chm__engines_start(dev);
        if (rc)
            dev->be->close(dev);
    }
    if (rc) {
        pthread_rwlock_destroy(&dev->gate);
        pthread_cond_destroy(&dev->changed);
        pthread_mutex_destroy(&dev->lock);
        free(dev->trust);
        free(dev);
        char why[400];
        snprintf(why, sizeof why, "%s", chm_last_error(NULL));
        return CHM_FAIL(NULL, rc, "device \"%s\" could not start: %s", name,
                        strstr(why, "chm_device_open: ") == why ? why + 17 : chm_strerror(rc));
    }
    *out = dev;
    return CHM_OK;
}

int chm_device_close(chm_device *dev)
{
    if (!dev)
        return CHM_FAIL(NULL, CHM_EINVAL, "dev is NULL");
    chm_finish(dev);
    chm__engines_stop(dev);
    while (dev->tensors)
        chm_tensor_free(dev->tensors);
    dev->be->close(dev);
    for (int b = 0; b < CHM_MAX_BANKS; b++) {
        chm__bank_free(&dev->bank_use[b]);
        chm__bank_free(&dev->bank_meas[b]);
    }
    free(dev->trace);
    free(dev->trust);
    pthread_rwlock_destroy(&dev->gate);
    pthread_cond_destroy(&dev->changed);
    pthread_mutex_destroy(&dev->lock);
    free(dev);
    return CHM_OK;
}

int chm_device_query(chm_device *dev, chm_device_info *info)
{
    if (!dev || !info)
        return CHM_FAIL(dev, CHM_EINVAL, "dev and info must not be NULL");
    memset(info, 0, sizeof *info);
    const platform_desc *p = dev->plat;
    strcpy(info->name, dev->name);
    snprintf(info->platform, sizeof info->platform, "%s", p->vbnv);
    strncpy(info->backend, dev->be->name, sizeof info->backend - 1);
    info->kernel_clock_mhz = p->kernel_mhz;
    info->pcie_gbps = p->pcie_gbps;
    info->n_banks = p->n_banks;
    pthread_mutex_lock(&dev->lock);
    for (uint32_t b = 0; b < p->n_banks; b++) {
        strncpy(info->banks[b].name, p->banks[b].name, sizeof info->banks[b].name - 1);
        info->banks[b].size = p->banks[b].size;
        info->banks[b].bandwidth_gbps = p->banks[b].gbps;
    }
    for (chm_tensor *t = dev->tensors; t; t = t->next)
        info->banks[t->bank].used += t->bytes;
    info->n_regions = (uint32_t)dev->n_regions;
    memcpy(info->interface_uuid, p->interface_uuid, 16);
    info->card_reconfiguration = dev->card_wide;
    info->power_w = -1.0;
    for (int r = 0; r < dev->n_regions; r++) {
        const chm_region *rg = &dev->regions[r];
        strncpy(info->regions[r].name, p->regions[r].name, sizeof info->regions[r].name - 1);
        info->regions[r].state = rg->state;
        info->regions[r].mode = rg->mode;
        info->regions[r].macs_per_cycle = rg->macs_per_cycle;
        info->regions[r].frames = p->regions[r].frames;
        info->regions[r].loads = rg->loads;
        info->regions[r].busy_us = rg->busy_us;
        info->regions[r].configuring_us = rg->configuring_us;
        info->regions[r].banks = p->regions[r].bank_mask;
        info->peak_macs_per_cycle += dev->regions[r].macs_per_cycle;
    }
    pthread_mutex_unlock(&dev->lock);
    if (dev->be->describe)
        dev->be->describe(dev, info);
    return CHM_OK;
}

int chm_bank_find(chm_device *dev, const char *name, int *bank)
{
    if (!dev || !name || !bank)
        return CHM_FAIL(dev, CHM_EINVAL, "dev, name and bank must not be NULL");
    for (uint32_t b = 0; b < dev->plat->n_banks; b++) {
        if (strcmp(dev->plat->banks[b].name, name) == 0) {
            *bank = (int)b;
            return CHM_OK;
        }
    }
    return CHM_FAIL(dev, CHM_EBANK, "platform %s has no bank \"%s\"", dev->plat->name, name);
}
