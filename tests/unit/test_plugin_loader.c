/* The loader accepts a well-formed plugin and refuses each kind of broken
 * one with a message that names the file and the reason. */
#include "plugin_loader.h"
#include "test_support.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static const char *plugin_path(const char *name) {
  static char buf[4096];
  snprintf(buf, sizeof buf, "%s/%s.so", GW_TEST_PLUGIN_DIR, name);
  return buf;
}

Test(plugin_loader, accepts_a_wellformed_plugin) {
  struct gw_loaded_plugin p;
  cr_assert_eq(plugin_load_file(plugin_path("good"), &p), 0, "%s",
               p.refusal ? p.refusal : "");
  cr_assert_str_eq(p.desc->name, "good");
  cr_assert_str_eq(p.desc->version, "0.0.1");
  cr_assert_eq(p.desc->abi_version, GW_PLUGIN_ABI_VERSION);
  cr_assert_eq(strlen(p.sha256), 64);
  cr_assert_null(p.refusal);
  plugin_unload(&p);
}

static void assert_refused(const char *name, const char *needle) {
  struct gw_loaded_plugin p;
  cr_assert_eq(plugin_load_file(plugin_path(name), &p), -1);
  cr_assert_null(p.desc);
  cr_assert_not_null(p.refusal);
  cr_assert(strstr(p.refusal, plugin_path(name)) != NULL,
            "refusal names the file: %s", p.refusal);
  cr_assert(strstr(p.refusal, needle) != NULL, "expected '%s' in: %s", needle,
            p.refusal);
  plugin_unload(&p);
}

Test(plugin_loader, refuses_a_wrong_abi) {
  assert_refused("bad_abi", "built for plugin ABI 999");
}

Test(plugin_loader, refuses_a_truncated_descriptor) {
  assert_refused("too_small", "descriptor is 8 bytes");
}

Test(plugin_loader, refuses_a_file_without_entry_symbol) {
  assert_refused("no_entry", "has no gw_plugin_entry symbol");
}

Test(plugin_loader, refuses_a_plugin_with_a_missing_dependency) {
  assert_refused("missing_dep", "libgwtest_dep.so");
  assert_refused("missing_dep", "ldd");
}

Test(plugin_loader, refuses_a_file_that_does_not_exist) {
  assert_refused("does_not_exist", "cannot be read");
}

Test(plugin_loader, registry_lists_loaded_and_refused) {
  struct gw_plugin_registry *reg = NULL;
  char err[256];
  size_t i, loaded = 0, refused = 0;
  cr_assert_eq(plugin_registry_load(GW_TEST_PLUGIN_DIR, &reg, err, sizeof err),
               0, "%s", err);
  for (i = 0; i < reg->count; i++) {
    if (reg->items[i].desc)
      loaded++;
    else
      refused++;
  }
  cr_assert_eq(loaded, 1);
  cr_assert_eq(refused, 4);
  cr_assert_not_null(plugin_registry_find(reg, "good"));
  cr_assert_null(plugin_registry_find(reg, "bad_abi"));
  cr_assert_null(plugin_registry_find(reg, "nope"));
  plugin_registry_free(reg);
}

Test(plugin_loader, registry_reports_an_unreadable_directory) {
  struct gw_plugin_registry *reg = NULL;
  char err[256] = "";
  cr_assert_eq(
      plugin_registry_load("/nonexistent/plugins", &reg, err, sizeof err), -1);
  cr_assert(strstr(err, "/nonexistent/plugins") != NULL, "%s", err);
}
