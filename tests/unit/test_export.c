/*
 * test_export.c - the JSON, XML and CSV feed writers: output validated
 * against schemas/observation.schema.json (tests/tools/validate_json.py)
 * and schemas/feed.xsd (libxml2, in-process), parsed back and compared
 * field by field; refusals leave no half row behind; export_write and
 * export_to_file driven through a real store.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "export.h"
#include "gw_alloc.h"
#include "store.h"
#include "test_support.h"
#include "text.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SPECIAL_CODE "Code&<\"quoted\"> 'ë';x"
#define SPECIAL_AGE "65+ & \"oud\" <ë>"
#define SPECIAL_SUBSTANCE "roken;|=x"

static const char *tmpdir;

static void setup(void) {
  tmpdir = ts_mkdtemp();
  cr_assert_not_null(tmpdir);
}

static void teardown(void) {
  ts_rm_rf(tmpdir);
}

TestSuite(export, .init = setup, .fini = teardown);

/* ---- sample rows --------------------------------------------------------- */

static void make_obs(struct gw_observation *o, const char *indicator,
                     const char *area, gw_area_level level, const char *period,
                     const char *breakdown, const char *unit,
                     gw_status status) {
  memset(o, 0, sizeof *o);
  cr_assert_eq(text_copy(o->indicator, sizeof o->indicator, indicator), 0);
  cr_assert_eq(text_copy(o->area, sizeof o->area, area), 0);
  o->area_level = level;
  cr_assert_eq(text_copy(o->period, sizeof o->period, period), 0);
  cr_assert_eq(text_copy(o->breakdown, sizeof o->breakdown, breakdown), 0);
  cr_assert_eq(text_copy(o->unit, sizeof o->unit, unit), 0);
  o->status = status;
  o->component = GW_COMPONENT_VALUE;
  text_copy(o->source_id, sizeof o->source_id, "cbs_90001");
  text_copy(o->plugin, sizeof o->plugin, "cbs_odata");
  text_copy(o->dataset, sizeof o->dataset, "90001NED");
  text_copy(o->source_code, sizeof o->source_code, "Bijstandsuitkeringen");
  text_copy(o->fetched_at, sizeof o->fetched_at, "2024-03-01T10:00:00Z");
  text_copy(o->payload_sha256, sizeof o->payload_sha256, SHA_A);
  text_copy(o->span_id, sizeof o->span_id, "0123456789abcdef");
  o->revision = 1;
}

static void set_value(struct gw_observation *o, double v) {
  o->has_value = 1;
  o->value = v;
}

enum {
  ROW_PLAIN,      /* 312.4, no breakdown */
  ROW_MISSING,    /* status missing, no value */
  ROW_CI,         /* breakdown and both bounds */
  ROW_SPECIAL,    /* &, <, quotes, ë, ';', '|', '=' everywhere */
  ROW_THIRD,      /* 1/3 needs 17 digits; only a lower bound */
  ROW_ZERO,       /* a real 0 stays 0 */
  ROW_SUPPRESSED, /* suppressed, no value */
  ROW_TINY,       /* -1.5e-07 */
  ROW_COUNT
};

static void sample_rows(struct gw_observation rows[ROW_COUNT]) {
  make_obs(&rows[ROW_PLAIN], "bijstand_per_10k", "GM0384", GW_AREA_MUNICIPALITY,
           "2022", "{}", "per_10000", GW_STATUS_PROVISIONAL);
  set_value(&rows[ROW_PLAIN], 312.4);

  make_obs(&rows[ROW_MISSING], "bijstand_per_10k", "WK038401", GW_AREA_DISTRICT,
           "2022", "{}", "per_10000", GW_STATUS_MISSING);

  make_obs(&rows[ROW_CI], "ervaren_gezondheid", "GM0384", GW_AREA_MUNICIPALITY,
           "2022", "{\"age\":\"18 jaar of ouder\"}", "percent",
           GW_STATUS_FINAL);
  set_value(&rows[ROW_CI], 74.2);
  rows[ROW_CI].has_ci_low = rows[ROW_CI].has_ci_high = 1;
  rows[ROW_CI].ci_low = 72.1;
  rows[ROW_CI].ci_high = 76.3;

  make_obs(&rows[ROW_SPECIAL], "roker", "GM0384", GW_AREA_MUNICIPALITY, "2020",
           "{\"age\":\"65+ & \\\"oud\\\" <\\u00eb>\",\"substance\":\"roken;|="
           "x\"}",
           "percent", GW_STATUS_REVISED);
  set_value(&rows[ROW_SPECIAL], 0.1);
  text_copy(rows[ROW_SPECIAL].source_code, sizeof rows[ROW_SPECIAL].source_code,
            SPECIAL_CODE);
  rows[ROW_SPECIAL].revision = 2;

  make_obs(&rows[ROW_THIRD], "netto_arbeidsparticipatie", "BU03840000",
           GW_AREA_NEIGHBOURHOOD, "2021-Q1", "{}", "percent", GW_STATUS_FINAL);
  set_value(&rows[ROW_THIRD], 1.0 / 3.0);
  rows[ROW_THIRD].has_ci_low = 1;
  rows[ROW_THIRD].ci_low = 0.25;

  make_obs(&rows[ROW_ZERO], "wmo_clienten", "NL01", GW_AREA_COUNTRY, "2019",
           "{}", "count", GW_STATUS_FINAL);
  set_value(&rows[ROW_ZERO], 0.0);

  make_obs(&rows[ROW_SUPPRESSED], "wmo_clienten", "BU03840001",
           GW_AREA_NEIGHBOURHOOD, "2019", "", "count", GW_STATUS_SUPPRESSED);

  make_obs(&rows[ROW_TINY], "banen_per_1000", "GG3406", GW_AREA_REGION,
           "2022-W05", "{}", "per_1000", GW_STATUS_FINAL);
  set_value(&rows[ROW_TINY], -1.5e-7);
}

static void test_options(struct gw_export_options *opt,
                         gw_export_format format) {
  export_default_options(opt);
  opt->format = format;
  opt->feed_name = "test feed";
  opt->generated_at = "2024-03-02T08:00:00Z";
  opt->gateway_version = "0.1.0-test";
}

/* Drives a writer directly over rows and closes the file. */
static void write_feed(const struct gw_export_writer *w,
                       const struct gw_export_options *opt,
                       const struct gw_observation *rows, size_t n,
                       const char *path) {
  FILE *out = fopen(path, "wb");
  void *state = NULL;
  cr_assert_not_null(out);
  cr_assert_eq(w->begin(out, opt, &state), 0, "begin: %s", export_last_error());
  for (size_t i = 0; i < n; i++)
    cr_assert_eq(w->row(state, &rows[i]), 0, "row %zu: %s", i,
                 export_last_error());
  cr_assert_eq(w->end(state, n), 0, "end: %s", export_last_error());
  cr_assert_eq(fclose(out), 0);
}

/* ---- JSON schema validation through the Python tool ---------------------- */

/* Runs validate_json.py; returns its exit status, output in out. */
static int validate_json(const char *path, char *out, size_t out_size) {
  char cmd[4096];
  FILE *p;
  size_t len = 0;
  int status;
  cr_assert_eq(text_format(cmd, sizeof cmd,
                           "/usr/bin/python3 '%s/tests/tools/validate_json.py' "
                           "'%s/schemas/observation.schema.json' '%s' 2>&1",
                           ts_source_dir(), ts_source_dir(), path),
               0);
  p = popen(cmd, "r");
  cr_assert_not_null(p);
  out[0] = '\0';
  while (len + 1 < out_size) {
    size_t got = fread(out + len, 1, out_size - 1 - len, p);
    if (got == 0)
      break;
    len += got;
  }
  out[len] = '\0';
  status = pclose(p);
  cr_assert(WIFEXITED(status), "validator did not exit normally");
  return WEXITSTATUS(status);
}

static void assert_json_valid(const char *path) {
  char out[4096];
  int rc = validate_json(path, out, sizeof out);
  cr_assert_neq(rc, 2,
                "validator could not run (is python3-jsonschema installed "
                "for /usr/bin/python3?): %s",
                out);
  cr_assert_eq(rc, 0, "%s does not match observation.schema.json:\n%s", path,
               out);
}

static json_t *load_json(const char *path) {
  json_error_t jerr;
  json_t *doc = json_load_file(path, 0, &jerr);
  cr_assert_not_null(doc, "%s: %s (line %d)", path, jerr.text, jerr.line);
  return doc;
}

static json_t *json_observation(json_t *doc, size_t i) {
  json_t *o = json_array_get(json_object_get(doc, "observations"), i);
  cr_assert_not_null(o, "observation %zu missing", i);
  return o;
}

static double json_number(json_t *obj, const char *key) {
  json_t *v = json_object_get(obj, key);
  cr_assert(json_is_number(v), "%s is not a number", key);
  return json_number_value(v);
}

static const char *json_text(json_t *obj, const char *key) {
  json_t *v = json_object_get(obj, key);
  cr_assert(json_is_string(v), "%s is not a string", key);
  return json_string_value(v);
}

Test(export, json_feed_validates_and_reads_back) {
  struct gw_observation rows[ROW_COUNT];
  struct gw_export_options opt;
  const char *path = ts_path(tmpdir, "feed.json");
  json_t *doc, *o, *feed;

  sample_rows(rows);
  test_options(&opt, GW_FORMAT_JSON);
  write_feed(&export_json_writer, &opt, rows, ROW_COUNT, path);
  assert_json_valid(path);

  doc = load_json(path);
  feed = json_object_get(doc, "feed");
  cr_assert_str_eq(json_text(feed, "name"), "test feed");
  cr_assert_str_eq(json_text(feed, "generated_at"), "2024-03-02T08:00:00Z");
  cr_assert(json_is_null(json_object_get(feed, "as_of")));
  cr_assert_str_eq(json_text(feed, "schema"), "observation.schema.json");
  cr_assert_eq(json_integer_value(json_object_get(doc, "count")), ROW_COUNT);
  cr_assert_eq(json_array_size(json_object_get(doc, "observations")),
               ROW_COUNT);

  o = json_observation(doc, ROW_PLAIN);
  cr_assert_str_eq(json_text(o, "indicator"), "bijstand_per_10k");
  cr_assert_str_eq(json_text(o, "area_level"), "municipality");
  cr_assert_str_eq(json_text(o, "status"), "provisional");
  cr_assert_eq(json_number(o, "value"), 312.4);
  cr_assert(json_is_null(json_object_get(o, "ci_low")));
  cr_assert(json_is_null(json_object_get(o, "ci_high")));
  cr_assert_eq(json_object_size(json_object_get(o, "breakdown")), 0);
  cr_assert_eq(json_integer_value(json_object_get(o, "revision")), 1);

  /* missing and suppressed are null, never 0 */
  o = json_observation(doc, ROW_MISSING);
  cr_assert(json_is_null(json_object_get(o, "value")));
  cr_assert_str_eq(json_text(o, "status"), "missing");
  o = json_observation(doc, ROW_SUPPRESSED);
  cr_assert(json_is_null(json_object_get(o, "value")));
  cr_assert(json_is_object(json_object_get(o, "breakdown")));

  o = json_observation(doc, ROW_CI);
  cr_assert_eq(json_number(o, "ci_low"), 72.1);
  cr_assert_eq(json_number(o, "ci_high"), 76.3);
  cr_assert_str_eq(json_text(json_object_get(o, "breakdown"), "age"),
                   "18 jaar of ouder");

  o = json_observation(doc, ROW_SPECIAL);
  cr_assert_str_eq(json_text(json_object_get(o, "breakdown"), "age"),
                   SPECIAL_AGE);
  cr_assert_str_eq(json_text(json_object_get(o, "breakdown"), "substance"),
                   SPECIAL_SUBSTANCE);
  cr_assert_str_eq(json_text(json_object_get(o, "source"), "source_code"),
                   SPECIAL_CODE);
  cr_assert_eq(json_number(o, "value"), 0.1);
  cr_assert_eq(json_integer_value(json_object_get(o, "revision")), 2);

  /* numbers read back exactly */
  o = json_observation(doc, ROW_THIRD);
  cr_assert_eq(json_number(o, "value"), 1.0 / 3.0);
  cr_assert_eq(json_number(o, "ci_low"), 0.25);
  cr_assert(json_is_null(json_object_get(o, "ci_high")));
  o = json_observation(doc, ROW_ZERO);
  cr_assert_eq(json_number(o, "value"), 0.0);
  o = json_observation(doc, ROW_TINY);
  cr_assert_eq(json_number(o, "value"), -1.5e-7);

  /* span_id only with provenance */
  o = json_object_get(json_observation(doc, ROW_PLAIN), "source");
  cr_assert_null(json_object_get(o, "span_id"));
  cr_assert_str_eq(json_text(o, "payload_sha256"), SHA_A);
  json_decref(doc);
}

Test(export, json_numbers_are_shortest) {
  struct gw_observation rows[ROW_COUNT];
  struct gw_export_options opt;
  const char *path = ts_path(tmpdir, "feed.json");
  char *text;

  sample_rows(rows);
  test_options(&opt, GW_FORMAT_JSON);
  write_feed(&export_json_writer, &opt, rows, ROW_COUNT, path);
  text = ts_read_file(path, NULL);
  cr_assert_not_null(text);
  cr_assert_not_null(strstr(text, "\"value\":312.4,"));
  cr_assert_not_null(strstr(text, "\"value\":0.1,"));
  cr_assert_not_null(strstr(text, "\"value\":0.33333333333333331,"));
  cr_assert_not_null(strstr(text, "\"value\":-1.5e-07,"));
  cr_assert_null(strstr(text, "\"value\":0,\"unit\":\"per_10000\""));
  free(text);
}

Test(export, json_with_provenance_and_as_of) {
  struct gw_observation rows[ROW_COUNT];
  struct gw_export_options opt;
  const char *path = ts_path(tmpdir, "prov.json");
  json_t *doc, *src;

  sample_rows(rows);
  test_options(&opt, GW_FORMAT_JSON);
  opt.with_provenance = 1;
  opt.as_of = "2023-12-31T23:59:59Z";
  rows[ROW_MISSING].span_id[0] = '\0'; /* none known: left out */
  write_feed(&export_json_writer, &opt, rows, ROW_COUNT, path);
  assert_json_valid(path);
  doc = load_json(path);
  cr_assert_str_eq(json_text(json_object_get(doc, "feed"), "as_of"),
                   "2023-12-31T23:59:59Z");
  src = json_object_get(json_observation(doc, ROW_PLAIN), "source");
  cr_assert_str_eq(json_text(src, "span_id"), "0123456789abcdef");
  src = json_object_get(json_observation(doc, ROW_MISSING), "source");
  cr_assert_null(json_object_get(src, "span_id"));
  json_decref(doc);
}

Test(export, json_empty_feed_and_default_metadata) {
  struct gw_export_options opt;
  const char *path = ts_path(tmpdir, "empty.json");
  json_t *doc, *feed;

  export_default_options(&opt); /* generated_at NULL: taken now */
  write_feed(&export_json_writer, &opt, NULL, 0, path);
  assert_json_valid(path);
  doc = load_json(path);
  feed = json_object_get(doc, "feed");
  cr_assert_str_eq(json_text(feed, "name"), "indicators");
  cr_assert_str_eq(json_text(feed, "gateway_version"), GW_VERSION);
  cr_assert_eq(strlen(json_text(feed, "generated_at")), 20);
  cr_assert_eq(json_array_size(json_object_get(doc, "observations")), 0);
  cr_assert_eq(json_integer_value(json_object_get(doc, "count")), 0);
  json_decref(doc);
}

/* The schema must be able to fail: tampered documents are refused with the
 * JSON path of the offending value. */
static void assert_tampered_json_refused(const char *original, const char *find,
                                         const char *replace,
                                         const char *expect_path) {
  const char *path = ts_path(tmpdir, "tampered.json");
  char out[4096];
  const char *at = strstr(original, find);
  size_t head;
  char *text;
  cr_assert_not_null(at, "%s not in the feed", find);
  head = (size_t)(at - original);
  text = malloc(strlen(original) + strlen(replace) + 1);
  cr_assert_not_null(text);
  memcpy(text, original, head);
  memcpy(text + head, replace, strlen(replace));
  memcpy(text + head + strlen(replace), at + strlen(find),
         strlen(at + strlen(find)) + 1);
  cr_assert_eq(ts_write_file(path, text), 0);
  free(text);
  cr_assert_eq(validate_json(path, out, sizeof out), 1,
               "tampered feed (%s -> %s) accepted:\n%s", find, replace, out);
  cr_assert_not_null(strstr(out, expect_path), "no %s in:\n%s", expect_path,
                     out);
}

Test(export, json_schema_refuses_tampered_feeds) {
  struct gw_observation rows[ROW_COUNT];
  struct gw_export_options opt;
  const char *path = ts_path(tmpdir, "feed.json");
  char *text;

  sample_rows(rows);
  test_options(&opt, GW_FORMAT_JSON);
  write_feed(&export_json_writer, &opt, rows, ROW_COUNT, path);
  text = ts_read_file(path, NULL);
  cr_assert_not_null(text);
  /* a missing value published as 0 */
  assert_tampered_json_refused(
      text,
      "\"area\":\"WK038401\",\"area_level\":\"district\",\"period\":"
      "\"2022\",\"breakdown\":{},\"value\":null",
      "\"area\":\"WK038401\",\"area_level\":\"district\",\"period\":"
      "\"2022\",\"breakdown\":{},\"value\":0",
      "$.observations[1].value");
  assert_tampered_json_refused(text, "\"status\":\"provisional\"",
                               "\"status\":\"bogus\"",
                               "$.observations[0].status");
  assert_tampered_json_refused(text, "\"unit\":\"per_10000\"",
                               "\"unit\":\"furlongs\"",
                               "$.observations[0].unit");
  assert_tampered_json_refused(text, "\"ci_low\":null,", "",
                               "$.observations[0]");
  assert_tampered_json_refused(text, "\"count\":8", "\"count\":\"8\"",
                               "$.count");
  free(text);
}

/* ---- refusals ------------------------------------------------------------ */

static void assert_row_refused(const struct gw_export_writer *w,
                               const struct gw_observation *bad,
                               const char *expect_in_error) {
  struct gw_export_options opt;
  char *buf = NULL;
  size_t size = 0;
  FILE *out = open_memstream(&buf, &size);
  void *state = NULL;
  cr_assert_not_null(out);
  test_options(&opt, GW_FORMAT_JSON);
  cr_assert_eq(w->begin(out, &opt, &state), 0);
  cr_assert_neq(w->row(state, bad), 0, "row accepted, expected '%s'",
                expect_in_error);
  cr_assert_not_null(strstr(export_last_error(), expect_in_error),
                     "error '%s' does not mention '%s'", export_last_error(),
                     expect_in_error);
  w->abort(state);
  fclose(out);
  free(buf);
}

Test(export, bad_rows_are_refused_by_every_writer) {
  const struct gw_export_writer *writers[] = {
      &export_json_writer, &export_xml_writer, &export_csv_writer};
  struct gw_observation rows[ROW_COUNT], bad;

  sample_rows(rows);
  for (size_t i = 0; i < 3; i++) {
    const struct gw_export_writer *w = writers[i];
    bad = rows[ROW_PLAIN];
    bad.value = NAN;
    assert_row_refused(w, &bad, "value is not finite");
    bad = rows[ROW_CI];
    bad.ci_high = INFINITY;
    assert_row_refused(w, &bad, "ci_high is not finite");
    bad = rows[ROW_PLAIN];
    bad.status = GW_STATUS_SUPPRESSED; /* still carries 312.4 */
    assert_row_refused(w, &bad, "status suppressed but value is present");
    bad = rows[ROW_MISSING];
    bad.has_ci_low = 1;
    assert_row_refused(w, &bad, "status missing but ci_low is present");
    bad = rows[ROW_PLAIN];
    bad.status = GW_STATUS_UNSET;
    assert_row_refused(w, &bad, "not a published status");
    bad = rows[ROW_PLAIN];
    bad.area_level = GW_AREA_UNKNOWN;
    assert_row_refused(w, &bad, "area level");
    bad = rows[ROW_PLAIN];
    bad.revision = 0;
    assert_row_refused(w, &bad, "revision 0");
    bad = rows[ROW_PLAIN];
    text_copy(bad.breakdown, sizeof bad.breakdown, "[\"age\"]");
    assert_row_refused(w, &bad, "not a JSON object");
    text_copy(bad.breakdown, sizeof bad.breakdown, "{\"age\":18}");
    assert_row_refused(w, &bad, "must be a string");
    text_copy(bad.breakdown, sizeof bad.breakdown, "{\"age\":");
    assert_row_refused(w, &bad, "not valid JSON");
    bad = rows[ROW_PLAIN];
    text_copy(bad.source_code, sizeof bad.source_code, "bad \xC3\x28 utf8");
    assert_row_refused(w, &bad, "source_code is not valid UTF-8");
    bad = rows[ROW_PLAIN];
    memset(bad.area, 'A', sizeof bad.area); /* no terminating NUL */
    assert_row_refused(w, &bad, "area is not NUL-terminated");
    bad = rows[ROW_PLAIN];
    bad.period[0] = '\0';
    assert_row_refused(w, &bad, "period is empty");
  }
  /* XML 1.0 cannot carry a C0 control character at all */
  bad = rows[ROW_PLAIN];
  text_copy(bad.source_code, sizeof bad.source_code, "bell\x07");
  assert_row_refused(&export_xml_writer, &bad,
                     "field source_code contains characters XML cannot carry");
  bad = rows[ROW_PLAIN];
  text_copy(bad.breakdown, sizeof bad.breakdown, "{\"age\":\"a\\u0001b\"}");
  assert_row_refused(&export_xml_writer, &bad, "XML cannot carry");
  /* ...which JSON escapes and CSV carries as it is */
  {
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    struct gw_export_options opt;
    void *state = NULL;
    test_options(&opt, GW_FORMAT_JSON);
    cr_assert_eq(export_json_writer.begin(out, &opt, &state), 0);
    cr_assert_eq(export_json_writer.row(state, &bad), 0, "%s",
                 export_last_error());
    cr_assert_eq(export_json_writer.end(state, 1), 0);
    fclose(out);
    cr_assert_not_null(strstr(buf, "\"breakdown\":{\"age\":\"a\\u0001b\"}"));
    free(buf);
  }
}

/* A refused row leaves nothing behind: the feed stays valid. */
Test(export, refused_row_leaves_feed_valid) {
  struct gw_observation rows[ROW_COUNT], bad;
  struct gw_export_options opt;
  const char *path = ts_path(tmpdir, "partial.json");
  FILE *out = fopen(path, "wb");
  void *state = NULL;
  json_t *doc;

  cr_assert_not_null(out);
  sample_rows(rows);
  bad = rows[ROW_SPECIAL];
  bad.ci_low = NAN;
  bad.has_ci_low = 1;
  test_options(&opt, GW_FORMAT_JSON);
  cr_assert_eq(export_json_writer.begin(out, &opt, &state), 0);
  cr_assert_eq(export_json_writer.row(state, &rows[ROW_PLAIN]), 0);
  cr_assert_neq(export_json_writer.row(state, &bad), 0);
  cr_assert_eq(export_json_writer.row(state, &rows[ROW_CI]), 0);
  cr_assert_eq(export_json_writer.end(state, 2), 0, "%s", export_last_error());
  fclose(out);
  assert_json_valid(path);
  doc = load_json(path);
  cr_assert_eq(json_array_size(json_object_get(doc, "observations")), 2);
  json_decref(doc);
}

Test(export, end_refuses_a_wrong_count) {
  const struct gw_export_writer *writers[] = {
      &export_json_writer, &export_xml_writer, &export_csv_writer};
  struct gw_observation rows[ROW_COUNT];
  struct gw_export_options opt;
  sample_rows(rows);
  test_options(&opt, GW_FORMAT_JSON);
  for (size_t i = 0; i < 3; i++) {
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    void *state = NULL;
    cr_assert_eq(writers[i]->begin(out, &opt, &state), 0);
    cr_assert_eq(writers[i]->row(state, &rows[0]), 0);
    cr_assert_neq(writers[i]->end(state, 2), 0);
    cr_assert_not_null(strstr(export_last_error(), "count 2 differs"));
    fclose(out);
    free(buf);
  }
}

/* A stream that cannot be written is an error, not a silently short feed. */
Test(export, write_errors_are_reported) {
  const struct gw_export_writer *writers[] = {
      &export_json_writer, &export_xml_writer, &export_csv_writer};
  struct gw_observation rows[ROW_COUNT];
  struct gw_export_options opt;
  sample_rows(rows);
  test_options(&opt, GW_FORMAT_JSON);
  for (size_t i = 0; i < 3; i++) {
    FILE *out = fopen("/dev/full", "wb");
    void *state = NULL;
    int failed = 0;
    cr_assert_not_null(out);
    setvbuf(out, NULL, _IONBF, 0);
    if (writers[i]->begin(out, &opt, &state) != 0) {
      failed = 1;
    } else {
      size_t n = 0;
      for (; n < ROW_COUNT && !failed; n++)
        failed = writers[i]->row(state, &rows[n]) != 0;
      if (failed)
        writers[i]->abort(state);
      else
        failed = writers[i]->end(state, n) != 0;
    }
    cr_assert(failed, "writer %zu reported success on /dev/full", i);
    cr_assert_not_null(strstr(export_last_error(), "fail"), "%s",
                       export_last_error());
    fclose(out);
  }
}

/* ---- XML
 * -------------------------------------------------------------------*/

static xmlSchemaPtr load_xsd(void) {
  const char *xsd = ts_path(ts_source_dir(), "schemas/feed.xsd");
  xmlSchemaParserCtxtPtr pctx = xmlSchemaNewParserCtxt(xsd);
  xmlSchemaPtr schema;
  cr_assert_not_null(pctx);
  schema = xmlSchemaParse(pctx);
  xmlSchemaFreeParserCtxt(pctx);
  cr_assert_not_null(schema, "%s does not parse", xsd);
  return schema;
}

static int xsd_validate(xmlSchemaPtr schema, xmlDocPtr doc) {
  xmlSchemaValidCtxtPtr vctx = xmlSchemaNewValidCtxt(schema);
  int rc;
  cr_assert_not_null(vctx);
  rc = xmlSchemaValidateDoc(vctx, doc);
  xmlSchemaFreeValidCtxt(vctx);
  return rc;
}

static char *xpath_string(xmlDocPtr doc, const char *expr) {
  xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
  xmlXPathObjectPtr res;
  char *out;
  cr_assert_not_null(ctx);
  cr_assert_eq(
      xmlXPathRegisterNs(ctx, BAD_CAST "f", BAD_CAST "urn:nl:gateway:feed:1"),
      0);
  res = xmlXPathEvalExpression(BAD_CAST expr, ctx);
  cr_assert_not_null(res, "bad XPath %s", expr);
  out = (char *)xmlXPathCastToString(res);
  xmlXPathFreeObject(res);
  xmlXPathFreeContext(ctx);
  cr_assert_not_null(out);
  return out;
}

static void assert_xpath(xmlDocPtr doc, const char *expr,
                         const char *expected) {
  char *got = xpath_string(doc, expr);
  cr_assert_str_eq(got, expected, "%s", expr);
  xmlFree(got);
}

Test(export, xml_feed_validates_and_reads_back) {
  struct gw_observation rows[ROW_COUNT];
  struct gw_export_options opt;
  const char *path = ts_path(tmpdir, "feed.xml");
  xmlSchemaPtr schema = load_xsd();
  xmlDocPtr doc;

  sample_rows(rows);
  test_options(&opt, GW_FORMAT_XML);
  opt.as_of = "2023-12-31T23:59:59Z";
  opt.with_provenance = 1;
  write_feed(&export_xml_writer, &opt, rows, ROW_COUNT, path);
  doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
  cr_assert_not_null(doc, "%s is not well-formed", path);
  cr_assert_eq(xsd_validate(schema, doc), 0, "%s does not match feed.xsd",
               path);

  assert_xpath(doc, "string(/f:feed/@name)", "test feed");
  assert_xpath(doc, "string(/f:feed/@as_of)", "2023-12-31T23:59:59Z");
  assert_xpath(doc, "string(/f:feed/f:count)", "8");
  assert_xpath(doc, "string(count(/f:feed/f:observation))", "8");
  assert_xpath(doc, "string(/f:feed/f:observation[1]/f:value)", "312.4");
  assert_xpath(doc, "string(/f:feed/f:observation[1]/f:area_level)",
               "municipality");
  assert_xpath(doc, "string(count(/f:feed/f:observation[1]/f:ci_low))", "0");
  /* missing and suppressed: no value element at all */
  assert_xpath(doc, "string(count(/f:feed/f:observation[2]/f:value))", "0");
  assert_xpath(doc, "string(/f:feed/f:observation[2]/f:status)", "missing");
  assert_xpath(doc, "string(count(/f:feed/f:observation[7]/f:value))", "0");
  assert_xpath(doc,
               "string(/f:feed/f:observation[3]/f:breakdown/"
               "f:member[@dimension='age'])",
               "18 jaar of ouder");
  assert_xpath(doc, "string(/f:feed/f:observation[3]/f:ci_low)", "72.1");
  assert_xpath(doc, "string(/f:feed/f:observation[3]/f:ci_high)", "76.3");
  assert_xpath(doc,
               "string(/f:feed/f:observation[4]/f:breakdown/"
               "f:member[@dimension='age'])",
               SPECIAL_AGE);
  assert_xpath(doc,
               "string(/f:feed/f:observation[4]/f:breakdown/f:member[2]/"
               "@dimension)",
               "substance");
  assert_xpath(doc, "string(/f:feed/f:observation[4]/f:breakdown/f:member[2])",
               SPECIAL_SUBSTANCE);
  assert_xpath(doc, "string(/f:feed/f:observation[4]/f:source/@source_code)",
               SPECIAL_CODE);
  assert_xpath(doc, "string(/f:feed/f:observation[4]/f:revision)", "2");
  assert_xpath(doc, "string(/f:feed/f:observation[5]/f:value)",
               "0.33333333333333331");
  assert_xpath(doc, "string(count(/f:feed/f:observation[5]/f:ci_high))", "0");
  assert_xpath(doc, "string(/f:feed/f:observation[6]/f:value)", "0");
  assert_xpath(doc, "string(/f:feed/f:observation[8]/f:value)", "-1.5e-07");
  assert_xpath(doc, "string(/f:feed/f:observation[1]/f:source/@span_id)",
               "0123456789abcdef");
  assert_xpath(doc, "string(count(/f:feed/f:observation[7]/f:breakdown/*))",
               "0");
  xmlFreeDoc(doc);
  xmlSchemaFree(schema);
}

Test(export, xml_without_as_of_or_provenance) {
  struct gw_observation rows[ROW_COUNT];
  struct gw_export_options opt;
  const char *path = ts_path(tmpdir, "feed.xml");
  xmlSchemaPtr schema = load_xsd();
  xmlDocPtr doc;

  sample_rows(rows);
  test_options(&opt, GW_FORMAT_XML);
  write_feed(&export_xml_writer, &opt, rows, ROW_COUNT, path);
  doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
  cr_assert_not_null(doc);
  cr_assert_eq(xsd_validate(schema, doc), 0);
  assert_xpath(doc, "string(count(/f:feed/@as_of))", "0");
  assert_xpath(doc, "string(count(//f:source/@span_id))", "0");
  xmlFreeDoc(doc);

  /* and an empty feed */
  write_feed(&export_xml_writer, &opt, NULL, 0, path);
  doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
  cr_assert_not_null(doc);
  cr_assert_eq(xsd_validate(schema, doc), 0);
  assert_xpath(doc, "string(/f:feed/f:count)", "0");
  xmlFreeDoc(doc);
  xmlSchemaFree(schema);
}

static char *replace_once(const char *text, const char *find,
                          const char *replace) {
  const char *at = strstr(text, find);
  size_t head, total;
  char *out;
  cr_assert_not_null(at, "%s not found", find);
  head = (size_t)(at - text);
  total = strlen(text) - strlen(find) + strlen(replace);
  out = malloc(total + 1);
  cr_assert_not_null(out);
  memcpy(out, text, head);
  memcpy(out + head, replace, strlen(replace));
  memcpy(out + head + strlen(replace), at + strlen(find),
         strlen(at + strlen(find)) + 1);
  return out;
}

/* The XSD must be able to fail. */
Test(export, xsd_refuses_tampered_feeds) {
  static const char *const tamper[][2] = {
      {"<status>provisional</status>", "<status>bogus</status>"},
      {"<unit>per_10000</unit>", "<unit>furlongs</unit>"},
      {"<area_level>municipality</area_level>",
       "<area_level>planet</area_level>"},
      {"<value>312.4</value>", "<value>312,4</value>"},
      {"<value>312.4</value>", "<value>NaN</value>"},
      {"<revision>1</revision>", "<revision>0</revision>"},
      {"<count>8</count>", ""},
      {"<unit>per_10000</unit>", "<unit>per_10000</unit><value>1</value>"},
  };
  struct gw_observation rows[ROW_COUNT];
  struct gw_export_options opt;
  const char *path = ts_path(tmpdir, "feed.xml");
  xmlSchemaPtr schema = load_xsd();
  char *text;

  sample_rows(rows);
  test_options(&opt, GW_FORMAT_XML);
  write_feed(&export_xml_writer, &opt, rows, ROW_COUNT, path);
  text = ts_read_file(path, NULL);
  cr_assert_not_null(text);
  for (size_t i = 0; i < sizeof tamper / sizeof tamper[0]; i++) {
    char *bad = replace_once(text, tamper[i][0], tamper[i][1]);
    xmlDocPtr doc = xmlReadMemory(bad, (int)strlen(bad), "tampered.xml", NULL,
                                  XML_PARSE_NONET);
    cr_assert_not_null(doc);
    cr_assert_neq(xsd_validate(schema, doc), 0, "accepted: %s -> %s",
                  tamper[i][0], tamper[i][1]);
    xmlFreeDoc(doc);
    free(bad);
  }
  free(text);
  xmlSchemaFree(schema);
}

/* ---- CSV ------------------------------------------------------------------*/

/* Splits one RFC 4180 record starting at *p into cells (quotes undone);
 * returns the count and moves *p past the CRLF. */
static size_t csv_record(const char **p, char delim, char cells[][512],
                         size_t max) {
  size_t n = 0;
  const char *s = *p;
  for (;;) {
    size_t len = 0;
    cr_assert_lt(n, max);
    if (*s == '"') {
      s++;
      for (;;) {
        cr_assert_neq(*s, '\0', "unterminated quoted cell");
        if (*s == '"' && s[1] == '"') {
          cells[n][len++] = '"';
          s += 2;
        } else if (*s == '"') {
          s++;
          break;
        } else {
          cells[n][len++] = *s++;
        }
        cr_assert_lt(len, 511);
      }
    } else {
      while (*s && *s != delim && *s != '\r' && *s != '\n') {
        cells[n][len++] = *s++;
        cr_assert_lt(len, 511);
      }
    }
    cells[n++][len] = '\0';
    if (*s == delim) {
      s++;
      continue;
    }
    cr_assert(s[0] == '\r' && s[1] == '\n', "record does not end in CRLF");
    *p = s + 2;
    return n;
  }
}

static const char *const csv_header[] = {
    "indicator",  "area",          "area_level", "period",  "breakdown",
    "value",      "unit",          "status",     "ci_low",  "ci_high",
    "revision",   "source_id",     "plugin",     "dataset", "source_code",
    "fetched_at", "payload_sha256"};

Test(export, csv_excel_defaults) {
  struct gw_observation rows[ROW_COUNT];
  struct gw_export_options opt;
  const char *path = ts_path(tmpdir, "feed.csv");
  char cells[20][512];
  char *text;
  const char *p;
  size_t n;

  sample_rows(rows);
  test_options(&opt, GW_FORMAT_CSV);
  write_feed(&export_csv_writer, &opt, rows, ROW_COUNT, path);
  text = ts_read_file(path, NULL);
  cr_assert_not_null(text);
  cr_assert_eq(memcmp(text, "\xEF\xBB\xBF", 3), 0, "no UTF-8 BOM");
  for (const char *c = text; *c; c++) {
    if (*c == '\n')
      cr_assert(c > text && c[-1] == '\r', "bare LF at offset %td", c - text);
  }
  cr_assert_eq(strncmp(text + 3,
                       "indicator;area;area_level;period;breakdown;value;unit;"
                       "status;ci_low;ci_high;revision;source_id;plugin;"
                       "dataset;source_code;fetched_at;payload_sha256\r\n",
                       strlen("indicator;area;area_level;period;breakdown;"
                              "value;unit;status;ci_low;ci_high;revision;"
                              "source_id;plugin;dataset;source_code;"
                              "fetched_at;payload_sha256\r\n")),
               0);
  cr_assert_not_null(
      strstr(text, "\r\nbijstand_per_10k;GM0384;municipality;2022;;312,4;"
                   "per_10000;provisional;;;1;cbs_90001;cbs_odata;90001NED;"
                   "Bijstandsuitkeringen;2024-03-01T10:00:00Z;" SHA_A "\r\n"));

  p = text + 3;
  n = csv_record(&p, ';', cells, 20);
  cr_assert_eq(n, 17);
  for (size_t i = 0; i < n; i++)
    cr_assert_str_eq(cells[i], csv_header[i]);
  for (size_t r = 0; r < ROW_COUNT; r++) {
    n = csv_record(&p, ';', cells, 20);
    cr_assert_eq(n, 17, "row %zu has %zu cells", r, n);
    cr_assert_str_eq(cells[0], rows[r].indicator);
    switch (r) {
    case ROW_MISSING:
    case ROW_SUPPRESSED:
      cr_assert_str_eq(cells[5], "", "missing value must be an empty cell");
      break;
    case ROW_CI:
      cr_assert_str_eq(cells[4], "age=18 jaar of ouder");
      cr_assert_str_eq(cells[5], "74,2");
      cr_assert_str_eq(cells[8], "72,1");
      cr_assert_str_eq(cells[9], "76,3");
      break;
    case ROW_SPECIAL:
      cr_assert_str_eq(cells[4], "age=" SPECIAL_AGE "|substance=roken;\\|\\=x");
      cr_assert_str_eq(cells[5], "0,1");
      cr_assert_str_eq(cells[7], "revised");
      cr_assert_str_eq(cells[10], "2");
      cr_assert_str_eq(cells[14], SPECIAL_CODE);
      break;
    case ROW_THIRD:
      cr_assert_str_eq(cells[5], "0,33333333333333331");
      cr_assert_str_eq(cells[8], "0,25");
      cr_assert_str_eq(cells[9], "");
      break;
    case ROW_ZERO:
      cr_assert_str_eq(cells[5], "0");
      break;
    case ROW_TINY:
      cr_assert_str_eq(cells[5], "-1,5e-07", "numbers are not formula-guarded");
      break;
    default:
      break;
    }
  }
  cr_assert_eq(*p, '\0', "trailing data after the last row");
  /* quoting: a cell with ';' or '"' is quoted, its quotes doubled */
  cr_assert_not_null(strstr(text, ";\"Code&<\"\"quoted\"\"> 'ë';x\";"));
  free(text);
}

Test(export, csv_comma_point_no_bom_provenance) {
  struct gw_observation rows[ROW_COUNT];
  struct gw_export_options opt;
  const char *path = ts_path(tmpdir, "feed.csv");
  char cells[20][512];
  char *text;
  const char *p;

  sample_rows(rows);
  test_options(&opt, GW_FORMAT_CSV);
  opt.csv_delimiter = ',';
  opt.csv_decimal_comma = 0;
  opt.csv_bom = 0;
  opt.with_provenance = 1;
  write_feed(&export_csv_writer, &opt, rows, ROW_COUNT, path);
  text = ts_read_file(path, NULL);
  cr_assert_not_null(text);
  cr_assert_eq(strncmp(text, "indicator,area,", 15), 0, "BOM or wrong header");
  p = text;
  cr_assert_eq(csv_record(&p, ',', cells, 20), 18);
  cr_assert_str_eq(cells[17], "span_id");
  cr_assert_eq(csv_record(&p, ',', cells, 20), 18);
  cr_assert_str_eq(cells[5], "312.4");
  cr_assert_str_eq(cells[17], "0123456789abcdef");
  free(text);

  /* ',' delimiter with decimal comma: numbers get quoted, still one cell */
  opt.csv_decimal_comma = 1;
  write_feed(&export_csv_writer, &opt, rows, 1, path);
  text = ts_read_file(path, NULL);
  cr_assert_not_null(text);
  cr_assert_not_null(strstr(text, ",\"312,4\","));
  free(text);
}

Test(export, csv_guards_against_formulas) {
  struct gw_observation rows[ROW_COUNT];
  struct gw_export_options opt;
  const char *path = ts_path(tmpdir, "feed.csv");
  char cells[20][512];
  char *text;
  const char *p;

  sample_rows(rows);
  text_copy(rows[0].source_code, sizeof rows[0].source_code,
            "=HYPERLINK(\"http://x\")");
  text_copy(rows[0].dataset, sizeof rows[0].dataset, "@SUM(A1)");
  test_options(&opt, GW_FORMAT_CSV);
  opt.csv_bom = 0;
  write_feed(&export_csv_writer, &opt, rows, 1, path);
  text = ts_read_file(path, NULL);
  cr_assert_not_null(text);
  p = text;
  csv_record(&p, ';', cells, 20);
  cr_assert_eq(csv_record(&p, ';', cells, 20), 17);
  cr_assert_str_eq(cells[13], "'@SUM(A1)");
  cr_assert_str_eq(cells[14], "'=HYPERLINK(\"http://x\")");
  free(text);
}

Test(export, csv_refuses_unusable_delimiters) {
  struct gw_export_options opt;
  const char bad[] = {'"', '\n', '\r', '\''};
  test_options(&opt, GW_FORMAT_CSV);
  for (size_t i = 0; i < sizeof bad; i++) {
    void *state = NULL;
    opt.csv_delimiter = bad[i];
    cr_assert_neq(export_csv_writer.begin(stdout, &opt, &state), 0);
    cr_assert_null(state);
    cr_assert_not_null(strstr(export_last_error(), "delimiter"));
  }
}

/* ---- names and defaults -------------------------------------------------- */

Test(export, format_names_and_defaults) {
  struct gw_export_options opt;
  gw_export_format f;
  const gw_export_format all[] = {GW_FORMAT_JSON, GW_FORMAT_XML, GW_FORMAT_CSV};
  for (size_t i = 0; i < 3; i++) {
    cr_assert_eq(export_format_from_name(export_format_name(all[i]), &f), 0);
    cr_assert_eq(f, all[i]);
    cr_assert_str_eq(export_format_extension(all[i]),
                     export_format_name(all[i]));
  }
  cr_assert_str_eq(export_format_name(GW_FORMAT_XML), "xml");
  cr_assert_neq(export_format_from_name("JSONL", &f), 0);
  cr_assert_neq(export_format_from_name(NULL, &f), 0);
  cr_assert_str_eq(export_format_name((gw_export_format)42), "unknown");

  memset(&opt, 0x55, sizeof opt);
  export_default_options(&opt);
  cr_assert_eq(opt.format, GW_FORMAT_JSON);
  cr_assert_eq(opt.csv_delimiter, ';');
  cr_assert_eq(opt.csv_decimal_comma, 1);
  cr_assert_eq(opt.csv_bom, 1);
  cr_assert_eq(opt.with_provenance, 0);
  cr_assert_null(opt.as_of);
  cr_assert_null(opt.generated_at);
  cr_assert_str_eq(opt.feed_name, "indicators");
  cr_assert_str_eq(opt.gateway_version, GW_VERSION);
}

/* ---- through a real store -------------------------------------------------
 */

static struct gw_store *store_with_rows(const struct gw_observation *rows,
                                        size_t n) {
  struct gw_store *store = NULL;
  struct gw_store_run *run = NULL;
  struct gw_run_counts counts;
  char err[GW_ERR_MAX];

  cr_assert_eq(store_open(ts_path(tmpdir, "store.db"), &store, err, sizeof err),
               0, "%s", err);
  cr_assert_eq(
      store_run_begin(store, "cbs_90001", "run-1", &run, err, sizeof err), 0,
      "%s", err);
  for (size_t i = 0; i < n; i++)
    cr_assert_eq(store_run_stage(run, &rows[i], err, sizeof err), 0,
                 "row %zu: %s", i, err);
  cr_assert_eq(
      store_run_commit(run, "2024-03-01T10:05:00Z", &counts, err, sizeof err),
      0, "%s", err);
  cr_assert_eq(counts.inserted, n);
  return store;
}

Test(export, export_write_from_store_all_formats) {
  struct gw_observation rows[ROW_COUNT];
  struct gw_export_options opt;
  struct gw_store *store;
  xmlSchemaPtr schema = load_xsd();
  char err[GW_ERR_MAX];
  uint64_t count = 0;
  json_t *doc;

  sample_rows(rows);
  store = store_with_rows(rows, ROW_COUNT);

  test_options(&opt, GW_FORMAT_JSON);
  cr_assert_eq(export_to_file(store, NULL, &opt, ts_path(tmpdir, "s.json"),
                              &count, err, sizeof err),
               0, "%s", err);
  cr_assert_eq(count, ROW_COUNT);
  assert_json_valid(ts_path(tmpdir, "s.json"));
  doc = load_json(ts_path(tmpdir, "s.json"));
  cr_assert_eq(json_integer_value(json_object_get(doc, "count")), ROW_COUNT);
  json_decref(doc);

  opt.format = GW_FORMAT_XML;
  cr_assert_eq(export_to_file(store, NULL, &opt, ts_path(tmpdir, "s.xml"),
                              &count, err, sizeof err),
               0, "%s", err);
  {
    xmlDocPtr xdoc =
        xmlReadFile(ts_path(tmpdir, "s.xml"), NULL, XML_PARSE_NONET);
    cr_assert_not_null(xdoc);
    cr_assert_eq(xsd_validate(schema, xdoc), 0);
    assert_xpath(xdoc, "string(/f:feed/f:count)", "8");
    xmlFreeDoc(xdoc);
  }

  opt.format = GW_FORMAT_CSV;
  cr_assert_eq(export_to_file(store, NULL, &opt, ts_path(tmpdir, "s.csv"),
                              &count, err, sizeof err),
               0, "%s", err);
  cr_assert_eq(count, ROW_COUNT);

  /* a filtered query through export_write to a stream */
  {
    const char *const areas[] = {"GM0384", NULL};
    struct gw_query q = {.areas = areas};
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    opt.format = GW_FORMAT_JSON;
    cr_assert_eq(export_write(store, &q, &opt, out, &count, err, sizeof err), 0,
                 "%s", err);
    fclose(out);
    cr_assert_eq(count, 3); /* plain, ci, special */
    cr_assert_not_null(strstr(buf, "\"count\":3}"));
    free(buf);
  }
  store_close(store);
  xmlSchemaFree(schema);
}

Test(export, export_write_as_of_must_match_query) {
  struct gw_observation rows[ROW_COUNT];
  struct gw_export_options opt;
  struct gw_store *store;
  struct gw_query q = {.as_of = "2030-01-01T00:00:00Z"};
  char err[GW_ERR_MAX];
  uint64_t count = 0;
  json_t *doc;

  sample_rows(rows);
  store = store_with_rows(rows, 2);
  test_options(&opt, GW_FORMAT_JSON);
  /* as_of taken over from the query into the metadata */
  cr_assert_eq(export_to_file(store, &q, &opt, ts_path(tmpdir, "a.json"),
                              &count, err, sizeof err),
               0, "%s", err);
  doc = load_json(ts_path(tmpdir, "a.json"));
  cr_assert_str_eq(json_text(json_object_get(doc, "feed"), "as_of"),
                   "2030-01-01T00:00:00Z");
  json_decref(doc);
  /* and refused when the two disagree */
  opt.as_of = "2020-01-01T00:00:00Z";
  cr_assert_neq(export_to_file(store, &q, &opt, ts_path(tmpdir, "a.json"),
                               &count, err, sizeof err),
                0);
  cr_assert_not_null(strstr(err, "as_of"), "%s", err);
  store_close(store);
}

static size_t count_dir_entries(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  size_t n = 0;
  cr_assert_not_null(d);
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
      n++;
  }
  closedir(d);
  return n;
}

/* A feed that cannot be finished leaves the published one untouched. */
Test(export, export_to_file_failure_keeps_old_feed) {
  struct gw_observation rows[ROW_COUNT];
  struct gw_export_options opt;
  struct gw_store *store;
  const char *feed = ts_path(tmpdir, "feed.csv");
  char err[GW_ERR_MAX];
  uint64_t count = 7;
  char *text;
  size_t entries;

  sample_rows(rows);
  store = store_with_rows(rows, ROW_COUNT);
  cr_assert_eq(ts_write_file(feed, "old feed\r\n"), 0);
  entries = count_dir_entries(tmpdir);

  test_options(&opt, GW_FORMAT_CSV);
  opt.csv_delimiter = '"'; /* the writer refuses to start */
  cr_assert_neq(
      export_to_file(store, NULL, &opt, feed, &count, err, sizeof err), 0);
  cr_assert_not_null(strstr(err, feed), "error does not name the file: %s",
                     err);
  cr_assert_not_null(strstr(err, "delimiter"), "%s", err);
  cr_assert_eq(count, 0);
  text = ts_read_file(feed, NULL);
  cr_assert_str_eq(text, "old feed\r\n");
  free(text);
  cr_assert_eq(count_dir_entries(tmpdir), entries, "temporary file left");

  /* a row the XML writer refuses half-way through the feed */
  {
    struct gw_store *bad_store;
    struct gw_observation bad = rows[ROW_TINY];
    const char *xml = ts_path(tmpdir, "feed.xml");
    store_close(store);
    unlink(ts_path(tmpdir, "store.db"));
    text_copy(bad.indicator, sizeof bad.indicator, "zz_last");
    text_copy(bad.source_code, sizeof bad.source_code, "bell\x07");
    rows[ROW_TINY] = bad;
    store = store_with_rows(rows, ROW_COUNT);
    bad_store = store;
    cr_assert_eq(ts_write_file(xml, "<old/>"), 0);
    entries = count_dir_entries(tmpdir);
    opt.format = GW_FORMAT_XML;
    cr_assert_neq(
        export_to_file(bad_store, NULL, &opt, xml, &count, err, sizeof err), 0);
    cr_assert_not_null(strstr(err, xml), "%s", err);
    cr_assert_not_null(strstr(err, "observation 8"), "%s", err);
    cr_assert_not_null(strstr(err, "XML cannot carry"), "%s", err);
    text = ts_read_file(xml, NULL);
    cr_assert_str_eq(text, "<old/>");
    free(text);
    cr_assert_eq(count_dir_entries(tmpdir), entries, "temporary file left");
    opt.format = GW_FORMAT_CSV;
  }

  /* the target is a directory: the rename fails after a complete write */
  opt.csv_delimiter = ';';
  cr_assert_eq(mkdir(ts_path(tmpdir, "dir.csv"), 0755), 0);
  entries = count_dir_entries(tmpdir);
  cr_assert_neq(export_to_file(store, NULL, &opt, ts_path(tmpdir, "dir.csv"),
                               &count, err, sizeof err),
                0);
  cr_assert_not_null(strstr(err, "rename"), "%s", err);
  cr_assert_eq(count_dir_entries(tmpdir), entries, "temporary file left");
  store_close(store);
}

/* Allocation failure while starting a feed is a clean error. */
Test(export, allocation_failure_is_an_error) {
  const struct gw_export_writer *writers[] = {
      &export_json_writer, &export_xml_writer, &export_csv_writer};
  struct gw_export_options opt;
  test_options(&opt, GW_FORMAT_JSON);
  for (size_t i = 0; i < 3; i++) {
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    void *state = NULL;
    cr_assert_not_null(out);
    gw_alloc_fail_at(1);
    cr_assert_neq(writers[i]->begin(out, &opt, &state), 0);
    gw_alloc_fail_at(0);
    cr_assert_null(state);
    cr_assert_not_null(strstr(export_last_error(), "out of memory"), "%s",
                       export_last_error());
    fclose(out);
    free(buf);
  }
}
