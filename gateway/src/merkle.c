/*
 * merkle.c - incremental RFC 6962 Merkle tree hash (see merkle.h).
 *
 * stack[0..top) holds the roots of the complete subtrees that make up the
 * tree, largest (leftmost) first; their sizes are the set bits of size,
 * from the highest down. Appending a leaf merges equal-sized neighbours
 * exactly like a binary counter carries. The root folds the stack from the
 * right, which is RFC 6962's split at the largest power of two below n.
 */
#include "merkle.h"
#include "gw_alloc.h"
#include <openssl/evp.h>
#include <string.h>

#define MERKLE_MAX_LEVELS 64

struct gw_merkle {
  EVP_MD *sha256; /* fetched once: an implicit fetch per hash is slow */
  EVP_MD_CTX *ctx;
  uint64_t size;
  unsigned top;
  unsigned char stack[MERKLE_MAX_LEVELS][GW_MERKLE_HASH_SIZE];
};

struct gw_merkle *merkle_new(void) {
  struct gw_merkle *tree = gw_calloc(1, sizeof *tree);
  if (!tree)
    return NULL;
  tree->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
  tree->ctx = EVP_MD_CTX_new();
  if (!tree->sha256 || !tree->ctx) {
    merkle_free(tree);
    return NULL;
  }
  return tree;
}

void merkle_free(struct gw_merkle *tree) {
  if (!tree)
    return;
  EVP_MD_CTX_free(tree->ctx);
  EVP_MD_free(tree->sha256);
  gw_free(tree);
}

void merkle_reset(struct gw_merkle *tree) {
  tree->size = 0;
  tree->top = 0;
}

uint64_t merkle_size(const struct gw_merkle *tree) {
  return tree->size;
}

/* SHA-256 over an optional one-byte domain prefix and up to two parts. */
static int hash_parts(struct gw_merkle *tree, int prefix, const void *a,
                      size_t a_len, const void *b, size_t b_len,
                      unsigned char out[GW_MERKLE_HASH_SIZE]) {
  unsigned char p = (unsigned char)prefix;
  unsigned int len = 0;
  if (EVP_DigestInit_ex2(tree->ctx, tree->sha256, NULL) != 1)
    return -1;
  if (prefix >= 0 && EVP_DigestUpdate(tree->ctx, &p, 1) != 1)
    return -1;
  if (a_len > 0 && EVP_DigestUpdate(tree->ctx, a, a_len) != 1)
    return -1;
  if (b_len > 0 && EVP_DigestUpdate(tree->ctx, b, b_len) != 1)
    return -1;
  if (EVP_DigestFinal_ex(tree->ctx, out, &len) != 1 ||
      len != GW_MERKLE_HASH_SIZE)
    return -1;
  return 0;
}

int merkle_sha256(struct gw_merkle *tree, const void *data, size_t len,
                  unsigned char out[GW_MERKLE_HASH_SIZE]) {
  return hash_parts(tree, -1, data, len, NULL, 0, out);
}

int merkle_leaf_hash(struct gw_merkle *tree, const void *entry, size_t len,
                     unsigned char out[GW_MERKLE_HASH_SIZE]) {
  return hash_parts(tree, 0x00, entry, len, NULL, 0, out);
}

static int node_hash(struct gw_merkle *tree,
                     const unsigned char left[GW_MERKLE_HASH_SIZE],
                     const unsigned char right[GW_MERKLE_HASH_SIZE],
                     unsigned char out[GW_MERKLE_HASH_SIZE]) {
  return hash_parts(tree, 0x01, left, GW_MERKLE_HASH_SIZE, right,
                    GW_MERKLE_HASH_SIZE, out);
}

int merkle_append(struct gw_merkle *tree, const void *entry, size_t len) {
  unsigned char h[GW_MERKLE_HASH_SIZE];
  uint64_t carry = tree->size;
  unsigned top = tree->top;
  if (tree->size == UINT64_MAX || merkle_leaf_hash(tree, entry, len, h) != 0)
    return -1;
  /* Each trailing 1 bit of the old size is a complete subtree of the same
   * size as the one being carried: merge them. The stack is only written
   * once every hash has succeeded, so a failure leaves the tree as it was. */
  while (carry & 1) {
    if (node_hash(tree, tree->stack[top - 1], h, h) != 0)
      return -1;
    top--;
    carry >>= 1;
  }
  memcpy(tree->stack[top], h, sizeof h);
  tree->top = top + 1;
  tree->size++;
  return 0;
}

int merkle_root(struct gw_merkle *tree,
                unsigned char out[GW_MERKLE_HASH_SIZE]) {
  unsigned char h[GW_MERKLE_HASH_SIZE];
  if (tree->top == 0)
    return merkle_sha256(tree, "", 0, out);
  memcpy(h, tree->stack[tree->top - 1], sizeof h);
  for (unsigned i = tree->top - 1; i > 0; i--) {
    if (node_hash(tree, tree->stack[i - 1], h, h) != 0)
      return -1;
  }
  memcpy(out, h, sizeof h);
  return 0;
}
