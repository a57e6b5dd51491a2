/*
 * test_store.c - the SQLite observation store (DESIGN 6): staging is
 * invisible until commit, components are joined per key, identical
 * figures make no new revision, changed ones do and stay readable as-of,
 * a large run commits in bounded memory, run history counts failures since
 * the last success, and a database of schema version 1 is migrated.
 */
#include "gw_alloc.h"
#include "store.h"
#include "store_schema.h"
#include "text.h"
#include "test_support.h"
#include <criterion/criterion.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static char *tmp_dir;
static char db_path[4096];

static void make_tmp(void) {
  const char *dir = ts_mkdtemp();
  cr_assert_not_null(dir);
  tmp_dir = strdup(dir);
  cr_assert_not_null(tmp_dir);
  cr_assert_eq(text_copy(db_path, sizeof db_path, ts_path(tmp_dir, "gw.db")),
               0);
}

static void remove_tmp(void) {
  if (tmp_dir) {
    ts_rm_rf(tmp_dir);
    free(tmp_dir);
    tmp_dir = NULL;
  }
}

TestSuite(store, .init = make_tmp, .fini = remove_tmp, .timeout = 120);

/* ---- helpers --------------------------------------------------------- */

static struct gw_store *open_store(void) {
  struct gw_store *store = NULL;
  char err[GW_ERR_MAX] = "";
  cr_assert_eq(store_open(db_path, &store, err, sizeof err), 0, "open: %s",
               err);
  cr_assert_not_null(store);
  return store;
}

static struct gw_observation make_obs(const char *indicator, const char *area,
                                      const char *period,
                                      gw_component component, int has_value,
                                      double value) {
  struct gw_observation o;
  memset(&o, 0, sizeof o);
  cr_assert_eq(text_copy(o.indicator, sizeof o.indicator, indicator), 0);
  cr_assert_eq(text_copy(o.area, sizeof o.area, area), 0);
  o.area_level = strncmp(area, "GM", 2) == 0   ? GW_AREA_MUNICIPALITY
                 : strncmp(area, "WK", 2) == 0 ? GW_AREA_DISTRICT
                                               : GW_AREA_NEIGHBOURHOOD;
  cr_assert_eq(text_copy(o.period, sizeof o.period, period), 0);
  cr_assert_eq(text_copy(o.breakdown, sizeof o.breakdown, "{}"), 0);
  o.component = component;
  o.has_value = has_value;
  o.value = value;
  o.status = has_value ? GW_STATUS_FINAL : GW_STATUS_MISSING;
  cr_assert_eq(text_copy(o.unit, sizeof o.unit, "percent"), 0);
  cr_assert_eq(text_copy(o.plugin, sizeof o.plugin, "cbs_odata"), 0);
  cr_assert_eq(text_copy(o.dataset, sizeof o.dataset, "50120NED"), 0);
  cr_assert_eq(text_copy(o.source_code, sizeof o.source_code, "Eenzaam"), 0);
  cr_assert_eq(
      text_copy(o.fetched_at, sizeof o.fetched_at, "2024-03-01T10:00:00Z"), 0);
  cr_assert_eq(text_copy(o.payload_sha256, sizeof o.payload_sha256,
                         "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12"
                         "ab12ab12ab12"),
               0);
  cr_assert_eq(text_copy(o.span_id, sizeof o.span_id, "00f067aa0ba902b7"), 0);
  return o;
}

static struct gw_store_run *begin(struct gw_store *store, const char *source,
                                  const char *run_id) {
  struct gw_store_run *run = NULL;
  char err[GW_ERR_MAX] = "";
  cr_assert_eq(store_run_begin(store, source, run_id, &run, err, sizeof err), 0,
               "run begin: %s", err);
  return run;
}

static void stage(struct gw_store_run *run, const struct gw_observation *o) {
  char err[GW_ERR_MAX] = "";
  cr_assert_eq(store_run_stage(run, o, err, sizeof err), 0, "stage: %s", err);
}

static void stage_value(struct gw_store_run *run, const char *indicator,
                        const char *area, const char *period, double value) {
  struct gw_observation o =
      make_obs(indicator, area, period, GW_COMPONENT_VALUE, 1, value);
  stage(run, &o);
}

static struct gw_run_counts commit(struct gw_store_run *run, const char *when) {
  struct gw_run_counts counts;
  char err[GW_ERR_MAX] = "";
  memset(&counts, 0xff, sizeof counts);
  cr_assert_eq(store_run_commit(run, when, &counts, err, sizeof err), 0,
               "commit: %s", err);
  return counts;
}

static void expect_counts(struct gw_run_counts c, uint64_t staged,
                          uint64_t inserted, uint64_t revised,
                          uint64_t unchanged) {
  cr_expect_eq(c.staged, staged, "staged %llu, expected %llu",
               (unsigned long long)c.staged, (unsigned long long)staged);
  cr_expect_eq(c.inserted, inserted, "inserted %llu, expected %llu",
               (unsigned long long)c.inserted, (unsigned long long)inserted);
  cr_expect_eq(c.revised, revised, "revised %llu, expected %llu",
               (unsigned long long)c.revised, (unsigned long long)revised);
  cr_expect_eq(c.unchanged, unchanged, "unchanged %llu, expected %llu",
               (unsigned long long)c.unchanged, (unsigned long long)unchanged);
}

/* Rows of the whole observation table (all revisions), read directly. */
static long long raw_scalar(const char *sql) {
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  long long v;
  cr_assert_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL),
               SQLITE_OK);
  cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK, "%s",
               sqlite3_errmsg(db));
  cr_assert_eq(sqlite3_step(stmt), SQLITE_ROW, "%s", sqlite3_errmsg(db));
  v = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return v;
}

static char *raw_text(const char *sql, char *buf, size_t size) {
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  cr_assert_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL),
               SQLITE_OK);
  cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK, "%s",
               sqlite3_errmsg(db));
  cr_assert_eq(sqlite3_step(stmt), SQLITE_ROW, "%s", sqlite3_errmsg(db));
  cr_assert_eq(text_copy(buf, size,
                         sqlite3_column_text(stmt, 0)
                             ? (const char *)sqlite3_column_text(stmt, 0)
                             : "(null)"),
               0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return buf;
}

/* Collects query results for inspection. */
struct collected {
  struct gw_observation rows[64];
  size_t n;
  int stop_after; /* 0: never */
};

static int collect(const struct gw_observation *obs, void *user) {
  struct collected *c = user;
  cr_assert_lt(c->n, sizeof c->rows / sizeof c->rows[0]);
  c->rows[c->n++] = *obs;
  if (c->stop_after && c->n == (size_t)c->stop_after)
    return 7;
  return 0;
}

static void query(struct gw_store *store, const struct gw_query *q,
                  struct collected *out) {
  char err[GW_ERR_MAX] = "";
  memset(out, 0, sizeof *out);
  cr_assert_eq(store_query(store, q, collect, out, err, sizeof err), 0,
               "query: %s", err);
}

static uint64_t count(struct gw_store *store, const struct gw_query *q) {
  uint64_t n = 0;
  char err[GW_ERR_MAX] = "";
  cr_assert_eq(store_count(store, q, &n, err, sizeof err), 0, "count: %s", err);
  return n;
}

/* The one current row of a key (fails when there is not exactly one). */
static struct gw_observation current(struct gw_store *store,
                                     const char *indicator, const char *area,
                                     const char *period, const char *as_of) {
  const char *inds[] = {indicator, NULL};
  const char *areas[] = {area, NULL};
  struct gw_query q = {inds, areas, period, period, as_of};
  struct collected c;
  query(store, &q, &c);
  cr_assert_eq(c.n, 1, "%s/%s/%s: %zu rows", indicator, area, period, c.n);
  return c.rows[0];
}

/* ---- open ---------------------------------------------------------------- */

Test(store, open_creates_schema_in_wal_mode) {
  struct gw_store *store = open_store();
  char buf[64];
  cr_expect_str_eq(raw_text("PRAGMA journal_mode", buf, sizeof buf), "wal");
  cr_expect_eq(raw_scalar("PRAGMA user_version"), STORE_SCHEMA_VERSION);
  cr_expect_eq(raw_scalar("PRAGMA user_version"), 3);
  cr_expect_eq(raw_scalar("SELECT count(*) FROM sqlite_schema WHERE name IN"
                          " ('observation', 'http_validator', 'run',"
                          "  'observation_current', 'observation_history')"),
               5);
  store_close(store);
  /* Reopening an existing store keeps its data and does not recreate. */
  store = open_store();
  cr_expect_eq(count(store, NULL), 0);
  store_close(store);
}

/* New stores get 16 KiB pages (a quarter of the WAL index per commit, see
 * STORE_NEW_PAGE_SIZE); a store made with another page size keeps it and
 * works as before. */
Test(store, new_store_pages_are_16k_and_old_stores_keep_theirs) {
  struct gw_store *store = open_store();
  sqlite3 *db = NULL;
  struct gw_store_run *run;
  cr_expect_eq(raw_scalar("PRAGMA page_size"), 16384);
  store_close(store);

  cr_assert_eq(text_copy(db_path, sizeof db_path, ts_path(tmp_dir, "old.db")),
               0);
  cr_assert_eq(sqlite3_open(db_path, &db), SQLITE_OK);
  cr_assert_eq(sqlite3_exec(db,
                            "PRAGMA page_size=4096; PRAGMA journal_mode=WAL;"
                            "CREATE TABLE kept(x); INSERT INTO kept VALUES(1)",
                            NULL, NULL, NULL),
               SQLITE_OK, "%s", sqlite3_errmsg(db));
  sqlite3_close(db);
  store = open_store();
  run = begin(store, "rivm", "run-1");
  stage_value(run, "eenzaam", "GM0384", "2020", 48.5);
  expect_counts(commit(run, "2024-03-01T10:05:00Z"), 1, 1, 0, 0);
  cr_expect_eq(count(store, NULL), 1);
  store_close(store);
  cr_expect_eq(raw_scalar("PRAGMA page_size"), 4096);
  cr_expect_eq(raw_scalar("SELECT x FROM kept"), 1);
}

Test(store, open_refuses_newer_schema_and_non_databases) {
  struct gw_store *store = open_store();
  sqlite3 *db = NULL;
  char err[GW_ERR_MAX] = "";
  store_close(store);
  cr_assert_eq(sqlite3_open(db_path, &db), SQLITE_OK);
  cr_assert_eq(sqlite3_exec(db, "PRAGMA user_version=99", NULL, NULL, NULL),
               SQLITE_OK);
  sqlite3_close(db);
  store = NULL;
  cr_expect_eq(store_open(db_path, &store, err, sizeof err), -1);
  cr_expect_null(store);
  cr_expect(strstr(err, "newer") && strstr(err, db_path), "message: %s", err);

  const char *junk = ts_path(tmp_dir, "junk.db");
  cr_assert_eq(ts_write_file(junk, "this is not an SQLite database, at all. "
                                   "padding padding padding padding padding "
                                   "padding padding padding padding padding"),
               0);
  err[0] = '\0';
  cr_expect_eq(store_open(junk, &store, err, sizeof err), -1);
  cr_expect(strstr(err, "store: open") && strstr(err, junk), "message: %s",
            err);
}

/* Every host allocation of open and run begin may fail; each failure is
 * reported and leaves nothing behind (ASan/valgrind check the leaks). */
Test(store, allocation_failures_are_reported_cleanly) {
  struct gw_store *store = NULL;
  struct gw_store_run *run = NULL;
  char err[GW_ERR_MAX];
  unsigned long n;
  for (n = 1; n <= 2; n++) {
    err[0] = '\0';
    gw_alloc_fail_at(n);
    cr_expect_eq(store_open(db_path, &store, err, sizeof err), -1, "n=%lu", n);
    cr_expect(strstr(err, "out of memory"), "n=%lu: %s", n, err);
    cr_expect_null(store);
  }
  gw_alloc_fail_at(0);
  store = open_store();
  for (n = 1; n <= 3; n++) {
    err[0] = '\0';
    gw_alloc_fail_at(n);
    cr_expect_eq(store_run_begin(store, "rivm", "r1", &run, err, sizeof err),
                 -1, "n=%lu", n);
    cr_expect(strstr(err, "out of memory"), "n=%lu: %s", n, err);
    cr_expect_null(run);
  }
  gw_alloc_fail_at(0);
  run = begin(store, "rivm", "r1");
  stage_value(run, "eenzaam", "GM0384", "2020", 1.0);
  expect_counts(commit(run, "2024-01-01T00:00:00Z"), 1, 1, 0, 0);
  store_close(store);
}

/* ---- commit and revisions ------------------------------------------------ */

Test(store, commit_inserts_new_keys) {
  struct gw_store *store = open_store();
  struct gw_store_run *run = begin(store, "rivm", "run-1");
  stage_value(run, "eenzaam", "GM0384", "2020", 48.5);
  stage_value(run, "eenzaam", "GM0363", "2020", 51.0);
  stage_value(run, "roker", "GM0384", "2020", 17.25);
  expect_counts(commit(run, "2024-03-01T10:05:00Z"), 3, 3, 0, 0);
  cr_expect_eq(count(store, NULL), 3);

  struct gw_observation o = current(store, "eenzaam", "GM0384", "2020", NULL);
  cr_expect(o.has_value);
  cr_expect_eq(o.value, 48.5);
  cr_expect_eq(o.revision, 1);
  cr_expect_eq(o.status, GW_STATUS_FINAL);
  cr_expect_eq(o.area_level, GW_AREA_MUNICIPALITY);
  cr_expect_str_eq(o.source_id, "rivm");
  cr_expect_str_eq(o.unit, "percent");
  cr_expect_str_eq(o.breakdown, "{}");
  cr_expect_str_eq(o.plugin, "cbs_odata");
  cr_expect_str_eq(o.dataset, "50120NED");
  cr_expect_str_eq(o.source_code, "Eenzaam");
  cr_expect_str_eq(o.fetched_at, "2024-03-01T10:00:00Z");
  cr_expect_str_eq(o.span_id, "00f067aa0ba902b7");
  cr_expect(!o.has_ci_low && !o.has_ci_high);
  char buf[64];
  cr_expect_str_eq(
      raw_text("SELECT run_id FROM observation LIMIT 1", buf, sizeof buf),
      "run-1");
  store_close(store);
}

Test(store, identical_reimport_writes_nothing) {
  struct gw_store *store = open_store();
  struct gw_store_run *run = begin(store, "rivm", "run-1");
  stage_value(run, "eenzaam", "GM0384", "2020", 48.5);
  stage_value(run, "eenzaam", "GM0384", "2022", 50.0);
  expect_counts(commit(run, "2024-03-01T10:05:00Z"), 2, 2, 0, 0);

  run = begin(store, "rivm", "run-2");
  stage_value(run, "eenzaam", "GM0384", "2022", 50.0);
  stage_value(run, "eenzaam", "GM0384", "2020", 48.5);
  expect_counts(commit(run, "2024-04-01T10:05:00Z"), 2, 0, 0, 2);
  cr_expect_eq(raw_scalar("SELECT count(*) FROM observation"), 2);
  cr_expect_eq(raw_scalar("SELECT count(*) FROM observation"
                          " WHERE run_id = 'run-2'"),
               0);
  store_close(store);
}

Test(store, changed_value_gets_revision_two_and_closes_old_row) {
  struct gw_store *store = open_store();
  struct gw_store_run *run = begin(store, "rivm", "run-1");
  stage_value(run, "eenzaam", "GM0384", "2020", 48.5);
  stage_value(run, "eenzaam", "GM0363", "2020", 51.0);
  commit(run, "2024-03-01T10:05:00Z");

  run = begin(store, "rivm", "run-2");
  stage_value(run, "eenzaam", "GM0384", "2020", 48.7);
  stage_value(run, "eenzaam", "GM0363", "2020", 51.0);
  stage_value(run, "eenzaam", "GM0384", "2022", 49.0);
  expect_counts(commit(run, "2024-04-01T10:05:00Z"), 3, 1, 1, 1);

  struct gw_observation o = current(store, "eenzaam", "GM0384", "2020", NULL);
  cr_expect_eq(o.revision, 2);
  cr_expect_eq(o.value, 48.7);
  cr_expect_eq(raw_scalar("SELECT count(*) FROM observation"), 4);
  char buf[64];
  cr_expect_str_eq(raw_text("SELECT valid_to FROM observation WHERE"
                            " area = 'GM0384' AND period = '2020'"
                            " AND revision = 1",
                            buf, sizeof buf),
                   "2024-04-01T10:05:00Z");
  cr_expect_str_eq(raw_text("SELECT valid_from FROM observation WHERE"
                            " area = 'GM0384' AND period = '2020'"
                            " AND revision = 2",
                            buf, sizeof buf),
                   "2024-04-01T10:05:00Z");
  cr_expect_eq(raw_scalar("SELECT count(*) FROM observation"
                          " WHERE valid_to IS NULL"),
               3);
  store_close(store);
}

Test(store, null_and_value_changes_are_detected_both_ways) {
  struct gw_store *store = open_store();
  struct gw_observation missing =
      make_obs("eenzaam", "BU03840001", "2020", GW_COMPONENT_VALUE, 0, 0);
  missing.status = GW_STATUS_SUPPRESSED;
  struct gw_store_run *run = begin(store, "rivm", "r1");
  stage_value(run, "eenzaam", "BU03840001", "2020", 12.0);
  expect_counts(commit(run, "2024-01-01T00:00:00Z"), 1, 1, 0, 0);

  run = begin(store, "rivm", "r2"); /* value -> suppressed, no value */
  stage(run, &missing);
  expect_counts(commit(run, "2024-02-01T00:00:00Z"), 1, 0, 1, 0);
  struct gw_observation o =
      current(store, "eenzaam", "BU03840001", "2020", NULL);
  cr_expect(!o.has_value);
  cr_expect_eq(o.status, GW_STATUS_SUPPRESSED);
  cr_expect_eq(o.revision, 2);

  run = begin(store, "rivm", "r3"); /* same absence again: unchanged */
  stage(run, &missing);
  expect_counts(commit(run, "2024-03-01T00:00:00Z"), 1, 0, 0, 1);

  run = begin(store, "rivm", "r4"); /* no value -> value */
  stage_value(run, "eenzaam", "BU03840001", "2020", 12.0);
  expect_counts(commit(run, "2024-04-01T00:00:00Z"), 1, 0, 1, 0);
  o = current(store, "eenzaam", "BU03840001", "2020", NULL);
  cr_expect(o.has_value);
  cr_expect_eq(o.revision, 3);

  /* A bound that appears, changes or disappears is a change too. */
  struct gw_observation low =
      make_obs("eenzaam", "BU03840001", "2020", GW_COMPONENT_CI_LOW, 1, 10.0);
  run = begin(store, "rivm", "r5");
  stage_value(run, "eenzaam", "BU03840001", "2020", 12.0);
  stage(run, &low);
  expect_counts(commit(run, "2024-05-01T00:00:00Z"), 2, 0, 1, 0);
  run = begin(store, "rivm", "r6");
  stage_value(run, "eenzaam", "BU03840001", "2020", 12.0);
  expect_counts(commit(run, "2024-06-01T00:00:00Z"), 1, 0, 1, 0);
  o = current(store, "eenzaam", "BU03840001", "2020", NULL);
  cr_expect(!o.has_ci_low);
  cr_expect_eq(o.revision, 5);

  /* Status alone (final -> provisional) and unit alone are changes. */
  struct gw_observation prov =
      make_obs("eenzaam", "BU03840001", "2020", GW_COMPONENT_VALUE, 1, 12.0);
  prov.status = GW_STATUS_PROVISIONAL;
  run = begin(store, "rivm", "r7");
  stage(run, &prov);
  expect_counts(commit(run, "2024-07-01T00:00:00Z"), 1, 0, 1, 0);
  cr_assert_eq(text_copy(prov.unit, sizeof prov.unit, "per_1000"), 0);
  run = begin(store, "rivm", "r8");
  stage(run, &prov);
  expect_counts(commit(run, "2024-08-01T00:00:00Z"), 1, 0, 1, 0);
  /* Provenance alone (a new fetch of the same figure) is not. */
  cr_assert_eq(text_copy(prov.fetched_at, sizeof prov.fetched_at,
                         "2024-09-01T00:00:00Z"),
               0);
  run = begin(store, "rivm", "r9");
  stage(run, &prov);
  expect_counts(commit(run, "2024-09-01T00:00:00Z"), 1, 0, 0, 1);
  store_close(store);
}

/* value, ci_low and ci_high staged in any order, thousands of rows and
 * a staging batch boundary apart. */
Test(store, components_are_joined_across_thousands_of_rows) {
  struct gw_store *store = open_store();
  struct gw_store_run *run = begin(store, "rivm", "r1");
  struct gw_observation hi =
      make_obs("eenzaam", "GM0384", "2022", GW_COMPONENT_CI_HIGH, 1, 52.5);
  struct gw_observation lo =
      make_obs("eenzaam", "GM0384", "2022", GW_COMPONENT_CI_LOW, 1, 44.25);
  struct gw_observation val =
      make_obs("eenzaam", "GM0384", "2022", GW_COMPONENT_VALUE, 1, 48.0);
  struct gw_observation only_lo =
      make_obs("roker", "GM0384", "2022", GW_COMPONENT_CI_LOW, 1, 1.5);
  struct gw_observation only_hi =
      make_obs("roker", "GM0384", "2022", GW_COMPONENT_CI_HIGH, 1, 3.5);
  /* A VALUE row may carry its bounds itself. */
  struct gw_observation whole =
      make_obs("overgewicht", "GM0384", "2022", GW_COMPONENT_VALUE, 1, 50.0);
  whole.has_ci_low = whole.has_ci_high = 1;
  whole.ci_low = 47.0;
  whole.ci_high = 53.0;
  char area[GW_AREA_MAX];
  int i;

  stage(run, &hi);
  stage(run, &only_hi);
  for (i = 0; i < 11000; i++) {
    cr_assert_eq(text_format(area, sizeof area, "BU%08d", i), 0);
    stage_value(run, "eenzaam", area, "2022", i * 0.5);
  }
  stage(run, &val);
  stage(run, &whole);
  for (i = 0; i < 2000; i++) {
    struct gw_observation other;
    cr_assert_eq(text_format(area, sizeof area, "BU%08d", i), 0);
    other = make_obs("eenzaam", area, "2022", GW_COMPONENT_CI_HIGH, 1, i);
    stage(run, &other);
  }
  stage(run, &lo);
  stage(run, &only_lo);
  expect_counts(commit(run, "2024-03-01T00:00:00Z"), 13008, 11003, 0, 0);

  struct gw_observation o = current(store, "eenzaam", "GM0384", "2022", NULL);
  cr_expect(o.has_value && o.has_ci_low && o.has_ci_high);
  cr_expect_eq(o.value, 48.0);
  cr_expect_eq(o.ci_low, 44.25);
  cr_expect_eq(o.ci_high, 52.5);
  cr_expect_eq(o.status, GW_STATUS_FINAL);

  /* Bounds without a value are dropped: the bounds of a missing or
   * suppressed cell would disclose what the source withheld (and no feed
   * may publish them). */
  o = current(store, "roker", "GM0384", "2022", NULL);
  cr_expect(!o.has_value);
  cr_expect_eq(o.status, GW_STATUS_MISSING);
  cr_expect(!o.has_ci_low && !o.has_ci_high);
  cr_expect_str_eq(o.unit, "percent");

  o = current(store, "overgewicht", "GM0384", "2022", NULL);
  cr_expect(o.has_value && o.has_ci_low && o.has_ci_high);
  cr_expect_eq(o.ci_low, 47.0);
  cr_expect_eq(o.ci_high, 53.0);

  o = current(store, "eenzaam", "BU00001999", "2022", NULL);
  cr_expect_eq(o.value, 1999 * 0.5);
  cr_expect(o.has_ci_high && !o.has_ci_low);
  cr_expect_eq(o.ci_high, 1999.0);
  o = current(store, "eenzaam", "BU00002000", "2022", NULL);
  cr_expect(!o.has_ci_high);
  store_close(store);
}

Test(store, breakdown_is_part_of_the_key) {
  struct gw_store *store = open_store();
  struct gw_store_run *run = begin(store, "rivm", "r1");
  struct gw_observation young =
      make_obs("eenzaam", "GM0384", "2022", GW_COMPONENT_VALUE, 1, 40.0);
  struct gw_observation old =
      make_obs("eenzaam", "GM0384", "2022", GW_COMPONENT_VALUE, 1, 60.0);
  cr_assert_eq(text_copy(young.breakdown, sizeof young.breakdown,
                         "{\"age\":\"18 tot 65 jaar\"}"),
               0);
  cr_assert_eq(text_copy(old.breakdown, sizeof old.breakdown,
                         "{\"age\":\"65 jaar of ouder\"}"),
               0);
  stage(run, &old);
  stage(run, &young);
  stage_value(run, "eenzaam", "GM0384", "2022", 48.0);
  expect_counts(commit(run, "2024-03-01T00:00:00Z"), 3, 3, 0, 0);
  struct collected c;
  query(store, NULL, &c);
  cr_assert_eq(c.n, 3);
  /* ordered by breakdown text within the key */
  cr_expect_str_eq(c.rows[0].breakdown, "{\"age\":\"18 tot 65 jaar\"}");
  cr_expect_str_eq(c.rows[1].breakdown, "{\"age\":\"65 jaar of ouder\"}");
  cr_expect_str_eq(c.rows[2].breakdown, "{}");
  cr_expect_eq(c.rows[1].value, 60.0);
  store_close(store);
}

Test(store, abort_leaves_the_store_unchanged) {
  struct gw_store *store = open_store();
  struct gw_store_run *run = begin(store, "rivm", "r1");
  char err[GW_ERR_MAX] = "";
  stage_value(run, "eenzaam", "GM0384", "2020", 48.5);
  commit(run, "2024-03-01T00:00:00Z");

  run = begin(store, "rivm", "r2");
  stage_value(run, "eenzaam", "GM0384", "2020", 99.0);
  stage_value(run, "eenzaam", "GM0384", "2021", 50.0);
  cr_assert_eq(store_run_stage_validator(run, "https://example/x", "\"e1\"",
                                         NULL, NULL, err, sizeof err),
               0, "%s", err);
  store_run_abort(run);
  cr_expect_eq(raw_scalar("SELECT count(*) FROM observation"), 1);
  cr_expect_eq(current(store, "eenzaam", "GM0384", "2020", NULL).value, 48.5);
  cr_expect_eq(raw_scalar("SELECT count(*) FROM http_validator"), 0);
  store_run_abort(NULL); /* harmless */
  store_close(store);
}

Test(store, failed_stage_poisons_the_run) {
  struct gw_store *store = open_store();
  struct gw_store_run *run = begin(store, "rivm", "r1");
  struct gw_observation bad =
      make_obs("eenzaam", "GM0384", "2020", GW_COMPONENT_VALUE, 1, 1.0);
  struct gw_run_counts counts;
  char err[GW_ERR_MAX] = "";
  stage_value(run, "eenzaam", "GM0384", "2021", 2.0);
  cr_assert_eq(text_copy(bad.source_id, sizeof bad.source_id, "cbs"), 0);
  cr_expect_eq(store_run_stage(run, &bad, err, sizeof err), -1);
  cr_expect(strstr(err, "'cbs'") && strstr(err, "'rivm'"), "message: %s", err);
  cr_expect_eq(
      store_run_commit(run, "2024-01-01T00:00:00Z", &counts, err, sizeof err),
      -1);
  cr_expect(strstr(err, "store: commit"), "message: %s", err);
  cr_expect_eq(raw_scalar("SELECT count(*) FROM observation"), 0);
  store_close(store);
}

Test(store, invalid_observations_are_refused) {
  struct gw_store *store = open_store();
  struct gw_store_run *run = begin(store, "rivm", "r1");
  char err[GW_ERR_MAX] = "";
  struct gw_observation o =
      make_obs("eenzaam", "GM0384", "2020", GW_COMPONENT_VALUE, 1, 0.0);
  o.value = 1.0 / 0.0;
  cr_expect_eq(store_run_stage(run, &o, err, sizeof err), -1);
  cr_expect(strstr(err, "finite"), "message: %s", err);
  o = make_obs("eenzaam", "GM0384", "2020", GW_COMPONENT_VALUE, 1, 0.0);
  o.area_level = GW_AREA_UNKNOWN;
  cr_expect_eq(store_run_stage(run, &o, err, sizeof err), -1);
  cr_expect(strstr(err, "area level"), "message: %s", err);
  o = make_obs("eenzaam", "GM0384", "2020", GW_COMPONENT_VALUE, 1, 0.0);
  o.period[0] = '\0';
  cr_expect_eq(store_run_stage(run, &o, err, sizeof err), -1);
  cr_expect(strstr(err, "period is empty"), "message: %s", err);
  o = make_obs("eenzaam", "GM0384", "2020", GW_COMPONENT_VALUE, 1, 0.0);
  memset(o.unit, 'x', sizeof o.unit);
  cr_expect_eq(store_run_stage(run, &o, err, sizeof err), -1);
  cr_expect(strstr(err, "unit is not NUL-terminated"), "message: %s", err);
  o = make_obs("eenzaam", "GM0384", "2020", (gw_component)9, 1, 0.0);
  cr_expect_eq(store_run_stage(run, &o, err, sizeof err), -1);
  store_run_abort(run);
  store_close(store);
}

/* ---- validators -----------------------------------------------------------
 */

static int get_validator(struct gw_store *store, const char *url, char *etag,
                         char *lm, char *sha) {
  char err[GW_ERR_MAX] = "";
  int rc = store_get_validator(store, url, etag, 64, lm, 64, sha,
                               GW_SHA256_HEX_SIZE, err, sizeof err);
  cr_assert_neq(rc, -1, "get validator: %s", err);
  return rc;
}

Test(store, validators_appear_only_with_a_commit) {
  struct gw_store *store = open_store();
  const char *url = "https://opendata.cbs.nl/ODataFeed/odata/50120NED/"
                    "TypedDataSet?$skip=200";
  char etag[64], lm[64], sha[GW_SHA256_HEX_SIZE], err[GW_ERR_MAX] = "";
  struct gw_store_run *run = begin(store, "rivm", "r1");
  cr_assert_eq(store_run_stage_validator(run, url, "\"abc\"",
                                         "Tue, 05 Mar 2024 10:00:00 GMT",
                                         "ff00", err, sizeof err),
               0, "%s", err);
  cr_expect_eq(get_validator(store, url, etag, lm, sha), 1);
  commit(run, "2024-03-05T10:00:01Z");
  cr_assert_eq(get_validator(store, url, etag, lm, sha), 0);
  cr_expect_str_eq(etag, "\"abc\"");
  cr_expect_str_eq(lm, "Tue, 05 Mar 2024 10:00:00 GMT");
  cr_expect_str_eq(sha, "ff00");

  /* A later run replaces it; absent headers read back as "". */
  run = begin(store, "rivm", "r2");
  cr_assert_eq(store_run_stage_validator(run, url, "\"def\"", NULL, "ee11", err,
                                         sizeof err),
               0, "%s", err);
  commit(run, "2024-04-05T10:00:01Z");
  cr_assert_eq(get_validator(store, url, etag, lm, sha), 0);
  cr_expect_str_eq(etag, "\"def\"");
  cr_expect_str_eq(lm, "");
  cr_expect_str_eq(sha, "ee11");

  /* An aborted run does not touch it. */
  run = begin(store, "rivm", "r3");
  cr_assert_eq(store_run_stage_validator(run, url, "\"zzz\"", NULL, NULL, err,
                                         sizeof err),
               0, "%s", err);
  cr_assert_eq(store_run_stage_validator(run, "https://other/", "\"o\"", NULL,
                                         NULL, err, sizeof err),
               0, "%s", err);
  store_run_abort(run);
  cr_assert_eq(get_validator(store, url, etag, lm, sha), 0);
  cr_expect_str_eq(etag, "\"def\"");
  cr_expect_eq(get_validator(store, "https://other/", etag, lm, sha), 1);

  /* A buffer too small is an error, not a cut ETag. */
  char tiny[4];
  cr_expect_eq(store_get_validator(store, url, tiny, sizeof tiny, lm, sizeof lm,
                                   sha, sizeof sha, err, sizeof err),
               -1);
  cr_expect(strstr(err, "ETag"), "message: %s", err);
  store_close(store);
}

/* ---- queries ----------------------------------------------------------------
 */

Test(store, as_of_returns_the_revision_valid_then) {
  struct gw_store *store = open_store();
  struct gw_store_run *run = begin(store, "cbs", "r1");
  stage_value(run, "bijstand", "GM0384", "2021", 310.0);
  commit(run, "2024-01-10T08:00:00Z");
  run = begin(store, "cbs", "r2");
  stage_value(run, "bijstand", "GM0384", "2021", 305.0);
  commit(run, "2024-02-10T08:00:00Z");

  struct gw_observation o =
      current(store, "bijstand", "GM0384", "2021", "2024-01-20T00:00:00Z");
  cr_expect_eq(o.value, 310.0);
  cr_expect_eq(o.revision, 1);
  o = current(store, "bijstand", "GM0384", "2021", "2024-02-10T08:00:00Z");
  cr_expect_eq(o.value, 305.0); /* valid_from is inclusive */
  cr_expect_eq(o.revision, 2);
  o = current(store, "bijstand", "GM0384", "2021", "2024-02-10T07:59:59Z");
  cr_expect_eq(o.revision, 1); /* valid_to is exclusive */
  o = current(store, "bijstand", "GM0384", "2021", NULL);
  cr_expect_eq(o.value, 305.0);
  struct gw_query before = {NULL, NULL, NULL, NULL, "2024-01-01T00:00:00Z"};
  cr_expect_eq(count(store, &before), 0);
  store_close(store);
}

static struct gw_store *filter_fixture(void) {
  struct gw_store *store = open_store();
  struct gw_store_run *run = begin(store, "cbs", "r1");
  const char *inds[] = {"banen", "bijstand", "wmo"};
  const char *areas[] = {"GM0384", "GM0363", "WK038401"};
  const char *periods[] = {"2019", "2020", "2021", "2021-Q3", "2022"};
  size_t i, j, k;
  for (i = 0; i < 3; i++)
    for (j = 0; j < 3; j++)
      for (k = 0; k < 5; k++)
        stage_value(run, inds[i], areas[j], periods[k],
                    (double)(i * 100 + j * 10 + k));
  expect_counts(commit(run, "2024-01-10T08:00:00Z"), 45, 45, 0, 0);
  return store;
}

Test(store, filters_by_indicator_area_and_period) {
  struct gw_store *store = filter_fixture();
  const char *inds[] = {"wmo", "banen", NULL};
  const char *areas[] = {"GM0384", NULL};
  const char *none[] = {NULL};
  struct collected c;

  struct gw_query q = {inds, NULL, NULL, NULL, NULL};
  cr_expect_eq(count(store, &q), 30);
  q = (struct gw_query){inds, areas, NULL, NULL, NULL};
  query(store, &q, &c);
  cr_assert_eq(c.n, 10);
  cr_expect_str_eq(c.rows[0].indicator, "banen"); /* ordered */
  cr_expect_str_eq(c.rows[0].period, "2019");
  cr_expect_str_eq(c.rows[9].indicator, "wmo");
  cr_expect_str_eq(c.rows[9].period, "2022");
  for (size_t i = 0; i < c.n; i++)
    cr_expect_str_eq(c.rows[i].area, "GM0384");

  /* "to 2021" includes the quarter 2021-Q3; "from 2020" excludes 2019. */
  q = (struct gw_query){inds, areas, "2020", "2021", NULL};
  query(store, &q, &c);
  cr_assert_eq(c.n, 6);
  cr_expect_str_eq(c.rows[0].period, "2020");
  cr_expect_str_eq(c.rows[1].period, "2021");
  cr_expect_str_eq(c.rows[2].period, "2021-Q3");
  cr_expect_eq(c.rows[2].value, 3.0);
  q = (struct gw_query){NULL, NULL, "2022", NULL, NULL};
  cr_expect_eq(count(store, &q), 9);
  q = (struct gw_query){NULL, NULL, NULL, "2019", NULL};
  cr_expect_eq(count(store, &q), 9);
  q = (struct gw_query){none, NULL, NULL, NULL, NULL};
  cr_expect_eq(count(store, &q), 0);
  cr_expect_eq(count(store, NULL), 45);

  /* The callback can stop the query and its value is returned. */
  char err[GW_ERR_MAX] = "";
  memset(&c, 0, sizeof c);
  c.stop_after = 4;
  cr_expect_eq(store_query(store, NULL, collect, &c, err, sizeof err), 7);
  cr_expect_eq(c.n, 4);
  store_close(store);
}

Test(store, too_long_lists_are_refused) {
  struct gw_store *store = filter_fixture();
  const char *many[502];
  char names[501][16];
  uint64_t n = 0;
  char err[GW_ERR_MAX] = "";
  for (int i = 0; i < 501; i++) {
    cr_assert_eq(text_format(names[i], sizeof names[i], "ind%d", i), 0);
    many[i] = names[i];
  }
  many[501] = NULL;
  struct gw_query q = {many, NULL, NULL, NULL, NULL};
  cr_expect_eq(store_count(store, &q, &n, err, sizeof err), -1);
  cr_expect(strstr(err, "500"), "message: %s", err);
  many[500] = NULL; /* exactly 500 is fine */
  many[0] = "wmo";
  cr_expect_eq(store_count(store, &q, &n, err, sizeof err), 0, "%s", err);
  cr_expect_eq(n, 15);
  store_close(store);
}

/* ---- concurrency ----------------------------------------------------------
 */

Test(store, two_runs_staged_concurrently_both_commit) {
  struct gw_store *store = open_store();
  struct gw_store_run *a = begin(store, "cbs", "run-a");
  struct gw_store_run *b = begin(store, "rivm", "run-b");
  char area[GW_AREA_MAX];
  int i;
  /* Interleaved, and past a batch boundary so both have committed
   * staging batches while the other stages. */
  for (i = 0; i < 10500; i++) {
    cr_assert_eq(text_format(area, sizeof area, "BU%08d", i), 0);
    stage_value(a, "bijstand", area, "2022", i);
    stage_value(b, "eenzaam", area, "2022", i);
  }
  expect_counts(commit(b, "2024-03-01T00:00:01Z"), 10500, 10500, 0, 0);
  /* The store is readable while run a is still open. */
  cr_expect_eq(count(store, NULL), 10500);
  expect_counts(commit(a, "2024-03-01T00:00:02Z"), 10500, 10500, 0, 0);
  cr_expect_eq(count(store, NULL), 21000);
  /* Same key under two sources: two observations. */
  a = begin(store, "cbs", "run-a2");
  stage_value(a, "eenzaam", "BU00000001", "2022", 1.0);
  expect_counts(commit(a, "2024-03-02T00:00:00Z"), 1, 1, 0, 0);
  const char *inds[] = {"eenzaam", NULL};
  const char *areas[] = {"BU00000001", NULL};
  struct gw_query q = {inds, areas, NULL, NULL, NULL};
  struct collected c;
  query(store, &q, &c);
  cr_assert_eq(c.n, 2);
  cr_expect_str_eq(c.rows[0].source_id, "cbs");
  cr_expect_str_eq(c.rows[1].source_id, "rivm");
  store_close(store);
}

struct thread_job {
  struct gw_store *store;
  const char *source;
  const char *commit_time;
  int rows;
  int rc;
  struct gw_run_counts counts;
  char err[GW_ERR_MAX];
};

static void *thread_run(void *arg) {
  struct thread_job *job = arg;
  struct gw_store_run *run = NULL;
  char area[GW_AREA_MAX];
  job->rc = store_run_begin(job->store, job->source, job->source, &run,
                            job->err, sizeof job->err);
  for (int i = 0; job->rc == 0 && i < job->rows; i++) {
    struct gw_observation o;
    memset(&o, 0, sizeof o);
    (void)text_format(area, sizeof area, "BU%08d", i);
    (void)text_copy(o.indicator, sizeof o.indicator, "x");
    (void)text_copy(o.area, sizeof o.area, area);
    (void)text_copy(o.period, sizeof o.period, "2022");
    (void)text_copy(o.unit, sizeof o.unit, "count");
    o.area_level = GW_AREA_NEIGHBOURHOOD;
    o.has_value = 1;
    o.value = i;
    o.status = GW_STATUS_FINAL;
    job->rc = store_run_stage(run, &o, job->err, sizeof job->err);
  }
  if (job->rc == 0)
    job->rc = store_run_commit(run, job->commit_time, &job->counts, job->err,
                               sizeof job->err);
  else
    store_run_abort(run);
  return NULL;
}

Test(store, runs_in_threads_commit_concurrently) {
  struct gw_store *store = open_store();
  struct thread_job jobs[3] = {
      {store, "s1", "2024-03-01T00:00:01Z", 20000, -1, {0, 0, 0, 0}, ""},
      {store, "s2", "2024-03-01T00:00:02Z", 20000, -1, {0, 0, 0, 0}, ""},
      {store, "s3", "2024-03-01T00:00:03Z", 20000, -1, {0, 0, 0, 0}, ""},
  };
  pthread_t threads[3];
  for (int i = 0; i < 3; i++)
    cr_assert_eq(pthread_create(&threads[i], NULL, thread_run, &jobs[i]), 0);
  for (int i = 0; i < 3; i++) {
    cr_assert_eq(pthread_join(threads[i], NULL), 0);
    cr_expect_eq(jobs[i].rc, 0, "%s: %s", jobs[i].source, jobs[i].err);
    cr_expect_eq(jobs[i].counts.inserted, 20000);
  }
  cr_expect_eq(count(store, NULL), 60000);
  store_close(store);
}

struct lock_holder {
  const char *path;
  int seconds;
  pthread_mutex_t mutex;
  pthread_cond_t cond;
  int locked;
};

static void *hold_write_lock(void *arg) {
  struct lock_holder *h = arg;
  sqlite3 *db = NULL;
  if (sqlite3_open(h->path, &db) == SQLITE_OK &&
      sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK) {
    pthread_mutex_lock(&h->mutex);
    h->locked = 1;
    pthread_cond_signal(&h->cond);
    pthread_mutex_unlock(&h->mutex);
    sleep((unsigned)h->seconds);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
  } else {
    pthread_mutex_lock(&h->mutex);
    h->locked = -1;
    pthread_cond_signal(&h->cond);
    pthread_mutex_unlock(&h->mutex);
  }
  sqlite3_close(db);
  return NULL;
}

static double now_seconds(void);

/* Another writer holding the lock longer than the 10 s busy timeout
 * (a long commit of another source) must not cost a staged run. */
Test(store, commit_waits_for_a_long_writer, .timeout = 60) {
  struct gw_store *store = open_store();
  struct gw_store_run *run = begin(store, "rivm", "r1");
  struct lock_holder h = {db_path, 11, PTHREAD_MUTEX_INITIALIZER,
                          PTHREAD_COND_INITIALIZER, 0};
  pthread_t thread;
  double t0;
  stage_value(run, "eenzaam", "GM0384", "2020", 48.5);
  cr_assert_eq(pthread_create(&thread, NULL, hold_write_lock, &h), 0);
  pthread_mutex_lock(&h.mutex);
  while (h.locked == 0)
    pthread_cond_wait(&h.cond, &h.mutex);
  pthread_mutex_unlock(&h.mutex);
  cr_assert_eq(h.locked, 1, "could not take the write lock");
  t0 = now_seconds();
  expect_counts(commit(run, "2024-03-01T00:00:00Z"), 1, 1, 0, 0);
  cr_expect_geq(now_seconds() - t0, 10.0, "commit did not wait for the lock");
  cr_assert_eq(pthread_join(thread, NULL), 0);
  cr_expect_eq(count(store, NULL), 1);
  store_close(store);
}

/* ---- scale ----------------------------------------------------------------
 */

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long max_rss_kib(void) {
  struct rusage ru;
  cr_assert_eq(getrusage(RUSAGE_SELF, &ru), 0);
  return ru.ru_maxrss;
}

/* ASan keeps freed blocks in quarantine (256 MB by default) and adds
 * shadow memory, so the process RSS says little about the store there;
 * SQLite's own allocation high-water mark is checked in every build. */
#if defined(__SANITIZE_ADDRESS__)
#define RSS_GROWTH_LIMIT_KIB (1024L * 1024)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RSS_GROWTH_LIMIT_KIB (1024L * 1024)
#endif
#endif
#ifndef RSS_GROWTH_LIMIT_KIB
#define RSS_GROWTH_LIMIT_KIB (100L * 1024)
#endif

/* 200,000 rows: 100k values plus 100k bounds for the same keys, so the
 * join does real work; then a second identical commit. */
Test(store, two_hundred_thousand_rows_in_flat_memory, .timeout = 240) {
  struct gw_store *store = open_store();
  struct gw_store_run *run = begin(store, "rivm", "big");
  struct gw_observation o =
      make_obs("eenzaam", "BU00000000", "2022", GW_COMPONENT_VALUE, 1, 0);
  long rss_before = max_rss_kib();
  sqlite3_int64 sqlite_peak;
  (void)sqlite3_memory_highwater(1);
  double t0 = now_seconds(), t_staged, t_committed;
  int i;
  for (i = 0; i < 200000; i++) {
    int key = i % 100000;
    (void)text_format(o.area, sizeof o.area, "BU%08d", key / 4);
    (void)text_format(o.period, sizeof o.period, "%d", 2019 + key % 4);
    o.component = i < 100000 ? GW_COMPONENT_VALUE : GW_COMPONENT_CI_LOW;
    o.value = key * 0.25;
    stage(run, &o);
  }
  t_staged = now_seconds();
  expect_counts(commit(run, "2024-03-01T00:00:00Z"), 200000, 100000, 0, 0);
  t_committed = now_seconds();
  long rss_growth = max_rss_kib() - rss_before;
  sqlite_peak = sqlite3_memory_highwater(0);
  fprintf(stderr,
          "store 200k rows: staged in %.2f s, committed in %.2f s, "
          "max RSS grew by %ld KiB, SQLite heap peak %lld KiB\n",
          t_staged - t0, t_committed - t_staged, rss_growth,
          (long long)sqlite_peak / 1024);
  /* Timings are reported, never asserted: they belong in the benchmark.
   * Process RSS means nothing under valgrind; SQLite's own heap peak
   * (below) is the flatness check that holds in every build. */
  if (!getenv("GW_VALGRIND"))
    cr_expect_lt(rss_growth, RSS_GROWTH_LIMIT_KIB, "max RSS grew by %ld KiB",
                 rss_growth);
  cr_expect_lt(sqlite_peak, 32LL * 1024 * 1024,
               "SQLite heap peaked at %lld bytes", (long long)sqlite_peak);
  cr_expect_eq(count(store, NULL), 100000);
  struct gw_observation got =
      current(store, "eenzaam", "BU00012345", "2020", NULL);
  cr_expect_eq(got.value, (12345 * 4 + 1) * 0.25);
  cr_expect(got.has_ci_low);
  cr_expect_eq(got.ci_low, got.value);

  /* The identical re-import compares 100k keys and writes nothing. */
  run = begin(store, "rivm", "big2");
  for (i = 0; i < 200000; i++) {
    int key = i % 100000;
    (void)text_format(o.area, sizeof o.area, "BU%08d", key / 4);
    (void)text_format(o.period, sizeof o.period, "%d", 2019 + key % 4);
    o.component = i < 100000 ? GW_COMPONENT_VALUE : GW_COMPONENT_CI_LOW;
    o.value = key * 0.25;
    stage(run, &o);
  }
  t0 = now_seconds();
  expect_counts(commit(run, "2024-04-01T00:00:00Z"), 200000, 0, 0, 100000);
  fprintf(stderr, "store 200k rows: identical re-import committed in %.2f s\n",
          now_seconds() - t0);
  cr_expect_eq(raw_scalar("SELECT count(*) FROM observation"), 100000);
  store_close(store);
}

/* ---- run history ------------------------------------------------------------
 */

struct run_list {
  char lines[8][256];
  int n;
};

static int collect_run(const struct gw_run_record *rec, void *user) {
  struct run_list *l = user;
  cr_assert_lt(l->n, 8);
  cr_assert_not_null(rec->ended_at);
  cr_assert_not_null(rec->error);
  (void)text_format(
      l->lines[l->n++], sizeof l->lines[0],
      "%s %s %s [%s] %s [%s] %llu/%llu/%llu/%llu/%llu", rec->source_id,
      rec->run_id, rec->started_at, rec->ended_at, rec->outcome, rec->error,
      (unsigned long long)rec->pages, (unsigned long long)rec->bytes,
      (unsigned long long)rec->emitted, (unsigned long long)rec->stored,
      (unsigned long long)rec->rejected);
  return 0;
}

static void record(struct gw_store *store, const char *run_id,
                   const char *source, const char *started, const char *ended,
                   const char *outcome, const char *error, uint64_t pages) {
  struct gw_run_record rec = {.run_id = run_id,
                              .source_id = source,
                              .started_at = started,
                              .ended_at = ended,
                              .outcome = outcome,
                              .error = error,
                              .pages = pages,
                              .bytes = pages * 1000,
                              .emitted = 10,
                              .stored = 9,
                              .rejected = 1};
  char err[GW_ERR_MAX] = "";
  cr_assert_eq(store_record_run(store, &rec, err, sizeof err), 0, "%s", err);
}

Test(store, latest_runs_gives_one_per_source) {
  struct gw_store *store = open_store();
  struct run_list l;
  char err[GW_ERR_MAX] = "";
  memset(&l, 0, sizeof l);
  record(store, "r1", "rivm", "2024-01-01T00:00:00Z", "2024-01-01T00:01:00Z",
         "ok", NULL, 3);
  record(store, "r3", "rivm", "2024-03-01T00:00:00Z", NULL, "running", NULL, 0);
  record(store, "r2", "rivm", "2024-02-01T00:00:00Z", "2024-02-01T00:01:00Z",
         "failed", "HTTP 503 from https://x/", 1);
  record(store, "c1", "cbs", "2024-02-15T00:00:00Z", "2024-02-15T00:02:00Z",
         "ok", NULL, 7);
  cr_assert_eq(store_latest_runs(store, collect_run, &l, err, sizeof err), 0,
               "%s", err);
  cr_assert_eq(l.n, 2);
  cr_expect_str_eq(l.lines[0], "cbs c1 2024-02-15T00:00:00Z "
                               "[2024-02-15T00:02:00Z] ok [] 7/7000/10/9/1");
  cr_expect_str_eq(l.lines[1],
                   "rivm r3 2024-03-01T00:00:00Z [] running [] 0/0/10/9/1");

  /* Recording the same run id again updates it (run finished). */
  record(store, "r3", "rivm", "2024-03-01T00:00:00Z", "2024-03-01T00:05:00Z",
         "failed", "timeout", 2);
  memset(&l, 0, sizeof l);
  cr_assert_eq(store_latest_runs(store, collect_run, &l, err, sizeof err), 0,
               "%s", err);
  cr_assert_eq(l.n, 2);
  cr_expect_str_eq(l.lines[1], "rivm r3 2024-03-01T00:00:00Z "
                               "[2024-03-01T00:05:00Z] failed [timeout] "
                               "2/2000/10/9/1");
  cr_expect_eq(raw_scalar("SELECT count(*) FROM run"), 4);

  struct gw_run_record incomplete = {
      .run_id = "r9", .started_at = "x", .outcome = "ok"};
  cr_expect_eq(store_record_run(store, &incomplete, err, sizeof err), -1);
  cr_expect(strstr(err, "store: record run"), "message: %s", err);
  store_close(store);
}

/* The history fields status and the feed sidecar read, per source. */
struct run_facts {
  char source[4][32];
  char last_success[4][32]; /* "(never)" for NULL */
  uint64_t fails[4];
  double seconds[4];
  uint64_t retries[4];
  int n;
};

static int collect_facts(const struct gw_run_record *rec, void *user) {
  struct run_facts *f = user;
  cr_assert_lt(f->n, 4);
  cr_assert_eq(text_copy(f->source[f->n], sizeof f->source[0], rec->source_id),
               0);
  cr_assert_eq(
      text_copy(f->last_success[f->n], sizeof f->last_success[0],
                rec->last_success_at ? rec->last_success_at : "(never)"),
      0);
  f->fails[f->n] = rec->consecutive_failures;
  f->seconds[f->n] = rec->seconds;
  f->retries[f->n] = rec->retries;
  f->n++;
  return 0;
}

static struct run_facts facts(struct gw_store *store) {
  struct run_facts f;
  char err[GW_ERR_MAX] = "";
  memset(&f, 0, sizeof f);
  cr_assert_eq(store_latest_runs(store, collect_facts, &f, err, sizeof err), 0,
               "%s", err);
  return f;
}

/* Runs of one source at hour h of 2024-05-01, recorded out of order on
 * purpose: the count follows start times, not insertion order. */
static void record_at(struct gw_store *store, const char *source, int hour,
                      const char *outcome) {
  char run_id[32], started[32];
  cr_assert_eq(text_format(run_id, sizeof run_id, "%s-%02d", source, hour), 0);
  cr_assert_eq(
      text_format(started, sizeof started, "2024-05-01T%02d:00:00Z", hour), 0);
  record(store, run_id, source, started, started, outcome,
         strcmp(outcome, "ok") ? "boom" : NULL, 1);
}

Test(store, consecutive_failures_count_since_the_last_ok_run) {
  struct gw_store *store = open_store();
  struct run_facts f;
  /* a: never ok. b: ok, fail, ok, fail, retry, fail -> 3 since 04:00.
   * c: fail, fail, ok -> 0. */
  record_at(store, "a", 2, "fail");
  record_at(store, "a", 1, "fail");
  record_at(store, "b", 5, "retry");
  record_at(store, "b", 1, "ok");
  record_at(store, "b", 2, "fail");
  record_at(store, "b", 4, "ok");
  record_at(store, "b", 3, "fail");
  record_at(store, "b", 6, "fail");
  record_at(store, "b", 7, "fail");
  record_at(store, "c", 1, "fail");
  record_at(store, "c", 2, "fail");
  record_at(store, "c", 3, "ok");
  f = facts(store);
  cr_assert_eq(f.n, 3);
  cr_expect_str_eq(f.source[0], "a");
  cr_expect_eq(f.fails[0], 2);
  cr_expect_str_eq(f.last_success[0], "(never)");
  cr_expect_str_eq(f.source[1], "b");
  cr_expect_eq(f.fails[1], 3, "b: %llu", (unsigned long long)f.fails[1]);
  cr_expect_str_eq(f.last_success[1], "2024-05-01T04:00:00Z");
  cr_expect_str_eq(f.source[2], "c");
  cr_expect_eq(f.fails[2], 0);
  cr_expect_str_eq(f.last_success[2], "2024-05-01T03:00:00Z");

  /* One more ok run of b resets its count; a run still marked running is
   * not a failure and does not reset it either. */
  record_at(store, "b", 8, "ok");
  record_at(store, "a", 3, "running");
  f = facts(store);
  cr_expect_eq(f.fails[0], 2);
  cr_expect_eq(f.fails[1], 0);
  cr_expect_str_eq(f.last_success[1], "2024-05-01T08:00:00Z");
  store_close(store);
}

Test(store, runs_with_the_same_start_are_ordered_by_recording) {
  struct gw_store *store = open_store();
  struct run_facts f;
  record(store, "x1", "s", "2024-05-01T00:00:00Z", NULL, "fail", "e", 0);
  record(store, "x2", "s", "2024-05-01T00:00:00Z", NULL, "ok", NULL, 0);
  f = facts(store);
  cr_expect_eq(f.fails[0], 0);
  record(store, "x3", "s", "2024-05-01T00:00:00Z", NULL, "fail", "e", 0);
  f = facts(store);
  cr_expect_eq(f.fails[0], 1);
  store_close(store);
}

Test(store, run_duration_and_retries_are_stored) {
  struct gw_store *store = open_store();
  struct gw_run_record rec = {.run_id = "d1",
                              .source_id = "dur",
                              .started_at = "2024-05-01T00:00:00.000Z",
                              .ended_at = "2024-05-01T00:00:10.000Z",
                              .outcome = "ok",
                              .seconds = 2.75,
                              .retries = 4};
  char err[GW_ERR_MAX] = "";
  struct run_facts f;
  cr_assert_eq(store_record_run(store, &rec, err, sizeof err), 0, "%s", err);
  f = facts(store);
  cr_assert_eq(f.n, 1);
  /* The measured duration wins over end minus start. */
  cr_expect_float_eq(f.seconds[0], 2.75, 1e-9);
  cr_expect_eq(f.retries[0], 4);
  cr_expect_eq(raw_scalar("SELECT retries FROM run WHERE run_id = 'd1'"), 4);
  /* An unknown duration is stored as NULL, never as garbage. */
  rec.run_id = "d2";
  rec.started_at = "2024-05-02T00:00:00Z";
  rec.ended_at = NULL;
  rec.seconds = -1.0;
  cr_assert_eq(store_record_run(store, &rec, err, sizeof err), 0, "%s", err);
  cr_expect_eq(raw_scalar("SELECT seconds IS NULL FROM run WHERE run_id = "
                          "'d2'"),
               1);
  f = facts(store);
  cr_expect_float_eq(f.seconds[0], 0.0, 1e-9);
  store_close(store);
}

/* A database written by a gateway of schema version 1: the run table
 * lacks seconds and retries. Opening it migrates in place and keeps every
 * observation and run. */
Test(store, schema_version_1_database_is_migrated) {
  sqlite3 *db = NULL;
  struct gw_store *store;
  struct gw_store_run *run;
  struct run_facts f;
  cr_assert_eq(sqlite3_open(db_path, &db), SQLITE_OK);
  cr_assert_eq(sqlite3_exec(db, STORE_SQL_SCHEMA_V1, NULL, NULL, NULL),
               SQLITE_OK, "%s", sqlite3_errmsg(db));
  cr_assert_eq(
      sqlite3_exec(
          db,
          "PRAGMA user_version=1;"
          "INSERT INTO run (run_id, source_id, started_at, ended_at, outcome,"
          " error, pages) VALUES"
          " ('o1', 'old', '2024-01-01T00:00:00Z', '2024-01-01T00:01:30Z',"
          "  'ok', NULL, 3),"
          " ('o2', 'old', '2024-01-02T00:00:00.500Z',"
          "  '2024-01-02T00:00:02.000Z', 'fail', 'HTTP 503', 1);"
          "INSERT INTO observation (indicator, area, area_level, period,"
          " breakdown, source_id, revision, value, unit, status, plugin,"
          " dataset, source_code, fetched_at, payload_sha256, span_id,"
          " run_id, valid_from) VALUES ('eenzaam', 'GM0384', 'municipality',"
          " '2022', '{}', 'old', 1, 41.5, 'percent', 'final', 'cbs_odata',"
          " '50120NED', 'Eenzaam', '2024-01-01T00:00:00Z', 'ab', 'cd', 'o1',"
          " '2024-01-01T00:01:30Z');",
          NULL, NULL, NULL),
      SQLITE_OK, "%s", sqlite3_errmsg(db));
  sqlite3_close(db);
  cr_expect_eq(raw_scalar("SELECT count(*) FROM pragma_table_info('run')"
                          " WHERE name IN ('seconds', 'retries')"),
               0);

  store = open_store();
  cr_expect_eq(raw_scalar("PRAGMA user_version"), 3);
  cr_expect_eq(raw_scalar("SELECT count(*) FROM pragma_table_info('run')"
                          " WHERE name IN ('seconds', 'retries')"),
               2);
  /* v3 seeds the last change from the history the store already had. */
  {
    int changed = -1;
    char err[256];
    cr_expect_eq(store_changed_since(store, "2024-01-01T00:01:29.999Z",
                                     &changed, err, sizeof err),
                 0, "%s", err);
    cr_expect_eq(changed, 1);
    cr_expect_eq(store_changed_since(store, "2024-01-01T00:01:30Z", &changed,
                                     err, sizeof err),
                 0, "%s", err);
    cr_expect_eq(changed, 0);
  }
  cr_expect_eq(count(store, NULL), 1);
  cr_expect_float_eq(current(store, "eenzaam", "GM0384", "2022", NULL).value,
                     41.5, 1e-9);
  f = facts(store);
  cr_assert_eq(f.n, 1);
  cr_expect_eq(f.fails[0], 1);
  cr_expect_str_eq(f.last_success[0], "2024-01-01T00:00:00Z");
  cr_expect_float_eq(f.seconds[0], 1.5, 1e-3, "derived %f", f.seconds[0]);
  cr_expect_eq(f.retries[0], 0);

  /* The migrated store works as a new one: runs commit and record. */
  run = begin(store, "old", "n1");
  stage_value(run, "eenzaam", "GM0384", "2023", 40.0);
  expect_counts(commit(run, "2024-06-01T00:00:00Z"), 1, 1, 0, 0);
  record(store, "n1", "old", "2024-06-01T00:00:00Z", "2024-06-01T00:00:05Z",
         "ok", NULL, 2);
  f = facts(store);
  cr_expect_eq(f.fails[0], 0);
  store_close(store);

  /* Opening again changes nothing (the migration ran once). */
  store = open_store();
  cr_expect_eq(raw_scalar("PRAGMA user_version"), 3);
  cr_expect_eq(count(store, NULL), 2);
  store_close(store);
}

/* ---- dry run (replay) ------------------------------------------------------
 */

/* A fingerprint of everything the database holds for observations,
 * validators and runs: a dry run must leave it exactly as it was. */
static void db_fingerprint(char *buf, size_t size) {
  raw_text("SELECT count(*) || ':' || coalesce(sum(length(indicator || area ||"
           " period || coalesce(value, 'n') || status || coalesce(valid_to,"
           " 'open') || run_id)), 0) || ':' || coalesce(group_concat(value ||"
           " '@' || revision, ','), '') || ':' || (SELECT count(*) FROM"
           " http_validator) || ':' || (SELECT count(*) FROM run)"
           " FROM observation",
           buf, size);
}

struct diff_seen {
  char lines[16][160];
  size_t n;
  int stop_after; /* 0: never */
};

static int collect_change(const struct gw_store_change *c, void *user) {
  struct diff_seen *s = user;
  cr_assert_lt(s->n, sizeof s->lines / sizeof s->lines[0]);
  if (c->before)
    text_format(s->lines[s->n], sizeof s->lines[s->n],
                "%s/%s/%s r%ld %g %s -> r%ld %g %s", c->after->indicator,
                c->after->area, c->after->period, c->before->revision,
                c->before->has_value ? c->before->value : -1.0,
                status_name(c->before->status), c->after->revision,
                c->after->has_value ? c->after->value : -1.0,
                status_name(c->after->status));
  else
    text_format(s->lines[s->n], sizeof s->lines[s->n], "%s/%s/%s new %g %s",
                c->after->indicator, c->after->area, c->after->period,
                c->after->has_value ? c->after->value : -1.0,
                status_name(c->after->status));
  s->n++;
  return s->stop_after && s->n == (size_t)s->stop_after ? 1 : 0;
}

static struct gw_store_diff diff(struct gw_store_run *run, size_t max,
                                 struct diff_seen *seen) {
  struct gw_store_diff d;
  char err[GW_ERR_MAX] = "";
  memset(&d, 0xff, sizeof d);
  cr_assert_eq(store_run_diff(run, max, seen ? collect_change : NULL, seen, &d,
                              err, sizeof err),
               0, "diff: %s", err);
  return d;
}

Test(store, dry_run_counts_like_a_commit_and_changes_nothing) {
  struct gw_store *store = open_store();
  struct gw_store_run *run = begin(store, "rivm", "run-1");
  struct diff_seen seen = {.n = 0};
  char before[512], after[512], err[GW_ERR_MAX] = "";
  stage_value(run, "eenzaam", "GM0384", "2020", 48.5);
  stage_value(run, "eenzaam", "GM0363", "2020", 51.0);
  stage_value(run, "roker", "GM0384", "2020", 17.25);
  stage_value(run, "roker", "GM0363", "2020", 20.0);
  commit(run, "2024-03-01T10:05:00Z");
  run = begin(store, "rivm", "run-2");
  stage_value(run, "eenzaam", "GM0384", "2020", 49.0); /* revised */
  commit(run, "2024-04-01T10:05:00Z");
  db_fingerprint(before, sizeof before);

  /* The replayed first run: one figure would go back, one is new, two are
   * as stored, one stored key is not produced at all. */
  run = begin(store, "rivm", "replay");
  stage_value(run, "eenzaam", "GM0384", "2020", 48.5);
  stage_value(run, "eenzaam", "GM0363", "2020", 51.0);
  stage_value(run, "roker", "GM0384", "2020", 17.25);
  struct gw_observation missing =
      make_obs("roker", "GM0518", "2020", GW_COMPONENT_VALUE, 0, 0.0);
  stage(run, &missing);
  struct gw_store_diff d = diff(run, 10, &seen);
  cr_expect_eq(d.staged, 4);
  cr_expect_eq(d.would_insert, 1);
  cr_expect_eq(d.would_revise, 1);
  cr_expect_eq(d.unchanged, 2);
  cr_expect_eq(d.not_reproduced, 1, "roker/GM0363 is not staged");
  cr_assert_eq(seen.n, 2);
  cr_expect_str_eq(seen.lines[0],
                   "eenzaam/GM0384/2020 r2 49 final -> r3 48.5 final");
  cr_expect_str_eq(seen.lines[1], "roker/GM0518/2020 new -1 missing");

  /* A diffed run cannot be committed, only aborted. */
  cr_expect_eq(store_run_diff(run, 10, NULL, NULL, &d, err, sizeof err), -1);
  cr_expect_eq(
      store_run_commit(run, "2024-05-01T00:00:00Z", NULL, err, sizeof err), -1);
  cr_expect(strstr(err, "dry run"), "message: %s", err);
  db_fingerprint(after, sizeof after);
  cr_expect_str_eq(after, before);
  cr_expect_eq(raw_scalar("SELECT count(*) FROM observation"
                          " WHERE run_id = 'replay'"),
               0);
  store_close(store);
}

Test(store, dry_run_lists_at_most_n_changes_in_key_order) {
  struct gw_store *store = open_store();
  struct gw_store_run *run = begin(store, "rivm", "run-1");
  struct diff_seen seen = {.n = 0};
  stage_value(run, "b", "GM0002", "2020", 2.0);
  stage_value(run, "a", "GM0001", "2020", 1.0);
  stage_value(run, "c", "GM0003", "2020", 3.0);
  struct gw_store_diff d = diff(run, 2, &seen);
  cr_expect_eq(d.would_insert, 3, "the counts are complete");
  cr_assert_eq(seen.n, 2);
  cr_expect_str_eq(seen.lines[0], "a/GM0001/2020 new 1 final");
  cr_expect_str_eq(seen.lines[1], "b/GM0002/2020 new 2 final");
  store_run_abort(run);

  /* The callback may stop the listing early; zero means no listing. */
  run = begin(store, "rivm", "run-2");
  stage_value(run, "a", "GM0001", "2020", 1.0);
  stage_value(run, "b", "GM0002", "2020", 2.0);
  memset(&seen, 0, sizeof seen);
  seen.stop_after = 1;
  d = diff(run, 10, &seen);
  cr_expect_eq(seen.n, 1);
  cr_expect_eq(d.would_insert, 2);
  store_run_abort(run);
  run = begin(store, "rivm", "run-3");
  stage_value(run, "a", "GM0001", "2020", 1.0);
  memset(&seen, 0, sizeof seen);
  d = diff(run, 0, &seen);
  cr_expect_eq(seen.n, 0);
  cr_expect_eq(d.would_insert, 1);
  store_run_abort(run);
  cr_expect_eq(count(store, NULL), 0);
  store_close(store);
}

Test(store, dry_run_compares_bounds_and_status_like_a_commit) {
  struct gw_store *store = open_store();
  struct gw_store_run *run = begin(store, "rivm", "run-1");
  struct diff_seen seen = {.n = 0};
  struct gw_observation v =
      make_obs("eenzaam", "GM0384", "2020", GW_COMPONENT_VALUE, 1, 48.5);
  struct gw_observation lo =
      make_obs("eenzaam", "GM0384", "2020", GW_COMPONENT_CI_LOW, 1, 46.0);
  stage(run, &v);
  stage(run, &lo);
  commit(run, "2024-03-01T10:05:00Z");
  /* Same value, other bound: a revision, as a commit would make. */
  run = begin(store, "rivm", "run-2");
  lo.value = 45.0;
  stage(run, &v);
  stage(run, &lo);
  struct gw_store_diff d = diff(run, 5, &seen);
  cr_expect_eq(d.would_revise, 1);
  cr_expect_eq(d.unchanged, 0);
  store_run_abort(run);
  /* Same everything: unchanged, and the commit agrees. */
  run = begin(store, "rivm", "run-3");
  lo.value = 46.0;
  stage(run, &v);
  stage(run, &lo);
  memset(&seen, 0, sizeof seen);
  d = diff(run, 5, &seen);
  cr_expect_eq(d.unchanged, 1);
  cr_expect_eq(seen.n, 0);
  store_run_abort(run);
  run = begin(store, "rivm", "run-4");
  stage(run, &v);
  stage(run, &lo);
  expect_counts(commit(run, "2024-04-01T10:05:00Z"), 2, 0, 0, 1);
  store_close(store);
}

static int collect_sha(const char *sha, void *user) {
  struct diff_seen *s = user;
  cr_assert_lt(s->n, sizeof s->lines / sizeof s->lines[0]);
  text_copy(s->lines[s->n++], sizeof s->lines[0], sha);
  return 0;
}

Test(store, validator_payloads_are_listed_once_in_order) {
  struct gw_store *store = open_store();
  struct gw_store_run *run = begin(store, "rivm", "r1");
  struct diff_seen seen = {.n = 0};
  char err[GW_ERR_MAX] = "";
  cr_assert_eq(store_run_stage_validator(run, "https://a/1", "\"1\"", NULL,
                                         "bb", err, sizeof err),
               0, "%s", err);
  cr_assert_eq(store_run_stage_validator(run, "https://a/2", "\"2\"", NULL,
                                         "aa", err, sizeof err),
               0, "%s", err);
  cr_assert_eq(store_run_stage_validator(run, "https://a/3", "\"3\"", NULL,
                                         "bb", err, sizeof err),
               0, "%s", err);
  cr_assert_eq(store_run_stage_validator(run, "https://a/4", "\"4\"", NULL,
                                         NULL, err, sizeof err),
               0, "%s", err);
  commit(run, "2024-03-05T10:00:01Z");
  cr_assert_eq(
      store_validator_payloads(store, collect_sha, &seen, err, sizeof err), 0,
      "%s", err);
  cr_assert_eq(seen.n, 2);
  cr_expect_str_eq(seen.lines[0], "aa");
  cr_expect_str_eq(seen.lines[1], "bb");
  store_close(store);
}
