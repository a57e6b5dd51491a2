/*
 * plugin.c - the exported descriptor of the Swing Open Data Service plugin.
 * Everything else lives in the swing_ods_impl library (context.c and the
 * flow/parsing files), which unit tests and fuzzers link directly.
 */
#include "swing_ods.h"

GW_PLUGIN_EXPORT const struct gw_plugin_descriptor *gw_plugin_entry(void);

static const struct gw_plugin_descriptor descriptor = {
    .abi_version = GW_PLUGIN_ABI_VERSION,
    .size = sizeof(struct gw_plugin_descriptor),
    .name = "swing_ods",
    .version = "1.0.0",
    .description = "Swing Open Data Service (OData v4 JSON) behind "
                   "waarstaatjegemeente.nl and other Swing instances",
    .config_keys = swing_ods_config_keys,
    .init = swing_ods_init,
    .run = swing_ods_run,
    .destroy = swing_ods_destroy,
};

GW_PLUGIN_EXPORT const struct gw_plugin_descriptor *gw_plugin_entry(void) {
  return &descriptor;
}
