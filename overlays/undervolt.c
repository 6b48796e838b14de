/*
 * undervolt.c - the on-chip memory fault curve below the safe voltage
 * (overlays/faults/bram_undervolt.json), read with json-c. Every value
 * needs a "source".
 */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "platform.h"

static int field(json_object *root, const char *name, double *v, const char *path, char *why,
                 size_t n)
{
    json_object *f, *val, *src;
    if (!json_object_object_get_ex(root, name, &f) || !json_object_object_get_ex(f, "value", &val) ||
        !json_object_object_get_ex(f, "source", &src) || !json_object_is_type(src, json_type_string) ||
        !json_object_get_string_len(src) ||
        !(json_object_is_type(val, json_type_double) || json_object_is_type(val, json_type_int)) ||
        !(json_object_get_double(val) > 0)) {
        snprintf(why, n, "%s: \"%s\" needs a \"value\" > 0 and a \"source\"", path, name);
        return -1;
    }
    *v = json_object_get_double(val);
    return 0;
}

int undervolt_load(undervolt_params *out, char *why, size_t n)
{
    const char *dir = platform_overlay_dir();
    char path[512];
    snprintf(path, sizeof path, "%s/faults/bram_undervolt.json", dir ? dir : "overlays");
    json_object *root = dir ? json_object_from_file(path) : NULL;
    if (!root) {
        snprintf(why, n, "%s: %s", path, dir ? "missing or not JSON" : "no overlays directory found");
        return -1;
    }
    undervolt_params p;
    double vmin, vcrash;
    int rc = field(root, "nominal_mv", &p.nominal_mv, path, why, n);
    if (!rc)
        rc = field(root, "vmin_frac", &vmin, path, why, n);
    if (!rc)
        rc = field(root, "vcrash_frac", &vcrash, path, why, n);
    if (!rc)
        rc = field(root, "rate_at_vmin", &p.rate_vmin, path, why, n);
    if (!rc)
        rc = field(root, "rate_at_vcrash", &p.rate_vcrash, path, why, n);
    json_object_put(root);
    if (!rc && !(vcrash < vmin && vmin < 1.0 && p.rate_vmin < p.rate_vcrash && p.rate_vcrash < 1.0)) {
        snprintf(why, n, "%s: needs vcrash_frac < vmin_frac < 1 and rate_at_vmin < rate_at_vcrash < 1",
                 path);
        rc = -1;
    }
    if (rc)
        return rc;
    p.vmin_mv = vmin * p.nominal_mv;
    p.vcrash_mv = vcrash * p.nominal_mv;
    *out = p;
    return 0;
}
