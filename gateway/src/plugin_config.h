/*
 * plugin_config.h - the host side of struct gw_plugin_config: one source's
 * validated params, with secrets resolved, served to the plugin through
 * the accessor functions of the host table.
 */
#ifndef GW_PLUGIN_CONFIG_H
#define GW_PLUGIN_CONFIG_H
#include <stddef.h>
#include <stdint.h>
#include "config.h"

/* Build from a source's params, checked against keys (config_check_params
 * must have passed). Owns copies of everything; 0 or -1 (err). */
int plugin_config_new(struct gw_config *cfg, const struct gw_source_config *src,
                      const struct gw_config_key *keys,
                      struct gw_plugin_config **out, char *err,
                      size_t err_size);
void plugin_config_free(struct gw_plugin_config *pc);

const char *plugin_config_string(const struct gw_plugin_config *pc,
                                 const char *key);
int64_t plugin_config_int(const struct gw_plugin_config *pc, const char *key);
int plugin_config_bool(const struct gw_plugin_config *pc, const char *key);
size_t plugin_config_count(const struct gw_plugin_config *pc, const char *key);
int plugin_config_entry(const struct gw_plugin_config *pc, const char *key,
                        size_t i, const char **name, const char **value);

#endif
