/*
 * tensor.c - tensors in device memory and the copies in and out of them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"

static int check_dims(chm_device *dev, const char *who, chm_dtype dtype, int ndim,
                      const int64_t *dims, uint64_t *bytes)
{
    if (ndim < 1 || ndim > CHM_MAX_DIMS)
        return chm__fail(dev, who, CHM_ESHAPE, "ndim is %d, expected 1..%d", ndim, CHM_MAX_DIMS);
    if (!dims)
        return chm__fail(dev, who, CHM_EINVAL, "dims is NULL");
    uint64_t n = chm__dtype_size(dtype);
    for (int i = 0; i < ndim; i++) {
        if (dims[i] < 1 || dims[i] > (INT64_C(1) << 40))
            return chm__fail(dev, who, CHM_ESHAPE, "dims[%d] is %lld, expected 1..2^40", i,
                             (long long)dims[i]);
        if (n > (UINT64_C(1) << 46) / (uint64_t)dims[i])
            return chm__fail(dev, who, CHM_ELIMIT, "tensor larger than 64 TiB");
        n *= (uint64_t)dims[i];
    }
    *bytes = n;
    return CHM_OK;
}

/* CHM_BANK_SPREAD: the least-filled bank every region reaches (the first bank if none). */
static int spread_bank_locked(const chm_device *dev)
{
    uint64_t used[CHM_MAX_BANKS] = { 0 };
    for (const chm_tensor *t = dev->tensors; t; t = t->next)
        used[t->bank] += t->bytes;
    int best = -1;
    for (uint32_t b = 0; b < dev->plat->n_banks && b < CHM_MAX_BANKS; b++) {
        int all = 1;
        for (int r = 0; r < dev->n_regions && all; r++)
            all = chm__region_reaches(dev, r, 1ull << b);
        if (all && (best < 0 || used[b] < used[best]))
            best = (int)b;
    }
    return best < 0 ? 0 : best;
}

static int tensor_alloc(const char *who, chm_device *dev, chm_dtype dtype, int ndim,
                        const int64_t *dims, int bank, chm_tensor **out)
{
    if (!dev || !out)
        return chm__fail(dev, who, CHM_EINVAL, "dev and out must not be NULL");
    if (dtype != CHM_INT8 && dtype != CHM_INT32 && dtype != CHM_FP32)
        return chm__fail(dev, who, CHM_EDTYPE, "dtype %d is not int8, int32 or fp32", (int)dtype);
    uint64_t bytes;
    int rc = check_dims(dev, who, dtype, ndim, dims, &bytes);
    if (rc)
        return rc;
    const int spread = bank == CHM_BANK_SPREAD;
    if (bank == CHM_BANK_DEFAULT || spread)
        bank = 0;
    if (bank < 0 || (uint32_t)bank >= dev->plat->n_banks)
        return chm__fail(dev, who, CHM_EBANK, "bank %d does not exist; %s has banks 0..%u", bank,
                         dev->plat->name, dev->plat->n_banks - 1);
    chm_tensor *t = calloc(1, sizeof *t);
    if (!t)
        return chm__fail(dev, who, CHM_ENOMEM, "no host memory for the tensor object");
    t->magic = CHM_TENSOR_MAGIC;
    t->dev = dev;
    t->dtype = dtype;
    t->ndim = ndim;
    memcpy(t->dims, dims, (size_t)ndim * sizeof *dims);
    t->bytes = bytes;
    pthread_mutex_lock(&dev->lock);
    t->bank = bank = spread ? spread_bank_locked(dev) : bank;
    rc = dev->be->mem_alloc(dev, t);
    if (rc == CHM_OK) {
        t->next = dev->tensors;
        if (dev->tensors)
            dev->tensors->prev = t;
        dev->tensors = t;
    }
    pthread_mutex_unlock(&dev->lock);
    if (rc) {
        free(t);
        return chm__fail(dev, who, rc, "%llu bytes do not fit in bank %d (%s, %llu bytes)",
                         (unsigned long long)bytes, bank, dev->plat->banks[bank].name,
                         (unsigned long long)dev->plat->banks[bank].size);
    }
    *out = t;
    return CHM_OK;
}

int chm_tensor_alloc(chm_device *dev, chm_dtype dtype, int ndim, const int64_t *dims, int bank,
                     chm_tensor **out)
{
    return tensor_alloc(__func__, dev, dtype, ndim, dims, bank, out);
}

int chm_tensor_free(chm_tensor *t)
{
    if (!t)
        return CHM_OK;
    if (t->magic != CHM_TENSOR_MAGIC)
        return CHM_FAIL(NULL, CHM_EINVAL, "t is not a live tensor (freed twice?)");
    chm_device *dev = t->dev;
    pthread_mutex_lock(&dev->lock);
    chm__tensor_drain_locked(t);
    for (int i = 0; i < t->n_readers; i++)
        chm__event_unref_locked(t->readers[i]);
    chm__event_unref_locked(t->last_write);
    free(t->readers);
    free(t->blob);
    free(t->cost_memo);
    if (t->prev)
        t->prev->next = t->next;
    else
        dev->tensors = t->next;
    if (t->next)
        t->next->prev = t->prev;
    dev->be->mem_free(dev, t);
    chm__mark_dead(&t->magic);
    pthread_mutex_unlock(&dev->lock);
    free(t);
    return CHM_OK;
}

int chm_tensor_query(chm_tensor *t, chm_tensor_info *info)
{
    if (!t || !info)
        return CHM_FAIL(t ? t->dev : NULL, CHM_EINVAL, "t and info must not be NULL");
    memset(info, 0, sizeof *info);
    pthread_mutex_lock(&t->dev->lock);
    info->dtype = t->dtype;
    info->ndim = t->ndim;
    memcpy(info->dims, t->dims, sizeof info->dims);
    info->bytes = t->bytes;
    info->bank = t->bank;
    info->device_address = t->addr;
    pthread_mutex_unlock(&t->dev->lock);
    return CHM_OK;
}

int chm_tensor_reshape(chm_tensor *t, int ndim, const int64_t *dims)
{
    if (!t)
        return CHM_FAIL(NULL, CHM_EINVAL, "t is NULL");
    uint64_t bytes;
    int rc = check_dims(t->dev, __func__, t->dtype, ndim, dims, &bytes);
    if (rc)
        return rc;
    if (bytes != t->bytes)
        return CHM_FAIL(t->dev, CHM_ESHAPE, "new dims hold %llu bytes, the tensor holds %llu",
                        (unsigned long long)bytes, (unsigned long long)t->bytes);
    pthread_mutex_lock(&t->dev->lock);
    t->ndim = ndim;
    memset(t->dims, 0, sizeof t->dims);
    memcpy(t->dims, dims, (size_t)ndim * sizeof *dims);
    pthread_mutex_unlock(&t->dev->lock);
    return CHM_OK;
}

int chm__tensor_touch(chm_tensor *t)
{
    pthread_mutex_lock(&t->dev->lock);
    int rc = t->dev->be->mem_touch(t->dev, t);
    pthread_mutex_unlock(&t->dev->lock);
    return rc;
}

/* Everything a copy checks before it changes anything (the scheduler included). */
static int copy_check(const char *who, chm_tensor *t, size_t offset, const void *src,
                      const void *dst, size_t bytes)
{
    if (!t)
        return chm__fail(NULL, who, CHM_EINVAL, "tensor is NULL");
    if (t->magic != CHM_TENSOR_MAGIC)
        return chm__fail(NULL, who, CHM_EINVAL, "tensor is not a live tensor (used after free?)");
    chm_device *dev = t->dev;
    if (!src && !dst)
        return chm__fail(dev, who, CHM_EINVAL, "host buffer is NULL");
    if (bytes == 0)
        return chm__fail(dev, who, CHM_EINVAL, "bytes is 0");
    if (offset > t->bytes || bytes > t->bytes - offset)
        return chm__fail(dev, who, CHM_ERANGE,
                         "bytes [%zu, %zu) reach past the end of the tensor (%llu bytes)", offset,
                         offset + bytes, (unsigned long long)t->bytes);
    if (src && t->blob)
        return chm__fail(dev, who, CHM_EINVAL,
                         "the tensor holds uploaded sparse weights or a graph, which kernels trust "
                         "as checked at upload: upload a new one instead of writing it");
    return CHM_OK;
}

static int copy_async(const char *who, chm_tensor *t, size_t offset, const void *src, void *dst,
                      size_t bytes, chm_event **ev)
{
    CHECK(copy_check(who, t, offset, src, dst, bytes));
    chm_device *dev = t->dev;
    if (chm__tensor_touch(t))
        return chm__fail(dev, who, CHM_ENOMEM, "no host memory to back %llu bytes",
                         (unsigned long long)t->bytes);
    cmd_kind kind = src ? CMD_WRITE : CMD_READ;
    chm_event *e = chm__event_new(dev, kind);
    if (!e)
        return chm__fail(dev, who, CHM_ENOMEM, "no host memory for the command");
    e->engine = src ? ENGINE_H2D : ENGINE_D2H;
    e->tensor = t;
    e->offset = offset;
    e->bytes = bytes;
    e->src = src;
    e->dst = dst;
    e->dev_dur_us = dev->be->copy_time_us(dev, t->bank, bytes);
    snprintf(e->name, sizeof e->name, "%s %zu B", src ? "write" : "read", bytes);
    int rc = src ? chm__submit(dev, e, NULL, 0, t, ev) : chm__submit(dev, e, &t, 1, NULL, ev);
    if (rc)
        return chm__fail(dev, who, rc, "no host memory to queue the copy");
    return CHM_OK;
}

int chm_tensor_write_async(chm_tensor *t, size_t offset, const void *src, size_t bytes,
                           chm_event **ev)
{
    if (!src)
        return CHM_FAIL(t ? t->dev : NULL, CHM_EINVAL, "src is NULL");
    return copy_async(__func__, t, offset, src, NULL, bytes, ev);
}

int chm_tensor_read_async(chm_tensor *t, size_t offset, void *dst, size_t bytes, chm_event **ev)
{
    if (!dst)
        return CHM_FAIL(t ? t->dev : NULL, CHM_EINVAL, "dst is NULL");
    return copy_async(__func__, t, offset, NULL, dst, bytes, ev);
}

static int copy_sync(const char *who, chm_tensor *t, size_t offset, const void *src, void *dst,
                     size_t bytes)
{
    CHECK(copy_check(who, t, offset, src, dst, bytes));
    if (dst) { /* a reader waits for results: let the scheduler place what it holds, in its order */
        pthread_mutex_lock(&t->dev->lock);
        chm__sched_flush_locked(t->dev, 0);
        pthread_mutex_unlock(&t->dev->lock);
    }
    chm_event *ev = NULL;
    int rc = copy_async(who, t, offset, src, dst, bytes, &ev);
    if (rc)
        return rc;
    rc = chm_wait(ev);
    chm_event_release(ev);
    return rc;
}

int chm_tensor_write(chm_tensor *t, size_t offset, const void *src, size_t bytes)
{
    return copy_sync(__func__, t, offset, src, NULL, bytes);
}

int chm_tensor_read(chm_tensor *t, size_t offset, void *dst, size_t bytes)
{
    return copy_sync(__func__, t, offset, NULL, dst, bytes);
}

int chm__upload_blob(chm_device *dev, const char *who, uint8_t *blob, uint64_t bytes, int bank,
                     chm_tensor **out)
{
    chm_tensor *t = NULL;
    int rc = tensor_alloc(who, dev, CHM_INT8, 1, (const int64_t[]){ (int64_t)bytes }, bank, &t);
    if (rc)
        return rc;
    chm_event *ev = NULL;
    rc = copy_async(who, t, 0, blob, NULL, (size_t)bytes, &ev);
    if (!rc) {
        rc = chm_wait(ev);
        chm_event_release(ev);
        if (rc)
            rc = chm__fail(dev, who, rc, "the copy of %llu bytes to the card failed",
                           (unsigned long long)bytes);
    }
    if (rc) {
        chm_tensor_free(t);
        return rc;
    }
    t->blob = blob; /* from now on the device copy is read-only */
    *out = t;
    return CHM_OK;
}
