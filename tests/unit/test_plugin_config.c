/* The params a plugin sees: declared keys only, defaults for absent keys,
 * map/list iteration in file order, secrets resolved (never the literal). */
#include "config.h"
#include "plugin_config.h"
#include "test_support.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct gw_config_key keys[] = {
    {"table", GW_CFG_STRING, 0, "90001NED", "table id"},
    {"max_pages", GW_CFG_INT, 0, "100", "loop guard"},
    {"typed", GW_CFG_BOOL, 0, "true", "typed data set"},
    {"names", GW_CFG_STRING_MAP, 0, NULL, "dimension names"},
    {"topics", GW_CFG_STRING_LIST, 0, NULL, "topics"},
    {"apikey", GW_CFG_STRING, GW_CFG_SECRET, NULL, "key"},
    {NULL, 0, 0, NULL, NULL}};

static struct gw_config *load(const char *params) {
  const char *dir = ts_mkdtemp();
  char text[2048], err[GW_CONFIG_ERR_MAX] = "";
  struct gw_config *cfg = NULL;
  snprintf(text, sizeof text,
           "{\"data_dir\": \"%s\", \"sources\": [{\"id\": \"s\", \"plugin\": "
           "\"p\", \"url\": \"https://example.org/x\", \"params\": %s}]}",
           dir, params);
  cr_assert_eq(ts_write_file(ts_path(dir, "gw.json"), text), 0);
  cr_assert_eq(config_load(ts_path(dir, "gw.json"), 0, &cfg, err, sizeof err),
               0, "%s", err);
  return cfg;
}

Test(plugin_config, values_defaults_and_generic_keys) {
  struct gw_config *cfg = load("{\"max_pages\": 7, \"topics\": [\"A\", "
                               "\"B\"], \"names\": {\"Leeftijd\": \"age\", "
                               "\"Geslacht\": \"sex\"}}");
  struct gw_plugin_config *pc = NULL;
  const char *name, *value;
  char err[512] = ""; /* config_check_params appends */
  cr_assert_eq(
      config_check_params(cfg, &cfg->sources[0], keys, err, sizeof err), 0,
      "%s", err);
  cr_assert_eq(
      plugin_config_new(cfg, &cfg->sources[0], keys, &pc, err, sizeof err), 0,
      "%s", err);
  cr_assert_str_eq(plugin_config_string(pc, "table"), "90001NED");
  cr_assert_eq(plugin_config_int(pc, "max_pages"), 7);
  cr_assert_eq(plugin_config_bool(pc, "typed"), 1);
  cr_assert_str_eq(plugin_config_string(pc, "id"), "s");
  cr_assert_str_eq(plugin_config_string(pc, "url"), "https://example.org/x");
  cr_assert_null(plugin_config_string(pc, "undeclared"));
  cr_assert_eq(plugin_config_count(pc, "topics"), 2);
  cr_assert_eq(plugin_config_entry(pc, "topics", 1, &name, &value), 0);
  cr_assert_null(name);
  cr_assert_str_eq(value, "B");
  cr_assert_eq(plugin_config_count(pc, "names"), 2);
  cr_assert_eq(plugin_config_entry(pc, "names", 1, &name, &value), 0);
  cr_assert_str_eq(name, "Geslacht");
  cr_assert_str_eq(value, "sex");
  cr_assert_eq(plugin_config_entry(pc, "names", 2, &name, &value), -1);
  plugin_config_free(pc);
  config_free(cfg);
}

Test(plugin_config, secret_from_environment) {
  struct gw_config *cfg;
  struct gw_plugin_config *pc = NULL;
  char err[512] = "";
  setenv("GW_TEST_APIKEY", "s3cr3t-value", 1);
  cfg = load("{\"apikey\": \"${GW_TEST_APIKEY}\"}");
  cr_assert_eq(
      plugin_config_new(cfg, &cfg->sources[0], keys, &pc, err, sizeof err), 0,
      "%s", err);
  cr_assert_str_eq(plugin_config_string(pc, "apikey"), "s3cr3t-value");
  plugin_config_free(pc);
  config_free(cfg);
}

Test(plugin_config, unset_secret_is_an_error_naming_the_variable) {
  struct gw_config *cfg;
  struct gw_plugin_config *pc = NULL;
  char err[512] = "";
  unsetenv("GW_TEST_UNSET_KEY");
  cfg = load("{\"apikey\": \"${GW_TEST_UNSET_KEY}\"}");
  cr_assert_eq(
      plugin_config_new(cfg, &cfg->sources[0], keys, &pc, err, sizeof err), -1);
  cr_assert(strstr(err, "GW_TEST_UNSET_KEY") != NULL, "%s", err);
  cr_assert_null(pc);
  config_free(cfg);
}
