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

/* Bytes of n fields of bits bits packed back to back (hls_rd_field). */
static inline uint64_t hls_field_bytes(uint64_t n, uint32_t bits)
{
    return (n * bits + 7) / 8;
}

/*
 * Field i of an array of bits-wide fields (1..8) packed back to back, least
 * significant bit first: field i's bit 0 is bit (i * bits) % 8 of byte
 * i * bits / 8. The next byte is read only when the field reaches into it,
 * so the last field never reads past the array.
 */
static inline uint32_t hls_rd_field(const uint8_t *p, uint64_t i, uint32_t bits)
{
    const uint64_t bit = i * bits;
    const uint32_t sh = (uint32_t)(bit & 7u);
    uint32_t v = (uint32_t)p[bit >> 3] >> sh;
    if (sh + bits > 8)
        v |= (uint32_t)p[(bit >> 3) + 1] << (8 - sh);
    return v & ((1u << bits) - 1u);
}

/* Writes field i (hls_rd_field's layout); the array's other bits are kept. */
static inline void hls_wr_field(uint8_t *p, uint64_t i, uint32_t bits, uint32_t v)
{
    const uint64_t bit = i * bits;
    const uint32_t sh = (uint32_t)(bit & 7u), mask = (1u << bits) - 1u;
    v &= mask;
    p[bit >> 3] = (uint8_t)((p[bit >> 3] & ~(mask << sh)) | v << sh);
    if (sh + bits > 8)
        p[(bit >> 3) + 1] = (uint8_t)((p[(bit >> 3) + 1] & ~(mask >> (8 - sh))) | v >> (8 - sh));
}

#endif /* HLS_BYTES_H */
