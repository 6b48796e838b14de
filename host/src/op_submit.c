/*
 * op_submit.c - the path from a validated operation to a queued command.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "op_submit.h"

int chm__check_tensor(chm_device *dev, const char *who, const char *arg, const chm_tensor *t,
                      chm_dtype dtype, int ndim)
{
    if (!t)
        return chm__fail(dev, who, CHM_EINVAL, "%s is NULL", arg);
    if (t->dev != dev)
        return chm__fail(dev, who, CHM_EXDEV, "%s belongs to device \"%s\", not \"%s\"", arg,
                         t->dev->name, dev->name);
    if (t->dtype != dtype)
        return chm__fail(dev, who, CHM_EDTYPE, "%s is %s, expected %s", arg,
                         chm__dtype_name(t->dtype), chm__dtype_name(dtype));
    if (t->ndim != ndim)
        return chm__fail(dev, who, CHM_ESHAPE, "%s has %d dims, expected %d", arg, t->ndim, ndim);
    /* Kernel descriptors hold dimensions as int32: bound them here, once for
     * every operation, rather than let a cast wrap them. */
    for (int i = 0; i < ndim; i++)
        if (t->dims[i] > INT32_MAX)
            return chm__fail(dev, who, CHM_ELIMIT, "%s dims[%d] is %lld; operations take "
                             "dimensions up to 2^31 - 1", arg, i, (long long)t->dims[i]);
    return CHM_OK;
}

int chm__check_dim(chm_device *dev, const char *who, const char *arg, const chm_tensor *t, int i,
                   int64_t want, const char *why)
{
    if (t->dims[i] == want)
        return CHM_OK;
    return chm__fail(dev, who, CHM_ESHAPE, "%s dims[%d] is %lld, expected %lld (%s)", arg, i,
                     (long long)t->dims[i], (long long)want, why);
}

int chm__submit_kop(chm_device *dev, const char *who, chm_kop *op, const char *name,
                    chm_event **ev)
{
    char why[200];
    if (dev->be->supports && !dev->be->supports(dev, op, why, sizeof why)) {
        free(op->mult);
        free(op->shift);
        return chm__fail(dev, who, CHM_EMODE, "%s", why);
    }
    const uint64_t banks = chm__op_banks(op);
    int reach = 0;
    for (int r = 0; r < dev->n_regions; r++)
        reach |= (banks & ~dev->plat->regions[r].bank_mask) == 0;
    if (!reach) {
        free(op->mult);
        free(op->shift);
        return chm__fail(dev, who, CHM_EBANK,
                         "no region of %s reaches all of the operation's memory banks (allocate "
                         "its tensors in banks one region reaches; chimera examine lists them)",
                         dev->name);
    }
    pthread_mutex_lock(&dev->lock);
    int possible = chm__mode_possible_locked(dev, op->mode);
    pthread_mutex_unlock(&dev->lock);
    if (!possible) {
        free(op->mult);
        free(op->shift);
        return chm__fail(dev, who, CHM_EMODE, "no region of %s holds %s mode%s", dev->name,
                         mode_find((int)op->mode) ? mode_find((int)op->mode)->name : "?",
                         dev->sched.policy == CHM_SCHED_STATIC ? " (static scheduling)" : "");
    }
    for (int i = 0; i < op->n_in; i++) {
        if (op->in[i] && chm__tensor_touch(op->in[i]))
            goto nomem;
    }
    if (chm__tensor_touch(op->out))
        goto nomem;
    chm_event *e = chm__event_new(dev, CMD_KERNEL);
    if (!e)
        goto nomem;
    e->engine = -1; /* the scheduler picks the region when it places it */
    e->op = *op;
    strncpy(e->name, name, sizeof e->name - 1);
    chm_tensor *reads[KOP_MAX_TENSORS];
    int n = 0;
    for (int i = 0; i < op->n_in; i++)
        if (op->in[i])
            reads[n++] = op->in[i];
    int rc = chm__submit(dev, e, reads, n, op->out, ev);
    if (rc)
        return chm__fail(dev, who, rc, "no host memory to queue the operation");
    return CHM_OK;
nomem:
    free(op->mult);
    free(op->shift);
    return chm__fail(dev, who, CHM_ENOMEM, "no host memory to back the operation's tensors");
}
