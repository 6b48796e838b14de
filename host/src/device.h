/*
 * device.h - the runtime's objects: device, tensor, region, engine, event.
 * Internal; applications see only the opaque handles of chimera.h.
 *
 * Locking: one mutex per device (dev->lock) guards every queue, event state,
 * tensor dependency list, stats and the trace. Waiters for completions
 * (chm_wait, chm_finish, drains) sleep on `changed`, broadcast when a
 * command completes; each engine thread sleeps on its own `wake`, signalled
 * when a command is appended to its FIFO or a command completes while its
 * FIFO is not empty, so an engine with nothing queued is never woken.
 * Commands are few and coarse (a whole layer), so one lock is not a
 * bottleneck.
 */
#ifndef CHM_DEVICE_H
#define CHM_DEVICE_H

#include <pthread.h>
#include <stdint.h>

#include "backend.h"
#include "bankshare.h"
#include "chimera.h"
#include "kop.h"
#include "platform.h"
#include "signing.h"

typedef enum { CMD_WRITE = 0, CMD_READ = 1, CMD_KERNEL = 2, CMD_LOAD = 3 } cmd_kind;

/* Engine indexes: DMA host->card, DMA card->host, then one per region. */
enum { ENGINE_H2D = 0, ENGINE_D2H = 1, ENGINE_REGION0 = 2 };
#define MAX_ENGINES (ENGINE_REGION0 + CHM_MAX_REGIONS)

struct chm_event {
    chm_device *dev;
    uint64_t pad_;          /* keeps magic clear of the words free() reuses */
    uint32_t magic;         /* CHM_EVENT_MAGIC while alive */
    int refs;               /* caller + queue + tensors' dependency lists */
    int done;
    int status;
    cmd_kind kind;
    int engine;
    chm_event *next;        /* in the engine's FIFO */
    chm_event **deps;       /* commands this one waits for (each holds a ref) */
    int n_deps;
    /* What to do. */
    chm_kop op;             /* CMD_KERNEL */
    chm_tensor *tensor;     /* CMD_WRITE / CMD_READ */
    size_t offset, bytes;
    const void *src;
    void *dst;
    uint8_t *file;          /* CMD_LOAD: the container (owned) */
    const uint8_t *bitstream;
    size_t bitstream_len;
    chm_mode load_mode;
    int automatic;          /* CMD_LOAD the scheduler queued by itself */
    char why[320];          /* why the command failed, if it did */
    chm_tensor *touch[KOP_MAX_TENSORS + 1]; /* tensors it names (users count) */
    chm_tensor *reads[KOP_MAX_TENSORS];     /* for placing it on the modelled timeline */
    int n_reads;
    chm_tensor *write;
    int placed;             /* in an engine's FIFO (kernels may wait in the scheduler first) */
    int waited_loads;       /* reconfigurations to other modes while it was held */
    int passed_over;        /* younger operations placed before it */
    uint64_t seq;           /* submission order */
    int n_touch;
    /* What it cost. */
    char name[48];
    double dev_dur_us;      /* modelled duration, set before submit */
    double not_before_us;   /* the latest card time the submitting thread had waited for
                               (chm_wait): the command cannot start before it */
    uint64_t macs;
    chm_op_actions act;     /* what it did on the card (energy.c); energy_uj set at completion */
    double dev_start_us, dev_end_us;   /* modelled, fixed when queued; measured backends
                                          set them again when the command completes */
    double model_us;        /* the model's duration, kept beside a measured one */
    int measured;           /* dev_dur_us was measured by the backend */
    double wall_start_us, wall_end_us; /* measured */
};

struct chm_tensor {
    chm_device *dev;
    uint64_t pad_;          /* keeps magic clear of the words free() reuses */
    uint32_t magic;         /* CHM_TENSOR_MAGIC while alive */
    chm_dtype dtype;
    int ndim;
    int64_t dims[CHM_MAX_DIMS];
    uint64_t bytes;
    int bank;
    uint64_t addr;          /* device address, set by the backend */
    void *mem;              /* backend's handle (emu: host memory, NULL until touched) */
    chm_tensor *prev, *next;/* device's list of live tensors */
    /* Dependency tracking (under dev->lock). */
    chm_event *last_write;
    chm_event **readers;    /* reads queued since last_write */
    int n_readers, cap_readers;
    int users;              /* queued commands that name this tensor */
    uint8_t *blob;          /* host copy of a sparse weight or graph blob (chm_*_upload) */
    void *cost_memo;        /* graph blobs: the cycle model's recent answers (ops_graph.c) */
    double dev_write_end_us;/* modelled end of the last write to it */
    double meas_write_end_us, meas_read_end_us; /* the same, as completed (measured backends) */
    double dev_read_end_us; /* modelled end of the latest read of it */
};

typedef struct chm_region {
    int index;
    chm_region_state state;
    chm_mode mode;          /* what it holds now (changed by the engine) */
    chm_mode sched_mode;    /* what it will hold once queued loads are done */
    uint32_t macs_per_cycle;
    uint64_t loads;
    int loads_queued;
    char why[200];          /* why its last load failed, for the work that could not move */
    double busy_us, configuring_us; /* modelled, of completed commands */
    /* On-chip memory rail (undervolt.c): 0 = nominal; ECC; faults counted. */
    double uv_mv;
    int ecc, abft;
    uint64_t f_injected, f_corrected, f_detected, f_undetected;
    uint64_t abft_flagged, abft_recomputed, abft_failed;
    double acc_rate;        /* accumulator upsets per accumulator per tile pass */
    uint64_t acc_cmds;      /* commands run under injection: seeds each one's draws */
    uint64_t acc_tiles, acc_upsets, acc_data, acc_detected, acc_corrected, acc_redone, acc_undetected;
} chm_region;

typedef struct chm_engine {
    chm_device *dev;
    int index;
    pthread_t thread;
    int started;
    pthread_cond_t wake;    /* its thread sleeps here: a command appended, a dependency done */
    chm_event *head, *tail; /* FIFO of queued commands */
    double dev_avail_us;    /* modelled time the engine is next free */
    double meas_end_us;     /* end of its last completed command (measured backends) */
} chm_engine;

typedef struct trace_rec {
    char name[48];
    int engine;
    double dev_start_us, dev_end_us, wall_start_us, wall_end_us;
    uint64_t bytes, macs;
    double model_us;        /* measured kernels: the model's duration, kept beside */
    int measured;
    double energy_uj;       /* modelled dynamic energy */
    double measured_uj;     /* xrt: board power x run time; < 0 if not measured */
} trace_rec;

struct chm_device {
    char name[CHM_NAME_MAX];
    char card[CHM_NAME_MAX];   /* xrt: which card ("0", "0000:65:00.1"); "" otherwise */
    const platform_desc *plat;
    energy_table energy;    /* pJ per action (overlays/energy), < 0: not charged */
    const chm_backend_ops *be; /* = &ops */
    chm_backend_ops ops;       /* the backend's table, inherited entries filled in */
    chm_sig_policy sig_policy;
    sig_trust *trust;       /* keys of the trust store (NULL: none) */
    void *backend_data;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int card_wide;          /* the shell reconfigures the whole card at once (PLATFORM_CARD) */
    pthread_rwlock_t gate;  /* card_wide: copies and kernels hold it shared, loads alone */
    int shutting_down;
    uint64_t opened_ns;     /* CLOCK_MONOTONIC at open */
    int n_regions;
    chm_region regions[CHM_MAX_REGIONS];
    int n_engines;
    chm_engine engines[MAX_ENGINES];
    chm_tensor *tensors;    /* live tensors */
    chm_sched_params sched; /* policy, window, max_wait (filled in) */
    chm_event *held;        /* kernel operations the scheduler holds, oldest first */
    int n_held;
    uint64_t next_seq;
    int queued;             /* commands not yet completed */
    int first_failure;      /* status of the first failed command, for chm_finish */
    int icap_faults;        /* loads the emulated ICAP is to fail (fault injection, tests) */
    undervolt_params uv;    /* on-chip memory fault curve, read at the first voltage change */
    int uv_loaded;
    uint64_t fault_seed;    /* where this card's weak on-chip cells are */
    /* Each bank's use over the card timeline (bankshare.c): modelled, and laid
     * again from measured kernel times (rtl). */
    chm_bank_use bank_use[CHM_MAX_BANKS], bank_meas[CHM_MAX_BANKS];
    chm_device_stats stats;
    trace_rec *trace;
    size_t n_trace, cap_trace;
    char errmsg[512];
};

/* Returns from the calling function with expr's status if it failed. */
#define CHECK(expr)          \
    do {                     \
        int rc_ = (expr);    \
        if (rc_)             \
            return rc_;      \
    } while (0)

/*
 * Live-object tags (libuv's habit for closed handles): a tensor or event
 * carries its magic while alive and CHM_DEAD_MAGIC once freed, so a double
 * free or a wait on a released event is refused with CHM_EINVAL as long as
 * the memory has not been reused (best effort; ASan catches every case).
 */
#define CHM_TENSOR_MAGIC 0x54656e73u /* "Tens" */
#define CHM_EVENT_MAGIC 0x4576656eu  /* "Even" */
#define CHM_DEAD_MAGIC 0xdeadbeefu

/* Tags a freed object. Through a volatile pointer: a plain store right before
 * free() is a dead store the compiler may (and at -O2 does) remove. */
static inline void chm__mark_dead(uint32_t *magic)
{
    *(volatile uint32_t *)magic = CHM_DEAD_MAGIC;
}

/* Records why a call failed (on dev, and for this thread) and returns code. */
int chm__fail(chm_device *dev, const char *who, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define CHM_FAIL(dev, code, ...) chm__fail((dev), __func__, (code), __VA_ARGS__)

/* Microseconds of wall time since dev opened. */
double chm__wall_us(const chm_device *dev);

/* Element size of a dtype in bytes. */
size_t chm__dtype_size(chm_dtype dt);
const char *chm__dtype_name(chm_dtype dt);

/* tensor.c: a read-only device tensor holding blob, for chm_sparse_upload and
 * chm_graph_upload. On success the tensor owns blob; on failure nothing is
 * left on the card and the caller still owns it. Messages name who. */
int chm__upload_blob(chm_device *dev, const char *who, uint8_t *blob, uint64_t bytes, int bank,
                     chm_tensor **out);
/* tensor.c: backs t's memory if the backend does that lazily. */
int chm__tensor_touch(chm_tensor *t);

/* queue.c */
int chm__engines_start(chm_device *dev);
void chm__engines_stop(chm_device *dev);
/* Queues ev (filled by the caller) on engine, with dependencies derived from
 * the tensors it reads and writes. Takes ownership of ev; *out gets a ref. */
int chm__submit(chm_device *dev, chm_event *ev, chm_tensor *const *reads, int n_reads,
                chm_tensor *write, chm_event **out);
chm_event *chm__event_new(chm_device *dev, cmd_kind kind);
void chm__event_unref_locked(chm_event *ev);
/* Modelled time at which a command reading reads and writing write may start. */
double chm__ready_us_locked(chm_tensor *const *reads, int n_reads, const chm_tensor *write);
/* Waits until t has no queued users (dev->lock held). */
void chm__tensor_drain_locked(chm_tensor *t);

/* scheduler.c */
/* Does region r reach every bank in the mask? */
int chm__region_reaches(const chm_device *dev, int r, uint64_t banks);
/* The banks op's tensors live in, as a mask. */
uint64_t chm__op_banks(const chm_kop *op);
/* Can op's mode ever run (a region holds it, or may be reconfigured to it)? */
int chm__mode_possible_locked(const chm_device *dev, chm_mode mode);
/* Places held operations until at most keep remain (dev->lock held). */
void chm__sched_flush_locked(chm_device *dev, int keep);
/* Places the held operations ev depends on, and theirs, first (dev->lock held). */
void chm__sched_place_deps_locked(chm_device *dev, chm_event *ev);
/* queue.c: appends ev to eng's FIFO (dev->lock held). */
void chm__engine_append(chm_engine *eng, chm_event *ev);
/* queue.c: puts ev in its engine's FIFO on the modelled timeline. */
void chm__place_locked(chm_device *dev, chm_event *ev);
/* queue.c: ends an unplaced command with status (nothing ran). */
void chm__fail_unplaced_locked(chm_device *dev, chm_event *ev, int status);

/* region.c: runs a queued load on its region's engine (no lock held). */
int chm__region_run_load(chm_device *dev, chm_event *ev);
/* The region will hold mode once its queued loads are done (dev->lock held). */
void chm__region_expect_locked(chm_region *r, chm_mode mode);
/* Queues an automatic load of mode into region at the tail of its FIFO
 * (dev->lock held); the container comes from the backend when it runs. */
int chm__region_autoload_locked(chm_device *dev, int region, chm_mode mode);
/* region.c: a load's span on the modelled timeline (all engines when card_wide). */
void chm__load_span_locked(chm_device *dev, chm_event *ev);
/* region.c: region's kernel did not finish (CHM_ETIMEDOUT): the region is FAILED and
 * holds nothing until reloaded; why says what happened. No lock held. */
void chm__region_hung(chm_device *dev, int region, const char *why);
/* The next n loads fail in the ICAP as a card's can mid-stream (a test hook for the
 * paths no file check can reach; declared here and in the tests that use it). */
int chm__region_inject_icap_faults(chm_device *dev, int n);
/* Does mode fit region's resources (and have kernels)? */
int chm__mode_fits(const chm_device *dev, int region, chm_mode mode);
/* MACs per cycle of mode in a region. */
uint32_t chm__mode_macs(chm_mode mode);

/* trace.c */
void chm__trace_add_locked(chm_device *dev, const chm_event *ev);

#endif /* CHM_DEVICE_H */
