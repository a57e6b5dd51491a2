/*
 * test_merkle.c - the RFC 6962 Merkle tree hash of the exchange log:
 * the vectors of standards.md 3.2 and an independent recursive MTH.
 */
#include "gw_alloc.h"
#include "merkle.h"
#include "text.h"
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

static void hex_of(const unsigned char h[GW_MERKLE_HASH_SIZE], char *out) {
  text_hex(h, GW_MERKLE_HASH_SIZE, out);
}

static void assert_root_hex(struct gw_merkle *t, const char *expected) {
  unsigned char root[GW_MERKLE_HASH_SIZE];
  char hex[2 * GW_MERKLE_HASH_SIZE + 1];
  cr_assert_eq(merkle_root(t, root), 0);
  hex_of(root, hex);
  cr_assert_str_eq(hex, expected);
}

Test(merkle, empty_tree_is_sha256_of_nothing) {
  struct gw_merkle *t = merkle_new();
  cr_assert_not_null(t);
  cr_assert_eq(merkle_size(t), 0);
  assert_root_hex(
      t, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  merkle_free(t);
}

Test(merkle, leaf_hash_of_empty_entry) {
  struct gw_merkle *t = merkle_new();
  unsigned char h[GW_MERKLE_HASH_SIZE];
  char hex[65];
  cr_assert_eq(merkle_leaf_hash(t, "", 0, h), 0);
  hex_of(h, hex);
  cr_assert_str_eq(
      hex, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  /* A tree of one leaf has that leaf's hash as its root. */
  cr_assert_eq(merkle_append(t, "", 0), 0);
  assert_root_hex(
      t, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  merkle_free(t);
}

Test(merkle, root_of_three_seq_records) {
  struct gw_merkle *t = merkle_new();
  const char *entries[] = {"{\"seq\":0}", "{\"seq\":1}", "{\"seq\":2}"};
  for (int i = 0; i < 3; i++)
    cr_assert_eq(merkle_append(t, entries[i], strlen(entries[i])), 0);
  cr_assert_eq(merkle_size(t), 3);
  assert_root_hex(
      t, "3db67665eea8c26de341668c1d3199f61de4b780a828569a898ce48c28d931f3");
  merkle_free(t);
}

Test(merkle, plain_sha256) {
  struct gw_merkle *t = merkle_new();
  unsigned char h[GW_MERKLE_HASH_SIZE];
  char hex[65];
  cr_assert_eq(merkle_sha256(t, "abc", 3, h), 0);
  hex_of(h, hex);
  cr_assert_str_eq(
      hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  merkle_free(t);
}

/* ---- an independent, recursive RFC 6962 MTH ------------------------------ */

static void sha(const unsigned char *a, size_t alen, const unsigned char *b,
                size_t blen, unsigned char prefix, int use_prefix,
                unsigned char out[32]) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  unsigned int len = 0;
  cr_assert_not_null(ctx);
  cr_assert_eq(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
  if (use_prefix)
    EVP_DigestUpdate(ctx, &prefix, 1);
  EVP_DigestUpdate(ctx, a, alen);
  EVP_DigestUpdate(ctx, b, blen);
  cr_assert_eq(EVP_DigestFinal_ex(ctx, out, &len), 1);
  EVP_MD_CTX_free(ctx);
}

static char entries[200][16];

/* MTH(D[lo:hi]), splitting at the largest power of two < n. */
static void mth(size_t lo, size_t hi, unsigned char out[32]) {
  size_t n = hi - lo, k = 1;
  unsigned char l[32], r[32];
  if (n == 0) {
    sha(NULL, 0, NULL, 0, 0, 0, out);
    return;
  }
  if (n == 1) {
    sha((const unsigned char *)entries[lo], strlen(entries[lo]), NULL, 0, 0x00,
        1, out);
    return;
  }
  while (k * 2 < n)
    k *= 2;
  mth(lo, lo + k, l);
  mth(lo + k, hi, r);
  sha(l, 32, r, 32, 0x01, 1, out);
}

Test(merkle, incremental_root_equals_recursive_definition) {
  struct gw_merkle *t = merkle_new();
  for (size_t n = 0; n < 200; n++) {
    unsigned char want[32], got[32];
    mth(0, n, want);
    cr_assert_eq(merkle_root(t, got), 0);
    cr_assert_eq(memcmp(want, got, 32), 0, "root differs at size %zu", n);
    snprintf(entries[n], sizeof entries[n], "entry %zu", n);
    cr_assert_eq(merkle_append(t, entries[n], strlen(entries[n])), 0);
  }
  merkle_free(t);
}

Test(merkle, root_does_not_change_the_tree_and_reset_empties_it) {
  struct gw_merkle *t = merkle_new();
  unsigned char a[32], b[32];
  for (int i = 0; i < 7; i++)
    cr_assert_eq(merkle_append(t, "x", 1), 0);
  cr_assert_eq(merkle_root(t, a), 0);
  cr_assert_eq(merkle_root(t, b), 0);
  cr_assert_eq(memcmp(a, b, 32), 0);
  cr_assert_eq(merkle_size(t), 7);
  merkle_reset(t);
  cr_assert_eq(merkle_size(t), 0);
  assert_root_hex(
      t, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  merkle_free(t);
}

Test(merkle, allocation_failure_gives_null) {
  gw_alloc_fail_at(1);
  cr_assert_null(merkle_new());
  gw_alloc_fail_at(0);
  merkle_free(NULL);
}
