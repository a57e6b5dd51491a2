/*
 * test_normaliser.c - raw rows to observations (normaliser.h), against a
 * small hand-written catalogue so every case is visible here.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "normaliser.h"
#include "test_support.h"

static const char catalogue_json[] =
    "{\"version\":1,\"indicators\":["
    "{\"id\":\"bijstand_per_10k\",\"code\":\"3.1.4\",\"title\":\"B\","
    "\"unit\":\"per_10000\",\"goal\":\"3\",\"mandatory\":true,"
    "\"likely_source\":\"cbs\",\"sources\":[{\"plugin\":\"cbs_odata\","
    "\"dataset\":\"90001NED\",\"code\":\"Bijstandsuitkeringen\"}]},"
    "{\"id\":\"genot_pct\",\"code\":\"5.3.1\",\"title\":\"G\","
    "\"unit\":\"percent\",\"goal\":\"5\",\"mandatory\":false,"
    "\"likely_source\":\"ggd\",\"breakdown_members\":["
    "{\"breakdown\":{\"substance\":\"roken\"},\"title\":\"R\"},"
    "{\"breakdown\":{\"substance\":\"alcohol\"},\"title\":\"A\"}],"
    "\"sources\":[{\"plugin\":\"cbs_odata\",\"dataset\":\"50120NED\","
    "\"code\":\"Roker\",\"breakdown\":{\"substance\":\"roken\"}}]},"
    "{\"id\":\"any_table_count\",\"code\":\"9.9\",\"title\":\"W\","
    "\"unit\":\"count\",\"goal\":\"9\",\"mandatory\":false,"
    "\"likely_source\":\"local\",\"sources\":[{\"plugin\":\"cbs_odata\","
    "\"dataset\":\"*\",\"code\":\"Anywhere\"}]}"
    "]}";

static const char *tmp_dir;
static struct gw_catalogue *cat;
static struct gw_normalise_context ctx;
static const char sha[] =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static void setup(void) {
  char err[512];
  tmp_dir = ts_mkdtemp();
  cr_assert_not_null(tmp_dir);
  cr_assert_eq(ts_write_file(ts_path(tmp_dir, "cat.json"), catalogue_json), 0);
  cr_assert_eq(
      catalogue_load(ts_path(tmp_dir, "cat.json"), &cat, err, sizeof err), 0,
      "%s", err);
  ctx = (struct gw_normalise_context){.catalogue = cat,
                                      .source_id = "cbs-sociaal",
                                      .plugin = "cbs_odata",
                                      .fetched_at = "2024-01-02T03:04:05Z",
                                      .payload_sha256 = sha,
                                      .span_id = "00f067aa0ba902b7",
                                      .reject_opaque_periods = 0};
}

static void teardown(void) {
  catalogue_free(cat);
  ts_rm_rf(tmp_dir);
}

TestSuite(normaliser, .init = setup, .fini = teardown);

static struct gw_raw_observation base_row(void) {
  struct gw_raw_observation raw;
  memset(&raw, 0, sizeof raw);
  raw.size = sizeof raw;
  raw.dataset = "90001NED";
  raw.source_code = "Bijstandsuitkeringen";
  raw.area = "GM0384    ";
  raw.period = "2022JJ00";
  raw.has_value = 1;
  raw.value = 410.0;
  raw.status = GW_STATUS_UNSET;
  return raw;
}

static gw_normalise_result run(const struct gw_raw_observation *raw,
                               struct gw_observation *out, char *reason,
                               size_t reason_size) {
  memset(out, 0x5a, sizeof *out); /* garbage: normalise must overwrite */
  return normalise(&ctx, raw, out, reason, reason_size);
}

/* Expects a rejection whose reason contains all the given substrings. */
static void expect_rejected(const struct gw_raw_observation *raw, const char *a,
                            const char *b) {
  struct gw_observation out;
  char reason[512];
  cr_assert_eq(run(raw, &out, reason, sizeof reason), GW_NORMALISE_REJECTED,
               "accepted; expected \"%s\"", a);
  cr_expect_not_null(strstr(reason, a), "reason \"%s\" lacks \"%s\"", reason,
                     a);
  if (b)
    cr_expect_not_null(strstr(reason, b), "reason \"%s\" lacks \"%s\"", reason,
                       b);
  cr_expect_null(strchr(reason, '\n'), "reason is not one line: %s", reason);
  cr_expect_str_eq(out.indicator, "", "rejected observation left filled");
}

Test(normaliser, mapped_row_fills_every_field) {
  struct gw_raw_observation raw = base_row();
  struct gw_observation out;
  char reason[256];
  cr_assert_eq(run(&raw, &out, reason, sizeof reason), GW_NORMALISE_OK, "%s",
               reason);
  cr_expect_str_eq(out.indicator, "bijstand_per_10k");
  cr_expect_str_eq(out.area, "GM0384");
  cr_expect_eq(out.area_level, GW_AREA_MUNICIPALITY);
  cr_expect_str_eq(out.period, "2022");
  cr_expect_str_eq(out.breakdown, "{}");
  cr_expect_eq(out.component, GW_COMPONENT_VALUE);
  cr_expect_eq(out.has_value, 1);
  cr_expect_eq(out.value, 410.0);
  cr_expect_str_eq(out.unit, "per_10000");
  cr_expect_eq(out.status, GW_STATUS_FINAL);
  cr_expect_eq(out.has_ci_low, 0);
  cr_expect_eq(out.has_ci_high, 0);
  cr_expect_str_eq(out.source_id, "cbs-sociaal");
  cr_expect_str_eq(out.plugin, "cbs_odata");
  cr_expect_str_eq(out.dataset, "90001NED");
  cr_expect_str_eq(out.source_code, "Bijstandsuitkeringen");
  cr_expect_str_eq(out.fetched_at, "2024-01-02T03:04:05Z");
  cr_expect_str_eq(out.payload_sha256, sha);
  cr_expect_str_eq(out.span_id, "00f067aa0ba902b7");
  cr_expect_eq(out.revision, 0);
}

Test(normaliser, unmapped_code_is_skipped_not_rejected) {
  struct gw_raw_observation raw = base_row();
  struct gw_observation out;
  char reason[256];
  raw.source_code = "Bevolking";
  cr_expect_eq(run(&raw, &out, reason, sizeof reason), GW_NORMALISE_UNMAPPED);
  raw.source_code = "Bijstandsuitkeringen";
  raw.dataset = "90002NED"; /* mapped in another table only */
  cr_expect_eq(run(&raw, &out, reason, sizeof reason), GW_NORMALISE_UNMAPPED);
  ctx.plugin = "other_plugin";
  raw.dataset = "90001NED";
  cr_expect_eq(run(&raw, &out, reason, sizeof reason), GW_NORMALISE_UNMAPPED);
}

Test(normaliser, wildcard_dataset_mapping) {
  struct gw_raw_observation raw = base_row();
  struct gw_observation out;
  char reason[256];
  raw.dataset = "83765NED";
  raw.source_code = "Anywhere";
  cr_assert_eq(run(&raw, &out, reason, sizeof reason), GW_NORMALISE_OK, "%s",
               reason);
  cr_expect_str_eq(out.indicator, "any_table_count");
  cr_expect_str_eq(out.unit, "count");
}

Test(normaliser, explicit_indicator) {
  struct gw_raw_observation raw = base_row();
  struct gw_observation out;
  char reason[256];
  raw.source_code = "NotInCatalogue";
  raw.indicator = "bijstand_per_10k";
  cr_assert_eq(run(&raw, &out, reason, sizeof reason), GW_NORMALISE_OK, "%s",
               reason);
  cr_expect_str_eq(out.indicator, "bijstand_per_10k");
  cr_expect_str_eq(out.source_code, "NotInCatalogue");

  raw.indicator = "no_such_id";
  expect_rejected(&raw, "indicator", "no_such_id");

  /* plugin and catalogue disagree about what the figure is */
  raw.indicator = "genot_pct";
  raw.source_code = "Bijstandsuitkeringen";
  expect_rejected(&raw, "indicator", "bijstand_per_10k");

  /* explicit id and the mapping agree: the fixed member is still added */
  raw.indicator = "genot_pct";
  raw.dataset = "50120NED";
  raw.source_code = "Roker";
  cr_assert_eq(run(&raw, &out, reason, sizeof reason), GW_NORMALISE_OK, "%s",
               reason);
  cr_expect_str_eq(out.breakdown, "{\"substance\":\"roken\"}");
}

Test(normaliser, no_code_and_no_indicator_is_rejected) {
  struct gw_raw_observation raw = base_row();
  raw.source_code = NULL;
  expect_rejected(&raw, "source_code", "missing");
  raw.source_code = "";
  expect_rejected(&raw, "source_code", "missing");
}

Test(normaliser, areas) {
  struct gw_raw_observation raw = base_row();
  struct gw_observation out;
  char reason[256];
  static const struct {
    const char *raw, *area;
    gw_area_level level;
  } ok[] = {{"NL01", "NL01", GW_AREA_COUNTRY},
            {"MRA", "MRA", GW_AREA_REGION},
            {"GG3406", "GG3406", GW_AREA_REGION},
            {"WK038401  ", "WK038401", GW_AREA_DISTRICT},
            {"BU03840100", "BU03840100", GW_AREA_NEIGHBOURHOOD}};
  size_t i;
  for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    raw.area = ok[i].raw;
    cr_assert_eq(run(&raw, &out, reason, sizeof reason), GW_NORMALISE_OK, "%s",
                 reason);
    cr_expect_str_eq(out.area, ok[i].area);
    cr_expect_eq(out.area_level, ok[i].level);
  }
  raw.area = "Diemen";
  expect_rejected(&raw, "area: unknown area code \"Diemen\"", NULL);
  raw.area = "GM038";
  expect_rejected(&raw, "area: unknown area code \"GM038\"", NULL);
  raw.area = "   ";
  expect_rejected(&raw, "area: unknown area code", NULL);
  raw.area = NULL;
  expect_rejected(&raw, "area: missing", NULL);
  raw.area = "GM0384GM0384GM0384GM0384GM0384";
  expect_rejected(&raw, "field area too long", "at most 23");
}

Test(normaliser, periods) {
  struct gw_raw_observation raw = base_row();
  struct gw_observation out;
  char reason[256];
  raw.period = "2022KW03";
  cr_assert_eq(run(&raw, &out, reason, sizeof reason), GW_NORMALISE_OK);
  cr_expect_str_eq(out.period, "2022-Q3");
  raw.period = " 2022MM11 ";
  cr_assert_eq(run(&raw, &out, reason, sizeof reason), GW_NORMALISE_OK);
  cr_expect_str_eq(out.period, "2022-11");
  /* opaque codes are kept verbatim ... */
  raw.period = "2017G400";
  cr_assert_eq(run(&raw, &out, reason, sizeof reason), GW_NORMALISE_OK);
  cr_expect_str_eq(out.period, "2017G400");
  /* ... unless the source is configured to refuse them */
  ctx.reject_opaque_periods = 1;
  expect_rejected(&raw, "period: unrecognised period code \"2017G400\"", NULL);
  raw.period = "2022KW05";
  expect_rejected(&raw, "period", "2022KW05");
  ctx.reject_opaque_periods = 0;
  raw.period = "";
  expect_rejected(&raw, "period", "empty");
  raw.period = "2022\x01";
  expect_rejected(&raw, "period", "\\x01");
  raw.period = NULL;
  expect_rejected(&raw, "period: missing", NULL);
  raw.period = "20222022202220222022202220222022";
  expect_rejected(&raw, "field period too long", "at most 31");
}

Test(normaliser, breakdown_sorted_and_merged_with_mapping) {
  struct gw_raw_observation raw = base_row();
  struct gw_observation out;
  char reason[256];
  struct gw_breakdown_item items[] = {{"sex", "vrouw"}, {"age", "18+"}};
  raw.dataset = "50120NED";
  raw.source_code = "Roker";
  raw.breakdown = items;
  raw.breakdown_count = 2;
  cr_assert_eq(run(&raw, &out, reason, sizeof reason), GW_NORMALISE_OK, "%s",
               reason);
  cr_expect_str_eq(out.indicator, "genot_pct");
  cr_expect_str_eq(out.breakdown,
                   "{\"age\":\"18+\",\"sex\":\"vrouw\",\"substance\":"
                   "\"roken\"}");
  cr_expect_str_eq(out.unit, "percent");
}

Test(normaliser, breakdown_duplicates_and_bad_items) {
  struct gw_raw_observation raw = base_row();
  struct gw_breakdown_item dup[] = {{"age", "18+"}, {"age", "65+"}};
  struct gw_breakdown_item clash[] = {{"substance", "alcohol"}};
  struct gw_breakdown_item empty_dim[] = {{"", "x"}};
  struct gw_breakdown_item null_member[] = {{"age", NULL}};
  struct gw_breakdown_item bad_utf8[] = {{"age", "18\xff"}};
  raw.breakdown = dup;
  raw.breakdown_count = 2;
  expect_rejected(&raw, "breakdown: dimension \"age\" given twice", "65+");
  /* a plugin member clashing with the mapping's fixed member */
  raw.dataset = "50120NED";
  raw.source_code = "Roker";
  raw.breakdown = clash;
  raw.breakdown_count = 1;
  expect_rejected(&raw, "substance", "twice");
  raw = base_row();
  raw.breakdown = empty_dim;
  raw.breakdown_count = 1;
  expect_rejected(&raw, "breakdown", "dimension name");
  raw.breakdown = null_member;
  expect_rejected(&raw, "breakdown: member of dimension \"age\"", "empty");
  raw.breakdown = bad_utf8;
  expect_rejected(&raw, "breakdown", "UTF-8");
  raw.breakdown = NULL;
  raw.breakdown_count = 3;
  expect_rejected(&raw, "breakdown", "no array");
}

Test(normaliser, breakdown_canonical_escaping) {
  struct gw_breakdown_item items[] = {
      {"z", "a\"b\\c"},
      {"b", "tab\there\nnl\x01"},
      {"a", "caf\xc3\xa9 /"},
  };
  char out[GW_BREAKDOWN_MAX], reason[256];
  cr_assert_eq(breakdown_canonical(items, 3, NULL, 0, out, sizeof out, reason,
                                   sizeof reason),
               0, "%s", reason);
  cr_expect_str_eq(out, "{\"a\":\"caf\xc3\xa9 /\",\"b\":\"tab\\there\\nnl"
                        "\\u0001\",\"z\":\"a\\\"b\\\\c\"}");
  cr_assert_eq(breakdown_canonical(NULL, 0, NULL, 0, out, sizeof out, reason,
                                   sizeof reason),
               0);
  cr_expect_str_eq(out, "{}");
  /* byte order, not locale order: upper case sorts first */
  {
    struct gw_breakdown_item mixed[] = {{"b", "1"}, {"B", "2"}, {"a", "3"}};
    cr_assert_eq(breakdown_canonical(mixed, 3, NULL, 0, out, sizeof out, reason,
                                     sizeof reason),
                 0);
    cr_expect_str_eq(out, "{\"B\":\"2\",\"a\":\"3\",\"b\":\"1\"}");
  }
}

Test(normaliser, breakdown_too_long_or_too_many) {
  struct gw_raw_observation raw = base_row();
  char member[200];
  struct gw_breakdown_item items[2] = {{"a", member}, {"b", member}};
  struct gw_breakdown_item many[17];
  char out[16], reason[256];
  size_t i;
  memset(member, 'm', sizeof member - 1);
  member[sizeof member - 1] = '\0';
  raw.breakdown = items;
  raw.breakdown_count = 2;
  expect_rejected(&raw, "field breakdown too long", NULL);
  for (i = 0; i < 17; i++) {
    many[i].dimension = "d";
    many[i].member = "m";
  }
  raw.breakdown = many;
  raw.breakdown_count = 17;
  expect_rejected(&raw, "breakdown: 17 dimensions", "at most 16");
  /* a small buffer: refused, never cut */
  cr_expect_eq(breakdown_canonical(items, 1, NULL, 0, out, sizeof out, reason,
                                   sizeof reason),
               -1);
  cr_expect_str_eq(out, "");
}

struct status_case {
  gw_status in;
  int has_value;
  gw_status out;
  int keeps_value;
};

Test(normaliser, status_rules) {
  static const struct status_case cases[] = {
      {GW_STATUS_UNSET, 1, GW_STATUS_FINAL, 1},
      {GW_STATUS_UNSET, 0, GW_STATUS_MISSING, 0},
      {GW_STATUS_FINAL, 1, GW_STATUS_FINAL, 1},
      {GW_STATUS_PROVISIONAL, 1, GW_STATUS_PROVISIONAL, 1},
      {GW_STATUS_REVISED, 1, GW_STATUS_REVISED, 1},
      {GW_STATUS_FINAL, 0, GW_STATUS_MISSING, 0},
      {GW_STATUS_PROVISIONAL, 0, GW_STATUS_MISSING, 0},
      {GW_STATUS_REVISED, 0, GW_STATUS_MISSING, 0},
      {GW_STATUS_MISSING, 0, GW_STATUS_MISSING, 0},
      {GW_STATUS_NOT_YET_KNOWN, 0, GW_STATUS_NOT_YET_KNOWN, 0},
      {GW_STATUS_NOT_APPLICABLE, 0, GW_STATUS_NOT_APPLICABLE, 0},
      {GW_STATUS_SUPPRESSED, 0, GW_STATUS_SUPPRESSED, 0},
      {GW_STATUS_IMPOSSIBLE, 0, GW_STATUS_IMPOSSIBLE, 0},
      /* a figure next to a status that says there is none is dropped */
      {GW_STATUS_SUPPRESSED, 1, GW_STATUS_SUPPRESSED, 0},
      {GW_STATUS_MISSING, 1, GW_STATUS_MISSING, 0},
      {GW_STATUS_NOT_YET_KNOWN, 1, GW_STATUS_NOT_YET_KNOWN, 0},
      {GW_STATUS_NOT_APPLICABLE, 1, GW_STATUS_NOT_APPLICABLE, 0},
      {GW_STATUS_IMPOSSIBLE, 1, GW_STATUS_IMPOSSIBLE, 0},
  };
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct gw_raw_observation raw = base_row();
    struct gw_observation out;
    char reason[256];
    raw.status = cases[i].in;
    raw.has_value = cases[i].has_value;
    raw.value = 7.5;
    cr_assert_eq(run(&raw, &out, reason, sizeof reason), GW_NORMALISE_OK,
                 "case %zu: %s", i, reason);
    cr_expect_eq(out.status, cases[i].out, "case %zu: status %d", i,
                 out.status);
    cr_expect_eq(out.has_value, cases[i].keeps_value, "case %zu", i);
    cr_expect_eq(out.value, cases[i].keeps_value ? 7.5 : 0.0, "case %zu", i);
  }
}

Test(normaliser, bad_values_status_component) {
  struct gw_raw_observation raw = base_row();
  struct gw_observation out;
  char reason[256];
  raw.value = NAN;
  expect_rejected(&raw, "value", "NaN");
  raw.value = INFINITY;
  expect_rejected(&raw, "value", "infinity");
  raw.value = -INFINITY;
  expect_rejected(&raw, "value", "finite");
  /* NaN in a suppressed cell is dropped with the value, not published */
  raw.value = NAN;
  raw.status = GW_STATUS_SUPPRESSED;
  cr_expect_eq(run(&raw, &out, reason, sizeof reason), GW_NORMALISE_OK);
  cr_expect_eq(out.has_value, 0);
  raw = base_row();
  raw.status = (gw_status)42;
  expect_rejected(&raw, "status: unknown status code 42", NULL);
  raw = base_row();
  raw.component = (gw_component)7;
  expect_rejected(&raw, "component: unknown component 7", NULL);
  raw = base_row();
  raw.component = GW_COMPONENT_CI_HIGH;
  raw.value = 12.5;
  cr_assert_eq(run(&raw, &out, reason, sizeof reason), GW_NORMALISE_OK);
  cr_expect_eq(out.component, GW_COMPONENT_CI_HIGH);
  cr_expect_eq(out.value, 12.5);
}

Test(normaliser, units) {
  struct gw_raw_observation raw = base_row();
  struct gw_observation out;
  char reason[256];
  raw.unit = "per_1000";
  cr_assert_eq(run(&raw, &out, reason, sizeof reason), GW_NORMALISE_OK);
  cr_expect_str_eq(out.unit, "per_1000");
  raw.unit = "";
  cr_assert_eq(run(&raw, &out, reason, sizeof reason), GW_NORMALISE_OK);
  cr_expect_str_eq(out.unit, "per_10000");
  raw.unit = "%";
  expect_rejected(&raw, "unit: unknown unit \"%\"", "per_10000");
  cr_expect(unit_is_known("count"));
  cr_expect(unit_is_known("percent"));
  cr_expect(unit_is_known("per_1000"));
  cr_expect(unit_is_known("per_10000"));
  cr_expect(unit_is_known("days"));
  cr_expect(unit_is_known("euro"));
  cr_expect(unit_is_known("per_week"));
  cr_expect_not(unit_is_known("Percent"));
  cr_expect_not(unit_is_known(""));
  cr_expect_not(unit_is_known(NULL));
}

Test(normaliser, too_long_provenance_fields) {
  struct gw_raw_observation raw = base_row();
  char long_text[300];
  memset(long_text, 'd', sizeof long_text - 1);
  long_text[sizeof long_text - 1] = '\0';
  raw.indicator = "bijstand_per_10k"; /* so the code need not be mapped */
  raw.dataset = long_text;
  expect_rejected(&raw, "field dataset too long", "at most 63");
  raw = base_row();
  raw.indicator = "bijstand_per_10k";
  raw.source_code = long_text;
  expect_rejected(&raw, "field source_code too long", "at most 127");
  raw = base_row();
  ctx.source_id = long_text;
  expect_rejected(&raw, "field source_id too long", "...");
  ctx.source_id = "ok";
  ctx.fetched_at = long_text;
  expect_rejected(&raw, "field fetched_at too long", NULL);
  ctx.fetched_at = "";
  ctx.span_id = "00f067aa0ba902b7ff";
  expect_rejected(&raw, "field span_id too long", NULL);
  ctx.span_id = NULL; /* absent provenance is empty, not an error */
  {
    struct gw_observation out;
    char reason[256];
    cr_assert_eq(run(&raw, &out, reason, sizeof reason), GW_NORMALISE_OK, "%s",
                 reason);
    cr_expect_str_eq(out.span_id, "");
  }
}

Test(normaliser, reasons_quote_safely_and_fit) {
  struct gw_raw_observation raw = base_row();
  struct gw_observation out;
  char reason[40];
  char big[500];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  raw.area = "ab\"c\\d\x1b";
  expect_rejected(&raw, "\"ab\\\"c\\\\d\\x1B\"", NULL);
  /* a small reason buffer is cut, still terminated */
  raw.area = big;
  cr_expect_eq(run(&raw, &out, reason, sizeof reason), GW_NORMALISE_REJECTED);
  cr_expect_eq(strlen(reason), sizeof reason - 1);
  /* NULL reason buffer is allowed */
  cr_expect_eq(run(&raw, &out, NULL, 0), GW_NORMALISE_REJECTED);
  /* a multi-byte character is never split when quoting */
  {
    char accents[200] = "";
    char full[512];
    size_t i;
    for (i = 0; i < 60; i++)
      memcpy(accents + 2 * i, "\xc3\xa9", 3);
    raw.area = accents;
    cr_assert_eq(run(&raw, &out, full, sizeof full), GW_NORMALISE_REJECTED);
    cr_expect_not_null(strstr(full, "\xc3\xa9..."), "%s", full);
  }
}

Test(normaliser, struct_size_and_null_arguments) {
  struct gw_raw_observation raw = base_row();
  struct gw_observation out;
  char reason[256];
  raw.size = 0;
  expect_rejected(&raw, "struct size 0", NULL);
  raw = base_row();
  cr_expect_eq(normalise(NULL, &raw, &out, reason, sizeof reason),
               GW_NORMALISE_REJECTED);
  cr_expect_eq(normalise(&ctx, NULL, &out, reason, sizeof reason),
               GW_NORMALISE_REJECTED);
  cr_expect_eq(normalise(&ctx, &raw, NULL, reason, sizeof reason),
               GW_NORMALISE_REJECTED);
  ctx.catalogue = NULL;
  cr_expect_eq(normalise(&ctx, &raw, &out, reason, sizeof reason),
               GW_NORMALISE_REJECTED);
  cr_expect_not_null(strstr(reason, "internal"));
}
