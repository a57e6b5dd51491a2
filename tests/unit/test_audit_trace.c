/*
 * test_audit_trace.c - joining revisions with log records on a written
 * log: the delivering fetch is the last successful attempt of the span,
 * records of other spans and runs stay out, exports count from valid_from
 * up to (not including) valid_to, failed exports do not count, a prune
 * record names a removed payload, the spool copy is re-hashed, a torn last
 * line is counted, and every gap is a problem.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audit_trace.h"
#include "digest.h"
#include "test_support.h"
#include "text.h"

#define T1 "2024-03-01T10:00:00.000Z"
#define T2 "2024-04-01T10:00:00.000Z"
#define RUN_1 "11111111111111111111111111111111"
#define RUN_2 "22222222222222222222222222222222"
#define SPAN_1 "aaaaaaaaaaaaaaa1"
#define SPAN_2 "bbbbbbbbbbbbbbb2"

static const char *tmpdir;
static char sha1[GW_SHA256_HEX_SIZE], sha2[GW_SHA256_HEX_SIZE];

static void setup(void) {
  tmpdir = ts_mkdtemp();
  cr_assert_not_null(tmpdir);
  cr_assert_eq(sha256_hex("payload one", 11, sha1), 0);
  cr_assert_eq(sha256_hex("payload two", 11, sha2), 0);
}

static void teardown(void) {
  if (tmpdir)
    ts_rm_rf(tmpdir);
}

TestSuite(audit_trace, .init = setup, .fini = teardown);

static void revision(struct gw_revision *r, long rev, double value,
                     const char *span, const char *sha, const char *run,
                     const char *from, const char *to) {
  memset(r, 0, sizeof *r);
  text_copy(r->obs.indicator, sizeof r->obs.indicator, "bijstand_per_10k");
  text_copy(r->obs.area, sizeof r->obs.area, "GM0384");
  text_copy(r->obs.period, sizeof r->obs.period, "2020");
  text_copy(r->obs.breakdown, sizeof r->obs.breakdown, "{}");
  text_copy(r->obs.source_id, sizeof r->obs.source_id, "sociaal-domein");
  text_copy(r->obs.unit, sizeof r->obs.unit, "per_10000");
  text_copy(r->obs.span_id, sizeof r->obs.span_id, span);
  text_copy(r->obs.payload_sha256, sizeof r->obs.payload_sha256, sha);
  r->obs.area_level = GW_AREA_MUNICIPALITY;
  r->obs.status = GW_STATUS_FINAL;
  r->obs.has_value = 1;
  r->obs.value = value;
  r->obs.revision = rev;
  text_copy(r->validity.valid_from, sizeof r->validity.valid_from, from);
  text_copy(r->validity.valid_to, sizeof r->validity.valid_to, to);
  text_copy(r->validity.run_id, sizeof r->validity.run_id, run);
}

static FILE *log_file;
static unsigned seq;

static void rec(const char *time, const char *rest) {
  fprintf(log_file, "{\"seq\":%u,\"time\":\"%s\",\"prev\":\"00\",%s}\n", seq++,
          time, rest);
}

/* run 1 (two fetch attempts of SPAN_1, the second ok), an unrelated run,
 * run 2, and exports around both revisions' windows. */
static const char *write_log(void) {
  const char *path = ts_path(tmpdir, "exchange.log");
  char buf[1024];
  log_file = fopen(path, "w");
  cr_assert_not_null(log_file);
  seq = 0;
  text_format(buf, sizeof buf,
              "\"event\":\"fetch\",\"trace_id\":\"" RUN_1
              "\",\"span_id\":\"" SPAN_1
              "\",\"url\":\"https://h/a\",\"http_status\":503,"
              "\"payload_sha256\":null,\"outcome\":\"fail\"");
  rec("2024-03-01T09:59:00.000Z", buf);
  text_format(buf, sizeof buf,
              "\"event\":\"fetch\",\"trace_id\":\"" RUN_1
              "\",\"span_id\":\"" SPAN_1
              "\",\"url\":\"https://h/a\",\"http_status\":200,"
              "\"tls_version\":\"TLSv1.3\",\"payload_sha256\":\"%s\","
              "\"outcome\":\"ok\"",
              sha1);
  rec("2024-03-01T09:59:30.000Z", buf);
  rec("2024-03-01T09:59:40.000Z",
      "\"event\":\"fetch\",\"trace_id\":\"" RUN_1
      "\",\"span_id\":\"ccccccccccccccc3\",\"outcome\":\"ok\"");
  rec("2024-03-01T09:59:50.000Z", "\"event\":\"parse\",\"trace_id\":\"" RUN_1
                                  "\",\"pages\":2,\"outcome\":\"ok\"");
  rec("2024-03-01T09:59:55.000Z",
      "\"event\":\"fetch\",\"trace_id\":\"33333333333333333333333333333333\","
      "\"span_id\":\"ddddddddddddddd4\",\"outcome\":\"ok\"");
  rec("2024-03-01T09:59:58.000Z",
      "\"event\":\"export\",\"feed\":\"early\",\"outcome\":\"ok\"");
  rec("2024-03-01T10:00:01.000Z", "\"event\":\"store\",\"trace_id\":\"" RUN_1
                                  "\",\"revised\":0,\"outcome\":\"committed\"");
  rec(T1, "\"event\":\"export\",\"feed\":\"at-from\",\"outcome\":\"ok\"");
  rec("2024-03-02T00:00:00.000Z",
      "\"event\":\"export\",\"feed\":\"failed\",\"outcome\":\"fail\"");
  rec("2024-03-03T00:00:00.000Z",
      "\"event\":\"export\",\"feed\":\"within\",\"format\":\"json\","
      "\"payload_sha256\":\"ee\",\"count\":3,\"destination\":\"/f.json\","
      "\"outcome\":\"ok\"");
  text_format(buf, sizeof buf,
              "\"event\":\"fetch\",\"trace_id\":\"" RUN_2
              "\",\"span_id\":\"" SPAN_2
              "\",\"payload_sha256\":\"%s\",\"outcome\":\"ok\"",
              sha2);
  rec("2024-04-01T09:59:00.000Z", buf);
  rec("2024-04-01T09:59:59.000Z", "\"event\":\"store\",\"trace_id\":\"" RUN_2
                                  "\",\"revised\":1,\"outcome\":\"committed\"");
  rec(T2, "\"event\":\"export\",\"feed\":\"at-to\",\"outcome\":\"ok\"");
  text_format(buf, sizeof buf,
              "\"event\":\"prune\",\"payloads\":[\"%s\"],\"outcome\":\"ok\"",
              sha1);
  rec("2024-05-01T00:00:00.000Z", buf);
  fputs("{\"seq\":99,\"time\":\"2024-05", log_file); /* torn */
  cr_assert_eq(fclose(log_file), 0);
  return path;
}

static json_t *trace_document(struct gw_revision *revs, size_t n,
                              const char *log, size_t *problems) {
  struct audit_trace *t = audit_trace_new();
  char err[512] = "";
  json_t *doc;
  cr_assert_not_null(t);
  for (size_t i = 0; i < n; i++)
    cr_assert_eq(audit_trace_add(&revs[i], t), 0);
  cr_assert_eq(audit_trace_revisions(t), n);
  cr_assert_eq(audit_trace_scan_log(t, log, err, sizeof err), 0, "%s", err);
  audit_trace_check_spool(t, ts_path(tmpdir, "spool"));
  doc = audit_trace_document(t, problems);
  cr_assert_not_null(doc);
  audit_trace_free(t);
  return doc;
}

static json_t *rev_of(json_t *doc, size_t i) {
  json_t *fig = json_array_get(json_object_get(doc, "figures"), 0);
  return json_array_get(json_object_get(fig, "revisions"), i);
}

static const char *str(const json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  cr_assert_not_null(s, "%s is not a string", key);
  return s;
}

static void assert_feeds(json_t *rev, const char *expected) {
  char got[256] = "";
  json_t *e;
  size_t i;
  json_array_foreach(json_object_get(rev, "exports"), i, e) {
    if (got[0])
      text_append(got, sizeof got, ",");
    text_append(got, sizeof got, str(e, "feed"));
  }
  cr_assert_str_eq(got, expected);
}

Test(audit_trace, chain_of_two_revisions) {
  struct gw_revision revs[2];
  const char *log = write_log();
  size_t problems = 99;
  json_t *doc, *r1, *r2, *fetch, *lines;
  char spool_file[512];

  /* payload one was pruned; payload two is in the spool */
  cr_assert_eq(mkdir(ts_path(tmpdir, "spool"), 0700), 0);
  text_format(spool_file, sizeof spool_file, "%s/spool/%s", tmpdir, sha2);
  cr_assert_eq(ts_write_file(spool_file, "payload two"), 0);

  revision(&revs[0], 1, 410, SPAN_1, sha1, RUN_1, T1, T2);
  revision(&revs[1], 2, 415, SPAN_2, sha2, RUN_2, T2, "");
  doc = trace_document(revs, 2, log, &problems);
  cr_assert_eq(problems, 0);
  cr_assert(json_is_true(json_object_get(doc, "complete")));
  lines = json_object_get(doc, "log_lines");
  cr_assert_eq(json_integer_value(json_object_get(lines, "read")), 15);
  cr_assert_eq(json_integer_value(json_object_get(lines, "torn")), 1);

  r1 = rev_of(doc, 0);
  fetch = json_object_get(json_object_get(r1, "fetch"), "record");
  cr_assert_eq(json_integer_value(json_object_get(fetch, "seq")), 1,
               "the successful second attempt delivered the payload");
  cr_assert_eq(
      json_integer_value(json_object_get(json_object_get(r1, "fetch"), "line")),
      2);
  cr_assert_eq(json_array_size(json_object_get(r1, "fetch_records")), 2);
  cr_assert_eq(json_array_size(json_object_get(r1, "run_records")), 2,
               "parse and store of run 1, no other fetch or run");
  assert_feeds(r1, "at-from,within");
  cr_assert_str_eq(
      str(json_array_get(json_object_get(r1, "exports"), 1), "destination"),
      "/f.json");
  cr_assert_str_eq(str(json_object_get(r1, "spool"), "state"), "absent");
  cr_assert_eq(json_array_size(json_object_get(json_object_get(r1, "spool"),
                                               "prune_records")),
               1);

  r2 = rev_of(doc, 1);
  cr_assert(json_is_null(json_object_get(r2, "valid_to")));
  assert_feeds(r2, "at-to");
  cr_assert_str_eq(str(json_object_get(r2, "spool"), "state"), "verified");
  json_decref(doc);
}

Test(audit_trace, gaps_are_problems) {
  struct gw_revision revs[1];
  const char *log = write_log();
  size_t problems = 0;
  json_t *doc, *list;
  char spool_file[512];

  cr_assert_eq(mkdir(ts_path(tmpdir, "spool"), 0700), 0);
  text_format(spool_file, sizeof spool_file, "%s/spool/%s", tmpdir, sha2);
  cr_assert_eq(ts_write_file(spool_file, "changed"), 0);

  /* span not in the log, digest in the spool changed, run without store */
  revision(&revs[0], 2, 415, "fffffffffffffff6", sha2,
           "44444444444444444444444444444444", T2, "");
  doc = trace_document(revs, 1, log, &problems);
  cr_assert_eq(problems, 3);
  cr_assert(json_is_false(json_object_get(doc, "complete")));
  list = json_object_get(rev_of(doc, 0), "problems");
  cr_assert_not_null(
      strstr(json_string_value(json_array_get(list, 0)),
             "has no fetch record with span_id fffffffffffffff6"));
  cr_assert_not_null(strstr(json_string_value(json_array_get(list, 1)),
                            "no store record of run 4444"));
  cr_assert_not_null(strstr(json_string_value(json_array_get(list, 2)),
                            "does not hash to its name"));
  json_decref(doc);

  /* the store's digest differs from the fetch record's */
  revision(&revs[0], 2, 415, SPAN_2, sha1, RUN_2, T2, "");
  doc = trace_document(revs, 1, log, &problems);
  cr_assert_eq(problems, 1);
  list = json_object_get(rev_of(doc, 0), "problems");
  cr_assert_not_null(
      strstr(json_string_value(json_array_get(list, 0)), "payload_sha256"));
  json_decref(doc);
}

Test(audit_trace, text_output_names_everything) {
  struct gw_revision revs[2];
  const char *log = write_log();
  const char *out_path = ts_path(tmpdir, "trace.txt");
  size_t problems;
  json_t *doc;
  FILE *out;
  char *text;

  revision(&revs[0], 1, 410, SPAN_1, sha1, RUN_1, T1, T2);
  revision(&revs[1], 2, 415, "fffffffffffffff6", sha2, RUN_2, T2, "");
  doc = trace_document(revs, 2, log, &problems);
  out = fopen(out_path, "w");
  cr_assert_not_null(out);
  audit_trace_print(out, doc);
  cr_assert_eq(fclose(out), 0);
  text = ts_read_file(out_path, NULL);
  cr_assert_not_null(text);
  cr_assert_not_null(strstr(text, "2 revisions"), "%s", text);
  cr_assert_not_null(strstr(text, "revision 1: 410 per_10000, final"), "%s",
                     text);
  cr_assert_not_null(strstr(text, "until " T2), "%s", text);
  cr_assert_not_null(strstr(text, "until now (current)"), "%s", text);
  cr_assert_not_null(strstr(text, "https://h/a"), "%s", text);
  cr_assert_not_null(strstr(text, "HTTP 200, TLSv1.3"), "%s", text);
  cr_assert_not_null(strstr(text, "2 attempts"), "%s", text);
  cr_assert_not_null(strstr(text, "removed by spool retention, seq 13"), "%s",
                     text);
  cr_assert_not_null(strstr(text, "NOT IN THE LOG (span fffffffffffffff6)"),
                     "%s", text);
  cr_assert_not_null(strstr(text, "PROBLEM  revision 2:"), "%s", text);
  cr_assert_not_null(strstr(text, "a torn last line"), "%s", text);
  cr_assert_not_null(strstr(text, "INCOMPLETE"), "%s", text);
  free(text);
  json_decref(doc);
}
