/*
 * csv_export on the four good fixtures of tests/fixtures/csv (Swing bulk
 * layout, GGD table in windows-1252 with title rows, the municipality's
 * Excel sheet, a CBS table saved as CSV). Diemen's figures are compared
 * with the reference table as the catalogue carries it
 * (schemas/indicators.json "reference": werkelijk_2020/2021), so the
 * fixtures and the plugin are checked against the municipality's numbers,
 * not against constants copied into this file.
 */
#include <criterion/criterion.h>

#include "csv_export_fake_host.h"

struct code_ref {
  const char *source_code;
  const char *policy_code;
  const char *fixed_dim; /* breakdown the catalogue mapping adds */
  const char *fixed_member;
};

static const struct code_ref swing_codes[] = {
    {"bbv_banen_per_1000", "3.1.1", NULL, NULL},
    {"bbv_netto_arbeidsparticipatie", "3.1.3", NULL, NULL},
    {"bbv_bijstand_per_10000", "3.1.4", NULL, NULL},
    {"bbv_reintegratie_per_10000", "3.1.5", NULL, NULL},
    {"bbv_wmo_maatwerk_per_10000", "3.1.6", NULL, NULL},
    {"bbv_jongeren_delict", "3.3.1", NULL, NULL},
    {"bbv_kinderen_uitkeringsgezin", "3.3.2", NULL, NULL},
    {"bbv_melding_kindermishandeling", "3.3.3", NULL, NULL},
    {"bbv_achterstandsleerlingen", "3.3.4", NULL, NULL},
    {"bbv_werkloze_jongeren", "3.3.5", NULL, NULL},
    {"bbv_jeugdhulp", "3.3.6", NULL, NULL},
    {"bbv_jeugdbescherming", "3.3.7", NULL, NULL},
    {"bbv_jeugdreclassering", "3.3.8", NULL, NULL},
};

static const struct code_ref local_codes[] = {
    {"uitstroom_werk", "3.1", NULL, NULL},
    {"doorlooptijd_wmo", "2.1.1", NULL, NULL},
    {"beschut_werk", "3.1.2", NULL, NULL},
    {"stadspas", "3.1.7", NULL, NULL},
    {"deelname_bewegingsaanbod", "5.2.7", NULL, NULL},
    {"activiteiten_diversiteit", "5.4.1", NULL, NULL},
    {"woonurgenties", "6.1.1", NULL, NULL},
    {"woningen_geschikt_oud", "6.1.4", NULL, NULL},
    {"meldingen_zorg_overlast", "6.2.1", NULL, NULL},
    {"meldpunt_wvggz", "6.2.2", NULL, NULL},
};

static const struct code_ref ggd_codes[] = {
    {"bereik_jgz", "3.3.9", NULL, NULL},
    {"jongeren_bewegen", "5.2.1", NULL, NULL},
    {"tevreden_leefomgeving", "5.2.3", NULL, NULL},
    {"drugsgebruik", "5.3.1", "substance", "drugs"},
};

static const struct code_ref cbs_codes[] = {
    {"huishoudens_bijstand_mra", "3.1.9", NULL, NULL},
    {"wmo_voorzieningen", "6.1.7", NULL, NULL},
};

static json_t *catalogue;

static void load_catalogue(void) {
  char path[2048];
  json_error_t err;
  snprintf(path, sizeof path, "%s/schemas/indicators.json", ts_source_dir());
  catalogue = json_load_file(path, 0, &err);
  cr_assert_not_null(catalogue, "%s: %s", path, err.text);
}

static void free_catalogue(void) {
  json_decref(catalogue);
}

TestSuite(csv_export_fixtures, .init = load_catalogue, .fini = free_catalogue);

/* werkelijk_<year> of the reference entry for code + breakdown. */
static const char *reference(const char *policy_code, const char *dim,
                             const char *member, const char *year) {
  json_t *ind, *ref;
  size_t i, j;
  char key[32];
  snprintf(key, sizeof key, "werkelijk_%s", year);
  json_array_foreach(json_object_get(catalogue, "indicators"), i, ind) {
    if (strcmp(json_string_value(json_object_get(ind, "code")), policy_code))
      continue;
    json_array_foreach(json_object_get(ind, "reference"), j, ref) {
      json_t *bd = json_object_get(ref, "breakdown");
      if (dim ? json_is_string(json_object_get(bd, dim)) &&
                    strcmp(json_string_value(json_object_get(bd, dim)),
                           member) == 0
              : json_object_size(bd) == 0)
        return json_string_value(json_object_get(ref, key));
    }
  }
  return NULL;
}

static gw_status reference_status(const char *text) {
  if (strcmp(text, "n.n.b.") == 0)
    return GW_STATUS_NOT_YET_KNOWN;
  if (strcmp(text, "N.v.t.") == 0)
    return GW_STATUS_NOT_APPLICABLE;
  if (strcmp(text, "NB") == 0 || strcmp(text, "-") == 0)
    return GW_STATUS_MISSING;
  return GW_STATUS_UNSET;
}

/* Diemen's figure for each code and year equals the reference. */
static size_t check_against_reference(const struct csv_fake_host *h,
                                      const struct code_ref *codes, size_t n,
                                      const char *area, const char *dim,
                                      const char *const *members,
                                      size_t member_count) {
  static const char *const years[] = {"2020", "2021"};
  size_t c, y, m, checked = 0;

  for (c = 0; c < n; c++) {
    for (y = 0; y < 2; y++) {
      for (m = 0; m < (member_count ? member_count : 1); m++) {
        const char *member = member_count ? members[m] : NULL;
        const char *period = years[y];
        const char *ref;
        const struct csv_fake_obs *o;
        char cbs_period[16];
        if (member_count && strcmp(codes[c].source_code, "bereik_jgz") &&
            strcmp(codes[c].source_code, "wmo_voorzieningen"))
          continue;
        ref = reference(
            codes[c].policy_code, codes[c].fixed_dim ? codes[c].fixed_dim : dim,
            codes[c].fixed_dim ? codes[c].fixed_member : member, period);
        cr_assert_not_null(ref, "no reference for %s %s", codes[c].policy_code,
                           period);
        o = csv_find(h, codes[c].source_code, area, period, member,
                     GW_COMPONENT_VALUE);
        if (!o) {
          snprintf(cbs_period, sizeof cbs_period, "%sJJ00", period);
          o = csv_find(h, codes[c].source_code, area, cbs_period, member,
                       GW_COMPONENT_VALUE);
        }
        cr_assert_not_null(o, "%s %s %s %s not emitted", codes[c].source_code,
                           area, period, member ? member : "");
        if (reference_status(ref) != GW_STATUS_UNSET) {
          cr_expect_eq(o->has_value, 0, "%s %s: marker must carry no value",
                       codes[c].source_code, period);
          cr_expect_eq(o->status, reference_status(ref),
                       "%s %s: status %d for reference \"%s\"",
                       codes[c].source_code, period, (int)o->status, ref);
        } else {
          double want;
          cr_assert_eq(csv_fake_number(ref, &want), 0);
          cr_expect_eq(o->has_value, 1, "%s %s has no value",
                       codes[c].source_code, period);
          cr_expect_float_eq(o->value, want, 1e-9, "%s %s: %g, reference %s",
                             codes[c].source_code, period, o->value, ref);
          cr_expect_eq(o->status, GW_STATUS_UNSET);
        }
        checked++;
      }
    }
  }
  return checked;
}

static struct csv_fake_host *swing_host(void) {
  struct csv_fake_host *h = csv_fake_new();
  size_t i;
  cr_assert_not_null(h);
  cr_assert_eq(csv_fake_fixture(h, "swing_bulk.csv"), 0);
  csv_fake_param(h, "dataset", "swing_bulk");
  csv_fake_param(h, "area_column", "geoitem");
  csv_fake_param(h, "period_column", "period");
  csv_fake_param(h, "area_prefix", "GM");
  h->map_all = 0;
  for (i = 0; i < sizeof swing_codes / sizeof swing_codes[0]; i++)
    h->mapped[h->mapped_count++] = swing_codes[i].source_code;
  return h;
}

Test(csv_export_fixtures, swing_bulk_layout_matches_the_reference) {
  struct csv_fake_host *h = swing_host();
  const struct csv_fake_obs *o;
  gw_result rc = csv_fake_run(h);
  if (rc != GW_OK)
    csv_dump(h);
  cr_assert_eq(rc, GW_OK);
  cr_expect_eq(h->obs_count, 9 * 13, "9 rows x 13 variables");
  cr_expect_eq(h->total_rejects, 0);
  cr_expect_eq(
      check_against_reference(h, swing_codes, 13, "GM0384", NULL, NULL, 0), 26);
  o = csv_find(h, "bbv_bijstand_per_10000", "GM0363", "2020", NULL,
               GW_COMPONENT_VALUE);
  cr_assert_not_null(o, "363 becomes GM0363");
  cr_expect_float_eq(o->value, 702.5, 1e-9, "decimal comma");
  o = csv_find(h, "bbv_netto_arbeidsparticipatie", "GM0384", "2021", NULL,
               GW_COMPONENT_VALUE);
  cr_assert_not_null(o);
  cr_expect_eq(o->has_detail, 0, "an empty cell has no marker text");
  cr_expect_str_eq(o->dataset, "swing_bulk");
  cr_expect_eq(o->position, 5, "2021 row of 384 is line 5");
  cr_expect_geq(csv_log_find(h, GW_LOG_INFO, "columns skipped", "geolevel"), 0);
  cr_expect_geq(
      csv_log_find(h, GW_LOG_INFO, "header on line 1", "delimiter ';', UTF-8"),
      0);
  csv_fake_free(h);
}

static struct csv_fake_host *ggd_host(void) {
  struct csv_fake_host *h = csv_fake_new();
  cr_assert_not_null(h);
  cr_assert_eq(csv_fake_fixture(h, "ggd_monitor.csv"), 0);
  csv_fake_param(h, "dataset", "ggd_monitor");
  csv_fake_param(h, "layout", "long");
  csv_fake_param(h, "area_column", "Gemeente");
  csv_fake_param(h, "period_column", "Jaar");
  csv_fake_param(h, "code_column", "Indicator");
  csv_fake_param(h, "value_column", "Waarde");
  csv_fake_param(h, "lower_column", "Ondergrens");
  csv_fake_param(h, "upper_column", "Bovengrens");
  json_object_set_new(h->params, "breakdown_columns",
                      json_pack("{ss}", "age", "Leeftijd"));
  json_object_set_new(h->params, "area_map",
                      json_pack("{ssssss}", "Diemen", "GM0384", "Amsterdam",
                                "GM0363", "Ouder-Amstel", "GM0437"));
  return h;
}

Test(csv_export_fixtures, ggd_table_matches_the_reference) {
  static const char *const ages[] = {"0 jaar", "3 jaar", "5 jaar", "10 jaar"};
  struct csv_fake_host *h = ggd_host();
  const struct csv_fake_obs *o;
  gw_result rc = csv_fake_run(h);
  if (rc != GW_OK)
    csv_dump(h);
  cr_assert_eq(rc, GW_OK);
  cr_expect_eq(h->total_rejects, 0);
  cr_expect_eq(
      check_against_reference(h, ggd_codes, 4, "GM0384", "age", ages, 4), 8,
      "bereik_jgz: four ages, two years");
  cr_expect_eq(
      check_against_reference(h, ggd_codes + 1, 3, "GM0384", NULL, NULL, 0), 6);
  /* the bounds are separate rows with the same keys */
  o = csv_find(h, "jongeren_bewegen", "GM0384", "2020", NULL,
               GW_COMPONENT_CI_LOW);
  cr_assert_not_null(o);
  cr_expect_float_eq(o->value, 40.2, 1e-9);
  o = csv_find(h, "jongeren_bewegen", "GM0384", "2020", NULL,
               GW_COMPONENT_CI_HIGH);
  cr_assert_not_null(o);
  cr_expect_float_eq(o->value, 47.9, 1e-9);
  cr_expect_null(csv_find(h, "jongeren_bewegen", "GM0384", "2021", NULL,
                          GW_COMPONENT_CI_LOW),
                 "an empty bound is not emitted");
  cr_expect_null(csv_find(h, "bereik_jgz", "GM0384", "2020", "0 jaar",
                          GW_COMPONENT_CI_LOW));
  o = csv_find(h, "bereik_jgz", "GM0384", "2020", "5 jaar", GW_COMPONENT_VALUE);
  cr_assert_not_null(o);
  cr_expect_str_eq(o->bd_dim[0], "age");
  cr_expect_eq(o->position, 7, "three title rows, header on line 4");
  o = csv_find(h, "drugsgebruik", "GM0363", "2020", NULL, GW_COMPONENT_VALUE);
  cr_assert_not_null(o);
  cr_expect_eq(o->status, GW_STATUS_SUPPRESSED, "x is suppressed");
  cr_expect_str_eq(o->detail, "x");
  o = csv_find(h, "bereik_jgz", "GM0384", "2021", "10 jaar",
               GW_COMPONENT_VALUE);
  cr_assert_not_null(o);
  cr_expect_str_eq(o->detail, "-", "the marker is kept verbatim");
  cr_expect_geq(csv_log_find(h, GW_LOG_INFO,
                             "not valid UTF-8 (byte 0x96 on "
                             "line 1",
                             "windows-1252"),
                0);
  cr_expect_geq(
      csv_log_find(h, GW_LOG_INFO, "header on line 4", "windows-1252"), 0);
  cr_expect_eq(h->rewinds, 1, "read once to check the encoding, once to parse");
  csv_fake_free(h);
}

static struct csv_fake_host *local_host(void) {
  struct csv_fake_host *h = csv_fake_new();
  size_t i;
  cr_assert_not_null(h);
  cr_assert_eq(csv_fake_fixture(h, "diemen_lokaal.csv"), 0);
  csv_fake_param(h, "dataset", "diemen_lokaal");
  csv_fake_param(h, "area_column", "Gemeente");
  csv_fake_param(h, "period_column", "Jaar");
  csv_fake_param(h, "area_prefix", "GM");
  h->map_all = 0;
  for (i = 0; i < sizeof local_codes / sizeof local_codes[0]; i++)
    h->mapped[h->mapped_count++] = local_codes[i].source_code;
  return h;
}

Test(csv_export_fixtures, excel_sheet_matches_the_reference) {
  struct csv_fake_host *h = local_host();
  const struct csv_fake_obs *o;
  gw_result rc = csv_fake_run(h);
  if (rc != GW_OK)
    csv_dump(h);
  cr_assert_eq(rc, GW_OK);
  cr_expect_eq(h->obs_count, 3 * 10);
  cr_expect_eq(h->total_rejects, 0);
  cr_expect_eq(
      check_against_reference(h, local_codes, 10, "GM0384", NULL, NULL, 0), 20);
  o = csv_find(h, "doorlooptijd_wmo", "GM0384", "2022", NULL,
               GW_COMPONENT_VALUE);
  cr_assert_not_null(o);
  cr_expect_float_eq(o->value, 38.5, 1e-9);
  cr_expect_eq(o->position, 5, "title row, header on line 2, BOM and CRLF");
  o = csv_find(h, "stadspas", "GM0384", "2020", NULL, GW_COMPONENT_VALUE);
  cr_assert_not_null(o);
  cr_expect_str_eq(o->detail, "N.v.t.");
  cr_expect_geq(csv_log_find(h, GW_LOG_INFO, "columns skipped", "Toelichting"),
                0);
  csv_fake_free(h);
}

static struct csv_fake_host *cbs_host(void) {
  struct csv_fake_host *h = csv_fake_new();
  cr_assert_not_null(h);
  cr_assert_eq(csv_fake_fixture(h, "cbs_export.csv"), 0);
  csv_fake_param(h, "dataset", "cbs_export");
  csv_fake_param(h, "layout", "long");
  csv_fake_param(h, "area_column", "Regio");
  csv_fake_param(h, "period_column", "Perioden");
  csv_fake_param(h, "code_column", "Onderwerp");
  csv_fake_param(h, "value_column", "Waarde");
  json_object_set_new(h->params, "breakdown_columns",
                      json_pack("{ss}", "type", "Type"));
  return h;
}

Test(csv_export_fixtures, cbs_table_with_comma_delimiter_and_types) {
  static const char *const types[] = {"woningaanpassingen", "hulpmiddelen",
                                      "huishoudelijke hulp", "Wmo-begeleiding",
                                      "overig"};
  struct csv_fake_host *h = cbs_host();
  const struct csv_fake_obs *o;
  gw_result rc = csv_fake_run(h);
  if (rc != GW_OK)
    csv_dump(h);
  cr_assert_eq(rc, GW_OK);
  cr_expect_eq(h->obs_count, 3 + 15 + 1);
  cr_expect_eq(h->total_rejects, 0);
  cr_expect_eq(check_against_reference(h, cbs_codes, 1, "MRA", NULL, NULL, 0),
               2, "3.1.9 is the MRA aggregate");
  cr_expect_eq(
      check_against_reference(h, cbs_codes + 1, 1, "GM0384", "type", types, 5),
      10);
  o = csv_find(h, "huishoudens_bijstand_mra", "MRA", "2021JJ00", NULL,
               GW_COMPONENT_VALUE);
  cr_assert_not_null(o, "an empty Type cell adds no breakdown");
  cr_expect_float_eq(o->value, 5.9, 1e-9);
  cr_expect_geq(csv_log_find(h, GW_LOG_INFO, "delimiter ','", NULL), 0);
  csv_fake_free(h);
}

/* Every fixture gives the same observations whether the host hands over
 * one byte or a whole chunk per read: nothing depends on where a read
 * ends (a CRLF, a quote pair, a multi-byte character, the BOM). */
static void same_for_every_read_size(struct csv_fake_host *(*make)(void)) {
  static const size_t sizes[] = {1, 2, 3, 7, 64};
  struct csv_fake_host *h = make();
  struct csv_fake_obs *first;
  size_t n, s;
  cr_assert_eq(csv_fake_run(h), GW_OK);
  n = h->obs_count;
  first = malloc(n * sizeof *first);
  cr_assert_not_null(first);
  memcpy(first, h->obs, n * sizeof *first);
  for (s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    csv_fake_reset_results(h);
    h->read_chunk = sizes[s];
    cr_assert_eq(csv_fake_run(h), GW_OK, "read size %zu", sizes[s]);
    cr_assert_eq(h->obs_count, n, "read size %zu", sizes[s]);
    cr_expect_eq(memcmp(first, h->obs, n * sizeof *first), 0,
                 "observations differ with read size %zu", sizes[s]);
  }
  free(first);
  csv_fake_free(h);
}

Test(csv_export_fixtures, read_size_does_not_matter) {
  same_for_every_read_size(swing_host);
  same_for_every_read_size(ggd_host);
  same_for_every_read_size(local_host);
  same_for_every_read_size(cbs_host);
}
