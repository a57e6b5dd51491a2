/*
 * test_targets.c - the targets file (targets.h): the shipped
 * ops/targets/diemen.json, lookups, and malformed files explained with
 * file, line and field.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "catalogue.h"
#include "gw_alloc.h"
#include "text.h"
#include "targets.h"
#include "test_support.h"

static struct gw_catalogue *cat;
static const char *dir;

static void setup(void) {
  char err[512];
  cr_assert_eq(
      catalogue_load(ts_path(ts_source_dir(), "schemas/indicators.json"), &cat,
                     err, sizeof err),
      0, "%s", err);
  dir = ts_mkdtemp();
}

static void teardown(void) {
  catalogue_free(cat);
  ts_rm_rf(dir);
}

TestSuite(targets, .init = setup, .fini = teardown);

static const char *write_targets(const char *json) {
  const char *path = ts_path(dir, "targets.json");
  cr_assert_eq(ts_write_file(path, json), 0);
  return path;
}

Test(targets, shipped_file_has_every_reference_target) {
  struct gw_targets *t = NULL;
  char err[512];
  const char *path = ts_path(ts_source_dir(), "ops/targets/diemen.json");
  size_t i, r, rows = 0;
  cr_assert_eq(targets_load(path, cat, &t, err, sizeof err), 0, "%s", err);
  cr_expect_str_eq(targets_municipality(t), "GM0384");
  cr_expect_str_eq(targets_path(t), path);
  /* every reference row of the catalogue has its begroot 2022 and 2023,
   * written exactly as the table writes them */
  for (i = 0; i < catalogue_count(cat); i++) {
    const struct gw_indicator *ind = catalogue_at(cat, i);
    for (r = 0; r < catalogue_reference_count(cat, ind); r++) {
      const struct gw_reference_row *ref = catalogue_reference_at(cat, ind, r);
      const char *want[2] = {ref->begroot_2022, ref->begroot_2023};
      const char *years[2] = {"2022", "2023"};
      size_t y;
      rows++;
      for (y = 0; y < 2; y++) {
        const struct gw_target *e =
            targets_find(t, ind->id, ref->items, ref->count, years[y]);
        cr_assert_not_null(e, "%s %s: no target", ind->code, years[y]);
        if (e->marker) {
          cr_expect_str_eq(e->marker, want[y], "%s %s", ind->code, years[y]);
        } else {
          char text[64];
          size_t k;
          cr_assert_eq(text_format(text, sizeof text, "%g", e->value), 0);
          for (k = 0; text[k]; k++)
            if (text[k] == '.')
              text[k] = ',';
          cr_expect_str_eq(text, want[y], "%s %s", ind->code, years[y]);
        }
      }
    }
  }
  cr_expect_eq(targets_count(t), 2 * rows);
  cr_expect_null(targets_at(t, targets_count(t)));
  {
    const struct gw_target *d =
        targets_find_werkelijk(t, "stadspas_houders", NULL, 0, "2020");
    cr_assert_not_null(d);
    cr_expect_str_eq(d->marker, "N.v.t.");
    cr_expect_not_null(strstr(d->note, "Begroting 2022"));
    cr_expect_null(
        targets_find_werkelijk(t, "bijstand_per_10k", NULL, 0, "2020"));
  }
  targets_free(t);
}

Test(targets, lookup_by_member_and_year) {
  struct gw_targets *t = NULL;
  char err[512];
  struct gw_breakdown_item drugs[] = {{"substance", "drugs"}};
  struct gw_breakdown_item other[] = {{"substance", "koffie"}};
  const char *path =
      write_targets("{\"municipality\":\"GM0384\",\"targets\":[\n"
                    " {\"indicator\":\"genotsmiddelengebruik_pct\","
                    "\"breakdown\":{\"substance\":\"drugs\"},\"year\":\"2023\","
                    "\"value\":40,\"note\":\"n\"},\n"
                    " {\"indicator\":\"bijstand_per_10k\",\"year\":\"2023\","
                    "\"marker\":\"NB\"}\n]}\n");
  const struct gw_target *e;
  cr_assert_eq(targets_load(path, cat, &t, err, sizeof err), 0, "%s", err);
  e = targets_find(t, "genotsmiddelengebruik_pct", drugs, 1, "2023");
  cr_assert_not_null(e);
  cr_expect(e->has_value);
  cr_expect_eq(e->value, 40.0);
  cr_expect_str_eq(e->note, "n");
  cr_expect_eq(e->line, 2);
  cr_expect_null(
      targets_find(t, "genotsmiddelengebruik_pct", other, 1, "2023"));
  cr_expect_null(targets_find(t, "genotsmiddelengebruik_pct", NULL, 0, "2023"));
  cr_expect_null(
      targets_find(t, "genotsmiddelengebruik_pct", drugs, 1, "2022"));
  e = targets_find(t, "bijstand_per_10k", NULL, 0, "2023");
  cr_assert_not_null(e);
  cr_expect_not(e->has_value);
  cr_expect_str_eq(e->marker, "NB");
  cr_expect_eq(targets_count(t), 2);
  cr_expect_null(targets_find(NULL, "bijstand_per_10k", NULL, 0, "2023"));
  targets_free(t);
  targets_free(NULL);
}

struct bad_case {
  const char *json;
  const char *expect[3];
};

#define ENTRY(x) "{\"municipality\":\"GM0384\",\"targets\":[\n" x "\n]}"

static const struct bad_case bad[] = {
    {"{\"municipality\":\"GM0384\",\"targets\":[", {"column", NULL}},
    {"[]", {"expected an object", NULL}},
    {"{\"targets\":[]}", {"municipality", "GM0384", NULL}},
    {"{\"municipality\":\"GM0384\"}", {"targets", "missing", NULL}},
    {"{\"municipality\":\"GM0384\",\"targets\":[],\"doelen\":1}",
     {"doelen", "unknown top-level key", NULL}},
    {ENTRY("{\"indicator\":\"no_such\",\"year\":\"2023\",\"value\":1}"),
     {":2:", "no_such", "not an indicator id"}},
    {ENTRY("{\"indicator\":\"bijstand_per_10k\",\"year\":2023,\"value\":1}"),
     {":2:", "targets[0].year", "\"2023\""}},
    {ENTRY("{\"indicator\":\"bijstand_per_10k\",\"year\":\"23\",\"value\":1}"),
     {":2:", "targets[0].year", NULL}},
    {ENTRY("{\"indicator\":\"bijstand_per_10k\",\"year\":\"2023\"}"),
     {":2:", "targets[0]", "either \"value\""}},
    {ENTRY("{\"indicator\":\"bijstand_per_10k\",\"year\":\"2023\","
           "\"value\":1,\"marker\":\"NB\"}"),
     {":2:", "either", NULL}},
    {ENTRY("{\"indicator\":\"bijstand_per_10k\",\"year\":\"2023\","
           "\"value\":\"400\"}"),
     {":2:", "targets[0].value", "expected a number"}},
    {ENTRY("{\"indicator\":\"bijstand_per_10k\",\"year\":\"2023\","
           "\"marker\":\"onbekend\"}"),
     {":2:", "targets[0].marker", "NB, n.n.b., N.v.t."}},
    {ENTRY("{\"indicator\":\"bijstand_per_10k\",\"year\":\"2023\","
           "\"value\":1,\"jaar\":\"2023\"}"),
     {":2:", "targets[0].jaar", "unknown key"}},
    {ENTRY("{\"indicator\":\"bijstand_per_10k\",\"breakdown\":{\"age\":"
           "\"0 jaar\"},\"year\":\"2023\",\"value\":1}"),
     {":2:", "no breakdown members", NULL}},
    {ENTRY("{\"indicator\":\"genotsmiddelengebruik_pct\",\"breakdown\":"
           "{\"substance\":\"koffie\"},\"year\":\"2023\",\"value\":1}"),
     {":2:", "not one of the breakdown members", "substance"}},
    {ENTRY("{\"indicator\":\"bijstand_per_10k\",\"breakdown\":[],"
           "\"year\":\"2023\",\"value\":1}"),
     {"targets[0].breakdown", "object", NULL}},
    {ENTRY("{\"indicator\":\"bijstand_per_10k\",\"year\":\"2023\",\"value\":1},"
           "\n{\"indicator\":\"bijstand_per_10k\",\"year\":\"2023\","
           "\"value\":2}"),
     {":3:", "targets[1]", "already given on line 2"}},
    {"{\"municipality\":\"GM0384\",\"targets\":[],\"werkelijk\":[\n"
     "{\"indicator\":\"bijstand_per_10k\",\"year\":\"2020\",\"value\":1}]}",
     {":2:", "werkelijk[0].value", "unknown key"}},
    {"{\"municipality\":\"GM0384\",\"targets\":[],\"werkelijk\":[\n"
     "{\"indicator\":\"bijstand_per_10k\",\"year\":\"2020\"}]}",
     {":2:", "werkelijk[0]", "marker"}},
    {"{\"municipality\":\"GM0384\",\"targets\":{}}",
     {"targets", "array", NULL}},
};

Test(targets, malformed_files_name_file_line_and_field) {
  size_t i, k;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct gw_targets *t = (struct gw_targets *)1;
    char err[512];
    const char *path = write_targets(bad[i].json);
    err[0] = '\0';
    cr_expect_eq(targets_load(path, cat, &t, err, sizeof err), -1,
                 "case %zu loaded", i);
    cr_expect_null(t, "case %zu", i);
    cr_expect_not_null(strstr(err, path), "case %zu: no file in \"%s\"", i,
                       err);
    for (k = 0; k < 3 && bad[i].expect[k]; k++)
      cr_expect_not_null(strstr(err, bad[i].expect[k]),
                         "case %zu: \"%s\" lacks \"%s\"", i, err,
                         bad[i].expect[k]);
  }
}

Test(targets, without_catalogue_any_indicator_is_accepted) {
  struct gw_targets *t = NULL;
  char err[512];
  const char *path = write_targets(
      ENTRY("{\"indicator\":\"elsewhere\",\"year\":\"2023\",\"value\":1}"));
  cr_expect_eq(targets_load(path, NULL, &t, err, sizeof err), 0, "%s", err);
  targets_free(t);
}

Test(targets, missing_file) {
  struct gw_targets *t = NULL;
  char err[512];
  cr_expect_eq(
      targets_load("/nonexistent/targets.json", cat, &t, err, sizeof err), -1);
  cr_expect_null(t);
  cr_expect_not_null(strstr(err, "/nonexistent/targets.json"), "%s", err);
}

Test(targets, every_allocation_failure_is_clean) {
  const char *path = ts_path(ts_source_dir(), "ops/targets/diemen.json");
  unsigned long nth;
  int succeeded = 0;
  /* the shipped file allocates about 700 times; fail a spread of them */
  for (nth = 1; nth < 3000 && !succeeded; nth += (nth < 40 ? 1 : 37)) {
    struct gw_targets *t = NULL;
    char err[512];
    gw_alloc_fail_at(nth);
    if (targets_load(path, cat, &t, err, sizeof err) == 0) {
      succeeded = 1;
    } else {
      cr_expect_null(t);
      cr_expect_not_null(strstr(err, "out of memory"), "nth %lu: %s", nth, err);
    }
    gw_alloc_fail_at(0);
    targets_free(t);
  }
  cr_expect(succeeded, "load never succeeded");
}
