/*
 * sparse_format.h - the compressed weight layouts the SPARSE mode reads.
 *
 * One blob in card memory: a 64-byte header, then the arrays it points at
 * (byte offsets from the blob's start, each 8-byte aligned). A weight matrix
 * has `rows` output neurons and `cols` inputs (for a conv: out channels x
 * kh*kw*in channels, OHWI order).
 *
 * Cambricon-X (format 1), per output neuron: the nonzero weights in column
 * order and, for each, a step index: its distance from the previous kept
 * column (the first counts from column -1). A step is a step_bits-wide
 * field; a gap wider than the field is bridged by padding entries of value
 * 0 and the widest step, as the paper does (Zhang et al., MICRO 2016, §4).
 *   ptr   u32[rows + 1]   entry range of each row
 *   value i8[entries]     weight (0 in a padding entry)
 *   step  step_bits x entries, packed   1 .. 2^step_bits - 1
 *
 * Cambricon-S (format 2), coarse-grained: the matrix is cut into blocks of
 * block_rows x block_cols; a block is kept or pruned whole, so one index
 * serves the block_rows PEs of a row group (Zhou et al., MICRO 2018, §3).
 * Kept weights are stored as code_bits-wide indices into a per-layer
 * codebook of int8 values (local quantization); code 0 always means 0.
 *   ptr   u32[row_groups + 1]  kept-block range of each row group
 *   col   u16[kept]            column-block index of each kept block
 *   code  code_bits x kept x block_rows x block_cols, packed: row-major
 *                              within a block, blocks back to back; edge
 *                              blocks keep the full shape, padded with 0
 *   book  i8[256]              codebook (entries past 2^code_bits unused)
 *
 * Packed arrays hold their fields back to back at their width, least
 * significant bit first (hls_rd_field in hls_bytes.h): field i starts at bit
 * (i x bits) % 8 of byte (i x bits) / 8, and the array takes
 * ceil(n x bits / 8) bytes. A 4-bit code takes half a byte on the card and
 * in the stream the engine reads, as in the format's size.
 */
#ifndef SPARSE_FORMAT_H
#define SPARSE_FORMAT_H

#include <stdint.h>

#define SPARSE_MAGIC 0x50534843u /* "CHSP" little-endian */
#define SPARSE_FMT_X 1
#define SPARSE_FMT_S 2
#define SPARSE_MAX_DIM 65535u   /* rows, cols; S column-block indices are u16 */
#define SPARSE_MAX_BLOCK 16u

typedef struct sparse_hdr {
    uint32_t magic, format, rows, cols;
    uint32_t step_bits;              /* X */
    uint32_t block_rows, block_cols; /* S */
    uint32_t code_bits;              /* S */
    uint32_t entries;                /* X: entries incl. padding; S: kept blocks */
    uint32_t nnz;                    /* nonzero weights stored */
    uint32_t off_ptr, off_a, off_b, off_c; /* X: ptr, value, step; S: ptr, col, code, book */
    uint32_t bytes;                  /* blob size */
    uint32_t reserved;
} sparse_hdr;

_Static_assert(sizeof(sparse_hdr) == 64, "sparse_hdr is 64 bytes");

#endif /* SPARSE_FORMAT_H */
