/*
 * fuzz_exchange_log_verify - libFuzzer harness for `gateway audit verify`.
 *
 * The input is an exchange log file (JSON Lines with a seq/time/prev hash
 * chain): it is written to a per-process temp file and checked with
 * xlog_verify_file(). Any verdict is fine; the harness shows the verifier
 * survives whatever an attacker or a crash leaves in the file.
 *
 * A fuzzer cannot forge SHA-256, so a mutation normally breaks the chain
 * at the mutated line and nothing after it is looked at. For inputs of odd
 * length the harness therefore first re-chains the log: in every line the
 * 64 characters after the first "prev":" become the hash of the previous
 * (re-chained) line, 64 zeros for the first. Mutated records then verify
 * as far as their content allows, which reaches the seq, time and
 * "intact" paths.
 *
 * Invariants (trap on violation): the message is NUL-terminated; a broken
 * log has a non-empty message; the record count never exceeds the number
 * of newline-terminated lines and equals it when the log verifies.
 * Seeds: tests/fuzz/corpus/exchange_log_verify (a real log from the
 * end-to-end test, and tampered copies of it).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "exchange_log.h"
#include "fuzz_support.h"

#define PREV_KEY "\"prev\":\""
#define HASH_LEN 64

static uint8_t *memfind(uint8_t *hay, size_t len, const char *needle) {
  size_t n = strlen(needle), i;
  for (i = 0; i + n <= len; i++) {
    if (memcmp(hay + i, needle, n) == 0)
      return hay + i;
  }
  return NULL;
}

/* Rewrites the prev hashes of buf in place so the chain is intact. */
static void rechain(uint8_t *buf, size_t size) {
  char prev[GW_SHA256_HEX_SIZE];
  size_t start = 0;
  memset(prev, '0', HASH_LEN);
  prev[HASH_LEN] = '\0';
  while (start < size) {
    uint8_t *nl = memchr(buf + start, '\n', size - start);
    size_t len = nl ? (size_t)(nl - (buf + start)) : size - start;
    uint8_t *key = memfind(buf + start, len, PREV_KEY);
    size_t at = key ? (size_t)(key - (buf + start)) + strlen(PREV_KEY) : 0;
    if (key && at + HASH_LEN <= len)
      memcpy(buf + start + at, prev, HASH_LEN);
    if (sha256_hex(buf + start, len, prev) != 0)
      abort();
    start += len + 1;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_temp_path("xlog");
  uint64_t records = UINT64_MAX, lines = 0;
  uint8_t *copy = NULL;
  char err[1024];
  size_t i;
  int rc;

  for (i = 0; i < size; i++)
    lines += data[i] == '\n';
  if (size % 2 == 1) {
    copy = malloc(size);
    if (!copy)
      abort();
    memcpy(copy, data, size);
    rechain(copy, size);
    data = copy;
  }
  fuzz_write_file(path, data, size);
  free(copy);
  memset(err, 'X', sizeof err);
  rc = xlog_verify_file(path, &records, err, sizeof err);
  if (!fuzz_terminated(err, sizeof err) || records > lines)
    __builtin_trap();
  if (rc != 0 && !err[0])
    __builtin_trap();
  if (rc == 0 && records != lines)
    __builtin_trap(); /* intact means every line was a verified record */
  return 0;
}
