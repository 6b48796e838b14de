/*
 * alloc.h - allocations whose size is a count times an element size: the
 * product is overflow-checked, so a count read from a file can never wrap
 * into a small buffer (the class of the Matrix Market heap overflow).
 */
#ifndef CHM_ALLOC_H
#define CHM_ALLOC_H

#include <stdint.h>
#include <stdlib.h>

/* malloc of n elements of size bytes; NULL if n < 0, the product overflows, or no memory. */
static inline void *chm__alloc_array(int64_t n, size_t size)
{
    size_t bytes;
    if (n < 0 || __builtin_mul_overflow((size_t)n, size, &bytes))
        return NULL;
    return malloc(bytes ? bytes : 1);
}

/* realloc to n elements; NULL (p untouched) as chm__alloc_array. */
static inline void *chm__realloc_array(void *p, int64_t n, size_t size)
{
    size_t bytes;
    if (n < 0 || __builtin_mul_overflow((size_t)n, size, &bytes))
        return NULL;
    return realloc(p, bytes ? bytes : 1);
}

#endif /* CHM_ALLOC_H */
