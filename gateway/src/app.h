/*
 * app.h - the process-wide pieces one command works with: config,
 * catalogue, store, exchange log and plugins, opened in that order and
 * closed in reverse. Commands open only what they need.
 */
#ifndef GW_APP_H
#define GW_APP_H
#include "catalogue.h"
#include "config.h"
#include "exchange_log.h"
#include "plugin_loader.h"
#include "store.h"

struct gw_app {
  struct gw_config *cfg;
  struct gw_catalogue *catalogue;
  struct gw_store *store;
  struct gw_xlog *xlog;
  struct gw_plugin_registry *plugins;
  int json_output; /* --json */
};

#define GW_APP_CATALOGUE 0x1u
#define GW_APP_STORE 0x2u
#define GW_APP_XLOG 0x4u
#define GW_APP_PLUGINS 0x8u

/* config_path NULL: $GATEWAY_CONFIG, else built-in defaults. Prints its own
 * errors to stderr. 0 or -1. */
int app_open(struct gw_app *app, const char *config_path, unsigned parts);
void app_close(struct gw_app *app);

/* Append an exchange-log record built by the caller (adds resource and
 * processing activity). 0 or -1 (err). */
int app_log_record(struct gw_app *app, json_t *record, char *err,
                   size_t err_size);

#endif
