/*
 * fuzz_privacy_scan - libFuzzer harness for the privacy guard's streaming
 * scanners (JSON tokenizer, XML reader, CSV header/record parser) through
 * privacy_scan_file().
 *
 * Each input is written to a temporary file and scanned. Invariants (trap
 * on violation):
 *  - the result is 0, 1 or -1; err is NUL-terminated;
 *  - a finding has a known kind and format, a NUL-terminated path shorter
 *    than GW_PRIVACY_PATH_MAX and a 64-digit lower-case hex hash;
 *  - neither the path nor err holds a run of 8 or more digits (a value
 *    never leaks: names are masked, line and column numbers stay short
 *    for inputs of fuzzing size);
 *  - scanning is deterministic: a second scan gives the same answer.
 * Seeds: tests/fuzz/corpus/privacy_scan (JSON, XML and CSV samples).
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_support.h"
#include "privacy_guard.h"

#define ERR_SIZE 1024

static int has_long_digit_run(const char *s) {
  size_t run = 0;
  for (; *s; s++) {
    run = (*s >= '0' && *s <= '9') ? run + 1 : 0;
    if (run >= 8)
      return 1;
  }
  return 0;
}

static int hex64(const char *s) {
  size_t n = 0;
  for (; s[n]; n++)
    if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
      return 0;
  return n == 64;
}

static void check_finding(const struct gw_privacy_finding *f) {
  if (strcmp(f->kind, "bsn") != 0 && strcmp(f->kind, "name") != 0 &&
      strcmp(f->kind, "birth_date") != 0)
    __builtin_trap();
  if (strcmp(f->format, "json") != 0 && strcmp(f->format, "xml") != 0 &&
      strcmp(f->format, "csv") != 0)
    __builtin_trap();
  if (!fuzz_terminated(f->path, sizeof f->path) || !f->path[0] ||
      has_long_digit_run(f->path))
    __builtin_trap();
  if (!fuzz_terminated(f->value_hash, sizeof f->value_hash) ||
      !hex64(f->value_hash))
    __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static struct gw_privacy_settings settings; /* zero salt is fine here */
  const char *path = fuzz_temp_path("privacy");
  struct gw_privacy_finding first, again;
  char err[ERR_SIZE], err2[ERR_SIZE];
  int rc, rc2;

  fuzz_write_file(path, data, size);
  memset(err, 'X', sizeof err);
  rc = privacy_scan_file(path, &settings, &first, err, sizeof err);
  if (rc < -1 || rc > 1 || !fuzz_terminated(err, sizeof err))
    __builtin_trap();
  if (rc == 1)
    check_finding(&first);
  if (rc == -1 && (!err[0] || has_long_digit_run(err + strlen(path))))
    __builtin_trap();
  rc2 = privacy_scan_file(path, &settings, &again, err2, sizeof err2);
  if (rc2 != rc ||
      (rc == 1 && (strcmp(first.path, again.path) != 0 ||
                   strcmp(first.value_hash, again.value_hash) != 0)))
    __builtin_trap();
  return 0;
}
