/*
 * error.c - status codes and the messages that say what was wrong.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "device.h"

static _Thread_local char thread_msg[512];
static _Thread_local char device_msg_copy[512];

const char *chm_strerror(int code)
{
    switch (code) {
    case CHM_OK: return "CHM_OK: success";
    case CHM_EINVAL: return "CHM_EINVAL: invalid argument";
    case CHM_ENOMEM: return "CHM_ENOMEM: out of host memory";
    case CHM_ENODEV: return "CHM_ENODEV: no such device";
    case CHM_ESHAPE: return "CHM_ESHAPE: tensor shape mismatch";
    case CHM_EDTYPE: return "CHM_EDTYPE: tensor element type mismatch";
    case CHM_EBANK: return "CHM_EBANK: no such memory bank";
    case CHM_EDEVMEM: return "CHM_EDEVMEM: out of device memory in the bank";
    case CHM_ERANGE: return "CHM_ERANGE: access past the end of a tensor";
    case CHM_EXDEV: return "CHM_EXDEV: tensor belongs to another device";
    case CHM_EMODE: return "CHM_EMODE: no region holds the needed mode";
    case CHM_EIO: return "CHM_EIO: input/output error";
    case CHM_EFORMAT: return "CHM_EFORMAT: malformed data";
    case CHM_ELIMIT: return "CHM_ELIMIT: beyond what the overlay supports";
    case CHM_EBUSY: return "CHM_EBUSY: still in use";
    case CHM_EDEVICE: return "CHM_EDEVICE: the device failed a command";
    case CHM_EUNSIGNED: return "CHM_EUNSIGNED: the container is not signed";
    case CHM_EUNTRUSTED: return "CHM_EUNTRUSTED: the container's key is not trusted";
    case CHM_EBADSIG: return "CHM_EBADSIG: the container's signature does not match";
    case CHM_ETIMEDOUT: return "CHM_ETIMEDOUT: a kernel or a peer did not finish in time";
    default: return "CHM_E?: unknown status code";
    }
}

int chm__fail(chm_device *dev, const char *who, int code, const char *fmt, ...)
{
    char body[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    snprintf(thread_msg, sizeof thread_msg, "%s: %s", who, body);
    if (dev) {
        pthread_mutex_lock(&dev->lock);
        memcpy(dev->errmsg, thread_msg, sizeof dev->errmsg);
        pthread_mutex_unlock(&dev->lock);
    }
    return code;
}

const char *chm_last_error(chm_device *dev)
{
    if (!dev)
        return thread_msg;
    pthread_mutex_lock(&dev->lock);
    memcpy(device_msg_copy, dev->errmsg, sizeof device_msg_copy);
    pthread_mutex_unlock(&dev->lock);
    return device_msg_copy;
}
