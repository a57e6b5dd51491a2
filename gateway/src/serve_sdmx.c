/*
 * serve_sdmx.c - the SDMX-JSON 2.0 data message (see serve_sdmx.h).
 *
 * One pass over the rows assigns every dimension value and attribute
 * value an index (a small hash table per component, so a page of 10000
 * rows stays linear), and files each observation under its series key
 * "indicator:area:breakdown:source" and its TIME_PERIOD index.
 */
#include "serve_sdmx.h"

#include <jansson.h>
#include <string.h>

#include "digest.h"
#include "gw_alloc.h"
#include "text.h"

#define SDMX_SCHEMA                                                            \
  "https://raw.githubusercontent.com/sdmx-twg/sdmx-json/master/"               \
  "data-message/tools/schemas/2.0.0/sdmx-json-data-schema.json"
#define DSD_URN                                                                \
  "urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure="                   \
  "NL_GATEWAY:OBSERVATIONS(1.0)"
#define VALUE_ID_MAX 40
#define NAME_MAX 512
#define KEY_MAX 96

/* ---- period bounds ------------------------------------------------------ */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * algorithm), and back. */
static long days_from_civil(long y, unsigned m, unsigned d) {
  long era;
  unsigned yoe, doy, doe;
  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = (unsigned)(y - era * 400);
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (long)doe - 719468;
}

static void civil_from_days(long z, long *y, unsigned *m, unsigned *d) {
  long era;
  unsigned doe, yoe, doy, mp;
  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = (unsigned)(z - era * 146097);
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (long)yoe + era * 400 + (*m <= 2);
}

static int day_text(long days, const char *time, char *out, size_t size) {
  long y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  return text_format(out, size, "%04ld-%02u-%02uT%sZ", y, m, d, time);
}

static int number_at(const char *s, size_t n, long *out) {
  long v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return 0;
}

/* Monday = 0 ... Sunday = 6; day 0 was a Thursday. */
static long iso_weekday(long days) {
  return ((days + 3) % 7 + 7) % 7;
}

int serve_sdmx_period_bounds(const char *period, char *start, char *end,
                             size_t size) {
  size_t len = strlen(period);
  long year, n, first, last;
  if (len < 4 || number_at(period, 4, &year) != 0)
    return -1;
  if (len == 4) {
    first = days_from_civil(year, 1, 1);
    last = days_from_civil(year + 1, 1, 1) - 1;
  } else if (len == 7 && period[4] == '-' && period[5] == 'Q' &&
             number_at(period + 6, 1, &n) == 0 && n >= 1 && n <= 4) {
    first = days_from_civil(year, (unsigned)(3 * n - 2), 1);
    last = (n == 4 ? days_from_civil(year + 1, 1, 1)
                   : days_from_civil(year, (unsigned)(3 * n + 1), 1)) -
           1;
  } else if (len == 7 && period[4] == '-' &&
             number_at(period + 5, 2, &n) == 0 && n >= 1 && n <= 12) {
    first = days_from_civil(year, (unsigned)n, 1);
    last = (n == 12 ? days_from_civil(year + 1, 1, 1)
                    : days_from_civil(year, (unsigned)n + 1, 1)) -
           1;
  } else if (len == 8 && period[4] == '-' && period[5] == 'W' &&
             number_at(period + 6, 2, &n) == 0 && n >= 1 && n <= 53) {
    long jan4 = days_from_civil(year, 1, 4), y2;
    unsigned m2, d2;
    first = jan4 - iso_weekday(jan4) + 7 * (n - 1);
    last = first + 6;
    civil_from_days(first + 3, &y2, &m2, &d2); /* the week's Thursday */
    if (y2 != year)
      return -1; /* no week 53 in this year */
  } else {
    return -1;
  }
  return day_text(first, "00:00:00", start, size) == 0 &&
                 day_text(last, "23:59:59", end, size) == 0
             ? 0
             : -1;
}

/* ---- value tables -------------------------------------------------------- */

/* The distinct values of one component, in order of first appearance,
 * with an open-addressing index over them. */
struct table {
  char **values;
  size_t count, cap;
  size_t *slots; /* index + 1, 0 = empty */
  size_t slot_count;
};

static uint64_t hash_text(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 1099511628211ull;
  }
  return h;
}

static void table_free(struct table *t) {
  for (size_t i = 0; i < t->count; i++)
    gw_free(t->values[i]);
  gw_free(t->values);
  gw_free(t->slots);
  memset(t, 0, sizeof *t);
}

static int table_rehash(struct table *t) {
  size_t want = t->slot_count ? t->slot_count * 2 : 64;
  size_t *slots = gw_calloc(want, sizeof *slots);
  if (!slots)
    return -1;
  for (size_t i = 0; i < t->count; i++) {
    size_t s = (size_t)hash_text(t->values[i]) & (want - 1);
    while (slots[s])
      s = (s + 1) & (want - 1);
    slots[s] = i + 1;
  }
  gw_free(t->slots);
  t->slots = slots;
  t->slot_count = want;
  return 0;
}

/* Index of value, added when new; -1 when out of memory. */
static long table_index(struct table *t, const char *value) {
  size_t s;
  if ((t->count + 1) * 2 > t->slot_count && table_rehash(t) != 0)
    return -1;
  s = (size_t)hash_text(value) & (t->slot_count - 1);
  while (t->slots[s]) {
    if (strcmp(t->values[t->slots[s] - 1], value) == 0)
      return (long)(t->slots[s] - 1);
    s = (s + 1) & (t->slot_count - 1);
  }
  if (t->count == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 16;
    char **more = gw_realloc(t->values, cap * sizeof *more);
    if (!more)
      return -1;
    t->values = more;
    t->cap = cap;
  }
  if (!(t->values[t->count] = gw_strdup(value)))
    return -1;
  t->slots[s] = ++t->count;
  return (long)(t->count - 1);
}

/* ---- component descriptions ---------------------------------------------- */

enum { DIM_INDICATOR, DIM_AREA, DIM_BREAKDOWN, DIM_SOURCE, DIM_PERIOD, DIMS };
enum { ATTR_STATUS, ATTR_UNIT, ATTRS };

struct builder {
  const struct serve_sdmx_options *opt;
  struct table dims[DIMS];
  struct table attrs[ATTRS];
  json_t *series;
};

/* SDMX ids are [A-Za-z0-9_@$-]+. */
static int id_safe(const char *s) {
  if (!*s)
    return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
          (*s >= '0' && *s <= '9') || *s == '_' || *s == '@' || *s == '$' ||
          *s == '-'))
      return 0;
  return 1;
}

/* "B" + 16 hex digits of the SHA-256: a stable id for any text. */
static int hashed_id(const char *text, char *out, size_t size) {
  char hex[GW_SHA256_HEX_SIZE];
  if (sha256_hex(text, strlen(text), hex) != 0)
    return -1;
  return text_format(out, size, "B%.16s", hex);
}

/* "age: 18+, sex: v" from the canonical breakdown. */
static void breakdown_name(const char *canonical, char *out, size_t size) {
  json_t *obj = json_loads(canonical, 0, NULL);
  const char *key;
  json_t *value;
  out[0] = '\0';
  if (json_is_object(obj)) {
    json_object_foreach(obj, key, value) {
      if (out[0])
        (void)text_append(out, size, ", ");
      (void)text_append(out, size, key);
      (void)text_append(out, size, ": ");
      (void)text_append(out, size,
                        json_is_string(value) ? json_string_value(value) : "?");
    }
  }
  json_decref(obj);
  if (!out[0])
    (void)text_copy(out, size, canonical);
}

static json_t *breakdown_value(const char *canonical) {
  char id[VALUE_ID_MAX], name[NAME_MAX];
  if (strcmp(canonical, "{}") == 0)
    return json_pack("{s:s, s:s}", "id", "_T", "name", "Totaal");
  if (hashed_id(canonical, id, sizeof id) != 0)
    return NULL;
  breakdown_name(canonical, name, sizeof name);
  return json_pack("{s:s, s:s, s:s}", "id", id, "name", name, "description",
                   canonical);
}

static json_t *period_value(const char *period) {
  char start[32], end[32];
  if (!id_safe(period))
    return json_pack("{s:s}", "value", period);
  if (serve_sdmx_period_bounds(period, start, end, sizeof start) != 0)
    return json_pack("{s:s, s:s}", "id", period, "name", period);
  return json_pack("{s:s, s:s, s:s, s:s}", "id", period, "name", period,
                   "start", start, "end", end);
}

static json_t *coded_value(const char *text, const char *name) {
  char id[VALUE_ID_MAX];
  if (id_safe(text) && strlen(text) < VALUE_ID_MAX)
    return json_pack("{s:s, s:s}", "id", text, "name", name);
  if (hashed_id(text, id, sizeof id) != 0)
    return NULL;
  return json_pack("{s:s, s:s}", "id", id, "name", name);
}

static json_t *dimension_value(const struct builder *b, int dim,
                               const char *text) {
  const struct gw_indicator *ind;
  switch (dim) {
  case DIM_INDICATOR:
    ind = b->opt->catalogue ? catalogue_find(b->opt->catalogue, text) : NULL;
    return coded_value(text, ind ? ind->title : text);
  case DIM_BREAKDOWN:
    return breakdown_value(text);
  case DIM_PERIOD:
    return period_value(text);
  default:
    return coded_value(text, text);
  }
}

static json_t *dimension(const struct builder *b, int dim) {
  static const struct {
    const char *id, *name, *role;
    int position;
  } defs[DIMS] = {[DIM_INDICATOR] = {"INDICATOR", "Indicator", NULL, 0},
                  [DIM_AREA] = {"REF_AREA", "Gebied", "REF_AREA", 1},
                  [DIM_BREAKDOWN] = {"BREAKDOWN", "Uitsplitsing", NULL, 3},
                  [DIM_SOURCE] = {"SOURCE", "Bron", NULL, 4},
                  [DIM_PERIOD] = {"TIME_PERIOD", "Periode", "TIME_PERIOD", 2}};
  json_t *values = json_array();
  json_t *d;
  if (!values)
    return NULL;
  for (size_t i = 0; i < b->dims[dim].count; i++)
    if (json_array_append_new(
            values, dimension_value(b, dim, b->dims[dim].values[i])) != 0) {
      json_decref(values);
      return NULL;
    }
  d = json_pack("{s:s, s:s, s:i, s:o}", "id", defs[dim].id, "name",
                defs[dim].name, "keyPosition", defs[dim].position, "values",
                values);
  if (d && defs[dim].role &&
      json_object_set_new(d, "roles", json_pack("[s]", defs[dim].role)) != 0) {
    json_decref(d);
    return NULL;
  }
  return d;
}

static json_t *attribute(const struct builder *b, int attr) {
  static const struct {
    const char *id, *name;
  } defs[ATTRS] = {[ATTR_STATUS] = {"OBS_STATUS", "Status"},
                   [ATTR_UNIT] = {"UNIT_MEASURE", "Eenheid"}};
  json_t *values = json_array();
  if (!values)
    return NULL;
  for (size_t i = 0; i < b->attrs[attr].count; i++) {
    const char *v = b->attrs[attr].values[i];
    if (json_array_append_new(
            values, json_pack("{s:s, s:s}", "id", v, "name", v)) != 0) {
      json_decref(values);
      return NULL;
    }
  }
  return json_pack("{s:s, s:s, s:{s:{}}, s:o}", "id", defs[attr].id, "name",
                   defs[attr].name, "relationship", "observation", "values",
                   values);
}

static json_t *measures(void) {
  return json_pack("{s:[{s:s, s:s, s:[s]}, {s:s, s:s}, {s:s, s:s}]}",
                   "observation", "id", "OBS_VALUE", "name", "Waarde", "roles",
                   "PRIMARY", "id", "CI_LOWER", "name",
                   "Ondergrens 95%-betrouwbaarheidsinterval", "id", "CI_UPPER",
                   "name", "Bovengrens 95%-betrouwbaarheidsinterval");
}

/* ---- observations -----------------------------------------------------------
 */

static json_t *number_or_null(int present, double v) {
  return present ? json_real(v) : json_null();
}

static int add_row(struct builder *b, const struct gw_observation *o) {
  long idx[DIMS], status, unit;
  char key[KEY_MAX], period_key[24];
  json_t *series, *observations, *values;
  const char *texts[DIMS] = {o->indicator, o->area, o->breakdown, o->source_id,
                             o->period};
  for (int d = 0; d < DIMS; d++)
    if ((idx[d] = table_index(&b->dims[d], texts[d])) < 0)
      return -1;
  if ((status = table_index(&b->attrs[ATTR_STATUS], status_name(o->status))) <
          0 ||
      (unit = table_index(&b->attrs[ATTR_UNIT], o->unit)) < 0 ||
      text_format(key, sizeof key, "%ld:%ld:%ld:%ld", idx[DIM_INDICATOR],
                  idx[DIM_AREA], idx[DIM_BREAKDOWN], idx[DIM_SOURCE]) != 0 ||
      text_format(period_key, sizeof period_key, "%ld", idx[DIM_PERIOD]) != 0)
    return -1;
  series = json_object_get(b->series, key);
  if (!series) {
    series = json_pack("{s:{}}", "observations");
    if (!series || json_object_set_new(b->series, key, series) != 0)
      return -1;
  }
  observations = json_object_get(series, "observations");
  values = json_pack("[o, o, o, I, I]", number_or_null(o->has_value, o->value),
                     number_or_null(o->has_ci_low, o->ci_low),
                     number_or_null(o->has_ci_high, o->ci_high),
                     (json_int_t)status, (json_int_t)unit);
  if (!values || json_object_set_new(observations, period_key, values) != 0)
    return -1;
  return 0;
}

static json_t *structure(const struct builder *b) {
  json_t *series_dims = json_array(), *obs_attrs = json_array();
  const int series_order[] = {DIM_INDICATOR, DIM_AREA, DIM_BREAKDOWN,
                              DIM_SOURCE};
  if (!series_dims || !obs_attrs)
    goto fail;
  for (size_t i = 0; i < 4; i++)
    if (json_array_append_new(series_dims, dimension(b, series_order[i])) != 0)
      goto fail;
  for (int a = 0; a < ATTRS; a++)
    if (json_array_append_new(obs_attrs, attribute(b, a)) != 0)
      goto fail;
  return json_pack("{s:s, s:[{s:s, s:s}], s:[i], s:{s:o, s:[o]}, s:o, s:{s:o}}",
                   "name", "Indicatoren sociaal domein", "links", "rel",
                   "structure", "urn", DSD_URN, "dataSets", 0, "dimensions",
                   "series", series_dims, "observation",
                   dimension(b, DIM_PERIOD), "measures", measures(),
                   "attributes", "observation", obs_attrs);
fail:
  json_decref(series_dims);
  json_decref(obs_attrs);
  return NULL;
}

static json_t *message(struct builder *b) {
  json_t *meta =
      json_pack("{s:s, s:s, s:b, s:s, s:[s], s:{s:s, s:s}}", "schema",
                SDMX_SCHEMA, "id", b->opt->message_id, "test", 0, "prepared",
                b->opt->prepared, "contentLanguages", "nl", "sender", "id",
                b->opt->sender_id, "name", "Indicator gateway");
  json_t *data_set =
      json_pack("{s:i, s:s, s:[{s:s, s:s}], s:O}", "structure", 0, "action",
                "Information", "links", "rel", "structure", "urn", DSD_URN,
                "series", b->series);
  json_t *msg;
  if (!meta || !data_set) {
    json_decref(meta);
    json_decref(data_set);
    return NULL;
  }
  msg = json_pack("{s:o, s:{s:[o], s:[o]}}", "meta", meta, "data", "structures",
                  structure(b), "dataSets", data_set);
  return msg;
}

int serve_sdmx_write(const struct gw_observation *rows, size_t count,
                     const struct serve_sdmx_options *opt, FILE *out, char *err,
                     size_t err_size) {
  struct builder b;
  json_t *msg = NULL;
  int rc = -1;
  memset(&b, 0, sizeof b);
  b.opt = opt;
  b.series = json_object();
  if (!b.series)
    goto out;
  for (size_t i = 0; i < count; i++)
    if (add_row(&b, &rows[i]) != 0)
      goto out;
  msg = message(&b);
  if (!msg ||
      json_dumpf(msg, out, JSON_COMPACT | JSON_REAL_PRECISION(15)) != 0 ||
      fputc('\n', out) < 0)
    goto out;
  rc = 0;
out:
  if (rc != 0)
    (void)text_copy(err, err_size,
                    "out of memory writing the SDMX-JSON message");
  json_decref(msg);
  json_decref(b.series);
  for (int d = 0; d < DIMS; d++)
    table_free(&b.dims[d]);
  for (int a = 0; a < ATTRS; a++)
    table_free(&b.attrs[a]);
  return rc;
}
