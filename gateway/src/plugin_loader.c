#include "plugin_loader.h"
#include "gw_alloc.h"
#include "text.h"
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REFUSAL_MAX 1024

static int refuse(struct gw_loaded_plugin *out, const char *reason) {
  char msg[REFUSAL_MAX];
  text_format(msg, sizeof msg, "plugin %s refused: %s", out->path, reason);
  gw_free(out->refusal);
  out->refusal = gw_strdup(msg);
  if (out->handle)
    dlclose(out->handle);
  out->handle = NULL;
  out->desc = NULL;
  return -1;
}

static const char *config_type_ok(gw_config_type t) {
  switch (t) {
  case GW_CFG_STRING:
  case GW_CFG_INT:
  case GW_CFG_BOOL:
  case GW_CFG_STRING_MAP:
  case GW_CFG_STRING_LIST:
    return NULL;
  }
  return "has an unknown type";
}

/* The key table is data the host trusts for validation, so check it as
 * strictly as the plugin's code pointers. */
static int check_key_table(const struct gw_config_key *keys, char *why,
                           size_t why_size) {
  size_t i, j;
  if (!keys)
    return 0;
  for (i = 0; keys[i].name; i++) {
    const char *bad = config_type_ok(keys[i].type);
    if (!keys[i].name[0])
      bad = "has an empty name";
    for (j = 0; !bad && j < i; j++) {
      if (strcmp(keys[i].name, keys[j].name) == 0)
        bad = "is declared twice";
    }
    if (!bad && (keys[i].flags & ~(GW_CFG_REQUIRED | GW_CFG_SECRET)))
      bad = "has unknown flags";
    if (bad) {
      text_format(why, why_size, "config key %zu (\"%s\") %s", i, keys[i].name,
                  bad);
      return -1;
    }
    if (i > 256) {
      text_copy(why, why_size, "config key table is not terminated");
      return -1;
    }
  }
  return 0;
}

static int vet_descriptor(struct gw_loaded_plugin *out,
                          const struct gw_plugin_descriptor *d) {
  char why[512];
  if (!d)
    return refuse(out, GW_PLUGIN_ENTRY_SYMBOL "() returned NULL");
  if (d->abi_version != GW_PLUGIN_ABI_VERSION) {
    text_format(why, sizeof why,
                "built for plugin ABI %u, but this gateway speaks ABI %u; "
                "rebuild the plugin against this gateway's plugin.h",
                d->abi_version, GW_PLUGIN_ABI_VERSION);
    return refuse(out, why);
  }
  if (d->size < GW_PLUGIN_DESCRIPTOR_MIN_SIZE) {
    text_format(why, sizeof why,
                "descriptor is %u bytes, smaller than the %zu this gateway "
                "needs (a truncated or foreign struct)",
                d->size, (size_t)GW_PLUGIN_DESCRIPTOR_MIN_SIZE);
    return refuse(out, why);
  }
  if (!d->name || !d->name[0] || !d->version)
    return refuse(out, "descriptor has no name or version");
  if (!d->init || !d->run || !d->destroy)
    return refuse(out, "descriptor lacks an init, run or destroy callback");
  if (check_key_table(d->config_keys, why, sizeof why) != 0)
    return refuse(out, why);
  out->desc = d;
  return 0;
}

int plugin_load_file(const char *path, struct gw_loaded_plugin *out) {
  char why[REFUSAL_MAX];
  union {
    void *object;
    gw_plugin_entry_fn fn;
  } entry; /* dlsym returns void*; the union avoids an ISO C cast warning */
  memset(out, 0, sizeof *out);
  out->path = gw_strdup(path);
  if (!out->path)
    return -1;
  if (sha256_file_hex(path, out->sha256, NULL) != 0) {
    /* errno says whether it was the file or memory (ENOMEM) */
    text_format(why, sizeof why, "cannot be read: %s", strerror(errno));
    return refuse(out, why);
  }
  dlerror();
  out->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!out->handle) {
    text_format(why, sizeof why,
                "cannot be loaded: %s (a library it depends on is missing "
                "or incompatible; `ldd %s` shows which)",
                dlerror(), path);
    return refuse(out, why);
  }
  dlerror();
  entry.object = dlsym(out->handle, GW_PLUGIN_ENTRY_SYMBOL);
  if (!entry.object) {
    const char *e = dlerror();
    text_format(why, sizeof why,
                "has no " GW_PLUGIN_ENTRY_SYMBOL " symbol (%s); is it a "
                "gateway plugin?",
                e ? e : "symbol is NULL");
    return refuse(out, why);
  }
  return vet_descriptor(out, entry.fn());
}

void plugin_unload(struct gw_loaded_plugin *p) {
  if (!p)
    return;
  if (p->handle)
    dlclose(p->handle);
  gw_free(p->path);
  gw_free(p->refusal);
  memset(p, 0, sizeof *p);
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collect "*.so" names in dir, sorted so the load order is reproducible. */
static int list_plugin_files(const char *dir, char ***names_out,
                             size_t *count_out, char *err, size_t err_size) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char **names = NULL;
  size_t count = 0, cap = 0;
  int rc = -1;
  if (!d) {
    text_format(err, err_size, "plugin directory %s: %s", dir, strerror(errno));
    return -1;
  }
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' || !text_ends_with(e->d_name, ".so"))
      continue;
    if (count == cap) {
      size_t ncap = cap ? cap * 2 : 8;
      char **grown = gw_realloc(names, ncap * sizeof *names);
      if (!grown)
        goto out;
      names = grown;
      cap = ncap;
    }
    names[count] = gw_strdup(e->d_name);
    if (!names[count])
      goto out;
    count++;
  }
  if (count)
    qsort(names, count, sizeof *names, compare_names);
  *names_out = names;
  *count_out = count;
  names = NULL;
  count = 0;
  rc = 0;
out:
  if (rc != 0)
    text_format(err, err_size, "plugin directory %s: out of memory", dir);
  while (count > 0)
    gw_free(names[--count]);
  gw_free(names);
  closedir(d);
  return rc;
}

int plugin_registry_load(const char *dir, struct gw_plugin_registry **out,
                         char *err, size_t err_size) {
  struct gw_plugin_registry *reg = NULL;
  char **names = NULL;
  size_t count = 0, i;
  int rc = -1;
  if (list_plugin_files(dir, &names, &count, err, err_size) != 0)
    return -1;
  reg = gw_calloc(1, sizeof *reg);
  if (!reg || (count && !(reg->items = gw_calloc(count, sizeof *reg->items)))) {
    text_copy(err, err_size, "out of memory loading plugins");
    goto out;
  }
  for (i = 0; i < count; i++) {
    char path[4096];
    struct gw_loaded_plugin *p = &reg->items[reg->count];
    if (text_format(path, sizeof path, "%s/%s", dir, names[i]) != 0)
      continue;
    plugin_load_file(path, p);
    if (!p->path) {
      text_copy(err, err_size, "out of memory loading plugins");
      goto out;
    }
    reg->count++;
    if (p->desc && plugin_registry_find(reg, p->desc->name) != p) {
      char why[256];
      text_format(why, sizeof why,
                  "its name \"%s\" is already used by another plugin",
                  p->desc->name);
      refuse(p, why);
    }
  }
  *out = reg;
  reg = NULL;
  rc = 0;
out:
  plugin_registry_free(reg);
  for (i = 0; i < count; i++)
    gw_free(names[i]);
  gw_free(names);
  return rc;
}

void plugin_registry_free(struct gw_plugin_registry *reg) {
  size_t i;
  if (!reg)
    return;
  for (i = 0; i < reg->count; i++)
    plugin_unload(&reg->items[i]);
  gw_free(reg->items);
  gw_free(reg);
}

const struct gw_loaded_plugin *
plugin_registry_find(const struct gw_plugin_registry *reg, const char *name) {
  size_t i;
  if (!reg || !name)
    return NULL;
  for (i = 0; i < reg->count; i++) {
    const struct gw_loaded_plugin *p = &reg->items[i];
    if (p->desc && strcmp(p->desc->name, name) == 0)
      return p;
  }
  return NULL;
}
