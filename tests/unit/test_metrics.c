/*
 * test_metrics.c - the Prometheus exposition of the daemon's metrics:
 * exact sample lines after known runs, cumulative histogram buckets,
 * label escaping, samples omitted until they mean something, the
 * consecutive-failure reset, sorting, the source cap, concurrent updates
 * and clean failure when memory runs out.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "gw_alloc.h"
#include "metrics.h"

static struct gw_metrics *metrics;
static char *text;

static void setup(void) {
  cr_assert_eq(metrics_new(&metrics), 0);
}

static void teardown(void) {
  gw_free(text);
  text = NULL;
  metrics_free(metrics);
  metrics = NULL;
}

TestSuite(metrics, .init = setup, .fini = teardown);

static struct gw_run_summary summary(const char *id, gw_result outcome,
                                     double seconds) {
  struct gw_run_summary s;
  memset(&s, 0, sizeof s);
  snprintf(s.source_id, sizeof s.source_id, "%s", id);
  s.outcome = outcome;
  s.seconds = seconds;
  return s;
}

/* Renders into the file-level `text` (freed by the fixture). */
static const char *render(void) {
  size_t len = 0;
  gw_free(text);
  text = NULL;
  cr_assert_eq(metrics_render(metrics, 1700000000, &text, &len), 0);
  cr_assert_not_null(text);
  cr_assert_eq(len, strlen(text));
  cr_assert(len > 0 && text[len - 1] == '\n', "exposition ends in a newline");
  return text;
}

/* 1 when `line` is a whole line of the exposition. */
static int has_line(const char *exposition, const char *line) {
  size_t n = strlen(line);
  const char *p = exposition;
  while ((p = strstr(p, line)) != NULL) {
    if ((p == exposition || p[-1] == '\n') && p[n] == '\n')
      return 1;
    p++;
  }
  return 0;
}

static size_t count_prefix(const char *exposition, const char *prefix) {
  size_t n = 0, len = strlen(prefix);
  const char *line = exposition;
  while (*line) {
    const char *end = strchr(line, '\n');
    if (strncmp(line, prefix, len) == 0)
      n++;
    if (!end)
      break;
    line = end + 1;
  }
  return n;
}

#define expect_line(line)                                                      \
  cr_expect(has_line(text, line), "missing line: %s\n---\n%s", line, text)
#define expect_no_line(line)                                                   \
  cr_expect(!has_line(text, line), "unexpected line: %s", line)

Test(metrics, process_series_and_no_sources) {
  time_t before = time(NULL), started;
  struct gw_metrics *fresh = NULL;
  char *fresh_text = NULL;
  const char *p;
  size_t len;
  long long value;
  cr_assert_eq(metrics_new(&fresh), 0);
  cr_assert_eq(metrics_render(fresh, 0, &fresh_text, &len), 0);
  render();
  expect_line("# HELP gateway_up 1 while the gateway daemon is serving "
              "metrics.");
  expect_line("# TYPE gateway_up gauge");
  expect_line("gateway_up 1");
  expect_line("# TYPE gateway_build_info gauge");
  expect_line("gateway_build_info{version=\"" GW_VERSION "\"} 1");
  expect_line("# TYPE gateway_start_time_seconds gauge");
  expect_line("# TYPE gateway_config_reloads_total counter");
  expect_line("gateway_config_reloads_total{result=\"ok\"} 0");
  expect_line("gateway_config_reloads_total{result=\"failed\"} 0");
  expect_line("# TYPE gateway_runs_total counter");
  expect_line("# TYPE gateway_run_duration_seconds histogram");
  cr_expect_eq(count_prefix(text, "gateway_runs_total{"), 0);
  cr_expect_eq(count_prefix(text, "gateway_running{"), 0);
  p = strstr(fresh_text, "\ngateway_start_time_seconds ");
  cr_assert_not_null(p);
  value = strtoll(p + strlen("\ngateway_start_time_seconds "), NULL, 10);
  started = (time_t)value;
  cr_expect(started >= before - 1 && started <= time(NULL),
            "start time %lld near now", value);
  gw_free(fresh_text);
  metrics_free(fresh);
}

Test(metrics, counters_after_known_runs) {
  struct gw_run_summary ok = summary("cbs", GW_OK, 0.5);
  struct gw_run_summary failed = summary("cbs", GW_FAIL, 20);
  ok.pages = 3;
  ok.not_modified = 1;
  ok.retries = 2;
  ok.bytes = 1000;
  ok.emitted = 50;
  ok.unmapped = 2;
  ok.rejected = 1;
  ok.suppressed = 4;
  ok.store.inserted = 10;
  ok.store.revised = 5;
  ok.store.unchanged = 7;
  failed.pages = 1;
  failed.retries = 3;
  failed.bytes = 24;
  failed.emitted = 6;
  metrics_run_started(metrics, "cbs");
  metrics_run_finished(metrics, &ok, 1000);
  metrics_run_started(metrics, "cbs");
  metrics_run_finished(metrics, &failed, 2000);
  render();
  expect_line("gateway_runs_total{source=\"cbs\",outcome=\"ok\"} 1");
  expect_line("gateway_runs_total{source=\"cbs\",outcome=\"retry\"} 0");
  expect_line("gateway_runs_total{source=\"cbs\",outcome=\"failed\"} 1");
  expect_line("gateway_fetches_total{source=\"cbs\"} 4");
  expect_line("gateway_fetch_retries_total{source=\"cbs\"} 5");
  expect_line("gateway_not_modified_total{source=\"cbs\"} 1");
  expect_line("gateway_bytes_fetched_total{source=\"cbs\"} 1024");
  expect_line("gateway_rows_emitted_total{source=\"cbs\"} 56");
  expect_line("gateway_rows_unmapped_total{source=\"cbs\"} 2");
  expect_line("gateway_observations_stored_total{source=\"cbs\"} 15");
  expect_line("gateway_observations_rejected_total{source=\"cbs\"} 1");
  expect_line("gateway_observations_suppressed_total{source=\"cbs\"} 4");
  expect_line("gateway_last_run_timestamp_seconds{source=\"cbs\"} 2000");
  expect_line("gateway_last_success_timestamp_seconds{source=\"cbs\"} 1000");
  expect_line("gateway_consecutive_failures{source=\"cbs\"} 1");
  expect_line("gateway_running{source=\"cbs\"} 0");
  expect_line("# TYPE gateway_fetches_total counter");
  expect_line("# TYPE gateway_consecutive_failures gauge");
}

Test(metrics, histogram_buckets_are_cumulative) {
  /* 0.5 -> le 1; 5 (on the bound) -> le 5; 20 -> le 60; 4000 -> +Inf. */
  static const double seconds[] = {0.5, 5, 20, 4000};
  size_t i;
  for (i = 0; i < sizeof seconds / sizeof seconds[0]; i++) {
    struct gw_run_summary s = summary("cbs", GW_OK, seconds[i]);
    metrics_run_finished(metrics, &s, 100);
  }
  render();
  expect_line("gateway_run_duration_seconds_bucket{source=\"cbs\",le=\"1\"} 1");
  expect_line("gateway_run_duration_seconds_bucket{source=\"cbs\",le=\"5\"} 2");
  expect_line(
      "gateway_run_duration_seconds_bucket{source=\"cbs\",le=\"15\"} 2");
  expect_line(
      "gateway_run_duration_seconds_bucket{source=\"cbs\",le=\"60\"} 3");
  expect_line(
      "gateway_run_duration_seconds_bucket{source=\"cbs\",le=\"300\"} 3");
  expect_line(
      "gateway_run_duration_seconds_bucket{source=\"cbs\",le=\"900\"} 3");
  expect_line(
      "gateway_run_duration_seconds_bucket{source=\"cbs\",le=\"3600\"} 3");
  expect_line(
      "gateway_run_duration_seconds_bucket{source=\"cbs\",le=\"+Inf\"} 4");
  expect_line("gateway_run_duration_seconds_sum{source=\"cbs\"} 4025.5");
  expect_line("gateway_run_duration_seconds_count{source=\"cbs\"} 4");
  cr_expect_eq(count_prefix(text, "gateway_run_duration_seconds_bucket{"), 8);
}

Test(metrics, odd_durations_keep_precision_and_negative_counts_as_zero) {
  struct gw_run_summary a = summary("x", GW_OK, 0.1);
  struct gw_run_summary b = summary("x", GW_OK, 0.2);
  struct gw_run_summary back = summary("y", GW_OK, -3);
  metrics_run_finished(metrics, &a, 1);
  metrics_run_finished(metrics, &b, 2);
  metrics_run_finished(metrics, &back, 3);
  render();
  /* 0.1 + 0.2 is not 0.3 in binary; the sum must read back exactly. */
  expect_line("gateway_run_duration_seconds_sum{source=\"x\"} "
              "0.30000000000000004");
  expect_line("gateway_run_duration_seconds_sum{source=\"y\"} 0");
  expect_line("gateway_run_duration_seconds_bucket{source=\"y\",le=\"1\"} 1");
}

Test(metrics, consecutive_failures_count_and_reset) {
  struct gw_run_summary fail = summary("src", GW_FAIL, 1);
  struct gw_run_summary retry = summary("src", GW_RETRY, 1);
  struct gw_run_summary ok = summary("src", GW_OK, 1);
  metrics_run_finished(metrics, &ok, 10);
  metrics_run_finished(metrics, &fail, 20);
  metrics_run_finished(metrics, &retry, 30);
  metrics_run_finished(metrics, &fail, 40);
  render();
  expect_line("gateway_consecutive_failures{source=\"src\"} 3");
  expect_line("gateway_runs_total{source=\"src\",outcome=\"retry\"} 1");
  expect_line("gateway_runs_total{source=\"src\",outcome=\"failed\"} 2");
  expect_line("gateway_last_success_timestamp_seconds{source=\"src\"} 10");
  expect_line("gateway_last_run_timestamp_seconds{source=\"src\"} 40");
  metrics_run_finished(metrics, &ok, 50);
  render();
  expect_line("gateway_consecutive_failures{source=\"src\"} 0");
  expect_line("gateway_last_success_timestamp_seconds{source=\"src\"} 50");
  metrics_run_finished(metrics, &fail, 60);
  render();
  expect_line("gateway_consecutive_failures{source=\"src\"} 1");
  expect_line("gateway_last_success_timestamp_seconds{source=\"src\"} 50");
  expect_line("gateway_last_run_timestamp_seconds{source=\"src\"} 60");
}

Test(metrics, samples_omitted_until_known) {
  struct gw_run_summary fail = summary("new", GW_FAIL, 1);
  metrics_run_started(metrics, "new");
  render();
  expect_line("gateway_running{source=\"new\"} 1");
  expect_line("gateway_runs_total{source=\"new\",outcome=\"ok\"} 0");
  expect_line("gateway_consecutive_failures{source=\"new\"} 0");
  cr_expect_eq(count_prefix(text, "gateway_last_run_timestamp_seconds{"), 0);
  cr_expect_eq(count_prefix(text, "gateway_last_success_timestamp_seconds{"),
               0);
  cr_expect_eq(count_prefix(text, "gateway_next_run_timestamp_seconds{"), 0);
  /* The families are still declared, so dashboards see the names. */
  expect_line("# TYPE gateway_last_success_timestamp_seconds gauge");
  expect_line("# TYPE gateway_next_run_timestamp_seconds gauge");

  metrics_set_next_run(metrics, "new", 1700003600);
  metrics_run_finished(metrics, &fail, 1700000000);
  render();
  expect_line("gateway_running{source=\"new\"} 0");
  expect_line("gateway_next_run_timestamp_seconds{source=\"new\"} 1700003600");
  expect_line("gateway_last_run_timestamp_seconds{source=\"new\"} 1700000000");
  cr_expect_eq(count_prefix(text, "gateway_last_success_timestamp_seconds{"), 0,
               "a source that never succeeded has no success time");

  metrics_set_next_run(metrics, "new", 0);
  render();
  cr_expect_eq(count_prefix(text, "gateway_next_run_timestamp_seconds{"), 0);
}

Test(metrics, label_values_are_escaped) {
  struct gw_run_summary s = summary("a\"b\\c\nd", GW_OK, 1);
  metrics_run_finished(metrics, &s, 5);
  render();
  expect_line(
      "gateway_runs_total{source=\"a\\\"b\\\\c\\nd\",outcome=\"ok\"} 1");
  expect_line("gateway_running{source=\"a\\\"b\\\\c\\nd\"} 0");
  expect_no_line("d\"} 0");
}

Test(metrics, sources_sorted_by_id) {
  const char *first, *second, *third;
  metrics_run_started(metrics, "zeta");
  metrics_run_started(metrics, "alpha");
  metrics_set_next_run(metrics, "mid", 10);
  metrics_run_started(metrics, "alpha"); /* already known: no duplicate */
  render();
  cr_expect_eq(count_prefix(text, "gateway_running{"), 3);
  first = strstr(text, "gateway_running{source=\"alpha\"} 1");
  second = strstr(text, "gateway_running{source=\"mid\"} 0");
  third = strstr(text, "gateway_running{source=\"zeta\"} 1");
  cr_assert(first && second && third);
  cr_expect(first < second && second < third, "sorted by id");
}

Test(metrics, config_reloads_by_result) {
  metrics_config_reload(metrics, 1);
  metrics_config_reload(metrics, 1);
  metrics_config_reload(metrics, 0);
  render();
  expect_line("gateway_config_reloads_total{result=\"ok\"} 2");
  expect_line("gateway_config_reloads_total{result=\"failed\"} 1");
}

Test(metrics, source_cap_and_bad_ids_are_ignored) {
  char id[32], line[96];
  char too_long[80];
  int i;
  for (i = 0; i < METRICS_MAX_SOURCES + 6; i++) {
    snprintf(id, sizeof id, "s%04d", i);
    metrics_run_started(metrics, id);
  }
  memset(too_long, 'x', sizeof too_long - 1);
  too_long[sizeof too_long - 1] = '\0';
  metrics_run_started(metrics, too_long);
  metrics_run_started(metrics, "");
  metrics_run_started(metrics, NULL);
  render();
  cr_expect_eq(count_prefix(text, "gateway_running{"), METRICS_MAX_SOURCES);
  snprintf(line, sizeof line, "gateway_running{source=\"s%04d\"} 1",
           METRICS_MAX_SOURCES - 1);
  expect_line(line);
  snprintf(line, sizeof line, "gateway_running{source=\"s%04d\"} 1",
           METRICS_MAX_SOURCES);
  expect_no_line(line);
  cr_expect_null(strstr(text, "xxxxxxxx"));
}

/* Every sample belongs to the family declared just before it, and each
 * family is declared once: the grouping Prometheus requires. */
Test(metrics, families_are_declared_once_and_grouped) {
  struct gw_run_summary s = summary("b", GW_OK, 2);
  char family[128] = "";
  char *copy, *line, *save = NULL;
  size_t types = 0;
  metrics_run_finished(metrics, &s, 1);
  metrics_run_started(metrics, "a");
  metrics_set_next_run(metrics, "a", 99);
  render();
  copy = strdup(text);
  cr_assert_not_null(copy);
  for (line = strtok_r(copy, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    size_t n = strlen(family);
    if (strncmp(line, "# TYPE ", 7) == 0) {
      char needle[160];
      snprintf(family, sizeof family, "%.*s", (int)strcspn(line + 7, " "),
               line + 7);
      snprintf(needle, sizeof needle, "# TYPE %s ", family);
      cr_expect_eq(strstr(strstr(text, needle) + 1, needle), NULL,
                   "%s declared twice", family);
      types++;
      continue;
    }
    if (line[0] == '#')
      continue;
    cr_expect(n > 0 && strncmp(line, family, n) == 0 &&
                  strchr("{ _", line[n]) != NULL,
              "sample outside its family %s: %s", family, line);
  }
  cr_expect_eq(types, 20);
  free(copy);
}

struct worker_args {
  struct gw_metrics *m;
  const char *id;
};

static void *report_runs(void *arg) {
  const struct worker_args *w = arg;
  int i;
  for (i = 0; i < 1000; i++) {
    struct gw_run_summary s = summary(w->id, GW_OK, 1);
    s.bytes = 3;
    metrics_run_started(w->m, w->id);
    metrics_run_finished(w->m, &s, i);
  }
  return NULL;
}

Test(metrics, concurrent_updates_all_count) {
  static const char *const ids[] = {"one", "two", "one", "two"};
  struct worker_args args[4];
  pthread_t threads[4];
  char *during = NULL;
  size_t len, i;
  for (i = 0; i < 4; i++) {
    args[i].m = metrics;
    args[i].id = ids[i];
    cr_assert_eq(pthread_create(&threads[i], NULL, report_runs, &args[i]), 0);
  }
  cr_expect_eq(metrics_render(metrics, 0, &during, &len), 0);
  gw_free(during);
  for (i = 0; i < 4; i++)
    pthread_join(threads[i], NULL);
  render();
  expect_line("gateway_runs_total{source=\"one\",outcome=\"ok\"} 2000");
  expect_line("gateway_runs_total{source=\"two\",outcome=\"ok\"} 2000");
  expect_line("gateway_bytes_fetched_total{source=\"two\"} 6000");
  expect_line("gateway_run_duration_seconds_count{source=\"one\"} 2000");
}

Test(metrics, out_of_memory_fails_cleanly) {
  struct gw_metrics *m = NULL;
  char *out = NULL;
  size_t len = 7;
  unsigned long nth;
  int failures = 0;
  gw_alloc_fail_at(1);
  cr_expect_eq(metrics_new(&m), -1);
  cr_expect_null(m);
  gw_alloc_fail_at(0);
  metrics_run_started(metrics, "cbs");
  for (nth = 1; nth < 64; nth++) {
    gw_alloc_fail_at(nth);
    if (metrics_render(metrics, 0, &out, &len) == 0) {
      gw_alloc_fail_at(0);
      cr_expect_not_null(out);
      gw_free(out);
      break;
    }
    gw_alloc_fail_at(0);
    cr_expect_null(out);
    cr_expect_eq(len, 0);
    failures++;
  }
  cr_expect(failures >= 2, "snapshot and buffer allocations both failed");
  cr_expect(nth < 64, "render succeeded once allocations stopped failing");
  /* A table that cannot grow loses the update, nothing else. */
  for (nth = 0; nth < 15; nth++) {
    char id[16];
    snprintf(id, sizeof id, "fill%02lu", nth);
    metrics_run_started(metrics, id);
  }
  gw_alloc_fail_at(1);
  metrics_run_started(metrics, "zzz");
  gw_alloc_fail_at(0);
  render();
  cr_expect_eq(count_prefix(text, "gateway_running{"), 16);
  expect_line("gateway_running{source=\"cbs\"} 1");
  cr_expect_null(strstr(text, "zzz"));
  metrics_run_started(metrics, "zzz");
  render();
  expect_line("gateway_running{source=\"zzz\"} 1");
  metrics_free(NULL);
}
