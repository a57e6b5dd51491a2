/*
 * swing_ods: the requests a run makes (paging, mrp, the apikey header),
 * area mapping, and the messages for a refused key, a missing variable and
 * missing data.
 */
#include <criterion/criterion.h>

#include "swing_ods_fake_host.h"

static struct sf_host *host(const char *instance) {
  struct sf_host *h = sf_new(instance);
  cr_assert_not_null(h);
  sf_map_bbv(h);
  return h;
}

/* ---- paging ----------------------------------------------------------- */

Test(swing_ods_flow, variables_list_follows_next_link) {
  struct sf_host *h = host("");
  sf_set_list(h, "periods", "2021", NULL);
  cr_assert_eq(sf_run(h), GW_OK);
  cr_expect_geq(sf_fetched(h, "/jiveservices/odata/Variables?$skip=10", NULL),
                0);
  cr_expect_eq(sf_fetched(h, "Variables?$skip=16", NULL), -1,
               "a nextLink-paged list ends at the page without one");
  cr_expect_eq(sf_count(h, NULL, "2021"), 13 * 3,
               "variables from both pages are read");
  sf_free(h);
}

Test(swing_ods_flow, variables_list_walked_with_skip_until_empty) {
  struct sf_host *h = host("/gmcodes");
  sf_set_list(h, "periods", "2021", NULL);
  cr_assert_eq(sf_run(h), GW_OK);
  cr_expect_geq(
      sf_fetched(h, "/gmcodes/jiveservices/odata/Variables?$skip=10", NULL), 0);
  cr_expect_geq(sf_fetched(h, "Variables?$skip=16", NULL), 0,
                "the walk ends on the empty page");
  cr_expect_eq(sf_count(h, NULL, "2021"), 13 * 3);
  sf_free(h);
}

Test(swing_ods_flow, server_ignoring_skip_is_noticed) {
  struct sf_host *h = host("/gmcodes");
  /* every $skip page answers with the first page again */
  sf_replace_text(h, "\"ExternalCode\": \"bbv_achterstandsleerlingen\"",
                  "\"ExternalCode\": \"bbv_banen_per_1000\"");
  json_object_set_new(h->params, "variables",
                      json_pack("[s]", "bbv_banen_per_1000"));
  sf_set_list(h, "periods", "2021", NULL);
  cr_assert_eq(sf_run(h), GW_OK);
  cr_expect_geq(sf_log_find(h, GW_LOG_WARN, "ignores $skip", NULL), 0);
  cr_expect_eq(sf_count(h, "bbv_banen_per_1000", "2021"), 3);
  sf_free(h);
}

Test(swing_ods_flow, values_split_over_two_pages) {
  struct sf_host *h = host("");
  json_object_set_new(h->params, "variables",
                      json_pack("[s]", "bbv_jeugdhulp"));
  sf_set_list(h, "periods", "2020", "2021", NULL);
  cr_assert_eq(sf_run(h), GW_OK);
  cr_expect_geq(sf_fetched(h, "Periods('2021')/Values?$skip=2", NULL), 0);
  cr_expect_eq(sf_count(h, "bbv_jeugdhulp", "2021"), 3);
  cr_expect_eq(sf_count(h, "bbv_jeugdhulp", NULL), 6);
  cr_expect_not_null(sf_find(h, "bbv_jeugdhulp", "GM0437", "2020"));
  sf_free(h);
}

Test(swing_ods_flow, next_link_to_another_origin_is_refused) {
  struct sf_host *h = host("");
  sf_replace_text(h, "\"@odata.nextLink\": \"https://fixture.test",
                  "\"@odata.nextLink\": \"https://evil.example");
  cr_assert_eq(sf_run(h), GW_FAIL);
  cr_expect_geq(sf_log_find(h, GW_LOG_ERROR, "evil.example",
                            "not on the source's own origin"),
                0);
  cr_expect_eq(sf_fetched(h, "evil", NULL), -1);
  sf_free(h);
}

Test(swing_ods_flow, next_link_loop_is_detected) {
  struct sf_host *h = host("");
  sf_replace_text(h, "Periods('2021')/Values?$skip=2\"",
                  "Periods('2021')/Values\"");
  sf_set_list(h, "periods", "2021", NULL);
  cr_assert_eq(sf_run(h), GW_FAIL);
  cr_expect_geq(sf_log_find(h, GW_LOG_ERROR, "nextLink loop", NULL), 0);
  sf_free(h);
}

Test(swing_ods_flow, max_pages_stops_a_long_list) {
  struct sf_host *h = host("");
  json_object_set_new(h->params, "max_pages", json_integer(1));
  cr_assert_eq(sf_run(h), GW_FAIL);
  cr_expect_eq(h->obs_count, 0);
  cr_expect_geq(sf_log_find(h, GW_LOG_ERROR, "max_pages=1", NULL), 0);
  sf_free(h);
}

/* ---- mrp -------------------------------------------------------------- */

Test(swing_ods_flow, mrp_resolves_to_the_newest_listed_period) {
  struct sf_host *h = host("");
  const struct sf_obs *o;
  cr_assert_eq(sf_run(h), GW_OK); /* periods default: ["mrp"] */
  cr_expect_eq(h->obs_count, 13 * 3);
  cr_expect_eq(sf_count(h, NULL, "2022"), 13 * 3,
               "stored under the real year, not \"mrp\"");
  cr_expect_geq(sf_fetched(h, "PeriodLevels('year')/Periods", NULL), 0);
  cr_expect_geq(sf_fetched(h, "Periods('2022')/Values", NULL), 0);
  cr_expect_eq(sf_fetched(h, "Periods('mrp')", NULL), -1);
  o = sf_find(h, "bbv_werkloze_jongeren", "GM0384", "2022");
  cr_assert_not_null(o);
  cr_expect_eq(o->status, GW_STATUS_NOT_YET_KNOWN);
  sf_free(h);
}

Test(swing_ods_flow, mrp_server_mode_asks_periods_mrp) {
  struct sf_host *h = host("");
  json_object_set_new(h->params, "mrp", json_string("server"));
  cr_assert_eq(sf_run(h), GW_OK);
  cr_expect_geq(sf_fetched(h, "Periods('mrp')/Values", NULL), 0);
  cr_expect_eq(sf_fetched(h, "Periods('2022')/Values", NULL), -1);
  cr_expect_eq(sf_count(h, NULL, "2022"), 13 * 3);
  cr_expect_eq(sf_count(h, NULL, "mrp"), 0);
  sf_free(h);
}

Test(swing_ods_flow, mrp_and_the_same_year_are_read_once) {
  struct sf_host *h = host("");
  sf_set_list(h, "periods", "2022", "mrp", NULL);
  cr_assert_eq(sf_run(h), GW_OK);
  cr_expect_eq(sf_count(h, NULL, "2022"), 13 * 3);
  sf_free(h);
}

/* ---- apikey ----------------------------------------------------------- */

Test(swing_ods_flow, apikey_header_sent_on_every_request_when_set) {
  struct sf_host *h = host("");
  size_t i;
  h->require_key = "k-123";
  json_object_set_new(h->params, "apikey", json_string("k-123"));
  sf_set_list(h, "periods", "2021", NULL);
  cr_assert_eq(sf_run(h), GW_OK);
  cr_assert_gt(h->fetch_count, 10);
  for (i = 0; i < h->fetch_count; i++) {
    cr_expect_not_null(strstr(h->sent_headers[i], "apikey: k-123\n"), "%s",
                       h->fetched[i]);
    cr_expect_not_null(strstr(h->sent_headers[i], "Accept: application/json"));
  }
  for (i = 0; i < h->log_count; i++)
    cr_expect_null(strstr(h->logs[i], "k-123"), "key in a log line: %s",
                   h->logs[i]);
  sf_free(h);
}

Test(swing_ods_flow, no_apikey_header_without_the_param) {
  struct sf_host *h = host("");
  size_t i;
  sf_set_list(h, "periods", "2021", NULL);
  cr_assert_eq(sf_run(h), GW_OK);
  for (i = 0; i < h->fetch_count; i++)
    cr_expect_null(strstr(h->sent_headers[i], "apikey"), "%s",
                   h->sent_headers[i]);
  sf_free(h);
}

Test(swing_ods_flow, refused_key_says_so) {
  struct sf_host *h = host("");
  h->require_key = "right";
  json_object_set_new(h->params, "apikey", json_string("wrong"));
  cr_assert_eq(sf_run(h), GW_FAIL);
  cr_expect_geq(sf_log_find(h, GW_LOG_ERROR,
                            "API key refused for source test-source",
                            "HTTP 401"),
                0);
  cr_expect_eq(h->fetch_count, 1, "stops at the first refusal");
  cr_expect_eq(sf_log_find(h, GW_LOG_ERROR, "wrong", NULL), -1,
               "the key is not logged");
  sf_free(h);
}

Test(swing_ods_flow, missing_key_says_a_key_is_needed) {
  struct sf_host *h = host("");
  h->require_key = "right";
  cr_assert_eq(sf_run(h), GW_FAIL);
  cr_expect_geq(sf_log_find(h, GW_LOG_ERROR, "API key refused for source",
                            "set params.apikey"),
                0);
  sf_free(h);
}

Test(swing_ods_flow, key_with_line_break_is_refused_at_init) {
  struct sf_host *h = host("");
  json_object_set_new(h->params, "apikey", json_string("a\r\nX-Evil: 1"));
  cr_assert_eq(sf_run(h), GW_FAIL);
  cr_expect_geq(sf_log_find(h, GW_LOG_ERROR, "line break", NULL), 0);
  cr_expect_eq(h->fetch_count, 0);
  sf_free(h);
}

/* ---- missing things --------------------------------------------------- */

Test(swing_ods_flow, unknown_variable_is_named) {
  struct sf_host *h = host("");
  json_object_set_new(h->params, "variables",
                      json_pack("[s,s,s]", "bbv_jeugdhulp", "bbv_bestaat_niet",
                                "BBV_JEUGDHULP"));
  cr_assert_eq(sf_run(h), GW_FAIL);
  cr_expect_geq(sf_log_find(h, GW_LOG_ERROR,
                            "Swing variable bbv_bestaat_niet does not exist "
                            "on fixture.test (source test-source)",
                            NULL),
                0);
  cr_expect_geq(sf_log_find(h, GW_LOG_ERROR,
                            "Swing variable BBV_JEUGDHULP does not exist",
                            NULL),
                0, "codes are case-sensitive");
  cr_expect_eq(sf_log_find(h, GW_LOG_ERROR, "variable bbv_jeugdhulp ", NULL),
               -1);
  cr_expect_eq(h->obs_count, 0, "nothing is read when a variable is wrong");
  sf_free(h);
}

Test(swing_ods_flow, no_mapped_variable_on_the_server) {
  struct sf_host *h = sf_new("");
  cr_assert_not_null(h);
  cr_assert_eq(sf_run(h), GW_FAIL);
  cr_expect_geq(
      sf_log_find(h, GW_LOG_ERROR, "none of the variables", "params.variables"),
      0);
  sf_free(h);
}

Test(swing_ods_flow, unchecked_variables_skip_the_list) {
  struct sf_host *h = host("");
  json_object_set_new(h->params, "check_variables", json_false());
  json_object_set_new(h->params, "variables",
                      json_pack("[s]", "bbv_jeugdhulp"));
  sf_set_list(h, "periods", "2021", NULL);
  cr_assert_eq(sf_run(h), GW_OK);
  cr_expect_eq(sf_fetched(h, "/Variables?", NULL), -1);
  cr_expect_eq(sf_fetched(h, "odata/Variables", NULL),
               sf_fetched(h, "odata/Variables('bbv_jeugdhulp')", NULL),
               "the first request is for the variable's values");
  cr_expect_eq(h->obs_count, 3);
  sf_free(h);
}

Test(swing_ods_flow, missing_period_is_no_data_at_this_level) {
  struct sf_host *h = host("");
  json_object_set_new(h->params, "variables",
                      json_pack("[s]", "bbv_jeugdhulp"));
  sf_set_list(h, "periods", "2030", NULL);
  cr_assert_eq(sf_run(h), GW_FAIL);
  cr_expect_geq(sf_log_find(h, GW_LOG_ERROR,
                            "no data at this level/period (bbv_jeugdhulp, "
                            "gemeente, 2030)",
                            "Periods('2030')/Values"),
                0);
  sf_free(h);
}

Test(swing_ods_flow, missing_level_is_no_data_at_this_level) {
  struct sf_host *h = host("");
  json_object_set_new(h->params, "variables",
                      json_pack("[s]", "bbv_jeugdhulp"));
  json_object_set_new(h->params, "geo_level", json_string("buurt"));
  cr_assert_eq(sf_run(h), GW_FAIL);
  cr_expect_geq(sf_log_find(h, GW_LOG_ERROR,
                            "no data at this level/period (bbv_jeugdhulp, "
                            "buurt, mrp)",
                            NULL),
                0);
  sf_free(h);
}

Test(swing_ods_flow, wrong_root_url_is_explained) {
  struct sf_host *h = host("");
  snprintf(h->url, sizeof h->url, "%s/jive/odata", SF_BASE);
  cr_assert_eq(sf_run(h), GW_FAIL);
  cr_expect_geq(
      sf_log_find(h, GW_LOG_ERROR, "answered 404", "Open Data Service root"),
      0);
  sf_free(h);
}

Test(swing_ods_flow, older_host_without_http_status_still_fails_clearly) {
  struct sf_host *h = host("");
  h->api.size = (uint32_t)offsetof(struct gw_host_api, last_http_status);
  h->require_key = "right";
  cr_assert_eq(sf_run(h), GW_FAIL);
  cr_expect_geq(sf_log_find(h, GW_LOG_ERROR, "fetch failed (permanent", NULL),
                0);
  sf_free(h);
}

/* ---- areas ------------------------------------------------------------ */

Test(swing_ods_flow, area_map_wins) {
  struct sf_host *h = host("");
  json_object_set_new(h->params, "area_map",
                      json_pack("{s:s}", "384", "GM9384"));
  sf_set_list(h, "periods", "2021", NULL);
  cr_assert_eq(sf_run(h), GW_OK);
  cr_expect_not_null(sf_find(h, "bbv_jeugdhulp", "GM9384", "2021"));
  cr_expect_null(sf_find(h, "bbv_jeugdhulp", "GM0384", "2021"));
  cr_expect_not_null(sf_find(h, "bbv_jeugdhulp", "GM0363", "2021"));
  sf_free(h);
}

Test(swing_ods_flow, areas_mapped_by_geo_item_name) {
  struct sf_host *h = host("");
  sf_replace_text(h, "\"ExternalCode\": \"384\"",
                  "\"ExternalCode\": \"gem-diemen\"");
  json_object_set_new(h->params, "map_by_name", json_true());
  json_object_set_new(
      h->params, "names",
      json_pack("{s:s, s:s}", "Diemen", "GM0384", "Weesp", "GM0457"));
  sf_set_list(h, "periods", "2020", NULL);
  cr_assert_eq(sf_run(h), GW_OK);
  cr_expect_geq(sf_fetched(h, "/GeoLevels('gemeente')/GeoItems", NULL), 0);
  cr_expect_float_eq(sf_find(h, "bbv_banen_per_1000", "GM0384", "2020")->value,
                     917, 1e-9);
  cr_expect_geq(sf_log_find(h, GW_LOG_WARN, "no item named \"Weesp\"", NULL),
                0);
  cr_expect_eq(h->reject_count, 0);
  sf_free(h);
}

Test(swing_ods_flow, unmappable_area_is_rejected_not_guessed) {
  struct sf_host *h = host("");
  sf_replace_text(h, "\"ExternalCode\": \"437\"",
                  "\"ExternalCode\": \"Ouder-Amstel\"");
  sf_set_list(h, "periods", "2020", NULL);
  cr_assert_eq(sf_run(h), GW_OK);
  cr_expect_eq(h->reject_count, 13);
  cr_expect_not_null(strstr(h->rejects[0], "\"Ouder-Amstel\""), "%s",
                     h->rejects[0]);
  cr_expect_not_null(strstr(h->rejects[0], "params.area_map"));
  cr_expect_eq(h->obs_count, 13 * 2);
  sf_free(h);
}

static void expect_area(struct swing_ctx *ctx, const char *external,
                        const char *want) {
  char out[32], reason[256] = "";
  int rc =
      swing_area_for(ctx, external, out, sizeof out, reason, sizeof reason);
  if (!want) {
    cr_expect_eq(rc, -1, "%s mapped to %s", external, out);
    cr_expect_neq(reason[0], '\0');
    return;
  }
  cr_expect_eq(rc, 0, "%s: %s", external, reason);
  if (rc == 0)
    cr_expect_str_eq(out, want, "%s", external);
}

static struct swing_ctx *ctx_for(struct sf_host *h) {
  void *ctx = NULL;
  cr_assert_eq(
      swing_ods_init(&h->api, (const struct gw_plugin_config *)h, &ctx), GW_OK);
  return ctx;
}

Test(swing_ods_flow, external_code_readings) {
  struct sf_host *h = host("");
  struct swing_ctx *ctx = ctx_for(h);
  expect_area(ctx, "384", "GM0384");
  expect_area(ctx, "0384", "GM0384");
  expect_area(ctx, "GM0384", "GM0384");
  expect_area(ctx, "gm0384", "GM0384");
  expect_area(ctx, "gemeente_384", "GM0384");
  expect_area(ctx, "1680", "GM1680");
  expect_area(ctx, "Diemen", NULL);
  expect_area(ctx, "", NULL);
  swing_ods_destroy(ctx);
  json_object_set_new(h->params, "geo_level", json_string("wijk"));
  ctx = ctx_for(h);
  expect_area(ctx, "38401", "WK038401");
  expect_area(ctx, "WK038401", "WK038401");
  swing_ods_destroy(ctx);
  json_object_set_new(h->params, "geo_level", json_string("buurt"));
  ctx = ctx_for(h);
  expect_area(ctx, "3840001", "BU03840001");
  swing_ods_destroy(ctx);
  json_object_set_new(h->params, "geo_level", json_string("stadsdeel"));
  ctx = ctx_for(h);
  expect_area(ctx, "12", NULL);
  swing_ods_destroy(ctx);
  json_object_set_new(h->params, "area_prefix", json_string("SD"));
  ctx = ctx_for(h);
  expect_area(ctx, "12", "SD12");
  swing_ods_destroy(ctx);
  sf_free(h);
}

/* ---- configuration ---------------------------------------------------- */

static void expect_init_error(struct sf_host *h, const char *fragment) {
  void *ctx = NULL;
  cr_expect_eq(
      swing_ods_init(&h->api, (const struct gw_plugin_config *)h, &ctx),
      GW_FAIL);
  cr_expect_null(ctx);
  cr_expect_geq(sf_log_find(h, GW_LOG_ERROR, fragment, NULL), 0,
                "no error containing \"%s\"", fragment);
}

Test(swing_ods_flow, bad_configuration_is_refused_with_reason) {
  struct sf_host *h = host("");
  snprintf(h->url, sizeof h->url, "http://fixture.test/jiveservices/odata");
  expect_init_error(h, "must be the https:// root");
  snprintf(h->url, sizeof h->url, "%s/jiveservices/odata/", SF_BASE);
  json_object_set_new(h->params, "map_by_name", json_true());
  expect_init_error(h, "params.names is empty");
  json_object_set_new(h->params, "map_by_name", json_false());
  json_object_set_new(h->params, "markers", json_pack("{s:s}", "x", "geheim"));
  expect_init_error(h, "params.markers[\"x\"] is \"geheim\"");
  json_object_del(h->params, "markers");
  json_object_set_new(h->params, "mrp", json_string("latest"));
  expect_init_error(h, "params.mrp is \"latest\"");
  json_object_del(h->params, "mrp");
  json_object_set_new(h->params, "check_variables", json_false());
  expect_init_error(h, "params.variables must list");
  json_object_del(h->params, "check_variables");
  sf_set_list(h, "periods", "2020", "", NULL);
  expect_init_error(h, "params.periods[1] is empty");
  sf_free(h);
}

Test(swing_ods_flow, trailing_slash_in_url_is_fine) {
  struct sf_host *h = host("");
  snprintf(h->url, sizeof h->url, "%s/jiveservices/odata/", SF_BASE);
  sf_set_list(h, "periods", "2021", NULL);
  cr_assert_eq(sf_run(h), GW_OK);
  cr_expect_eq(sf_fetched(h, "odata//", NULL), -1);
  sf_free(h);
}
