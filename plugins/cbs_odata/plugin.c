/*
 * plugin.c - the exported descriptor of the CBS StatLine OData plugin.
 * Everything else lives in the cbs_odata_impl library (context.c and the
 * protocol/parsing files), which unit tests and fuzzers link directly.
 */
#include "cbs_odata.h"

GW_PLUGIN_EXPORT const struct gw_plugin_descriptor *gw_plugin_entry(void);

static const struct gw_plugin_descriptor descriptor = {
    .abi_version = GW_PLUGIN_ABI_VERSION,
    .size = sizeof(struct gw_plugin_descriptor),
    .name = "cbs_odata",
    .version = "1.0.0",
    .description = "CBS StatLine OData v3 (opendata/dataderden, incl. RIVM "
                   "health monitor) and v4 (datasets.cbs.nl) tables",
    .config_keys = cbs_odata_config_keys,
    .init = cbs_odata_init,
    .run = cbs_odata_run,
    .destroy = cbs_odata_destroy,
};

GW_PLUGIN_EXPORT const struct gw_plugin_descriptor *gw_plugin_entry(void) {
  return &descriptor;
}
