/*
 * chimera.h - the public API of the Chimera SDK.
 *
 * Chimera drives a reconfigurable overlay on AMD/Xilinx Alveo cards: a device
 * carries a few regions, each holding one accelerator mode: dense CNN,
 * SPARSE (pruned weights) or GRAPH (GCN-family layers).
 * The same program runs on the software-emulated card ("emu"), on the RTL
 * simulation and on a real card; only the device name changes.
 *
 * Conventions (libuv's):
 *  - every call returns an int: 0 (CHM_OK) or a negative CHM_E* code, with
 *    outputs through pointers; chm_strerror() names a code and
 *    chm_last_error() says exactly what was wrong with the last failed call;
 *  - handles are opaque; whoever creates one releases it;
 *  - a failed call changes nothing: no tensor, region or queue is touched.
 *
 * Tensor layout: activations are NHWC (batch, height, width, channels) and
 * convolution weights are OHWI (out channels, kernel h, kernel w, in channels
 * per group), as in TFLite. Fully connected weights are [out, in].
 *
 * Ordering: commands that touch the same tensor run in the order they were
 * submitted (read-after-write, write-after-read and write-after-write are all
 * respected); commands on different tensors may overlap, as copies and
 * kernels do on a card.
 */
#ifndef CHIMERA_H
#define CHIMERA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CHM_VERSION_MAJOR 0
#define CHM_VERSION_MINOR 1

/* ---------------------------------------------------------------- status */

enum {
    CHM_OK = 0,
    CHM_EINVAL = -1,   /* a bad argument: NULL handle, bad enum, bad option */
    CHM_ENOMEM = -2,   /* the host ran out of memory */
    CHM_ENODEV = -3,   /* no such device or platform name */
    CHM_ESHAPE = -4,   /* tensor dims disagree with the operation */
    CHM_EDTYPE = -5,   /* tensor element type disagrees with the operation */
    CHM_EBANK = -6,    /* no such memory bank */
    CHM_EDEVMEM = -7,  /* the memory bank has no room for the allocation */
    CHM_ERANGE = -8,   /* an offset or size reaches past the end of a tensor */
    CHM_EXDEV = -9,    /* a tensor belongs to another device */
    CHM_EMODE = -10,   /* no region holds or can hold the mode an op needs */
    CHM_EIO = -11,     /* a file could not be read or written */
    CHM_EFORMAT = -12, /* a file or buffer is malformed */
    CHM_ELIMIT = -13,  /* a size beyond what the overlay supports */
    CHM_EBUSY = -14,   /* the object is still in use by queued commands */
    CHM_EDEVICE = -15, /* the device failed while running a command */
    CHM_EUNSIGNED = -16,  /* a container is unsigned and the trust policy requires a signature */
    CHM_EUNTRUSTED = -17, /* a container is signed by a key that is not in the trust store */
    CHM_EBADSIG = -18,    /* a container's signature does not match its contents (tampered) */
    CHM_ETIMEDOUT = -19,  /* a kernel did not finish in the configured time (its region FAILED),
                             or a peer rank did not answer in time (chimera_comm.h) */
};

/* The name of a status code ("CHM_ESHAPE: tensor shape mismatch"). */
const char *chm_strerror(int code);

/* ----------------------------------------------------------------- types */

typedef struct chm_device chm_device;
typedef struct chm_tensor chm_tensor;
typedef struct chm_event chm_event;

typedef enum { CHM_INT8 = 0, CHM_INT32 = 1, CHM_FP32 = 2 } chm_dtype;

typedef enum {
    CHM_MODE_EMPTY = 0, /* the region holds no accelerator */
    CHM_MODE_CNN = 1,   /* dense int8 conv / fc / pool / add */
    CHM_MODE_SPARSE = 2,
    CHM_MODE_GRAPH = 3,
} chm_mode;

#define CHM_MAX_DIMS 4
#define CHM_MAX_BANKS 40
#define CHM_MAX_REGIONS 8
#define CHM_NAME_MAX 64

/* ---------------------------------------------------------------- device */

/*
 * Opens a device by name: "emu" (the default platform, u250), "emu:u250",
 * "emu:u280", "emu:u55c", "emu:u50" (one JSON file per platform in
 * overlays/platforms; chm_platform_names lists them). Every region comes up
 * holding CNN mode. On failure *out is untouched and chm_last_error(NULL)
 * says why. The trust settings come from the environment:
 * CHIMERA_TRUST_DIR and CHIMERA_SIG_POLICY (required | if-present | off).
 */
int chm_device_open(const char *name, chm_device **out);

/*
 * Which partial-bitstream containers chm_region_load accepts:
 *   IF_PRESENT  (default) unsigned ones, and signed ones whose signature a
 *               key of the trust store verifies;
 *   REQUIRED    only signed ones a trusted key verifies (recommended for
 *               deployment);
 *   OFF         signatures are not checked (development only).
 * A signed container whose key is not trusted fails with CHM_EUNTRUSTED,
 * one whose signature does not match its bytes with CHM_EBADSIG, an
 * unsigned one under REQUIRED with CHM_EUNSIGNED; the region is untouched.
 * Sign with `chimera xclbin keygen` and `chimera xclbin sign`.
 */
typedef enum {
    CHM_SIG_IF_PRESENT = 0,
    CHM_SIG_REQUIRED = 1,
    CHM_SIG_OFF = 2,
} chm_sig_policy;

typedef struct chm_device_opts {
    const char *trust_dir;     /* directory whose *.pub files are the trusted Ed25519
                                  keys; NULL: none (signed containers are then refused) */
    chm_sig_policy sig_policy; /* zero: CHM_SIG_IF_PRESENT */
} chm_device_opts;

/* chm_device_open with explicit trust settings (the environment is not read);
 * opts NULL means chm_device_open. A trust_dir that cannot be read fails. */
int chm_device_open_opts(const char *name, const chm_device_opts *opts, chm_device **out);

/*
 * Waits for all queued work, then frees the device and all its tensors.
 * Release every event of the device first: an event outlives no device.
 */
int chm_device_close(chm_device *dev);

/* The platform names chm_device_open accepts after "emu:", NULL-terminated. */
const char *const *chm_platform_names(void);

typedef struct chm_bank_info {
    char name[16];           /* "DDR[0]", "HBM[12]" */
    uint64_t size;           /* bytes */
    uint64_t used;           /* bytes allocated now */
    double bandwidth_gbps;   /* peak GB/s the bank sustains */
} chm_bank_info;

typedef enum {
    CHM_REGION_EMPTY = 0,       /* holds no accelerator */
    CHM_REGION_CONFIGURING = 1, /* a load is queued or running */
    CHM_REGION_CONFIGURED = 2,  /* holds `mode` */
    CHM_REGION_FAILED = 3,      /* the last load failed; load again to recover */
} chm_region_state;

typedef struct chm_region_info {
    char name[16];           /* where it sits on the die: "pr_slr0" */
    chm_region_state state;
    chm_mode mode;           /* what the region holds now */
    uint32_t macs_per_cycle; /* int8 MACs per kernel cycle in that mode */
    uint32_t frames;         /* configuration frames a partial bitstream writes */
    uint64_t loads;          /* partial reconfigurations completed */
    double busy_us;          /* modelled time running kernels */
    double configuring_us;   /* modelled time being reconfigured */
    uint64_t banks;          /* bit b set: its kernels reach bank b of chm_device_info */
} chm_region_info;

typedef struct chm_device_info {
    char name[CHM_NAME_MAX];     /* the name it was opened with */
    char platform[CHM_NAME_MAX]; /* shell VBNV, e.g. xilinx_u250_gen3x16_xdma_shell_4_1 */
    char backend[16];            /* "emu", "rtl", "xrt" */
    double kernel_clock_mhz;
    double pcie_gbps;            /* host<->card DMA rate used by the model, GB/s */
    uint32_t peak_macs_per_cycle; /* all regions together */
    uint32_t n_banks;
    chm_bank_info banks[CHM_MAX_BANKS];
    uint32_t n_regions;
    chm_region_info regions[CHM_MAX_REGIONS];
    uint8_t interface_uuid[16];  /* the shell's (xclbins must name it) */
    int card_reconfiguration;    /* nonzero: a mode change reloads the whole card (XRT
                                    shells); zero: each region reloads alone */
    char card[CHM_NAME_MAX];     /* xrt: the card ("0", "0000:65:00.1"); "" otherwise */
    char xclbin[512];            /* xrt: the overlay xclbin loaded; "" otherwise */
    uint8_t xclbin_uuid[16];     /* xrt: its UUID */
    char bdf[32];                /* xrt: the card's PCI address, if known; "" otherwise */
    double power_w;              /* xrt: board power now (hwmon power1_input), W; < 0 if the
                                    card does not expose it (and on emu and rtl) */
} chm_device_info;

/* Fills *info with what the device is and holds now. */
int chm_device_query(chm_device *dev, chm_device_info *info);

/*
 * Loads a partial-bitstream container (an xclbin made by `chimera xclbin
 * pack`) into region, as partial reconfiguration does on a card. The file is
 * checked before anything is touched: AXLF structure, this shell's platform
 * name and interface UUID, the region it was built for, a mode that fits the
 * region's resources, its checksum; a bad file fails here (CHM_EFORMAT,
 * CHM_EIO, CHM_ELIMIT) and the region stays as it was. The load itself is
 * queued on the region: work queued there before it drains first, then the
 * region is decoupled, the bitstream streams through the ICAP (sync,
 * IDCODE, frames and CRC checked), and the region is recoupled and reset.
 * If the ICAP refuses the stream the event fails with CHM_EFORMAT and the
 * region ends FAILED (load again to recover). Modelled time: bitstream
 * bytes at 32 bits a cycle of the ICAP clock (UG909).
 */
int chm_region_load(chm_device *dev, int region, const char *path, chm_event **ev);

/*
 * How the runtime places operations on regions and when it reconfigures:
 *   ON_DEMAND  in submission order; when no region will hold an operation's
 *              mode, reconfigure the region that frees up first (default).
 *   BATCH      hold up to `window` operations and run those whose mode a
 *              region already holds first, so operations of one mode run
 *              together and reconfigurations are fewer; an operation is
 *              passed over for at most `max_wait` reconfigurations (and
 *              2 x window placements) before it goes next.
 *   PREFETCH   BATCH, and when a held operation needs a mode no region
 *              holds, load it at once into a region that no held operation
 *              needs, so the load overlaps the other regions' work.
 *   STATIC     never reconfigure: an operation whose mode no region holds
 *              fails with CHM_EMODE (pin modes with chm_region_load_mode).
 * Dependencies between operations are always kept. Held operations are
 * placed when the window fills, and before any copy, load, wait or free.
 */
typedef enum {
    CHM_SCHED_ON_DEMAND = 0,
    CHM_SCHED_BATCH = 1,
    CHM_SCHED_PREFETCH = 2,
    CHM_SCHED_STATIC = 3,
} chm_sched_policy;

typedef struct chm_sched_params {
    chm_sched_policy policy;
    int window;   /* operations held for reordering: 0 means 16 (1 for ON_DEMAND, STATIC) */
    int max_wait; /* reconfigurations an operation may be passed over for: 0 means 2 */
} chm_sched_params;

/* Sets the scheduling policy (work already queued keeps its place). */
int chm_device_set_scheduler(chm_device *dev, const chm_sched_params *p);

/*
 * Loads mode into region from the backend's own container for it (the
 * emulation builds one; a card's backend reads the installed bitstreams),
 * through the same queued load sequence as chm_region_load.
 */
int chm_region_load_mode(chm_device *dev, int region, chm_mode mode, chm_event **ev);

/* The index of the bank called name ("DDR[1]", "HBM[3]"); CHM_EBANK if none. */
int chm_bank_find(chm_device *dev, const char *name, int *bank);

/*
 * What was wrong with the last call that failed on dev (from any thread), e.g.
 * "chm_conv2d: weights dims[3] is 8, expected 16 (in channels / groups)".
 * With dev NULL: the last failure in the calling thread on any device (the
 * only place chm_device_open can report). Never NULL; "" when nothing
 * failed. The text stays valid until the calling thread's next call.
 */
const char *chm_last_error(chm_device *dev);

/* ---------------------------------------------------------------- tensor */

#define CHM_BANK_DEFAULT (-1) /* the platform's first bank */
/* Spread: the bank with the fewest bytes allocated among those every region
 * reaches (ties: the lowest index; none in common: the first bank). Kernels
 * whose outputs sit in different banks do not share a bank's bandwidth. */
#define CHM_BANK_SPREAD (-2)

/*
 * Allocates a dense tensor of ndim (1..4) dims in a memory bank of dev (its
 * index, chm_bank_find; CHM_BANK_DEFAULT; or CHM_BANK_SPREAD).
 * Device memory is aligned to 4 KiB; host memory backing it in emulation is
 * taken only when the tensor is first written. Contents start as zero.
 */
int chm_tensor_alloc(chm_device *dev, chm_dtype dtype, int ndim, const int64_t *dims,
                     int bank, chm_tensor **out);

/* Waits for queued commands that use t, then frees it. NULL is a no-op. */
int chm_tensor_free(chm_tensor *t);

typedef struct chm_tensor_info {
    chm_dtype dtype;
    int ndim;
    int64_t dims[CHM_MAX_DIMS];
    uint64_t bytes;
    int bank;
    uint64_t device_address; /* address in the card's memory map */
} chm_tensor_info;

int chm_tensor_query(chm_tensor *t, chm_tensor_info *info);

/*
 * Gives t new dims with the same element count (e.g. NHWC [N,7,7,32] to
 * [N,1568] before a fully connected layer). Commands already queued keep the
 * shape they were given.
 */
int chm_tensor_reshape(chm_tensor *t, int ndim, const int64_t *dims);

/*
 * Copies bytes from host memory into t at byte offset, or out of t. The
 * async forms return at once with an event (if ev is not NULL); src/dst must
 * stay valid until the event completes. The plain forms wait.
 */
int chm_tensor_write(chm_tensor *t, size_t offset, const void *src, size_t bytes);
int chm_tensor_read(chm_tensor *t, size_t offset, void *dst, size_t bytes);
int chm_tensor_write_async(chm_tensor *t, size_t offset, const void *src, size_t bytes,
                           chm_event **ev);
int chm_tensor_read_async(chm_tensor *t, size_t offset, void *dst, size_t bytes,
                          chm_event **ev);

/* ---------------------------------------------------------------- events */

/* Blocks until the command is done; returns its status (CHM_OK or why it failed). */
int chm_wait(chm_event *ev);

/* Blocks until every command queued on dev is done; the first failure, if any. */
int chm_finish(chm_device *dev);

/* Drops the caller's reference; the command still runs. NULL is a no-op. */
void chm_event_release(chm_event *ev);

typedef struct chm_event_times {
    double wall_start_us, wall_end_us;     /* host time since the device opened */
    double device_start_us, device_end_us; /* modelled card time since it opened */
    int region;                            /* -1 for copies */
    double energy_uj;                      /* modelled dynamic energy (chm_op_actions) */
} chm_event_times;

/* Times of a completed command; CHM_EBUSY if it has not completed. */
int chm_event_times_get(chm_event *ev, chm_event_times *out);

/*
 * What a command did on the card, counted from the kernels' cycle models
 * (Accelergy's method: action counts x energy per action), and the dynamic
 * energy that makes with the device's table (chm_device_energy_table).
 * Static power is not in it.
 */
typedef struct chm_op_actions {
    uint64_t macs_int8, macs_fp32;   /* multiply-accumulates */
    uint64_t adds_int32, adds_fp32;  /* sums and compares outside the MAC array */
    uint64_t onchip_bytes;           /* on-chip buffer bytes written and read */
    uint64_t ddr_bytes, hbm_bytes;   /* card memory bytes read and written */
    uint64_t pcie_bytes;             /* host <-> card copies */
    uint64_t icap_bytes;             /* partial bitstream bytes */
    double energy_uj;                /* sum of the counts x the table's pJ, in µJ */
    double measured_uj;              /* xrt: the board's power (hwmon) at the run's start and
                                        end, averaged, x its measured time: the whole board,
                                        static power included; < 0 when not measured */
} chm_op_actions;

/* A completed command's actions; CHM_EBUSY if it has not completed. */
int chm_event_actions_get(chm_event *ev, chm_op_actions *out);

/*
 * Energy per action in pJ (overlays/energy/ultrascale_plus.json, each value
 * with its source there); < 0 where the table has no sourced figure (such
 * actions are counted and not charged).
 */
typedef struct chm_energy_table {
    double mac_int8, mac_fp32, add_int32, add_fp32;
    double onchip_byte, ddr_byte, hbm_byte, pcie_byte, icap_byte;
} chm_energy_table;

int chm_device_energy_table(chm_device *dev, chm_energy_table *out);

/* ---------------------------------------------------- quantization (CNN) */

typedef enum {
    CHM_ACT_NONE = 0,  /* clamp to [-128, 127] */
    CHM_ACT_RELU = 1,  /* clamp to [out_zero_point, 127] */
    CHM_ACT_RELU6 = 2, /* clamp to [out_zero_point, out_zero_point + relu6_q] */
} chm_activation;

/*
 * How an int32 accumulator becomes int8 (TFLite's fixed-point rule):
 *   acc = sum over taps of (x - in_zero_point) * w  + bias[c]
 *   out = clamp(out_zero_point + rshift_round(sat_rounding_doubling_high_mul(
 *               acc << max(shift[c], 0), multiplier[c]), max(-shift[c], 0)))
 * Weights are symmetric (zero point 0). multiplier/shift hold one value per
 * output channel, or one for all when per_tensor is set. The arrays are
 * copied when the operation is queued. A multiplier outside [2^30, 2^31)
 * (other than 0) fails with CHM_EINVAL. Where TFLite lets acc << shift wrap,
 * Chimera saturates it to the int32 range (same results whenever TFLite's
 * are defined; defined for every input here).
 *
 * A second rule, ONNX Runtime's (its x86 kernels requantize in float32):
 *   out = clamp(out_zero_point + nearbyintf((float)acc * scale[c]))
 * with scale[c] a float32 (ONNX Runtime evaluates in_scale * w_scale[c] /
 * out_scale in float) and every rounding to nearest, ties to even. A channel
 * takes this rule when its multiplier is the scale's 24-bit significand, in
 * [2^23, 2^24), and its shift the power of two: scale = multiplier *
 * 2^(shift - 23), shift in [-126, 30] (chm_quantize_scale_f32 splits a
 * float so). The card computes it in integers, bit for bit as the float unit
 * does. Conv, fully connected and SPARSE layers take either rule per
 * channel; chm_add and the GRAPH mode use TFLite's.
 */
typedef struct chm_requant {
    const int32_t *multiplier; /* Q0.31, in [2^30, 2^31), or 0, or a float32 significand */
    const int32_t *shift;      /* power of two: > 0 left, < 0 right, in [-31, 30] */
    int per_tensor;            /* nonzero: multiplier[0], shift[0] for every channel */
    int32_t in_zero_point;     /* [-128, 127] */
    int32_t out_zero_point;    /* [-128, 127] */
    chm_activation act;
    int32_t relu6_q;           /* with CHM_ACT_RELU6: 6.0 / out_scale, rounded */
} chm_requant;

/*
 * Splits a real multiplier (e.g. in_scale * w_scale / out_scale) into a Q31
 * multiplier and a shift so that real ~= multiplier * 2^(shift - 31).
 */
int chm_quantize_multiplier(double real, int32_t *multiplier, int32_t *shift);

/*
 * Splits a float32 scale into its 24-bit significand (multiplier, in
 * [2^23, 2^24)) and power of two (shift), exactly, for the float32 rule
 * above. 0 gives multiplier 0; subnormal, negative, non-finite or >= 2^31
 * scales fail with CHM_EINVAL.
 */
int chm_quantize_scale_f32(float scale, int32_t *multiplier, int32_t *shift);

/* ----------------------------------------------------- operations (CNN) */

typedef struct chm_conv2d_params {
    int stride_h, stride_w;     /* 0 means 1 */
    int pad_top, pad_left, pad_bottom, pad_right;
    int dilation_h, dilation_w; /* 0 means 1 */
    int groups;                 /* 0 means 1; in channels for depthwise */
    chm_requant rq;
} chm_conv2d_params;

/*
 * out = conv2d(in, weights) + bias, requantized. in: int8 [N,H,W,C];
 * weights: int8 [OC, KH, KW, C/groups]; bias: int32 [OC] or NULL;
 * out: int8 [N, OH, OW, OC] with OH = (H + pad_top + pad_bottom
 * - dilation_h*(KH-1) - 1) / stride_h + 1 (likewise OW).
 */
int chm_conv2d(chm_device *dev, chm_tensor *in, chm_tensor *weights, chm_tensor *bias,
               chm_tensor *out, const chm_conv2d_params *p, chm_event **ev);

/* out[N, M] = in[N, K] x weights[M, K]^T + bias[M], requantized. */
int chm_fully_connected(chm_device *dev, chm_tensor *in, chm_tensor *weights,
                        chm_tensor *bias, chm_tensor *out, const chm_requant *rq,
                        chm_event **ev);

typedef struct chm_pool_params {
    int kernel_h, kernel_w;     /* window; required */
    int stride_h, stride_w;     /* 0 means the window size */
    int pad_top, pad_left, pad_bottom, pad_right; /* each < the window */
    /* average only: 0 (default) rounds half away from zero (TFLite);
     * CHM_POOL_ROUND_EVEN rounds half to even about zero_point, as ONNX's
     * DequantizeLinear -> AveragePool -> QuantizeLinear at one scale does */
    int round_even;
    int32_t zero_point;         /* int8 zero point of in and out (round_even only) */
} chm_pool_params;

enum { CHM_POOL_ROUND_EVEN = 1 };

/*
 * Max / average pooling, int8 [N,H,W,C] -> int8 [N,OH,OW,C], same scale in
 * and out. Padding never wins a max and is not counted in an average; the
 * average rounds half away from zero (TFLite), or with round_even
 * zero_point + the mean of (x - zero_point) rounded half to even (ONNX).
 */
int chm_maxpool(chm_device *dev, chm_tensor *in, chm_tensor *out, const chm_pool_params *p,
                chm_event **ev);
int chm_avgpool(chm_device *dev, chm_tensor *in, chm_tensor *out, const chm_pool_params *p,
                chm_event **ev);

/*
 * Quantized element-wise add (TFLite's rule): both inputs are moved to a
 * common scale with left_shift extra bits, scaled by their multipliers,
 * summed, then requantized to the output scale.
 */
typedef struct chm_add_params {
    int32_t a_zero_point, b_zero_point, out_zero_point;
    int32_t a_multiplier, a_shift;     /* a_scale / (2 * max scale), as Q31 + shift */
    int32_t b_multiplier, b_shift;
    int32_t out_multiplier, out_shift; /* 2 * max scale / (2^left_shift * out_scale) */
    int32_t left_shift;                /* 0 means 20 */
    chm_activation act;
    int32_t relu6_q;
} chm_add_params;

/* Fills the multipliers of *p from real scales (zero points are left as they are). */
int chm_add_params_from_scales(double a_scale, double b_scale, double out_scale,
                               chm_add_params *p);

/* out = a + b for int8 tensors of the same dims. */
int chm_add(chm_device *dev, chm_tensor *a, chm_tensor *b, chm_tensor *out,
            const chm_add_params *p, chm_event **ev);

/* ------------------------------------------------ sparse weights (host) */

/*
 * Pruned weight matrices in the SPARSE mode's compressed formats, built on
 * the host. A matrix has `rows` output neurons and `cols` inputs (a conv's
 * weights: out channels x kh*kw*in channels, OHWI). The byte layouts are
 * documented in hls/sparse/sparse_format.h. These calls have no device:
 * their errors are reported by chm_last_error(NULL).
 */
typedef enum {
    CHM_SPARSE_X = 1, /* Cambricon-X: per-neuron nonzeros with narrow step indexes */
    CHM_SPARSE_S = 2, /* Cambricon-S: coarse blocks, shared index, codebook weights */
} chm_sparse_format;

#define CHM_SPARSE_STEP_AUTO (-1) /* chm_sparse_params.step_bits: chosen per matrix */

typedef struct chm_sparse_params {
    chm_sparse_format format;   /* required */
    double density;             /* keep this fraction of weights (X) or blocks (S) by
                                   magnitude, in (0, 1]; 0: prune by threshold instead */
    int threshold;              /* with density 0: X drops |w| <= threshold; S drops
                                   blocks whose largest |w| <= threshold (0: only zeros) */
    int step_bits;              /* X: width of a step index, 1..8; 0 means 4;
                                   CHM_SPARSE_STEP_AUTO: the width giving the fewest bytes */
    int block_rows, block_cols; /* S: block shape, 1..16 each; 0 means 4 rows x 16
                                   columns (16 = the SPARSE PE's lanes) */
    int code_bits;              /* S: codebook index width, 1..8; 0 means 8 (lossless) */
} chm_sparse_params;

typedef struct chm_sparse chm_sparse;

/* Prunes and compresses dense int8 weights w[rows][cols]. */
int chm_sparse_from_dense(const int8_t *w, int rows, int cols, const chm_sparse_params *p,
                          chm_sparse **out);

/*
 * Compresses a CSR matrix (row_ptr[rows + 1], col_idx and values[row_ptr[rows]],
 * columns ascending within a row). Explicit zeros are dropped; with X and no
 * pruning, chm_sparse_to_csr gives the same CSR back.
 */
int chm_sparse_from_csr(int rows, int cols, const int32_t *row_ptr, const int32_t *col_idx,
                        const int8_t *values, const chm_sparse_params *p, chm_sparse **out);

/* The weights it stands for (pruned ones 0, S codes decoded), w[rows][cols]. */
int chm_sparse_to_dense(const chm_sparse *s, int8_t *w);

/* Its nonzero weights as CSR; arrays sized rows + 1 and info.nnz. */
int chm_sparse_to_csr(const chm_sparse *s, int32_t *row_ptr, int32_t *col_idx, int8_t *values);

typedef struct chm_sparse_info {
    chm_sparse_format format;
    int rows, cols;
    uint64_t nnz;            /* nonzero weights kept */
    double density;          /* nnz / (rows x cols) */
    uint64_t dense_bytes;    /* rows x cols */
    uint64_t value_bytes;    /* X: values incl. padding; S: codes at code_bits + codebook */
    uint64_t index_bytes;    /* X: steps at step_bits + row pointers; S: block indexes + pointers */
    uint64_t bytes;          /* value_bytes + index_bytes: the packed size */
    uint64_t padding;        /* X: padding entries bridging wide gaps */
    uint64_t kept_blocks;    /* S */
    int step_bits;           /* X: the step width (as chosen with CHM_SPARSE_STEP_AUTO) */
} chm_sparse_info;

int chm_sparse_query(const chm_sparse *s, chm_sparse_info *info);

/*
 * The compressed blob as the card reads it, and back: chm_sparse_import
 * checks every count, offset, step and code and refuses a corrupt blob
 * (CHM_EFORMAT, saying what is wrong) without creating anything.
 */
const void *chm_sparse_blob(const chm_sparse *s, size_t *bytes);
int chm_sparse_import(const void *blob, size_t bytes, chm_sparse **out);

void chm_sparse_free(chm_sparse *s);

/* --------------------------------------------- operations (SPARSE mode) */

/*
 * Copies compressed weights into device memory (a 1-D int8 tensor holding
 * the blob, for the operations below; write it only through this call).
 */
int chm_sparse_upload(chm_device *dev, const chm_sparse *s, int bank, chm_tensor **out);

/*
 * out[N, rows] = in[N, cols] x W^T + bias, requantized as chm_fully_connected,
 * computing only the weights the format keeps. Runs in SPARSE mode: if no
 * region holds it, the runtime reconfigures one.
 */
int chm_sparse_fully_connected(chm_device *dev, chm_tensor *in, chm_tensor *weights,
                               chm_tensor *bias, chm_tensor *out, const chm_requant *rq,
                               chm_event **ev);

/*
 * conv2d as chm_conv2d (groups 1) with kernels pruned per output channel:
 * the sparse matrix is out channels x (kernel_h * kernel_w * in channels),
 * OHWI order.
 */
int chm_sparse_conv2d(chm_device *dev, chm_tensor *in, chm_tensor *weights, int kernel_h,
                      int kernel_w, chm_tensor *bias, chm_tensor *out,
                      const chm_conv2d_params *p, chm_event **ev);

/* ------------------------------------------------------ graphs (host) */

/*
 * A graph with n vertices is the n x n matrix A where A[v][u] is the weight
 * of edge u -> v: row v lists the vertices v aggregates from (CSR by
 * destination, columns ascending, no duplicates). These calls have no
 * device: their errors are reported by chm_last_error(NULL).
 */
typedef struct chm_graph chm_graph;

/* The most vertices a graph may have (loaders also refuse a file whose header
 * claims more than 2^20 + 64 vertices per edge: such a header is corrupt). */
#define CHM_GRAPH_MAX_VERTICES (1 << 28)

enum {
    /* Every edge u -> v also gives v -> u (an undirected graph). */
    CHM_GRAPH_SYMMETRIC = 1,
    /*
     * Duplicate edges become one edge whose weight is the sum of theirs (an
     * unweighted input keeps weight 1). Without it a duplicate is an error
     * (CHM_EFORMAT naming the edge). With CHM_GRAPH_SYMMETRIC, an edge given
     * in both directions is one undirected edge, not a duplicate.
     */
    CHM_GRAPH_MERGE_DUPLICATES = 2,
};

/*
 * Builds a graph from n_edges edges src[i] -> dst[i] (0-based) with weights
 * (NULL: all 1). flags: CHM_GRAPH_*.
 */
int chm_graph_from_edges(int64_t n, int64_t n_edges, const int32_t *src, const int32_t *dst,
                         const float *weight, unsigned flags, chm_graph **out);

/*
 * Reads a Matrix Market file "coordinate pattern|real|integer
 * general|symmetric" (square; entry (i, j) is edge j -> i, weight 1 for
 * pattern). A symmetric file holds the lower triangle only; an entry above
 * the diagonal is an error. flags as above (symmetric files imply
 * CHM_GRAPH_SYMMETRIC).
 */
int chm_graph_load_mtx(const char *path, unsigned flags, chm_graph **out);

/*
 * Reads an edge list: one "src dst [weight]" a line, 0-based, '#' or '%'
 * starts a comment. n 0: one more than the largest vertex id.
 */
int chm_graph_load_edgelist(const char *path, int64_t n, unsigned flags, chm_graph **out);

/*
 * Reads the Planetoid / LINQS text format: content lines "<id> <f_1> ...
 * <f_F> <label>" (tab or space separated; vertices numbered in file order,
 * labels numbered in order of first appearance) and cites lines "<cited>
 * <citing>" (edge citing -> cited). A cite naming an unknown id is an error.
 * flags as above. *features (n x F floats, row-major) and *labels (n) are
 * malloc'ed for the caller to free.
 */
int chm_graph_load_planetoid(const char *content_path, const char *cites_path, unsigned flags,
                             chm_graph **graph, float **features, int *n_features,
                             int32_t **labels, int *n_classes);

/*
 * Reads a dense matrix from a Matrix Market "coordinate real|integer|pattern
 * general" or "array real general" file into *data (rows x cols floats,
 * row-major, malloc'ed; missing entries 0). For node features.
 */
int chm_mtx_read_dense(const char *path, float **data, int64_t *rows, int64_t *cols);

/*
 * Gives every vertex a self loop of weight `weight`; a vertex that already
 * has one keeps its own (PyG's add_remaining_self_loops).
 */
int chm_graph_add_self_loops(chm_graph *g, float weight);

typedef enum {
    CHM_NORM_GCN = 1,  /* w(u->v) / sqrt(deg(v) deg(u)), deg = weighted in-degree */
    CHM_NORM_MEAN = 2, /* w(u->v) / deg(v): rows sum to 1 */
} chm_graph_norm;

/* Rescales the edge weights; a vertex of degree 0 has no edges to scale. */
int chm_graph_normalize(chm_graph *g, chm_graph_norm norm);

/*
 * int8 layers read the edge weights as int8 codes round(w / scale), scale =
 * max |w| / 127 of the graph by default. A graph that is part of a larger
 * one (a partition) takes the larger graph's scale here, so that its int8
 * results equal the larger graph's. CHM_ERANGE if a weight would need a
 * code past 127; 0 restores the default. chm_graph_normalize clears it
 * (as does chm_graph_add_self_loops). chm_graph_edge_scale: the scale an
 * upload uses now.
 */
int chm_graph_set_edge_scale(chm_graph *g, float scale);
int chm_graph_edge_scale(const chm_graph *g, float *scale);

typedef enum {
    CHM_REORDER_RCM = 1,    /* reverse Cuthill-McKee: neighbours get nearby numbers */
    CHM_REORDER_DEGREE = 2, /* by in-degree, highest first (hubs together) */
} chm_graph_reorder_kind;

/*
 * Renumbers the vertices so that the edges into a block of consecutive
 * vertices come from few, nearby sources: the aggregation engine's windows
 * then load fewer rows. RCM works on the undirected structure (A + A^T),
 * component by component, from a low-degree peripheral vertex. The graph is
 * rewritten in place; perm (n entries, or NULL) gets perm[new] = old, by
 * which the caller reorders features and labels (row new = old row perm[new]).
 */
int chm_graph_reorder(chm_graph *g, chm_graph_reorder_kind how, int32_t *perm);

typedef struct chm_graph_info {
    int64_t n;              /* vertices */
    int64_t edges;          /* directed edges (an undirected one counts twice) */
    int64_t self_loops;
    int64_t isolated;       /* vertices with no edge in or out (self loops aside) */
    int64_t max_in_degree;
} chm_graph_info;

int chm_graph_query(const chm_graph *g, chm_graph_info *info);

/* The graph's CSR arrays (row_ptr[n + 1] edges; valid until g changes or is freed). */
int chm_graph_csr(const chm_graph *g, const int64_t **row_ptr, const int32_t **col_idx,
                  const float **weight);

void chm_graph_free(chm_graph *g);

/* ---------------------------------------------- operations (GRAPH mode) */

/*
 * Copies a graph into device memory in the aggregation engine's layout
 * (hls/graph/graph_format.h): a 1-D int8 tensor for the layers below (write
 * it only through this call). Edge weights are stored as fp32 and as int8 at
 * one scale, max |w| / 127. int8 layers need every in-degree <= 65,535 (so
 * their sums stay exact); fp32 layers take any.
 */
int chm_graph_upload(chm_device *dev, const chm_graph *g, int bank, chm_tensor **out);

typedef enum {
    CHM_GNN_GCN = 0,  /* out = act(agg(X) W^T + b); W [O, F] */
    CHM_GNN_SAGE = 1, /* GraphSAGE: out = act([agg(X) | X] W^T + b); W [O, 2F] (neighbour
                         columns, then self) */
    CHM_GNN_GIN = 2,  /* GIN: out = act(relu(agg(X) W^T + b) W2^T + b2); W [H, F], W2 [O, H];
                         (1 + eps) x_v comes from a self loop of weight 1 + eps */
} chm_gnn_kind;

typedef enum {
    CHM_AGGR_SUM = 0,  /* sum of w(u->v) x_u (GCN: normalize the graph first) */
    CHM_AGGR_MEAN = 1, /* unweighted mean of x_u over in-edges */
    CHM_AGGR_MAX = 2,  /* element-wise max of x_u; 0 for a vertex with no in-edges */
} chm_aggr;

typedef enum {
    CHM_ORDER_AUTO = 0,            /* the one the cycle model says is faster */
    CHM_ORDER_AGGREGATE_FIRST = 1, /* AC: both engines pipelined block by block */
    CHM_ORDER_COMBINE_FIRST = 2,   /* CA: X W^T first (GCN with SUM or MEAN only), into n x O
                                      scratch in out's bank for the call (no room: the
                                      event fails with CHM_EDEVMEM) */
} chm_gnn_order;

/*
 * int8 layers: real scales and zero points of every stage. Weights are
 * symmetric with one scale. `mid` is the int8 tensor between the engines
 * (AC: aggregated features; CA: X W^T); SAGE's mid is its input's (the
 * aggregated and self halves share the combination). `hidden` is GIN's MLP
 * hidden layer. Edge weights are quantized by chm_graph_upload
 * (scale max |w| / 127). Biases stay fp32 and are quantized on the card to
 * the scale of the accumulator they join (round half away from zero).
 */
typedef struct chm_gnn_quant {
    float in_scale;
    int32_t in_zero_point;
    float w_scale, w2_scale;
    float mid_scale;
    int32_t mid_zero_point;
    float hidden_scale;
    int32_t hidden_zero_point;
    float out_scale;
    int32_t out_zero_point;
} chm_gnn_quant;

typedef struct chm_gnn_params {
    chm_gnn_kind kind;
    chm_aggr aggr;       /* GCN, GIN: SUM by default; SAGE takes MEAN or MAX */
    chm_gnn_order order;
    int relu;            /* ReLU on the output (GIN's inner ReLU is always there) */
    chm_gnn_quant q;     /* int8 features only */
} chm_gnn_params;

/*
 * One GNN layer on a graph from chm_graph_upload. in: [n, F] fp32 or int8;
 * weights (and weights2, GIN only) of the same dtype; bias, bias2: fp32 or
 * NULL; out: [n, O] of in's dtype. Runs in GRAPH mode (a region is
 * reconfigured if none holds it). The event's name says the order chosen.
 */
int chm_gnn_layer(chm_device *dev, chm_tensor *graph, chm_tensor *in, chm_tensor *weights,
                  chm_tensor *bias, chm_tensor *weights2, chm_tensor *bias2, chm_tensor *out,
                  const chm_gnn_params *p, chm_event **ev);

/* What the cycle model says a layer will do, in the order it would choose. */
typedef struct chm_gnn_plan {
    chm_gnn_order order;      /* AGGREGATE_FIRST or COMBINE_FIRST */
    double device_us;         /* modelled kernel time */
    double other_order_us;    /* the order not chosen (0 if it is not allowed) */
    double aggregation_us;    /* aggregation engine busy */
    double combination_us;    /* combination engine busy */
    double aggregation_util;  /* busy / device time, 0..1 */
    double combination_util;
    uint64_t feature_bytes;   /* feature rows the windows load */
    uint64_t rows_loaded;     /* source rows loaded, after window sliding and shrinking */
    uint64_t rows_dense;      /* rows a dense sweep would load (n per vertex block) */
    uint64_t windows;
} chm_gnn_plan;

/* Fills *plan for chm_gnn_layer with the same arguments (nothing is queued). */
int chm_gnn_layer_plan(chm_device *dev, chm_tensor *graph, chm_tensor *in, chm_tensor *weights,
                       chm_tensor *bias, chm_tensor *weights2, chm_tensor *bias2,
                       chm_tensor *out, const chm_gnn_params *p, chm_gnn_plan *plan);

/* ------------------------------------------- low voltage (resilience) */

/*
 * Undervolting a region's on-chip memories (BRAM/URAM rail), emu and rtl
 * (rtl: the weak cells are in the RTL engines' tile buffers, see below).
 * Dynamic energy of its on-chip buffer traffic scales with (V/Vnom)^2.
 * Below the minimum safe voltage (overlays/faults/bram_undervolt.json:
 * 0.61 Vnom, Salami et al. MICRO 2018) cells of its buffers read back
 * flipped, at a rate growing exponentially to 0.06% of bits at the crash
 * voltage (0.54 Vnom), at locations fixed per card ($CHIMERA_FAULT_SEED
 * moves them) and growing as V falls. What is modelled: the CNN mode's
 * weight (B) and activation (A) tile buffers, CNN_TILE_K x 32 bytes
 * (128 KiB) each, that conv and fully connected operands stream through
 * (byte i of an operand at buffer byte i mod 128 KiB), and the GRAPH
 * mode's aggregation window (64 rows of 4,096 features; source row s in
 * row s mod 64) that features come through aggregate-first (combine-first
 * they come through the core's A tile buffer) and its resident weight
 * banks (512 KiB; W, then GIN's W2, from byte 0). With ECC
 * (UltraScale+ built-in SECDED over 64 data + 8 check bits) a word with
 * one faulty cell is corrected, with two the command fails with
 * CHM_EDEVICE (detected), with three or more its data is used as read
 * (undetected). On rtl the same curve, seed and ECC act on the cells of
 * the conv engine's A and B tile buffers (and the GRAPH engine's
 * combination A buffer) as the simulated engine writes them: the RTL's
 * own buffer layout, so the bytes hit differ from emu's (no ABFT, no
 * accumulator upsets there: CHM_ELIMIT). Waits for queued commands first.
 * region -1: every region. millivolts 0: nominal.
 */
int chm_region_set_voltage(chm_device *dev, int region, int millivolts);
int chm_region_set_ecc(chm_device *dev, int region, int on);
/*
 * Algorithm-based fault tolerance in the CNN GEMM core (Huang and Abraham,
 * IEEE Trans. Computers 1984): each 32 x 32 output tile gets a checksum
 * row and a checksum column through an extra PE row and column of the
 * array, checked against checksums encoded from the operands as they come
 * from card memory, before the tile buffers (column sums of the activation
 * rows, row sums of the weight columns). A faulty activation byte makes
 * the column check disagree, a faulty weight byte the row check, wherever
 * the product they feed is not zero. A flagged tile (or, with ECC, a word
 * ECC detected) is recomputed once with its operands in the buffers' other
 * half (other cells); if that is flagged too the command fails with
 * CHM_EDEVICE. Cost counted: the checksum MACs ((32 + 32 + 1) per 1,024,
 * 6.3% of the MAC energy) in the command's actions and two cycles a
 * command in its card time (the extra PE row and column drain behind the
 * tile); not counted: the cycles of a recompute (the card time is fixed
 * when the command is queued; chm_fault_stats counts the tiles redone).
 * With accumulator upsets (chm_region_set_acc_upsets) the checks also
 * correct: a tile whose checks disagree in exactly one row and one column
 * by the same amount has that accumulator put right; one check alone
 * disagreeing is an upset in a checksum (the outputs stand); any other
 * pattern recomputes the tile (up to three times: the upsets are
 * transient), and a fourth such pass fails the command with CHM_EDEVICE.
 * emu only (the RTL has no checksum PEs): CHM_ELIMIT on rtl.
 */
int chm_region_set_abft(chm_device *dev, int region, int on);
/*
 * Fault injection into the CNN GEMM core's accumulators (a campaign, as
 * resilience studies run one; not tied to the voltage: no published curve
 * of this fabric's MAC timing faults is modelled). Every accumulator of
 * every output tile pass of a conv or fully connected command on the
 * region -- the 32 x 32 data accumulators (32 bits) and, with ABFT, the
 * checksum row, column and corner (48 bits, a DSP48E2's P register) --
 * takes one bit flip with probability per_accumulator, at a uniform bit,
 * as its tile drains. The draws are transient (a recompute draws again)
 * and reproducible: seeded by $CHIMERA_FAULT_SEED, the region and its
 * command count. 0 stops it. emu only (CHM_ELIMIT on rtl).
 */
int chm_region_set_acc_upsets(chm_device *dev, int region, double per_accumulator);

typedef struct chm_fault_stats {
    double voltage_mv;       /* the rail now */
    double nominal_mv, vmin_mv, vcrash_mv;
    uint64_t weak_cells;     /* cells faulty at this voltage, over the two buffers */
    int ecc;
    uint64_t injected;       /* operand bits read through a faulty cell, since open */
    uint64_t corrected;      /* of them, corrected by ECC */
    uint64_t detected;       /* caught: in words ECC flagged (their commands failed or,
                                with ABFT, were recomputed), and read wrong by a pass the
                                ABFT checksums flagged (never used) */
    uint64_t undetected;     /* used wrong: known only to the emulator */
    int abft;
    uint64_t abft_flagged;     /* output tiles whose checksums disagreed */
    uint64_t abft_recomputed;  /* commands recomputed with their operands moved */
    uint64_t abft_failed;      /* of them, flagged again: the command failed */
    double acc_upset_rate;     /* chm_region_set_acc_upsets */
    uint64_t acc_tiles;        /* output tile passes under injection (recomputes included) */
    uint64_t acc_upsets;       /* accumulator bits flipped, data and checksum accumulators */
    uint64_t acc_data_upsets;  /* of them, in an output's (data) accumulator */
    uint64_t acc_detected;     /* data upsets in tiles whose checks disagreed */
    uint64_t acc_corrected;    /* data upsets put right from their row and column checks */
    uint64_t acc_tiles_recomputed; /* tile passes redone: checks that could not locate the upset */
    uint64_t acc_undetected;   /* data upsets that reached an output: known only to the emulator */
} chm_fault_stats;

int chm_region_faults_get(chm_device *dev, int region, chm_fault_stats *out);

/* ----------------------------------------------------- models (ONNX) */

/*
 * A quantized ONNX model (int8 profile of TFLite: int8 weights symmetric per
 * output channel or per tensor, int8/uint8 activations asymmetric per
 * tensor, int32 bias at input_scale x weight_scale), in QDQ form
 * (QuantizeLinear/DequantizeLinear around Conv, Gemm, MatMul, Add, pools,
 * Relu, Clip) or QOperator form (QLinearConv, QLinearMatMul, QLinearAdd).
 * Every operation runs on the card in CNN mode (SPARSE for pruned weights);
 * a QuantizeLinear on the model's float input and a DequantizeLinear on its
 * output run on the host. A node the card cannot run exactly is refused at
 * load with CHM_ELIMIT (or CHM_EFORMAT for a malformed file) and a message
 * naming the node, its op type and why; a model is never split or run in
 * float. Activations are converted from the model's NCHW to the card's NHWC
 * once, at the input and output.
 * Conv, Gemm and MatMul layers requantize by ONNX Runtime's float32 rule
 * (chm_requant: scale = in_scale * w_scale / out_scale in float, then
 * nearbyintf((float)acc * scale)), so their outputs are ONNX Runtime's bit
 * for bit; opts.fixed_point_requant selects TFLite's rule instead. Add
 * always uses TFLite's rule and average pools round half away from zero:
 * there a result can be one step from ONNX Runtime's (README, "ONNX models").
 */
typedef struct chm_model chm_model;

typedef struct chm_model_opts {
    double sparse_below;  /* dense weights with density below this run in SPARSE mode (0: never);
                             sparse_initializer weights always do */
    int max_batch;        /* activations are allocated at load for this many images (0: 1);
                             a run with another batch reallocates them */
    int bank;             /* where weights and activations go (CHM_BANK_DEFAULT) */
    int fixed_point_requant; /* 0: conv/matmul layers requantize by ONNX Runtime's float32
                                rule (bit-exact to it); 1: by TFLite's fixed-point rule */
} chm_model_opts;

/*
 * Reads an .onnx file, checks every node, and puts the weights on the card.
 * On failure nothing stays allocated on the device and *out is untouched.
 */
int chm_model_load(chm_device *dev, const char *path, chm_model **out, const chm_model_opts *opts);

enum { CHM_ONNX_FLOAT = 1, CHM_ONNX_UINT8 = 2, CHM_ONNX_INT8 = 3 }; /* ONNX element types */

typedef struct chm_model_io {
    char name[64];
    int elem_type;        /* CHM_ONNX_*, as the ONNX graph declares it */
    int ndim;
    int64_t dims[4];      /* ONNX layout (NCHW or [N, K]); dims[0] is the batch */
    float scale;          /* quantization of the card's int8 tensor behind it */
    int32_t zero_point;   /* in the ONNX type's range */
} chm_model_io;

typedef struct chm_model_info {
    chm_model_io input, output;
    int n_layers;         /* card operations */
    uint64_t macs;        /* per image */
    uint64_t weight_bytes;/* on the card (packed bytes for SPARSE layers) */
    int n_sparse;         /* layers in SPARSE mode */
} chm_model_info;

int chm_model_info_get(const chm_model *m, chm_model_info *out);

typedef struct chm_model_layer {
    const char *name;     /* the ONNX node it came from */
    const char *op_type;  /* that node's op type */
    const char *op;       /* "conv2d", "fully_connected", "maxpool", "avgpool", "add" */
    chm_mode mode;
    int64_t out_dims[4];  /* NHWC per image: 1, H, W, C */
    uint64_t macs, weight_bytes;
    double last_us;       /* modelled card time of it in the last run (batch), or 0 */
    double last_uj;       /* modelled energy of it in the last run, or 0 */
} chm_model_layer;

int chm_model_layer_get(const chm_model *m, int i, chm_model_layer *out);

/*
 * Runs `batch` inputs (ONNX layout and element type, back to back) and
 * writes the outputs (likewise) to `output`. With ev NULL it returns when
 * the outputs are written; otherwise *ev completes when the card is done,
 * and chm_model_output(m, *ev) waits for it, writes `output` and releases
 * the event. Two runs may be in flight (the model keeps two activation
 * sets, so one run's copies and kernels overlap the other's on the card);
 * a third before the first's output was taken fails with CHM_EBUSY, as
 * does a change of batch while a run is in flight. A graph that fixes its
 * batch takes only that.
 */
int chm_model_run(chm_model *m, const void *input, int batch, void *output, chm_event **ev);
int chm_model_output(chm_model *m, chm_event *ev);

/* Frees the model's card tensors (waits for its commands first). */
void chm_model_free(chm_model *m);

/* ---------------------------------------------------------- stats, trace */

typedef struct chm_device_stats {
    uint64_t ops;              /* kernel commands completed */
    uint64_t copies;           /* host<->device copies completed */
    uint64_t bytes_to_device, bytes_from_device;
    uint64_t macs;             /* multiply-accumulates done by kernels */
    double wall_busy_us;       /* sum of wall time of all commands */
    double device_kernel_us;   /* sum of modelled kernel time */
    double device_dma_us;      /* sum of modelled copy time */
    double device_makespan_us; /* modelled end of the last command */
    uint64_t reconfigurations; /* partial bitstream loads that succeeded */
    uint64_t icap_bytes;       /* bytes streamed through the ICAP */
    double device_reconfig_us; /* sum of modelled load time */
    double energy_uj;          /* modelled dynamic energy of all of them (chm_op_actions) */
} chm_device_stats;

/* Sums over every command completed since the device opened. */
int chm_device_stats_get(chm_device *dev, chm_device_stats *out);

/*
 * Writes the recorded commands as a Chrome trace-event JSON file (open it in
 * Perfetto or chrome://tracing): one track per region and one per DMA
 * direction on the modelled device timeline, and the same on the wall clock.
 */
int chm_trace_write(chm_device *dev, const char *path);

#ifdef __cplusplus
}
#endif
#endif /* CHIMERA_H */
