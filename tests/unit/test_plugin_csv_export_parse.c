/*
 * csv_export parsing, table-driven on small inline files: delimiters,
 * BOM, line ends, RFC 4180 quoting with embedded newlines, decimal comma,
 * markers, encodings, title rows, area and code mapping, the three layouts.
 */
#include <criterion/criterion.h>

#include "csv_export_fake_host.h"

/* A host serving body with the params given as JSON text. */
static struct csv_fake_host *host_for(const char *body, const char *params) {
  struct csv_fake_host *h = csv_fake_new();
  json_error_t err;
  cr_assert_not_null(h);
  json_decref(h->params);
  h->params = json_loads(params, 0, &err);
  cr_assert_not_null(h->params, "params: %s", err.text);
  csv_fake_text(h, body);
  return h;
}

static struct csv_fake_host *run_ok(const char *body, const char *params) {
  struct csv_fake_host *h = host_for(body, params);
  gw_result rc = csv_fake_run(h);
  if (rc != GW_OK)
    csv_dump(h);
  cr_assert_eq(rc, GW_OK, "body: %s", body);
  return h;
}

#define WIDE                                                                   \
  "{\"dataset\":\"d\",\"area_column\":\"gebied\",\"period_column\":"           \
  "\"jaar\"}"

static void expect_value(const struct csv_fake_host *h, const char *code,
                         const char *area, const char *period, double value) {
  const struct csv_fake_obs *o =
      csv_find(h, code, area, period, NULL, GW_COMPONENT_VALUE);
  cr_assert_not_null(o, "%s %s %s missing", code, area, period);
  cr_expect_eq(o->has_value, 1, "%s %s %s", code, area, period);
  cr_expect_float_eq(o->value, value, 1e-9, "%s %s %s: %g", code, area, period,
                     o->value);
}

struct delimiter_case {
  const char *body;
  const char *params;
  const char *logged;
};

Test(csv_export_parse, delimiter_is_detected_from_the_header) {
  static const struct delimiter_case cases[] = {
      {"gebied;jaar;a;b\nGM0384;2020;1,5;2\n", WIDE, "delimiter ';'"},
      {"gebied,jaar,a,b\nGM0384,2020,1.5,2\n", WIDE, "delimiter ','"},
      {"gebied\tjaar\ta\tb\nGM0384\t2020\t1,5\t2\n", WIDE, "delimiter tab"},
      /* quote-aware: the ';' inside quotes does not count */
      {"\"gebied\",\"jaar\",\"a;x\",\"b\"\nGM0384,2020,\"1,5\",2\n",
       "{\"dataset\":\"d\",\"area_column\":\"gebied\",\"period_column\":"
       "\"jaar\",\"value_columns\":[\"a;x\",\"b\"]}",
       "delimiter ','"},
      /* explicit delimiter wins over detection */
      {"gebied;jaar\ta\tb\nGM0384;2020\t1,5\t2\n",
       "{\"dataset\":\"d\",\"area_column\":\"gebied;jaar\",\"period\":\"2020\","
       "\"delimiter\":\"tab\"}",
       "delimiter tab"},
  };
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct csv_fake_host *h = run_ok(cases[i].body, cases[i].params);
    cr_expect_eq(h->obs_count, 2, "case %zu", i);
    cr_expect_geq(csv_log_find(h, GW_LOG_INFO, cases[i].logged, NULL), 0,
                  "case %zu", i);
    cr_expect_eq(h->total_rejects, 0, "case %zu", i);
    csv_fake_free(h);
  }
}

Test(csv_export_parse, bom_is_stripped_and_line_ends_do_not_matter) {
  static const char *const bodies[] = {
      "\xEF\xBB\xBFgebied;jaar;a\nGM0384;2020;1\n\nGM0384;2021;2\n",
      "\xEF\xBB\xBFgebied;jaar;a\r\nGM0384;2020;1\r\n\r\nGM0384;2021;2\r\n",
      "\xEF\xBB\xBFgebied;jaar;a\rGM0384;2020;1\r\rGM0384;2021;2",
  };
  size_t i;
  for (i = 0; i < 3; i++) {
    struct csv_fake_host *h = run_ok(bodies[i], WIDE);
    const struct csv_fake_obs *o;
    cr_expect_eq(h->obs_count, 2, "body %zu", i);
    o = csv_find(h, "a", "GM0384", "2021", NULL, GW_COMPONENT_VALUE);
    cr_assert_not_null(o, "body %zu", i);
    cr_expect_eq(o->position, 4, "body %zu: blank line 3 counted", i);
    csv_fake_free(h);
  }
}

Test(csv_export_parse, quoted_fields_with_newlines_and_doubled_quotes) {
  const char *body =
      "gebied;jaar;a;note\n"
      "GM0384;2020;1;\"two\nlines\"\n"
      "\"GM0384\";\"2021\";\"2\";\"say \"\"hi\"\"; \r\nand\r\nbye\"\n"
      "GM0384;2022;zero;x\n";
  struct csv_fake_host *h = run_ok(
      body, "{\"dataset\":\"d\",\"area_column\":\"gebied\",\"period_column\":"
            "\"jaar\",\"value_columns\":[\"a\"]}");
  const struct csv_fake_obs *o;
  cr_expect_eq(h->obs_count, 2);
  o = csv_find(h, "a", "GM0384", "2021", NULL, GW_COMPONENT_VALUE);
  cr_assert_not_null(o);
  cr_expect_eq(o->position, 4);
  cr_expect_float_eq(o->value, 2.0, 1e-9);
  cr_assert_eq(h->total_rejects, 1);
  cr_expect_geq(csv_reject_find(h, CSV_FAKE_URL " line 7",
                                "column \"a\": \"zero\" is neither a number "
                                "nor a marker"),
                0, "lines inside quotes are counted: %s", h->rejects[0]);
  csv_fake_free(h);
}

Test(csv_export_parse, decimal_comma_and_point) {
  struct csv_fake_host *h =
      run_ok("gebied;jaar;a;b;c\nGM0384;2020;68,6;0.5;-1,25\n", WIDE);
  expect_value(h, "a", "GM0384", "2020", 68.6);
  expect_value(h, "b", "GM0384", "2020", 0.5);
  expect_value(h, "c", "GM0384", "2020", -1.25);
  csv_fake_free(h);
}

struct marker_case {
  const char *cell;
  gw_status status;
  const char *detail; /* NULL: no detail */
};

Test(csv_export_parse, markers_become_statuses_never_zero) {
  static const struct marker_case cases[] = {
      {"NB", GW_STATUS_MISSING, "NB"},
      {"nb", GW_STATUS_MISSING, "nb"},
      {"n.n.b.", GW_STATUS_NOT_YET_KNOWN, "n.n.b."},
      {"N.v.t.", GW_STATUS_NOT_APPLICABLE, "N.v.t."},
      {"n.v.t.", GW_STATUS_NOT_APPLICABLE, "n.v.t."},
      {".", GW_STATUS_MISSING, "."},
      {"x", GW_STATUS_SUPPRESSED, "x"},
      {"-", GW_STATUS_MISSING, "-"},
      {"", GW_STATUS_MISSING, NULL},
      {"  ", GW_STATUS_MISSING, NULL},
      {"\" NB \"", GW_STATUS_MISSING, "NB"},
  };
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char body[128];
    struct csv_fake_host *h;
    const struct csv_fake_obs *o;
    snprintf(body, sizeof body, "gebied;jaar;a;b\nGM0384;2020;%s;7\n",
             cases[i].cell);
    h = run_ok(body, WIDE);
    o = csv_find(h, "a", "GM0384", "2020", NULL, GW_COMPONENT_VALUE);
    cr_assert_not_null(o, "cell \"%s\"", cases[i].cell);
    cr_expect_eq(o->has_value, 0, "cell \"%s\" must not become a number",
                 cases[i].cell);
    cr_expect_eq(o->status, cases[i].status, "cell \"%s\"", cases[i].cell);
    cr_expect_eq(o->has_detail, cases[i].detail != NULL, "cell \"%s\"",
                 cases[i].cell);
    if (cases[i].detail)
      cr_expect_str_eq(o->detail, cases[i].detail);
    expect_value(h, "b", "GM0384", "2020", 7);
    cr_expect_eq(h->total_rejects, 0);
    csv_fake_free(h);
  }
}

Test(csv_export_parse, markers_param_overrides_and_extends) {
  struct csv_fake_host *h = run_ok(
      "gebied;jaar;a;b;c\nGM0384;2020;x;?;NB\n",
      "{\"dataset\":\"d\",\"area_column\":\"gebied\",\"period_column\":"
      "\"jaar\",\"markers\":{\"x\":\"impossible\",\"?\":\"not_yet_known\"}}");
  cr_expect_eq(
      csv_find(h, "a", "GM0384", "2020", NULL, GW_COMPONENT_VALUE)->status,
      GW_STATUS_IMPOSSIBLE);
  cr_expect_eq(
      csv_find(h, "b", "GM0384", "2020", NULL, GW_COMPONENT_VALUE)->status,
      GW_STATUS_NOT_YET_KNOWN);
  cr_expect_eq(
      csv_find(h, "c", "GM0384", "2020", NULL, GW_COMPONENT_VALUE)->status,
      GW_STATUS_MISSING, "defaults stay");
  csv_fake_free(h);
}

Test(csv_export_parse, non_numbers_are_rejected_with_line_and_column) {
  struct csv_fake_host *h =
      run_ok("titel\ngebied;jaar;a;b\nGM0384;2020;12 %;3\nGM0384;2021;abc;"
             "4\n",
             WIDE);
  cr_expect_eq(h->obs_count, 2, "only b");
  cr_expect_eq(h->total_rejects, 2);
  cr_expect_geq(csv_reject_find(h, CSV_FAKE_URL " line 3",
                                "column \"a\": \"12 %\" is neither a number "
                                "nor a marker (NB, n.n.b., N.v.t., ., x, -, "
                                "empty)"),
                0);
  cr_expect_geq(csv_reject_find(h, CSV_FAKE_URL " line 4", "\"abc\""), 0);
  csv_fake_free(h);
}

Test(csv_export_parse, windows_1252_is_converted) {
  /* code column holds "café" and "€ – ë" in windows-1252 */
  const char *body = "gebied;jaar;code;waarde\n"
                     "GM0384;2020;caf\xE9;1\n"
                     "GM0384;2020;\x80 \x96 \xEB;2\n";
  const char *params =
      "{\"dataset\":\"d\",\"layout\":\"long\",\"area_column\":\"gebied\","
      "\"period_column\":\"jaar\",\"code_column\":\"code\",\"value_column\":"
      "\"waarde\",\"encoding\":\"";
  static const char *const modes[] = {"auto", "windows-1252"};
  size_t i;
  for (i = 0; i < 2; i++) {
    char p[512];
    struct csv_fake_host *h;
    snprintf(p, sizeof p, "%s%s\"}", params, modes[i]);
    h = run_ok(body, p);
    expect_value(h, "caf\xC3\xA9", "GM0384", "2020", 1);
    expect_value(h, "\xE2\x82\xAC \xE2\x80\x93 \xC3\xAB", "GM0384", "2020", 2);
    cr_expect_eq(h->rewinds, i == 0 ? 1 : 0, "mode %s", modes[i]);
    csv_fake_free(h);
  }
}

Test(csv_export_parse, valid_utf8_stays_utf8_in_auto_mode) {
  const char *body = "gebied;jaar;code;waarde\n"
                     "GM0384;2020;caf\xC3\xA9;1\n"
                     "GM0384;2020;\xF0\x9F\x93\x88;2\n";
  struct csv_fake_host *h = run_ok(
      body, "{\"dataset\":\"d\",\"layout\":\"long\",\"area_column\":"
            "\"gebied\",\"period_column\":\"jaar\",\"code_column\":\"code\","
            "\"value_column\":\"waarde\"}");
  expect_value(h, "caf\xC3\xA9", "GM0384", "2020", 1);
  expect_value(h, "\xF0\x9F\x93\x88", "GM0384", "2020", 2);
  cr_expect_eq(csv_log_find(h, GW_LOG_INFO, "windows-1252", NULL), -1);
  csv_fake_free(h);
}

Test(csv_export_parse, title_rows_are_skipped_or_header_row_is_given) {
  const char *body = "Monitor 2021;;\n"
                     "\"Bron: GGD; bewerking gemeente\"\n"
                     "\n"
                     ";;;\n"
                     "gebied;jaar;a\n"
                     "GM0384;2020;5\n";
  struct csv_fake_host *h = run_ok(body, WIDE);
  cr_expect_eq(h->obs_count, 1);
  cr_expect_eq(h->obs[0].position, 6);
  cr_expect_geq(csv_log_find(h, GW_LOG_INFO, "header on line 5", NULL), 0);
  csv_fake_free(h);
  h = run_ok(body, "{\"dataset\":\"d\",\"area_column\":\"gebied\","
                   "\"period_column\":\"jaar\",\"header_row\":5}");
  cr_expect_eq(h->obs_count, 1);
  csv_fake_free(h);
}

Test(csv_export_parse, header_row_lets_a_title_name_the_area_column) {
  /* the title mentions "gebied" as a cell; header_row settles it */
  const char *body = "gebied;toelichting\n"
                     "jaar;gebied;a\n"
                     "2020;GM0384;5\n";
  struct csv_fake_host *h = run_ok(
      body, "{\"dataset\":\"d\",\"area_column\":\"gebied\",\"period_column\":"
            "\"jaar\",\"header_row\":2}");
  expect_value(h, "a", "GM0384", "2020", 5);
  csv_fake_free(h);
}

Test(csv_export_parse, area_map_and_prefix) {
  const char *body = "gebied;jaar;a\n"
                     "384;2020;1\n"
                     "0384;2021;2\n"
                     "diemen;2022;3\n"
                     "GM0363;2020;4\n"
                     "Regio X;2020;5\n";
  struct csv_fake_host *h = run_ok(
      body, "{\"dataset\":\"d\",\"area_column\":\"gebied\",\"period_column\":"
            "\"jaar\",\"area_prefix\":\"GM\",\"area_map\":{\"Diemen\":"
            "\"GM0384\"}}");
  expect_value(h, "a", "GM0384", "2020", 1);
  expect_value(h, "a", "GM0384", "2021", 2);
  expect_value(h, "a", "GM0384", "2022", 3); /* case-insensitive name */
  expect_value(h, "a", "GM0363", "2020", 4);
  expect_value(h, "a", "Regio X", "2020", 5); /* the host judges it */
  csv_fake_free(h);
  h = run_ok("gebied;jaar;a\n38401;2020;1\n",
             "{\"dataset\":\"d\",\"area_column\":\"gebied\",\"period_column\":"
             "\"jaar\",\"area_prefix\":\"WK\"}");
  expect_value(h, "a", "WK038401", "2020", 1);
  csv_fake_free(h);
}

Test(csv_export_parse, long_layout_with_bounds_breakdown_and_code_map) {
  const char *body = "regio;jaar;ind;leeftijd;geslacht;w;lo;hi\n"
                     "GM0384;2020;Bereik JGZ;0 jaar;;98;;\n"
                     "GM0384;2020;Bewegen;;vrouw;44;40,2;47,9\n"
                     "GM0384;2020;Bewegen;;;n.n.b.;n.n.b.;x\n";
  struct csv_fake_host *h = run_ok(
      body, "{\"dataset\":\"ggd\",\"layout\":\"long\",\"area_column\":"
            "\"regio\",\"period_column\":\"jaar\",\"code_column\":\"ind\","
            "\"value_column\":\"w\",\"lower_column\":\"lo\",\"upper_column\":"
            "\"hi\",\"breakdown_columns\":{\"age\":\"leeftijd\",\"sex\":"
            "\"geslacht\"},\"code_map\":{\"Bereik JGZ\":\"bereik_jgz\","
            "\"bewegen\":\"jongeren_bewegen\"}}");
  const struct csv_fake_obs *o;
  cr_expect_eq(h->obs_count, 1 + 3 + 1);
  o = csv_find(h, "bereik_jgz", "GM0384", "2020", "0 jaar", GW_COMPONENT_VALUE);
  cr_assert_not_null(o);
  cr_expect_eq(o->bd_count, 1, "an empty member adds no dimension");
  cr_expect_str_eq(o->bd_dim[0], "age");
  o = csv_find(h, "jongeren_bewegen", "GM0384", "2020", "vrouw",
               GW_COMPONENT_CI_HIGH);
  cr_assert_not_null(o);
  cr_expect_str_eq(o->bd_dim[0], "sex");
  cr_expect_float_eq(o->value, 47.9, 1e-9);
  o = csv_find(h, "jongeren_bewegen", "GM0384", "2020", NULL,
               GW_COMPONENT_VALUE);
  cr_assert_not_null(o);
  cr_expect_eq(o->status, GW_STATUS_NOT_YET_KNOWN);
  cr_expect_null(csv_find(h, "jongeren_bewegen", "GM0384", "2020", NULL,
                          GW_COMPONENT_CI_HIGH),
                 "a marker bound is not emitted");
  csv_fake_free(h);
}

Test(csv_export_parse, periods_layout_reads_period_columns) {
  /* a viewer table: areas as rows, one column per year */
  const char *body = "Bijstand per 10.000 inwoners\n"
                     "Gemeente;Code;2020;2021;2022;Bron\n"
                     "Diemen;384;410;411;x;CBS\n"
                     "Amsterdam;363;702,5;NB;690;CBS\n";
  struct csv_fake_host *h = run_ok(
      body, "{\"dataset\":\"wsjg\",\"layout\":\"periods\",\"area_column\":"
            "\"Code\",\"code\":\"bbv_bijstand_per_10000\",\"area_prefix\":"
            "\"GM\"}");
  const struct csv_fake_obs *o;
  cr_expect_eq(h->obs_count, 6, "Gemeente and Bron are no periods");
  expect_value(h, "bbv_bijstand_per_10000", "GM0384", "2021", 411);
  expect_value(h, "bbv_bijstand_per_10000", "GM0363", "2020", 702.5);
  o = csv_find(h, "bbv_bijstand_per_10000", "GM0363", "2021", NULL,
               GW_COMPONENT_VALUE);
  cr_assert_not_null(o);
  cr_expect_eq(o->status, GW_STATUS_MISSING);
  cr_expect_geq(csv_log_find(h, GW_LOG_INFO, "not a period", "Gemeente, Bron"),
                0);
  csv_fake_free(h);
}

Test(csv_export_parse, fixed_period_and_explicit_value_columns) {
  struct csv_fake_host *h = run_ok(
      "gebied;a;b;c\nGM0384;1;2;3\n",
      "{\"dataset\":\"d\",\"area_column\":\"gebied\",\"period\":\"2021\","
      "\"value_columns\":[\"C\",\"a\"]}");
  cr_expect_eq(h->obs_count, 2);
  expect_value(h, "c", "GM0384", "2021", 3); /* the header's spelling */
  expect_value(h, "a", "GM0384", "2021", 1);
  csv_fake_free(h);
}

Test(csv_export_parse, unmapped_columns_are_skipped_by_default) {
  struct csv_fake_host *h = host_for("gebied;jaar;a;b;opmerking\n"
                                     "GM0384;2020;1;2;tekst\n",
                                     WIDE);
  h->map_all = 0;
  h->mapped[h->mapped_count++] = "a";
  h->mapped[h->mapped_count++] = "b";
  cr_assert_eq(csv_fake_run(h), GW_OK);
  cr_expect_eq(h->obs_count, 2);
  cr_expect_eq(h->total_rejects, 0, "opmerking is not parsed as a number");
  cr_expect_geq(csv_log_find(h, GW_LOG_INFO, "columns skipped", "opmerking"),
                0);
  csv_fake_free(h);
}

Test(csv_export_parse, blank_rows_and_trailing_empty_fields_are_fine) {
  struct csv_fake_host *h = run_ok("gebied;jaar;a\n"
                                   "GM0384;2020;1;;\n"
                                   ";;\n"
                                   "   \n"
                                   "GM0384;2021;2\n",
                                   WIDE);
  cr_expect_eq(h->obs_count, 2);
  cr_expect_eq(h->total_rejects, 0);
  csv_fake_free(h);
}

Test(csv_export_parse, empty_keys_are_rejected) {
  struct csv_fake_host *h =
      run_ok("gebied;jaar;a\n;2020;1\nGM0384;;2\nGM0384;2021;3\n", WIDE);
  cr_expect_eq(h->obs_count, 1);
  cr_expect_geq(csv_reject_find(h, "line 2",
                                "column \"gebied\" (the area) is "
                                "empty"),
                0);
  cr_expect_geq(
      csv_reject_find(h, "line 3", "column \"jaar\" (the period) is empty"), 0);
  csv_fake_free(h);
}

/* Found by fuzz_csv: a long bad cell cut at 80 bytes split a character. */
Test(csv_export_parse, reject_message_does_not_split_a_character) {
  char body[512], cell[128];
  struct csv_fake_host *h;
  memset(cell, 'a', 79);
  memcpy(cell + 79, "\xC3\xA9zz", 5);
  snprintf(body, sizeof body, "gebied;jaar;a\nGM0384;2020;%s\n", cell);
  h = run_ok(body, WIDE);
  cr_assert_eq(h->total_rejects, 1);
  cr_expect_not_null(strstr(h->rejects[0], "aaa...\" is neither"),
                     "cut before the two-byte character: %s", h->rejects[0]);
  cr_expect_null(strstr(h->rejects[0], "\xC3\""));
  csv_fake_free(h);
}
