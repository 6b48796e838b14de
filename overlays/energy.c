/*
 * energy.c - the energy table (overlays/energy/ultrascale_plus.json), read
 * with json-c once a file (read again when the overlays directory found
 * changes). Every action must be present with a "pj" (a number >= 0, or
 * null where no figure is sourced) and a "source".
 */
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "platform.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static energy_table cached;
static char cached_path[512]; /* "" until a table was read */

/* The actions in the order of energy_table's fields. */
static const char *const names[] = { "mac_int8", "mac_fp32", "add_int32", "add_fp32", "onchip_byte",
                                     "ddr_byte", "hbm_byte", "pcie_byte", "icap_byte" };
_Static_assert(sizeof(energy_table) == sizeof names / sizeof names[0] * sizeof(double),
               "one name a field");

static int fail(char *why, size_t n, const char *path, const char *what)
{
    snprintf(why, n, "%s: %s", path, what);
    return -1;
}

static int parse(json_object *root, const char *path, energy_table *t, char *why, size_t n)
{
    json_object *actions, *a, *pj, *src;
    if (!json_object_object_get_ex(root, "actions", &actions) ||
        !json_object_is_type(actions, json_type_object))
        return fail(why, n, path, "no \"actions\" object");
    double *v = &t->mac_int8;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char msg[160];
        if (!json_object_object_get_ex(actions, names[i], &a) ||
            !json_object_object_get_ex(a, "pj", &pj) || !json_object_object_get_ex(a, "source", &src) ||
            !json_object_is_type(src, json_type_string) || !json_object_get_string_len(src)) {
            snprintf(msg, sizeof msg, "action \"%s\" needs \"pj\" and a \"source\"", names[i]);
            return fail(why, n, path, msg);
        }
        if (pj == NULL) { /* json-c gives NULL for a JSON null */
            v[i] = -1.0;
            continue;
        }
        if (!(json_object_is_type(pj, json_type_double) || json_object_is_type(pj, json_type_int)) ||
            json_object_get_double(pj) < 0) {
            snprintf(msg, sizeof msg, "action \"%s\": \"pj\" must be a number >= 0 or null", names[i]);
            return fail(why, n, path, msg);
        }
        v[i] = json_object_get_double(pj);
    }
    return 0;
}

int energy_table_load(energy_table *out, char *why, size_t n)
{
    const char *dir = platform_overlay_dir();
    char path[512];
    snprintf(path, sizeof path, "%s/energy/ultrascale_plus.json", dir ? dir : "overlays");
    pthread_mutex_lock(&lock);
    int rc = 0;
    if (strcmp(path, cached_path)) {
        energy_table t;
        json_object *root = dir ? json_object_from_file(path) : NULL;
        if (!root)
            rc = fail(why, n, path, dir ? "missing or not JSON" : "no overlays directory found");
        else
            rc = parse(root, path, &t, why, n);
        json_object_put(root);
        if (rc == 0) {
            cached = t;
            snprintf(cached_path, sizeof cached_path, "%s", path);
        }
    }
    if (rc == 0)
        *out = cached;
    pthread_mutex_unlock(&lock);
    return rc;
}
