/*
 * cnn_cycles.h - cycle model of the CNN kernels, derived from their loop nests.
 */
#ifndef CNN_CYCLES_H
#define CNN_CYCLES_H

#include <stdint.h>

#include "cnn_kernels.h"

typedef struct cnn_cost {
    uint64_t cycles;        /* kernel cycles from start to done */
    uint64_t mac_cycles;    /* cycles the MAC array advances a reduction step */
    uint64_t macs;          /* useful multiply-accumulates */
    uint64_t bytes_read;
    uint64_t bytes_written;
} cnn_cost;

/*
 * bank_bytes_per_cycle: bytes the kernel's memory bank delivers per kernel
 * clock (bank GB/s / clock GHz); a stage never runs faster than that.
 */
cnn_cost cnn_conv_cost(const cnn_conv_desc *d, double bank_bytes_per_cycle);
cnn_cost cnn_pool_cost(const cnn_pool_desc *d, double bank_bytes_per_cycle);
cnn_cost cnn_add_cost(const cnn_add_desc *d, double bank_bytes_per_cycle);

#endif /* CNN_CYCLES_H */
