/*
 * bs_util.h - what the bitstream tools share: the error-message helper and
 * reading a whole file.
 */
#ifndef CHM_BS_UTIL_H
#define CHM_BS_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Formats the reason into err (if any) and returns -1. */
int bs_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The whole file, malloc'ed, and its length; NULL with errno set if it cannot be
 * read (EISDIR for a directory, EINVAL for another kind that is not a file). */
uint8_t *bs_read_file(const char *path, size_t *len);

#endif /* CHM_BS_UTIL_H */
