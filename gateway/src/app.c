#include "app.h"
#include "audit_keys.h"
#include "diag.h"
#include "fsutil.h"
#include "gw_alloc.h"
#include "text.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int open_config(struct gw_app *app, const char *path) {
  static char err[GW_CONFIG_ERR_MAX];
  const char *env = getenv("GATEWAY_CONFIG");
  int rc;
  if (!path && env && *env)
    path = env;
  err[0] = '\0';
  rc = path ? config_load(path, 0, &app->cfg, err, sizeof err)
            : config_default(&app->cfg, err, sizeof err);
  if (rc != 0)
    fprintf(stderr, "%s%s", err,
            err[0] && err[strlen(err) - 1] == '\n' ? "" : "\n");
  return rc;
}

static int open_store(struct gw_app *app) {
  char path[4096], err[GW_ERR_MAX];
  if (fs_mkdirs(app->cfg->data_dir, 0750, err, sizeof err) != 0) {
    fprintf(stderr, "gateway: data_dir: %s\n", err);
    return -1;
  }
  if (text_format(path, sizeof path, "%s/gateway.db", app->cfg->data_dir) !=
      0) {
    fprintf(stderr, "gateway: data_dir %s: path too long\n",
            app->cfg->data_dir);
    return -1;
  }
  if (store_open(path, &app->store, err, sizeof err) != 0) {
    fprintf(stderr, "gateway: %s\n", err);
    return -1;
  }
  return 0;
}

static int open_xlog(struct gw_app *app) {
  struct gw_xlog_options opts;
  char err[1024];
  err[0] = '\0';
  audit_xlog_options(app->cfg, &opts);
  if (xlog_open_with(app->cfg->audit_path, &opts, &app->xlog, err,
                     sizeof err) != 0) {
    fprintf(stderr, "gateway: %s\n", err);
    return -1;
  }
  /* Opened, but refusing appends (a torn or damaged last record): say so
   * now rather than at the first exchange. */
  if (err[0])
    diag(GW_LOG_WARN, "%s", err);
  return 0;
}

static int open_plugins(struct gw_app *app) {
  char err[1024];
  size_t i;
  if (plugin_registry_load(app->cfg->plugin_dir, &app->plugins, err,
                           sizeof err) != 0) {
    fprintf(stderr, "gateway: %s\n", err);
    return -1;
  }
  for (i = 0; i < app->plugins->count; i++) {
    const struct gw_loaded_plugin *p = &app->plugins->items[i];
    if (p->refusal)
      diag(GW_LOG_WARN, "%s", p->refusal);
  }
  return 0;
}

static int open_catalogue(struct gw_app *app) {
  char err[1024];
  if (catalogue_load(app->cfg->catalogue, &app->catalogue, err, sizeof err) !=
      0) {
    fprintf(stderr, "gateway: %s\n", err);
    return -1;
  }
  return 0;
}

int app_open(struct gw_app *app, const char *config_path, unsigned parts) {
  int json_output = app->json_output;
  memset(app, 0, sizeof *app);
  app->json_output = json_output;
  if (open_config(app, config_path) != 0)
    goto fail;
  if ((parts & GW_APP_CATALOGUE) && open_catalogue(app) != 0)
    goto fail;
  if ((parts & GW_APP_STORE) && open_store(app) != 0)
    goto fail;
  if ((parts & GW_APP_XLOG) && open_xlog(app) != 0)
    goto fail;
  if ((parts & GW_APP_PLUGINS) && open_plugins(app) != 0)
    goto fail;
  return 0;
fail:
  app_close(app);
  return -1;
}

void app_close(struct gw_app *app) {
  plugin_registry_free(app->plugins);
  xlog_close(app->xlog);
  store_close(app->store);
  catalogue_free(app->catalogue);
  config_free(app->cfg);
  app->plugins = NULL;
  app->xlog = NULL;
  app->store = NULL;
  app->catalogue = NULL;
  app->cfg = NULL;
}

int app_log_record(struct gw_app *app, json_t *record, char *err,
                   size_t err_size) {
  json_t *resource, *attributes;
  if (!app->xlog) {
    text_copy(err, err_size, "exchange log is not open");
    return -1;
  }
  resource = json_pack("{s:s, s:s}", "service.name", "indicator-gateway",
                       "service.version", GW_VERSION);
  attributes = json_object();
  if (!resource || !attributes)
    goto oom;
  if (app->cfg && app->cfg->processing_activity_id &&
      json_object_set_new(attributes, "dpl.core.processing_activity_id",
                          json_string(app->cfg->processing_activity_id)) != 0)
    goto oom;
  if (json_object_set_new(record, "resource", resource) != 0) {
    resource = NULL;
    goto oom;
  }
  resource = NULL;
  if (json_object_set_new(record, "attributes", attributes) != 0) {
    attributes = NULL;
    goto oom;
  }
  return xlog_append(app->xlog, record, err, err_size);
oom:
  json_decref(resource);
  json_decref(attributes);
  text_copy(err, err_size, "out of memory building an exchange-log record");
  return -1;
}
