/*
 * cfgpkt.c - building and checking UltraScale+ configuration packet streams.
 *
 * Packet headers (UG570): type 1 = 001 in bits 31-29, opcode in 28-27
 * (00 NOP, 01 read, 10 write), register in 17-13, word count in 10-0;
 * type 2 = 010, opcode, word count in 26-0, for the register of the type 1
 * packet (count 0) before it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bs_util.h"
#include "cfgpkt.h"
#include "crc32c.h"

#define T1_WRITE(reg, n) (0x30000000u | ((uint32_t)(reg) << 13) | (uint32_t)(n))
#define T2_WRITE(n) (0x50000000u | (uint32_t)(n))

/*
 * The running CRC of the emulated configuration logic: CRC-32C, as in
 * crc32c(), over the register address byte then the word's big-endian
 * bytes, kept without the final inversion so that it chains word by word.
 */
static uint32_t crc_word(uint32_t crc, uint32_t reg, uint32_t w)
{
    const uint8_t b[5] = { (uint8_t)reg, (uint8_t)(w >> 24), (uint8_t)(w >> 16), (uint8_t)(w >> 8),
                           (uint8_t)w };
    return crc32c(crc, b, sizeof b);
}

typedef struct wbuf {
    uint8_t *p;
    size_t n;
} wbuf;

static void emit(wbuf *b, uint32_t w)
{
    b->p[b->n++] = (uint8_t)(w >> 24);
    b->p[b->n++] = (uint8_t)(w >> 16);
    b->p[b->n++] = (uint8_t)(w >> 8);
    b->p[b->n++] = (uint8_t)w;
}

/* A one-word register write that feeds the running CRC. */
static void emit_reg(wbuf *b, uint32_t *crc, uint32_t reg, uint32_t v)
{
    emit(b, T1_WRITE(reg, 1));
    emit(b, v);
    *crc = (reg == CFG_REG_CMD && v == CFG_CMD_RCRC) ? 0 : crc_word(*crc, reg, v);
}

uint8_t *cfg_build_partial(uint32_t idcode, uint32_t far, uint32_t frames, uint32_t seed,
                           size_t *out_len)
{
    const uint64_t data_words = (uint64_t)frames * CFG_FRAME_WORDS;
    if (frames == 0 || data_words >= (1u << 27))
        return NULL;
    const size_t words = 64 + (size_t)data_words;
    wbuf b = { malloc(words * 4), 0 };
    if (!b.p)
        return NULL;
    uint32_t crc = 0;
    for (int i = 0; i < 16; i++)
        emit(&b, 0xFFFFFFFFu);
    emit(&b, 0x000000BBu); /* bus-width detection */
    emit(&b, 0x11220044u);
    emit(&b, 0xFFFFFFFFu);
    emit(&b, 0xFFFFFFFFu);
    emit(&b, CFG_SYNC);
    emit(&b, CFG_NOP);
    emit_reg(&b, &crc, CFG_REG_CMD, CFG_CMD_RCRC);
    emit(&b, CFG_NOP);
    emit(&b, CFG_NOP);
    emit_reg(&b, &crc, CFG_REG_IDCODE, idcode);
    emit_reg(&b, &crc, CFG_REG_CMD, CFG_CMD_WCFG);
    emit_reg(&b, &crc, CFG_REG_FAR, far);
    emit(&b, CFG_NOP);
    emit(&b, T1_WRITE(CFG_REG_FDRI, 0));
    emit(&b, T2_WRITE(data_words));
    uint32_t x = seed * 2654435761u + 1;
    for (uint64_t i = 0; i < data_words; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        emit(&b, x);
        crc = crc_word(crc, CFG_REG_FDRI, x);
    }
    emit(&b, T1_WRITE(CFG_REG_CRC, 1));
    emit(&b, crc);
    emit_reg(&b, &crc, CFG_REG_CMD, CFG_CMD_DESYNC);
    for (int i = 0; i < 4; i++)
        emit(&b, CFG_NOP);
    *out_len = b.n;
    return b.p;
}

typedef struct icap {
    const uint8_t *p;
    size_t n, at;       /* words, next word */
    cfg_target t;
    uint32_t crc, fdri_words, last_reg;
    uint64_t frame_words;   /* FDRI words since the last FAR write */
    int seen_idcode, seen_wcfg, seen_far, crc_pending, done;
    cfg_result *res;
} icap;

static uint32_t word_at(const icap *s, size_t i)
{
    const uint8_t *q = s->p + 4 * i;
    return (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
}

/* One word written to reg at word index i. */
static int icap_write(icap *s, uint32_t reg, uint32_t v, size_t i, char *err, size_t el)
{
    switch (reg) {
    case CFG_REG_CRC:
        if (v != s->crc)
            return bs_fail(err, el, "CRC mismatch at word %zu: stream says 0x%08x, data gives 0x%08x",
                        i, v, s->crc);
        s->res->crc_checks++;
        s->crc_pending = 0;
        return 0;
    case CFG_REG_IDCODE:
        if (v != s->t.idcode)
            return bs_fail(err, el, "IDCODE 0x%08x at word %zu is not this device's 0x%08x", v, i,
                        s->t.idcode);
        s->seen_idcode = 1;
        break;
    case CFG_REG_FAR:
        if (s->t.frames && (v < s->t.far || v - s->t.far >= s->t.frames))
            return bs_fail(err, el, "FAR 0x%08x at word %zu is outside the region's frames "
                        "[0x%08x, 0x%08x)", v, i, s->t.far, s->t.far + s->t.frames);
        s->res->far = v;
        s->seen_far = 1;
        s->frame_words = 0;
        break;
    case CFG_REG_FDRI:
        if (!s->seen_idcode || !s->seen_wcfg || !s->seen_far)
            return bs_fail(err, el, "frame data at word %zu before IDCODE, WCFG and FAR", i);
        if (s->t.frames && s->frame_words % CFG_FRAME_WORDS == 0 &&
            (uint64_t)s->res->far + s->frame_words / CFG_FRAME_WORDS >=
                (uint64_t)s->t.far + s->t.frames)
            return bs_fail(err, el, "frame 0x%08llx written at word %zu is past the region's last "
                        "frame 0x%08x", (unsigned long long)(s->res->far + s->frame_words /
                        CFG_FRAME_WORDS), i, s->t.far + s->t.frames - 1);
        s->frame_words++;
        s->fdri_words++;
        s->crc_pending = 1;
        break;
    case CFG_REG_CMD:
        if (v == CFG_CMD_RCRC) {
            s->crc = 0;
            return 0;
        }
        if (v == CFG_CMD_WCFG)
            s->seen_wcfg = 1;
        if (v == CFG_CMD_DESYNC)
            s->done = 1;
        break;
    default:
        break;
    }
    s->crc = crc_word(s->crc, reg, v);
    return 0;
}

static int icap_packet(icap *s, char *err, size_t el)
{
    const size_t at = s->at;
    const uint32_t h = word_at(s, s->at++);
    const uint32_t type = h >> 29, op = (h >> 27) & 3;
    uint32_t reg, count;
    if (type == 1) {
        reg = (h >> 13) & 0x1F;
        count = h & 0x7FF;
        s->last_reg = reg;
    } else if (type == 2) {
        reg = s->last_reg;
        count = h & 0x7FFFFFF;
    } else {
        return bs_fail(err, el, "word %zu (0x%08x) is not a type 1 or type 2 packet header", at, h);
    }
    if (op == 0)
        return 0; /* NOP */
    if (op != 2)
        return bs_fail(err, el, "packet at word %zu is a %s, not a write", at,
                    op == 1 ? "read" : "reserved opcode");
    if (count > s->n - s->at)
        return bs_fail(err, el, "packet at word %zu wants %u words, the stream ends after %zu", at,
                    count, s->n - s->at);
    for (uint32_t k = 0; k < count && !s->done; k++, s->at++)
        if (icap_write(s, reg, word_at(s, s->at), s->at, err, el))
            return -1;
    return 0;
}

int cfg_check(const uint8_t *bytes, size_t len, const cfg_target *target, cfg_result *res,
              char *err, size_t el)
{
    const uint32_t expect_frames = target->frames;
    memset(res, 0, sizeof *res);
    if (len % 4 != 0)
        return bs_fail(err, el, "stream is %zu bytes, not whole 32-bit words", len);
    icap s = { .p = bytes, .n = len / 4, .t = *target, .res = res };
    while (s.at < s.n && word_at(&s, s.at) != CFG_SYNC)
        s.at++;
    if (s.at == s.n)
        return bs_fail(err, el, "no sync word 0x%08x in the stream", CFG_SYNC);
    s.at++;
    while (s.at < s.n && !s.done)
        if (icap_packet(&s, err, el))
            return -1;
    if (!s.done)
        return bs_fail(err, el, "stream ends without DESYNC");
    if (!s.seen_idcode)
        return bs_fail(err, el, "no IDCODE write: the device would refuse the stream");
    if (s.crc_pending || res->crc_checks == 0)
        return bs_fail(err, el, "frame data is not followed by a CRC check");
    if (s.fdri_words % CFG_FRAME_WORDS != 0)
        return bs_fail(err, el, "%u FDRI words are not whole %u-word frames", s.fdri_words,
                    CFG_FRAME_WORDS);
    res->frames = s.fdri_words / CFG_FRAME_WORDS;
    res->words = s.at;
    if (expect_frames && res->frames != expect_frames)
        return bs_fail(err, el, "stream writes %u frames, the region has %u", res->frames,
                    expect_frames);
    return 0;
}
