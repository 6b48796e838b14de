/*
 * idx.h - the IDX files of (Fashion-)MNIST, gzip-compressed as Debian ships them.
 */
#ifndef IDX_H
#define IDX_H

#include <stdint.h>

/* Reads an IDX image file (magic 0x803): *n images of rows x cols bytes. */
int idx_load_images(const char *path, uint8_t **data, int *n, int *rows, int *cols);
/* Reads an IDX label file (magic 0x801). */
int idx_load_labels(const char *path, uint8_t **data, int *n);

#endif /* IDX_H */
