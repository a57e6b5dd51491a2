/*
 * test_replay_plan.c - reading a past run back from the exchange log for
 * replay: across rotated segments, among other runs' records; a retried
 * request counts once with its last attempt; a 304 keeps the digest it
 * reused; the plugin digest comes from the plugin_load before the run;
 * requests are handed out in order; a payload's digest is checked.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "replay_plan.h"
#include "test_support.h"
#include "text.h"

#define RUN "0123456789abcdef0123456789abcdef"
#define OTHER "fedcba9876543210fedcba9876543210"
#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define SHA_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define PLUGIN_SHA                                                             \
  "1111111111111111111111111111111111111111111111111111111111111111"
#define OLD_PLUGIN_SHA                                                         \
  "2222222222222222222222222222222222222222222222222222222222222222"

static char dir[256], log_path[512];

static void setup(void) {
  const char *d = ts_mkdtemp();
  cr_assert_not_null(d);
  cr_assert_eq(text_copy(dir, sizeof dir, d), 0);
  cr_assert_eq(text_format(log_path, sizeof log_path, "%s/exchange.log", dir),
               0);
}

static void teardown(void) {
  ts_rm_rf(dir);
}

TestSuite(replay_plan, .init = setup, .fini = teardown);

static void write_log(const char *path, const char *content) {
  cr_assert_eq(ts_write_file(path, content), 0, "cannot write %s", path);
}

static const char *fetch(const char *trace, const char *url, int attempt,
                         long status, const char *sha, const char *outcome,
                         int not_modified) {
  static char buf[8][1024];
  static int next;
  char *b = buf[next++ % 8];
  char sha_json[80] = "null";
  if (sha)
    text_format(sha_json, sizeof sha_json, "\"%s\"", sha);
  text_format(b, 1024,
              "{\"seq\":1,\"event\":\"fetch\",\"trace_id\":\"%s\","
              "\"span_id\":\"00000000000000%02d\",\"source\":\"src\","
              "\"plugin\":\"cbs_odata\",\"url\":\"%s\",\"attempt\":%d,"
              "\"http_status\":%ld,\"payload_sha256\":%s,\"not_modified\":%s,"
              "\"outcome\":\"%s\",\"error\":%s}\n",
              trace, attempt, url, attempt, status, sha_json,
              not_modified ? "true" : "false", outcome,
              strcmp(outcome, "ok") ? "\"HTTP status 404\"" : "null");
  return b;
}

static void load(struct gw_replay_plan *plan) {
  char err[512] = "";
  cr_assert_eq(replay_plan_load(log_path, RUN, plan, err, sizeof err), 0, "%s",
               err);
}

Test(replay_plan, reads_the_run_across_segments_among_other_records) {
  char seg1[600], seg2[600], text[8192] = "";
  struct gw_replay_plan plan;
  text_format(seg1, sizeof seg1, "%s.000001", log_path);
  text_format(seg2, sizeof seg2, "%s.000002", log_path);
  /* An older load of the plugin, then the one before the run. */
  text_append(text, sizeof text,
              "{\"seq\":0,\"event\":\"plugin_load\",\"trace_id\":\"" OTHER
              "\",\"plugin\":\"cbs_odata\",\"plugin_sha256\":\"" OLD_PLUGIN_SHA
              "\"}\n");
  write_log(seg1, text);
  text[0] = '\0';
  text_append(text, sizeof text,
              "{\"seq\":1,\"event\":\"plugin_load\",\"trace_id\":"
              "\"99999999999999999999999999999999\",\"plugin\":\"cbs_odata\","
              "\"plugin_sha256\":\"" PLUGIN_SHA "\"}\n");
  text_append(text, sizeof text,
              "{\"seq\":2,\"time\":\"2026-01-01T00:00:00.000Z\","
              "\"event\":\"fetch\",\"trace_id\":\"" RUN
              "\",\"span_id\":\"0000000000000001\",\"source\":\"src\","
              "\"plugin\":\"cbs_odata\",\"url\":\"https://h/a\",\"attempt\":1,"
              "\"http_status\":200,\"payload_sha256\":\"" SHA_A
              "\",\"not_modified\":false,\"outcome\":\"ok\"}\n");
  /* Another run's record in between, naming our run only in a field. */
  text_append(text, sizeof text,
              "{\"seq\":3,\"event\":\"replay\",\"trace_id\":\"" OTHER
              "\",\"replayed_trace_id\":\"" RUN "\",\"source\":\"src\"}\n");
  text_append(text, sizeof text,
              fetch(RUN, "https://h/b?key=REDACTED", 1, 500, NULL, "retry", 0));
  write_log(seg2, text);
  text[0] = '\0';
  text_append(text, sizeof text,
              fetch(RUN, "https://h/b?key=REDACTED", 2, 200, SHA_B, "ok", 0));
  text_append(text, sizeof text,
              fetch(RUN, "https://h/c", 1, 304, SHA_C, "ok", 1));
  text_append(text, sizeof text,
              fetch(RUN, "https://h/gone", 1, 404, NULL, "fail", 0));
  text_append(text, sizeof text,
              "{\"seq\":9,\"event\":\"store\",\"trace_id\":\"" RUN
              "\",\"source\":\"src\",\"plugin\":\"cbs_odata\",\"inserted\":7,"
              "\"revised\":2,\"unchanged\":1,\"outcome\":\"committed\"}\n");
  text_append(text, sizeof text, "{\"seq\":10,\"event\":\"fet"); /* torn */
  write_log(log_path, text);

  load(&plan);
  cr_expect_str_eq(plan.source_id, "src");
  cr_expect_str_eq(plan.plugin, "cbs_odata");
  cr_expect_str_eq(plan.plugin_sha256, PLUGIN_SHA);
  cr_expect_str_eq(plan.started_at, "2026-01-01T00:00:00.000Z");
  cr_expect_str_eq(plan.store_outcome, "committed");
  cr_expect_eq(plan.stored_inserted, 7);
  cr_expect_eq(plan.stored_revised, 2);
  cr_expect_eq(plan.lines_skipped, 1, "the torn line");
  cr_assert_eq(plan.count, 4, "retry attempts must collapse: %zu", plan.count);
  cr_expect_str_eq(plan.fetches[0].sha256, SHA_A);
  cr_expect_str_eq(plan.fetches[0].span_id, "0000000000000001");
  cr_expect_str_eq(plan.fetches[1].url, "https://h/b?key=REDACTED");
  cr_expect_eq(plan.fetches[1].attempt, 2);
  cr_expect(plan.fetches[1].ok);
  cr_expect_str_eq(plan.fetches[1].sha256, SHA_B);
  cr_expect(plan.fetches[2].not_modified);
  cr_expect_str_eq(plan.fetches[2].sha256, SHA_C);
  cr_expect(!plan.fetches[3].ok);
  cr_expect_eq(plan.fetches[3].http_status, 404);
  cr_expect_str_eq(plan.fetches[3].sha256, "");
  cr_expect_str_eq(plan.fetches[3].error, "HTTP status 404");
  replay_plan_free(&plan);
}

Test(replay_plan, requests_are_handed_out_in_order) {
  char text[4096] = "";
  struct gw_replay_plan plan;
  text_append(text, sizeof text,
              fetch(RUN, "https://h/p", 1, 200, SHA_A, "ok", 0));
  text_append(text, sizeof text,
              fetch(RUN, "https://h/q", 1, 200, SHA_C, "ok", 0));
  text_append(text, sizeof text,
              fetch(RUN, "https://h/p", 1, 200, SHA_B, "ok", 0));
  write_log(log_path, text);
  load(&plan);
  cr_assert_eq(plan.count, 3, "a URL asked twice is two requests");
  cr_expect_str_eq(replay_plan_take(&plan, "https://h/p")->sha256, SHA_A);
  cr_expect_str_eq(replay_plan_take(&plan, "https://h/p")->sha256, SHA_B);
  cr_expect_str_eq(replay_plan_take(&plan, "https://h/q")->sha256, SHA_C);
  /* Asked once more than before: the last answer again. */
  cr_expect_str_eq(replay_plan_take(&plan, "https://h/p")->sha256, SHA_B);
  cr_expect_null(replay_plan_take(&plan, "https://h/never"));
  cr_expect_null(replay_plan_take(&plan, "https://h/p?x=1"));
  replay_plan_free(&plan);
}

Test(replay_plan, unknown_runs_and_other_traces_are_told_apart) {
  struct gw_replay_plan plan;
  char err[512] = "";
  write_log(log_path,
            "{\"seq\":0,\"event\":\"prune\",\"trace_id\":\"" RUN "\"}\n");
  cr_expect_eq(replay_plan_load(log_path, RUN, &plan, err, sizeof err), -1);
  cr_expect(strstr(err, "'prune' record"), "%s", err);
  replay_plan_free(&plan);
  err[0] = '\0';
  cr_expect_eq(replay_plan_load(log_path, OTHER, &plan, err, sizeof err), 1);
  cr_expect(strstr(err, "has no record of run " OTHER), "%s", err);
  replay_plan_free(&plan);
  err[0] = '\0';
  cr_expect_eq(replay_plan_load(log_path, "0123", &plan, err, sizeof err), -1);
  cr_expect(strstr(err, "not a run id"), "%s", err);
  replay_plan_free(&plan);
  cr_expect(replay_is_trace_id(RUN));
  cr_expect(!replay_is_trace_id("0123456789ABCDEF0123456789ABCDEF"));
  cr_expect(!replay_is_trace_id(RUN "0"));
}

Test(replay_plan, a_missing_log_is_an_error) {
  struct gw_replay_plan plan;
  char err[512] = "";
  cr_expect_eq(replay_plan_load(log_path, RUN, &plan, err, sizeof err), -1);
  cr_expect_neq(err[0], '\0');
  replay_plan_free(&plan);
}

Test(replay_plan, payload_digest_is_checked_and_the_stream_rewound) {
  /* SHA-256 of "abc" */
  const char *abc =
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  char path[600], err[512] = "", first[4] = "";
  uint64_t bytes = 0;
  FILE *f;
  text_format(path, sizeof path, "%s/payload", dir);
  write_log(path, "abc");
  f = fopen(path, "rb");
  cr_assert_not_null(f);
  cr_expect_eq(replay_verify_stream(f, abc, &bytes, err, sizeof err), 0, "%s",
               err);
  cr_expect_eq(bytes, 3);
  cr_expect_eq(fread(first, 1, 3, f), 3, "not rewound");
  cr_expect_str_eq(first, "abc");
  rewind(f);
  cr_expect_eq(replay_verify_stream(f, SHA_A, &bytes, err, sizeof err), -1);
  cr_expect(strstr(err, "altered") && strstr(err, abc), "%s", err);
  fclose(f);
}
