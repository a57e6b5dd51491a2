/* A shared object without gw_plugin_entry: not a gateway plugin. */
#include "gateway/plugin.h"

GW_PLUGIN_EXPORT int something_else(void);
int something_else(void) {
  return 42;
}
