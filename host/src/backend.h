/*
 * backend.h - what a backend (emu, rtl, xrt) does for the runtime.
 *
 * The runtime owns queues, ordering, events, scheduling and tracing; a
 * backend owns the card: its memory, its DMA and its regions' kernels, and
 * says how long each of those takes on the card (modelled or measured).
 * Adding a backend means filling this table.
 */
#ifndef CHM_BACKEND_H
#define CHM_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "chimera.h"
#include "kop.h"

typedef struct chm_backend_ops {
    const char *name;
    /* Which of the platform's shells this backend drives (PLATFORM_SHELL_*):
     * it sets the reconfiguration granularity the scheduler plans with. */
    int shell;
    /* Brings the card up for dev->plat; sets dev->backend_data. */
    int (*open)(chm_device *dev);
    void (*close)(chm_device *dev);
    /* Reserves t->bytes in bank t->bank; sets t->addr. CHM_EDEVMEM if full. */
    int (*mem_alloc)(chm_device *dev, chm_tensor *t);
    void (*mem_free)(chm_device *dev, chm_tensor *t);
    /* Makes t's memory usable by copies and kernels (emulation backs it lazily). */
    int (*mem_touch)(chm_device *dev, chm_tensor *t);
    /* Host <-> card copies; bounds were checked by the runtime. */
    int (*copy_to)(chm_device *dev, chm_tensor *t, size_t off, const void *src, size_t n);
    int (*copy_from)(chm_device *dev, chm_tensor *t, size_t off, void *dst, size_t n);
    /* Runs op on region; blocks until the kernel is done. On failure says
     * why in why[0..n) (the event's message). */
    int (*run)(chm_device *dev, int region, const chm_kop *op, char *why, size_t n);
    /* Card time of a copy of n bytes to/from bank, microseconds. */
    double (*copy_time_us)(chm_device *dev, int bank, size_t n);
    /* Card time of op on region, microseconds; *macs gets its useful MACs,
     * *act what it does on the card (chm_op_actions, energy_uj left 0). */
    double (*op_time_us)(chm_device *dev, int region, const chm_kop *op, uint64_t *macs,
                         chm_op_actions *act);
    /* Per-mode entries (NULL where the backend has none). */
    const struct chm_graph_ops *graph;
    /* The partial-bitstream container the runtime loads by itself when no
     * region holds a mode (malloc'ed), or NULL if the backend has none. */
    uint8_t *(*container_for)(chm_device *dev, int region, chm_mode mode, size_t *len);
    /* Backends that measure card time (rtl, xrt): the card time of the
     * region's last run, or < 0 if none was measured. NULL: the modelled
     * times (op_time_us) are the card's. */
    double (*last_run_us)(chm_device *dev, int region);
    /* The measured times already include the banks shared between regions (a
     * card: xrt). 0: kernel times are each kernel's alone (models, rtl's
     * per-engine memory), and the runtime shares each bank on the timeline. */
    int shares_banks;
    /* Backends that measure board power (xrt): the energy of the region's last
     * run in µJ (chm_op_actions.measured_uj), or < 0. NULL: not measured. */
    double (*last_run_uj)(chm_device *dev, int region);
    /* Fills the backend's own fields of info (the card, its overlay). NULL: none. */
    void (*describe)(chm_device *dev, chm_device_info *info);
    /* Can this backend run op? If not, says why (checked at submit). NULL: all. */
    int (*supports)(chm_device *dev, const chm_kop *op, char *why, size_t n);
    /*
     * Reconfiguration, in the manner of Linux's fpga_manager_ops: the region
     * (region.c) owns the sequence and its state; the backend loads. The
     * runtime has drained what the granularity needs first (the region, or
     * on a PLATFORM_CARD shell every region and DMA channel). prepare
     * isolates the region (decoupler) or closes the card's kernels; write
     * loads bits (a checked partial bitstream, or NULL when the backend
     * finds its own, e.g. the xclbin of the new mode assignment); complete
     * recouples or reopens, told whether write succeeded. Each says why it
     * failed in why[0..n).
     */
    int (*reconf_prepare)(chm_device *dev, int region, chm_mode mode, char *why, size_t n);
    /* Would the manager accept bits for region? Checked before a load is queued, so
     * that a bad file never drains or decouples anything. 0, or nonzero with why. */
    int (*reconf_check)(chm_device *dev, int region, const uint8_t *bits, size_t len, char *why,
                        size_t n);
    int (*reconf_write)(chm_device *dev, int region, chm_mode mode, const uint8_t *bits,
                        size_t len, char *why, size_t n);
    int (*reconf_complete)(chm_device *dev, int region, chm_mode mode, int ok, char *why,
                           size_t n);
    /* Bytes one load of mode into region writes, for its modelled time. */
    size_t (*reconf_bytes)(chm_device *dev, int region, chm_mode mode);
    /* Entries left NULL are taken from this table (rtl: the emulated card's
     * memory, copies, estimates and containers). */
    const struct chm_backend_ops *inherit;
} chm_backend_ops;

/* GRAPH mode's entries. */
typedef struct chm_graph_ops {
    /* The engines' breakdown of op's time, for chm_gnn_layer_plan (cycles). */
    graph_cost (*cost)(chm_device *dev, const chm_kop *op);
} chm_graph_ops;

/*
 * The backend's graph->cost for op, remembered on op's graph tensor (its
 * blob never changes): planning a layer walks every window of the graph,
 * and a layer is planned at submit (both orders) and again when it runs.
 */
graph_cost chm__graph_cost(chm_device *dev, const chm_kop *op);

/* A complete table: t's entries, with NULL ones taken from t->inherit. */
chm_backend_ops chm__backend_resolve(const chm_backend_ops *t);

extern const chm_backend_ops chm_emu_backend;
extern const chm_backend_ops chm_rtl_backend;
extern const chm_backend_ops chm_xrt_backend;

#endif /* CHM_BACKEND_H */
