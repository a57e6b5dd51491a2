/* A minimal well-formed plugin; compiled with different macros to make
 * plugins the loader must refuse (wrong ABI, truncated descriptor). */
#include "gateway/plugin.h"

#ifndef TEST_ABI
#define TEST_ABI GW_PLUGIN_ABI_VERSION
#endif
#ifndef TEST_SIZE
#define TEST_SIZE sizeof(struct gw_plugin_descriptor)
#endif

static const struct gw_config_key keys[] = {
    {"greeting", GW_CFG_STRING, 0, "hallo", "a harmless test key"},
    {"token", GW_CFG_STRING, GW_CFG_SECRET, NULL, "a secret test key"},
    {NULL, 0, 0, NULL, NULL}};

static gw_result test_init(const struct gw_host_api *host,
                           const struct gw_plugin_config *config, void **ctx) {
  (void)host;
  (void)config;
  *ctx = NULL;
  return GW_OK;
}

static gw_result test_run(void *ctx, struct gw_run *run) {
  (void)ctx;
  (void)run;
  return GW_OK;
}

static void test_destroy(void *ctx) {
  (void)ctx;
}

static const struct gw_plugin_descriptor descriptor = {.abi_version = TEST_ABI,
                                                       .size = TEST_SIZE,
                                                       .name = TEST_PLUGIN_NAME,
                                                       .version = "0.0.1",
                                                       .description =
                                                           "loader test plugin",
                                                       .config_keys = keys,
                                                       .init = test_init,
                                                       .run = test_run,
                                                       .destroy = test_destroy};

GW_PLUGIN_EXPORT const struct gw_plugin_descriptor *gw_plugin_entry(void);
const struct gw_plugin_descriptor *gw_plugin_entry(void) {
  return &descriptor;
}
