/*
 * test_xlog_field.c - members of a raw record without a JSON tree: only
 * top-level members count, values are spans of the raw text, duplicates
 * resolve like jansson, malformed lines are refused, strings decode with
 * every escape (surrogate pairs, \u0000) and cut on a character boundary,
 * and a decode of any value agrees with jansson.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "xlog_field.h"

static struct gw_xlog_span one(const char *text, const char *key) {
  struct gw_xlog_span v;
  const char *keys[] = {key};
  cr_assert_eq(xlog_fields(text, strlen(text), keys, 1, &v), 0, "%s", text);
  return v;
}

static void assert_span(struct gw_xlog_span v, const char *raw) {
  cr_assert_not_null(v.p, "member absent, expected %s", raw);
  cr_assert_eq(v.len, strlen(raw), "'%.*s' vs '%s'", (int)v.len, v.p, raw);
  cr_assert_eq(memcmp(v.p, raw, v.len), 0);
}

Test(xlog_field, top_level_members_only) {
  const char *line =
      "{\"seq\":3,\"time\":\"2026-11-24T06:03:08.842Z\",\"attributes\":"
      "{\"source\":\"nested\",\"event\":[\"x\",{\"source\":1}]},"
      "\"event\":\"fetch\",\"source\":\"sociaal-domein\",\"bytes\":762,"
      "\"error\":null,\"ok\":true,\"f\":-1.5e3}";
  const char *keys[] = {"source", "event", "seq",     "bytes",     "error",
                        "ok",     "f",     "missing", "attributes"};
  struct gw_xlog_span v[9];
  cr_assert_eq(xlog_fields(line, strlen(line), keys, 9, v), 0);
  assert_span(v[0], "\"sociaal-domein\"");
  assert_span(v[1], "\"fetch\"");
  assert_span(v[2], "3");
  assert_span(v[3], "762");
  assert_span(v[4], "null");
  assert_span(v[5], "true");
  assert_span(v[6], "-1.5e3");
  cr_assert_null(v[7].p);
  assert_span(v[8], "{\"source\":\"nested\",\"event\":[\"x\",{\"source\":1}]}");
  cr_assert(xlog_span_is_null(v[4]));
  cr_assert_not(xlog_span_is_null(v[7]));
  cr_assert(xlog_span_is_string(v[0]));
  cr_assert_not(xlog_span_is_string(v[3]));
}

Test(xlog_field, strings_containing_lookalikes) {
  /* a quoted "source":"x" inside another string is not a member */
  const char *line = "{\"error\":\"bad \\\"source\\\":\\\"x\\\" here\","
                     "\"source\":\"y\"}";
  assert_span(one(line, "source"), "\"y\"");
}

Test(xlog_field, white_space_and_duplicates) {
  const char *line = " { \"a\" : 1 , \"b\" :\t\"x\" , \"a\" : [ ] } \n";
  const char *keys[] = {"a", "b"};
  struct gw_xlog_span v[2];
  cr_assert_eq(xlog_fields(line, strlen(line), keys, 2, v), 0);
  assert_span(v[0], "[ ]"); /* the last duplicate, as jansson keeps */
  assert_span(v[1], "\"x\"");
}

Test(xlog_field, empty_object_has_no_members) {
  struct gw_xlog_span v;
  const char *keys[] = {"a"};
  cr_assert_eq(xlog_fields("{}", 2, keys, 1, &v), 0);
  cr_assert_null(v.p);
}

/* Found by fuzz_audit_record: the empty key is a key like any other. */
Test(xlog_field, empty_key) {
  assert_span(one("{\"\":\"ab\",\"event\":\"store\"}", ""), "\"ab\"");
  assert_span(one("{\"\":1,\"a\":2}", "a"), "2");
}

Test(xlog_field, malformed_lines_are_refused) {
  static const char *const bad[] = {
      "",
      "[]",
      "{",
      "{\"a\"}",
      "{\"a\":}",
      "{\"a\":1,}",
      "{\"a\":1 \"b\":2}",
      "{\"a\":\"unterminated}",
      "{\"a\":\"bad escape \\x\"}",
      "{\"a\":\"short \\u12\"}",
      "{\"a\":\"raw\ttab\"}",
      "{\"a\":[1,2}",
      "{\"a\":{\"b\":1]}",
      "{\"a\":1}x",
      "{\"a\":1}{",
      "{a:1}",
      "{\"a\":\"x\"\"}",
      "\"str\"",
  };
  const char *keys[] = {"a"};
  struct gw_xlog_span v;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    cr_assert_eq(xlog_fields(bad[i], strlen(bad[i]), keys, 1, &v), -1,
                 "accepted: %s", bad[i]);
}

Test(xlog_field, length_bounds_the_scan) {
  const char *line = "{\"a\":1}garbage";
  const char *keys[] = {"a"};
  struct gw_xlog_span v;
  cr_assert_eq(xlog_fields(line, 7, keys, 1, &v), 0);
  cr_assert_eq(xlog_fields(line, 6, keys, 1, &v), -1);
}

Test(xlog_field, nesting_limit) {
  char deep[2 * XLOG_FIELD_DEPTH_MAX + 16], *p = deep;
  const char *keys[] = {"a"};
  struct gw_xlog_span v;
  int levels;
  for (levels = XLOG_FIELD_DEPTH_MAX - 1; levels <= XLOG_FIELD_DEPTH_MAX;
       levels++) {
    p = deep;
    memcpy(p, "{\"a\":", 5);
    p += 5;
    for (int i = 0; i < levels; i++)
      *p++ = '[';
    for (int i = 0; i < levels; i++)
      *p++ = ']';
    *p++ = '}';
    cr_assert_eq(xlog_fields(deep, (size_t)(p - deep), keys, 1, &v),
                 levels < XLOG_FIELD_DEPTH_MAX ? 0 : -1, "%d levels", levels);
  }
}

Test(xlog_field, string_decoding) {
  char out[64];
  struct gw_xlog_span v = one(
      "{\"s\":\"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\ud83d\\ude00\\u0000z\"}", "s");
  cr_assert_eq(xlog_span_string(v, out, sizeof out), 0);
  cr_assert_str_eq(out, "a\"b\\c/d\n\t\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbdz");
  /* a lone surrogate becomes U+FFFD */
  v = one("{\"s\":\"x\\ud800y\"}", "s");
  cr_assert_eq(xlog_span_string(v, out, sizeof out), 0);
  cr_assert_str_eq(out, "x\xef\xbf\xbdy");
  /* not a string */
  v = one("{\"s\":12}", "s");
  cr_assert_eq(xlog_span_string(v, out, sizeof out), -1);
  cr_assert_str_eq(out, "");
  v = (struct gw_xlog_span){NULL, 0};
  cr_assert_eq(xlog_span_string(v, out, sizeof out), -1);
}

Test(xlog_field, string_cut_on_character_boundary) {
  char out[6];
  /* "ab" then three 2-byte characters: 5 bytes of room fit "ab" + one */
  struct gw_xlog_span v = one("{\"s\":\"ab\xc3\xa9\xc3\xa9\xc3\xa9\"}", "s");
  cr_assert_eq(xlog_span_string(v, out, sizeof out), 1);
  cr_assert_str_eq(out, "ab\xc3\xa9");
  v = one("{\"s\":\"abcd\\u00e9\"}", "s");
  cr_assert_eq(xlog_span_string(v, out, sizeof out), 1);
  cr_assert_str_eq(out, "abcd");
  v = one("{\"s\":\"abcde\"}", "s");
  cr_assert_eq(xlog_span_string(v, out, sizeof out), 0);
  cr_assert_str_eq(out, "abcde");
}

Test(xlog_field, equals_and_integers) {
  int64_t n = 0;
  struct gw_xlog_span v = one("{\"s\":\"fetch\"}", "s");
  cr_assert(xlog_span_equals(v, "fetch"));
  cr_assert_not(xlog_span_equals(v, "fetc"));
  cr_assert_not(xlog_span_equals(v, "fetchx"));
  v = one("{\"s\":\"f\\u0065tch\"}", "s"); /* escaped: still equal */
  cr_assert(xlog_span_equals(v, "fetch"));
  v = one("{\"s\":null}", "s");
  cr_assert_not(xlog_span_equals(v, "null"));

  cr_assert_eq(xlog_span_int64(one("{\"n\":-42}", "n"), &n), 0);
  cr_assert_eq(n, -42);
  cr_assert_eq(xlog_span_int64(one("{\"n\":1795500188764}", "n"), &n), 0);
  cr_assert_eq(n, 1795500188764LL);
  cr_assert_eq(xlog_span_int64(one("{\"n\":1.5}", "n"), &n), -1);
  cr_assert_eq(xlog_span_int64(one("{\"n\":\"1\"}", "n"), &n), -1);
  cr_assert_eq(xlog_span_int64(one("{\"n\":99999999999999999999}", "n"), &n),
               -1);
  cr_assert_eq(xlog_span_int64(one("{\"m\":1}", "n"), &n), -1);
}

/* Whatever string jansson writes, the decoder reads back the same. */
Test(xlog_field, agrees_with_jansson) {
  static const char *const samples[] = {
      "plain",
      "quote \" and backslash \\",
      "tab\tnl\ncr\r",
      "\x01\x1f control",
      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
      "slash / and <tags>",
      ""};
  for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
    json_t *o = json_pack("{s:s}", "s", samples[i]);
    char *text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    char out[128];
    cr_assert_not_null(text);
    cr_assert_eq(xlog_span_string(one(text, "s"), out, sizeof out), 0, "%s",
                 text);
    cr_assert_str_eq(out, samples[i]);
    cr_assert(xlog_span_equals(one(text, "s"), samples[i]));
    free(text);
    json_decref(o);
  }
}
