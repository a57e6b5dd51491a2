/*
 * test_monitor.c - the monitor report (monitor.h) on a temporary store and
 * targets file: cell markers, decimal comma, source choice, member and
 * area matching, and every renderer (text, JSON parsed back with jansson,
 * CSV shape, HTML escaping and self-containedness).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "gw_alloc.h"
#include "monitor.h"
#include "store.h"
#include "targets.h"
#include "text.h"
#include "test_support.h"

static const char *dir;
static struct gw_catalogue *cat;
static struct gw_store *store;
static struct gw_targets *targets;

/* ---- fixtures ---------------------------------------------------------- */

struct obs_spec {
  const char *source_id, *plugin, *dataset, *code, *fetched_at;
  const char *indicator, *area, *period, *breakdown;
  gw_status status;
  int has_value;
  double value;
};

static struct gw_observation make_obs(const struct obs_spec *s) {
  struct gw_observation o;
  memset(&o, 0, sizeof o);
  cr_assert_eq(text_copy(o.indicator, sizeof o.indicator, s->indicator), 0);
  cr_assert_eq(text_copy(o.area, sizeof o.area, s->area), 0);
  o.area_level =
      strncmp(s->area, "GM", 2) == 0 ? GW_AREA_MUNICIPALITY : GW_AREA_REGION;
  cr_assert_eq(text_copy(o.period, sizeof o.period, s->period), 0);
  cr_assert_eq(text_copy(o.breakdown, sizeof o.breakdown,
                         s->breakdown ? s->breakdown : "{}"),
               0);
  o.component = GW_COMPONENT_VALUE;
  o.has_value = s->has_value;
  o.value = s->value;
  o.status = s->status;
  cr_assert_eq(text_copy(o.unit, sizeof o.unit, "percent"), 0);
  cr_assert_eq(text_copy(o.source_id, sizeof o.source_id, s->source_id), 0);
  cr_assert_eq(text_copy(o.plugin, sizeof o.plugin, s->plugin), 0);
  cr_assert_eq(text_copy(o.dataset, sizeof o.dataset, s->dataset), 0);
  cr_assert_eq(text_copy(o.source_code, sizeof o.source_code, s->code), 0);
  cr_assert_eq(text_copy(o.fetched_at, sizeof o.fetched_at, s->fetched_at), 0);
  cr_assert_eq(text_copy(o.payload_sha256, sizeof o.payload_sha256,
                         "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12"
                         "ab12ab12ab12"),
               0);
  cr_assert_eq(text_copy(o.span_id, sizeof o.span_id, "00f067aa0ba902b7"), 0);
  return o;
}

#define CBS "cbs_odata", "90001NED"
#define T1 "2024-03-01T10:00:00Z"
#define T2 "2024-05-01T10:00:00Z"
#define FINAL GW_STATUS_FINAL

/* One source per block: a run belongs to one source. */
static const struct obs_spec cbs_rows[] = {
    {"cbs", CBS, "Bijstandsuitkeringen", T2, "bijstand_per_10k", "GM0384",
     "2020", NULL, FINAL, 1, 409.5},
    {"cbs", CBS, "Bijstandsuitkeringen", T2, "bijstand_per_10k", "GM0384",
     "2021", NULL, GW_STATUS_PROVISIONAL, 1, 411},
    {"cbs", CBS, "NettoArbeidsparticipatie", T2, "netto_participatie_pct",
     "GM0384", "2020", NULL, FINAL, 1, 68.6},
    {"cbs", CBS, "NettoArbeidsparticipatie", T2, "netto_participatie_pct",
     "GM0384", "2021", NULL, GW_STATUS_MISSING, 0, 0},
    {"cbs", CBS, "ReIntegratievoorzieningen", T2, "reintegratie_per_10k",
     "GM0384", "2020", NULL, GW_STATUS_NOT_YET_KNOWN, 0, 0},
    {"cbs", CBS, "WmoClienten", T2, "wmo_clienten_per_10k", "GM0384", "2020",
     NULL, GW_STATUS_SUPPRESSED, 0, 0},
    {"cbs", CBS, "BanenPer1000Inwoners", T1, "banen_per_1000", "GM0384", "2020",
     NULL, FINAL, 1, 900},
    /* another municipality and a quarter: not in the report */
    {"cbs", CBS, "Bijstandsuitkeringen", T2, "bijstand_per_10k", "GM0363",
     "2020", NULL, FINAL, 1, 777},
    {"cbs", CBS, "Bijstandsuitkeringen", T2, "bijstand_per_10k", "GM0384",
     "2022-Q1", NULL, FINAL, 1, 555},
};

static const struct obs_spec cbs2_rows[] = {
    /* a second StatLine source for 3.1.1, fetched later: most recent wins
     * (neither is the preferred swing_ods) */
    {"cbs-copy", CBS, "BanenPer1000Inwoners", T2, "banen_per_1000", "GM0384",
     "2020", NULL, FINAL, 1, 917},
};

static const struct obs_spec swing_rows[] = {
    /* older than the cbs figure, but swing_ods is 3.1.4's preferred plugin */
    {"swing", "swing_ods", "wsjg", "bbv_bijstand_per_10000", T1,
     "bijstand_per_10k", "GM0384", "2020", NULL, FINAL, 1, 410},
    {"swing", "swing_ods", "wsjg", "bbv_jongeren_delict", T1,
     "jongeren_delict_pct", "GM0384", "2020", NULL, GW_STATUS_NOT_APPLICABLE, 0,
     0},
};

static const struct obs_spec rivm_rows[] = {
    {"rivm", "cbs_odata", "50120NED", "Eenzaam", T1, "eenzaamheid_pct",
     "GM0384", "2020", "{\"age\":\"18 jaar of ouder\"}", FINAL, 1, 46},
    {"rivm", "cbs_odata", "50120NED", "Eenzaam", T1, "eenzaamheid_pct",
     "GM0384", "2020", "{\"age\":\"65 jaar of ouder\"}", FINAL, 1, 39.2},
    {"rivm", "cbs_odata", "50120NED", "Roker", T1, "genotsmiddelengebruik_pct",
     "GM0384", "2020", "{\"age\":\"18 jaar of ouder\",\"substance\":\"roken\"}",
     FINAL, 1, 19},
};

static const struct obs_spec csv_rows[] = {
    {"cbs-csv", "csv_export", "cbs_export", "huishoudens_bijstand_mra", T1,
     "huishoudens_bijstand_mra_pct", "MRA", "2021", NULL, FINAL, 1, 5.9},
    {"cbs-csv", "csv_export", "cbs_export", "huishoudens_bijstand_mra", T1,
     "huishoudens_bijstand_mra_pct", "GM0384", "2021", NULL, FINAL, 1, 1.5},
    {"cbs-csv", "csv_export", "ggd_monitor", "bereik_jgz", T1,
     "bereik_jeugdgezondheidszorg_pct", "GM0384", "2020",
     "{\"age\":\"3 jaar\"}", FINAL, 1, 88},
};

static void load_source(const char *source, const struct obs_spec *rows,
                        size_t n) {
  struct gw_store_run *run = NULL;
  struct gw_run_counts counts;
  char err[GW_ERR_MAX] = "";
  size_t i;
  cr_assert_eq(store_run_begin(store, source, source, &run, err, sizeof err), 0,
               "%s", err);
  for (i = 0; i < n; i++) {
    struct gw_observation o = make_obs(&rows[i]);
    cr_assert_eq(store_run_stage(run, &o, err, sizeof err), 0, "%s", err);
  }
  cr_assert_eq(
      store_run_commit(run, "2024-06-01T00:00:00Z", &counts, err, sizeof err),
      0, "%s", err);
}

#define LOAD(name, rows) load_source(name, rows, sizeof rows / sizeof rows[0])

static const char targets_json[] =
    "{\"municipality\":\"GM0384\",\"targets\":[\n"
    " {\"indicator\":\"bijstand_per_10k\",\"year\":\"2022\",\"value\":400},\n"
    " {\"indicator\":\"bijstand_per_10k\",\"year\":\"2023\",\"marker\":\"NB\","
    "\"note\":\"<script>alert('x')</script> & \\\"co\\\"\"},\n"
    " {\"indicator\":\"netto_participatie_pct\",\"year\":\"2022\","
    "\"value\":68.25},\n"
    " {\"indicator\":\"genotsmiddelengebruik_pct\",\"breakdown\":"
    "{\"substance\":\"drugs\"},\"year\":\"2023\",\"value\":40}\n"
    "],\"werkelijk\":[\n"
    " {\"indicator\":\"stadspas_houders\",\"year\":\"2020\",\"marker\":"
    "\"N.v.t.\",\"reason\":\"sinds 2022\"},\n"
    " {\"indicator\":\"netto_participatie_pct\",\"year\":\"2020\",\"marker\":"
    "\"N.v.t.\"}\n"
    "]}\n";

static void setup(void) {
  char err[GW_ERR_MAX];
  const char *tpath;
  dir = ts_mkdtemp();
  cr_assert_eq(
      catalogue_load(ts_path(ts_source_dir(), "schemas/indicators.json"), &cat,
                     err, sizeof err),
      0, "%s", err);
  cr_assert_eq(store_open(ts_path(dir, "gw.db"), &store, err, sizeof err), 0,
               "%s", err);
  tpath = ts_path(dir, "targets.json");
  cr_assert_eq(ts_write_file(tpath, targets_json), 0);
  cr_assert_eq(targets_load(tpath, cat, &targets, err, sizeof err), 0, "%s",
               err);
  LOAD("cbs", cbs_rows);
  LOAD("cbs-copy", cbs2_rows);
  LOAD("swing", swing_rows);
  LOAD("rivm", rivm_rows);
  LOAD("cbs-csv", csv_rows);
}

static void teardown(void) {
  targets_free(targets);
  store_close(store);
  catalogue_free(cat);
  ts_rm_rf(dir);
}

TestSuite(monitor, .init = setup, .fini = teardown, .timeout = 60);

static const char *const years[] = {"2021", "2020", "2022", "2023"};

static struct gw_monitor_report *build(void) {
  struct gw_monitor_report *r = NULL;
  struct gw_monitor_options opt = {"GM0384", years, 4, "2024-06-02T08:00:00Z"};
  char err[GW_ERR_MAX];
  cr_assert_eq(monitor_build(store, cat, targets, &opt, &r, err, sizeof err), 0,
               "%s", err);
  cr_assert_not_null(r);
  return r;
}

static const struct gw_monitor_row *row_of(const struct gw_monitor_report *r,
                                           const char *id, const char *dim,
                                           const char *member) {
  size_t i;
  for (i = 0; i < r->row_count; i++) {
    const struct gw_monitor_row *row = &r->rows[i];
    if (strcmp(row->indicator->id, id) != 0)
      continue;
    if (!dim)
      return row;
    if (row->member && strcmp(row->member->items[0].dimension, dim) == 0 &&
        strcmp(row->member->items[0].member, member) == 0)
      return row;
  }
  cr_assert_fail("no row %s %s", id, member ? member : "");
  return NULL;
}

/* years are sorted: 2020=0, 2021=1, 2022=2, 2023=3 */
enum { Y2020, Y2021, Y2022, Y2023 };

static char *render(const struct gw_monitor_report *r, gw_monitor_format f) {
  const char *path = ts_path(dir, "out");
  FILE *out = fopen(path, "wb");
  char err[256];
  char *text;
  cr_assert_not_null(out);
  cr_assert_eq(monitor_write(r, f, out, err, sizeof err), 0, "%s", err);
  cr_assert_eq(fclose(out), 0);
  text = ts_read_file(path, NULL);
  cr_assert_not_null(text);
  return text;
}

/* ---- the model ---------------------------------------------------------- */

Test(monitor, number_notation) {
  char buf[64];
  static const struct {
    double v;
    const char *want;
  } cases[] = {
      {68.6, "68,6"},   {917, "917"},          {0.5, "0,5"},
      {10.81, "10,81"}, {-0.0, "0"},           {1e-9, "0"},
      {-2.25, "-2,25"}, {2300, "2300"},        {1234567.125, "1234567,125"},
      {3.2, "3,2"},     {0.000001, "0,000001"}};
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cr_assert_eq(monitor_format_number(cases[i].v, buf, sizeof buf), 0);
    cr_expect_str_eq(buf, cases[i].want, "%g", cases[i].v);
  }
  cr_expect_eq(monitor_format_number(NAN, buf, sizeof buf), -1);
  cr_expect_eq(monitor_format_number(INFINITY, buf, sizeof buf), -1);
  cr_expect_eq(monitor_format_number(68.6, buf, 3), -1);
}

Test(monitor, markers_as_the_municipality_writes_them) {
  struct gw_monitor_report *r = build();
  cr_expect_str_eq(
      row_of(r, "netto_participatie_pct", 0, 0)->werkelijk[Y2020].display,
      "68,6", "a value wins over a declared N.v.t.");
  cr_expect_str_eq(
      row_of(r, "netto_participatie_pct", 0, 0)->werkelijk[Y2021].display,
      "NB");
  cr_expect_str_eq(
      row_of(r, "reintegratie_per_10k", 0, 0)->werkelijk[Y2020].display,
      "n.n.b.");
  cr_expect_str_eq(
      row_of(r, "wmo_clienten_per_10k", 0, 0)->werkelijk[Y2020].display, "x");
  cr_expect_str_eq(
      row_of(r, "jongeren_delict_pct", 0, 0)->werkelijk[Y2020].display,
      "N.v.t.");
  /* nothing delivered: not yet known */
  cr_expect_str_eq(row_of(r, "woonurgenties", 0, 0)->werkelijk[Y2021].display,
                   "n.n.b.");
  cr_expect_eq(row_of(r, "woonurgenties", 0, 0)->werkelijk[Y2021].kind,
               GW_CELL_NONE);
  {
    const struct gw_monitor_cell *c =
        &row_of(r, "stadspas_houders", 0, 0)->werkelijk[Y2020];
    cr_expect_eq(c->kind, GW_CELL_DECLARED);
    cr_expect_str_eq(c->display, "N.v.t.");
    cr_expect_str_eq(c->note, "sinds 2022");
  }
  /* begroot */
  {
    const struct gw_monitor_row *b = row_of(r, "bijstand_per_10k", 0, 0);
    cr_expect_str_eq(b->begroot[Y2022].display, "400");
    cr_expect_str_eq(b->begroot[Y2023].display, "NB");
    cr_expect_eq(b->begroot[Y2020].kind, GW_CELL_NONE);
    cr_expect_str_eq(b->begroot[Y2020].display, "");
    cr_expect_str_eq(
        row_of(r, "netto_participatie_pct", 0, 0)->begroot[Y2022].display,
        "68,25");
    cr_expect_str_eq(
        row_of(r, "genotsmiddelengebruik_pct", "substance", "drugs")
            ->begroot[Y2023]
            .display,
        "40");
    cr_expect_eq(row_of(r, "genotsmiddelengebruik_pct", "substance", "roken")
                     ->begroot[Y2023]
                     .kind,
                 GW_CELL_NONE);
  }
  monitor_free(r);
}

Test(monitor, source_choice_is_deterministic_and_shown) {
  struct gw_monitor_report *r = build();
  const struct gw_monitor_cell *c =
      &row_of(r, "bijstand_per_10k", 0, 0)->werkelijk[Y2020];
  /* preferred plugin (swing_ods) beats the more recent cbs_odata figure */
  cr_expect_str_eq(c->display, "410");
  cr_expect_str_eq(c->plugin, "swing_ods");
  cr_expect_str_eq(c->source_id, "swing");
  cr_expect_str_eq(c->fetched_at, T1);
  cr_expect_eq(c->alternatives, 1);
  cr_expect_gt(c->source_ref, 0);
  cr_expect_str_eq(r->sources[c->source_ref - 1].source_id, "swing");
  /* neither source preferred: the most recently fetched */
  c = &row_of(r, "banen_per_1000", 0, 0)->werkelijk[Y2020];
  cr_expect_str_eq(c->display, "917");
  cr_expect_str_eq(c->source_id, "cbs-copy");
  cr_expect_eq(c->alternatives, 1);
  /* provisional figures keep their status */
  c = &row_of(r, "bijstand_per_10k", 0, 0)->werkelijk[Y2021];
  cr_expect_str_eq(c->display, "411");
  cr_expect_eq(c->status, GW_STATUS_PROVISIONAL);
  /* another municipality and a quarter stay out */
  c = &row_of(r, "bijstand_per_10k", 0, 0)->werkelijk[Y2022];
  cr_expect_eq(c->kind, GW_CELL_NONE);
  monitor_free(r);
}

Test(monitor, members_ages_and_areas) {
  struct gw_monitor_report *r = build();
  /* RIVM: the adults' figure (monitor_breakdown), not the 65+ one */
  cr_expect_str_eq(row_of(r, "eenzaamheid_pct", 0, 0)->werkelijk[Y2020].display,
                   "46");
  cr_expect_eq(
      row_of(r, "eenzaamheid_pct", 0, 0)->werkelijk[Y2020].alternatives, 0);
  cr_expect_str_eq(row_of(r, "genotsmiddelengebruik_pct", "substance", "roken")
                       ->werkelijk[Y2020]
                       .display,
                   "19");
  cr_expect_eq(row_of(r, "genotsmiddelengebruik_pct", "substance", "alcohol")
                   ->werkelijk[Y2020]
                   .kind,
               GW_CELL_NONE);
  cr_expect_str_eq(row_of(r, "bereik_jeugdgezondheidszorg_pct", "age", "3 jaar")
                       ->werkelijk[Y2020]
                       .display,
                   "88");
  cr_expect_eq(row_of(r, "bereik_jeugdgezondheidszorg_pct", "age", "0 jaar")
                   ->werkelijk[Y2020]
                   .kind,
               GW_CELL_NONE);
  /* 3.1.9 is about the MRA */
  {
    const struct gw_monitor_row *mra =
        row_of(r, "huishoudens_bijstand_mra_pct", 0, 0);
    cr_expect_str_eq(mra->area, "MRA");
    cr_expect_str_eq(mra->werkelijk[Y2021].display, "5,9");
  }
  monitor_free(r);
}

Test(monitor, goals_and_columns) {
  struct gw_monitor_report *r = build();
  size_t g, i;
  cr_assert_eq(r->goal_count, 5);
  for (g = 0; g < r->goal_count; g++) {
    char want[2] = {(char)('2' + g), '\0'};
    cr_expect_str_eq(r->goals[g].goal, want);
    cr_expect_not_null(r->goals[g].title);
    for (i = r->goals[g].first_row;
         i < r->goals[g].first_row + r->goals[g].row_count; i++)
      cr_expect_str_eq(r->rows[i].indicator->goal, want);
  }
  cr_expect_eq(r->row_count, 57, "a row per reference table row");
  /* werkelijk 2020, 2021 have figures; begroot 2022, 2023 have targets */
  cr_assert_eq(r->column_count, 4);
  cr_expect(!r->columns[0].begroot && r->columns[0].year == Y2020);
  cr_expect(!r->columns[1].begroot && r->columns[1].year == Y2021);
  cr_expect(r->columns[2].begroot && r->columns[2].year == Y2022);
  cr_expect(r->columns[3].begroot && r->columns[3].year == Y2023);
  monitor_free(r);
}

Test(monitor, bad_options) {
  struct gw_monitor_report *r = (struct gw_monitor_report *)1;
  char err[GW_ERR_MAX];
  const char *const bad_year[] = {"2020", "20x1"};
  const char *const twice[] = {"2020", "2020"};
  struct gw_monitor_options opt = {"GM0384", bad_year, 2, ""};
  cr_expect_eq(monitor_build(store, cat, targets, &opt, &r, err, sizeof err),
               -1);
  cr_expect_null(r);
  cr_expect_not_null(strstr(err, "20x1"), "%s", err);
  opt.years = twice;
  cr_expect_eq(monitor_build(store, cat, targets, &opt, &r, err, sizeof err),
               -1);
  cr_expect_not_null(strstr(err, "twice"), "%s", err);
  opt.years = years;
  opt.year_count = 0;
  cr_expect_eq(monitor_build(store, cat, targets, &opt, &r, err, sizeof err),
               -1);
  opt.year_count = 4;
  opt.municipality = "";
  cr_expect_eq(monitor_build(store, cat, targets, &opt, &r, err, sizeof err),
               -1);
}

Test(monitor, without_targets_begroot_stays_empty) {
  struct gw_monitor_report *r = NULL;
  struct gw_monitor_options opt = {"GM0384", years, 4, "t"};
  char err[GW_ERR_MAX];
  size_t i;
  cr_assert_eq(monitor_build(store, cat, NULL, &opt, &r, err, sizeof err), 0,
               "%s", err);
  for (i = 0; i < r->column_count; i++)
    cr_expect_not(r->columns[i].begroot);
  cr_expect_null(r->targets_path);
  /* no declaration either: the stadspas cell is simply not known */
  cr_expect_str_eq(
      row_of(r, "stadspas_houders", 0, 0)->werkelijk[Y2020].display, "n.n.b.");
  monitor_free(r);
}

/* ---- renderers ----------------------------------------------------------- */

static json_t *cell_of(json_t *doc, const char *code, const char *kind,
                       const char *year) {
  size_t g, i;
  json_t *goal, *row;
  json_array_foreach(json_object_get(doc, "goals"), g, goal) {
    json_array_foreach(json_object_get(goal, "rows"), i, row) {
      if (strcmp(json_string_value(json_object_get(row, "code")), code) == 0)
        return json_object_get(json_object_get(row, kind), year);
    }
  }
  return NULL;
}

Test(monitor, json_parses_and_carries_cells) {
  struct gw_monitor_report *r = build();
  char *text = render(r, GW_MONITOR_JSON);
  json_error_t jerr;
  json_t *doc = json_loads(text, 0, &jerr), *c;
  cr_assert_not_null(doc, "JSON does not parse: %s (line %d)", jerr.text,
                     jerr.line);
  cr_expect_str_eq(json_string_value(json_object_get(doc, "title")),
                   "Monitor Samen Diemen");
  cr_expect_str_eq(json_string_value(json_object_get(doc, "generated_at")),
                   "2024-06-02T08:00:00Z");
  cr_expect_eq(json_array_size(json_object_get(doc, "goals")), 5);
  cr_expect_eq(json_array_size(json_object_get(doc, "years")), 4);
  c = cell_of(doc, "3.1.3", "werkelijk", "2020");
  cr_assert_not_null(c);
  cr_expect_str_eq(json_string_value(json_object_get(c, "display")), "68,6");
  cr_expect_float_eq(json_number_value(json_object_get(c, "value")), 68.6,
                     1e-9);
  cr_expect_str_eq(json_string_value(json_object_get(c, "status")), "final");
  cr_expect_str_eq(json_string_value(
                       json_object_get(json_object_get(c, "source"), "plugin")),
                   "cbs_odata");
  c = cell_of(doc, "3.1.4", "werkelijk", "2020");
  cr_expect_str_eq(json_string_value(json_object_get(
                       json_object_get(c, "source"), "source_id")),
                   "swing");
  cr_expect_eq(json_integer_value(json_object_get(c, "alternatives")), 1);
  c = cell_of(doc, "3.1.4", "begroot", "2023");
  cr_expect_str_eq(json_string_value(json_object_get(c, "display")), "NB");
  cr_expect_str_eq(json_string_value(json_object_get(c, "kind")), "target");
  cr_expect(json_is_null(json_object_get(c, "value")));
  c = cell_of(doc, "6.1.1", "werkelijk", "2020");
  cr_expect_str_eq(json_string_value(json_object_get(c, "display")), "n.n.b.");
  cr_expect(json_is_null(json_object_get(c, "source")));
  cr_expect_gt(json_array_size(json_object_get(doc, "sources")), 3);
  cr_expect_gt(json_array_size(json_object_get(doc, "legend")), 4);
  json_decref(doc);
  free(text);
  monitor_free(r);
}

Test(monitor, csv_shape) {
  struct gw_monitor_report *r = build();
  char *text = render(r, GW_MONITOR_CSV), *line, *next, *p;
  size_t lines = 0, header_fields = 0;
  cr_assert_eq(memcmp(text, "\xEF\xBB\xBF", 3), 0, "no BOM");
  cr_expect_eq(strncmp(text + 3, "doel;code;indicator;", 20), 0);
  cr_expect_not_null(strstr(text, ";werkelijk;2020;68,6;68,6;final;cbs;"));
  cr_expect_not_null(strstr(text, ";begroot;2022;68,25;68,25;;targets;"));
  cr_expect_not_null(strstr(text, ";begroot;2023;NB;;;targets;"));
  /* the note with quotes and ';'-free text is quoted RFC 4180 style */
  cr_expect_not_null(
      strstr(text, "\"<script>alert('x')</script> & \"\"co\"\"\""));
  for (p = text; *p; p++)
    cr_assert(*p != '\n' || (p > text && p[-1] == '\r'), "bare LF");
  for (line = text + 3; *line; line = next) {
    size_t fields = 1;
    int quoted = 0;
    /* a record ends at a CRLF outside quotes */
    for (p = line; *p && (quoted || *p != '\r'); p++) {
      if (*p == '"')
        quoted = !quoted;
      else if (*p == ';' && !quoted)
        fields++;
    }
    cr_assert_eq(p[0], '\r', "record %zu does not end in CRLF", lines);
    cr_assert_eq(p[1], '\n');
    next = p + 2;
    if (lines == 0)
      header_fields = fields;
    else
      cr_expect_eq(fields, header_fields, "record %zu", lines);
    lines++;
  }
  cr_expect_eq(header_fields, 18);
  cr_expect_eq(lines, 1 + r->row_count * 4 * 2);
  free(text);
  monitor_free(r);
}

Test(monitor, html_is_escaped_and_self_contained) {
  struct gw_monitor_report *r = build();
  char *html = render(r, GW_MONITOR_HTML);
  size_t opens = 0, closes = 0;
  const char *p;
  cr_expect_eq(strncmp(html, "<!DOCTYPE html>", 15), 0);
  cr_expect_not_null(strstr(html, "<title>Monitor Samen Diemen</title>"));
  cr_expect_not_null(strstr(html, "@media print"));
  cr_expect_not_null(
      strstr(html, "<th scope=\"col\" class=\"num\">Werkelijk 2020</th>"));
  cr_expect_not_null(
      strstr(html, "<th scope=\"col\" class=\"num\">Begroot 2023</th>"));
  cr_expect_not_null(strstr(html, ">68,6<sup"));
  cr_expect_not_null(strstr(html, "(v)"));
  cr_expect_not_null(strstr(
      html,
      "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;co&quot;"));
  cr_expect_null(strstr(html, "<script"), "unescaped script");
  cr_expect_null(strstr(html, "http://"), "external reference");
  cr_expect_null(strstr(html, "https://"), "external reference");
  cr_expect_null(strstr(html, "src="));
  cr_expect_not_null(strstr(html, "Legenda"));
  cr_expect_not_null(strstr(html, "id=\"bron-1\""));
  for (p = html; (p = strstr(p, "<table>")); p++)
    opens++;
  for (p = html; (p = strstr(p, "</table>")); p++)
    closes++;
  cr_expect_eq(opens, 5);
  cr_expect_eq(closes, 5);
  cr_expect_not_null(strstr(html, "</html>\n"));
  free(html);
  monitor_free(r);
}

Test(monitor, text_table) {
  struct gw_monitor_report *r = build();
  char *text = render(r, GW_MONITOR_TEXT);
  cr_expect_not_null(strstr(text, "Monitor Samen Diemen\n"));
  cr_expect_not_null(strstr(text, "Doel 3 - Alle doelgroepen"));
  cr_expect_not_null(strstr(text, "Werkelijk 2020"));
  cr_expect_not_null(strstr(text, "411 (v) ["));
  cr_expect_not_null(strstr(text, "(roken)"));
  cr_expect_not_null(strstr(text, "[MRA]"));
  cr_expect_not_null(strstr(text, "Legenda"));
  cr_expect_not_null(strstr(text, "Bronnen"));
  cr_expect_not_null(strstr(text, "swing (plugin swing_ods, dataset wsjg)"));
  free(text);
  monitor_free(r);
}

Test(monitor, format_names) {
  gw_monitor_format f;
  cr_expect_eq(monitor_format_from_name("html", &f), 0);
  cr_expect_eq(f, GW_MONITOR_HTML);
  cr_expect_eq(monitor_format_from_name("csv", &f), 0);
  cr_expect_eq(f, GW_MONITOR_CSV);
  cr_expect_eq(monitor_format_from_name("pdf", &f), -1);
  cr_expect_eq(monitor_format_from_name(NULL, &f), -1);
}

Test(monitor, write_error_is_reported) {
  struct gw_monitor_report *r = build();
  FILE *full = fopen("/dev/full", "wb");
  char err[256] = "";
  cr_assert_not_null(full, "/dev/full is needed to test a full disk");
  cr_expect_eq(monitor_write(r, GW_MONITOR_HTML, full, err, sizeof err), -1);
  cr_expect_not_null(strstr(err, "cannot write"), "%s", err);
  fclose(full);
  monitor_free(r);
}

/* Every allocation of a build can fail; each failure is reported and
 * leaves nothing behind (ASan/valgrind runs check the "nothing"). */
Test(monitor, allocation_failures_are_clean) {
  struct gw_monitor_options opt = {"GM0384", years, 4, "t"};
  unsigned long nth;
  int succeeded = 0;
  for (nth = 1; nth < 200 && !succeeded; nth++) {
    struct gw_monitor_report *r = NULL;
    char err[GW_ERR_MAX] = "";
    gw_alloc_fail_at(nth);
    if (monitor_build(store, cat, targets, &opt, &r, err, sizeof err) == 0) {
      succeeded = 1;
    } else {
      cr_expect_null(r);
      cr_expect_neq(err[0], '\0', "nth %lu: no message", nth);
    }
    gw_alloc_fail_at(0);
    monitor_free(r);
  }
  cr_expect(succeeded, "build never succeeded within 200 allocations");
}
