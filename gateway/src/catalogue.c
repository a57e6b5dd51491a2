/*
 * catalogue.c - loading, validating and querying schemas/indicators.json.
 *
 * The JSON document is only read during catalogue_load(): every string the
 * catalogue hands out is copied into an arena owned by the catalogue, so
 * the parsed tree is released straight away and lookups never touch
 * jansson. Mappings are kept sorted by (plugin, dataset, code) so the
 * per-row lookup of the normaliser is a binary search.
 */
#include "catalogue.h"

#include <jansson.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gw_alloc.h"
#include "normaliser.h"
#include "observation.h"
#include "text.h"

#define ARENA_CHUNK 8192
#define WILDCARD_DATASET "*"
/* Limits that keep every catalogue string inside the fixed observation
 * fields it is copied into later. */
#define CODE_TEXT_MAX 1024
#define TITLE_TEXT_MAX 4096

struct arena_chunk {
  struct arena_chunk *next;
  size_t used, size;
  alignas(max_align_t) unsigned char data[];
};

/* What the catalogue keeps per indicator beyond struct gw_indicator. */
struct indicator_extra {
  struct gw_breakdown_member *members;
  size_t member_count;
  struct gw_reference_row *references;
  size_t reference_count;
};

struct gw_catalogue {
  struct gw_indicator *indicators; /* in file order */
  struct indicator_extra *extras;  /* parallel to indicators */
  size_t count;
  struct gw_goal *goals; /* in file order */
  size_t goal_count;
  const struct gw_indicator **by_id;  /* sorted by id */
  struct gw_source_mapping *mappings; /* sorted by (plugin, dataset, code) */
  size_t mapping_count;
  struct arena_chunk *arena;
};

/* State of one load, so that error messages can name file and place. */
struct loader {
  const char *path;
  char *err;
  size_t err_size;
  struct gw_catalogue *cat;
  size_t mapping_fill;
};

/* ---- arena --------------------------------------------------------- */

static void *arena_alloc(struct gw_catalogue *cat, size_t size) {
  const size_t align = alignof(max_align_t);
  struct arena_chunk *chunk = cat->arena;
  size_t offset;
  void *p;

  if (size > SIZE_MAX - align)
    return NULL;
  if (chunk) {
    offset = (chunk->used + align - 1) / align * align;
    if (offset <= chunk->size && chunk->size - offset >= size) {
      p = chunk->data + offset;
      chunk->used = offset + size;
      return p;
    }
  }
  {
    size_t cap = size > ARENA_CHUNK ? size : ARENA_CHUNK;
    chunk = gw_malloc(sizeof *chunk + cap);
    if (!chunk)
      return NULL;
    chunk->next = cat->arena;
    chunk->size = cap;
    chunk->used = size;
    cat->arena = chunk;
    return chunk->data;
  }
}

static const char *arena_strdup(struct gw_catalogue *cat, const char *s) {
  size_t len = strlen(s);
  char *copy = arena_alloc(cat, len + 1);
  if (copy)
    memcpy(copy, s, len + 1);
  return copy;
}

/* ---- errors -------------------------------------------------------- */

static void fail(struct loader *ld, const char *fmt, ...) GW_PRINTF_LIKE(2, 3);

/* Writes "<path>: <message>". A cut message is still a useful message, so
 * the truncation result is deliberately ignored. */
static void fail(struct loader *ld, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  if (!ld->err || ld->err_size == 0)
    return;
  va_start(ap, fmt);
  (void)vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  (void)text_format(ld->err, ld->err_size, "%s: %s", ld->path, msg);
}

static void fail_oom(struct loader *ld) {
  fail(ld, "out of memory while loading the catalogue");
}

/* ---- field readers -------------------------------------------------- */

/* Context of a message: indicators[i] ("id"). */
struct place {
  size_t index;
  const char *id; /* may be NULL while the id itself is being read */
};

static void fail_field(struct loader *ld, const struct place *at,
                       const char *field, const char *what) {
  if (at->id)
    fail(ld, "indicators[%zu] (\"%.64s\"): field \"%s\": %s", at->index, at->id,
         field, what);
  else
    fail(ld, "indicators[%zu]: field \"%s\": %s", at->index, field, what);
}

static int is_slug(const char *s) {
  size_t i;
  if (!(s[0] >= 'a' && s[0] <= 'z'))
    return 0;
  for (i = 1; s[i]; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
      return 0;
  }
  return 1;
}

/* A required (or, with optional, possibly absent) non-empty string of at
 * most max_len bytes, copied into the arena when out is non-NULL (fields
 * the C API does not expose are only validated). *out stays NULL when the
 * field is absent. */
static int read_string(struct loader *ld, const struct place *at, json_t *obj,
                       const char *field, size_t max_len, int optional,
                       int allow_empty, const char **out) {
  json_t *v = json_object_get(obj, field);
  const char *s;
  char what[128];

  if (out)
    *out = NULL;
  if (!v) {
    if (optional)
      return 0;
    fail_field(ld, at, field, "missing (expected a string)");
    return -1;
  }
  if (!json_is_string(v)) {
    fail_field(ld, at, field, "expected a string");
    return -1;
  }
  s = json_string_value(v);
  if (strlen(s) != json_string_length(v)) {
    fail_field(ld, at, field, "contains a NUL character");
    return -1;
  }
  if (!allow_empty && s[0] == '\0') {
    fail_field(ld, at, field, "empty (expected a non-empty string)");
    return -1;
  }
  if (strlen(s) > max_len) {
    (void)text_format(what, sizeof what, "too long (%zu bytes, at most %zu)",
                      strlen(s), max_len);
    fail_field(ld, at, field, what);
    return -1;
  }
  if (!out)
    return 0;
  *out = arena_strdup(ld->cat, s);
  if (!*out) {
    fail_oom(ld);
    return -1;
  }
  return 0;
}

static int check_keys(struct loader *ld, const struct place *at, json_t *obj,
                      const char *where, const char *const *allowed) {
  const char *key;
  json_t *value;
  size_t i;
  json_object_foreach(obj, key, value) {
    int known = 0;
    (void)value;
    for (i = 0; allowed[i]; i++)
      known = known || strcmp(key, allowed[i]) == 0;
    if (!known) {
      char what[160];
      (void)text_format(what, sizeof what,
                        "unknown key \"%.64s\" (a typo? see "
                        "indicators.schema.json)",
                        key);
      fail_field(ld, at, where, what);
      return -1;
    }
  }
  return 0;
}

/* {"dim": "member", ...} with non-empty strings. Counts items; when items
 * is non-NULL also copies them (in the object's key order). */
static int read_breakdown(struct loader *ld, const struct place *at,
                          json_t *obj, const char *field,
                          struct gw_breakdown_item *items, size_t *count) {
  const char *key;
  json_t *value;
  size_t n = 0;

  if (!json_is_object(obj)) {
    fail_field(ld, at, field, "expected an object of dimension -> member");
    return -1;
  }
  json_object_foreach(obj, key, value) {
    if (key[0] == '\0' || !json_is_string(value) ||
        json_string_value(value)[0] == '\0') {
      fail_field(ld, at, field,
                 "every dimension and member must be a non-empty string");
      return -1;
    }
    /* The same limits as an observation's breakdown, so a mapping can never
     * produce rows that are all rejected later. */
    if (strlen(key) >= GW_ID_MAX || json_string_length(value) >= GW_CODE_MAX) {
      fail_field(ld, at, field,
                 "dimension longer than 63 or member longer than 127 bytes");
      return -1;
    }
    if (items) {
      items[n].dimension = arena_strdup(ld->cat, key);
      items[n].member = arena_strdup(ld->cat, json_string_value(value));
      if (!items[n].dimension || !items[n].member) {
        fail_oom(ld);
        return -1;
      }
    }
    n++;
  }
  *count = n;
  return 0;
}

static int compare_items(const void *a, const void *b) {
  const struct gw_breakdown_item *x = a, *y = b;
  return strcmp(x->dimension, y->dimension);
}

/* A breakdown object copied into the arena, sorted by dimension, so the
 * monitor can compare members item by item. Empty objects give count 0. */
static int copy_breakdown(struct loader *ld, const struct place *at,
                          json_t *obj, const char *field,
                          const struct gw_breakdown_item **items,
                          size_t *count) {
  struct gw_breakdown_item *copy = NULL;
  size_t n = 0;
  *items = NULL;
  *count = 0;
  if (read_breakdown(ld, at, obj, field, NULL, &n) != 0)
    return -1;
  if (n == 0)
    return 0;
  copy = arena_alloc(ld->cat, n * sizeof *copy);
  if (!copy) {
    fail_oom(ld);
    return -1;
  }
  if (read_breakdown(ld, at, obj, field, copy, &n) != 0)
    return -1;
  qsort(copy, n, sizeof *copy, compare_items);
  *items = copy;
  *count = n;
  return 0;
}

/* ---- indicator entries --------------------------------------------- */

static const char *const indicator_keys[] = {"id",
                                             "code",
                                             "title",
                                             "unit",
                                             "goal",
                                             "mandatory",
                                             "likely_source",
                                             "preferred_plugin",
                                             "area",
                                             "breakdown_members",
                                             "sources",
                                             "reference",
                                             "note",
                                             NULL};
static const char *const source_keys[] = {
    "plugin", "dataset", "code", "breakdown", "monitor_breakdown", NULL};
static const char *const member_keys[] = {"breakdown", "title", NULL};
static const char *const reference_keys[] = {"breakdown",      "werkelijk_2020",
                                             "werkelijk_2021", "begroot_2022",
                                             "begroot_2023",   NULL};

static int optional_array(struct loader *ld, const struct place *at,
                          json_t *entry, const char *field, json_t **out) {
  *out = json_object_get(entry, field);
  if (*out && !json_is_array(*out)) {
    fail_field(ld, at, field, "expected an array");
    return -1;
  }
  return 0;
}

static int read_members(struct loader *ld, const struct place *at,
                        json_t *members, struct indicator_extra *extra) {
  size_t i;
  json_t *m;
  char field[64];
  extra->members = arena_alloc(ld->cat, (json_array_size(members) + 1) *
                                            sizeof *extra->members);
  if (!extra->members) {
    fail_oom(ld);
    return -1;
  }
  json_array_foreach(members, i, m) {
    struct gw_breakdown_member *out = &extra->members[i];
    (void)text_format(field, sizeof field, "breakdown_members[%zu]", i);
    if (!json_is_object(m)) {
      fail_field(ld, at, field, "expected an object {breakdown, title}");
      return -1;
    }
    if (check_keys(ld, at, m, field, member_keys) != 0 ||
        copy_breakdown(ld, at, json_object_get(m, "breakdown"), field,
                       &out->items, &out->count) != 0 ||
        read_string(ld, at, m, "title", TITLE_TEXT_MAX, 0, 0, &out->title) != 0)
      return -1;
    if (out->count == 0) {
      fail_field(ld, at, field, "breakdown is empty");
      return -1;
    }
    extra->member_count = i + 1;
  }
  return 0;
}

static int read_reference(struct loader *ld, const struct place *at,
                          json_t *reference, struct indicator_extra *extra) {
  size_t i;
  json_t *r;
  char field[64];
  extra->references = arena_alloc(ld->cat, (json_array_size(reference) + 1) *
                                               sizeof *extra->references);
  if (!extra->references) {
    fail_oom(ld);
    return -1;
  }
  json_array_foreach(reference, i, r) {
    struct gw_reference_row *out = &extra->references[i];
    (void)text_format(field, sizeof field, "reference[%zu]", i);
    if (!json_is_object(r)) {
      fail_field(ld, at, field, "expected an object");
      return -1;
    }
    /* Values are kept verbatim ("68,6", "NB"), so only the type matters. */
    if (check_keys(ld, at, r, field, reference_keys) != 0 ||
        copy_breakdown(ld, at, json_object_get(r, "breakdown"), field,
                       &out->items, &out->count) != 0 ||
        read_string(ld, at, r, "werkelijk_2020", TITLE_TEXT_MAX, 0, 1,
                    &out->werkelijk_2020) != 0 ||
        read_string(ld, at, r, "werkelijk_2021", TITLE_TEXT_MAX, 0, 1,
                    &out->werkelijk_2021) != 0 ||
        read_string(ld, at, r, "begroot_2022", TITLE_TEXT_MAX, 0, 1,
                    &out->begroot_2022) != 0 ||
        read_string(ld, at, r, "begroot_2023", TITLE_TEXT_MAX, 0, 1,
                    &out->begroot_2023) != 0)
      return -1;
    extra->reference_count = i + 1;
  }
  return 0;
}

/* 1 when the mapping's fixed breakdown equals one of the members. */
static int breakdown_is_member(json_t *fixed, json_t *members) {
  size_t i;
  json_t *m;
  json_array_foreach(members, i, m) {
    if (json_equal(json_object_get(m, "breakdown"), fixed))
      return 1;
  }
  return 0;
}

/* "monitor_breakdown": members the source adds beyond the indicator's own,
 * which must not collide with the mapping's fixed members. */
static int read_monitor_breakdown(struct loader *ld, const struct place *at,
                                  json_t *src, const char *field,
                                  struct gw_source_mapping *m) {
  json_t *extra = json_object_get(src, "monitor_breakdown");
  size_t i, j;
  if (!extra)
    return 0;
  if (copy_breakdown(ld, at, extra, field, &m->monitor_breakdown,
                     &m->monitor_breakdown_count) != 0)
    return -1;
  if (m->monitor_breakdown_count == 0) {
    fail_field(ld, at, field,
               "monitor_breakdown is empty (leave it out instead)");
    return -1;
  }
  for (i = 0; i < m->monitor_breakdown_count; i++) {
    for (j = 0; j < m->breakdown_count; j++) {
      if (strcmp(m->monitor_breakdown[i].dimension,
                 m->breakdown[j].dimension) == 0) {
        fail_field(ld, at, field,
                   "monitor_breakdown repeats a dimension of breakdown");
        return -1;
      }
    }
  }
  return 0;
}

static int read_source(struct loader *ld, const struct place *at,
                       const struct gw_indicator *ind, json_t *src, size_t j,
                       json_t *members) {
  struct gw_source_mapping *m = &ld->cat->mappings[ld->mapping_fill];
  json_t *fixed;
  char field[64];
  size_t n = 0;
  char what[160];

  (void)text_format(field, sizeof field, "sources[%zu]", j);
  if (!json_is_object(src)) {
    fail_field(ld, at, field, "expected an object {plugin, dataset, code}");
    return -1;
  }
  if (check_keys(ld, at, src, field, source_keys) != 0)
    return -1;
  if (read_string(ld, at, src, "plugin", GW_ID_MAX - 1, 0, 0, &m->plugin) ||
      read_string(ld, at, src, "dataset", GW_DATASET_MAX - 1, 0, 0,
                  &m->dataset) ||
      read_string(ld, at, src, "code", GW_CODE_MAX - 1, 0, 0, &m->code))
    return -1;
  m->indicator = ind->id;
  fixed = json_object_get(src, "breakdown");
  if (fixed) {
    if (read_breakdown(ld, at, fixed, field, NULL, &n) != 0)
      return -1;
    if (n == 0) {
      fail_field(ld, at, field, "breakdown is empty (leave it out instead)");
      return -1;
    }
    /* A mapping that adds a member must add one the indicator declares,
     * or its figures would land in a breakdown nobody reports on. */
    if (json_array_size(members) > 0 && !breakdown_is_member(fixed, members)) {
      (void)text_format(what, sizeof what,
                        "breakdown of code \"%.64s\" is not one of the "
                        "indicator's breakdown_members",
                        m->code);
      fail_field(ld, at, field, what);
      return -1;
    }
    m->breakdown = arena_alloc(ld->cat, n * sizeof *m->breakdown);
    if (!m->breakdown) {
      fail_oom(ld);
      return -1;
    }
    if (read_breakdown(ld, at, fixed, field,
                       (struct gw_breakdown_item *)m->breakdown,
                       &m->breakdown_count) != 0)
      return -1;
  }
  if (read_monitor_breakdown(ld, at, src, field, m) != 0)
    return -1;
  ld->mapping_fill++;
  return 0;
}

static int read_indicator(struct loader *ld, size_t index, json_t *entry) {
  struct gw_indicator *ind = &ld->cat->indicators[index];
  struct place at = {index, NULL};
  json_t *mandatory, *members, *sources, *reference, *src;
  char what[256];
  size_t j;

  if (!json_is_object(entry)) {
    fail(ld, "indicators[%zu]: expected an object", index);
    return -1;
  }
  if (read_string(ld, &at, entry, "id", GW_ID_MAX - 1, 0, 0, &ind->id) != 0)
    return -1;
  if (!is_slug(ind->id)) {
    (void)text_format(what, sizeof what,
                      "\"%.64s\" is not a slug (expected lower-case "
                      "letters, digits and '_', starting with a letter)",
                      ind->id);
    fail_field(ld, &at, "id", what);
    return -1;
  }
  at.id = ind->id;
  if (check_keys(ld, &at, entry, "(object)", indicator_keys) != 0 ||
      read_string(ld, &at, entry, "code", CODE_TEXT_MAX, 0, 0, &ind->code) ||
      read_string(ld, &at, entry, "title", TITLE_TEXT_MAX, 0, 0, &ind->title) ||
      read_string(ld, &at, entry, "unit", GW_UNIT_MAX - 1, 0, 0, &ind->unit) ||
      read_string(ld, &at, entry, "goal", CODE_TEXT_MAX, 0, 0, &ind->goal) ||
      read_string(ld, &at, entry, "likely_source", CODE_TEXT_MAX, 0, 0,
                  &ind->likely_source) ||
      read_string(ld, &at, entry, "preferred_plugin", GW_ID_MAX - 1, 1, 0,
                  &ind->preferred_plugin) ||
      read_string(ld, &at, entry, "area", GW_AREA_MAX - 1, 1, 0, &ind->area) ||
      read_string(ld, &at, entry, "note", TITLE_TEXT_MAX, 1, 1, &ind->note))
    return -1;
  if (!ind->note)
    ind->note = "";
  if (!unit_is_known(ind->unit)) {
    (void)text_format(what, sizeof what,
                      "unknown unit \"%s\" (expected count, percent, "
                      "per_1000, per_10000, days, euro or per_week)",
                      ind->unit);
    fail_field(ld, &at, "unit", what);
    return -1;
  }
  mandatory = json_object_get(entry, "mandatory");
  if (!json_is_boolean(mandatory)) {
    fail_field(ld, &at, "mandatory", "expected true or false");
    return -1;
  }
  ind->mandatory = json_is_true(mandatory);

  if (optional_array(ld, &at, entry, "breakdown_members", &members) ||
      optional_array(ld, &at, entry, "sources", &sources) ||
      optional_array(ld, &at, entry, "reference", &reference))
    return -1;
  if ((members &&
       read_members(ld, &at, members, &ld->cat->extras[index]) != 0) ||
      (reference &&
       read_reference(ld, &at, reference, &ld->cat->extras[index]) != 0))
    return -1;
  if (sources) {
    json_array_foreach(sources, j, src) {
      if (read_source(ld, &at, ind, src, j, members) != 0)
        return -1;
    }
  }
  return 0;
}

/* ---- sorting and lookup -------------------------------------------- */

static int compare_key(const char *plugin_a, const char *dataset_a,
                       const char *code_a, const char *plugin_b,
                       const char *dataset_b, const char *code_b) {
  int c = strcmp(plugin_a, plugin_b);
  if (c == 0)
    c = strcmp(dataset_a, dataset_b);
  if (c == 0)
    c = strcmp(code_a, code_b);
  return c;
}

static int compare_mappings(const void *a, const void *b) {
  const struct gw_source_mapping *x = a, *y = b;
  return compare_key(x->plugin, x->dataset, x->code, y->plugin, y->dataset,
                     y->code);
}

static int compare_ids(const void *a, const void *b) {
  const struct gw_indicator *const *x = a, *const *y = b;
  return strcmp((*x)->id, (*y)->id);
}

static int check_unique_ids(struct loader *ld) {
  struct gw_catalogue *cat = ld->cat;
  size_t i;
  for (i = 0; i < cat->count; i++)
    cat->by_id[i] = &cat->indicators[i];
  qsort(cat->by_id, cat->count, sizeof *cat->by_id, compare_ids);
  for (i = 1; i < cat->count; i++) {
    if (strcmp(cat->by_id[i - 1]->id, cat->by_id[i]->id) == 0) {
      fail(ld,
           "indicators[%zu] and indicators[%zu]: field \"id\": \"%s\" "
           "is used twice (ids must be unique)",
           (size_t)(cat->by_id[i - 1] - cat->indicators),
           (size_t)(cat->by_id[i] - cat->indicators), cat->by_id[i]->id);
      return -1;
    }
  }
  return 0;
}

static int check_unique_mappings(struct loader *ld) {
  struct gw_catalogue *cat = ld->cat;
  size_t i;
  qsort(cat->mappings, cat->mapping_count, sizeof *cat->mappings,
        compare_mappings);
  for (i = 1; i < cat->mapping_count; i++) {
    const struct gw_source_mapping *a = &cat->mappings[i - 1],
                                   *b = &cat->mappings[i];
    if (compare_mappings(a, b) == 0) {
      fail(ld,
           "source (plugin \"%s\", dataset \"%s\", code \"%s\") is "
           "mapped twice: by \"%s\" and by \"%s\"",
           a->plugin, a->dataset, a->code, a->indicator, b->indicator);
      return -1;
    }
  }
  return 0;
}

static size_t count_mappings(json_t *indicators) {
  size_t i, n = 0;
  json_t *entry;
  json_array_foreach(indicators, i, entry) {
    json_t *sources = json_object_get(entry, "sources");
    if (json_is_array(sources))
      n += json_array_size(sources);
  }
  return n;
}

static int read_header(struct loader *ld, json_t *root, json_t **indicators) {
  json_t *version, *municipality;
  const char *key;
  json_t *value;

  if (!json_is_object(root)) {
    fail(ld, "expected a JSON object at the top level");
    return -1;
  }
  json_object_foreach(root, key, value) {
    (void)value;
    if (strcmp(key, "version") != 0 && strcmp(key, "municipality") != 0 &&
        strcmp(key, "goals") != 0 && strcmp(key, "indicators") != 0) {
      fail(ld,
           "unknown top-level key \"%.64s\" (expected version, "
           "municipality, goals, indicators)",
           key);
      return -1;
    }
  }
  version = json_object_get(root, "version");
  if (!json_is_integer(version) || json_integer_value(version) != 1) {
    fail(ld, "field \"version\": expected 1");
    return -1;
  }
  municipality = json_object_get(root, "municipality");
  if (municipality && !json_is_string(municipality)) {
    fail(ld, "field \"municipality\": expected a string such as \"GM0384\"");
    return -1;
  }
  *indicators = json_object_get(root, "indicators");
  if (!json_is_array(*indicators) || json_array_size(*indicators) == 0) {
    fail(ld, "field \"indicators\": expected a non-empty array");
    return -1;
  }
  return 0;
}

/* "goals": [{"goal": "3", "title": "..."}], optional, each goal once. */
static int read_goals(struct loader *ld, json_t *root) {
  static const char *const goal_keys[] = {"goal", "title", NULL};
  json_t *goals = json_object_get(root, "goals"), *g;
  size_t i, j;
  if (!goals)
    return 0;
  if (!json_is_array(goals)) {
    fail(ld, "field \"goals\": expected an array of {goal, title}");
    return -1;
  }
  ld->cat->goals = arena_alloc(ld->cat, (json_array_size(goals) + 1) *
                                            sizeof *ld->cat->goals);
  if (!ld->cat->goals) {
    fail_oom(ld);
    return -1;
  }
  json_array_foreach(goals, i, g) {
    struct gw_goal *out = &ld->cat->goals[i];
    json_t *goal = json_object_get(g, "goal"),
           *title = json_object_get(g, "title");
    const char *key;
    json_t *value;
    if (!json_is_object(g) || !json_is_string(goal) || !json_is_string(title) ||
        json_string_length(goal) == 0 || json_string_length(title) == 0 ||
        strlen(json_string_value(title)) != json_string_length(title) ||
        strlen(json_string_value(goal)) != json_string_length(goal)) {
      fail(ld,
           "goals[%zu]: expected {\"goal\": \"3\", \"title\": \"...\"} "
           "with non-empty strings",
           i);
      return -1;
    }
    json_object_foreach(g, key, value) {
      (void)value;
      if (strcmp(key, goal_keys[0]) != 0 && strcmp(key, goal_keys[1]) != 0) {
        fail(ld, "goals[%zu]: unknown key \"%.64s\" (expected goal, title)", i,
             key);
        return -1;
      }
    }
    out->goal = arena_strdup(ld->cat, json_string_value(goal));
    out->title = arena_strdup(ld->cat, json_string_value(title));
    if (!out->goal || !out->title) {
      fail_oom(ld);
      return -1;
    }
    for (j = 0; j < i; j++) {
      if (strcmp(ld->cat->goals[j].goal, out->goal) == 0) {
        fail(ld, "goals[%zu]: goal \"%.64s\" is listed twice", i, out->goal);
        return -1;
      }
    }
    ld->cat->goal_count = i + 1;
  }
  return 0;
}

int catalogue_load(const char *path, struct gw_catalogue **out, char *err,
                   size_t err_size) {
  struct loader ld = {path ? path : "(null)", err, err_size, NULL, 0};
  json_error_t jerr;
  json_t *root = NULL, *indicators, *entry;
  size_t i;
  int rc = -1;

  if (err && err_size)
    err[0] = '\0';
  if (!out || !path) {
    fail(&ld, "catalogue_load: no path or output given");
    goto out;
  }
  *out = NULL;
  root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
  if (!root) {
    fail(&ld, "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
    goto out;
  }
  if (read_header(&ld, root, &indicators) != 0)
    goto out;
  ld.cat = gw_calloc(1, sizeof *ld.cat);
  if (!ld.cat) {
    fail_oom(&ld);
    goto out;
  }
  ld.cat->count = json_array_size(indicators);
  ld.cat->mapping_count = count_mappings(indicators);
  ld.cat->indicators = gw_calloc(ld.cat->count, sizeof *ld.cat->indicators);
  ld.cat->extras = gw_calloc(ld.cat->count, sizeof *ld.cat->extras);
  ld.cat->by_id = gw_calloc(ld.cat->count, sizeof *ld.cat->by_id);
  ld.cat->mappings =
      gw_calloc(ld.cat->mapping_count ? ld.cat->mapping_count : 1,
                sizeof *ld.cat->mappings);
  if (!ld.cat->indicators || !ld.cat->extras || !ld.cat->by_id ||
      !ld.cat->mappings) {
    fail_oom(&ld);
    goto out;
  }
  if (read_goals(&ld, root) != 0)
    goto out;
  json_array_foreach(indicators, i, entry) {
    if (read_indicator(&ld, i, entry) != 0)
      goto out;
  }
  if (check_unique_ids(&ld) != 0 || check_unique_mappings(&ld) != 0)
    goto out;
  *out = ld.cat;
  ld.cat = NULL;
  rc = 0;
out:
  catalogue_free(ld.cat);
  json_decref(root);
  return rc;
}

void catalogue_free(struct gw_catalogue *cat) {
  struct arena_chunk *chunk, *next;
  if (!cat)
    return;
  for (chunk = cat->arena; chunk; chunk = next) {
    next = chunk->next;
    gw_free(chunk);
  }
  gw_free(cat->indicators);
  gw_free(cat->extras);
  gw_free(cat->by_id);
  gw_free(cat->mappings);
  gw_free(cat);
}

size_t catalogue_count(const struct gw_catalogue *cat) {
  return cat ? cat->count : 0;
}

const struct gw_indicator *catalogue_at(const struct gw_catalogue *cat,
                                        size_t i) {
  return cat && i < cat->count ? &cat->indicators[i] : NULL;
}

const struct gw_indicator *catalogue_find(const struct gw_catalogue *cat,
                                          const char *id) {
  size_t lo = 0, hi;
  if (!cat || !id)
    return NULL;
  hi = cat->count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(id, cat->by_id[mid]->id);
    if (c == 0)
      return cat->by_id[mid];
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return NULL;
}

static const struct gw_source_mapping *
find_mapping(const struct gw_catalogue *cat, const char *plugin,
             const char *dataset, const char *code) {
  size_t lo = 0, hi = cat->mapping_count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const struct gw_source_mapping *m = &cat->mappings[mid];
    int c = compare_key(plugin, dataset, code, m->plugin, m->dataset, m->code);
    if (c == 0)
      return m;
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return NULL;
}

/* An exact (plugin, dataset, code) mapping wins over a "*" one, so a
 * catalogue can map a code for every table of a plugin and still override
 * it for one table. */
const struct gw_source_mapping *catalogue_lookup(const struct gw_catalogue *cat,
                                                 const char *plugin,
                                                 const char *dataset,
                                                 const char *code) {
  const struct gw_source_mapping *m = NULL;
  if (!cat || !plugin || !code)
    return NULL;
  if (dataset)
    m = find_mapping(cat, plugin, dataset, code);
  if (!m)
    m = find_mapping(cat, plugin, WILDCARD_DATASET, code);
  return m;
}

/* ---- monitor accessors ---------------------------------------------- */

size_t catalogue_goal_count(const struct gw_catalogue *cat) {
  return cat ? cat->goal_count : 0;
}

const struct gw_goal *catalogue_goal_at(const struct gw_catalogue *cat,
                                        size_t i) {
  return cat && i < cat->goal_count ? &cat->goals[i] : NULL;
}

const char *catalogue_goal_title(const struct gw_catalogue *cat,
                                 const char *goal) {
  size_t i;
  if (!cat || !goal)
    return NULL;
  for (i = 0; i < cat->goal_count; i++) {
    if (strcmp(cat->goals[i].goal, goal) == 0)
      return cat->goals[i].title;
  }
  return NULL;
}

/* The extras of an indicator handed out by this catalogue, else NULL. */
static const struct indicator_extra *extra_of(const struct gw_catalogue *cat,
                                              const struct gw_indicator *ind) {
  if (!cat || !ind || ind < cat->indicators ||
      ind >= cat->indicators + cat->count)
    return NULL;
  return &cat->extras[ind - cat->indicators];
}

size_t catalogue_member_count(const struct gw_catalogue *cat,
                              const struct gw_indicator *ind) {
  const struct indicator_extra *x = extra_of(cat, ind);
  return x ? x->member_count : 0;
}

const struct gw_breakdown_member *
catalogue_member_at(const struct gw_catalogue *cat,
                    const struct gw_indicator *ind, size_t i) {
  const struct indicator_extra *x = extra_of(cat, ind);
  return x && i < x->member_count ? &x->members[i] : NULL;
}

size_t catalogue_reference_count(const struct gw_catalogue *cat,
                                 const struct gw_indicator *ind) {
  const struct indicator_extra *x = extra_of(cat, ind);
  return x ? x->reference_count : 0;
}

const struct gw_reference_row *
catalogue_reference_at(const struct gw_catalogue *cat,
                       const struct gw_indicator *ind, size_t i) {
  const struct indicator_extra *x = extra_of(cat, ind);
  return x && i < x->reference_count ? &x->references[i] : NULL;
}

size_t catalogue_mapping_count(const struct gw_catalogue *cat) {
  return cat ? cat->mapping_count : 0;
}

const struct gw_source_mapping *
catalogue_mapping_at(const struct gw_catalogue *cat, size_t i) {
  return cat && i < cat->mapping_count ? &cat->mappings[i] : NULL;
}
