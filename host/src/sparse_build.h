/*
 * sparse_build.h - the host-side sparse weight object and its builders.
 */
#ifndef CHM_SPARSE_BUILD_H
#define CHM_SPARSE_BUILD_H

#include <stdint.h>

#include "chimera.h"
#include "hls_bytes.h"
#include "sparse_format.h"

struct chm_sparse {
    uint8_t *blob;    /* header + arrays, as the card reads them */
    sparse_hdr *hdr;  /* = blob */
};

/* A zeroed blob with room for the arrays; NULL if out of memory. */
chm_sparse *chm__sparse_alloc(sparse_hdr h, uint32_t ptr_n, uint32_t a_bytes, uint32_t b_bytes,
                              uint32_t c_bytes);

/* Checks every field of a blob; CHM_OK or CHM_EFORMAT with the reason set. */
int chm__sparse_check(const uint8_t *blob, size_t bytes);

#endif /* CHM_SPARSE_BUILD_H */
