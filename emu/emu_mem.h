/*
 * emu_mem.h - the emulated card's memory banks: an address allocator per
 * bank, and host memory that backs an allocation only once it is used.
 */
#ifndef EMU_MEM_H
#define EMU_MEM_H

#include <stddef.h>
#include <stdint.h>

#define EMU_MEM_ALIGN 4096u

typedef struct emu_span {
    uint64_t start, end; /* [start, end) offsets within the bank */
} emu_span;

typedef struct emu_bank {
    uint64_t base, size;
    emu_span *spans;     /* allocations, sorted by start */
    size_t n, cap;
} emu_bank;

/* Reserves size bytes (rounded up to EMU_MEM_ALIGN) first fit; 0 or -1 if no room. */
int emu_bank_alloc(emu_bank *b, uint64_t size, uint64_t *addr);
/* Releases the allocation that starts at addr. */
void emu_bank_free(emu_bank *b, uint64_t addr);
void emu_bank_destroy(emu_bank *b);

#endif /* EMU_MEM_H */
