/*
 * plugin.c - the exported descriptor of the csv_export plugin. Everything
 * else lives in the csv_export_impl library, which unit tests and fuzzers
 * link directly.
 */
#include "csv_export.h"

GW_PLUGIN_EXPORT const struct gw_plugin_descriptor *gw_plugin_entry(void);

static const struct gw_plugin_descriptor descriptor = {
    .abi_version = GW_PLUGIN_ABI_VERSION,
    .size = sizeof(struct gw_plugin_descriptor),
    .name = "csv_export",
    .version = "1.0.0",
    .description = "CSV file exports (waarstaatjegemeente/Swing download and "
                   "bulk layout, GGD tables, spreadsheets saved as CSV), "
                   "streamed",
    .config_keys = csvx_config_keys,
    .init = csv_export_init,
    .run = csv_export_run,
    .destroy = csv_export_destroy,
};

GW_PLUGIN_EXPORT const struct gw_plugin_descriptor *gw_plugin_entry(void) {
  return &descriptor;
}
