/*
 * json_validate.c - schemas/provider-report.schema.json, in C.
 *
 * Debian has no C JSON Schema library, so this checks exactly the one
 * document shape the schema describes, keyword for keyword, and reports
 * every violation with its JSON path ($.figures[3].value). The tests run
 * every fixture through this and through python3-jsonschema and require
 * the same verdict. When the schema changes, change this file with it.
 *
 * Known, deliberate difference: Python's "$" also matches before a final
 * newline, so python3-jsonschema accepts "GM0384\n" as a code; this does
 * not.
 */
#include "provider_report.h"

#include <jansson.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum pr_pattern {
  PAT_EIGHT_DIGITS,
  PAT_MUNICIPALITY,
  PAT_PERIOD,
  PAT_DATE,
  PAT_MAILBOX,
  PAT_INDICATOR,
  PAT_AREA,
  PAT_DIMENSION,
  PAT_COUNT
};

/* Identical to the "pattern" keywords of the schema. */
static const char *const pattern_text[PAT_COUNT] = {
    "^[0-9]{8}$",
    "^GM[0-9]{4}$",
    "^[0-9]{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$",
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$",
    "^[0-9]{1,2}(\\.[0-9]{1,2}){0,3}$",
    "^(GM[0-9]{4}|WK[0-9]{6}|BU[0-9]{8})$",
    "^[a-z][a-z0-9_]{0,31}$",
};

static const char *const status_markers[] = {"NB", "n.n.b.", "N.v.t.", NULL};
static const char *const units[] = {"count", "percent", "per_1000", "per_10000",
                                    "days",  "euro",    "per_week", NULL};

struct validator {
  struct pr_violations *violations;
  regex_t patterns[PAT_COUNT];
  int compiled;
};

static void add(struct validator *v, const char *path, const char *fmt, ...)
    GW_PRINTF_LIKE(3, 4);
static void add(struct validator *v, const char *path, const char *fmt, ...) {
  char message[512];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  pr_violation_add(v->violations, 0, "%s: %s", path, message);
}

/* A path too deep for the buffer ends in "..." rather than being cut
 * silently; violations stay readable either way. */
static void mark_cut(char *out, size_t size, int n) {
  if ((n < 0 || (size_t)n >= size) && size > 4)
    memcpy(out + size - 4, "...", 4);
}

static void child_path(char *out, size_t size, const char *parent,
                       const char *key) {
  mark_cut(out, size, snprintf(out, size, "%s.%s", parent, key));
}

static void item_path(char *out, size_t size, const char *parent, size_t i) {
  mark_cut(out, size, snprintf(out, size, "%s[%zu]", parent, i));
}

/* maxLength/minLength count characters (code points), not bytes. */
static size_t code_points(const char *s) {
  size_t n = 0;

  for (; *s; s++)
    if (((unsigned char)*s & 0xC0) != 0x80)
      n++;
  return n;
}

static const char *type_name(const json_t *value) {
  switch (json_typeof(value)) {
  case JSON_OBJECT:
    return "an object";
  case JSON_ARRAY:
    return "an array";
  case JSON_STRING:
    return "a string";
  case JSON_INTEGER:
  case JSON_REAL:
    return "a number";
  case JSON_TRUE:
  case JSON_FALSE:
    return "a boolean";
  case JSON_NULL:
    return "null";
  }
  return "something else";
}

/* A string property: type, then pattern and length limits. Returns the
 * string when it is one, for further checks. */
static const char *check_string(struct validator *v, const json_t *value,
                                const char *path, int pattern,
                                size_t min_length, size_t max_length,
                                const char *expected) {
  const char *text;
  size_t length;

  if (!json_is_string(value)) {
    add(v, path, "expected a string, found %s", type_name(value));
    return NULL;
  }
  text = json_string_value(value);
  length = code_points(text);
  if (length < min_length)
    add(v, path, "must not be empty");
  if (max_length && length > max_length)
    add(v, path, "longer than %zu characters", max_length);
  if (pattern >= 0 && regexec(&v->patterns[pattern], text, 0, NULL, 0) != 0)
    add(v, path, "\"%s\" is not %s", text, expected);
  return text;
}

static void check_enum(struct validator *v, const json_t *value,
                       const char *path, const char *const *allowed,
                       const char *expected) {
  const char *text = json_string_value(value);
  size_t i;

  if (text)
    for (i = 0; allowed[i]; i++)
      if (strcmp(allowed[i], text) == 0)
        return;
  if (text)
    add(v, path, "\"%s\" is not allowed; expected %s", text, expected);
  else
    add(v, path, "found %s; expected %s", type_name(value), expected);
}

/* additionalProperties: false */
static void check_known_keys(struct validator *v, const json_t *object,
                             const char *path, const char *const *known) {
  const char *key;
  json_t *value;
  char where[256];

  json_object_foreach((json_t *)object, key, value) {
    size_t i;
    int found = 0;
    for (i = 0; known[i]; i++)
      found |= strcmp(known[i], key) == 0;
    if (!found) {
      child_path(where, sizeof where, path, key);
      add(v, where,
          "unknown field \"%s\"; provider reports have no other fields "
          "(and never person-level data)",
          key);
    }
  }
}

static void check_required(struct validator *v, const json_t *object,
                           const char *path, const char *const *required) {
  size_t i;

  for (i = 0; required[i]; i++)
    if (!json_object_get(object, required[i]))
      add(v, path, "required field \"%s\" is missing", required[i]);
}

static int check_object(struct validator *v, const json_t *value,
                        const char *path) {
  if (json_is_object(value))
    return 1;
  add(v, path, "expected an object, found %s", type_name(value));
  return 0;
}

static void check_date(struct validator *v, const json_t *value,
                       const char *path) {
  const char *text = check_string(v, value, path, PAT_DATE, 0, 0,
                                  "a date written as YYYY-MM-DD");
  int day;

  if (text && regexec(&v->patterns[PAT_DATE], text, 0, NULL, 0) == 0 &&
      pr_parse_date(text, &day) != 0)
    add(v, path, "\"%s\" is not a calendar date", text);
}

static void check_provider(struct validator *v, const json_t *provider) {
  static const char *const known[] = {"name", "kvk", "agb", NULL};
  static const char *const required[] = {"name", NULL};
  const json_t *member;

  if (!check_object(v, provider, "$.provider"))
    return;
  check_known_keys(v, provider, "$.provider", known);
  check_required(v, provider, "$.provider", required);
  if ((member = json_object_get(provider, "name")) != NULL)
    check_string(v, member, "$.provider.name", -1, 1, 200, "");
  if ((member = json_object_get(provider, "kvk")) != NULL)
    check_string(v, member, "$.provider.kvk", PAT_EIGHT_DIGITS, 0, 0,
                 "a KvK number of 8 digits");
  if ((member = json_object_get(provider, "agb")) != NULL)
    check_string(v, member, "$.provider.agb", PAT_EIGHT_DIGITS, 0, 0,
                 "an AGB code of 8 digits");
  if (!json_object_get(provider, "kvk") && !json_object_get(provider, "agb"))
    add(v, "$.provider",
        "needs a KvK number (\"kvk\") or an AGB code (\"agb\")");
}

static void check_breakdown(struct validator *v, const json_t *breakdown,
                            const char *path) {
  static const char *const known[] = {"dimension", "member", NULL};
  char item[128], where[160];
  const json_t *entry, *member;
  size_t i;

  if (!json_is_array(breakdown)) {
    add(v, path, "expected an array, found %s", type_name(breakdown));
    return;
  }
  if (json_array_size(breakdown) > PR_MAX_BREAKDOWN)
    add(v, path, "more than %d breakdown entries", PR_MAX_BREAKDOWN);
  json_array_foreach((json_t *)breakdown, i, entry) {
    item_path(item, sizeof item, path, i);
    if (!check_object(v, entry, item))
      continue;
    check_known_keys(v, entry, item, known);
    check_required(v, entry, item, known);
    child_path(where, sizeof where, item, "dimension");
    if ((member = json_object_get(entry, "dimension")) != NULL)
      check_string(v, member, where, PAT_DIMENSION, 0, 0,
                   "a dimension name (lower case, e.g. measure or type)");
    child_path(where, sizeof where, item, "member");
    if ((member = json_object_get(entry, "member")) != NULL)
      check_string(v, member, where, -1, 1, 64, "");
  }
}

static void check_figure(struct validator *v, const json_t *figure,
                         const char *path) {
  static const char *const known[] = {"indicator", "area",    "period",
                                      "value",     "status",  "unit",
                                      "breakdown", "comment", NULL};
  static const char *const required[] = {"indicator", "area", "period", "unit",
                                         NULL};
  const json_t *member, *value, *status;
  char where[160];

  if (!check_object(v, figure, path))
    return;
  check_known_keys(v, figure, path, known);
  check_required(v, figure, path, required);
  child_path(where, sizeof where, path, "indicator");
  if ((member = json_object_get(figure, "indicator")) != NULL)
    check_string(v, member, where, PAT_INDICATOR, 0, 0,
                 "a policy code such as 2.3.1");
  child_path(where, sizeof where, path, "area");
  if ((member = json_object_get(figure, "area")) != NULL)
    check_string(v, member, where, PAT_AREA, 0, 0,
                 "a CBS area code (GM0384, WK038401 or BU03840100)");
  child_path(where, sizeof where, path, "period");
  if ((member = json_object_get(figure, "period")) != NULL)
    check_string(v, member, where, PAT_PERIOD, 0, 0,
                 "a period such as 2021, 2021-Q1 or 2021-01");
  value = json_object_get(figure, "value");
  child_path(where, sizeof where, path, "value");
  if (value && !json_is_number(value))
    add(v, where, "expected a number, found %s", type_name(value));
  status = json_object_get(figure, "status");
  child_path(where, sizeof where, path, "status");
  if (status)
    check_enum(v, status, where, status_markers,
               "NB, n.n.b. or N.v.t. (use \"value\" for a number)");
  if (!value == !status)
    add(v, path,
        "needs exactly one of \"value\" (a number) and \"status\" (NB, "
        "n.n.b. or N.v.t.)");
  child_path(where, sizeof where, path, "unit");
  if ((member = json_object_get(figure, "unit")) != NULL)
    check_enum(v, member, where, units,
               "count, percent, per_1000, per_10000, days, euro or per_week");
  child_path(where, sizeof where, path, "breakdown");
  if ((member = json_object_get(figure, "breakdown")) != NULL)
    check_breakdown(v, member, where);
  child_path(where, sizeof where, path, "comment");
  if ((member = json_object_get(figure, "comment")) != NULL)
    check_string(v, member, where, -1, 0, 1000, "");
}

static void check_figures(struct validator *v, const json_t *figures) {
  const json_t *figure;
  char path[64];
  size_t i;

  if (!json_is_array(figures)) {
    add(v, "$.figures", "expected an array, found %s", type_name(figures));
    return;
  }
  if (json_array_size(figures) == 0)
    add(v, "$.figures", "must hold at least one figure");
  json_array_foreach((json_t *)figures, i, figure) {
    item_path(path, sizeof path, "$.figures", i);
    check_figure(v, figure, path);
  }
}

static void check_root(struct validator *v, const json_t *doc) {
  static const char *const known[] = {
      "schema",    "provider", "municipality", "reportingPeriod",
      "delivered", "contact",  "figures",      NULL};
  const json_t *member;

  if (!check_object(v, doc, "$"))
    return;
  check_known_keys(v, doc, "$", known);
  check_required(v, doc, "$", known);
  member = json_object_get(doc, "schema");
  if (member && (!json_is_string(member) ||
                 strcmp(json_string_value(member), PR_NAMESPACE) != 0))
    add(v, "$.schema", "must be \"%s\"", PR_NAMESPACE);
  if ((member = json_object_get(doc, "provider")) != NULL)
    check_provider(v, member);
  if ((member = json_object_get(doc, "municipality")) != NULL)
    check_string(v, member, "$.municipality", PAT_MUNICIPALITY, 0, 0,
                 "a CBS municipality code such as GM0384");
  if ((member = json_object_get(doc, "reportingPeriod")) != NULL)
    check_string(v, member, "$.reportingPeriod", PAT_PERIOD, 0, 0,
                 "a period such as 2021, 2021-Q1 or 2021-01");
  if ((member = json_object_get(doc, "delivered")) != NULL)
    check_date(v, member, "$.delivered");
  if ((member = json_object_get(doc, "contact")) != NULL)
    check_string(v, member, "$.contact", PAT_MAILBOX, 0, 254,
                 "a (role) mailbox address such as rapportage@example.nl");
  if ((member = json_object_get(doc, "figures")) != NULL)
    check_figures(v, member);
}

void pr_json_validate(const struct json_t *doc, struct pr_violations *out) {
  struct validator v;
  size_t i;

  memset(&v, 0, sizeof v);
  v.violations = out;
  for (i = 0; i < PAT_COUNT; i++) {
    if (regcomp(&v.patterns[i], pattern_text[i], REG_EXTENDED | REG_NOSUB) !=
        0) {
      pr_violation_add(out, 0, "internal error: pattern %s does not compile",
                       pattern_text[i]);
      goto out;
    }
    v.compiled++;
  }
  check_root(&v, doc);
out:
  for (i = 0; i < (size_t)v.compiled; i++)
    regfree(&v.patterns[i]);
}
