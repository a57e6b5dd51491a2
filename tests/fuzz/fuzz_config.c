/*
 * fuzz_config - libFuzzer harness for the configuration loader.
 *
 * The input is a config file: it is written to a per-process temp file and
 * loaded with config_load() (check_files 0, so no referenced file needs to
 * exist). A loaded config is then walked the way `gateway check` and error
 * reporting walk it: config_line_of() on fixed and input-derived paths,
 * config_find_source() and config_check_params() against the cbs_odata key
 * table. Invariants (trap on violation): a failed load leaves no config and
 * a non-empty, terminated message; a successful load leaves an empty or
 * terminated message; lines are never negative.
 * Seeds: tests/fuzz/corpus/config.
 */
#include <stdlib.h>
#include <string.h>

#include "cbs_odata.h"
#include "config.h"
#include "fuzz_support.h"

static const char *const fixed_paths[] = {
    "",
    "/",
    "/data_dir",
    "/tls/ca_file",
    "/audit",
    "/sources",
    "/sources/0",
    "/sources/0/params",
    "/sources/1/limits/max_bytes",
    "/exports/0/path",
    "/exports/99",
    "/sources/-1",
    "/a~1b/~0c",
    "/sources/0/params/areas/0",
};

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  /* The seeds name these secrets; set them so those loads get past the
   * secret checks into the rest of the validation. */
  if (setenv("GW_TEST_SIGNING_KEY", "fuzz-signing-key-0123456789", 1) != 0 ||
      setenv("GATEWAY_SIGNING_KEY", "fuzz-signing-key-abcdef", 1) != 0 ||
      setenv("SOURCE_API_TOKEN", "fuzz-token-42", 1) != 0)
    abort();
  return 0;
}

static void check_line(const struct gw_config *cfg, const char *path) {
  if (config_line_of(cfg, path) < 0)
    __builtin_trap();
}

static void walk(const struct gw_config *cfg) {
  char path[128];
  char err[GW_CONFIG_ERR_MAX];
  size_t i;
  int errors;

  for (i = 0; i < sizeof fixed_paths / sizeof fixed_paths[0]; i++)
    check_line(cfg, fixed_paths[i]);
  for (i = 0; i < cfg->source_count; i++) {
    const struct gw_source_config *src = &cfg->sources[i];
    if (text_format(path, sizeof path, "/sources/%zu/params", i) != 0)
      abort();
    check_line(cfg, path);
    if (src->id && config_find_source(cfg, src->id) == NULL)
      __builtin_trap(); /* a loaded source must be findable by its id */
    err[0] = '\0';
    errors =
        config_check_params(cfg, src, cbs_odata_config_keys, err, sizeof err);
    if (errors < 0 || (errors > 0 && !err[0]) ||
        !fuzz_terminated(err, sizeof err))
      __builtin_trap();
  }
  for (i = 0; i < cfg->export_count; i++) {
    if (text_format(path, sizeof path, "/exports/%zu/path", i) != 0)
      abort();
    check_line(cfg, path);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_temp_path("config");
  struct gw_config *cfg = NULL;
  char err[GW_CONFIG_ERR_MAX];

  fuzz_write_file(path, data, size);
  err[0] = '\0';
  if (config_load(path, 0, &cfg, err, sizeof err) != 0) {
    if (cfg || !err[0] || !fuzz_terminated(err, sizeof err))
      __builtin_trap();
    return 0;
  }
  if (!cfg || !fuzz_terminated(err, sizeof err))
    __builtin_trap();
  walk(cfg);
  config_free(cfg);
  return 0;
}
