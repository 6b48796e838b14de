/*
 * crc32c.h - CRC-32C (Castagnoli, reflected polynomial 0x82F63B78).
 * Debian ships no C library for it; this is the plain table method.
 */
#ifndef CHM_CRC32C_H
#define CHM_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continues crc (start with 0) over n bytes. crc32c("123456789") = 0xE3069283. */
uint32_t crc32c(uint32_t crc, const void *data, size_t n);

#endif /* CHM_CRC32C_H */
