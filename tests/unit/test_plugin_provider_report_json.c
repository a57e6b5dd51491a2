/*
 * provider_report, JSON route: the same figures as the XML route, the
 * same refusals, with violations named by JSON path.
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
}

static int same_obs(const struct prf_obs *a, const struct prf_obs *b) {
  size_t i;
  if (strcmp(a->source_code, b->source_code) || strcmp(a->area, b->area) ||
      strcmp(a->period, b->period) || strcmp(a->dataset, b->dataset) ||
      a->has_value != b->has_value || a->status != b->status ||
      strcmp(a->detail, b->detail) || strcmp(a->unit, b->unit) ||
      a->bd_count != b->bd_count || a->position != b->position ||
      (a->has_value && a->value != b->value))
    return 0;
  for (i = 0; i < a->bd_count; i++)
    if (strcmp(a->bd_dim[i], b->bd_dim[i]) ||
        strcmp(a->bd_member[i], b->bd_member[i]))
      return 0;
  return 1;
}

Test(provider_report_json, json_and_xml_twins_emit_the_same_observations) {
  struct prf_host *x = host_with("welzijn-diemen-2021.xml");
  struct prf_obs *xml_obs;
  size_t n, i;
  struct prf_host *j;
  cr_assert_eq(prf_run(x), GW_OK);
  n = x->obs_count;
  cr_assert_eq(n, 16);
  xml_obs = malloc(n * sizeof *xml_obs);
  cr_assert_not_null(xml_obs);
  memcpy(xml_obs, x->obs, n * sizeof *xml_obs);
  prf_free(x);
  j = host_with("welzijn-diemen-2021.json");
  cr_assert_eq(prf_run(j), GW_OK);
  cr_assert_eq(j->obs_count, n);
  for (i = 0; i < n; i++)
    cr_expect(same_obs(&xml_obs[i], &j->obs[i]), "figure %zu differs", i + 1);
  free(xml_obs);
  prf_free(j);
}

Test(provider_report_json, markant_report_with_markers_and_decimals) {
  struct prf_host *h = host_with("markant-2021.json");
  const struct prf_obs *o;
  gw_result rc = prf_run(h);
  if (rc != GW_OK)
    prf_dump_logs(h);
  cr_assert_eq(rc, GW_OK);
  cr_expect_eq(h->obs_count, 9);
  o = prf_find(h, "6.1.2", "GM0384", "2021", NULL);
  cr_assert_not_null(o);
  cr_expect_eq(o->has_value, 0);
  cr_expect_eq(o->status, GW_STATUS_MISSING);
  cr_expect_str_eq(o->detail, "NB");
  cr_expect_str_eq(o->unit, "percent");
  o = prf_find(h, "6.1.6", "BU03840100", "2021-Q4", NULL);
  cr_assert_not_null(o);
  cr_expect_eq(o->status, GW_STATUS_NOT_YET_KNOWN);
  cr_expect_str_eq(o->detail, "n.n.b.");
  o = prf_find(h, "6.1.2", "WK038401", "2021-Q4", NULL);
  cr_assert_not_null(o);
  cr_expect_float_eq(o->value, 37.5, 1e-12);
  o = prf_find(h, "6.1.5", "WK038403", "2021-12", NULL);
  cr_assert_not_null(o);
  cr_expect_float_eq(o->value, 12.0, 1e-12);
  cr_expect_eq(o->position, 5);
  prf_free(h);
}

Test(provider_report_json, schema_violations_are_all_listed_by_path) {
  struct prf_host *h = host_with("invalid-schema.json");
  static const char *const paths[] = {
      "$.provider.kvk: ",
      "$.municipality: \"Diemen\" is not a CBS municipality code",
      "$.delivered: \"2022-02-30\" is not a calendar date",
      "$.contact: ",
      "$.figures[0].value: expected a number, found a string",
      "$.figures[1].unit: \"stuks\" is not allowed",
      "$.figures[2]: needs exactly one of \"value\"",
      "$.figures[3]: needs exactly one of",
      "$.figures[3].area: \"Diemen-Noord\"",
      "$.figures[3].period: \"2021-13\"",
      "$.figures[4].client: unknown field",
      "$.figures[4].breakdown[0].dimension: \"Type\"",
      "$.figures[4].breakdown[0].member: must not be empty",
      "$.provider.kvk: \"1234567\" is not a KvK number of 8 digits"};
  size_t i;
  cr_assert_eq(prf_run(h), GW_FAIL);
  cr_expect_eq(h->obs_count, 0);
  cr_expect_geq(prf_log_find(h, GW_LOG_ERROR,
                             "refused whole (JSON, 13 "
                             "violations",
                             NULL, NULL),
                0);
  for (i = 0; i < sizeof paths / sizeof paths[0]; i++)
    cr_expect_geq(prf_log_find(h, GW_LOG_ERROR, paths[i], NULL, NULL), 0, "%s",
                  paths[i]);
  prf_free(h);
}

Test(provider_report_json, malformed_json_names_line_and_column) {
  struct prf_host *h = host_with("markant-2021.json");
  prf_replace(h, "\"unit\": \"count\"}", "\"unit\": \"count\",}");
  expect_refused(h, "line 12: column ", "not valid JSON");
  prf_free(h);
}

Test(provider_report_json, duplicate_keys_are_refused) {
  struct prf_host *h = host_with("markant-2021.json");
  prf_replace(h, "\"municipality\": \"GM0384\"",
              "\"municipality\": \"GM0384\", \"municipality\": \"GM0363\"");
  expect_refused(h, "duplicate object key", NULL);
  prf_free(h);
}

Test(provider_report_json, another_municipality_is_refused_by_name) {
  struct prf_host *h = host_with("other-municipality.json");
  expect_refused(h, "$.municipality: the report is for GM0363",
                 "accepts reports for GM0384");
  cr_expect_eq(
      prf_log_find(h, GW_LOG_ERROR, "is not part of municipality", NULL, NULL),
      -1, "named once, not per figure");
  prf_free(h);
}

Test(provider_report_json, future_periods_and_delivery_are_refused) {
  struct prf_host *h = host_with("future-period.json");
  expect_refused(h, "$.delivered: \"2099-01-15\" lies in the future", NULL);
  cr_expect_geq(prf_log_find(h, GW_LOG_ERROR,
                             "$.reportingPeriod: \"2098\" lies in the future",
                             "after today", NULL),
                0);
  cr_expect_geq(prf_log_find(h, GW_LOG_ERROR,
                             "$.figures[0].period: \"2098-12\" lies in the "
                             "future",
                             NULL, NULL),
                0);
  cr_expect_eq(prf_log_find(h, GW_LOG_ERROR, "$.figures[1]", NULL, NULL), -1);
  prf_free(h);
}

static void today_2022_03_01(struct pr_ctx *ctx) {
  memcpy(ctx->today_override, "2022-03-01", 11);
}

Test(provider_report_json, today_is_the_limit_when_delivery_is_unknown) {
  struct prf_host *h = host_with("markant-2021.json");
  prf_replace(h, "\"delivered\": \"2022-03-01\"",
              "\"delivered\": \"2022-03-02\"");
  cr_assert_eq(prf_run_with(h, today_2022_03_01), GW_FAIL);
  cr_expect_geq(prf_log_find(h, GW_LOG_ERROR, "$.delivered: \"2022-03-02\"",
                             "today is 2022-03-01", NULL),
                0);
  prf_free(h);
}

Test(provider_report_json, unknown_indicator_refuses_the_whole_report) {
  struct prf_host *h = host_with("unknown-indicator.json");
  expect_refused(h, "$.figures[4].indicator: \"9.9.9\" is not in the", NULL);
  prf_free(h);
}

Test(provider_report_json, byte_order_mark_is_tolerated) {
  struct prf_host *h = host_with("markant-2021.json");
  char *with_bom = malloc(strlen(h->body) + 4);
  cr_assert_not_null(with_bom);
  memcpy(with_bom, "\xef\xbb\xbf", 3);
  memcpy(with_bom + 3, h->body, strlen(h->body) + 1);
  prf_set_body(h, with_bom);
  free(with_bom);
  cr_assert_eq(prf_run(h), GW_OK);
  cr_expect_eq(h->obs_count, 9);
  prf_free(h);
}

Test(provider_report_json, oversized_report_is_refused) {
  struct prf_host *h = host_with("markant-2021.json");
  json_object_set_new(h->params, "max_bytes", json_integer(100));
  expect_refused(h, "larger than params.max_bytes (100 bytes)", NULL);
  prf_free(h);
}

Test(provider_report_json, emit_failure_fails_the_run) {
  struct prf_host *h = host_with("markant-2021.json");
  h->emit_fail_after = 1;
  cr_assert_eq(prf_run(h), GW_FAIL);
  cr_expect_eq(h->obs_count, 2);
  prf_free(h);
}
