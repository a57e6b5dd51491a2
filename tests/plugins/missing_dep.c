/* A plugin whose shared-library dependency cannot be found at load time. */
#include "gateway/plugin.h"

int gwtest_dep_value(void);

GW_PLUGIN_EXPORT const struct gw_plugin_descriptor *gw_plugin_entry(void);
const struct gw_plugin_descriptor *gw_plugin_entry(void) {
  /* Never reached: loading fails before the entry could be called. */
  return gwtest_dep_value() == 7 ? (const struct gw_plugin_descriptor *)0
                                 : (const struct gw_plugin_descriptor *)0;
}
