/*
 * provider_report, XML route: the fixtures of tests/fixtures/provider
 * through a fake host. Accepted reports emit every figure with the
 * reference values; refused ones emit nothing and list every violation
 * with its line.
 */
#include <criterion/criterion.h>

#include "provider_report_fake_host.h"

static struct prf_host *host_with(const char *fixture) {
  struct prf_host *h = prf_new();
  cr_assert_not_null(h);
  cr_assert_eq(prf_load_fixture(h, fixture), 0, "fixture %s", fixture);
  return h;
}

static void expect_refused(struct prf_host *h, const char *a, const char *b) {
  gw_result rc = prf_run(h);
  if (rc != GW_FAIL || prf_log_find(h, GW_LOG_ERROR, a, b, NULL) < 0)
    prf_dump_logs(h);
  cr_assert_eq(rc, GW_FAIL);
  cr_expect_eq(h->obs_count, 0, "a refused report emits nothing");
  cr_expect_geq(prf_log_find(h, GW_LOG_ERROR, a, b, NULL), 0,
                "an error names '%s'", a);
  cr_expect_geq(prf_log_find(h, GW_LOG_ERROR, "refused whole", NULL, NULL), 0);
}

Test(provider_report_xml, welzijn_report_emits_every_figure) {
  struct prf_host *h = host_with("welzijn-diemen-2021.xml");
  gw_result rc = prf_run(h);
  size_t i;
  if (rc != GW_OK)
    prf_dump_logs(h);
  cr_assert_eq(rc, GW_OK);
  cr_expect_eq(h->obs_count, 16);
  cr_expect_eq(prf_log_count(h, GW_LOG_ERROR), 0);
  cr_expect_eq(h->payload->rewinds, 2, "detect, then validate, then emit");
  for (i = 0; i < h->obs_count; i++) {
    cr_expect_str_eq(h->obs[i].dataset, "*");
    cr_expect_eq(h->obs[i].position, i + 1, "position = figure number");
    cr_expect_eq(h->obs[i].payload, h->payload);
    cr_expect_eq(h->obs[i].has_unit, 1);
  }
  cr_expect_geq(prf_log_find(h, GW_LOG_INFO, "accepted", NULL, NULL), 0);
  prf_free(h);
}

Test(provider_report_xml, values_are_the_reference_werkelijk_figures) {
  struct prf_host *h = host_with("welzijn-diemen-2021.xml");
  const struct prf_obs *o;
  static const struct {
    const char *code, *period;
    double value;
  } expected[] = {{"2.3.1", "2020", 97}, {"2.3.1", "2021", 175},
                  {"4.2.3", "2020", 51}, {"4.2.3", "2021", 52},
                  {"5.1.3", "2020", 11}, {"5.2.4", "2020", 400}};
  size_t i;
  cr_assert_eq(prf_run(h), GW_OK);
  for (i = 0; i < sizeof expected / sizeof expected[0]; i++) {
    o = prf_find(h, expected[i].code, "GM0384", expected[i].period, NULL);
    cr_assert_not_null(o, "%s %s", expected[i].code, expected[i].period);
    cr_expect_eq(o->has_value, 1);
    cr_expect_float_eq(o->value, expected[i].value, 1e-9, "%s %s",
                       expected[i].code, expected[i].period);
    cr_expect_eq(o->status, GW_STATUS_UNSET, "a value: the host decides");
    cr_expect_eq(o->has_detail, 0);
    cr_expect_str_eq(o->unit, "count");
    cr_expect_eq(o->bd_count, 0);
  }
  o = prf_find(h, "5.1.3", "GM0384", "2021", NULL);
  cr_assert_not_null(o);
  cr_expect_eq(o->has_value, 0, "NB is no value, never 0");
  cr_expect_eq(o->status, GW_STATUS_MISSING);
  cr_expect_str_eq(o->detail, "NB");
  o = prf_find(h, "2.2.1", "GM0384", "2020", NULL);
  cr_assert_not_null(o);
  cr_expect_eq(o->status, GW_STATUS_NOT_APPLICABLE);
  cr_expect_str_eq(o->detail, "N.v.t.");
  o = prf_find(h, "2.3.1", "WK038402", "2021", NULL);
  cr_assert_not_null(o);
  cr_expect_float_eq(o->value, 61.0, 1e-9);
  prf_free(h);
}

Test(provider_report_xml, breakdown_comes_from_the_report) {
  struct prf_host *h = host_with("welzijn-diemen-2021.xml");
  const struct prf_obs *o;
  cr_assert_eq(prf_run(h), GW_OK);
  o = prf_find(h, "5.2.8", "GM0384", "2020", "activiteiten");
  cr_assert_not_null(o);
  cr_expect_eq(o->bd_count, 1);
  cr_expect_str_eq(o->bd_dim[0], "measure");
  cr_expect_float_eq(o->value, 8.0, 1e-9);
  cr_expect_str_eq(o->unit, "per_week");
  o = prf_find(h, "5.2.8", "GM0384", "2020", "bereik");
  cr_assert_not_null(o);
  cr_expect_float_eq(o->value, 75.0, 1e-9);
  o = prf_find(h, "5.2.8", "GM0384", "2021", "bereik");
  cr_assert_not_null(o);
  cr_expect_eq(o->status, GW_STATUS_MISSING);
  prf_free(h);
}

Test(provider_report_xml, agb_only_provider_with_types_and_quarters) {
  struct prf_host *h = host_with("madi-2022-q1.xml");
  const struct prf_obs *o;
  const char *const types[] = {"BW", "MO", "NO"};
  size_t i;
  cr_assert_eq(prf_run(h), GW_OK);
  cr_expect_eq(h->obs_count, 9);
  for (i = 0; i < 3; i++) {
    o = prf_find(h, "6.1.3", "GM0384", "2021", types[i]);
    cr_assert_not_null(o, "type %s", types[i]);
    cr_expect_str_eq(o->bd_dim[0], "type");
    cr_expect_eq(o->status, GW_STATUS_MISSING, "NB in the reference");
  }
  o = prf_find(h, "6.1.3", "GM0384", "2022-Q1", "BW");
  cr_assert_not_null(o);
  cr_expect_float_eq(o->value, 38.0, 1e-9);
  prf_free(h);
}

Test(provider_report_xml, whitespace_around_codes_is_not_part_of_them) {
  struct prf_host *h = host_with("welzijn-diemen-2021.xml");
  prf_replace(h, "<area>WK038401</area>", "<area>\n  WK038401\n</area>");
  prf_replace(h, "<value>175</value>", "<value> 175.0 </value>");
  cr_assert_eq(prf_run(h), GW_OK);
  cr_expect_not_null(prf_find(h, "2.3.1", "WK038401", "2021", NULL));
  cr_expect_float_eq(prf_find(h, "2.3.1", "GM0384", "2021", NULL)->value, 175.0,
                     1e-9);
  prf_free(h);
}

Test(provider_report_xml, schema_violations_are_all_listed_with_lines) {
  struct prf_host *h = host_with("invalid-schema.xml");
  cr_assert_eq(prf_run(h), GW_FAIL);
  cr_expect_eq(h->obs_count, 0);
  cr_expect_geq(
      prf_log_find(h, GW_LOG_ERROR, "refused whole", "XML", "violations"), 0);
  /* one line per violation, each starting with its line */
  cr_expect_geq(prf_log_find(h, GW_LOG_ERROR, "line 8: ", "kvk", "1234567"), 0);
  cr_expect_geq(
      prf_log_find(h, GW_LOG_ERROR, "line 10: ", "municipality", NULL), 0);
  cr_expect_geq(prf_log_find(h, GW_LOG_ERROR, "line 13: ", "contact", NULL), 0);
  cr_expect_geq(prf_log_find(h, GW_LOG_ERROR, "line 19: ", "value", "12,5"), 0);
  cr_expect_geq(prf_log_find(h, GW_LOG_ERROR, "line 27: ", "unit", "stuks"), 0);
  cr_expect_geq(prf_log_find(h, GW_LOG_ERROR, "line 35: ", "client", NULL), 0);
  cr_expect_eq(prf_log_find(h, GW_LOG_ERROR, "{urn:nl:gateway", NULL, NULL), -1,
               "the namespace is left out of messages");
  prf_free(h);
}

Test(provider_report_xml, a_late_error_stops_every_earlier_figure) {
  struct prf_host *h = host_with("welzijn-diemen-2021.xml");
  /* only the last figure is wrong */
  prf_replace(h,
              "<breakdown dimension=\"measure\" member=\"bereik\"/>\n"
              "    </figure>\n  </figures>",
              "<breakdown dimension=\"Measure\" member=\"bereik\"/>\n"
              "    </figure>\n  </figures>");
  cr_assert_eq(prf_run(h), GW_FAIL);
  cr_expect_eq(h->obs_count, 0, "validate first, emit only after");
  cr_expect_geq(prf_log_find(h, GW_LOG_ERROR, "dimension", "Measure", NULL), 0);
  prf_free(h);
}

Test(provider_report_xml, another_municipality_is_refused_by_name) {
  struct prf_host *h = host_with("other-municipality.xml");
  expect_refused(h, "the report is for GM0363", "accepts reports for GM0384");
  prf_free(h);
}

Test(provider_report_xml, municipality_is_configurable) {
  struct prf_host *h = host_with("other-municipality.xml");
  json_object_set_new(h->params, "municipality", json_string("GM0363"));
  cr_assert_eq(prf_run(h), GW_OK);
  cr_expect_gt(h->obs_count, 0);
  prf_free(h);
}

Test(provider_report_xml, future_periods_are_refused) {
  struct prf_host *h = host_with("future-period.xml");
  expect_refused(h, "\"2022-Q3\" lies in the future",
                 "delivered date 2022-02-15");
  cr_expect_geq(
      prf_log_find(h, GW_LOG_ERROR, "line 21: figure 2: period: ", NULL, NULL),
      0);
  cr_expect_eq(prf_log_find(h, GW_LOG_ERROR, "figure 1:", NULL, NULL), -1);
  prf_free(h);
}

Test(provider_report_xml, delivered_in_the_future_is_refused) {
  struct prf_host *h = host_with("welzijn-diemen-2021.xml");
  prf_replace(h, "<delivered>2022-02-15</delivered>",
              "<delivered>2098-01-01</delivered>");
  expect_refused(h, "delivered: \"2098-01-01\" lies in the future", NULL);
  prf_free(h);
}

Test(provider_report_xml, figure_after_the_reporting_period_is_refused) {
  struct prf_host *h = host_with("welzijn-diemen-2021.xml");
  prf_replace(h, "<reportingPeriod>2021</reportingPeriod>",
              "<reportingPeriod>2021-Q2</reportingPeriod>");
  expect_refused(h, "\"2021\" ends after the reporting period", NULL);
  prf_free(h);
}

Test(provider_report_xml, unknown_indicator_refuses_the_whole_report) {
  struct prf_host *h = host_with("welzijn-diemen-2021.xml");
  h->unmapped = "4.2.3";
  expect_refused(h, "figure 7: indicator: \"4.2.3\" is not in the", NULL);
  cr_expect_geq(prf_log_find(h, GW_LOG_ERROR, "line 58: figure 7", NULL, NULL),
                0, "the line of the figure");
  prf_free(h);
}

Test(provider_report_xml, area_of_another_municipality_is_refused) {
  struct prf_host *h = host_with("welzijn-diemen-2021.xml");
  prf_replace(h, "<area>WK038402</area>", "<area>WK036302</area>");
  expect_refused(h, "area: \"WK036302\" is not part of municipality GM0384",
                 NULL);
  prf_free(h);
}

Test(provider_report_xml, max_errors_bounds_the_list_not_the_count) {
  struct prf_host *h = host_with("welzijn-diemen-2021.xml");
  json_object_set_new(h->params, "max_errors", json_integer(2));
  prf_replace(h, "<unit>count</unit>", "<unit>stuks</unit>");
  cr_assert_eq(prf_run(h), GW_FAIL);
  cr_expect_geq(prf_log_find(h, GW_LOG_ERROR, "12 violations", NULL, NULL), 0);
  cr_expect_geq(prf_log_find(h, GW_LOG_ERROR, "... and 10 more", NULL, NULL),
                0);
  prf_free(h);
}

Test(provider_report_xml, not_well_formed_xml_names_the_line) {
  struct prf_host *h = host_with("welzijn-diemen-2021.xml");
  prf_replace(h, "<unit>per_week</unit>", "<unit>per_week</unti>");
  expect_refused(h, "line 106: ", "unit");
  prf_free(h);
}

Test(provider_report_xml, oversized_report_is_refused) {
  struct prf_host *h = host_with("welzijn-diemen-2021.xml");
  json_object_set_new(h->params, "max_bytes", json_integer(1000));
  expect_refused(h, "larger than params.max_bytes (1000 bytes)", NULL);
  prf_free(h);
}

Test(provider_report_xml, neither_xml_nor_json_is_refused) {
  struct prf_host *h = prf_new();
  prf_set_body(h, "\xef\xbb\xbf  code;area;value\n2.3.1;GM0384;97\n");
  expect_refused(h, "neither XML nor JSON", NULL);
  prf_set_body(h, "  \n ");
  free(h->payload);
  h->payload = NULL;
  expect_refused(h, "the report is empty", NULL);
  prf_free(h);
}

Test(provider_report_xml, emit_failure_fails_the_run) {
  struct prf_host *h = host_with("welzijn-diemen-2021.xml");
  h->emit_fail_after = 3;
  cr_assert_eq(prf_run(h), GW_FAIL);
  cr_expect_eq(h->obs_count, 4, "stops at the failing emit");
  prf_free(h);
}

Test(provider_report_xml, missing_schema_fails_init_naming_the_file) {
  struct prf_host *h = host_with("welzijn-diemen-2021.xml");
  json_object_set_new(h->params, "schema_dir", json_string("/nonexistent"));
  cr_assert_eq(prf_run(h), GW_FAIL);
  cr_expect_geq(prf_log_find(h, GW_LOG_ERROR,
                             "/nonexistent/provider-report.xsd", NULL, NULL),
                0);
  prf_free(h);
}

Test(provider_report_xml, bad_municipality_param_fails_init) {
  struct prf_host *h = host_with("welzijn-diemen-2021.xml");
  json_object_set_new(h->params, "municipality", json_string("Diemen"));
  cr_assert_eq(prf_run(h), GW_FAIL);
  cr_expect_geq(
      prf_log_find(h, GW_LOG_ERROR, "params.municipality", "\"Diemen\"", NULL),
      0);
  prf_free(h);
}
