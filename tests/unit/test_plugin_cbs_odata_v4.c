/*
 * cbs_odata, OData v4: the youth-care table 90002NED (Observations with
 * ValueAttribute flags) from tests/fixtures/statline, through a fake host.
 */
#include <criterion/criterion.h>

#include "cbs_odata_fake_host.h"

#define YOUTH "/odata/v1/CBS/90002NED"

static struct fake_host *youth_host(void) {
  struct fake_host *h = fake_new("tests/fixtures/statline", YOUTH);
  cr_assert_not_null(h);
  fake_map_demo(h);
  return h;
}

Test(cbs_odata_v4, auto_protocol_reads_every_observation) {
  struct fake_host *h = youth_host();
  gw_result rc = fake_run(h);
  if (rc != GW_OK)
    fake_dump_logs(h);
  cr_assert_eq(rc, GW_OK);
  /* 3 measures x 8 areas x 4 periods, minus one empty cell not served */
  cr_expect_eq(h->obs_count, 95);
  cr_expect_eq(fake_count_code(h, "M004521"), 32);
  cr_expect_eq(fake_count_code(h, "M004523"), 31);
  cr_expect_geq(fake_fetched(h, YOUTH "/MeasureCodes", NULL), 0);
  cr_expect_geq(fake_fetched(h, YOUTH "/Dimensions", NULL), 0);
  cr_expect_geq(fake_fetched(h, YOUTH "/PeriodenCodes", NULL), 0);
  cr_expect_eq(fake_fetched(h, YOUTH "/RegioSCodes", NULL), -1);
  cr_expect_geq(fake_fetched(h,
                             YOUTH "/Observations?$filter=%28Measure%20eq"
                                   "%20%27M004521%27%20or%20Measure",
                             NULL),
                0);
  cr_expect_geq(fake_fetched(h, "Observations?$skip=64", NULL), 0);
  cr_expect_eq(h->reject_count, 0);
  fake_free(h);
}

Test(cbs_odata_v4, value_attributes_map_to_statuses) {
  struct fake_host *h = youth_host();
  const struct fake_obs *o;
  cr_assert_eq(fake_run(h), GW_OK);
  o = fake_find(h, "M004521", "GM0384", "2020JJ00", NULL, GW_COMPONENT_VALUE);
  cr_assert_not_null(o);
  cr_expect_eq(o->has_value, 1);
  cr_expect_float_eq(o->value, 6.9, 1e-9);
  cr_expect_eq(o->status, GW_STATUS_UNSET);
  cr_expect_eq(o->has_detail, 0);
  /* NB in the reference -> "Unknown" */
  o = fake_find(h, "M004522", "GM0384", "2021JJ00", NULL, GW_COMPONENT_VALUE);
  cr_assert_not_null(o);
  cr_expect_eq(o->has_value, 0);
  cr_expect_eq(o->status, GW_STATUS_MISSING);
  cr_expect_str_eq(o->detail, "Unknown");
  o = fake_find(h, "M004523", "WK038401", "2020JJ00", NULL, GW_COMPONENT_VALUE);
  cr_assert_not_null(o);
  cr_expect_eq(o->has_value, 0);
  cr_expect_eq(o->status, GW_STATUS_SUPPRESSED);
  cr_expect_str_eq(o->detail, "Confidential");
  o = fake_find(h, "M004522", "WK038404", "2019JJ00", NULL, GW_COMPONENT_VALUE);
  cr_assert_not_null(o);
  cr_expect_eq(o->status, GW_STATUS_IMPOSSIBLE);
  cr_expect_eq(o->has_value, 0);
  o = fake_find(h, "M004521", "NL01", "2022JJ00", NULL, GW_COMPONENT_VALUE);
  cr_assert_not_null(o);
  cr_expect_eq(o->has_value, 1, "a provisional figure keeps its value");
  cr_expect_eq(o->status, GW_STATUS_PROVISIONAL);
  cr_expect_str_eq(o->detail, "Provisional");
  o = fake_find(h, "M004521", "GM0363", "2022JJ00", NULL, GW_COMPONENT_VALUE);
  cr_assert_not_null(o);
  cr_expect_eq(o->status, GW_STATUS_PROVISIONAL, "from PeriodenCodes.Status");
  cr_expect_str_eq(o->detail, "Voorlopig");
  fake_free(h);
}

Test(cbs_odata_v4, unknown_value_attribute_is_missing_and_warned_once) {
  struct fake_host *h = youth_host();
  const struct fake_obs *o;
  fake_replace_text(h, "\"Confidential\"", "\"Geheimgehouden\"");
  cr_assert_eq(fake_run(h), GW_OK);
  o = fake_find(h, "M004523", "WK038401", "2020JJ00", NULL, GW_COMPONENT_VALUE);
  cr_assert_not_null(o);
  cr_expect_eq(o->has_value, 0);
  cr_expect_eq(o->status, GW_STATUS_MISSING);
  cr_expect_str_eq(o->detail, "Geheimgehouden");
  cr_expect_eq(fake_log_count(h, GW_LOG_WARN, "Geheimgehouden"), 1);
  fake_free(h);
}

Test(cbs_odata_v4, markers_map_extends_the_value_attributes) {
  struct fake_host *h = youth_host();
  const struct fake_obs *o;
  fake_replace_text(h, "\"Confidential\"", "\"Geheimgehouden\"");
  json_object_set_new(h->params, "markers",
                      json_pack("{ss}", "Geheimgehouden", "suppressed"));
  cr_assert_eq(fake_run(h), GW_OK);
  o = fake_find(h, "M004523", "WK038401", "2020JJ00", NULL, GW_COMPONENT_VALUE);
  cr_assert_not_null(o);
  cr_expect_eq(o->status, GW_STATUS_SUPPRESSED);
  cr_expect_eq(fake_log_count(h, GW_LOG_WARN, "Geheimgehouden"), 0);
  fake_free(h);
}

Test(cbs_odata_v4, selected_measures_only) {
  struct fake_host *h = youth_host();
  json_object_set_new(h->params, "topics", json_pack("[s]", "M004522"));
  json_object_set_new(h->params, "filter", json_string("RegioS eq 'GM0384'"));
  cr_assert_eq(fake_run(h), GW_OK);
  cr_expect_eq(h->obs_count, 32);
  cr_expect_eq(fake_count_code(h, "M004522"), 32);
  cr_expect_geq(fake_fetched(h,
                             "Observations?$filter=%28Measure%20eq%20%27"
                             "M004522%27%29%20and%20%28RegioS%20eq%20%27"
                             "GM0384%27%29",
                             NULL),
                0);
  fake_free(h);
}

Test(cbs_odata_v4, unknown_measure_fails_with_the_measure_list) {
  struct fake_host *h = youth_host();
  json_object_set_new(h->params, "topics", json_pack("[s]", "M999999"));
  cr_assert_eq(fake_run(h), GW_FAIL);
  cr_expect_geq(fake_log_find(h, GW_LOG_ERROR,
                              "MeasureCodes of 90002NED has no measure "
                              "M999999 (measures: M004521, M004522, M004523)",
                              NULL, NULL),
                0);
  fake_free(h);
}

Test(cbs_odata_v4, explicit_v3_protocol_on_a_v4_root_fails_clearly) {
  struct fake_host *h = youth_host();
  json_object_set_new(h->params, "protocol", json_string("v3"));
  cr_assert_eq(fake_run(h), GW_FAIL);
  cr_expect_geq(fake_log_find(h, GW_LOG_ERROR, "no DataProperties entity set",
                              "Observations", NULL),
                0);
  fake_free(h);
}

Test(cbs_odata_v4, dataset_param_overrides_the_url_segment) {
  struct fake_host *h = fake_new("tests/fixtures/statline", YOUTH);
  fake_map(h, "jeugd", "M004521");
  json_object_set_new(h->params, "dataset", json_string("jeugd"));
  cr_assert_eq(fake_run(h), GW_OK);
  cr_expect_eq(h->obs_count, 32);
  cr_expect_str_eq(h->obs[0].dataset, "jeugd");
  fake_free(h);
}
