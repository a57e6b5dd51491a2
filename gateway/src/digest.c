#include "digest.h"
#include "gw_alloc.h"
#include "text.h"
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>

struct gw_sha256 {
  EVP_MD_CTX *ctx;
};

struct gw_sha256 *sha256_begin(void) {
  struct gw_sha256 *st = gw_calloc(1, sizeof *st);
  if (!st)
    return NULL;
  st->ctx = EVP_MD_CTX_new();
  if (!st->ctx || EVP_DigestInit_ex(st->ctx, EVP_sha256(), NULL) != 1) {
    sha256_abort(st);
    return NULL;
  }
  return st;
}

int sha256_update(struct gw_sha256 *st, const void *data, size_t len) {
  if (!st || (len && !data))
    return -1;
  return EVP_DigestUpdate(st->ctx, data, len) == 1 ? 0 : -1;
}

int sha256_finish_hex(struct gw_sha256 *st, char hex[GW_SHA256_HEX_SIZE]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  int rc = -1;
  if (!st)
    return -1;
  if (EVP_DigestFinal_ex(st->ctx, md, &len) == 1 && len == 32) {
    text_hex(md, len, hex);
    rc = 0;
  }
  sha256_abort(st);
  return rc;
}

void sha256_abort(struct gw_sha256 *st) {
  if (!st)
    return;
  EVP_MD_CTX_free(st->ctx);
  gw_free(st);
}

int sha256_hex(const void *data, size_t len, char hex[GW_SHA256_HEX_SIZE]) {
  struct gw_sha256 *st = sha256_begin();
  if (!st)
    return -1;
  if (sha256_update(st, data, len) != 0) {
    sha256_abort(st);
    return -1;
  }
  return sha256_finish_hex(st, hex);
}

int random_hex(size_t len, char *out, size_t out_size) {
  unsigned char buf[64];
  if (len > sizeof buf || out_size < 2 * len + 1)
    return -1;
  if (RAND_bytes(buf, (int)len) != 1)
    return -1;
  text_hex(buf, len, out);
  return 0;
}

int sha256_file_hex(const char *path, char hex[GW_SHA256_HEX_SIZE],
                    uint64_t *bytes) {
  unsigned char buf[65536];
  struct gw_sha256 *st = NULL;
  FILE *f = fopen(path, "rb");
  uint64_t total = 0;
  size_t n;
  int rc = -1;
  if (!f)
    return -1;
  st = sha256_begin();
  if (!st)
    goto out;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
    if (sha256_update(st, buf, n) != 0)
      goto out;
    total += n;
  }
  if (ferror(f))
    goto out;
  rc = sha256_finish_hex(st, hex);
  st = NULL;
  if (rc == 0 && bytes)
    *bytes = total;
out:
  sha256_abort(st);
  fclose(f);
  return rc;
}
