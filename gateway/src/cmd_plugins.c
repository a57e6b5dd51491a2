/*
 * cmd_plugins.c - `gateway plugins [-v]`: what is loaded, what was refused.
 */
#include "app.h"
#include "commands.h"
#include <stdio.h>
#include <string.h>

static const char plugins_usage[] =
    "Usage: gateway [--config FILE] [--json] plugins [-v]\n"
    "\n"
    "Lists every plugin in plugin_dir with its name, version, ABI version\n"
    "and file, and every refused plugin with the reason (wrong ABI, missing\n"
    "entry symbol, a dependency that cannot be loaded). -v also lists each\n"
    "plugin's configuration keys.\n";

static const char *type_name(gw_config_type t) {
  switch (t) {
  case GW_CFG_STRING:
    return "string";
  case GW_CFG_INT:
    return "integer";
  case GW_CFG_BOOL:
    return "boolean";
  case GW_CFG_STRING_MAP:
    return "map of strings";
  case GW_CFG_STRING_LIST:
    return "list of strings";
  }
  return "?";
}

static json_t *keys_json(const struct gw_config_key *keys) {
  json_t *arr = json_array();
  size_t i;
  for (i = 0; arr && keys && keys[i].name; i++)
    json_array_append_new(
        arr, json_pack("{s:s, s:s, s:b, s:b, s:s?, s:s?}", "name", keys[i].name,
                       "type", type_name(keys[i].type), "required",
                       (keys[i].flags & GW_CFG_REQUIRED) != 0, "secret",
                       (keys[i].flags & GW_CFG_SECRET) != 0, "default",
                       keys[i].default_value, "help", keys[i].help));
  return arr;
}

static void print_keys(const struct gw_config_key *keys) {
  size_t i;
  for (i = 0; keys && keys[i].name; i++)
    printf("      %-18s %-16s %s%s%s%s\n", keys[i].name,
           type_name(keys[i].type), keys[i].help ? keys[i].help : "",
           (keys[i].flags & GW_CFG_REQUIRED) ? " [required]" : "",
           (keys[i].flags & GW_CFG_SECRET) ? " [secret]" : "",
           keys[i].default_value ? "" : "");
}

int cmd_plugins(const struct gw_cli *cli, int argc, char **argv) {
  struct gw_app app = {.json_output = cli->json};
  json_t *out = NULL;
  int verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
  size_t i;
  if (cli_wants_help(argc, argv)) {
    fputs(plugins_usage, stdout);
    return GW_EXIT_OK;
  }
  if (app_open(&app, cli->config_path, GW_APP_PLUGINS) != 0)
    return GW_EXIT_USAGE;
  out = json_array();
  if (!cli->json)
    printf("%-16s %-10s %-4s %s\n", "NAME", "VERSION", "ABI", "FILE");
  for (i = 0; i < app.plugins->count; i++) {
    const struct gw_loaded_plugin *p = &app.plugins->items[i];
    if (cli->json) {
      json_array_append_new(
          out,
          p->desc
              ? json_pack("{s:s, s:s, s:i, s:s, s:s, s:s?, s:o}", "name",
                          p->desc->name, "version", p->desc->version, "abi",
                          (int)p->desc->abi_version, "path", p->path, "sha256",
                          p->sha256, "description", p->desc->description,
                          "config_keys", keys_json(p->desc->config_keys))
              : json_pack("{s:s, s:s}", "path", p->path, "refused",
                          p->refusal));
      continue;
    }
    if (!p->desc) {
      printf("%-16s %-10s %-4s %s\n  refused: %s\n", "-", "-", "-", p->path,
             p->refusal);
      continue;
    }
    printf("%-16s %-10s %-4u %s\n", p->desc->name, p->desc->version,
           p->desc->abi_version, p->path);
    if (verbose) {
      if (p->desc->description)
        printf("    %s\n", p->desc->description);
      printf("    sha256 %s\n    params:\n", p->sha256);
      print_keys(p->desc->config_keys);
    }
  }
  if (cli->json) {
    json_dumpf(out, stdout, JSON_INDENT(2));
    printf("\n");
  }
  json_decref(out);
  app_close(&app);
  return GW_EXIT_OK;
}
