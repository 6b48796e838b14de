/*
 * signing.h - Ed25519 signatures on partial-bitstream containers (libsodium),
 * and the trust store a device checks them against.
 *
 * A signed container is the AXLF file, whose header's signature_length says
 * SIG_BLOCK_BYTES, followed by the signature block: an 8-byte key id
 * (BLAKE2b-64 of the public key) and the 64-byte Ed25519 signature of the
 * header's `length` bytes, i.e. of everything but the block itself. The
 * whole-file CRC-32C in the metadata covers those bytes too.
 *
 * Keys are text files of hex digits: NAME.pub holds the 32-byte public key,
 * NAME.key the 64-byte secret key (write it 0600). A trust store is a
 * directory; every *.pub file in it is a trusted key.
 */
#ifndef CHM_SIGNING_H
#define CHM_SIGNING_H

#include <stddef.h>
#include <stdint.h>

#define SIG_PK_BYTES 32u
#define SIG_SK_BYTES 64u
#define SIG_KEYID_BYTES 8u
#define SIG_BYTES 64u
#define SIG_BLOCK_BYTES (SIG_KEYID_BYTES + SIG_BYTES)
#define SIG_MAX_KEYS 64

typedef struct sig_trust {
    int n;
    uint8_t pk[SIG_MAX_KEYS][SIG_PK_BYTES];
    uint8_t id[SIG_MAX_KEYS][SIG_KEYID_BYTES];
    char dir[256];
} sig_trust;

typedef enum {
    SIG_OK = 0,
    SIG_UNSIGNED,  /* no signature block */
    SIG_UNTRUSTED, /* signed by a key that is not in the trust store */
    SIG_BAD,       /* the key is trusted but the signature does not match: tampered */
    SIG_MALFORMED, /* the block's length or place is wrong */
} sig_status;

/* A new key pair, written as dir/name.pub and dir/name.key. 0 or -1 with why. */
int sig_keygen(const char *dir, const char *name, char *err, size_t errlen);

/* Reads every *.pub of dir into *t (dir may hold none). 0 or -1 with why. */
int sig_trust_load(const char *dir, sig_trust *t, char *err, size_t errlen);

/*
 * Signs an unsigned container with the secret key in key_path: a malloc'ed
 * copy with signature_length set, the checksum resealed, and the block
 * appended; NULL with why on failure.
 */
uint8_t *sig_sign(const uint8_t *buf, size_t len, const char *key_path, size_t *out_len,
                  char *err, size_t errlen);

/* The key id of a signed container (for display); -1 if unsigned or malformed. */
int sig_key_id(const uint8_t *buf, size_t len, uint8_t id[SIG_KEYID_BYTES]);

/* Checks buf's signature against t (NULL: an empty store). */
sig_status sig_check(const uint8_t *buf, size_t len, const sig_trust *t, char *err,
                     size_t errlen);

#endif /* CHM_SIGNING_H */
