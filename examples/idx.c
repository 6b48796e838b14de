/*
 * idx.c - IDX reader over zlib's gz* functions (plain files read as well).
 * Header: big-endian u32 magic, then one big-endian u32 per dimension.
 */
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

#include "idx.h"

static int read_be32(gzFile f, uint32_t *v)
{
    unsigned char b[4];
    if (gzread(f, b, 4) != 4)
        return -1;
    *v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    return 0;
}

static int load(const char *path, uint32_t magic, uint8_t **data, uint32_t dims[3])
{
    gzFile f = gzopen(path, "rb");
    if (!f) {
        fprintf(stderr, "idx: cannot open %s\n", path);
        return -1;
    }
    uint32_t m;
    int nd = magic == 0x803 ? 3 : 1;
    int bad = read_be32(f, &m) || m != magic;
    uint64_t total = 1;
    for (int i = 0; i < nd && !bad; i++) {
        bad = read_be32(f, &dims[i]) || dims[i] == 0 || dims[i] > 10000000;
        total *= dims[i];
    }
    if (bad || total > (UINT64_C(1) << 31)) {
        fprintf(stderr, "idx: %s is not an IDX file with magic 0x%x\n", path, magic);
        gzclose(f);
        return -1;
    }
    *data = malloc(total);
    if (!*data || gzread(f, *data, (unsigned)total) != (int)total) {
        fprintf(stderr, "idx: %s is truncated (expected %llu bytes of data)\n", path,
                (unsigned long long)total);
        free(*data);
        *data = NULL;
        gzclose(f);
        return -1;
    }
    gzclose(f);
    return 0;
}

int idx_load_images(const char *path, uint8_t **data, int *n, int *rows, int *cols)
{
    uint32_t d[3];
    if (load(path, 0x803, data, d))
        return -1;
    *n = (int)d[0], *rows = (int)d[1], *cols = (int)d[2];
    return 0;
}

int idx_load_labels(const char *path, uint8_t **data, int *n)
{
    uint32_t d[3];
    if (load(path, 0x801, data, d))
        return -1;
    *n = (int)d[0];
    return 0;
}
