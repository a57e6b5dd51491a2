/*
 * test_audit_filter.c - record selection for `gateway audit show`: time
 * arguments (dates, RFC 3339, what is refused), inclusive bounds, the
 * stop after the range with its clock slack, each kind of filter and
 * their combination, no false positives from nested or quoted look-alikes,
 * values that cannot be prefiltered, and the text line a record becomes.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "audit_filter.h"
#include "audit_text.h"
#include "text.h"

#define T0 "2026-11-24T06:03:08.842Z"

static char line_buf[4096];

/* A record as the log writes it. */
static const char *record(uint64_t seq, const char *time, const char *rest) {
  cr_assert_eq(text_format(line_buf, sizeof line_buf,
                           "{\"seq\":%llu,\"time\":\"%s\",\"prev\":\"00\"%s%s}",
                           (unsigned long long)seq, time, rest[0] ? "," : "",
                           rest),
               0);
  return line_buf;
}

static audit_match match(const struct audit_filter *f, const char *line) {
  return audit_filter_match(f, line, strlen(line));
}

static int64_t ms_of(const char *text) {
  int64_t ms = 0;
  cr_assert_eq(audit_time_parse_ms(text, strlen(text), &ms), 0, "%s", text);
  return ms;
}

static void add(struct audit_filter *f, audit_field kind, const char *value) {
  char err[256] = "";
  cr_assert_eq(audit_filter_add(f, kind, value, err, sizeof err), 0, "%s", err);
}

Test(audit_filter, time_parsing) {
  cr_assert_eq(ms_of("1970-01-01T00:00:00Z"), 0);
  cr_assert_eq(ms_of("1970-01-01T00:00:01.5Z"), 1500);
  cr_assert_eq(ms_of("1970-01-01T00:00:00.123456789Z"), 123);
  cr_assert_eq(ms_of("2026-11-24T06:03:08.842Z"), 1795500188842LL);
  cr_assert_eq(ms_of("2024-02-29T23:59:59.999z"), 1709251199999LL);
  cr_assert_eq(ms_of("2016-12-31T23:59:60Z"), 1483228799999LL);
  static const char *const bad[] = {
      "",
      "2026-11-24",
      "2026-11-24T06:03:08",
      "2026-11-24T06:03:08+01:00",
      "2026-11-24 06:03:08Z",
      "2026-13-01T00:00:00Z",
      "2026-02-29T00:00:00Z",
      "2026-11-31T00:00:00Z",
      "2026-11-24T24:00:00Z",
      "2026-11-24T06:60:00Z",
      "2026-11-24T06:03:61Z",
      "2026-11-24T06:03:08.Z",
      "2026-11-24T06:03:08.1234567890Z",
      "2026-11-24T06:03:08.8Zx",
      "26-11-24T06:03:08Z",
      "2026-1-24T06:03:08Z",
      "+026-11-24T06:03:08Z",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int64_t ms;
    cr_assert_eq(audit_time_parse_ms(bad[i], strlen(bad[i]), &ms), -1,
                 "accepted '%s'", bad[i]);
  }
}

Test(audit_filter, time_bounds_from_dates_and_stamps) {
  int64_t ms;
  char err[256];
  cr_assert_eq(audit_time_bound("2026-11-24", 0, &ms, err, sizeof err), 0);
  cr_assert_eq(ms, ms_of("2026-11-24T00:00:00Z"));
  cr_assert_eq(audit_time_bound("2026-11-24", 1, &ms, err, sizeof err), 0);
  cr_assert_eq(ms, ms_of("2026-11-25T00:00:00Z"), "--to a date: all day");
  cr_assert_eq(audit_time_bound(T0, 0, &ms, err, sizeof err), 0);
  cr_assert_eq(ms, ms_of(T0));
  cr_assert_eq(audit_time_bound(T0, 1, &ms, err, sizeof err), 0);
  cr_assert_eq(ms, ms_of(T0) + 1, "--to a stamp: inclusive");
  cr_assert_eq(audit_time_bound("2026-12-31", 1, &ms, err, sizeof err), 0);
  cr_assert_eq(ms, ms_of("2027-01-01T00:00:00Z"));

  cr_assert_eq(audit_time_bound("yesterday", 1, &ms, err, sizeof err), -1);
  cr_assert_not_null(strstr(err, "--to 'yesterday'"), "%s", err);
  cr_assert_eq(
      audit_time_bound("2026-11-24T06:00:00+01:00", 0, &ms, err, sizeof err),
      -1);
  cr_assert_not_null(strstr(err, "--from"), "%s", err);
  cr_assert_not_null(strstr(err, "UTC"), "%s", err);
  cr_assert_eq(audit_time_bound("2026-11-31", 0, &ms, err, sizeof err), -1);
}

Test(audit_filter, empty_filter_matches_everything) {
  struct audit_filter f;
  audit_filter_init(&f);
  cr_assert(audit_filter_is_empty(&f));
  cr_assert_eq(match(&f, record(0, T0, "")), AUDIT_MATCH_YES);
  /* without conditions nothing is parsed, so even junk passes */
  cr_assert_eq(match(&f, "junk"), AUDIT_MATCH_YES);
  audit_filter_free(&f);
}

Test(audit_filter, time_range_inclusive_and_stop_after_slack) {
  struct audit_filter f;
  char err[256];
  audit_filter_init(&f);
  cr_assert_eq(
      audit_time_bound("2026-11-24T06:00:00Z", 0, &f.from_ms, err, sizeof err),
      0);
  cr_assert_eq(
      audit_time_bound("2026-11-24T07:00:00Z", 1, &f.to_ms, err, sizeof err),
      0);
  cr_assert_not(audit_filter_is_empty(&f));
  cr_assert_eq(match(&f, record(1, "2026-11-24T05:59:59.999Z", "")),
               AUDIT_MATCH_NO);
  cr_assert_eq(match(&f, record(2, "2026-11-24T06:00:00.000Z", "")),
               AUDIT_MATCH_YES);
  cr_assert_eq(match(&f, record(3, "2026-11-24T07:00:00.000Z", "")),
               AUDIT_MATCH_YES);
  cr_assert_eq(match(&f, record(4, "2026-11-24T07:00:00.001Z", "")),
               AUDIT_MATCH_NO);
  /* a clock set back a few minutes: not yet past the end */
  cr_assert_eq(match(&f, record(5, "2026-11-24T07:09:00.000Z", "")),
               AUDIT_MATCH_NO);
  cr_assert_eq(match(&f, record(6, "2026-11-24T07:10:00.001Z", "")),
               AUDIT_MATCH_PAST_END);
  /* time not where the log puts it: still found */
  cr_assert_eq(match(&f, "{\"event\":\"x\",\"time\":\"2026-11-24T06:30:00Z\"}"),
               AUDIT_MATCH_YES);
  cr_assert_eq(match(&f, "{\"seq\":1}"), AUDIT_MATCH_DAMAGED);
  cr_assert_eq(match(&f, "{\"seq\":1,\"time\":\"soon\"}"), AUDIT_MATCH_DAMAGED);
  cr_assert_eq(match(&f, "{\"seq\":1,\"time\":\"2026-11-24T06:30:00.000Z\""),
               AUDIT_MATCH_YES, "the fast path reads only the time");
  audit_filter_free(&f);
}

Test(audit_filter, each_kind_and_combinations) {
  struct audit_filter f;
  const char *fetch = "\"event\":\"fetch\",\"trace_id\":"
                      "\"1dd5b5733ba8e35c31ce8545061597a4\",\"source\":"
                      "\"sociaal-domein\",\"outcome\":\"ok\"";
  const char *store = "\"event\":\"store\",\"trace_id\":"
                      "\"1dd5b5733ba8e35c31ce8545061597a4\",\"source\":"
                      "\"sociaal-domein\",\"outcome\":\"committed\"";
  const char *other = "\"event\":\"fetch\",\"trace_id\":"
                      "\"ffd5b5733ba8e35c31ce8545061597a4\",\"source\":"
                      "\"jeugdhulp\",\"outcome\":\"fail\"";
  char a[1024], b[1024], c[1024];
  text_copy(a, sizeof a, record(1, T0, fetch));
  text_copy(b, sizeof b, record(2, T0, store));
  text_copy(c, sizeof c, record(3, T0, other));

  audit_filter_init(&f);
  add(&f, AUDIT_SOURCE, "sociaal-domein");
  cr_assert_eq(match(&f, a), AUDIT_MATCH_YES);
  cr_assert_eq(match(&f, b), AUDIT_MATCH_YES);
  cr_assert_eq(match(&f, c), AUDIT_MATCH_NO);
  add(&f, AUDIT_EVENT, "store");
  cr_assert_eq(match(&f, a), AUDIT_MATCH_NO);
  cr_assert_eq(match(&f, b), AUDIT_MATCH_YES);
  add(&f, AUDIT_EVENT, "fetch"); /* either event */
  cr_assert_eq(match(&f, a), AUDIT_MATCH_YES);
  cr_assert_eq(match(&f, c), AUDIT_MATCH_NO, "source still must match");
  add(&f, AUDIT_OUTCOME, "committed");
  cr_assert_eq(match(&f, a), AUDIT_MATCH_NO);
  cr_assert_eq(match(&f, b), AUDIT_MATCH_YES);
  audit_filter_free(&f);

  audit_filter_init(&f);
  add(&f, AUDIT_TRACE, "1DD5B5733BA8E35C31CE8545061597A4"); /* any case */
  cr_assert_eq(match(&f, a), AUDIT_MATCH_YES);
  cr_assert_eq(match(&f, b), AUDIT_MATCH_YES);
  cr_assert_eq(match(&f, c), AUDIT_MATCH_NO);
  audit_filter_free(&f);

  audit_filter_init(&f);
  add(&f, AUDIT_OUTCOME, "fail");
  cr_assert_eq(match(&f, a), AUDIT_MATCH_NO);
  cr_assert_eq(match(&f, c), AUDIT_MATCH_YES);
  audit_filter_free(&f);
}

Test(audit_filter, no_false_positives_from_lookalikes) {
  struct audit_filter f;
  audit_filter_init(&f);
  add(&f, AUDIT_SOURCE, "jeugdhulp");
  /* the value elsewhere: nested, in another member, as a prefix */
  cr_assert_eq(match(&f, record(1, T0,
                                "\"attributes\":{\"source\":\"jeugdhulp\"},"
                                "\"source\":\"other\"")),
               AUDIT_MATCH_NO);
  cr_assert_eq(match(&f, record(2, T0, "\"name\":\"jeugdhulp\"")),
               AUDIT_MATCH_NO);
  cr_assert_eq(match(&f, record(3, T0, "\"source\":\"jeugdhulp-2\"")),
               AUDIT_MATCH_NO);
  cr_assert_eq(match(&f, record(4, T0, "\"source\":\"jeugdhulp\"")),
               AUDIT_MATCH_YES);
  /* a candidate that is not JSON is reported, not matched */
  cr_assert_eq(match(&f, "{\"seq\":5,\"source\":\"jeugdhulp\""),
               AUDIT_MATCH_DAMAGED);
  audit_filter_free(&f);
}

Test(audit_filter, values_that_cannot_be_prefiltered) {
  struct audit_filter f;
  audit_filter_init(&f);
  /* non-ASCII and '/' may be escaped in the log: compared after parsing */
  add(&f, AUDIT_SOURCE, "caf\xc3\xa9/x");
  cr_assert_eq(match(&f, record(1, T0, "\"source\":\"caf\\u00e9\\/x\"")),
               AUDIT_MATCH_YES);
  cr_assert_eq(match(&f, record(2, T0, "\"source\":\"cafe/x\"")),
               AUDIT_MATCH_NO);
  audit_filter_free(&f);
}

Test(audit_filter, refused_values) {
  struct audit_filter f;
  char err[256], long_value[AUDIT_FILTER_VALUE_MAX + 1];
  audit_filter_init(&f);
  cr_assert_eq(audit_filter_add(&f, AUDIT_SOURCE, "", err, sizeof err), -1);
  cr_assert_not_null(strstr(err, "--source"), "%s", err);
  memset(long_value, 'a', sizeof long_value - 1);
  long_value[sizeof long_value - 1] = '\0';
  cr_assert_eq(audit_filter_add(&f, AUDIT_EVENT, long_value, err, sizeof err),
               -1);
  cr_assert_eq(audit_filter_add(&f, AUDIT_TRACE, "abc", err, sizeof err), -1);
  cr_assert_not_null(strstr(err, "--trace 'abc'"), "%s", err);
  cr_assert_eq(audit_filter_add(&f, AUDIT_TRACE,
                                "1dd5b5733ba8e35c31ce8545061597ag", err,
                                sizeof err),
               -1);
  cr_assert_eq(audit_filter_add(&f, AUDIT_TRACE,
                                "1dd5b5733ba8e35c31ce8545061597a4a", err,
                                sizeof err),
               -1);
  for (int i = 0; i < AUDIT_FILTER_VALUES_MAX; i++)
    add(&f, AUDIT_OUTCOME, "ok");
  cr_assert_eq(audit_filter_add(&f, AUDIT_OUTCOME, "ok", err, sizeof err), -1);
  cr_assert_not_null(strstr(err, "at most"), "%s", err);
  audit_filter_free(&f);
}

/* ---- the text line ------------------------------------------------------ */

static const char *text_of(const char *line) {
  static char out[AUDIT_TEXT_LINE_MAX];
  cr_assert_eq(audit_text_record(line, strlen(line), out, sizeof out), 0, "%s",
               line);
  return out;
}

Test(audit_filter, text_lines_by_event) {
  const char *t;
  t = text_of(record(41, T0,
                     "\"event\":\"fetch\",\"source\":\"cbs\",\"url\":"
                     "\"https://h/x?a=1\",\"http_status\":200,"
                     "\"tls_version\":\"TLSv1.3\",\"bytes\":762,"
                     "\"outcome\":\"ok\",\"error\":null"));
  cr_assert_str_eq(t, T0 "       41 fetch        cbs                  ok"
                         "         200 TLSv1.3 bytes=762 https://h/x?a=1\n");
  t = text_of(record(7, T0,
                     "\"event\":\"store\",\"source\":\"s\",\"inserted\":480,"
                     "\"revised\":2,\"unchanged\":0,\"outcome\":"
                     "\"committed\""));
  cr_assert_not_null(strstr(t, "inserted=480 revised=2 unchanged=0\n"), "%s",
                     t);
  t = text_of(record(8, T0,
                     "\"event\":\"export\",\"feed\":\"indicators\","
                     "\"format\":\"xml\",\"count\":3,\"destination\":"
                     "\"/srv/f.xml\",\"outcome\":\"ok\""));
  cr_assert_not_null(
      strstr(t, "feed=indicators format=xml count=3 -> /srv/f.xml\n"), "%s", t);
  /* an event without its own detail: its name; no source: '-'; error */
  t = text_of(record(9, T0,
                     "\"event\":\"config\",\"name\":\"config:reload\","
                     "\"outcome\":\"fail\",\"error\":\"disk full\""));
  cr_assert_not_null(strstr(t, "config       -                    fail"), "%s",
                     t);
  cr_assert_not_null(strstr(t, "config:reload  error: disk full\n"), "%s", t);
  t = text_of(
      record(10, T0, "\"event\":\"checkpoint\",\"size\":11,\"root\":\"ab\""));
  cr_assert_not_null(strstr(t, "size=11\n"), "%s", t);
  cr_assert_eq(strncmp(audit_text_header(), "TIME", 4), 0);
}

Test(audit_filter, text_is_terminal_safe_and_bounded) {
  char big[8192];
  const char *t;
  char out[AUDIT_TEXT_LINE_MAX];
  t = text_of(record(1, T0,
                     "\"event\":\"fetch\",\"source\":\"a\\nb\",\"error\":"
                     "\"\\u001b[31mred\\r\\u0085x\""));
  for (const char *p = t; *p; p++)
    cr_assert(*p == '\n' ? p[1] == '\0' : (unsigned char)*p >= 0x20,
              "control character in: %s", t);
  cr_assert_not_null(strstr(t, "a b"), "%s", t);

  /* a huge URL is cut with "...", the line still ends in one newline */
  text_copy(big, sizeof big,
            "{\"seq\":2,\"time\":\"" T0 "\",\"event\":\"fetch\",\"url\":\"");
  for (size_t i = strlen(big); i < sizeof big - 8; i++)
    big[i] = 'u';
  big[sizeof big - 8] = '\0';
  text_append(big, sizeof big, "\"}");
  cr_assert_eq(audit_text_record(big, strlen(big), out, sizeof out), 0);
  cr_assert_lt(strlen(out), sizeof out);
  cr_assert_not_null(strstr(out, "...\n"), "%s", out);
  cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1);

  cr_assert_eq(audit_text_record("{\"seq\":", 7, out, sizeof out), -1);
  cr_assert_str_eq(out, "");
}
