/*
 * emu_card.h - the software-emulated Alveo card: memory banks and the
 * timing model of its PCIe DMA and its kernels.
 */
#ifndef EMU_CARD_H
#define EMU_CARD_H

#include <stddef.h>
#include <stdint.h>

#include "cnn_cycles.h"
#include "emu_mem.h"
#include "platform.h"

typedef struct emu_card {
    const platform_desc *plat;
    emu_bank banks[PLATFORM_MAX_BANKS];
} emu_card;

void emu_card_init(emu_card *c, const platform_desc *p);
void emu_card_destroy(emu_card *c);

/* Card time of one DMA transfer of n bytes between host and bank, us. */
double emu_dma_time_us(const emu_card *c, int bank, size_t n);

/* Bytes the bank delivers per kernel clock cycle. */
double emu_bank_bytes_per_cycle(const emu_card *c, int bank);

/* Kernel cycles to microseconds at the platform's kernel clock. */
double emu_cycles_to_us(const emu_card *c, uint64_t cycles);

#endif /* EMU_CARD_H */
