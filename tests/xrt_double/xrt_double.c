/*
 * xrt_double.c - a stand-in for libxrt_coreutil.so, for testing the xrt
 * backend without a card: the subset of XRT's C API the backend calls,
 * behaving as XRT documents it, over host memory and the overlay's HLS
 * tops compiled natively. Loaded through the backend's own dlopen path
 * (CHIMERA_XRT_LIB=.../libxrt_double.so).
 *
 * What it models, so that the backend's mistakes show:
 *  - a buffer object has a host copy and a card copy: xrtBOWrite/Read touch
 *    the host copy, xrtBOSync moves bytes (a missing sync leaves stale data);
 *  - BOs live in the memory groups of the loaded xclbin's MEM_TOPOLOGY, and a
 *    kernel argument accepts only a BO in a group CONNECTIVITY connects it to;
 *  - arguments are set by index: a buffer argument must get a live BO handle,
 *    a 32-bit scalar a value that fits 32 bits; a run starts only with all set;
 *  - loading an xclbin checks its interface UUID against the card's shell
 *    (EINVAL), refuses while kernels are open or another process holds the
 *    card (EBUSY), and scrambles every BO's card copy (the memory controllers
 *    in the user partition are reprogrammed);
 *  - kernels are called with the arguments in the order of the HLS tops'
 *    signatures (hls/top/chm_tops.h), written out here by hand.
 * Environment, read at each call: CHM_XRT_DOUBLE_CARDS (BDFs, comma
 * separated; default one card), CHM_XRT_DOUBLE_SHELL (the shell's interface
 * UUID; default u250's), CHM_XRT_DOUBLE_BUSY=1, CHM_XRT_DOUBLE_HANG=<top>
 * (its runs never finish), CHM_XRT_DOUBLE_ABORT=<top> (its runs abort).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chm_tops.h"

#define MAX_GROUPS 64
#define MAX_CUS 64
#define MAX_CONN 2048
#define MAX_ARGS 40
#define BO_MAGIC 0x424f424fu
#define DEFAULT_SHELL "807a580e5f507d48484d26c2217aa787" /* u250 (overlays/platforms/u250.json) */

enum { NEW = 1, RUNNING = 3, COMPLETED = 4, ABORT = 6 };

typedef struct group {
    int used;
    uint64_t base, size;
} group;

typedef struct card {
    char bdf[32];
    int loaded;
    unsigned char uuid[16];
    group groups[MAX_GROUPS];
    int n_groups;
    char cu[MAX_CUS][64];      /* IP_LAYOUT kernel names, "chm_x:chm_x_r0" */
    int n_cus;
    int32_t conn[MAX_CONN][3]; /* argument, IP index, memory index */
    int n_conn;
    int open_kernels;
    int open;
} card;

typedef struct bo {
    uint32_t magic;
    card *c;
    int grp;
    size_t size;
    uint64_t addr;
    uint8_t *host, *dev;
    struct bo *next;
} bo;

/* A top: its argument count, which are buffers, and how to call it. */
typedef struct top {
    const char *name;
    int nargs, nptrs; /* buffers come first, as in every chm_* top */
    void (*call)(void **p, const uint32_t *s);
} top;

typedef struct kernel {
    card *c;
    const top *t;
    int ip;
} kernel;

typedef struct run {
    kernel *k;
    void *ptr[MAX_ARGS];
    uint32_t s[MAX_ARGS];
    uint64_t set;
    int state;
} run;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static card cards[8];
static bo *bos;

/* ---------------------------------------------------------------- tops */

#define S(i) ((int32_t)s[i])
static void call_conv(void **p, const uint32_t *s)
{
    chm_cnn_conv2d(p[0], p[1], p[2], p[3], p[4], p[5], S(6), S(7), S(8), S(9), S(10), S(11),
                   S(12), S(13), S(14), S(15), S(16), S(17), S(18), S(19), S(20), S(21), S(22),
                   S(23), S(24), S(25), S(26), S(27));
}
static void call_pool(void **p, const uint32_t *s)
{
    chm_cnn_pool(p[0], p[1], S(2), S(3), S(4), S(5), S(6), S(7), S(8), S(9), S(10), S(11), S(12),
                 S(13), S(14), S(15));
}
static void call_add(void **p, const uint32_t *s)
{
    chm_cnn_add(p[0], p[1], p[2], S(3), S(4), S(5), S(6), S(7), S(8), S(9), S(10), S(11), S(12),
                S(13), S(14), S(15));
}
static void call_sparse(void **p, const uint32_t *s)
{
    chm_sparse_layer(p[0], p[1], p[2], p[3], p[4], p[5], S(6), S(7), S(8), S(9), S(10), S(11),
                     S(12), S(13), S(14), S(15), S(16), S(17), S(18), S(19), S(20), S(21), S(22),
                     S(23), S(24), S(25), S(26));
}
#define GRAPH_S                                                                                  \
    S(8), S(9), S(10), S(11), S(12), S(13), S(14), S(15), S(16), S(17), S(18), S(19), S(20),     \
        S(21), S(22), S(23), S(24), S(25), S(26), S(27), s[28], s[29]
static void call_graph_i8(void **p, const uint32_t *s)
{
    chm_graph_layer_i8(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], GRAPH_S);
}
static void call_graph_f32(void **p, const uint32_t *s)
{
    chm_graph_layer_f32(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], GRAPH_S);
}
#undef S

static const top tops[] = {
    { "chm_cnn_conv2d", 28, 6, call_conv },       { "chm_cnn_pool", 16, 2, call_pool },
    { "chm_cnn_add", 16, 3, call_add },           { "chm_sparse_layer", 27, 6, call_sparse },
    { "chm_graph_layer_i8", 30, 8, call_graph_i8 },
    { "chm_graph_layer_f32", 30, 8, call_graph_f32 },
};

/* ---------------------------------------------------------------- cards */

static int fail(int e)
{
    errno = e;
    return -1;
}

static void *fail_null(int e)
{
    errno = e;
    return NULL;
}

static int n_cards(void)
{
    const char *env = getenv("CHM_XRT_DOUBLE_CARDS");
    const char *list = env && env[0] ? env : "0000:65:00.1";
    int n = 0;
    for (const char *p = list; *p && n < 8; n++) {
        size_t len = strcspn(p, ",");
        if (!cards[n].bdf[0])
            snprintf(cards[n].bdf, sizeof cards[n].bdf, "%.*s", (int)len, p);
        p += len + (p[len] == ',');
    }
    return n;
}

void *xrtDeviceOpen(unsigned int index)
{
    pthread_mutex_lock(&lock);
    card *c = (int)index < n_cards() ? &cards[index] : NULL;
    if (c)
        c->open++;
    pthread_mutex_unlock(&lock);
    return c ? (void *)c : fail_null(ENODEV);
}

void *xrtDeviceOpenByBDF(const char *bdf)
{
    pthread_mutex_lock(&lock);
    card *c = NULL;
    for (int i = 0, n = n_cards(); i < n && !c; i++)
        if (strcmp(cards[i].bdf, bdf) == 0)
            c = &cards[i];
    if (c)
        c->open++;
    pthread_mutex_unlock(&lock);
    return c ? (void *)c : fail_null(ENODEV);
}

int xrtDeviceClose(void *d)
{
    card *c = d;
    if (!c)
        return fail(EINVAL);
    pthread_mutex_lock(&lock);
    c->open--;
    pthread_mutex_unlock(&lock);
    return 0;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static int hexval(char ch)
{
    return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
         : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

/* The card's shell UUID from CHM_XRT_DOUBLE_SHELL (hex, dashes ignored). */
static void shell_uuid(unsigned char out[16])
{
    const char *env = getenv("CHM_XRT_DOUBLE_SHELL");
    const char *s = env && env[0] ? env : DEFAULT_SHELL;
    int k = 0;
    memset(out, 0, 16);
    for (; *s && k < 32; s++)
        if (hexval(*s) >= 0)
            out[k / 2] = (unsigned char)(out[k / 2] << 4 | hexval(*s)), k++;
}

/* The sections the double reads, from the file's section table (FORMATS.md). */
static int read_sections(card *c, const uint8_t *f, size_t len)
{
    const uint32_t ns = rd32(f + 304 + 144);
    if ((uint64_t)456 + (uint64_t)ns * 40 > len)
        return -1;
    c->n_groups = c->n_cus = c->n_conn = 0;
    for (uint32_t i = 0; i < ns; i++) {
        const uint8_t *h = f + 456 + (size_t)i * 40;
        const uint32_t kind = rd32(h);
        const uint64_t off = rd64(h + 24), size = rd64(h + 32);
        if (off > len || size > len - off)
            return -1;
        const uint8_t *d = f + off;
        const uint32_t count = size >= 4 ? rd32(d) : 0;
        if (kind == 6) { /* MEM_TOPOLOGY */
            for (uint32_t e = 0; e < count && e < MAX_GROUPS && 8 + (e + 1) * 40 <= size; e++) {
                const uint8_t *m = d + 8 + e * 40;
                c->groups[e] = (group){ m[1], rd64(m + 16), rd64(m + 8) * 1024 };
                c->n_groups = (int)e + 1;
            }
        } else if (kind == 8) { /* IP_LAYOUT */
            for (uint32_t e = 0; e < count && e < MAX_CUS && 8 + (e + 1) * 80 <= size; e++) {
                memcpy(c->cu[e], d + 8 + e * 80 + 16, 63);
                c->cu[e][63] = '\0';
                c->n_cus = (int)e + 1;
            }
        } else if (kind == 7) { /* CONNECTIVITY */
            for (uint32_t e = 0; e < count && e < MAX_CONN && 4 + (e + 1) * 12 <= size; e++) {
                for (int j = 0; j < 3; j++)
                    c->conn[e][j] = (int32_t)rd32(d + 4 + e * 12 + (uint32_t)j * 4);
                c->n_conn = (int)e + 1;
            }
        }
    }
    return 0;
}

int xrtDeviceLoadXclbinFile(void *d, const char *path)
{
    card *c = d;
    FILE *fp = c && path ? fopen(path, "rb") : NULL;
    if (!fp)
        return fail(c && path ? ENOENT : EINVAL);
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    rewind(fp);
    uint8_t *f = len > 456 ? malloc((size_t)len) : NULL;
    int ok = f && fread(f, 1, (size_t)len, fp) == (size_t)len && memcmp(f, "xclbin2", 8) == 0;
    fclose(fp);
    unsigned char shell[16];
    shell_uuid(shell);
    const char *busy = getenv("CHM_XRT_DOUBLE_BUSY");
    int e = !ok ? EINVAL : busy && strcmp(busy, "1") == 0 ? EBUSY
          : memcmp(f + 304 + 32, shell, 16) != 0 ? EINVAL : 0;
    pthread_mutex_lock(&lock);
    if (!e && c->open_kernels)
        e = EBUSY; /* a kernel of the old xclbin is still open */
    if (!e) {
        card next = *c;
        if (read_sections(&next, f, (size_t)len)) {
            e = EINVAL;
        } else {
            *c = next;
            memcpy(c->uuid, f + 304 + 112, 16);
            c->loaded = 1;
            for (bo *b = bos; b; b = b->next)
                if (b->c == c)
                    memset(b->dev, 0xA5, b->size < 4096 ? b->size : 4096); /* memory is lost */
        }
    }
    pthread_mutex_unlock(&lock);
    free(f);
    return e ? fail(e) : 0;
}

int xrtDeviceGetXclbinUUID(void *d, unsigned char out[16])
{
    card *c = d;
    if (!c || !c->loaded)
        return fail(EINVAL);
    memcpy(out, c->uuid, 16);
    return 0;
}

/* -------------------------------------------------------------- kernels */

/* "chm_x:{chm_x_r0}" -> the IP_LAYOUT entry "chm_x:chm_x_r0" */
void *xrtPLKernelOpen(void *d, const unsigned char uuid[16], const char *name)
{
    card *c = d;
    if (!c || !name || !c->loaded || memcmp(uuid, c->uuid, 16) != 0)
        return fail_null(EINVAL);
    char kname[64], cu[64], want[130];
    if (sscanf(name, "%63[^:]:{%63[^}]}", kname, cu) != 2)
        return fail_null(EINVAL);
    snprintf(want, sizeof want, "%s:%s", kname, cu);
    const top *t = NULL;
    for (size_t i = 0; i < sizeof tops / sizeof tops[0]; i++)
        if (strcmp(tops[i].name, kname) == 0)
            t = &tops[i];
    pthread_mutex_lock(&lock);
    int ip = -1;
    for (int i = 0; i < c->n_cus; i++)
        if (strcmp(c->cu[i], want) == 0)
            ip = i;
    kernel *k = t && ip >= 0 ? malloc(sizeof *k) : NULL;
    if (k) {
        *k = (kernel){ c, t, ip };
        c->open_kernels++;
    }
    pthread_mutex_unlock(&lock);
    return k ? (void *)k : fail_null(ENOENT);
}

int xrtKernelClose(void *kh)
{
    kernel *k = kh;
    if (!k)
        return fail(EINVAL);
    pthread_mutex_lock(&lock);
    k->c->open_kernels--;
    pthread_mutex_unlock(&lock);
    free(k);
    return 0;
}

static int connected(const kernel *k, int arg, int grp)
{
    for (int i = 0; i < k->c->n_conn; i++)
        if (k->c->conn[i][0] == arg && k->c->conn[i][1] == k->ip && k->c->conn[i][2] == grp)
            return 1;
    return 0;
}

int xrtKernelArgGroupId(void *kh, int argno)
{
    kernel *k = kh;
    if (!k || argno < 0 || argno >= k->t->nptrs)
        return fail(EINVAL);
    for (int i = 0; i < k->c->n_conn; i++)
        if (k->c->conn[i][0] == argno && k->c->conn[i][1] == k->ip)
            return k->c->conn[i][2];
    return fail(EINVAL);
}

/* -------------------------------------------------------------- buffers */

/* First fit over the live buffers of (c, grp), 4 KiB aligned; lock held. */
static int place(card *c, int grp, uint64_t need, uint64_t *addr)
{
    const group *g = &c->groups[grp];
    uint64_t at = g->base;
    for (;;) {
        int moved = 0;
        for (bo *b = bos; b; b = b->next) {
            const uint64_t end = b->addr + ((b->size + 4095) & ~(uint64_t)4095);
            if (b->c == c && b->grp == grp && b->addr < at + need && at < end) {
                at = end; /* overlaps: try right after it */
                moved = 1;
            }
        }
        if (at + need > g->base + g->size)
            return -1;
        if (!moved) {
            *addr = at;
            return 0;
        }
    }
}

void *xrtBOAlloc(void *d, size_t size, uint64_t flags, uint32_t grp)
{
    card *c = d;
    (void)flags;
    if (!c || !c->loaded || grp >= (uint32_t)c->n_groups || !c->groups[grp].used || !size)
        return fail_null(EINVAL);
    pthread_mutex_lock(&lock);
    uint64_t addr;
    bo *b = place(c, (int)grp, (size + 4095) & ~(uint64_t)4095, &addr) == 0 ? calloc(1, sizeof *b)
                                                                          : NULL;
    if (b) {
        *b = (bo){ BO_MAGIC, c, (int)grp, size, addr, calloc(1, size), calloc(1, size), bos };
        if (!b->host || !b->dev) {
            free(b->host);
            free(b->dev);
            free(b);
            b = NULL;
        } else {
            /* card memory is not zeroed (the head only: untouched pages cost nothing) */
            memset(b->dev, 0x5A, size < 4096 ? size : 4096);
            bos = b;
        }
    }
    pthread_mutex_unlock(&lock);
    return b ? (void *)b : fail_null(ENOMEM);
}

static bo *live(void *h)
{
    bo *b = h;
    return b && b->magic == BO_MAGIC ? b : NULL;
}

int xrtBOFree(void *h)
{
    bo *b = live(h);
    if (!b)
        return fail(EINVAL);
    pthread_mutex_lock(&lock);
    for (bo **p = &bos; *p; p = &(*p)->next)
        if (*p == b) {
            *p = b->next;
            break;
        }
    pthread_mutex_unlock(&lock);
    b->magic = 0;
    free(b->host);
    free(b->dev);
    free(b);
    return 0;
}

int xrtBOWrite(void *h, const void *src, size_t size, size_t seek)
{
    bo *b = live(h);
    if (!b || seek > b->size || size > b->size - seek)
        return fail(EINVAL);
    memcpy(b->host + seek, src, size);
    return 0;
}

int xrtBORead(void *h, void *dst, size_t size, size_t skip)
{
    bo *b = live(h);
    if (!b || skip > b->size || size > b->size - skip)
        return fail(EINVAL);
    memcpy(dst, b->host + skip, size);
    return 0;
}

int xrtBOSync(void *h, int dir, size_t size, size_t offset)
{
    bo *b = live(h);
    if (!b || (dir != 0 && dir != 1) || offset > b->size || size > b->size - offset)
        return fail(EINVAL);
    if (dir == 0)
        memcpy(b->dev + offset, b->host + offset, size);
    else
        memcpy(b->host + offset, b->dev + offset, size);
    return 0;
}

uint64_t xrtBOAddress(void *h)
{
    bo *b = live(h);
    if (!b) {
        errno = EINVAL;
        return (uint64_t)-1;
    }
    return b->addr;
}

/* ----------------------------------------------------------------- runs */

void *xrtRunOpen(void *kh)
{
    kernel *k = kh;
    run *r = k ? calloc(1, sizeof *r) : NULL;
    if (!r)
        return fail_null(k ? ENOMEM : EINVAL);
    r->k = k;
    r->state = NEW;
    return r;
}

int xrtRunSetArg(void *rh, int index, ...)
{
    run *r = rh;
    if (!r || index < 0 || index >= r->k->t->nargs)
        return fail(EINVAL);
    va_list ap;
    va_start(ap, index);
    int e = 0;
    if (index < r->k->t->nptrs) {
        bo *b = live(va_arg(ap, void *));
        if (!b || b->c != r->k->c)
            e = EINVAL; /* not a buffer of this card */
        else if (!connected(r->k, index, b->grp))
            e = EINVAL; /* the argument's port does not reach the buffer's bank */
        else
            r->ptr[index] = b->dev;
    } else {
        const uint64_t v = va_arg(ap, uint64_t);
        if (v > UINT32_MAX)
            e = EINVAL; /* a 32-bit argument (a handle passed as a scalar?) */
        else
            r->s[index] = (uint32_t)v;
    }
    va_end(ap);
    if (e)
        return fail(e);
    r->set |= 1ull << index;
    return 0;
}

static int named(const char *env, const run *r)
{
    const char *v = getenv(env);
    return v && strcmp(v, r->k->t->name) == 0;
}

int xrtRunStart(void *rh)
{
    run *r = rh;
    if (!r || r->set != (r->k->t->nargs == 64 ? ~0ull : (1ull << r->k->t->nargs) - 1))
        return fail(EINVAL); /* every argument must be set */
    if (named("CHM_XRT_DOUBLE_HANG", r)) {
        r->state = RUNNING;
    } else if (named("CHM_XRT_DOUBLE_ABORT", r)) {
        r->state = ABORT;
        errno = EIO;
    } else {
        r->k->t->call(r->ptr, r->s);
        r->state = COMPLETED;
    }
    return 0;
}

int xrtRunWaitFor(void *rh, unsigned int timeout_ms)
{
    run *r = rh;
    if (!r)
        return ABORT;
    if (r->state == RUNNING) {
        struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
    }
    return r->state;
}

int xrtRunState(void *rh)
{
    run *r = rh;
    return r ? r->state : ABORT;
}

int xrtRunClose(void *rh)
{
    if (!rh)
        return fail(EINVAL);
    free(rh);
    return 0;
}
