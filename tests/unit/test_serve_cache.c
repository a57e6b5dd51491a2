/*
 * test_serve_cache.c - HTTP dates, entity tags, the 304 decision and the
 * bounded cache of rendered answers (generations, eviction, bodies that
 * outlive their entry).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include "serve_cache.h"

Test(serve_http_date, format_and_parse) {
  char text[SERVE_HTTP_DATE_MAX];
  time_t t;
  cr_assert_eq(serve_http_date(784111777, text, sizeof text), 0);
  cr_assert_str_eq(text, "Sun, 06 Nov 1994 08:49:37 GMT");
  cr_assert_eq(serve_parse_http_date(text, &t), 0);
  cr_assert_eq(t, 784111777);
  cr_assert_eq(serve_parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT", &t), 0);
  cr_assert_eq(t, 0);
  cr_assert_eq(serve_http_date(1795000000, text, sizeof text), 0);
  cr_assert_eq(serve_parse_http_date(text, &t), 0);
  cr_assert_eq(t, 1795000000);
}

Test(serve_http_date, refuses_other_shapes) {
  time_t t;
  cr_assert_eq(serve_parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", &t), -1);
  cr_assert_eq(serve_parse_http_date("Sun Nov  6 08:49:37 1994", &t), -1);
  cr_assert_eq(serve_parse_http_date("Sun, 06 Nov 1994 08:49:37 UTC", &t), -1);
  cr_assert_eq(serve_parse_http_date("Xyz, 06 Nov 1994 08:49:37 GMT", &t), -1);
  cr_assert_eq(serve_parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT", &t), -1);
  cr_assert_eq(serve_parse_http_date("Sun, 0x Nov 1994 08:49:37 GMT", &t), -1);
  cr_assert_eq(serve_parse_http_date("Sun, 31 Feb 1994 08:49:37 GMT", &t), -1);
  cr_assert_eq(serve_parse_http_date("", &t), -1);
  cr_assert_eq(serve_parse_http_date(NULL, &t), -1);
}

Test(serve_etag, of_a_body) {
  char etag[SERVE_ETAG_MAX];
  cr_assert_eq(serve_etag_of("abc", 3, etag), 0);
  cr_assert_str_eq(
      etag,
      "\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"");
}

Test(serve_etag, if_none_match_lists) {
  const char *e = "\"abc\"";
  cr_assert(serve_etag_matches("\"abc\"", e));
  cr_assert(serve_etag_matches("W/\"abc\"", e), "weak comparison");
  cr_assert(serve_etag_matches("\"x\", \"abc\"", e));
  cr_assert(serve_etag_matches("\"x\",W/\"abc\"", e));
  cr_assert(serve_etag_matches(" *", e));
  cr_assert_not(serve_etag_matches("\"abcd\"", e));
  cr_assert_not(serve_etag_matches("abc", e), "unquoted is not a tag");
  cr_assert_not(serve_etag_matches("\"ab", e));
  cr_assert_not(serve_etag_matches("", e));
  cr_assert_not(serve_etag_matches(NULL, e));
  cr_assert_not(serve_etag_matches("*", ""), "no representation");
}

Test(serve_etag, the_304_decision) {
  const char *e = "\"abc\"";
  time_t lm = 784111777;
  cr_assert(serve_not_modified("\"abc\"", NULL, e, lm));
  cr_assert_not(serve_not_modified("\"old\"", NULL, e, lm));
  /* If-None-Match present: If-Modified-Since is not looked at. */
  cr_assert_not(
      serve_not_modified("\"old\"", "Sun, 06 Nov 1994 08:49:37 GMT", e, lm));
  cr_assert(serve_not_modified(NULL, "Sun, 06 Nov 1994 08:49:37 GMT", e, lm));
  cr_assert(serve_not_modified(NULL, "Mon, 07 Nov 1994 08:49:37 GMT", e, lm));
  cr_assert_not(
      serve_not_modified(NULL, "Sun, 06 Nov 1994 08:49:36 GMT", e, lm));
  cr_assert_not(serve_not_modified(NULL, "yesterday", e, lm), "invalid date");
  cr_assert_not(serve_not_modified(NULL, "Sun, 06 Nov 1994 08:49:37 GMT", e, 0),
                "unknown Last-Modified");
  cr_assert_not(serve_not_modified(NULL, NULL, e, lm));
}

static struct serve_answer answer_of(const char *text) {
  struct serve_answer a;
  memset(&a, 0, sizeof a);
  a.body = serve_body_new(strlen(text));
  cr_assert_not_null(a.body);
  memcpy(a.body->data, text, strlen(text));
  cr_assert_eq(serve_etag_of(text, strlen(text), a.etag), 0);
  snprintf(a.content_type, sizeof a.content_type, "application/json");
  a.rows = 1;
  return a;
}

Test(serve_cache, get_put_and_generations) {
  struct serve_cache *c;
  cr_assert_eq(serve_cache_new(1 << 20, &c), 0);
  serve_cache_set_generation(c, "g1");
  struct serve_answer a = answer_of("{\"x\":1}");
  cr_assert_null(serve_cache_get(c, "k"));
  cr_assert_eq(serve_cache_put(c, "k", &a), 0);
  serve_body_unref(a.body); /* the cache holds its own reference */
  const struct serve_answer *got = serve_cache_get(c, "k");
  cr_assert_not_null(got);
  cr_assert_eq(got->body->len, 7);
  cr_assert_eq(memcmp(got->body->data, "{\"x\":1}", 7), 0);
  cr_assert_str_eq(got->etag, a.etag);
  serve_cache_set_generation(c, "g1");
  cr_assert_not_null(serve_cache_get(c, "k"), "same generation keeps it");
  serve_cache_set_generation(c, "g2");
  cr_assert_null(serve_cache_get(c, "k"), "new generation empties");
  cr_assert_eq(serve_cache_bytes(c), 0);
  serve_cache_free(c);
}

Test(serve_cache, replacing_a_key) {
  struct serve_cache *c;
  cr_assert_eq(serve_cache_new(1 << 20, &c), 0);
  struct serve_answer a = answer_of("one"), b = answer_of("three");
  cr_assert_eq(serve_cache_put(c, "k", &a), 0);
  cr_assert_eq(serve_cache_put(c, "k", &b), 0);
  cr_assert_eq(serve_cache_count(c), 1);
  cr_assert_eq(serve_cache_get(c, "k")->body->len, 5);
  serve_body_unref(a.body);
  serve_body_unref(b.body);
  serve_cache_free(c);
}

Test(serve_cache, least_recently_used_goes_first) {
  struct serve_cache *c;
  size_t cost;
  struct serve_answer a = answer_of("some rendered answer");
  cr_assert_eq(serve_cache_new(1 << 20, &c), 0);
  cr_assert_eq(serve_cache_put(c, "a", &a), 0);
  cost = serve_cache_bytes(c);
  serve_cache_free(c);
  /* room for four answers, not five */
  cr_assert_eq(serve_cache_new(4 * cost + cost / 2, &c), 0);
  cr_assert_eq(serve_cache_put(c, "a", &a), 0);
  cr_assert_eq(serve_cache_put(c, "b", &a), 0);
  cr_assert_eq(serve_cache_put(c, "c", &a), 0);
  cr_assert_eq(serve_cache_put(c, "d", &a), 0);
  cr_assert_not_null(serve_cache_get(c, "a")); /* a is now the newest */
  cr_assert_eq(serve_cache_put(c, "e", &a), 0);
  cr_assert(serve_cache_bytes(c) <= 4 * cost + cost / 2);
  cr_assert_eq(serve_cache_count(c), 4);
  cr_assert_not_null(serve_cache_get(c, "a"));
  cr_assert_null(serve_cache_get(c, "b"), "oldest evicted");
  cr_assert_not_null(serve_cache_get(c, "e"));
  serve_body_unref(a.body);
  serve_cache_free(c);
}

Test(serve_cache, large_answers_and_off) {
  struct serve_cache *c;
  char body[2000];
  memset(body, 'y', sizeof body - 1);
  body[sizeof body - 1] = '\0';
  struct serve_answer a = answer_of(body);
  cr_assert_eq(serve_cache_new(4000, &c), 0);
  cr_assert_eq(serve_cache_put(c, "big", &a), 1, "over a quarter: not kept");
  cr_assert_null(serve_cache_get(c, "big"));
  serve_cache_free(c);
  cr_assert_eq(serve_cache_new(0, &c), 0);
  cr_assert_eq(serve_cache_put(c, "k", &a), 1, "cache off");
  cr_assert_null(serve_cache_get(c, "k"));
  serve_cache_free(c);
  serve_body_unref(a.body);
}

Test(serve_cache, a_body_outlives_its_entry) {
  struct serve_cache *c;
  cr_assert_eq(serve_cache_new(1 << 20, &c), 0);
  struct serve_answer a = answer_of("still here");
  cr_assert_eq(serve_cache_put(c, "k", &a), 0);
  serve_body_unref(a.body);
  struct serve_body *held = serve_cache_get(c, "k")->body;
  serve_body_ref(held); /* as an answer being written holds it */
  serve_cache_set_generation(c, "other");
  cr_assert_eq(memcmp(held->data, "still here", 10), 0);
  serve_body_unref(held);
  serve_cache_free(c);
}
