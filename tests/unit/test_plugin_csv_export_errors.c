/*
 * csv_export bad input: the bad fixtures of tests/fixtures/csv/bad, broken
 * bytes, invalid params and host failures. Whole-file problems fail the
 * run with the file, the line and what was expected; a bad row is rejected
 * alone with its line.
 */
#include <criterion/criterion.h>

#include "csv_export_fake_host.h"

#define LOCAL_PARAMS                                                           \
  "{\"dataset\":\"diemen_lokaal\",\"area_column\":\"Gemeente\","               \
  "\"period_column\":\"Jaar\",\"area_prefix\":\"GM\"%s}"

static struct csv_fake_host *host_for(const char *fixture, const char *body,
                                      const char *extra_params) {
  struct csv_fake_host *h = csv_fake_new();
  char params[1024];
  json_error_t err;
  cr_assert_not_null(h);
  snprintf(params, sizeof params, LOCAL_PARAMS, extra_params);
  json_decref(h->params);
  h->params = json_loads(params, 0, &err);
  cr_assert_not_null(h->params, "%s", err.text);
  if (fixture)
    cr_assert_eq(csv_fake_fixture(h, fixture), 0, "%s", fixture);
  else
    csv_fake_text(h, body);
  return h;
}

static void expect_error(const struct csv_fake_host *h, const char *a,
                         const char *b) {
  int at = csv_log_find(h, GW_LOG_ERROR, a, b);
  if (at < 0)
    csv_dump(h);
  cr_expect_geq(at, 0, "no error containing \"%s\" / \"%s\"", a, b ? b : "");
}

Test(csv_export_errors, missing_column_names_column_line_and_header) {
  struct csv_fake_host *h = host_for("bad/missing_column.csv", NULL, "");
  cr_assert_eq(csv_fake_run(h), GW_FAIL);
  expect_error(h,
               CSV_FAKE_URL ": column \"Jaar\" not found in the header on line "
                            "1 (header: Periode;Gemeente;uitstroom_werk;"
                            "doorlooptijd_wmo)",
               NULL);
  cr_expect_eq(h->obs_count, 0);
  csv_fake_free(h);
}

Test(csv_export_errors, missing_value_column_of_a_long_table) {
  struct csv_fake_host *h = csv_fake_new();
  cr_assert_not_null(h);
  csv_fake_text(h, "T;;\n\nregio,jaar,code,waarde\nGM0384,2020,a,1\n");
  csv_fake_param(h, "dataset", "d");
  csv_fake_param(h, "layout", "long");
  csv_fake_param(h, "area_column", "regio");
  csv_fake_param(h, "period_column", "jaar");
  csv_fake_param(h, "code_column", "code");
  csv_fake_param(h, "value_column", "Waarde");
  csv_fake_param(h, "lower_column", "ondergrens");
  cr_assert_eq(csv_fake_run(h), GW_FAIL);
  expect_error(h, "column \"ondergrens\" not found in the header on line 3",
               "(header: regio,jaar,code,waarde)");
  csv_fake_free(h);
}

Test(csv_export_errors, mixed_delimiters_fail_naming_the_line) {
  struct csv_fake_host *h = host_for("bad/mixed_delimiters.csv", NULL, "");
  cr_assert_eq(csv_fake_run(h), GW_FAIL);
  expect_error(h,
               CSV_FAKE_URL ": line 4 is separated by ',' but the header on "
                            "line 1 by ';' (mixed delimiters)",
               NULL);
  csv_fake_free(h);
}

Test(csv_export_errors, bad_utf8_byte_in_utf8_mode_names_line_and_offset) {
  struct csv_fake_host *h =
      host_for("bad/bad_utf8.csv", NULL, ",\"encoding\":\"utf-8\"");
  const unsigned char *bad;
  char expected[128];
  cr_assert_eq(csv_fake_run(h), GW_FAIL);
  bad = memchr(h->body, 0xEB, h->body_len);
  cr_assert_not_null(bad);
  snprintf(expected, sizeof expected,
           "line 3, byte offset %zu: 0xEB is not valid UTF-8",
           (size_t)(bad - h->body));
  expect_error(h, CSV_FAKE_URL, expected);
  cr_expect_eq(h->rewinds, 0, "utf-8 mode reads once");
  csv_fake_free(h);
}

Test(csv_export_errors, the_same_file_is_windows_1252_in_auto_mode) {
  struct csv_fake_host *h = host_for("bad/bad_utf8.csv", NULL, "");
  h->map_all = 0;
  h->mapped[h->mapped_count++] = "uitstroom_werk";
  h->mapped[h->mapped_count++] = "doorlooptijd_wmo";
  cr_assert_eq(csv_fake_run(h), GW_OK);
  cr_expect_eq(h->obs_count, 4);
  cr_expect_geq(csv_log_find(h, GW_LOG_INFO, "line 3", "windows-1252"), 0);
  csv_fake_free(h);
}

struct utf8_case {
  const char *bytes;
  unsigned bad_byte;
};

Test(csv_export_errors, invalid_utf8_sequences) {
  static const struct utf8_case cases[] = {
      {"\xC0\xAF", 0xC0},         /* overlong '/' */
      {"\xE0\x80\xAF", 0xE0},     /* overlong */
      {"\xED\xA0\x80", 0xED},     /* surrogate */
      {"\xF4\x90\x80\x80", 0xF4}, /* above U+10FFFF */
      {"\xC3", 0xC3},             /* cut off at the end */
      {"\xC3(", 0xC3},            /* missing continuation */
      {"\x80", 0x80},             /* lone continuation */
      {"\xFF", 0xFF},
  };
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char body[128], want[64];
    struct csv_fake_host *h;
    snprintf(body, sizeof body, "Jaar;Gemeente;a\n2020;0384;1\n2021;%s",
             cases[i].bytes);
    h = host_for(NULL, body, ",\"encoding\":\"utf-8\"");
    h->read_chunk = 1;
    cr_assert_eq(csv_fake_run(h), GW_FAIL, "case %zu", i);
    snprintf(want, sizeof want, "line 3, byte offset 33: 0x%02X",
             cases[i].bad_byte);
    expect_error(h, want, "not valid UTF-8");
    csv_fake_free(h);
  }
}

Test(csv_export_errors, embedded_newline_fixture_is_valid) {
  struct csv_fake_host *h = host_for("bad/embedded_newline.csv", NULL, "");
  const struct csv_fake_obs *o;
  h->map_all = 0;
  h->mapped[h->mapped_count++] = "uitstroom_werk";
  h->mapped[h->mapped_count++] = "doorlooptijd_wmo";
  cr_assert_eq(csv_fake_run(h), GW_OK);
  cr_expect_eq(h->obs_count, 6);
  cr_expect_eq(h->total_rejects, 0);
  o = csv_find(h, "doorlooptijd_wmo", "GM0384", "2022", NULL,
               GW_COMPONENT_VALUE);
  cr_assert_not_null(o);
  cr_expect_eq(o->position, 7, "the two quoted notes span lines 2-3 and 4-6");
  cr_expect_float_eq(o->value, 38.5, 1e-9);
  csv_fake_free(h);
}

Test(csv_export_errors, ragged_row_is_rejected_alone) {
  struct csv_fake_host *h = host_for("bad/ragged.csv", NULL, "");
  cr_assert_eq(csv_fake_run(h), GW_OK);
  cr_expect_eq(h->obs_count, 4, "rows 2 and 4");
  cr_assert_eq(h->total_rejects, 1);
  cr_expect_str_eq(h->rejects[0],
                   CSV_FAKE_URL " line 3: has 3 fields, the header on line 1 "
                                "has 4 (delimiter ';')");
  cr_expect_null(csv_find(h, "uitstroom_werk", "GM0384", "2021", NULL,
                          GW_COMPONENT_VALUE));
  csv_fake_free(h);
}

struct fatal_case {
  const char *body;
  size_t len; /* 0: strlen */
  const char *message;
};

Test(csv_export_errors, files_that_cannot_be_read) {
  static const struct fatal_case cases[] = {
      {"Jaar;Gemeente;a\n2020;0384;\"open\n2021;0384;2\n", 0,
       "line 2: the quoted field opened on line 2 is not closed before the "
       "end of the file"},
      {"\xFF\xFEJ\0a\0", 6, "line 1: the file is UTF-16"},
      {"PK\x03\x04rest", 8, "line 1: the file is a zip archive"},
      {"\xD0\xCF\x11\xE0rest", 8, "old Excel .xls"},
      {"Jaar;Gemeente;a\n2020;0384;\0\n", 28,
       "line 2, byte offset 26: NUL byte"},
      {"", 0, "the file is empty: no header row with column \"Gemeente\""},
      {"Prestatie-indicatoren\nJaar;Regio;a\n2020;0384;1\n", 0,
       "no header row: none of the first 3 rows has a column \"Gemeente\" "
       "(params.area_column); the first row is: Prestatie-indicatoren"},
      {"Jaar;Gemeente;Gemeente;a\n", 0,
       "column \"Gemeente\" appears more than once in the header on line 1"},
  };
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct csv_fake_host *h = host_for(NULL, "", "");
    csv_fake_body(h, cases[i].body,
                  cases[i].len ? cases[i].len : strlen(cases[i].body));
    cr_assert_eq(csv_fake_run(h), GW_FAIL, "case %zu", i);
    expect_error(h, CSV_FAKE_URL ": ", cases[i].message);
    cr_expect_eq(h->obs_count, 0, "case %zu", i);
    csv_fake_free(h);
  }
}

Test(csv_export_errors, unclosed_quote_does_not_eat_memory) {
  size_t n = CSVX_MAX_RECORD_BYTES + 4096, i;
  char *body = malloc(n + 1);
  struct csv_fake_host *h = host_for(NULL, "", "");
  cr_assert_not_null(body);
  memcpy(body, "Jaar;Gemeente;a\n2020;0384;\"", 27);
  for (i = 27; i < n; i++)
    body[i] = i % 50 == 0 ? '\n' : 'y';
  body[n] = '\0';
  csv_fake_text(h, body);
  free(body);
  cr_assert_eq(csv_fake_run(h), GW_FAIL);
  expect_error(h, "line 2: record longer than 1048576 bytes",
               "the quoted field opened on line 2 is probably never closed");
  csv_fake_free(h);
}

Test(csv_export_errors, header_row_beyond_the_end) {
  struct csv_fake_host *h =
      host_for(NULL, "Jaar;Gemeente;a\n2020;0384;1\n", ",\"header_row\":9");
  cr_assert_eq(csv_fake_run(h), GW_FAIL);
  expect_error(h, "the file ends before line 9 (params.header_row)", NULL);
  csv_fake_free(h);
}

Test(csv_export_errors, nothing_mapped_fails_with_the_header) {
  struct csv_fake_host *h =
      host_for(NULL, "Jaar;Gemeente;a;b\n2020;0384;1;2\n", "");
  h->map_all = 0;
  cr_assert_eq(csv_fake_run(h), GW_FAIL);
  expect_error(h,
               "no column of the header on line 1 is mapped in the "
               "catalogue for dataset \"diemen_lokaal\"",
               "(header: Jaar;Gemeente;a;b)");
  csv_fake_free(h);
}

struct config_case {
  const char *params;
  const char *message;
};

Test(csv_export_errors, invalid_params_fail_init_naming_the_key) {
  static const struct config_case cases[] = {
      {"{\"area_column\":\"g\",\"period\":\"2020\"}", "params.dataset"},
      {"{\"dataset\":\"d\",\"period\":\"2020\"}", "params.area_column"},
      {"{\"dataset\":\"d\",\"area_column\":\"g\",\"period\":\"2020\","
       "\"layout\":\"tall\"}",
       "params.layout is \"tall\""},
      {"{\"dataset\":\"d\",\"area_column\":\"g\",\"period\":\"2020\","
       "\"delimiter\":\"|\"}",
       "params.delimiter is \"|\""},
      {"{\"dataset\":\"d\",\"area_column\":\"g\",\"period\":\"2020\","
       "\"encoding\":\"latin-9\"}",
       "params.encoding is \"latin-9\""},
      {"{\"dataset\":\"d\",\"area_column\":\"g\",\"period\":\"2020\","
       "\"markers\":{\"NB\":\"zero\"}}",
       "params.markers[\"NB\"] is \"zero\""},
      {"{\"dataset\":\"d\",\"area_column\":\"g\"}",
       "exactly one of params.period_column"},
      {"{\"dataset\":\"d\",\"area_column\":\"g\",\"period\":\"2020\","
       "\"period_column\":\"j\"}",
       "exactly one of params.period_column"},
      {"{\"dataset\":\"d\",\"area_column\":\"g\",\"period\":\"2020\","
       "\"layout\":\"long\",\"value_column\":\"w\"}",
       "needs exactly one of params.code_column and params.code"},
      {"{\"dataset\":\"d\",\"area_column\":\"g\",\"period\":\"2020\","
       "\"layout\":\"long\",\"code\":\"c\"}",
       "needs params.value_column"},
      {"{\"dataset\":\"d\",\"area_column\":\"g\",\"period\":\"2020\","
       "\"code_column\":\"c\"}",
       "layout \"wide\" takes the codes from the header"},
      {"{\"dataset\":\"d\",\"area_column\":\"g\",\"period\":\"2020\","
       "\"lower_column\":\"c\"}",
       "belong to layout \"long\""},
      {"{\"dataset\":\"d\",\"area_column\":\"g\",\"layout\":\"periods\","
       "\"code\":\"c\",\"period\":\"2020\"}",
       "takes the periods from the header"},
      {"{\"dataset\":\"d\",\"area_column\":\"g\",\"period\":\"2020\","
       "\"header_row\":-1}",
       "params.header_row is -1"},
      {"{\"dataset\":\"d\",\"area_column\":\"g\",\"period\":\"2020\","
       "\"breakdown_columns\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\",\"d\":\"4\","
       "\"e\":\"5\"}}",
       "params.breakdown_columns has 5 entries"},
  };
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct csv_fake_host *h = csv_fake_new();
    json_error_t err;
    cr_assert_not_null(h);
    json_decref(h->params);
    h->params = json_loads(cases[i].params, 0, &err);
    cr_assert_not_null(h->params, "case %zu: %s", i, err.text);
    cr_assert_eq(csv_fake_run(h), GW_FAIL, "case %zu", i);
    expect_error(h, "csv_export: ", cases[i].message);
    cr_expect_eq(h->fetches, 0, "case %zu: init fails before any fetch", i);
    csv_fake_free(h);
  }
}

Test(csv_export_errors, host_failures_pass_through) {
  struct csv_fake_host *h =
      host_for(NULL, "Jaar;Gemeente;a\n2020;0384;1\n2021;0384;2\n", "");
  h->fetch_result = GW_RETRY;
  cr_expect_eq(csv_fake_run(h), GW_RETRY, "a transient fetch error stays one");
  h->fetch_result = GW_OK;
  h->emit_fail_after = 1;
  cr_expect_eq(csv_fake_run(h), GW_FAIL, "a store failure stops the run");
  cr_expect_eq(h->obs_count, 1, "nothing emitted after the failure");
  csv_fake_reset_results(h);
  h->emit_fail_after = 0;
  h->rewind_fails = 1;
  cr_expect_eq(csv_fake_run(h), GW_FAIL);
  expect_error(h, "cannot read the file a second time", "params.encoding");
  csv_fake_reset_results(h);
  json_object_set_new(h->params, "encoding", json_string("utf-8"));
  cr_expect_eq(csv_fake_run(h), GW_OK, "an explicit encoding needs no rewind");
  csv_fake_free(h);
}
