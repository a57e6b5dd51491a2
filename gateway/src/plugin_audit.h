/*
 * plugin_audit.h - plugin_load records in the exchange log, so auditors can
 * tie every figure to the exact plugin binary (by SHA-256) that parsed it.
 */
#ifndef GW_PLUGIN_AUDIT_H
#define GW_PLUGIN_AUDIT_H
#include <stddef.h>
#include "app.h"

/* One plugin_load record per distinct plugin the given sources use.
 * Prints its own error; 0, or -1 when a record could not be written (no
 * log, no exchange: the caller must not run the sources). */
int plugin_audit_log_loads(struct gw_app *app,
                           const struct gw_source_config *const *sources,
                           size_t count);

#endif
