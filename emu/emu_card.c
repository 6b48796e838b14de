/*
 * emu_card.c - the emulated card's banks and timing.
 *
 * A DMA transfer costs a fixed setup (descriptor fetch, doorbell, completion
 * interrupt) plus its bytes at the slower of the PCIe link and the bank.
 */
#include <string.h>

#include "emu_card.h"

void emu_card_init(emu_card *c, const platform_desc *p)
{
    memset(c, 0, sizeof *c);
    c->plat = p;
    for (uint32_t b = 0; b < p->n_banks; b++) {
        c->banks[b].base = p->banks[b].base;
        c->banks[b].size = p->banks[b].size;
    }
}

void emu_card_destroy(emu_card *c)
{
    for (uint32_t b = 0; b < c->plat->n_banks; b++)
        emu_bank_destroy(&c->banks[b]);
}

double emu_dma_time_us(const emu_card *c, int bank, size_t n)
{
    double gbps = c->plat->pcie_gbps;
    if (c->plat->banks[bank].gbps < gbps)
        gbps = c->plat->banks[bank].gbps;
    return c->plat->dma_setup_us + (double)n / (gbps * 1e3);
}

double emu_bank_bytes_per_cycle(const emu_card *c, int bank)
{
    return c->plat->banks[bank].gbps * 1e3 / c->plat->kernel_mhz;
}

double emu_cycles_to_us(const emu_card *c, uint64_t cycles)
{
    return (double)cycles / c->plat->kernel_mhz;
}
