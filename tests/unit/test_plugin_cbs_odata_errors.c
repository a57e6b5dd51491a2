/*
 * cbs_odata: broken sources (tests/fixtures/statline-bad) and bad config.
 * Every failure must name the URL, and parse errors the line and column.
 */
#include <criterion/criterion.h>

#include "cbs_odata_fake_host.h"

static struct fake_host *bad_host(const char *table) {
  char path[128];
  struct fake_host *h;
  snprintf(path, sizeof path, "/ODataFeed/odata/%s", table);
  h = fake_new("tests/fixtures/statline-bad", path);
  cr_assert_not_null(h);
  fake_map_demo(h);
  json_object_set_new(h->params, "dataset", json_string("90001NED"));
  return h;
}

Test(cbs_odata_errors, malformed_page_names_url_line_and_column) {
  struct fake_host *h = bad_host("BADJSON");
  cr_assert_eq(fake_run(h), GW_FAIL);
  cr_expect_geq(fake_log_find(h, GW_LOG_ERROR,
                              FAKE_BASE "/ODataFeed/odata/BADJSON/TypedDataSet"
                                        "?$format=json&$skip=5: invalid JSON "
                                        "at line 3 column ",
                              NULL, NULL),
                0);
  cr_expect_eq(h->obs_count, 5 * 6, "the first page was used");
  fake_free(h);
}

Test(cbs_odata_errors, truncated_page_names_url_line_and_column) {
  struct fake_host *h = bad_host("BADTRUNC");
  int at;
  cr_assert_eq(fake_run(h), GW_FAIL);
  at = fake_log_find(h, GW_LOG_ERROR,
                     "BADTRUNC/TypedDataSet?$format=json&$skip=5: invalid "
                     "JSON at line 4 column ",
                     NULL, NULL);
  cr_expect_geq(at, 0);
  fake_free(h);
}

Test(cbs_odata_errors, next_link_to_plain_http_is_refused) {
  struct fake_host *h = bad_host("BADHTTP");
  cr_assert_eq(fake_run(h), GW_FAIL);
  cr_expect_geq(fake_log_find(h, GW_LOG_ERROR, "http://127.0.0.1/",
                              "not on the source's own origin", NULL),
                0);
  cr_expect_eq(fake_fetched(h, "http://", NULL), -1);
  fake_free(h);
}

Test(cbs_odata_errors, next_link_to_another_host_is_refused) {
  struct fake_host *h = bad_host("BADHOST");
  cr_assert_eq(fake_run(h), GW_FAIL);
  cr_expect_geq(fake_log_find(h, GW_LOG_ERROR, "evil.example.invalid",
                              "not on the source's own origin", NULL),
                0);
  cr_expect_eq(fake_fetched(h, "evil", NULL), -1);
  fake_free(h);
}

Test(cbs_odata_errors, next_link_loop_is_detected) {
  struct fake_host *h = bad_host("BADLOOP");
  cr_assert_eq(fake_run(h), GW_FAIL);
  cr_expect_geq(fake_log_find(h, GW_LOG_ERROR, "nextLink loop", "skip=5", NULL),
                0);
  cr_expect_eq(h->obs_count, 10 * 6, "two pages read once each");
  fake_free(h);
}

Test(cbs_odata_errors, page_without_value_array_fails) {
  struct fake_host *h = bad_host("BADNOVALUE");
  cr_assert_eq(fake_run(h), GW_FAIL);
  cr_expect_geq(fake_log_find(h, GW_LOG_ERROR, "BADNOVALUE/TypedDataSet",
                              "\"value\" array", NULL),
                0);
  fake_free(h);
}

Test(cbs_odata_errors, requested_topic_missing_from_data_properties) {
  struct fake_host *h = bad_host("BADTOPIC");
  json_object_set_new(h->params, "topics",
                      json_pack("[ss]", "WmoClienten", "Bijstandsuitkeringen"));
  cr_assert_eq(fake_run(h), GW_FAIL);
  cr_expect_geq(fake_log_find(h, GW_LOG_ERROR,
                              "DataProperties of 90001NED has no topic "
                              "Bijstandsuitkeringen (columns: ",
                              NULL, NULL),
                0);
  fake_free(h);
}

Test(cbs_odata_errors, unmapped_absent_topic_is_just_absent) {
  struct fake_host *h = bad_host("BADTOPIC");
  cr_assert_eq(fake_run(h), GW_OK);
  cr_expect_eq(h->obs_count, 12 * 5);
  cr_expect_eq(fake_count_code(h, "Bijstandsuitkeringen"), 0);
  fake_free(h);
}

Test(cbs_odata_errors, unknown_period_code_is_kept_with_a_warning) {
  struct fake_host *h = bad_host("BADPERIOD");
  const struct fake_obs *o;
  cr_assert_eq(fake_run(h), GW_OK);
  cr_expect_eq(h->obs_count, 12 * 6);
  o = fake_find(h, "WmoClienten", "NL01      ", "2017G400", NULL,
                GW_COMPONENT_VALUE);
  cr_expect_not_null(o);
  o = fake_find(h, "WmoClienten", "GM0384    ", "2099XX99", NULL,
                GW_COMPONENT_VALUE);
  cr_assert_not_null(o);
  cr_expect_eq(o->status, GW_STATUS_UNSET);
  cr_expect_eq(fake_log_count(h, GW_LOG_WARN,
                              "\"2099XX99\" is not in the "
                              "Perioden entity set"),
               1);
  fake_free(h);
}

Test(cbs_odata_errors, row_that_is_not_an_object_is_rejected) {
  struct fake_host *h = bad_host("BADPERIOD");
  /* the first data row becomes a number; the other rows still count */
  fake_replace_text(h, "{\"ID\":0,", "42,{\"ID\":0,");
  cr_assert_eq(fake_run(h), GW_OK);
  cr_expect_eq(h->reject_count, 1);
  cr_expect_str_eq(h->rejects[0],
                   "page 1 row 1: expected a JSON object (one data row)");
  cr_expect_eq(h->obs_count, 12 * 6);
  fake_free(h);
}

Test(cbs_odata_errors, row_without_a_dimension_column_is_rejected) {
  struct fake_host *h = bad_host("BADPERIOD");
  fake_replace_text(h, "\"ID\":3,\"WijkenEnBuurten\"", "\"ID\":3,\"Wijk\"");
  cr_assert_eq(fake_run(h), GW_OK);
  cr_expect_eq(h->reject_count, 1);
  cr_expect_str_eq(h->rejects[0], "page 1 row 4: expected a string in "
                                  "dimension column WijkenEnBuurten");
  cr_expect_eq(h->obs_count, 11 * 6);
  fake_free(h);
}

Test(cbs_odata_errors, missing_page_fails) {
  struct fake_host *h = bad_host("NOSUCHTABLE");
  cr_assert_eq(fake_run(h), GW_FAIL);
  cr_expect_geq(fake_log_find(h, GW_LOG_ERROR, "NOSUCHTABLE?$format=json",
                              "fetch failed", NULL),
                0);
  fake_free(h);
}

Test(cbs_odata_errors, bad_config_is_refused_at_init) {
  struct fake_host *h = bad_host("BADPERIOD");
  json_object_set_new(h->params, "protocol", json_string("v5"));
  cr_expect_eq(fake_run(h), GW_FAIL);
  cr_expect_geq(fake_log_find(h, GW_LOG_ERROR, "\"v5\"", "\"v3\"", NULL), 0);
  json_object_del(h->params, "protocol");

  json_object_set_new(h->params, "max_pages", json_integer(0));
  cr_expect_eq(fake_run(h), GW_FAIL);
  json_object_del(h->params, "max_pages");

  json_object_set_new(h->params, "markers", json_pack("{ss}", ".", "gone"));
  cr_expect_eq(fake_run(h), GW_FAIL);
  cr_expect_geq(
      fake_log_find(h, GW_LOG_ERROR, "\"gone\" is not a status", NULL, NULL),
      0);
  json_object_del(h->params, "markers");

  snprintf(h->url, sizeof h->url, "%s",
           FAKE_BASE "/ODataFeed/odata/BADPERIOD?$format=json");
  cr_expect_eq(fake_run(h), GW_FAIL);
  cr_expect_geq(fake_log_find(h, GW_LOG_ERROR, "without a query", NULL, NULL),
                0);
  snprintf(h->url, sizeof h->url, "%s", "ftp://example.org/x");
  cr_expect_eq(fake_run(h), GW_FAIL);
  cr_expect_eq(h->fetch_count, 0, "nothing fetched with a bad config");
  fake_free(h);
}
