/*
 * hls_bytes.h - words of a byte-addressed AXI port put together from its
 * bytes, little-endian, as the RTL engines read them: a kernel reads a blob
 * (sparse weights, a graph) through a uint8_t port and never casts the port
 * pointer to a struct or a wider type (UG1399: an m_axi port has one type).
 */
#ifndef HLS_BYTES_H
#define HLS_BYTES_H

#include <stdint.h>
#include <string.h>

static inline uint32_t hls_rd_u16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static inline uint32_t hls_rd_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t hls_rd_u64(const uint8_t *p)
{
    return (uint64_t)hls_rd_u32(p) | (uint64_t)hls_rd_u32(p + 4) << 32;
}

static inline float hls_rd_f32(const uint8_t *p)
{
    const uint32_t u = hls_rd_u32(p);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

#endif /* HLS_BYTES_H */
