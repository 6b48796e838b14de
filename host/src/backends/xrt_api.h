/*
 * xrt_api.h - the subset of XRT's native C API (xrt/xrt_device.h,
 * xrt_kernel.h, xrt_bo.h; XRT >= 2.11) the xrt backend calls, as function
 * pointers filled by dlsym from libxrt_coreutil.so. Declared here from
 * XRT's documented signatures, so the SDK builds without XRT installed.
 * Handles are opaque pointers; failures return -1 / NULL /
 * ERT_CMD_STATE_ABORT with errno set.
 */
#ifndef CHM_XRT_API_H
#define CHM_XRT_API_H

#include <stddef.h>
#include <stdint.h>

typedef void *xrt_device_h;
typedef void *xrt_kernel_h;
typedef void *xrt_run_h;
typedef void *xrt_bo_h;

/* ert.h: enum ert_cmd_state */
enum {
    XRT_CMD_NEW = 1,
    XRT_CMD_QUEUED = 2,
    XRT_CMD_RUNNING = 3,
    XRT_CMD_COMPLETED = 4,
    XRT_CMD_ERROR = 5,
    XRT_CMD_ABORT = 6,
    XRT_CMD_SUBMITTED = 7,
    XRT_CMD_TIMEOUT = 8,
    XRT_CMD_NORESPONSE = 9,
};

/* xrt_bo.h: enum xclBOSyncDirection */
enum { XRT_SYNC_TO_DEVICE = 0, XRT_SYNC_FROM_DEVICE = 1 };

typedef struct xrt_api {
    void *lib;
    xrt_device_h (*DeviceOpen)(unsigned int index);
    xrt_device_h (*DeviceOpenByBDF)(const char *bdf);
    int (*DeviceClose)(xrt_device_h d);
    int (*DeviceLoadXclbinFile)(xrt_device_h d, const char *path);
    int (*DeviceGetXclbinUUID)(xrt_device_h d, unsigned char out[16]);
    xrt_kernel_h (*PLKernelOpen)(xrt_device_h d, const unsigned char uuid[16], const char *name);
    int (*KernelClose)(xrt_kernel_h k);
    int (*KernelArgGroupId)(xrt_kernel_h k, int argno);
    xrt_bo_h (*BOAlloc)(xrt_device_h d, size_t size, uint64_t flags, uint32_t group);
    int (*BOFree)(xrt_bo_h b);
    int (*BOWrite)(xrt_bo_h b, const void *src, size_t size, size_t seek);
    int (*BORead)(xrt_bo_h b, void *dst, size_t size, size_t skip);
    int (*BOSync)(xrt_bo_h b, int dir, size_t size, size_t offset);
    uint64_t (*BOAddress)(xrt_bo_h b);
    xrt_run_h (*RunOpen)(xrt_kernel_h k);
    int (*RunSetArg)(xrt_run_h r, int index, ...);
    int (*RunStart)(xrt_run_h r);
    int (*RunWaitFor)(xrt_run_h r, unsigned int timeout_ms);
    int (*RunState)(xrt_run_h r);
    int (*RunClose)(xrt_run_h r);
} xrt_api;

/*
 * Loads the library: $CHIMERA_XRT_LIB if set (a stand-in, or a library in
 * an unusual place), else libxrt_coreutil.so.2, libxrt_coreutil.so and
 * /opt/xilinx/xrt/lib/libxrt_coreutil.so. 0, or -1 with why.
 */
int xrt_api_load(xrt_api *x, char *why, size_t n);
void xrt_api_unload(xrt_api *x);

#endif /* CHM_XRT_API_H */
