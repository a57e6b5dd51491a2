/*
 * targets.c - loading and querying the targets file (targets.h).
 *
 * The file is small (a few hundred entries), so it is read whole and kept
 * as a flat array; lookups are linear. The raw text is kept during the
 * load only, to name the line of a faulty entry (jansson keeps no
 * positions).
 */
#include "targets.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "gw_alloc.h"
#include "json_locate.h"
#include "observation.h"
#include "text.h"

/* A targets file is a hand-maintained list; anything bigger is a mistake. */
#define TARGETS_FILE_MAX (4u * 1024u * 1024u)
#define NOTE_MAX 4096

struct gw_targets {
  char *path;
  char *municipality;
  struct gw_target *begroot;
  size_t begroot_count;
  struct gw_target *werkelijk;
  size_t werkelijk_count;
};

struct loader {
  const char *path;
  const char *text; /* raw file, for line numbers */
  size_t len;
  const struct gw_catalogue *cat;
  char *err;
  size_t err_size;
};

/* Markers the municipality writes in its tables. */
static const char *const known_markers[] = {"NB", "n.n.b.", "N.v.t.", "-",
                                            NULL};

static int line_of(const struct loader *ld, const char *pointer) {
  return json_locate_line(ld->text, ld->len, pointer);
}

static void fail_at(struct loader *ld, const char *pointer, const char *field,
                    const char *fmt, ...) GW_PRINTF_LIKE(4, 5);

/* "<path>:<line>: <field>: <message>"; the line is that of the JSON value
 * at pointer (0 when it cannot be located, then left out). */
static void fail_at(struct loader *ld, const char *pointer, const char *field,
                    const char *fmt, ...) {
  char msg[512];
  va_list ap;
  int line = pointer ? line_of(ld, pointer) : 0;
  if (!ld->err || ld->err_size == 0)
    return;
  va_start(ap, fmt);
  (void)vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (line > 0)
    (void)text_format(ld->err, ld->err_size, "%s:%d: %s: %s", ld->path, line,
                      field, msg);
  else
    (void)text_format(ld->err, ld->err_size, "%s: %s: %s", ld->path, field,
                      msg);
}

static char *read_whole_file(struct loader *ld, size_t *len) {
  FILE *f = fopen(ld->path, "rb");
  char *buf = NULL, *result = NULL;
  size_t n;
  if (!f) {
    fail_at(ld, NULL, "file", "cannot open: %s", strerror(errno));
    return NULL;
  }
  buf = gw_malloc(TARGETS_FILE_MAX + 1);
  if (!buf) {
    fail_at(ld, NULL, "file", "out of memory");
    goto out;
  }
  n = fread(buf, 1, TARGETS_FILE_MAX + 1, f);
  if (ferror(f)) {
    fail_at(ld, NULL, "file", "read error: %s", strerror(errno));
    goto out;
  }
  if (n > TARGETS_FILE_MAX) {
    fail_at(ld, NULL, "file", "larger than %u bytes (expected a short list)",
            TARGETS_FILE_MAX);
    goto out;
  }
  buf[n] = '\0';
  *len = n;
  result = buf;
  buf = NULL;
out:
  gw_free(buf);
  fclose(f);
  return result;
}

/* ---- breakdowns ----------------------------------------------------- */

static int compare_items(const void *a, const void *b) {
  const struct gw_breakdown_item *x = a, *y = b;
  return strcmp(x->dimension, y->dimension);
}

int breakdown_items_equal(const struct gw_breakdown_item *a, size_t na,
                          const struct gw_breakdown_item *b, size_t nb) {
  size_t i;
  if (na != nb)
    return 0;
  for (i = 0; i < na; i++) {
    if (strcmp(a[i].dimension, b[i].dimension) != 0 ||
        strcmp(a[i].member, b[i].member) != 0)
      return 0;
  }
  return 1;
}

static void free_entry(struct gw_target *e) {
  size_t i;
  for (i = 0; i < e->count; i++) {
    gw_free((char *)e->items[i].dimension);
    gw_free((char *)e->items[i].member);
  }
  gw_free((void *)e->items);
  gw_free((char *)e->indicator);
  gw_free((char *)e->year);
  gw_free((char *)e->marker);
  gw_free((char *)e->note);
}

static int read_breakdown(struct loader *ld, const char *pointer,
                          const char *field, json_t *obj, struct gw_target *e) {
  struct gw_breakdown_item *items;
  const char *key;
  json_t *value;
  size_t n = 0;
  if (!obj)
    return 0;
  if (!json_is_object(obj)) {
    fail_at(ld, pointer, field,
            "expected an object of dimension -> member, e.g. {\"age\": "
            "\"0 jaar\"}");
    return -1;
  }
  if (json_object_size(obj) == 0)
    return 0;
  items = gw_calloc(json_object_size(obj), sizeof *items);
  if (!items) {
    fail_at(ld, pointer, field, "out of memory");
    return -1;
  }
  e->items = items;
  json_object_foreach(obj, key, value) {
    if (!json_is_string(value) || key[0] == '\0' ||
        json_string_length(value) == 0 ||
        strlen(json_string_value(value)) != json_string_length(value)) {
      fail_at(ld, pointer, field,
              "every dimension and member must be a non-empty string");
      return -1;
    }
    items[n].dimension = gw_strdup(key);
    items[n].member = gw_strdup(json_string_value(value));
    e->count = ++n;
    if (!items[n - 1].dimension || !items[n - 1].member) {
      fail_at(ld, pointer, field, "out of memory");
      return -1;
    }
  }
  qsort(items, n, sizeof *items, compare_items);
  return 0;
}

/* ---- entries -------------------------------------------------------- */

static int is_year(const char *s) {
  size_t i;
  for (i = 0; i < 4; i++) {
    if (s[i] < '0' || s[i] > '9')
      return 0;
  }
  return s[4] == '\0';
}

static int is_known_marker(const char *s) {
  size_t i;
  for (i = 0; known_markers[i]; i++) {
    if (strcmp(s, known_markers[i]) == 0)
      return 1;
  }
  return 0;
}

static int check_member(struct loader *ld, const char *pointer,
                        const char *field, const struct gw_target *e) {
  const struct gw_indicator *ind = catalogue_find(ld->cat, e->indicator);
  size_t i, n;
  if (!ind) {
    fail_at(ld, pointer, field,
            "\"%.64s\" is not an indicator id of the catalogue (see "
            "`gateway indicators`)",
            e->indicator);
    return -1;
  }
  n = catalogue_member_count(ld->cat, ind);
  if (n == 0) {
    if (e->count == 0)
      return 0;
    fail_at(ld, pointer, field,
            "indicator %s (%s) has no breakdown members; use {}", ind->code,
            ind->id);
    return -1;
  }
  for (i = 0; i < n; i++) {
    const struct gw_breakdown_member *m = catalogue_member_at(ld->cat, ind, i);
    if (breakdown_items_equal(m->items, m->count, e->items, e->count))
      return 0;
  }
  fail_at(ld, pointer, field,
          "not one of the breakdown members of %s (%s), e.g. {\"%s\": "
          "\"%s\"}",
          ind->code, ind->id,
          catalogue_member_at(ld->cat, ind, 0)->items[0].dimension,
          catalogue_member_at(ld->cat, ind, 0)->items[0].member);
  return -1;
}

static int copy_string(struct loader *ld, const char *pointer,
                       const char *field, json_t *v, size_t max,
                       const char **out) {
  if (!json_is_string(v) || json_string_length(v) == 0 ||
      strlen(json_string_value(v)) != json_string_length(v)) {
    fail_at(ld, pointer, field, "expected a non-empty string");
    return -1;
  }
  if (json_string_length(v) > max) {
    fail_at(ld, pointer, field, "longer than %zu bytes", max);
    return -1;
  }
  *out = gw_strdup(json_string_value(v));
  if (!*out) {
    fail_at(ld, pointer, field, "out of memory");
    return -1;
  }
  return 0;
}

/* One entry of "targets" (werkelijk = 0) or "werkelijk" (1). */
static int read_entry(struct loader *ld, const char *list, size_t index,
                      json_t *obj, int werkelijk, struct gw_target *e) {
  static const char *const target_keys[] = {
      "indicator", "breakdown", "year", "value", "marker", "note", NULL};
  static const char *const werkelijk_keys[] = {"indicator", "breakdown", "year",
                                               "marker",    "reason",    NULL};
  const char *const *allowed = werkelijk ? werkelijk_keys : target_keys;
  const char *note_key = werkelijk ? "reason" : "note";
  char pointer[96], field[128], sub[128];
  const char *key;
  json_t *v, *value, *marker;
  size_t k;

  (void)text_format(pointer, sizeof pointer, "/%s/%zu", list, index);
  (void)text_format(field, sizeof field, "%s[%zu]", list, index);
  e->line = line_of(ld, pointer);
  if (!json_is_object(obj)) {
    fail_at(ld, pointer, field, "expected an object {indicator, year, ...}");
    return -1;
  }
  json_object_foreach(obj, key, v) {
    int known = 0;
    for (k = 0; allowed[k]; k++)
      known = known || strcmp(key, allowed[k]) == 0;
    if (!known) {
      (void)text_format(sub, sizeof sub, "%s.%.64s", field, key);
      fail_at(ld, pointer, sub, "unknown key (expected %s)",
              werkelijk ? "indicator, breakdown, year, marker, reason"
                        : "indicator, breakdown, year, value or marker, note");
      return -1;
    }
  }
  (void)text_format(sub, sizeof sub, "%s.indicator", field);
  v = json_object_get(obj, "indicator");
  if (!v) {
    fail_at(ld, pointer, sub, "missing (expected an indicator id)");
    return -1;
  }
  if (copy_string(ld, pointer, sub, v, GW_ID_MAX - 1, &e->indicator) != 0)
    return -1;
  (void)text_format(sub, sizeof sub, "%s.breakdown", field);
  if (read_breakdown(ld, pointer, sub, json_object_get(obj, "breakdown"), e) !=
      0)
    return -1;
  if (ld->cat && check_member(ld, pointer, field, e) != 0)
    return -1;
  (void)text_format(sub, sizeof sub, "%s.year", field);
  v = json_object_get(obj, "year");
  if (!json_is_string(v) || !is_year(json_string_value(v))) {
    fail_at(ld, pointer, sub, "expected a year such as \"2023\" (a string)");
    return -1;
  }
  if (copy_string(ld, pointer, sub, v, 4, &e->year) != 0)
    return -1;

  value = json_object_get(obj, "value");
  marker = json_object_get(obj, "marker");
  if ((value != NULL) == (marker != NULL) || (werkelijk && !marker)) {
    (void)text_format(sub, sizeof sub, "%s", field);
    fail_at(ld, pointer, sub, "%s",
            werkelijk ? "expected a \"marker\" (NB, n.n.b., N.v.t. or -)"
                      : "expected either \"value\" (a number) or \"marker\" "
                        "(NB, n.n.b., N.v.t. or -)");
    return -1;
  }
  if (value) {
    (void)text_format(sub, sizeof sub, "%s.value", field);
    if (!json_is_number(value)) {
      fail_at(ld, pointer, sub,
              "expected a number such as 3.2 (not a string; use \"marker\" "
              "for NB)");
      return -1;
    }
    e->has_value = 1;
    e->value = json_number_value(value);
  } else {
    (void)text_format(sub, sizeof sub, "%s.marker", field);
    if (!json_is_string(marker) ||
        !is_known_marker(json_string_value(marker))) {
      fail_at(ld, pointer, sub, "expected one of NB, n.n.b., N.v.t., -");
      return -1;
    }
    if (copy_string(ld, pointer, sub, marker, 16, &e->marker) != 0)
      return -1;
  }
  v = json_object_get(obj, note_key);
  if (v) {
    (void)text_format(sub, sizeof sub, "%s.%s", field, note_key);
    if (copy_string(ld, pointer, sub, v, NOTE_MAX, &e->note) != 0)
      return -1;
  }
  return 0;
}

static int check_unique(struct loader *ld, const char *list,
                        const struct gw_target *entries, size_t n) {
  size_t i, j;
  char pointer[96], field[64];
  for (i = 1; i < n; i++) {
    for (j = 0; j < i; j++) {
      const struct gw_target *a = &entries[j], *b = &entries[i];
      if (strcmp(a->indicator, b->indicator) == 0 &&
          strcmp(a->year, b->year) == 0 &&
          breakdown_items_equal(a->items, a->count, b->items, b->count)) {
        (void)text_format(pointer, sizeof pointer, "/%s/%zu", list, i);
        (void)text_format(field, sizeof field, "%s[%zu]", list, i);
        fail_at(ld, pointer, field,
                "%s %s for this breakdown is already given on line %d",
                a->indicator, a->year, a->line);
        return -1;
      }
    }
  }
  return 0;
}

static int read_list(struct loader *ld, json_t *root, const char *list,
                     int werkelijk, int required, struct gw_target **out,
                     size_t *count) {
  json_t *arr = json_object_get(root, list), *item;
  char pointer[64];
  size_t i;
  *out = NULL;
  *count = 0;
  (void)text_format(pointer, sizeof pointer, "/%s", list);
  if (!arr) {
    if (!required)
      return 0;
    fail_at(ld, NULL, list, "missing (expected an array of entries)");
    return -1;
  }
  if (!json_is_array(arr)) {
    fail_at(ld, pointer, list, "expected an array of entries");
    return -1;
  }
  if (json_array_size(arr) == 0)
    return 0;
  *out = gw_calloc(json_array_size(arr), sizeof **out);
  if (!*out) {
    fail_at(ld, pointer, list, "out of memory");
    return -1;
  }
  json_array_foreach(arr, i, item) {
    *count = i + 1; /* the entry is freed by targets_free even if partial */
    if (read_entry(ld, list, i, item, werkelijk, &(*out)[i]) != 0)
      return -1;
  }
  return check_unique(ld, list, *out, *count);
}

static int read_root(struct loader *ld, json_t *root, struct gw_targets *t) {
  const char *key;
  json_t *v;
  json_object_foreach(root, key, v) {
    if (strcmp(key, "municipality") != 0 && strcmp(key, "targets") != 0 &&
        strcmp(key, "werkelijk") != 0) {
      char pointer[96];
      (void)text_format(pointer, sizeof pointer, "/%.64s", key);
      fail_at(ld, pointer, key,
              "unknown top-level key (expected municipality, targets, "
              "werkelijk)");
      return -1;
    }
  }
  v = json_object_get(root, "municipality");
  if (!json_is_string(v) || json_string_length(v) != 6 ||
      strncmp(json_string_value(v), "GM", 2) != 0) {
    fail_at(ld, v ? "/municipality" : NULL, "municipality",
            "expected a municipality code such as \"GM0384\"");
    return -1;
  }
  t->municipality = gw_strdup(json_string_value(v));
  if (!t->municipality) {
    fail_at(ld, NULL, "municipality", "out of memory");
    return -1;
  }
  if (read_list(ld, root, "targets", 0, 1, &t->begroot, &t->begroot_count) !=
          0 ||
      read_list(ld, root, "werkelijk", 1, 0, &t->werkelijk,
                &t->werkelijk_count) != 0)
    return -1;
  return 0;
}

int targets_load(const char *path, const struct gw_catalogue *cat,
                 struct gw_targets **out, char *err, size_t err_size) {
  struct loader ld = {path ? path : "(null)", NULL, 0, cat, err, err_size};
  struct gw_targets *t = NULL;
  char *text = NULL;
  json_t *root = NULL;
  json_error_t jerr;
  int rc = -1;

  if (err && err_size)
    err[0] = '\0';
  if (!out || !path) {
    fail_at(&ld, NULL, "targets", "no path or output given");
    goto out;
  }
  *out = NULL;
  text = read_whole_file(&ld, &ld.len);
  if (!text)
    goto out;
  ld.text = text;
  root = json_loadb(text, ld.len, JSON_REJECT_DUPLICATES, &jerr);
  if (!root) {
    if (err && err_size)
      (void)text_format(err, err_size, "%s:%d: column %d: %s", ld.path,
                        jerr.line, jerr.column, jerr.text);
    goto out;
  }
  if (!json_is_object(root)) {
    fail_at(&ld, "", "(document)",
            "expected an object {municipality, targets, werkelijk}");
    goto out;
  }
  t = gw_calloc(1, sizeof *t);
  if (!t || !(t->path = gw_strdup(path))) {
    fail_at(&ld, NULL, "targets", "out of memory");
    goto out;
  }
  if (read_root(&ld, root, t) != 0)
    goto out;
  *out = t;
  t = NULL;
  rc = 0;
out:
  targets_free(t);
  json_decref(root);
  gw_free(text);
  return rc;
}

void targets_free(struct gw_targets *t) {
  size_t i;
  if (!t)
    return;
  for (i = 0; i < t->begroot_count; i++)
    free_entry(&t->begroot[i]);
  for (i = 0; i < t->werkelijk_count; i++)
    free_entry(&t->werkelijk[i]);
  gw_free(t->begroot);
  gw_free(t->werkelijk);
  gw_free(t->municipality);
  gw_free(t->path);
  gw_free(t);
}

const char *targets_path(const struct gw_targets *t) {
  return t ? t->path : NULL;
}

const char *targets_municipality(const struct gw_targets *t) {
  return t ? t->municipality : NULL;
}

size_t targets_count(const struct gw_targets *t) {
  return t ? t->begroot_count : 0;
}

const struct gw_target *targets_at(const struct gw_targets *t, size_t i) {
  return t && i < t->begroot_count ? &t->begroot[i] : NULL;
}

static const struct gw_target *find_in(const struct gw_target *entries,
                                       size_t n, const char *indicator,
                                       const struct gw_breakdown_item *items,
                                       size_t count, const char *year) {
  size_t i;
  if (!indicator || !year)
    return NULL;
  for (i = 0; i < n; i++) {
    const struct gw_target *e = &entries[i];
    if (strcmp(e->indicator, indicator) == 0 && strcmp(e->year, year) == 0 &&
        breakdown_items_equal(e->items, e->count, items, count))
      return e;
  }
  return NULL;
}

const struct gw_target *targets_find(const struct gw_targets *t,
                                     const char *indicator,
                                     const struct gw_breakdown_item *items,
                                     size_t count, const char *year) {
  return t ? find_in(t->begroot, t->begroot_count, indicator, items, count,
                     year)
           : NULL;
}

const struct gw_target *
targets_find_werkelijk(const struct gw_targets *t, const char *indicator,
                       const struct gw_breakdown_item *items, size_t count,
                       const char *year) {
  return t ? find_in(t->werkelijk, t->werkelijk_count, indicator, items, count,
                     year)
           : NULL;
}
