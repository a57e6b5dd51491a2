/*
 * swing_ods: Values rows into observations. Diemen's figures must equal
 * the municipality's own table (werkelijk 2020/2021), with decimal comma
 * and point, and every non-number must become a status, never 0.
 */
#include <criterion/criterion.h>

#include "swing_ods_fake_host.h"

/* Diemen werkelijk 2020 / 2021 (prestatie-indicatoren-2023.csv);
 * NAN = "NB" there. */
static const struct {
  const char *code;
  double y2020;
  double y2021;
} diemen[] = {
    {"bbv_banen_per_1000", 917, 838},
    {"bbv_netto_arbeidsparticipatie", 68.6, NAN},
    {"bbv_bijstand_per_10000", 410, 411},
    {"bbv_reintegratie_per_10000", 91, NAN},
    {"bbv_wmo_maatwerk_per_10000", 83, 81},
    {"bbv_jongeren_delict", 1, NAN},
    {"bbv_kinderen_uitkeringsgezin", 5, 5},
    {"bbv_melding_kindermishandeling", 2.1, 1.5},
    {"bbv_achterstandsleerlingen", 10.81, NAN},
    {"bbv_werkloze_jongeren", 2, NAN},
    {"bbv_jeugdhulp", 6.9, 9.9},
    {"bbv_jeugdbescherming", 0.5, NAN},
    {"bbv_jeugdreclassering", NAN, 0.2},
};

static struct sf_host *years_host(const char *instance) {
  struct sf_host *h = sf_new(instance);
  cr_assert_not_null(h);
  sf_map_bbv(h);
  sf_set_list(h, "periods", "2020", "2021", NULL);
  return h;
}

static void expect_figure(const struct sf_host *h, const char *code,
                          const char *period, double want) {
  const struct sf_obs *o = sf_find(h, code, "GM0384", period);
  cr_assert_not_null(o, "%s GM0384 %s missing", code, period);
  if (isnan(want)) {
    cr_expect_eq(o->has_value, 0, "%s %s: NB must have no value", code, period);
    cr_expect_eq(o->status, GW_STATUS_MISSING, "%s %s status %d", code, period,
                 (int)o->status);
    cr_expect_eq(o->value, 0.0);
    cr_expect_eq(o->has_detail, 0, "an empty ValueString has no marker");
  } else {
    cr_expect_eq(o->has_value, 1, "%s %s", code, period);
    cr_expect_float_eq(o->value, want, 1e-9, "%s %s: %g, want %g", code, period,
                       o->value, want);
    cr_expect_eq(o->status, GW_STATUS_UNSET);
  }
}

static void expect_reference(const struct sf_host *h) {
  size_t i;
  for (i = 0; i < sizeof diemen / sizeof diemen[0]; i++) {
    expect_figure(h, diemen[i].code, "2020", diemen[i].y2020);
    expect_figure(h, diemen[i].code, "2021", diemen[i].y2021);
  }
}

Test(swing_ods_values, all_bbv_variables_match_the_reference_table) {
  struct sf_host *h = years_host("");
  gw_result rc = sf_run(h);
  if (rc != GW_OK)
    sf_dump(h);
  cr_assert_eq(rc, GW_OK);
  cr_expect_eq(h->obs_count, 13 * 2 * 3, "13 variables x 2 years x 3 areas");
  cr_expect_eq(h->reject_count, 0);
  expect_reference(h);
  cr_expect_str_eq(h->obs[0].dataset, "swing", "default dataset");
  cr_expect_eq(sf_count(h, "bev_inwoners", NULL), 0,
               "unmapped variables are not read");
  sf_free(h);
}

Test(swing_ods_values, gm_code_instance_gives_the_same_figures) {
  struct sf_host *h = years_host("/gmcodes");
  cr_assert_eq(sf_run(h), GW_OK);
  cr_expect_eq(h->obs_count, 13 * 2 * 3);
  expect_reference(h);
  sf_free(h);
}

Test(swing_ods_values, decimal_comma_and_point) {
  struct sf_host *h = years_host("");
  const struct sf_obs *comma, *point;
  cr_assert_eq(sf_run(h), GW_OK);
  comma = sf_find(h, "bbv_netto_arbeidsparticipatie", "GM0384", "2020");
  point = sf_find(h, "bbv_achterstandsleerlingen", "GM0384", "2020");
  cr_assert_not_null(comma);
  cr_assert_not_null(point);
  cr_expect_float_eq(comma->value, 68.6, 1e-9, "\"68,6\"");
  cr_expect_float_eq(point->value, 10.81, 1e-9, "\"10.81\"");
  sf_free(h);
}

static const struct sf_obs *marker_obs(struct sf_host *h, const char *code,
                                       const char *area, const char *period) {
  const struct sf_obs *o = sf_find(h, code, area, period);
  cr_assert_not_null(o, "%s %s %s", code, area, period);
  cr_expect_eq(o->has_value, 0, "%s %s %s has a value", code, area, period);
  cr_expect_eq(o->value, 0.0);
  return o;
}

Test(swing_ods_values, markers_become_statuses_never_zero) {
  struct sf_host *h = sf_new("");
  const struct sf_obs *o;
  static const struct {
    const char *code, *area, *period, *text;
    gw_status status;
  } cases[] = {
      {"bbv_jongeren_delict", "GM0437", "2019", "x", GW_STATUS_SUPPRESSED},
      {"bbv_achterstandsleerlingen", "GM0437", "2020", "NB", GW_STATUS_MISSING},
      {"bbv_jeugdreclassering", "GM0363", "2022", ".", GW_STATUS_MISSING},
      {"bbv_reintegratie_per_10000", "GM0363", "2019", "-", GW_STATUS_MISSING},
      {"bbv_werkloze_jongeren", "GM0384", "2022", "n.n.b.",
       GW_STATUS_NOT_YET_KNOWN},
      {"bbv_achterstandsleerlingen", "GM0384", "2022", "N.v.t.",
       GW_STATUS_NOT_APPLICABLE},
      {"bbv_werkloze_jongeren", "GM0437", "2019", "geen gegevens",
       GW_STATUS_MISSING},
  };
  size_t i;
  cr_assert_not_null(h);
  sf_map_bbv(h);
  sf_set_list(h, "periods", "2019", "2020", "2021", "2022", NULL);
  cr_assert_eq(sf_run(h), GW_OK);
  cr_expect_eq(h->obs_count, 13 * 4 * 3);
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    o = marker_obs(h, cases[i].code, cases[i].area, cases[i].period);
    cr_expect_eq(o->status, cases[i].status, "%s: status %d", cases[i].text,
                 (int)o->status);
    cr_expect_str_eq(o->detail, cases[i].text, "marker kept verbatim");
  }
  for (i = 0; i < h->obs_count; i++)
    cr_expect(h->obs[i].has_value || h->obs[i].status != GW_STATUS_UNSET,
              "row %zu has neither a value nor a status", i);
  cr_expect_geq(sf_log_find(h, GW_LOG_WARN, "geen gegevens", "params.markers"),
                0, "unknown text is reported once");
  sf_free(h);
}

Test(swing_ods_values, markers_param_overrides_defaults) {
  struct sf_host *h = sf_new("");
  json_t *markers = json_pack("{s:s, s:s}", "x", "missing", "geen gegevens",
                              "not_applicable");
  const struct sf_obs *o;
  cr_assert_not_null(h);
  sf_map_bbv(h);
  json_object_set_new(h->params, "markers", markers);
  sf_set_list(h, "periods", "2019", NULL);
  cr_assert_eq(sf_run(h), GW_OK);
  o = marker_obs(h, "bbv_jongeren_delict", "GM0437", "2019");
  cr_expect_eq(o->status, GW_STATUS_MISSING);
  o = marker_obs(h, "bbv_werkloze_jongeren", "GM0437", "2019");
  cr_expect_eq(o->status, GW_STATUS_NOT_APPLICABLE);
  cr_expect_eq(sf_log_find(h, GW_LOG_WARN, "geen gegevens", NULL), -1);
  sf_free(h);
}

Test(swing_ods_values, json_null_number_and_missing_value_string) {
  struct sf_host *h = years_host("");
  const struct sf_obs *o;
  sf_replace_text(h, "\"ValueString\": \"917\"", "\"ValueString\": null");
  sf_replace_text(h, "\"ValueString\": \"838\"", "\"ValueString\": 838.5");
  sf_replace_text(h, "\"ValueString\": \"410\"", "\"Other\": \"410\"");
  cr_assert_eq(sf_run(h), GW_OK);
  o = marker_obs(h, "bbv_banen_per_1000", "GM0384", "2020");
  cr_expect_eq(o->status, GW_STATUS_MISSING);
  o = sf_find(h, "bbv_banen_per_1000", "GM0384", "2021");
  cr_assert_not_null(o);
  cr_expect_float_eq(o->value, 838.5, 1e-9);
  o = marker_obs(h, "bbv_bijstand_per_10000", "GM0384", "2020");
  cr_expect_eq(o->status, GW_STATUS_MISSING);
  sf_free(h);
}

Test(swing_ods_values, rows_carry_payload_and_position) {
  struct sf_host *h = years_host("");
  const struct sf_obs *o;
  cr_assert_eq(sf_run(h), GW_OK);
  o = sf_find(h, "bbv_jeugdhulp", "GM0437", "2021");
  cr_assert_not_null(o);
  cr_assert_not_null(o->payload);
  cr_expect_not_null(strstr(o->payload->url, "Values?$skip=2"),
                     "third area is on the second page: %s", o->payload->url);
  cr_expect_eq(o->position, 1);
  sf_free(h);
}
