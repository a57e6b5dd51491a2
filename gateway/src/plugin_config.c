#include "plugin_config.h"
#include "gw_alloc.h"
#include "text.h"
#include <string.h>

/* The opaque type of plugin.h. params is a private deep copy in which
 * secret values are already replaced by their resolved text. */
struct gw_plugin_config {
  const struct gw_config_key *keys;
  json_t *params;
  char *id;
  char *url;
};

static const struct gw_config_key *find_key(const struct gw_config_key *keys,
                                            const char *name) {
  size_t i;
  for (i = 0; keys && keys[i].name; i++) {
    if (strcmp(keys[i].name, name) == 0)
      return &keys[i];
  }
  return NULL;
}

static int resolve_secrets(struct gw_config *cfg,
                           const struct gw_source_config *src,
                           struct gw_plugin_config *pc, char *err,
                           size_t err_size) {
  size_t i;
  for (i = 0; pc->keys && pc->keys[i].name; i++) {
    const struct gw_config_key *k = &pc->keys[i];
    json_t *value = json_object_get(pc->params, k->name);
    char path[256];
    const char *secret;
    if (!(k->flags & GW_CFG_SECRET) || !value)
      continue;
    text_format(path, sizeof path, "sources[%s].params.%s", src->id, k->name);
    secret = config_resolve_secret(cfg, value, path, err, err_size);
    if (!secret ||
        json_object_set_new(pc->params, k->name, json_string(secret)) != 0)
      return -1;
  }
  return 0;
}

int plugin_config_new(struct gw_config *cfg, const struct gw_source_config *src,
                      const struct gw_config_key *keys,
                      struct gw_plugin_config **out, char *err,
                      size_t err_size) {
  struct gw_plugin_config *pc = gw_calloc(1, sizeof *pc);
  int rc = -1;
  if (!pc)
    goto oom;
  pc->keys = keys;
  pc->params = src->params ? json_deep_copy(src->params) : json_object();
  pc->id = gw_strdup(src->id);
  pc->url = gw_strdup(src->url);
  if (!pc->params || !pc->id || !pc->url)
    goto oom;
  if (resolve_secrets(cfg, src, pc, err, err_size) != 0)
    goto out;
  *out = pc;
  pc = NULL;
  rc = 0;
  goto out;
oom:
  text_copy(err, err_size, "out of memory building plugin config");
out:
  plugin_config_free(pc);
  return rc;
}

void plugin_config_free(struct gw_plugin_config *pc) {
  if (!pc)
    return;
  json_decref(pc->params);
  gw_free(pc->id);
  gw_free(pc->url);
  gw_free(pc);
}

const char *plugin_config_string(const struct gw_plugin_config *pc,
                                 const char *key) {
  const struct gw_config_key *k;
  json_t *v;
  if (!pc || !key)
    return NULL;
  if (strcmp(key, "id") == 0)
    return pc->id;
  if (strcmp(key, "url") == 0)
    return pc->url;
  k = find_key(pc->keys, key);
  if (!k)
    return NULL;
  v = json_object_get(pc->params, key);
  if (json_is_string(v))
    return json_string_value(v);
  return k->default_value;
}

int64_t plugin_config_int(const struct gw_plugin_config *pc, const char *key) {
  const struct gw_config_key *k = pc ? find_key(pc->keys, key) : NULL;
  json_t *v;
  int64_t n = 0;
  if (!k)
    return 0;
  v = json_object_get(pc->params, key);
  if (json_is_integer(v))
    return (int64_t)json_integer_value(v);
  if (k->default_value && text_parse_int64(k->default_value, &n) == 0)
    return n;
  return 0;
}

int plugin_config_bool(const struct gw_plugin_config *pc, const char *key) {
  const struct gw_config_key *k = pc ? find_key(pc->keys, key) : NULL;
  json_t *v;
  if (!k)
    return 0;
  v = json_object_get(pc->params, key);
  if (json_is_boolean(v))
    return json_is_true(v);
  return k->default_value && strcmp(k->default_value, "true") == 0;
}

size_t plugin_config_count(const struct gw_plugin_config *pc, const char *key) {
  json_t *v;
  if (!pc || !find_key(pc->keys, key))
    return 0;
  v = json_object_get(pc->params, key);
  if (json_is_object(v))
    return json_object_size(v);
  if (json_is_array(v))
    return json_array_size(v);
  return 0;
}

int plugin_config_entry(const struct gw_plugin_config *pc, const char *key,
                        size_t i, const char **name, const char **value) {
  json_t *v;
  if (name)
    *name = NULL;
  if (value)
    *value = NULL;
  if (!pc || !find_key(pc->keys, key))
    return -1;
  v = json_object_get(pc->params, key);
  if (json_is_array(v)) {
    json_t *item = json_array_get(v, i);
    if (!json_is_string(item))
      return -1;
    if (value)
      *value = json_string_value(item);
    return 0;
  }
  if (json_is_object(v)) {
    /* jansson iterates in insertion order, so index i is stable. */
    void *it = json_object_iter(v);
    size_t n = 0;
    for (; it; it = json_object_iter_next(v, it), n++) {
      if (n != i)
        continue;
      if (!json_is_string(json_object_iter_value(it)))
        return -1;
      if (name)
        *name = json_object_iter_key(it);
      if (value)
        *value = json_string_value(json_object_iter_value(it));
      return 0;
    }
  }
  return -1;
}
