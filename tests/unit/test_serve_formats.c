/*
 * test_serve_formats.c - content negotiation (?format= and Accept with
 * q-values), JSON error bodies, the indicator list per client, and the
 * SDMX-JSON rendering of a small set of observations (structure, keys,
 * indices, null for a missing figure, period bounds).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "catalogue.h"
#include "gw_alloc.h"
#include "serve_catalogue.h"
#include "serve_formats.h"
#include "serve_sdmx.h"
#include "test_support.h"

static char err[512];

static serve_format pick(const char *param, const char *accept,
                         unsigned offered) {
  serve_format f = SERVE_FMT_COUNT;
  int status = 0;
  err[0] = '\0';
  cr_assert_eq(
      serve_negotiate(param, accept, offered, &f, &status, err, sizeof err), 0,
      "refused %s / %s: %s", param ? param : "-", accept ? accept : "-", err);
  return f;
}

static int refused(const char *param, const char *accept, unsigned offered) {
  serve_format f;
  int status = 0;
  err[0] = '\0';
  cr_assert_eq(
      serve_negotiate(param, accept, offered, &f, &status, err, sizeof err),
      -1);
  cr_assert_str_not_empty(err);
  return status;
}

#define DATA (SERVE_OFFER_TABLES | SERVE_OFFER(SERVE_FMT_SDMX))

Test(serve_negotiate, format_parameter_wins) {
  cr_assert_eq(pick("csv", "application/json", DATA), SERVE_FMT_CSV);
  cr_assert_eq(pick("XML", NULL, DATA), SERVE_FMT_XML);
  cr_assert_eq(pick("sdmx", NULL, DATA), SERVE_FMT_SDMX);
  cr_assert_eq(pick("sdmx-json", NULL, DATA), SERVE_FMT_SDMX);
  cr_assert_eq(refused("yaml", NULL, DATA), 400);
  cr_assert_not_null(strstr(err, "use one of json, xml, csv, sdmx"), "%s", err);
  cr_assert_eq(refused("sdmx", NULL, SERVE_OFFER_TABLES), 400);
}

Test(serve_negotiate, accept_header) {
  cr_assert_eq(pick(NULL, NULL, DATA), SERVE_FMT_JSON);
  cr_assert_eq(pick(NULL, "", DATA), SERVE_FMT_JSON);
  cr_assert_eq(pick(NULL, "*/*", DATA), SERVE_FMT_JSON);
  cr_assert_eq(pick(NULL, "text/csv", DATA), SERVE_FMT_CSV);
  cr_assert_eq(pick(NULL, "Text/CSV; charset=utf-8", DATA), SERVE_FMT_CSV);
  cr_assert_eq(pick(NULL, "text/xml", DATA), SERVE_FMT_XML);
  cr_assert_eq(pick(NULL, "application/vnd.sdmx.data+json;version=2.0.0", DATA),
               SERVE_FMT_SDMX);
  cr_assert_eq(pick(NULL, "application/json;q=0.5, text/csv;q=0.9", DATA),
               SERVE_FMT_CSV);
  cr_assert_eq(pick(NULL, "text/csv;q=0, */*;q=0.1", DATA), SERVE_FMT_JSON,
               "q=0 excludes, the wildcard takes the rest");
  /* A browser: XML at 0.9 beats anything at 0.8. */
  cr_assert_eq(pick(NULL,
                    "text/html,application/xhtml+xml,application/xml;q=0.9,"
                    "*/*;q=0.8",
                    DATA),
               SERVE_FMT_XML);
  cr_assert_eq(pick(NULL, "application/*", DATA), SERVE_FMT_JSON);
  cr_assert_eq(pick(NULL, "text/csv, application/json", DATA), SERVE_FMT_CSV,
               "equal q: the first in the header");
  cr_assert_eq(pick(NULL, "garbage, text/csv", DATA), SERVE_FMT_CSV);
  cr_assert_eq(refused(NULL, "image/png", DATA), 406);
  cr_assert_not_null(strstr(err, "offered: json, xml, csv, sdmx"), "%s", err);
  cr_assert_eq(refused(NULL, "text/csv;q=0", DATA), 406);
  cr_assert_eq(refused(NULL, "application/json", SERVE_OFFER(SERVE_FMT_CSV)),
               406);
}

Test(serve_formats, error_bodies) {
  size_t len = 0;
  char *body = serve_error_json(403, "client \"x\" may not read y", &len);
  cr_assert_not_null(body);
  cr_assert_eq(strlen(body), len);
  cr_assert_str_eq(body, "{\"error\":{\"status\":403,\"message\":\"client "
                         "\\\"x\\\" may not read y\"}}\n");
  gw_free(body);
  body = serve_error_json(400, "bad \xff byte", &len);
  cr_assert_not_null(body, "a non-UTF-8 message still gives a body");
  cr_assert_not_null(strstr(body, "bad ? byte"), "%s", body);
  gw_free(body);
  cr_assert_str_eq(serve_format_media_type(SERVE_FMT_CSV),
                   "text/csv; charset=utf-8");
  cr_assert_str_eq(serve_format_name(SERVE_FMT_SDMX), "sdmx");
}

/* ---- the indicator list ------------------------------------------------- */

static struct gw_catalogue *cat;

static void load_catalogue(void) {
  char path[4096];
  snprintf(path, sizeof path, "%s/schemas/indicators.json", ts_source_dir());
  cr_assert_eq(catalogue_load(path, &cat, err, sizeof err), 0, "%s", err);
}

static void free_catalogue(void) {
  catalogue_free(cat);
}

static char *render_list(const struct serve_client *client, serve_format f,
                         size_t *count) {
  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);
  cr_assert_not_null(out);
  cr_assert_eq(
      serve_catalogue_write(cat, client, f, out, count, err, sizeof err), 0,
      "%s", err);
  fclose(out);
  return buf;
}

Test(serve_catalogue, lists_only_what_the_client_may_read,
     .init = load_catalogue, .fini = free_catalogue) {
  char *ids[] = {"bijstand_per_10k", "uitstroom_naar_werk", NULL};
  struct serve_client some = {.name = "kaart", .indicators = ids};
  size_t n_all = 0, n_some = 0;
  char *all = render_list(NULL, SERVE_FMT_JSON, &n_all);
  char *part = render_list(&some, SERVE_FMT_JSON, &n_some);
  json_t *doc = json_loads(part, 0, NULL);
  cr_assert_eq(n_all, catalogue_count(cat));
  cr_assert_eq(n_some, 2);
  cr_assert_not_null(doc);
  cr_assert_eq(json_integer_value(json_object_get(doc, "count")), 2);
  cr_assert_eq(json_array_size(json_object_get(doc, "indicators")), 2);
  cr_assert_null(strstr(part, "roken"), "a forbidden indicator leaked");
  json_t *first = json_array_get(json_object_get(doc, "indicators"), 0);
  cr_assert_str_eq(json_string_value(json_object_get(first, "id")),
                   "uitstroom_naar_werk");
  cr_assert(json_is_array(json_object_get(first, "breakdown_members")));
  json_decref(doc);
  free(all);
  free(part);
}

Test(serve_catalogue, xml_and_csv, .init = load_catalogue,
     .fini = free_catalogue) {
  size_t n = 0;
  char *xml = render_list(NULL, SERVE_FMT_XML, &n);
  cr_assert_not_null(strstr(xml, "<indicators xmlns=\"urn:nl:gateway:"
                                 "indicator-list:1\" count=\""));
  free(xml);
  char *csv = render_list(NULL, SERVE_FMT_CSV, &n);
  cr_assert_eq(strncmp(csv, "\xEF\xBB\xBFid;code;title;unit;", 21), 0);
  size_t lines = 0;
  for (const char *p = csv; *p; p++)
    lines += *p == '\n';
  cr_assert_eq(lines, n + 1, "a header and one line per indicator");
  free(csv);
}

/* ---- SDMX-JSON ------------------------------------------------------------
 */

static struct gw_observation obs(const char *indicator, const char *area,
                                 const char *period, const char *breakdown,
                                 const char *source, int has_value, double v,
                                 gw_status status) {
  struct gw_observation o;
  memset(&o, 0, sizeof o);
  snprintf(o.indicator, sizeof o.indicator, "%s", indicator);
  snprintf(o.area, sizeof o.area, "%s", area);
  snprintf(o.period, sizeof o.period, "%s", period);
  snprintf(o.breakdown, sizeof o.breakdown, "%s", breakdown);
  snprintf(o.source_id, sizeof o.source_id, "%s", source);
  snprintf(o.unit, sizeof o.unit, "percent");
  o.has_value = has_value;
  o.value = v;
  o.status = status;
  return o;
}

static json_t *component(json_t *list, const char *id) {
  size_t i;
  json_t *c;
  json_array_foreach(list, i, c) {
    if (strcmp(json_string_value(json_object_get(c, "id")), id) == 0)
      return c;
  }
  return NULL;
}

/* The id of value index i of a component. */
static const char *value_id(json_t *comp, json_int_t i) {
  return json_string_value(json_object_get(
      json_array_get(json_object_get(comp, "values"), i), "id"));
}

Test(serve_sdmx, a_small_set, .init = load_catalogue, .fini = free_catalogue) {
  struct gw_observation rows[4];
  rows[0] = obs("roken", "GM0384", "2020", "{\"age\":\"18+\"}", "rivm", 1, 19.5,
                GW_STATUS_FINAL);
  rows[0].has_ci_low = rows[0].has_ci_high = 1;
  rows[0].ci_low = 18.0;
  rows[0].ci_high = 21.25;
  rows[1] = obs("roken", "GM0384", "2022", "{\"age\":\"18+\"}", "rivm", 0, 0,
                GW_STATUS_SUPPRESSED);
  rows[2] = obs("roken", "WK038401", "2022", "{}", "rivm", 1, 12.0,
                GW_STATUS_PROVISIONAL);
  rows[3] = obs("bijstand_per_10k", "GM0384", "2022-Q1", "{}", "cbs", 1, 400,
                GW_STATUS_FINAL);
  struct serve_sdmx_options opt = {"IGW-test", "2026-11-24T12:00:00Z", "GM0384",
                                   cat};
  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);
  cr_assert_eq(serve_sdmx_write(rows, 4, &opt, out, err, sizeof err), 0, "%s",
               err);
  fclose(out);
  json_error_t jerr;
  json_t *msg = json_loads(buf, 0, &jerr);
  cr_assert_not_null(msg, "not JSON: %s", jerr.text);
  free(buf);

  json_t *meta = json_object_get(msg, "meta");
  cr_assert_str_eq(json_string_value(json_object_get(meta, "id")), "IGW-test");
  cr_assert_not_null(
      strstr(json_string_value(json_object_get(meta, "schema")), "2.0.0"));
  json_t *st = json_array_get(
      json_object_get(json_object_get(msg, "data"), "structures"), 0);
  json_t *series_dims =
      json_object_get(json_object_get(st, "dimensions"), "series");
  json_t *obs_dims =
      json_object_get(json_object_get(st, "dimensions"), "observation");
  cr_assert_eq(json_array_size(series_dims), 4);
  const char *order[] = {"INDICATOR", "REF_AREA", "BREAKDOWN", "SOURCE"};
  for (size_t i = 0; i < 4; i++)
    cr_assert_str_eq(json_string_value(
                         json_object_get(json_array_get(series_dims, i), "id")),
                     order[i]);
  json_t *time = json_array_get(obs_dims, 0);
  cr_assert_str_eq(json_string_value(json_object_get(time, "id")),
                   "TIME_PERIOD");
  cr_assert_eq(json_integer_value(json_object_get(time, "keyPosition")), 2);
  json_t *indicator = component(series_dims, "INDICATOR");
  cr_assert_str_eq(value_id(indicator, 0), "roken");
  cr_assert_str_eq(value_id(indicator, 1), "bijstand_per_10k");
  cr_assert_str_eq(
      json_string_value(json_object_get(
          json_array_get(json_object_get(indicator, "values"), 1), "name")),
      catalogue_find(cat, "bijstand_per_10k")->title,
      "names come from the catalogue");
  json_t *breakdown = component(series_dims, "BREAKDOWN");
  cr_assert_eq(value_id(breakdown, 0)[0], 'B');
  cr_assert_eq(strlen(value_id(breakdown, 0)), 17);
  cr_assert_str_eq(value_id(breakdown, 1), "_T");
  cr_assert_str_eq(
      json_string_value(json_object_get(
          json_array_get(json_object_get(breakdown, "values"), 0), "name")),
      "age: 18+");
  json_t *q1 = json_array_get(json_object_get(time, "values"), 2);
  cr_assert_str_eq(json_string_value(json_object_get(q1, "id")), "2022-Q1");
  cr_assert_str_eq(json_string_value(json_object_get(q1, "start")),
                   "2022-01-01T00:00:00Z");
  cr_assert_str_eq(json_string_value(json_object_get(q1, "end")),
                   "2022-03-31T23:59:59Z");

  json_t *attrs =
      json_object_get(json_object_get(st, "attributes"), "observation");
  json_t *status = component(attrs, "OBS_STATUS");
  json_t *series = json_object_get(
      json_array_get(json_object_get(json_object_get(msg, "data"), "dataSets"),
                     0),
      "series");
  cr_assert_eq(json_object_size(series), 3, "three series");
  /* roken, GM0384, age 18+, rivm: 2020 and 2022 */
  json_t *s0 =
      json_object_get(json_object_get(series, "0:0:0:0"), "observations");
  cr_assert_eq(json_object_size(s0), 2);
  json_t *o2020 = json_object_get(s0, "0");
  cr_assert_eq(json_array_size(o2020), 5);
  cr_assert_float_eq(json_real_value(json_array_get(o2020, 0)), 19.5, 1e-9);
  cr_assert_float_eq(json_real_value(json_array_get(o2020, 1)), 18.0, 1e-9);
  cr_assert_float_eq(json_real_value(json_array_get(o2020, 2)), 21.25, 1e-9);
  cr_assert_str_eq(
      value_id(status, json_integer_value(json_array_get(o2020, 3))), "final");
  json_t *o2022 = json_object_get(s0, "1");
  cr_assert(json_is_null(json_array_get(o2022, 0)), "suppressed is null");
  cr_assert_str_eq(
      value_id(status, json_integer_value(json_array_get(o2022, 3))),
      "suppressed");
  cr_assert_null(json_object_get(series, "1:1:0:0"), "no such series");
  cr_assert_not_null(json_object_get(series, "0:1:1:0"), "roken WK038401 {}");
  cr_assert_not_null(json_object_get(series, "1:0:1:1"), "bijstand cbs");
  json_decref(msg);
}

Test(serve_sdmx, period_bounds) {
  char s[32], e[32];
  cr_assert_eq(serve_sdmx_period_bounds("2024", s, e, sizeof s), 0);
  cr_assert_str_eq(s, "2024-01-01T00:00:00Z");
  cr_assert_str_eq(e, "2024-12-31T23:59:59Z");
  cr_assert_eq(serve_sdmx_period_bounds("2024-02", s, e, sizeof s), 0);
  cr_assert_str_eq(e, "2024-02-29T23:59:59Z", "leap year");
  cr_assert_eq(serve_sdmx_period_bounds("2023-Q4", s, e, sizeof s), 0);
  cr_assert_str_eq(s, "2023-10-01T00:00:00Z");
  cr_assert_str_eq(e, "2023-12-31T23:59:59Z");
  cr_assert_eq(serve_sdmx_period_bounds("2022-W05", s, e, sizeof s), 0);
  cr_assert_str_eq(s, "2022-01-31T00:00:00Z");
  cr_assert_str_eq(e, "2022-02-06T23:59:59Z");
  cr_assert_eq(serve_sdmx_period_bounds("2021-W01", s, e, sizeof s), 0);
  cr_assert_str_eq(s, "2021-01-04T00:00:00Z");
  cr_assert_eq(serve_sdmx_period_bounds("2020-W53", s, e, sizeof s), 0);
  cr_assert_str_eq(s, "2020-12-28T00:00:00Z");
  cr_assert_eq(serve_sdmx_period_bounds("2021-W53", s, e, sizeof s), -1,
               "2021 has 52 ISO weeks");
  cr_assert_eq(serve_sdmx_period_bounds("2022JJ00", s, e, sizeof s), -1);
  cr_assert_eq(serve_sdmx_period_bounds("2022-Q5", s, e, sizeof s), -1);
  cr_assert_eq(serve_sdmx_period_bounds("2022-13", s, e, sizeof s), -1);
}
