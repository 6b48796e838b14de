/*
 * xrt_power.c - an Alveo card's board power as XRT's drivers expose it:
 * a hwmon power1_input (microwatts: the 12 V PEX, 12 V AUX and 3.3 V rails
 * together) under one of the card's PCI functions, the management one
 * through its XMC subdevice. $CHIMERA_SYSFS_ROOT replaces /sys (tests).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xrt_power.h"

static const char *sysfs(void)
{
    const char *env = getenv("CHIMERA_SYSFS_ROOT");
    return env && env[0] ? env : "/sys";
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int xrt_card_bdf(int index, char *out, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/bus/pci/drivers/xocl", sysfs());
    DIR *d = opendir(path);
    if (!d)
        return -1;
    char *names[64];
    int k = 0;
    for (struct dirent *e; (e = readdir(d)) && k < 64;)
        if (strchr(e->d_name, ':') && strchr(e->d_name, '.'))
            names[k++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)k, sizeof names[0], cmp); /* XRT numbers cards in BDF order */
    int rc = index >= 0 && index < k ? 0 : -1;
    if (!rc)
        snprintf(out, n, "%s", names[index]);
    for (int i = 0; i < k; i++)
        free(names[i]);
    return rc;
}

/* power1_input in dir/hwmon/hwmon*, in microwatts; -1 if none. */
static long long read_hwmon(const char *dir)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/hwmon", dir);
    DIR *d = opendir(path);
    long long uw = -1;
    for (struct dirent *e; d && uw < 0 && (e = readdir(d));) {
        if (strncmp(e->d_name, "hwmon", 5))
            continue;
        char file[1300];
        snprintf(file, sizeof file, "%s/%s/power1_input", path, e->d_name);
        FILE *f = fopen(file, "r");
        if (f && fscanf(f, "%lld", &uw) != 1)
            uw = -1;
        if (f)
            fclose(f);
    }
    if (d)
        closedir(d);
    return uw;
}

double xrt_card_power_w(const char *bdf)
{
    char base[64];
    snprintf(base, sizeof base, "%s", bdf);
    char *dot = strrchr(base, '.');
    if (!dot)
        return -1.0;
    for (char fn = '0'; fn <= '1'; fn++) { /* the management and the user function */
        dot[1] = fn;
        dot[2] = '\0';
        char dev[512];
        snprintf(dev, sizeof dev, "%s/bus/pci/devices/%s", sysfs(), base);
        long long uw = read_hwmon(dev);
        DIR *d = uw < 0 ? opendir(dev) : NULL;
        for (struct dirent *e; d && uw < 0 && (e = readdir(d));) {
            if (strncmp(e->d_name, "xmc", 3))
                continue;
            char sub[800];
            snprintf(sub, sizeof sub, "%s/%s", dev, e->d_name);
            uw = read_hwmon(sub);
        }
        if (d)
            closedir(d);
        if (uw >= 0)
            return (double)uw / 1e6;
    }
    return -1.0;
}
