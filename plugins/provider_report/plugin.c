/*
 * plugin.c - the exported descriptor of the provider report plugin.
 * Everything else lives in the provider_report_impl library, which unit
 * tests and fuzzers link directly.
 */
#include "provider_report.h"

GW_PLUGIN_EXPORT const struct gw_plugin_descriptor *gw_plugin_entry(void);

static const struct gw_plugin_descriptor descriptor = {
    .abi_version = GW_PLUGIN_ABI_VERSION,
    .size = sizeof(struct gw_plugin_descriptor),
    .name = "provider_report",
    .version = "1.0.0",
    .description = "Aggregated reports of welfare and care providers (XML or "
                   "JSON, schemas/provider-report.*), checked whole before "
                   "anything is stored",
    .config_keys = provider_report_config_keys,
    .init = provider_report_init,
    .run = provider_report_run,
    .destroy = provider_report_destroy,
};

GW_PLUGIN_EXPORT const struct gw_plugin_descriptor *gw_plugin_entry(void) {
  return &descriptor;
}
