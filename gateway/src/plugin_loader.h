/*
 * plugin_loader.h - finding, loading and vetting source plugins (DESIGN 3).
 *
 * A plugin is a shared object exporting gw_plugin_entry(). The loader
 * refuses, with a message that says which file and why:
 *  - a file dlopen() cannot load (typically a missing dependency: the
 *    dynamic linker's own words are quoted, with an ldd hint);
 *  - no gw_plugin_entry symbol, or an entry returning NULL;
 *  - a different ABI version, or a descriptor smaller than the host needs;
 *  - a missing name or callback, a malformed config-key table, or a name
 *    that another plugin already uses.
 * Refused plugins are kept in the registry with their reason so
 * `gateway plugins` can show them.
 */
#ifndef GW_PLUGIN_LOADER_H
#define GW_PLUGIN_LOADER_H
#include <stddef.h>
#include "digest.h"
#include "gateway/plugin.h"

struct gw_loaded_plugin {
  char *path;
  void *handle;                            /* NULL when refused */
  const struct gw_plugin_descriptor *desc; /* NULL when refused */
  char sha256[GW_SHA256_HEX_SIZE];         /* of the .so file */
  char *refusal;                           /* NULL when loaded */
};

struct gw_plugin_registry {
  struct gw_loaded_plugin *items;
  size_t count;
};

/* Load one file. Returns 0 when loaded; -1 when refused (out->refusal
 * says why; out->path is set either way). */
int plugin_load_file(const char *path, struct gw_loaded_plugin *out);
void plugin_unload(struct gw_loaded_plugin *p);

/* Load every *.so in dir (sorted by name). Refusals do not fail the call;
 * -1 only when dir cannot be read (err). */
int plugin_registry_load(const char *dir, struct gw_plugin_registry **out,
                         char *err, size_t err_size);
void plugin_registry_free(struct gw_plugin_registry *reg);
/* The loaded (not refused) plugin with that name, or NULL. */
const struct gw_loaded_plugin *
plugin_registry_find(const struct gw_plugin_registry *reg, const char *name);

#endif
