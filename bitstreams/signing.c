/*
 * signing.c - Ed25519 container signatures with libsodium (crypto_sign_*,
 * crypto_generichash for key ids, sodium_bin2hex / sodium_hex2bin for keys).
 */
#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "axlf.h"
#include "bs_util.h"
#include "container.h"
#include "signing.h"

enum { OFF_SIGLEN = 8, OFF_LENGTH = 304 };

static uint64_t get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static int init(char *err, size_t el)
{
    return sodium_init() < 0 ? bs_fail(err, el, "libsodium could not initialise") : 0;
}

static void key_id(const uint8_t pk[SIG_PK_BYTES], uint8_t id[SIG_KEYID_BYTES])
{
    crypto_generichash(id, SIG_KEYID_BYTES, pk, SIG_PK_BYTES, NULL, 0);
}

static int write_hex(const char *path, const uint8_t *b, size_t n, mode_t mode, char *err,
                     size_t el)
{
    char hex[2 * SIG_SK_BYTES + 1];
    sodium_bin2hex(hex, sizeof hex, b, n);
    FILE *f = fopen(path, "w");
    int ok = f && fprintf(f, "%s\n", hex) > 0;
    if (f)
        ok &= fclose(f) == 0;
    sodium_memzero(hex, sizeof hex);
    if (!ok || chmod(path, mode))
        return bs_fail(err, el, "cannot write %s", path);
    return 0;
}

/* Reads exactly n bytes of hex (whitespace around it allowed) from path. */
static int read_hex(const char *path, uint8_t *b, size_t n, char *err, size_t el)
{
    char text[2 * SIG_SK_BYTES + 8];
    FILE *f = fopen(path, "r");
    if (!f)
        return bs_fail(err, el, "cannot open key file %s", path);
    size_t got = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[got] = 0;
    size_t bin = 0;
    const char *end = NULL;
    int rc = sodium_hex2bin(b, n, text, got, " \t\r\n", &bin, &end);
    while (end && (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'))
        end++;
    sodium_memzero(text, sizeof text);
    if (rc || bin != n || (end && *end))
        return bs_fail(err, el, "%s is not %zu bytes of hex", path, n);
    return 0;
}

int sig_keygen(const char *dir, const char *name, char *err, size_t el)
{
    if (init(err, el))
        return -1;
    uint8_t pk[SIG_PK_BYTES], sk[SIG_SK_BYTES];
    crypto_sign_keypair(pk, sk);
    char path[600];
    snprintf(path, sizeof path, "%s/%s.key", dir, name);
    int rc = write_hex(path, sk, sizeof sk, 0600, err, el);
    sodium_memzero(sk, sizeof sk);
    snprintf(path, sizeof path, "%s/%s.pub", dir, name);
    return rc ? rc : write_hex(path, pk, sizeof pk, 0644, err, el);
}

int sig_trust_load(const char *dir, sig_trust *t, char *err, size_t el)
{
    memset(t, 0, sizeof *t);
    if (init(err, el))
        return -1;
    snprintf(t->dir, sizeof t->dir, "%s", dir);
    DIR *d = opendir(dir);
    if (!d)
        return bs_fail(err, el, "trust store %s is not a readable directory", dir);
    int rc = 0;
    for (struct dirent *e; !rc && (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".pub") != 0)
            continue;
        if (t->n == SIG_MAX_KEYS) {
            rc = bs_fail(err, el, "trust store %s has more than %d keys", dir, SIG_MAX_KEYS);
            break;
        }
        char path[600];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        rc = read_hex(path, t->pk[t->n], SIG_PK_BYTES, err, el);
        if (!rc)
            key_id(t->pk[t->n], t->id[t->n]), t->n++;
    }
    closedir(d);
    return rc;
}

/* The header's length and signature_length, checked against len. */
static int layout(const uint8_t *buf, size_t len, uint64_t *length, int32_t *siglen)
{
    if (len < AXLF_HEADER_SIZE || memcmp(buf, AXLF_MAGIC, 8) != 0)
        return -1;
    *length = get_le(buf + OFF_LENGTH, 8);
    *siglen = (int32_t)get_le(buf + OFF_SIGLEN, 4);
    return 0;
}

uint8_t *sig_sign(const uint8_t *buf, size_t len, const char *key_path, size_t *out_len,
                  char *err, size_t el)
{
    uint64_t length;
    int32_t siglen;
    if (init(err, el))
        return NULL;
    if (layout(buf, len, &length, &siglen) || length != len) {
        bs_fail(err, el, "not an xclbin container of %zu bytes", len);
        return NULL;
    }
    if (siglen > 0) {
        bs_fail(err, el, "the container is signed already");
        return NULL;
    }
    uint8_t sk[SIG_SK_BYTES], id[SIG_KEYID_BYTES];
    if (read_hex(key_path, sk, sizeof sk, err, el))
        return NULL;
    uint8_t *out = malloc(len + SIG_BLOCK_BYTES);
    if (!out) {
        sodium_memzero(sk, sizeof sk);
        bs_fail(err, el, "no memory for %zu bytes", len + SIG_BLOCK_BYTES);
        return NULL;
    }
    memcpy(out, buf, len);
    for (int i = 0; i < 4; i++)
        out[OFF_SIGLEN + i] = (uint8_t)(SIG_BLOCK_BYTES >> (8 * i));
    if (container_reseal(out, len)) {
        sodium_memzero(sk, sizeof sk);
        free(out);
        bs_fail(err, el, "no Chimera checksum to reseal: not a Chimera container");
        return NULL;
    }
    key_id(sk + 32, id); /* libsodium's secret key ends with the public key */
    memcpy(out + len, id, SIG_KEYID_BYTES);
    crypto_sign_detached(out + len + SIG_KEYID_BYTES, NULL, out, len, sk);
    sodium_memzero(sk, sizeof sk);
    *out_len = len + SIG_BLOCK_BYTES;
    return out;
}

int sig_key_id(const uint8_t *buf, size_t len, uint8_t id[SIG_KEYID_BYTES])
{
    uint64_t length;
    int32_t siglen;
    if (layout(buf, len, &length, &siglen) || siglen != (int32_t)SIG_BLOCK_BYTES ||
        length + SIG_BLOCK_BYTES != len)
        return -1;
    memcpy(id, buf + length, SIG_KEYID_BYTES);
    return 0;
}

sig_status sig_check(const uint8_t *buf, size_t len, const sig_trust *t, char *err, size_t el)
{
    uint64_t length;
    int32_t siglen;
    if (init(err, el) || layout(buf, len, &length, &siglen)) {
        bs_fail(err, el, "not an xclbin container");
        return SIG_MALFORMED;
    }
    if (siglen <= 0) {
        bs_fail(err, el, "the container is not signed");
        return SIG_UNSIGNED;
    }
    if (siglen != (int32_t)SIG_BLOCK_BYTES || length + SIG_BLOCK_BYTES != len) {
        bs_fail(err, el, "signature block of %d bytes after %llu of %zu: Chimera's is %u bytes "
                "at the end", siglen, (unsigned long long)length, len, SIG_BLOCK_BYTES);
        return SIG_MALFORMED;
    }
    const uint8_t *id = buf + length, *sig = id + SIG_KEYID_BYTES;
    char hex[2 * SIG_KEYID_BYTES + 1];
    sodium_bin2hex(hex, sizeof hex, id, SIG_KEYID_BYTES);
    for (int k = 0; t && k < t->n; k++) {
        if (memcmp(t->id[k], id, SIG_KEYID_BYTES) != 0)
            continue;
        if (crypto_sign_verify_detached(sig, buf, length, t->pk[k]) == 0)
            return SIG_OK;
        bs_fail(err, el, "signature by key %s does not match the contents: the container was "
                "changed after signing", hex);
        return SIG_BAD;
    }
    bs_fail(err, el, "signed by key %s, which is not in the trust store%s%s", hex,
            t && t->dir[0] ? " " : "", t ? t->dir : "");
    return SIG_UNTRUSTED;
}
