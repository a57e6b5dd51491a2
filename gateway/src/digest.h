/*
 * digest.h - SHA-256 over OpenSSL EVP, incremental, plus hex helpers.
 */
#ifndef GW_DIGEST_H
#define GW_DIGEST_H
#include <stddef.h>
#include <stdint.h>

#define GW_SHA256_HEX_SIZE 65 /* 64 hex digits and a NUL */

struct gw_sha256; /* opaque incremental state */

struct gw_sha256 *sha256_begin(void);
int sha256_update(struct gw_sha256 *st, const void *data, size_t len);
/* Writes the hex digest and frees the state (also on failure). 0 or -1. */
int sha256_finish_hex(struct gw_sha256 *st, char hex[GW_SHA256_HEX_SIZE]);
void sha256_abort(struct gw_sha256 *st);
/* One-shot. 0 or -1. */
int sha256_hex(const void *data, size_t len, char hex[GW_SHA256_HEX_SIZE]);
/* SHA-256 of a whole file, streamed; *bytes (may be NULL) gets its size.
 * 0 or -1 (unreadable). */
int sha256_file_hex(const char *path, char hex[GW_SHA256_HEX_SIZE],
                    uint64_t *bytes);
/* Fill buf with len cryptographically random bytes rendered as 2*len hex
 * digits (used for W3C trace and span ids). 0 or -1. */
int random_hex(size_t len, char *out, size_t out_size);

#endif
