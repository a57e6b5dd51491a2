/*
 * fuzz_catalogue - libFuzzer harness for the indicator catalogue loader.
 *
 * The input is an indicators.json: it is written to a per-process temp
 * file and loaded with catalogue_load(). A loaded catalogue is queried the
 * way the normaliser and exports query it. Invariants (trap on violation):
 *  - a failed load leaves no catalogue and a non-empty, terminated message;
 *  - every indicator has id, code, title and a known unit, and
 *    catalogue_find(id) returns that very indicator;
 *  - every source mapping declared in the input (re-read here with
 *    jansson) is found by catalogue_lookup() with the same plugin and code
 *    and points at the indicator that declared it;
 *  - lookups of unknown codes and NULL arguments return NULL.
 * Seeds: tests/fuzz/corpus/catalogue.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "fuzz_support.h"
#include "normaliser.h"

/* 64 bytes: the loader refuses plugin names this long (GW_ID_MAX - 1). */
#define LONGER_THAN_ANY_PLUGIN_NAME                                            \
  "cbs_odata_cbs_odata_cbs_odata_cbs_odata_cbs_odata_cbs_odata_cbs_"

static void check_indicators(const struct gw_catalogue *cat) {
  size_t i, n = catalogue_count(cat);
  for (i = 0; i < n; i++) {
    const struct gw_indicator *ind = catalogue_at(cat, i);
    if (!ind || !ind->id || !ind->id[0] || !ind->code || !ind->title ||
        !ind->unit || !unit_is_known(ind->unit))
      __builtin_trap();
    if (catalogue_find(cat, ind->id) != ind)
      __builtin_trap();
  }
  if (catalogue_at(cat, n) != NULL)
    __builtin_trap();
}

static void check_mapping(const struct gw_catalogue *cat, const char *id,
                          const json_t *src) {
  const char *plugin = json_string_value(json_object_get(src, "plugin"));
  const char *dataset = json_string_value(json_object_get(src, "dataset"));
  const char *code = json_string_value(json_object_get(src, "code"));
  const struct gw_source_mapping *m;
  size_t i;

  if (!plugin || !dataset || !code)
    __builtin_trap(); /* the loader accepted a mapping without them */
  m = catalogue_lookup(cat, plugin, dataset, code);
  if (!m || strcmp(m->plugin, plugin) != 0 || strcmp(m->code, code) != 0 ||
      strcmp(m->dataset, dataset) != 0 || strcmp(m->indicator, id) != 0)
    __builtin_trap();
  if (m->breakdown_count > 0 && !m->breakdown)
    __builtin_trap();
  for (i = 0; i < m->breakdown_count; i++) {
    if (!m->breakdown[i].dimension || !m->breakdown[i].member)
      __builtin_trap();
  }
}

/* Re-reads the input to learn which mappings it declares. */
static void check_declared_mappings(const struct gw_catalogue *cat,
                                    const uint8_t *data, size_t size) {
  json_t *root =
      json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
  json_t *entry, *src;
  size_t i, j;

  if (!root)
    __builtin_trap(); /* the loader parsed it */
  json_array_foreach(json_object_get(root, "indicators"), i, entry) {
    const char *id = json_string_value(json_object_get(entry, "id"));
    if (!id || !catalogue_find(cat, id))
      __builtin_trap();
    json_array_foreach(json_object_get(entry, "sources"), j, src)
        check_mapping(cat, id, src);
  }
  json_decref(root);
}

static void check_misses(const struct gw_catalogue *cat) {
  if (catalogue_find(cat, "") || catalogue_find(cat, NULL) ||
      catalogue_lookup(cat, NULL, "90001NED", "Eenzaam") ||
      catalogue_lookup(cat, "cbs_odata", "90001NED", NULL) ||
      catalogue_lookup(cat, LONGER_THAN_ANY_PLUGIN_NAME, "x", "y"))
    __builtin_trap();
  /* real-world queries: any answer is fine, they must not crash */
  (void)catalogue_lookup(cat, "cbs_odata", "90001NED", "Bijstandsuitkeringen");
  (void)catalogue_lookup(cat, "cbs_odata", NULL, "Roker");
  (void)catalogue_lookup(cat, "cbs_odata", "50120NED", "ZwareDrinker");
  (void)catalogue_find(cat, "bijstand_per_10k");
  (void)catalogue_find(cat, "zzzzzzzz");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_temp_path("catalogue");
  struct gw_catalogue *cat = NULL;
  char err[1024];

  fuzz_write_file(path, data, size);
  if (catalogue_load(path, &cat, err, sizeof err) != 0) {
    if (cat || !err[0] || !fuzz_terminated(err, sizeof err))
      __builtin_trap();
    return 0;
  }
  if (!cat || catalogue_count(cat) == 0)
    __builtin_trap();
  check_indicators(cat);
  check_declared_mappings(cat, data, size);
  check_misses(cat);
  catalogue_free(cat);
  return 0;
}
