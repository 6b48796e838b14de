/*
 * xrt_api.c - libxrt_coreutil.so loaded at run time (xrt_api.h), so that
 * the SDK neither links against nor needs XRT until a card is opened.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xrt_api.h"

/* dlsym returns void *; ISO C has no cast from it to a function pointer, POSIX does. */
static int sym(void *lib, const char *name, void *slot, char *why, size_t n)
{
    void *p = dlsym(lib, name);
    if (!p) {
        snprintf(why, n, "the XRT library has no %s (XRT >= 2.11 needed)", name);
        return -1;
    }
    memcpy(slot, &p, sizeof p);
    return 0;
}

int xrt_api_load(xrt_api *x, char *why, size_t n)
{
    memset(x, 0, sizeof *x);
    const char *env = getenv("CHIMERA_XRT_LIB");
    static const char *const names[] = { "libxrt_coreutil.so.2", "libxrt_coreutil.so",
                                         "/opt/xilinx/xrt/lib/libxrt_coreutil.so" };
    if (env && env[0]) {
        x->lib = dlopen(env, RTLD_NOW | RTLD_LOCAL);
        if (!x->lib) {
            snprintf(why, n, "CHIMERA_XRT_LIB=%s cannot be loaded: %s", env, dlerror());
            return -1;
        }
    }
    for (size_t i = 0; !x->lib && i < sizeof names / sizeof names[0]; i++)
        x->lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!x->lib) {
        snprintf(why, n, "XRT is not installed (libxrt_coreutil.so not found): install XRT "
                 ">= 2.11 from AMD and source /opt/xilinx/xrt/setup.sh, or use \"emu\"");
        return -1;
    }
    const struct { const char *name; void *slot; } t[] = {
        { "xrtDeviceOpen", &x->DeviceOpen },
        { "xrtDeviceOpenByBDF", &x->DeviceOpenByBDF },
        { "xrtDeviceClose", &x->DeviceClose },
        { "xrtDeviceLoadXclbinFile", &x->DeviceLoadXclbinFile },
        { "xrtDeviceGetXclbinUUID", &x->DeviceGetXclbinUUID },
        { "xrtPLKernelOpen", &x->PLKernelOpen },
        { "xrtKernelClose", &x->KernelClose },
        { "xrtKernelArgGroupId", &x->KernelArgGroupId },
        { "xrtBOAlloc", &x->BOAlloc },
        { "xrtBOFree", &x->BOFree },
        { "xrtBOWrite", &x->BOWrite },
        { "xrtBORead", &x->BORead },
        { "xrtBOSync", &x->BOSync },
        { "xrtBOAddress", &x->BOAddress },
        { "xrtRunOpen", &x->RunOpen },
        { "xrtRunSetArg", &x->RunSetArg },
        { "xrtRunStart", &x->RunStart },
        { "xrtRunWaitFor", &x->RunWaitFor },
        { "xrtRunState", &x->RunState },
        { "xrtRunClose", &x->RunClose },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (sym(x->lib, t[i].name, t[i].slot, why, n)) {
            dlclose(x->lib);
            x->lib = NULL;
            return -1;
        }
    }
    return 0;
}

void xrt_api_unload(xrt_api *x)
{
    if (x->lib)
        dlclose(x->lib);
    x->lib = NULL;
}
