/*
 * test_catalogue.c - the real schemas/indicators.json and malformed
 * catalogues (catalogue.h).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "gw_alloc.h"
#include "text.h"
#include "test_support.h"

/* The reference table has 45 distinct codes in 57 rows. */
#define REFERENCE_CODES 45

static struct gw_catalogue *load_real(void) {
  struct gw_catalogue *cat = NULL;
  char err[512];
  const char *path = ts_path(ts_source_dir(), "schemas/indicators.json");
  cr_assert_eq(catalogue_load(path, &cat, err, sizeof err), 0, "%s", err);
  cr_assert_not_null(cat);
  return cat;
}

struct brief_mapping {
  const char *dataset, *code, *policy_code;
  const char *dimension, *member; /* fixed breakdown or NULL */
};

/* The mappings of the shared brief, verbatim. */
static const struct brief_mapping brief[] = {
    {"90001NED", "BanenPer1000Inwoners", "3.1.1", NULL, NULL},
    {"90001NED", "NettoArbeidsparticipatie", "3.1.3", NULL, NULL},
    {"90001NED", "Bijstandsuitkeringen", "3.1.4", NULL, NULL},
    {"90001NED", "ReIntegratievoorzieningen", "3.1.5", NULL, NULL},
    {"90001NED", "WmoClienten", "3.1.6", NULL, NULL},
    {"90001NED", "HuishoudensMetBijstand", "3.1.8", NULL, NULL},
    {"90002NED", "M004521", "3.3.6", NULL, NULL},
    {"90002NED", "M004522", "3.3.7", NULL, NULL},
    {"90002NED", "M004523", "3.3.8", NULL, NULL},
    {"50120NED", "ErvarenGezondheidGoedZeerGoed", "5.2.2", NULL, NULL},
    {"50120NED", "VoldoetAanBeweegrichtlijn", "5.2.5", NULL, NULL},
    {"50120NED", "Overgewicht", "5.2.6", NULL, NULL},
    {"50120NED", "Eenzaam", "5.1.1", NULL, NULL},
    {"50120NED", "PsychischeKlachten", "5.1.2", NULL, NULL},
    {"50120NED", "Roker", "5.3.1", "substance", "roken"},
    {"50120NED", "ZwareDrinker", "5.3.1", "substance", "alcohol"},
};

Test(catalogue, real_catalogue_has_every_reference_code) {
  struct gw_catalogue *cat = load_real();
  size_t i, j;
  cr_expect_eq(catalogue_count(cat), REFERENCE_CODES);
  for (i = 0; i < catalogue_count(cat); i++) {
    const struct gw_indicator *a = catalogue_at(cat, i);
    cr_assert_not_null(a);
    cr_expect_eq(catalogue_find(cat, a->id), a, "find(%s)", a->id);
    for (j = i + 1; j < catalogue_count(cat); j++)
      cr_expect_str_neq(a->code, catalogue_at(cat, j)->code);
  }
  cr_expect_null(catalogue_at(cat, catalogue_count(cat)));
  catalogue_free(cat);
}

Test(catalogue, known_rows) {
  struct gw_catalogue *cat = load_real();
  const struct gw_indicator *b = catalogue_find(cat, "bijstand_per_10k");
  const struct gw_indicator *j = catalogue_find(cat, "jongeren_jeugdhulp_pct");
  cr_assert_not_null(b);
  cr_expect_str_eq(b->code, "3.1.4");
  cr_expect_str_eq(b->title,
                   "Aantal personen met een bijstandsuitkering per 10.000 "
                   "inwoners");
  cr_expect_str_eq(b->unit, "per_10000");
  cr_expect_str_eq(b->goal, "3");
  cr_expect_str_eq(b->likely_source, "waarstaatjegemeente");
  cr_expect_eq(b->mandatory, 1);
  cr_assert_not_null(j);
  cr_expect_str_eq(j->code, "3.3.6");
  cr_expect_str_eq(j->unit, "percent");
  {
    const struct gw_indicator *d =
        catalogue_find(cat, "wmo_doorlooptijd_dagen");
    cr_assert_not_null(d);
    cr_expect_str_eq(d->unit, "days");
    cr_expect_eq(d->mandatory, 0);
    cr_expect_str_eq(d->goal, "2");
  }
  cr_expect_null(catalogue_find(cat, "no_such_indicator"));
  cr_expect_null(catalogue_find(cat, ""));
  cr_expect_null(catalogue_find(cat, NULL));
  catalogue_free(cat);
}

/* The parts of the JSON the C API does not expose (breakdown members,
 * reference figures) are checked on the file itself. */
Test(catalogue, json_keeps_members_and_reference_values) {
  char *text =
      ts_read_file(ts_path(ts_source_dir(), "schemas/indicators.json"), NULL);
  cr_assert_not_null(text);
  /* 3.3.9 has four age members, 6.1.7 five types, 5.3.1 three substances */
  cr_expect_not_null(strstr(text, "\"age\": \"0 jaar\""));
  cr_expect_not_null(strstr(text, "\"age\": \"3 jaar\""));
  cr_expect_not_null(strstr(text, "\"age\": \"5 jaar\""));
  cr_expect_not_null(strstr(text, "\"age\": \"10 jaar\""));
  cr_expect_not_null(strstr(text, "\"type\": \"Wmo-begeleiding\""));
  cr_expect_not_null(strstr(text, "\"substance\": \"drugs\""));
  cr_expect_not_null(strstr(text, "\"measure\": \"bereik\""));
  cr_expect_not_null(strstr(text, "\"werkelijk_2020\": \"68,6\""));
  cr_expect_not_null(strstr(text, "\"werkelijk_2021\": \"n.n.b.\""));
  cr_expect_not_null(strstr(text, "\"werkelijk_2020\": \"N.v.t.\""));
  cr_expect_not_null(strstr(text, "\"area\": \"MRA\""));
  free(text);
}

Test(catalogue, every_brief_mapping_resolves) {
  struct gw_catalogue *cat = load_real();
  size_t i;
  for (i = 0; i < sizeof brief / sizeof brief[0]; i++) {
    const struct gw_source_mapping *m =
        catalogue_lookup(cat, "cbs_odata", brief[i].dataset, brief[i].code);
    const struct gw_indicator *ind;
    cr_assert_not_null(m, "%s/%s not mapped", brief[i].dataset, brief[i].code);
    ind = catalogue_find(cat, m->indicator);
    cr_assert_not_null(ind);
    cr_expect_str_eq(ind->code, brief[i].policy_code, "%s", brief[i].code);
    cr_expect_str_eq(m->plugin, "cbs_odata");
    cr_expect_str_eq(m->dataset, brief[i].dataset);
    cr_expect_str_eq(m->code, brief[i].code);
    if (brief[i].dimension) {
      cr_assert_eq(m->breakdown_count, 1, "%s", brief[i].code);
      cr_expect_str_eq(m->breakdown[0].dimension, brief[i].dimension);
      cr_expect_str_eq(m->breakdown[0].member, brief[i].member);
    } else {
      cr_expect_eq(m->breakdown_count, 0, "%s", brief[i].code);
    }
  }
  /* the wrong table, plugin or an edition-suffixed key do not match */
  cr_expect_null(catalogue_lookup(cat, "cbs_odata", "90002NED", "Eenzaam"));
  cr_expect_null(catalogue_lookup(cat, "rivm", "50120NED", "Eenzaam"));
  cr_expect_null(catalogue_lookup(cat, "cbs_odata", "50120NED", "Eenzaam_27"));
  cr_expect_null(catalogue_lookup(cat, "cbs_odata", "50120NED", "eenzaam"));
  cr_expect_null(catalogue_lookup(cat, "cbs_odata", NULL, "Eenzaam"));
  cr_expect_null(catalogue_lookup(cat, NULL, "50120NED", "Eenzaam"));
  cr_expect_null(catalogue_lookup(cat, "cbs_odata", "50120NED", NULL));
  catalogue_free(cat);
}

/* ---- hand-written catalogues ----------------------------------------- */

static const char *write_catalogue(const char *dir, const char *json) {
  const char *path = ts_path(dir, "cat.json");
  cr_assert_eq(ts_write_file(path, json), 0);
  return path;
}

#define IND(id, extra)                                                         \
  "{\"id\":\"" id "\",\"code\":\"1.1\",\"title\":\"T\",\"unit\":\"count\","    \
  "\"goal\":\"1\",\"mandatory\":false,\"likely_source\":\"local\"" extra "}"
#define CAT(indicators) "{\"version\":1,\"indicators\":[" indicators "]}"

Test(catalogue, wildcard_dataset_and_exact_override) {
  const char *dir = ts_mkdtemp();
  struct gw_catalogue *cat = NULL;
  char err[512];
  const struct gw_source_mapping *m;
  const char *path = write_catalogue(
      dir,
      CAT(IND("any_table",
              ",\"sources\":[{\"plugin\":\"p\",\"dataset\":"
              "\"*\",\"code\":\"X\"}]") "," IND("one_table",
                                                ",\"sources\":[{\"plugin\":"
                                                "\"p\",\"dataset\":"
                                                "\"T1\",\"code\":\"X\"}]")));
  cr_assert_eq(catalogue_load(path, &cat, err, sizeof err), 0, "%s", err);
  m = catalogue_lookup(cat, "p", "T2", "X");
  cr_assert_not_null(m);
  cr_expect_str_eq(m->indicator, "any_table");
  m = catalogue_lookup(cat, "p", NULL, "X");
  cr_assert_not_null(m);
  cr_expect_str_eq(m->indicator, "any_table");
  m = catalogue_lookup(cat, "p", "T1", "X");
  cr_assert_not_null(m);
  cr_expect_str_eq(m->indicator, "one_table");
  cr_expect_null(catalogue_lookup(cat, "q", "T1", "X"));
  cr_expect_null(catalogue_lookup(cat, "p", "T1", "Y"));
  catalogue_free(cat);
  ts_rm_rf(dir);
}

Test(catalogue, many_mappings_binary_search) {
  const char *dir = ts_mkdtemp();
  struct gw_catalogue *cat = NULL;
  char err[512], code[16], dataset[8], item[96];
  static char json[64 * 1024];
  size_t i;
  /* 200 mappings over 7 datasets, written in descending order, must all be
   * found: the loader sorts them */
  cr_assert_eq(text_copy(json, sizeof json,
                         "{\"version\":1,\"indicators\":[{\"id\":\"many\","
                         "\"code\":\"1\",\"title\":\"T\",\"unit\":\"count\","
                         "\"goal\":\"1\",\"mandatory\":false,"
                         "\"likely_source\":\"x\",\"sources\":["),
               0);
  for (i = 200; i > 0; i--) {
    cr_assert_eq(text_format(item, sizeof item,
                             "%s{\"plugin\":\"p\",\"dataset\":\"D%zu\","
                             "\"code\":\"C%03zu\"}",
                             i == 200 ? "" : ",", i % 7, i),
                 0);
    cr_assert_eq(text_append(json, sizeof json, item), 0);
  }
  cr_assert_eq(text_append(json, sizeof json, "]}]}"), 0);
  cr_assert_eq(
      catalogue_load(write_catalogue(dir, json), &cat, err, sizeof err), 0,
      "%s", err);
  for (i = 1; i <= 200; i++) {
    cr_assert_eq(text_format(code, sizeof code, "C%03zu", i), 0);
    cr_assert_eq(text_format(dataset, sizeof dataset, "D%zu", i % 7), 0);
    cr_expect_not_null(catalogue_lookup(cat, "p", dataset, code), "%s", code);
  }
  cr_expect_null(catalogue_lookup(cat, "p", "D0", "C001"));
  cr_expect_null(catalogue_lookup(cat, "p", "D1", "C000"));
  catalogue_free(cat);
  ts_rm_rf(dir);
}

struct bad_case {
  const char *json;
  const char *expect[3]; /* substrings the message must contain */
};

static const struct bad_case bad[] = {
    {"{\"version\":1,\"indicators\":[", {"line 1", NULL}},
    {"[]", {"top level", NULL}},
    {"{\"version\":2,\"indicators\":[" IND("a", "") "]}", {"version", NULL}},
    {"{\"version\":1,\"indicators\":[]}", {"indicators", "non-empty", NULL}},
    {"{\"version\":1,\"indicators\":[]  ,\"extra\":1}",
     {"extra", "unknown top-level key", NULL}},
    {CAT("42"), {"indicators[0]", "expected an object", NULL}},
    {CAT("{\"code\":\"1\"}"), {"indicators[0]", "\"id\"", "missing"}},
    {CAT("{\"id\":\"Bad Id\"}"), {"indicators[0]", "\"id\"", "not a slug"}},
    {CAT(IND("a", "") "," IND("b", "") "," IND("a", "")),
     {"indicators[0] and indicators[2]", "\"id\"", "used twice"}},
    {CAT("{\"id\":\"a\",\"code\":\"1\",\"title\":\"T\",\"unit\":\"litre\","
         "\"goal\":\"1\",\"mandatory\":false,\"likely_source\":\"x\"}"),
     {"indicators[0] (\"a\")", "\"unit\"", "litre"}},
    {CAT("{\"id\":\"a\",\"code\":\"1\",\"title\":\"T\",\"unit\":\"count\","
         "\"goal\":\"1\",\"mandatory\":\"yes\",\"likely_source\":\"x\"}"),
     {"(\"a\")", "\"mandatory\"", "true or false"}},
    {CAT("{\"id\":\"a\",\"code\":\"1\",\"title\":\"\",\"unit\":\"count\","
         "\"goal\":\"1\",\"mandatory\":false,\"likely_source\":\"x\"}"),
     {"(\"a\")", "\"title\"", "empty"}},
    {CAT("{\"id\":\"a\",\"code\":3,\"title\":\"T\",\"unit\":\"count\","
         "\"goal\":\"1\",\"mandatory\":false,\"likely_source\":\"x\"}"),
     {"(\"a\")", "\"code\"", "expected a string"}},
    {CAT(IND("a", ",\"unti\":\"count\"")), {"(\"a\")", "unti", "unknown key"}},
    {CAT(IND("a", ",\"sources\":{}")), {"(\"a\")", "\"sources\"", "array"}},
    {CAT(IND("a", ",\"sources\":[{\"plugin\":\"p\",\"code\":\"C\"}]")),
     {"(\"a\")", "\"dataset\"", "missing"}},
    {CAT(IND("a", ",\"sources\":[{\"plugin\":\"p\",\"dataset\":\"D\","
                  "\"code\":\"C\",\"table\":1}]")),
     {"sources[0]", "table", "unknown key"}},
    {CAT(IND("a", ",\"sources\":[{\"plugin\":\"p\",\"dataset\":\"D\","
                  "\"code\":\"C\",\"breakdown\":{\"age\":5}}]")),
     {"sources[0]", "non-empty string", NULL}},
    {CAT(IND("a", ",\"breakdown_members\":[{\"breakdown\":{\"s\":\"x\"},"
                  "\"title\":\"X\"}],\"sources\":[{\"plugin\":\"p\","
                  "\"dataset\":\"D\",\"code\":\"C\",\"breakdown\":"
                  "{\"s\":\"y\"}}]")),
     {"sources[0]", "not one of the indicator's breakdown_members", NULL}},
    {CAT(IND("a", ",\"sources\":[{\"plugin\":\"p\",\"dataset\":\"D\","
                  "\"code\":\"C\"}]") "," IND("b", ",\"sources\":[{\"plugin\""
                                                   ":\"p\",\"dataset\":\"D\","
                                                   "\"code\":\"C\"}]")),
     {"mapped twice", "\"a\"", "\"b\""}},
    {CAT(IND("a", ",\"breakdown_members\":[{\"breakdown\":{},\"title\":\"X\"}"
                  "]")),
     {"breakdown_members[0]", "empty", NULL}},
    {CAT(IND("a", ",\"reference\":[{\"breakdown\":{},\"werkelijk_2020\":68.6,"
                  "\"werkelijk_2021\":\"NB\",\"begroot_2022\":\"1\","
                  "\"begroot_2023\":\"1\"}]")),
     {"(\"a\")", "werkelijk_2020", "expected a string"}},
    {CAT(IND("a", ",\"sources\":[{\"plugin\":\"p\",\"dataset\":\"D\","
                  "\"code\":\"C\"},{\"plugin\":\"p\",\"dataset\":\"D\","
                  "\"code\":\"C\"}]")),
     {"mapped twice", NULL}},
    {"{\"version\":1,\"version\":1,\"indicators\":[" IND("a", "") "]}",
     {"duplicate", NULL}},
};

Test(catalogue, malformed_files_are_explained) {
  const char *dir = ts_mkdtemp();
  size_t i, k;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct gw_catalogue *cat = (struct gw_catalogue *)1;
    char err[512];
    const char *path = write_catalogue(dir, bad[i].json);
    err[0] = '\0';
    cr_expect_eq(catalogue_load(path, &cat, err, sizeof err), -1,
                 "case %zu loaded", i);
    cr_expect_null(cat, "case %zu", i);
    cr_expect_not_null(strstr(err, path), "case %zu: no file in \"%s\"", i,
                       err);
    for (k = 0; k < 3 && bad[i].expect[k]; k++)
      cr_expect_not_null(strstr(err, bad[i].expect[k]),
                         "case %zu: \"%s\" lacks \"%s\"", i, err,
                         bad[i].expect[k]);
  }
  ts_rm_rf(dir);
}

Test(catalogue, missing_file) {
  struct gw_catalogue *cat = NULL;
  char err[512];
  cr_expect_eq(
      catalogue_load("/nonexistent/indicators.json", &cat, err, sizeof err),
      -1);
  cr_expect_null(cat);
  cr_expect_not_null(strstr(err, "/nonexistent/indicators.json"), "%s", err);
}

Test(catalogue, null_safe_accessors) {
  catalogue_free(NULL);
  cr_expect_eq(catalogue_count(NULL), 0);
  cr_expect_null(catalogue_at(NULL, 0));
  cr_expect_null(catalogue_find(NULL, "a"));
  cr_expect_null(catalogue_lookup(NULL, "p", "d", "c"));
}

/* Every allocation of a load can fail; each failure must be reported and
 * leave nothing behind (ASan/valgrind runs check the "nothing"). */
Test(catalogue, every_allocation_failure_is_clean) {
  const char *path = ts_path(ts_source_dir(), "schemas/indicators.json");
  unsigned long nth;
  int succeeded = 0;
  for (nth = 1; nth < 1000 && !succeeded; nth++) {
    struct gw_catalogue *cat = NULL;
    char err[512];
    gw_alloc_fail_at(nth);
    if (catalogue_load(path, &cat, err, sizeof err) == 0) {
      succeeded = 1;
    } else {
      cr_expect_null(cat);
      cr_expect_not_null(strstr(err, "out of memory"), "nth %lu: %s", nth, err);
    }
    gw_alloc_fail_at(0);
    catalogue_free(cat);
  }
  cr_expect(succeeded, "load never succeeded within 1000 allocations");
  cr_expect_gt(nth, 3, "the load should allocate several times");
}

/* ---- issue 3: complete catalogue, goals, members, reference ----------- */

struct any_mapping {
  const char *plugin, *dataset, *code, *policy_code;
  const char *dimension, *member; /* fixed breakdown or NULL */
};

/* The issue-3 mappings (swing_ods, csv_export, provider_report), verbatim. */
static const struct any_mapping issue3[] = {
    {"swing_ods", "*", "bbv_banen_per_1000", "3.1.1", NULL, NULL},
    {"swing_ods", "*", "bbv_netto_arbeidsparticipatie", "3.1.3", NULL, NULL},
    {"swing_ods", "*", "bbv_bijstand_per_10000", "3.1.4", NULL, NULL},
    {"swing_ods", "*", "bbv_reintegratie_per_10000", "3.1.5", NULL, NULL},
    {"swing_ods", "*", "bbv_wmo_maatwerk_per_10000", "3.1.6", NULL, NULL},
    {"swing_ods", "*", "bbv_jongeren_delict", "3.3.1", NULL, NULL},
    {"swing_ods", "*", "bbv_kinderen_uitkeringsgezin", "3.3.2", NULL, NULL},
    {"swing_ods", "*", "bbv_melding_kindermishandeling", "3.3.3", NULL, NULL},
    {"swing_ods", "*", "bbv_achterstandsleerlingen", "3.3.4", NULL, NULL},
    {"swing_ods", "*", "bbv_werkloze_jongeren", "3.3.5", NULL, NULL},
    {"swing_ods", "*", "bbv_jeugdhulp", "3.3.6", NULL, NULL},
    {"swing_ods", "*", "bbv_jeugdbescherming", "3.3.7", NULL, NULL},
    {"swing_ods", "*", "bbv_jeugdreclassering", "3.3.8", NULL, NULL},
    {"csv_export", "ggd_monitor", "bereik_jgz", "3.3.9", NULL, NULL},
    {"csv_export", "ggd_monitor", "jongeren_bewegen", "5.2.1", NULL, NULL},
    {"csv_export", "ggd_monitor", "tevreden_leefomgeving", "5.2.3", NULL, NULL},
    {"csv_export", "ggd_monitor", "drugsgebruik", "5.3.1", "substance",
     "drugs"},
    {"csv_export", "diemen_lokaal", "uitstroom_werk", "3.1", NULL, NULL},
    {"csv_export", "diemen_lokaal", "doorlooptijd_wmo", "2.1.1", NULL, NULL},
    {"csv_export", "diemen_lokaal", "beschut_werk", "3.1.2", NULL, NULL},
    {"csv_export", "diemen_lokaal", "stadspas", "3.1.7", NULL, NULL},
    {"csv_export", "diemen_lokaal", "deelname_bewegingsaanbod", "5.2.7", NULL,
     NULL},
    {"csv_export", "diemen_lokaal", "activiteiten_diversiteit", "5.4.1", NULL,
     NULL},
    {"csv_export", "diemen_lokaal", "woonurgenties", "6.1.1", NULL, NULL},
    {"csv_export", "diemen_lokaal", "woningen_geschikt_oud", "6.1.4", NULL,
     NULL},
    {"csv_export", "diemen_lokaal", "meldingen_zorg_overlast", "6.2.1", NULL,
     NULL},
    {"csv_export", "diemen_lokaal", "meldpunt_wvggz", "6.2.2", NULL, NULL},
    {"csv_export", "cbs_export", "huishoudens_bijstand_mra", "3.1.9", NULL,
     NULL},
    {"csv_export", "cbs_export", "wmo_voorzieningen", "6.1.7", NULL, NULL},
    {"provider_report", "*", "2.2.1", "2.2.1", NULL, NULL},
    {"provider_report", "*", "2.3.1", "2.3.1", NULL, NULL},
    {"provider_report", "*", "4.2.3", "4.2.3", NULL, NULL},
    {"provider_report", "*", "5.1.3", "5.1.3", NULL, NULL},
    {"provider_report", "*", "5.2.4", "5.2.4", NULL, NULL},
    {"provider_report", "*", "5.2.8", "5.2.8", NULL, NULL},
    {"provider_report", "*", "6.1.2", "6.1.2", NULL, NULL},
    {"provider_report", "*", "6.1.3", "6.1.3", NULL, NULL},
    {"provider_report", "*", "6.1.5", "6.1.5", NULL, NULL},
    {"provider_report", "*", "6.1.6", "6.1.6", NULL, NULL},
};

Test(catalogue, every_issue3_mapping_resolves) {
  struct gw_catalogue *cat = load_real();
  size_t i;
  for (i = 0; i < sizeof issue3 / sizeof issue3[0]; i++) {
    const struct any_mapping *want = &issue3[i];
    /* A "*" mapping answers for any dataset the plugin names. */
    const char *dataset =
        strcmp(want->dataset, "*") == 0 ? "some-dataset" : want->dataset;
    const struct gw_source_mapping *m =
        catalogue_lookup(cat, want->plugin, dataset, want->code);
    const struct gw_indicator *ind;
    cr_assert_not_null(m, "%s/%s/%s not mapped", want->plugin, want->dataset,
                       want->code);
    cr_expect_str_eq(m->dataset, want->dataset, "%s", want->code);
    ind = catalogue_find(cat, m->indicator);
    cr_assert_not_null(ind);
    cr_expect_str_eq(ind->code, want->policy_code, "%s", want->code);
    if (want->dimension) {
      cr_assert_eq(m->breakdown_count, 1, "%s", want->code);
      cr_expect_str_eq(m->breakdown[0].dimension, want->dimension);
      cr_expect_str_eq(m->breakdown[0].member, want->member);
    } else {
      cr_expect_eq(m->breakdown_count, 0, "%s", want->code);
    }
  }
  catalogue_free(cat);
}

/* Nothing may be silently missing: every indicator has a mapping. */
Test(catalogue, every_indicator_has_a_source) {
  struct gw_catalogue *cat = load_real();
  size_t i, j, total = 0;
  for (i = 0; i < catalogue_count(cat); i++) {
    const struct gw_indicator *ind = catalogue_at(cat, i);
    size_t n = 0;
    for (j = 0; j < catalogue_mapping_count(cat); j++) {
      const struct gw_source_mapping *m = catalogue_mapping_at(cat, j);
      cr_assert_not_null(m);
      if (strcmp(m->indicator, ind->id) == 0)
        n++;
    }
    cr_expect_gt(n, 0, "%s (%s) has no source mapping", ind->code, ind->id);
    total += n;
  }
  cr_expect_eq(total, catalogue_mapping_count(cat));
  cr_expect_null(catalogue_mapping_at(cat, catalogue_mapping_count(cat)));
  catalogue_free(cat);
}

Test(catalogue, goals_have_titles) {
  struct gw_catalogue *cat = load_real();
  size_t i;
  cr_expect_eq(catalogue_goal_count(cat), 6);
  for (i = 0; i < catalogue_count(cat); i++) {
    const struct gw_indicator *ind = catalogue_at(cat, i);
    cr_expect_not_null(catalogue_goal_title(cat, ind->goal), "goal %s of %s",
                       ind->goal, ind->code);
  }
  cr_expect_str_eq(catalogue_goal_at(cat, 0)->goal, "1");
  cr_expect_str_eq(catalogue_goal_title(cat, "5"),
                   "Alle inwoners uit Diemen hebben gelijke kansen op een "
                   "goede gezondheid");
  cr_expect_null(catalogue_goal_title(cat, "9"));
  cr_expect_null(catalogue_goal_title(cat, NULL));
  cr_expect_null(catalogue_goal_at(cat, 6));
  catalogue_free(cat);
}

Test(catalogue, members_references_and_monitor_fields) {
  struct gw_catalogue *cat = load_real();
  const struct gw_indicator *jgz =
      catalogue_find(cat, "bereik_jeugdgezondheidszorg_pct");
  const struct gw_indicator *part =
      catalogue_find(cat, "netto_participatie_pct");
  const struct gw_indicator *mra =
      catalogue_find(cat, "huishoudens_bijstand_mra_pct");
  const struct gw_indicator *drugs =
      catalogue_find(cat, "genotsmiddelengebruik_pct");
  const struct gw_breakdown_member *m;
  const struct gw_reference_row *r;
  const struct gw_source_mapping *rivm;
  cr_assert(jgz && part && mra && drugs);

  cr_expect_eq(catalogue_member_count(cat, jgz), 4);
  m = catalogue_member_at(cat, jgz, 3);
  cr_assert_not_null(m);
  cr_assert_eq(m->count, 1);
  cr_expect_str_eq(m->items[0].dimension, "age");
  cr_expect_str_eq(m->items[0].member, "10 jaar");
  cr_expect_null(catalogue_member_at(cat, jgz, 4));
  cr_expect_eq(catalogue_reference_count(cat, jgz), 4);
  r = catalogue_reference_at(cat, jgz, 0);
  cr_assert_not_null(r);
  cr_expect_str_eq(r->werkelijk_2020, "98");
  cr_expect_str_eq(r->werkelijk_2021, "-");
  cr_expect_str_eq(r->begroot_2022, "N.v.t.");
  cr_expect_str_eq(r->begroot_2023, "90");

  cr_expect_eq(catalogue_member_count(cat, part), 0);
  cr_assert_eq(catalogue_reference_count(cat, part), 1);
  r = catalogue_reference_at(cat, part, 0);
  cr_expect_eq(r->count, 0);
  cr_expect_str_eq(r->werkelijk_2020, "68,6");
  cr_expect_str_eq(r->werkelijk_2021, "NB");
  cr_expect_str_eq(part->preferred_plugin, "swing_ods");
  cr_expect_null(part->area);
  cr_expect_not_null(strstr(part->note, "waarstaatjegemeente"));

  cr_expect_str_eq(mra->area, "MRA");
  cr_expect_str_eq(mra->preferred_plugin, "csv_export");
  cr_expect_str_eq(drugs->preferred_plugin, "cbs_odata");
  cr_expect_eq(catalogue_member_count(cat, drugs), 3);

  rivm = catalogue_lookup(cat, "cbs_odata", "50120NED", "Roker");
  cr_assert_not_null(rivm);
  cr_assert_eq(rivm->monitor_breakdown_count, 1);
  cr_expect_str_eq(rivm->monitor_breakdown[0].dimension, "age");
  cr_expect_str_eq(rivm->monitor_breakdown[0].member, "18 jaar of ouder");
  rivm = catalogue_lookup(cat, "cbs_odata", "90001NED", "WmoClienten");
  cr_assert_not_null(rivm);
  cr_expect_eq(rivm->monitor_breakdown_count, 0);

  /* an indicator from elsewhere is not ours */
  {
    struct gw_indicator foreign = *part;
    cr_expect_eq(catalogue_member_count(cat, &foreign), 0);
    cr_expect_null(catalogue_reference_at(cat, &foreign, 0));
  }
  cr_expect_eq(catalogue_goal_count(NULL), 0);
  cr_expect_eq(catalogue_mapping_count(NULL), 0);
  catalogue_free(cat);
}

static const struct bad_case bad_monitor[] = {
    {"{\"version\":1,\"goals\":{},\"indicators\":[" IND("a", "") "]}",
     {"goals", "array", NULL}},
    {"{\"version\":1,\"goals\":[{\"goal\":\"1\"}],\"indicators\":[" IND(
         "a", "") "]}",
     {"goals[0]", NULL}},
    {"{\"version\":1,\"goals\":[{\"goal\":\"1\",\"title\":\"A\"},{\"goal\":"
     "\"1\",\"title\":\"B\"}],\"indicators\":[" IND("a", "") "]}",
     {"goals[1]", "twice", NULL}},
    {"{\"version\":1,\"goals\":[{\"goal\":\"1\",\"title\":\"A\",\"x\":1}],"
     "\"indicators\":[" IND("a", "") "]}",
     {"goals[0]", "unknown key", NULL}},
    {CAT(IND("a", ",\"sources\":[{\"plugin\":\"p\",\"dataset\":\"D\","
                  "\"code\":\"C\",\"monitor_breakdown\":{}}]")),
     {"sources[0]", "monitor_breakdown is empty", NULL}},
    {CAT(IND("a", ",\"breakdown_members\":[{\"breakdown\":{\"s\":\"x\"},"
                  "\"title\":\"X\"}],\"sources\":[{\"plugin\":\"p\","
                  "\"dataset\":\"D\",\"code\":\"C\",\"breakdown\":"
                  "{\"s\":\"x\"},\"monitor_breakdown\":{\"s\":\"y\"}}]")),
     {"sources[0]", "repeats a dimension", NULL}},
    {CAT(IND("a", ",\"preferred_plugin\":7")),
     {"(\"a\")", "preferred_plugin", "expected a string"}},
};

Test(catalogue, malformed_monitor_fields_are_explained) {
  const char *dir = ts_mkdtemp();
  size_t i, k;
  for (i = 0; i < sizeof bad_monitor / sizeof bad_monitor[0]; i++) {
    struct gw_catalogue *cat = (struct gw_catalogue *)1;
    char err[512];
    const char *path = write_catalogue(dir, bad_monitor[i].json);
    err[0] = '\0';
    cr_expect_eq(catalogue_load(path, &cat, err, sizeof err), -1,
                 "case %zu loaded", i);
    cr_expect_null(cat, "case %zu", i);
    for (k = 0; k < 3 && bad_monitor[i].expect[k]; k++)
      cr_expect_not_null(strstr(err, bad_monitor[i].expect[k]),
                         "case %zu: \"%s\" lacks \"%s\"", i, err,
                         bad_monitor[i].expect[k]);
  }
  ts_rm_rf(dir);
}
