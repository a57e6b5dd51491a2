/*
 * fuzz_targets - libFuzzer harness for the targets file loader
 * (targets_load), the municipality's begroot figures for the monitor.
 *
 * The real catalogue (GW_DEFAULT_SCHEMA_DIR/indicators.json) is loaded
 * once; each input is a targets file, written to a per-process temp file.
 * Invariants (trap on violation):
 *  - a failed load leaves no targets and a non-empty, terminated message
 *    that names the file;
 *  - a loaded file has a municipality, and every entry a catalogue
 *    indicator, a four-digit year, exactly one of value and marker (a
 *    finite value or a known marker), a breakdown that is one of the
 *    indicator's members ({} for a single-row indicator);
 *  - targets_find() finds every entry by its own key, and that key only
 *    once (duplicates are refused).
 * Seeds: tests/fuzz/corpus/targets.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "fuzz_support.h"
#include "targets.h"

static struct gw_catalogue *catalogue;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  char err[1024];
  (void)argc;
  (void)argv;
  if (catalogue_load(GW_DEFAULT_SCHEMA_DIR "/indicators.json", &catalogue, err,
                     sizeof err) != 0)
    abort(); /* the shipped catalogue must load */
  return 0;
}

static int known_marker(const char *m) {
  return strcmp(m, "NB") == 0 || strcmp(m, "n.n.b.") == 0 ||
         strcmp(m, "N.v.t.") == 0 || strcmp(m, "-") == 0;
}

static int is_member(const struct gw_indicator *ind,
                     const struct gw_target *e) {
  size_t i, n = catalogue_member_count(catalogue, ind);
  if (n == 0)
    return e->count == 0;
  for (i = 0; i < n; i++) {
    const struct gw_breakdown_member *m =
        catalogue_member_at(catalogue, ind, i);
    if (breakdown_items_equal(m->items, m->count, e->items, e->count))
      return 1;
  }
  return 0;
}

static void check_entry(const struct gw_targets *t, const struct gw_target *e) {
  const struct gw_indicator *ind = catalogue_find(catalogue, e->indicator);
  size_t k;
  if (!ind || !is_member(ind, e))
    __builtin_trap();
  if (strlen(e->year) != 4)
    __builtin_trap();
  for (k = 0; k < 4; k++) {
    if (e->year[k] < '0' || e->year[k] > '9')
      __builtin_trap();
  }
  if (e->has_value == (e->marker != NULL))
    __builtin_trap();
  if (e->has_value && !isfinite(e->value))
    __builtin_trap();
  if (e->marker && !known_marker(e->marker))
    __builtin_trap();
  if (targets_find(t, e->indicator, e->items, e->count, e->year) != e)
    __builtin_trap(); /* the first match must be this very entry */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_temp_path("targets");
  struct gw_targets *t = NULL;
  char err[1024];
  size_t i;

  fuzz_write_file(path, data, size);
  if (targets_load(path, catalogue, &t, err, sizeof err) != 0) {
    if (t || !err[0] || !fuzz_terminated(err, sizeof err) || !strstr(err, path))
      __builtin_trap();
    return 0;
  }
  if (!t || !targets_municipality(t) ||
      strncmp(targets_municipality(t), "GM", 2) != 0)
    __builtin_trap();
  for (i = 0; i < targets_count(t); i++)
    check_entry(t, targets_at(t, i));
  if (targets_at(t, targets_count(t)) != NULL)
    __builtin_trap();
  (void)targets_find_werkelijk(t, "stadspas_houders", NULL, 0, "2020");
  targets_free(t);
  return 0;
}
