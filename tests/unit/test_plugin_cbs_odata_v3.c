/*
 * cbs_odata, OData v3: the social-domain table 90001NED and the RIVM
 * health monitor 50120NED from tests/fixtures/statline, through a fake host.
 */
#include <criterion/criterion.h>

#include "cbs_odata_fake_host.h"

#define SOCIAL "/ODataFeed/odata/90001NED"
#define RIVM "/ODataFeed/odata/50120NED"

static struct fake_host *social_host(void) {
  struct fake_host *h = fake_new("tests/fixtures/statline", SOCIAL);
  cr_assert_not_null(h);
  fake_map_demo(h);
  return h;
}

Test(cbs_odata_v3, social_table_emits_every_mapped_topic_per_row) {
  struct fake_host *h = social_host();
  gw_result rc = fake_run(h);
  if (rc != GW_OK)
    fake_dump_logs(h);
  cr_assert_eq(rc, GW_OK);
  /* 20 areas x 4 periods, one observation per mapped topic */
  cr_expect_eq(h->obs_count, 80 * 6);
  cr_expect_eq(fake_count_code(h, "Bijstandsuitkeringen"), 80);
  cr_expect_eq(fake_count_code(h, "WmoClienten"), 80);
  cr_expect_eq(fake_count_code(h, "HuishoudensMetBijstand"), 80);
  cr_expect_eq(fake_count_code(h, "Gemeentenaam"), 0, "string topics skipped");
  cr_expect_eq(fake_count_code(h, "Gemeentenaam_1"), 0);
  cr_expect_eq(h->reject_count, 0);
  /* three data pages, plus service doc, DataProperties and Perioden */
  cr_expect_geq(fake_fetched(h, "/90001NED?$format=json", NULL), 0);
  cr_expect_geq(fake_fetched(h, "/DataProperties?$format=json", NULL), 0);
  cr_expect_geq(fake_fetched(h, "/Perioden?$format=json", NULL), 0);
  cr_expect_eq(fake_fetched(h, "/WijkenEnBuurten", NULL), -1,
               "area members are not needed");
  cr_expect_geq(fake_fetched(h,
                             "/TypedDataSet?$format=json&$select="
                             "WijkenEnBuurten%2CPerioden%2C",
                             "Bijstandsuitkeringen_6"),
                0);
  cr_expect_geq(fake_fetched(h, "TypedDataSet?$format=json&$skip=54", NULL), 0);
  cr_expect_geq(fake_log_find(h, GW_LOG_INFO, "90001NED: 3 pages, 80 rows",
                              "480 observations", NULL),
                0);
  fake_free(h);
}

Test(cbs_odata_v3, keys_are_passed_raw_and_values_match_the_reference) {
  struct fake_host *h = social_host();
  const struct fake_obs *o;
  cr_assert_eq(fake_run(h), GW_OK);
  o = fake_find(h, "Bijstandsuitkeringen", "GM0384    ", "2020JJ00", NULL,
                GW_COMPONENT_VALUE);
  cr_assert_not_null(o, "padded area key is passed raw; the host trims");
  cr_expect_eq(o->has_value, 1);
  cr_expect_float_eq(o->value, 410.0, 1e-9);
  cr_expect_eq(o->status, GW_STATUS_UNSET, "Definitief: the host decides");
  cr_expect_eq(o->has_detail, 0);
  cr_expect_str_eq(o->dataset, "90001NED");
  cr_expect_eq(o->bd_count, 0);
  cr_expect_gt(o->position, 0);
  cr_expect_not_null(o->payload);
  o = fake_find(h, "BanenPer1000Inwoners", "GM0384    ", "2021JJ00", NULL,
                GW_COMPONENT_VALUE);
  cr_assert_not_null(o);
  cr_expect_float_eq(o->value, 838.0, 1e-9);
  /* N.v.t. in the reference -> null cell -> missing, no value */
  o = fake_find(h, "HuishoudensMetBijstand", "GM0384    ", "2020JJ00", NULL,
                GW_COMPONENT_VALUE);
  cr_assert_not_null(o);
  cr_expect_eq(o->has_value, 0);
  cr_expect_eq(o->status, GW_STATUS_MISSING);
  cr_expect_eq(o->has_detail, 0);
  fake_free(h);
}

Test(cbs_odata_v3, provisional_period_marks_2022_figures) {
  struct fake_host *h = social_host();
  size_t i, provisional = 0, other_2022 = 0;
  cr_assert_eq(fake_run(h), GW_OK);
  for (i = 0; i < h->obs_count; i++) {
    const struct fake_obs *o = &h->obs[i];
    if (strcmp(o->period, "2022JJ00") != 0) {
      cr_expect_neq(o->status, GW_STATUS_PROVISIONAL);
      continue;
    }
    if (o->has_value && o->status == GW_STATUS_PROVISIONAL &&
        strcmp(o->detail, "Voorlopig") == 0)
      provisional++;
    else if (!o->has_value && o->status == GW_STATUS_MISSING)
      other_2022++;
  }
  cr_expect_gt(provisional, 0);
  cr_expect_eq(provisional + other_2022, 20 * 6,
               "every 2022 figure is provisional or missing");
  fake_free(h);
}

Test(cbs_odata_v3, topic_resolved_by_stem_when_the_suffix_differs) {
  struct fake_host *h = social_host();
  /* another edition: same figure, new column number everywhere */
  fake_replace_text(h, "WmoClienten_8", "WmoClienten_93");
  json_object_set_new(h->params, "topics", json_pack("[s]", "WmoClienten"));
  cr_assert_eq(fake_run(h), GW_OK);
  cr_expect_eq(h->obs_count, 80);
  cr_expect_eq(fake_count_code(h, "WmoClienten"), 80);
  cr_expect_geq(fake_fetched(h,
                             "$select=WijkenEnBuurten%2CPerioden%2C"
                             "WmoClienten_93",
                             NULL),
                0);
  fake_free(h);
}

Test(cbs_odata_v3, missing_topic_fails_with_the_column_list) {
  struct fake_host *h = social_host();
  json_object_set_new(h->params, "topics",
                      json_pack("[ss]", "WmoClienten", "JeugdzorgInNatura"));
  cr_assert_eq(fake_run(h), GW_FAIL);
  cr_expect_geq(fake_log_find(h, GW_LOG_ERROR,
                              "DataProperties of 90001NED has no topic "
                              "JeugdzorgInNatura (columns: ",
                              "WmoClienten_8", "Gemeentenaam_1"),
                0);
  cr_expect_eq(h->obs_count, 0);
  cr_expect_eq(fake_fetched(h, "TypedDataSet", NULL), -1);
  fake_free(h);
}

Test(cbs_odata_v3, string_topic_cannot_be_requested) {
  struct fake_host *h = social_host();
  json_object_set_new(h->params, "topics", json_pack("[s]", "Gemeentenaam"));
  cr_assert_eq(fake_run(h), GW_FAIL);
  cr_expect_geq(
      fake_log_find(h, GW_LOG_ERROR, "Gemeentenaam_1", "not numeric", NULL), 0);
  fake_free(h);
}

Test(cbs_odata_v3, nothing_mapped_is_a_failure) {
  struct fake_host *h = fake_new("tests/fixtures/statline", SOCIAL);
  cr_assert_eq(fake_run(h), GW_FAIL);
  cr_expect_geq(fake_log_find(h, GW_LOG_ERROR, "no figure is mapped",
                              "Bijstandsuitkeringen_6", NULL),
                0);
  fake_free(h);
}

Test(cbs_odata_v3, filter_and_select_are_url_encoded) {
  struct fake_host *h = social_host();
  json_object_set_new(h->params, "filter",
                      json_string("startswith(WijkenEnBuurten,'GM0384')"));
  cr_assert_eq(fake_run(h), GW_OK);
  cr_expect_geq(fake_fetched(h, "TypedDataSet?$format=json&$select=",
                             "&$filter=startswith%28WijkenEnBuurten%2C%27"
                             "GM0384%27%29"),
                0);
  fake_free(h);
}

Test(cbs_odata_v3, untyped_table_reads_strings_and_symbols) {
  struct fake_host *h = social_host();
  const struct fake_obs *o;
  json_object_set_new(h->params, "typed", json_false());
  cr_assert_eq(fake_run(h), GW_OK);
  cr_expect_eq(h->obs_count, 480);
  cr_expect_geq(fake_fetched(h, "/UntypedDataSet?$format=json", NULL), 0);
  o = fake_find(h, "Bijstandsuitkeringen", "GM0384    ", "2021JJ00", NULL,
                GW_COMPONENT_VALUE);
  cr_assert_not_null(o);
  cr_expect_eq(o->has_value, 1);
  cr_expect_float_eq(o->value, 411.0, 1e-9);
  o = fake_find(h, "NettoArbeidsparticipatie", "GM0384    ", "2021JJ00", NULL,
                GW_COMPONENT_VALUE);
  cr_assert_not_null(o);
  cr_expect_eq(o->has_value, 0);
  cr_expect_eq(o->status, GW_STATUS_MISSING);
  cr_expect_str_eq(o->detail, ".", "the CBS symbol is kept verbatim");
  fake_free(h);
}

Test(cbs_odata_v3, markers_override_the_default_symbol_meaning) {
  struct fake_host *h = social_host();
  const struct fake_obs *o;
  json_object_set_new(h->params, "typed", json_false());
  json_object_set_new(h->params, "markers",
                      json_pack("{ss}", ".", "suppressed"));
  cr_assert_eq(fake_run(h), GW_OK);
  o = fake_find(h, "NettoArbeidsparticipatie", "GM0384    ", "2021JJ00", NULL,
                GW_COMPONENT_VALUE);
  cr_assert_not_null(o);
  cr_expect_eq(o->status, GW_STATUS_SUPPRESSED);
  fake_free(h);
}

Test(cbs_odata_v3, unknown_symbol_is_missing_with_one_warning) {
  struct fake_host *h = social_host();
  const struct fake_obs *o;
  json_object_set_new(h->params, "typed", json_false());
  fake_replace_text(h, "           .\"", "          ?!\"");
  cr_assert_eq(fake_run(h), GW_OK);
  o = fake_find(h, "NettoArbeidsparticipatie", "GM0384    ", "2021JJ00", NULL,
                GW_COMPONENT_VALUE);
  cr_assert_not_null(o);
  cr_expect_eq(o->status, GW_STATUS_MISSING);
  cr_expect_str_eq(o->detail, "?!");
  cr_expect_eq(fake_log_count(h, GW_LOG_WARN, "unknown cell symbol \"?!\""), 1);
  fake_free(h);
}

Test(cbs_odata_v3, rivm_marges_become_components_with_matching_keys) {
  struct fake_host *h = fake_new("tests/fixtures/statline", RIVM);
  const struct fake_obs *v, *lo, *hi;
  size_t i, values = 0, lows = 0, highs = 0;
  fake_map_demo(h);
  cr_assert_eq(fake_run(h), GW_OK);
  /* 3 marges x 20 areas x 3 periods x 3 ages rows, 7 mapped topics */
  cr_expect_eq(h->obs_count, 540 * 7);
  for (i = 0; i < h->obs_count; i++) {
    values += h->obs[i].component == GW_COMPONENT_VALUE;
    lows += h->obs[i].component == GW_COMPONENT_CI_LOW;
    highs += h->obs[i].component == GW_COMPONENT_CI_HIGH;
    cr_expect_eq(h->obs[i].bd_count, 1);
    cr_expect_str_eq(h->obs[i].bd_dim[0], "age");
  }
  cr_expect_eq(values, 180 * 7);
  cr_expect_eq(lows, 180 * 7);
  cr_expect_eq(highs, 180 * 7);
  v = fake_find(h, "Eenzaam", "GM0384    ", "2020JJ00", "18 jaar of ouder",
                GW_COMPONENT_VALUE);
  lo = fake_find(h, "Eenzaam", "GM0384    ", "2020JJ00", "18 jaar of ouder",
                 GW_COMPONENT_CI_LOW);
  hi = fake_find(h, "Eenzaam", "GM0384    ", "2020JJ00", "18 jaar of ouder",
                 GW_COMPONENT_CI_HIGH);
  cr_assert(v && lo && hi);
  cr_expect_float_eq(v->value, 46.0, 1e-9, "werkelijk_2020 of 5.1.1");
  cr_expect_lt(lo->value, v->value);
  cr_expect_gt(hi->value, v->value);
  cr_expect_neq(v->payload, hi->payload, "Marges outermost: pages apart");
  cr_expect_eq(fake_count_code(h, "WekelijkseSporters"), 0, "not mapped");
  v = fake_find(h, "Roker", "GM0384    ", "2022JJ00", "65 jaar of ouder",
                GW_COMPONENT_VALUE);
  cr_assert_not_null(v);
  cr_expect_eq(v->status, GW_STATUS_PROVISIONAL);
  v = fake_find(h, "PsychischeKlachten", "GM0384    ", "2016JJ00",
                "18 jaar of ouder", GW_COMPONENT_CI_LOW);
  cr_assert_not_null(v);
  cr_expect_eq(v->has_value, 0, "topic not measured in 2016");
  fake_free(h);
}

Test(cbs_odata_v3, unknown_marges_key_rejects_the_row_with_its_location) {
  struct fake_host *h = fake_new("tests/fixtures/statline", RIVM);
  size_t i, highs = 0;
  fake_map_demo(h);
  fake_replace_text(h, "\"MBG0095\"", "\"MXX0099\"");
  cr_assert_eq(fake_run(h), GW_OK);
  cr_expect_eq(h->reject_count, 180);
  cr_expect(strstr(h->rejects[0], "page 2 row ") == h->rejects[0],
            "location first: %s", h->rejects[0]);
  cr_expect(strstr(h->rejects[0], "MXX0099") != NULL);
  for (i = 0; i < h->obs_count; i++)
    highs += h->obs[i].component == GW_COMPONENT_CI_HIGH;
  cr_expect_eq(highs, 0);
  cr_expect_eq(h->obs_count, 360 * 7);
  fake_free(h);
}

Test(cbs_odata_v3, breakdown_names_are_configurable) {
  struct fake_host *h = fake_new("tests/fixtures/statline", RIVM);
  fake_map_demo(h);
  json_object_set_new(h->params, "breakdown_names",
                      json_pack("{ss}", "Leeftijd", "leeftijdsklasse"));
  json_object_set_new(h->params, "topics", json_pack("[s]", "Eenzaam"));
  cr_assert_eq(fake_run(h), GW_OK);
  cr_assert_eq(h->obs_count, 540);
  cr_expect_str_eq(h->obs[0].bd_dim[0], "leeftijdsklasse");
  fake_free(h);
}

Test(cbs_odata_v3, max_pages_guards_the_loop) {
  struct fake_host *h = fake_new("tests/fixtures/statline", RIVM);
  fake_map_demo(h);
  json_object_set_new(h->params, "max_pages", json_integer(2));
  gw_result rc = fake_run(h);
  if (rc != GW_FAIL)
    fake_dump_logs(h);
  cr_assert_eq(rc, GW_FAIL);
  cr_expect_geq(fake_log_find(h, GW_LOG_ERROR, "max_pages=2", "skip=400", NULL),
                0);
  cr_expect_eq(fake_fetched(h, "skip=400", NULL), -1, "never fetched");
  fake_free(h);
}

Test(cbs_odata_v3, emit_failure_stops_the_run) {
  struct fake_host *h = social_host();
  h->emit_fail_after = 5;
  cr_assert_eq(fake_run(h), GW_FAIL);
  cr_expect_eq(h->obs_count, 6);
  cr_expect_eq(fake_fetched(h, "skip=27", NULL), -1);
  fake_free(h);
}

Test(cbs_odata_v3, transient_fetch_failure_is_propagated) {
  struct fake_host *h = social_host();
  h->fetch_fail_match = "skip=54";
  h->fetch_fail_result = GW_RETRY;
  cr_assert_eq(fake_run(h), GW_RETRY);
  h->fetch_fail_match = "DataProperties";
  h->fetch_fail_result = GW_FAIL;
  cr_assert_eq(fake_run(h), GW_FAIL);
  fake_free(h);
}

Test(cbs_odata_v3, service_document_must_list_the_data_set) {
  struct fake_host *h = social_host();
  fake_replace_text(h, "\"name\":\"TypedDataSet\"", "\"name\":\"Other\"");
  cr_assert_eq(fake_run(h), GW_FAIL);
  cr_expect_geq(fake_log_find(h, GW_LOG_ERROR, "no TypedDataSet entity set",
                              "DataProperties", "90001NED?$format=json"),
                0);
  fake_free(h);
}
