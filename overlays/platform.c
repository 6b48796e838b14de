/*
 * platform.c - platform and mode descriptions, read from JSON with json-c.
 *
 * Descriptions are read once and kept for the life of the process (they
 * are a few KiB); lookups after the first are a locked scan of that cache.
 */
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"

#define MAX_PLATFORMS 16

#ifndef CHM_OVERLAY_INSTALL_DIR
#define CHM_OVERLAY_INSTALL_DIR "/usr/local/share/chimera/overlays"
#endif
#ifndef CHM_OVERLAY_DIR
#define CHM_OVERLAY_DIR "overlays"
#endif

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static platform_desc *loaded[MAX_PLATFORMS];
static int n_loaded;
static mode_desc modes[4];
static int modes_loaded;
static _Thread_local char error[320];

static void set_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error, sizeof error, fmt, ap);
    va_end(ap);
}

const char *platform_error(void)
{
    return error;
}

/* The first directory of the search path that has overlays/modes.json. */
const char *platform_overlay_dir(void)
{
    const char *env = getenv("CHIMERA_OVERLAYS");
    const char *dirs[] = { env, CHM_OVERLAY_INSTALL_DIR, CHM_OVERLAY_DIR };
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char p[512];
        if (!dirs[i])
            continue;
        snprintf(p, sizeof p, "%s/modes.json", dirs[i]);
        FILE *f = fopen(p, "r");
        if (f) {
            fclose(f);
            return dirs[i];
        }
    }
    return NULL;
}

static json_object *field(json_object *o, const char *key)
{
    json_object *v = NULL;
    return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/*
 * Reads a whole number, as a JSON integer or a "0x..." / decimal string, in
 * [0, max]; -1 and an error otherwise (a fraction, a negative, 1e300, or a
 * value past max is refused rather than cast).
 */
static int get_uint(json_object *o, const char *key, uint64_t max, uint64_t *out,
                    const char *where)
{
    json_object *v = field(o, key);
    int ok = 0;
    if (v && json_object_is_type(v, json_type_string)) {
        const char *str = json_object_get_string(v);
        char *end;
        errno = 0;
        *out = strtoull(str, &end, 0);
        ok = !errno && end != str && *end == 0 && str[0] != '-';
    } else if (v && json_object_is_type(v, json_type_int)) {
        errno = 0;
        int64_t x = json_object_get_int64(v);
        ok = !errno && x >= 0;
        *out = (uint64_t)x;
    } else if (v && json_object_is_type(v, json_type_double)) {
        double d = json_object_get_double(v);
        ok = d >= 0 && d <= 9007199254740992.0 && d == (double)(uint64_t)d;
        *out = ok ? (uint64_t)d : 0;
    }
    if (ok && *out <= max)
        return 0;
    set_error("%s: \"%s\" is missing or not a whole number in 0..%llu", where, key,
              (unsigned long long)max);
    return -1;
}

static int get_double(json_object *o, const char *key, double *out, const char *where)
{
    json_object *v = field(o, key);
    if (!v || !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)) ||
        (*out = json_object_get_double(v)) <= 0) {
        set_error("%s: \"%s\" is missing or not a positive number", where, key);
        return -1;
    }
    return 0;
}

static int get_str(json_object *o, const char *key, char *out, size_t n, const char *where)
{
    json_object *v = field(o, key);
    if (!v || !json_object_is_type(v, json_type_string) ||
        strlen(json_object_get_string(v)) >= n) {
        set_error("%s: \"%s\" is missing, not a string, or longer than %zu", where, key, n - 1);
        return -1;
    }
    strcpy(out, json_object_get_string(v));
    return 0;
}

static int get_resources(json_object *o, const char *key, platform_resources *r, const char *where)
{
    json_object *v = field(o, key);
    uint64_t x[5];
    static const char *const names[5] = { "lut", "ff", "dsp", "bram", "uram" };
    if (!v) {
        set_error("%s: no \"%s\"", where, key);
        return -1;
    }
    for (int i = 0; i < 5; i++)
        if (get_uint(v, names[i], UINT32_MAX, &x[i], where))
            return -1;
    *r = (platform_resources){ (uint32_t)x[0], (uint32_t)x[1], (uint32_t)x[2], (uint32_t)x[3],
                               (uint32_t)x[4] };
    return 0;
}

static int parse_uuid(const char *s, uint8_t out[16])
{
    int n = 0;
    for (; *s && n < 32; s++) {
        if (*s == '-')
            continue;
        int v = (*s >= '0' && *s <= '9') ? *s - '0' : (*s | 32) >= 'a' && (*s | 32) <= 'f' ? (*s | 32) - 'a' + 10 : -1;
        if (v < 0)
            return -1;
        out[n / 2] = (uint8_t)(n % 2 ? out[n / 2] | v : v << 4);
        n++;
    }
    return n == 32 && *s == 0 ? 0 : -1;
}

static int parse_banks(json_object *arr, platform_desc *p, const char *where)
{
    size_t n = arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
    if (n == 0) {
        set_error("%s: \"banks\" must be a non-empty array", where);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        json_object *b = json_object_array_get_idx(arr, i);
        char pattern[16];
        uint64_t count = 1, mib, base, stride = 0;
        double gbps;
        if (get_str(b, "name", pattern, sizeof pattern, where) ||
            get_uint(b, "size_mib", UINT64_C(1) << 24, &mib, where) || /* 16 TiB */
            get_uint(b, "base", UINT64_C(1) << 52, &base, where) ||
            get_double(b, "gbps", &gbps, where))
            return -1;
        if (field(b, "count") && (get_uint(b, "count", PLATFORM_MAX_BANKS, &count, where) ||
                                  get_uint(b, "stride", UINT64_C(1) << 44, &stride, where)))
            return -1;
        if (mib == 0 || count == 0) {
            set_error("%s: bank \"%s\" has %llu MiB x %llu", where, pattern,
                      (unsigned long long)mib, (unsigned long long)count);
            return -1;
        }
        /* The name is a pattern for snprintf: "DDR[%d]" numbers the banks of a
         * count; no other conversion may reach the format. */
        const char *pct = strchr(pattern, '%');
        if ((pct && (pct[1] != 'd' || strchr(pct + 1, '%'))) || (count > 1 && !pct)) {
            set_error("%s: bank name \"%s\" may hold one %%d (required with a count) and no "
                      "other %%", where, pattern);
            return -1;
        }
        for (uint64_t k = 0; k < count; k++) {
            if (p->n_banks == PLATFORM_MAX_BANKS) {
                set_error("%s: more than %d banks", where, PLATFORM_MAX_BANKS);
                return -1;
            }
            platform_bank *pb = &p->banks[p->n_banks++];
            if (pct)
                snprintf(pb->name, sizeof pb->name, "%.*s%d%s", (int)(pct - pattern), pattern,
                         (int)k, pct + 2);
            else
                snprintf(pb->name, sizeof pb->name, "%s", pattern);
            pb->size = mib << 20;
            pb->base = base + k * stride;
            pb->gbps = gbps;
        }
    }
    return 0;
}

/* Bank names a region reaches: "DDR[1]" or a range "HBM[0-15]"; absent = all. */
static int parse_reach(json_object *arr, platform_desc *p, platform_region *pr, const char *where)
{
    if (!arr) {
        pr->bank_mask = p->n_banks >= 64 ? ~0ull : (1ull << p->n_banks) - 1;
        return 0;
    }
    if (!json_object_is_type(arr, json_type_array)) {
        set_error("%s: region %s: \"banks\" is not an array", where, pr->name);
        return -1;
    }
    size_t n = json_object_array_length(arr);
    for (size_t i = 0; i < n; i++) {
        json_object *item = json_object_array_get_idx(arr, i);
        if (!item || !json_object_is_type(item, json_type_string)) {
            set_error("%s: region %s: \"banks\" entry %zu is not a string", where, pr->name, i);
            return -1;
        }
        const char *name = json_object_get_string(item);
        char prefix[16];
        int lo, hi, used = 0;
        if (sscanf(name, "%15[^[][%d-%d]%n", prefix, &lo, &hi, &used) != 3 || name[used]) {
            if (sscanf(name, "%15[^[][%d]%n", prefix, &lo, &used) != 2 || name[used]) {
                set_error("%s: region %s: bank \"%s\" is not NAME[i] or NAME[i-j]", where, pr->name, name);
                return -1;
            }
            hi = lo;
        }
        for (int k = lo; k <= hi; k++) {
            char bank[40];
            snprintf(bank, sizeof bank, "%s[%d]", prefix, k);
            uint32_t b = 0;
            while (b < p->n_banks && strcmp(p->banks[b].name, bank) != 0)
                b++;
            if (b == p->n_banks) {
                set_error("%s: region %s reaches bank %s, which the platform does not have", where,
                          pr->name, bank);
                return -1;
            }
            pr->bank_mask |= 1ull << b;
        }
    }
    if (!pr->bank_mask) {
        set_error("%s: region %s reaches no bank", where, pr->name);
        return -1;
    }
    return 0;
}

static int parse_regions(json_object *arr, platform_desc *p, const char *where)
{
    size_t n = arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
    if (n == 0 || n > PLATFORM_MAX_REGIONS) {
        set_error("%s: \"regions\" must hold 1..%d regions", where, PLATFORM_MAX_REGIONS);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        json_object *r = json_object_array_get_idx(arr, i);
        platform_region *pr = &p->regions[p->n_regions++];
        uint64_t frames, far;
        if (get_str(r, "name", pr->name, sizeof pr->name, where) ||
            get_uint(r, "frames", 1000000, &frames, where) ||
            get_uint(r, "far", UINT32_MAX, &far, where) ||
            get_resources(r, "budget", &pr->budget, where) ||
            parse_reach(field(r, "banks"), p, pr, where))
            return -1;
        if (frames == 0 || frames > 1000000) {
            set_error("%s: region %s has %llu frames", where, pr->name, (unsigned long long)frames);
            return -1;
        }
        pr->frames = (uint32_t)frames;
        pr->far = (uint32_t)far;
    }
    return 0;
}

/* "reconfiguration": { "emulated": "region", "xrt": "card" } */
static int parse_granularity(json_object *o, platform_desc *p, const char *where)
{
    static const char *const shell[PLATFORM_SHELLS] = { "emulated", "xrt" };
    for (int s = 0; s < PLATFORM_SHELLS; s++) {
        json_object *v = o ? field(o, shell[s]) : NULL;
        const char *g = v ? json_object_get_string(v) : NULL;
        if (!g || (strcmp(g, "region") != 0 && strcmp(g, "card") != 0)) {
            set_error("%s: \"reconfiguration\" must say \"%s\": \"region\" or \"card\"", where,
                      shell[s]);
            return -1;
        }
        p->granularity[s] = strcmp(g, "card") == 0 ? PLATFORM_CARD : PLATFORM_REGION;
    }
    return 0;
}

static int parse_platform(json_object *root, platform_desc *p, const char *where)
{
    char uuid[64];
    uint64_t idcode;
    if (get_str(root, "name", p->name, sizeof p->name, where) ||
        get_str(root, "vbnv", p->vbnv, sizeof p->vbnv, where) ||
        get_str(root, "part", p->part, sizeof p->part, where) ||
        get_double(root, "kernel_mhz", &p->kernel_mhz, where) ||
        get_double(root, "pcie_gbps", &p->pcie_gbps, where) ||
        get_double(root, "dma_setup_us", &p->dma_setup_us, where) ||
        get_double(root, "icap_mhz", &p->icap_mhz, where) ||
        get_uint(root, "idcode", UINT32_MAX, &idcode, where) ||
        get_str(root, "interface_uuid", uuid, sizeof uuid, where))
        return -1;
    p->idcode = (uint32_t)idcode;
    if (parse_granularity(field(root, "reconfiguration"), p, where))
        return -1;
    if (parse_uuid(uuid, p->interface_uuid)) {
        set_error("%s: interface_uuid \"%s\" is not 32 hex digits", where, uuid);
        return -1;
    }
    return parse_banks(field(root, "banks"), p, where) || parse_regions(field(root, "regions"), p, where);
}

static int valid_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 15)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
            return 0;
    return 1;
}

static const platform_desc *load_platform_locked(const char *name)
{
    const char *dir = platform_overlay_dir();
    if (!dir) {
        set_error("no overlay descriptions found (set CHIMERA_OVERLAYS to the overlays/ folder)");
        return NULL;
    }
    char path[600];
    snprintf(path, sizeof path, "%s/platforms/%s.json", dir, name);
    json_object *root = json_object_from_file(path);
    if (!root) {
        set_error("cannot read platform \"%s\" from %s", name, path);
        return NULL;
    }
    platform_desc *p = calloc(1, sizeof *p);
    int bad = !p || n_loaded == MAX_PLATFORMS || parse_platform(root, p, path);
    json_object_put(root);
    if (!bad && strcmp(p->name, name) != 0) {
        set_error("%s: names platform \"%s\"", path, p->name);
        bad = 1;
    }
    if (bad) {
        free(p);
        return NULL;
    }
    loaded[n_loaded++] = p;
    return p;
}

const platform_desc *platform_find(const char *name)
{
    if (!name || !valid_name(name)) {
        set_error("\"%s\" is not a platform name", name ? name : "(null)");
        return NULL;
    }
    pthread_mutex_lock(&lock);
    const platform_desc *p = NULL;
    for (int i = 0; i < n_loaded && !p; i++)
        if (strcmp(loaded[i]->name, name) == 0)
            p = loaded[i];
    if (!p)
        p = load_platform_locked(name);
    pthread_mutex_unlock(&lock);
    return p;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char *const *platform_names(void)
{
    static char store[MAX_PLATFORMS][16];
    static const char *names[MAX_PLATFORMS + 1];
    static int done;
    pthread_mutex_lock(&lock);
    if (!done) {
        const char *dir = platform_overlay_dir();
        char path[600];
        snprintf(path, sizeof path, "%s/platforms", dir ? dir : ".");
        DIR *d = dir ? opendir(path) : NULL;
        int n = 0;
        for (struct dirent *e; d && (e = readdir(d)) && n < MAX_PLATFORMS;) {
            size_t len = strlen(e->d_name);
            if (len > 5 && len < 21 && strcmp(e->d_name + len - 5, ".json") == 0) {
                memcpy(store[n], e->d_name, len - 5);
                store[n][len - 5] = 0;
                names[n] = store[n];
                n++;
            }
        }
        if (d)
            closedir(d);
        qsort(names, (size_t)n, sizeof names[0], cmp_str);
        names[n] = NULL;
        done = 1;
    }
    pthread_mutex_unlock(&lock);
    return names;
}

static int parse_kernels(json_object *arr, mode_desc *m, const char *where)
{
    size_t n = arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
    if (n == 0 || n > MODE_MAX_KERNELS) {
        set_error("%s: a mode's \"kernels\" must list 1..%d names", where, MODE_MAX_KERNELS);
        return -1;
    }
    m->n_kernels = 0;
    for (size_t i = 0; i < n; i++) {
        const char *k = json_object_get_string(json_object_array_get_idx(arr, i));
        if (!k || !k[0] || strlen(k) >= sizeof m->kernels[0]) {
            set_error("%s: kernel name %zu is empty or too long", where, i);
            return -1;
        }
        strcpy(m->kernels[m->n_kernels++], k);
    }
    return 0;
}

static int load_modes_locked(void)
{
    const char *dir = platform_overlay_dir();
    char path[600];
    snprintf(path, sizeof path, "%s/modes.json", dir ? dir : ".");
    json_object *root = dir ? json_object_from_file(path) : NULL;
    json_object *arr = root ? field(root, "modes") : NULL;
    int bad = !arr || !json_object_is_type(arr, json_type_array);
    static const char *const order[4] = { "EMPTY", "CNN", "SPARSE", "GRAPH" };
    strcpy(modes[0].name, order[0]);
    for (int m = 1; m < 4 && !bad; m++) {
        bad = 1;
        for (size_t i = 0; i < json_object_array_length(arr); i++) {
            json_object *o = json_object_array_get_idx(arr, i);
            json_object *nm = field(o, "name");
            if (nm && strcmp(json_object_get_string(nm), order[m]) == 0)
                bad = get_resources(o, "needs", &modes[m].needs, path) != 0 ||
                      parse_kernels(field(o, "kernels"), &modes[m], path) != 0;
        }
        strcpy(modes[m].name, order[m]);
    }
    if (bad && !error[0])
        set_error("cannot read the modes from %s", path);
    json_object_put(root);
    modes_loaded = bad ? -1 : 1;
    return bad ? -1 : 0;
}

const mode_desc *mode_find(int mode)
{
    pthread_mutex_lock(&lock);
    if (!modes_loaded)
        load_modes_locked();
    int ok = modes_loaded > 0;
    pthread_mutex_unlock(&lock);
    return ok && mode >= 1 && mode <= 3 ? &modes[mode] : NULL;
}

int mode_by_name(const char *name)
{
    for (int m = 1; m <= 3; m++) {
        const mode_desc *d = mode_find(m);
        if (d && strcmp(d->name, name) == 0)
            return m;
    }
    return 0;
}
