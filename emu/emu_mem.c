/*
 * emu_mem.c - first-fit address allocation inside a memory bank.
 */
#include <stdlib.h>
#include <string.h>

#include "emu_mem.h"

int emu_bank_alloc(emu_bank *b, uint64_t size, uint64_t *addr)
{
    if (size == 0 || size > b->size)
        return -1;
    uint64_t need = (size + EMU_MEM_ALIGN - 1) / EMU_MEM_ALIGN * EMU_MEM_ALIGN;
    uint64_t prev_end = 0;
    size_t at = b->n;
    for (size_t i = 0; i <= b->n; i++) {
        uint64_t next = i < b->n ? b->spans[i].start : b->size;
        if (next - prev_end >= need) {
            at = i;
            break;
        }
        if (i < b->n)
            prev_end = b->spans[i].end;
    }
    if (at == b->n && (b->size - prev_end < need))
        return -1;
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 16;
        emu_span *s = realloc(b->spans, cap * sizeof *s);
        if (!s)
            return -1;
        b->spans = s;
        b->cap = cap;
    }
    memmove(&b->spans[at + 1], &b->spans[at], (b->n - at) * sizeof *b->spans);
    b->spans[at].start = prev_end;
    b->spans[at].end = prev_end + need;
    b->n++;
    *addr = b->base + prev_end;
    return 0;
}

void emu_bank_free(emu_bank *b, uint64_t addr)
{
    uint64_t off = addr - b->base;
    for (size_t i = 0; i < b->n; i++) {
        if (b->spans[i].start == off) {
            memmove(&b->spans[i], &b->spans[i + 1], (b->n - i - 1) * sizeof *b->spans);
            b->n--;
            return;
        }
    }
}

void emu_bank_destroy(emu_bank *b)
{
    free(b->spans);
    memset(b, 0, sizeof *b);
}
