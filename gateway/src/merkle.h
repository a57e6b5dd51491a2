/*
 * merkle.h - the RFC 6962 / RFC 9162 Merkle tree hash over the exchange
 * log's records (docs/exchange-log.md, "Checkpoints").
 *
 * Leaf hash SHA-256(0x00 || entry), node hash SHA-256(0x01 || left ||
 * right), the empty tree hashes to SHA-256(""). The tree is kept
 * incrementally as a stack of the hashes of its complete (power-of-two)
 * subtrees, at most 64 of them, so appending is O(log n) and the state is
 * about 2 KiB however many records the log holds; the root is folded from
 * that stack on demand.
 *
 * A tree owns one reusable OpenSSL digest context; it is not thread-safe,
 * callers serialise (the exchange log does so under its mutex).
 */
#ifndef GW_MERKLE_H
#define GW_MERKLE_H
#include <stddef.h>
#include <stdint.h>

#define GW_MERKLE_HASH_SIZE 32

struct gw_merkle;

/* An empty tree, or NULL when out of memory. Free with merkle_free(). */
struct gw_merkle *merkle_new(void);
void merkle_free(struct gw_merkle *tree);
/* Back to the empty tree. */
void merkle_reset(struct gw_merkle *tree);
/* Number of leaves appended so far. */
uint64_t merkle_size(const struct gw_merkle *tree);

/* Appends the entry (its bytes; the exchange log passes a record's line
 * without its "\n"). 0, or -1 when hashing failed (tree unchanged). */
int merkle_append(struct gw_merkle *tree, const void *entry, size_t len);
/* Root hash of the leaves so far. 0 or -1. */
int merkle_root(struct gw_merkle *tree, unsigned char out[GW_MERKLE_HASH_SIZE]);

/* RFC 6962 leaf hash of one entry. 0 or -1. */
int merkle_leaf_hash(struct gw_merkle *tree, const void *entry, size_t len,
                     unsigned char out[GW_MERKLE_HASH_SIZE]);
/* Plain SHA-256 with the tree's digest context: a streaming verifier hashes
 * every line for the chain too and so needs no second context. 0 or -1. */
int merkle_sha256(struct gw_merkle *tree, const void *data, size_t len,
                  unsigned char out[GW_MERKLE_HASH_SIZE]);

#endif
