/*
 * test_serve_query.c - the feed server's query strings: decoding, every
 * parameter's rule and message, list parameters, and the pagination
 * cursor (round trip, tampering, ordering).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include "serve_query.h"

static char err[512];

static void parse_ok(const char *raw, unsigned allowed, struct serve_query *q) {
  err[0] = '\0';
  cr_assert_eq(serve_query_parse(raw, allowed, q, err, sizeof err), 0,
               "%s refused: %s", raw, err);
}

/* Refused, with a message containing needle. */
static void parse_bad(const char *raw, unsigned allowed, const char *needle) {
  struct serve_query q;
  err[0] = '\0';
  cr_assert_eq(serve_query_parse(raw, allowed, &q, err, sizeof err), -1,
               "%s was accepted", raw);
  cr_assert_not_null(strstr(err, needle), "message for %s: %s (wanted %s)", raw,
                     err, needle);
  cr_assert_null(q.storage);
}

Test(serve_query, defaults_for_an_empty_query) {
  struct serve_query q;
  parse_ok(NULL, SERVE_P_OBSERVATIONS, &q);
  cr_assert_eq(q.limit, SERVE_LIMIT_DEFAULT);
  cr_assert_eq(q.indicator_count, 0);
  cr_assert_null(q.indicators[0]);
  cr_assert_eq(q.has_cursor, 0);
  cr_assert_null(q.format);
  cr_assert_str_empty(q.period_from);
  serve_query_free(&q);
  parse_ok("", SERVE_P_OBSERVATIONS, &q);
  serve_query_free(&q);
  parse_ok("&&", SERVE_P_OBSERVATIONS, &q);
  serve_query_free(&q);
}

Test(serve_query, every_observation_filter) {
  struct serve_query q;
  parse_ok("indicator=bijstand_per_10k,jeugdhulp_pct&indicator=roken"
           "&area=GM0384&area=WK038401,BU03840100"
           "&area_level=gemeente,wijk&period_from=2020&period_to=2022KW01"
           "&status=final,provisional&breakdown=age:18%2B&breakdown=sex:v"
           "&source=cbs-statline&as_of=2026-11-24T12:00:00.250Z&limit=50"
           "&format=csv",
           SERVE_P_OBSERVATIONS, &q);
  cr_assert_eq(q.indicator_count, 3);
  cr_assert_str_eq(q.indicators[0], "bijstand_per_10k");
  cr_assert_str_eq(q.indicators[2], "roken");
  cr_assert_null(q.indicators[3]);
  cr_assert_eq(q.area_count, 3);
  cr_assert_str_eq(q.areas[2], "BU03840100");
  cr_assert_eq(q.area_levels,
               (1u << GW_AREA_MUNICIPALITY) | (1u << GW_AREA_DISTRICT));
  cr_assert_str_eq(q.period_from, "2020");
  cr_assert_str_eq(q.period_to, "2022-Q1");
  cr_assert_eq(q.statuses,
               (1u << GW_STATUS_FINAL) | (1u << GW_STATUS_PROVISIONAL));
  cr_assert_eq(q.breakdown_count, 2);
  cr_assert_str_eq(q.breakdowns[0].dimension, "age");
  cr_assert_str_eq(q.breakdowns[0].member, "18+");
  cr_assert_str_eq(q.breakdowns[1].member, "v");
  cr_assert_str_eq(q.sources[0], "cbs-statline");
  cr_assert_str_eq(q.as_of, "2026-11-24T12:00:00Z");
  cr_assert_eq(q.limit, 50);
  cr_assert_str_eq(q.format, "csv");
  serve_query_free(&q);
}

Test(serve_query, english_level_names_and_plus_as_space) {
  struct serve_query q;
  parse_ok("area_level=neighbourhood&breakdown=age:18+jaar",
           SERVE_P_OBSERVATIONS, &q);
  cr_assert_eq(q.area_levels, 1u << GW_AREA_NEIGHBOURHOOD);
  cr_assert_str_eq(q.breakdowns[0].member, "18 jaar");
  serve_query_free(&q);
  parse_ok("breakdown=none", SERVE_P_OBSERVATIONS, &q);
  cr_assert_eq(q.breakdown_none, 1);
  serve_query_free(&q);
}

Test(serve_query, clear_messages_for_bad_values) {
  const unsigned o = SERVE_P_OBSERVATIONS;
  parse_bad("limit=0", o, "'0' is not a whole number from 1 to 10000");
  parse_bad("limit=10001", o, "from 1 to 10000");
  parse_bad("limit=12abc", o, "limit");
  parse_bad("limit=5&limit=6", o, "parameter 'limit' given twice");
  parse_bad("indicator=Bijstand", o, "'Bijstand' is not an indicator id");
  parse_bad("area=GM%200384", o, "is not an area code");
  parse_bad("area_level=stad", o, "'stad' is not an area level");
  parse_bad("status=good", o, "'good' is not a status");
  parse_bad("period_from=gisteren", o, "'gisteren' is not a period");
  parse_bad("period_to=", o, "parameter 'period_to' has no value");
  parse_bad("as_of=yesterday", o, "is not an RFC 3339 UTC time");
  parse_bad("breakdown=age", o, "'age' is not 'none' or 'dimension:member'");
  parse_bad("breakdown=Age:x", o, "'Age:x' is not 'dimension:member'");
  parse_bad("breakdown=age:", o, "is not 'dimension:member'");
  parse_bad("cursor=bm90IGEgY3Vyc29y", o,
            "not a cursor this server handed out");
  parse_bad("indicator=a,,b", o, "empty value in its list");
  parse_bad("source=a/b", o, "is not a source id");
}

Test(serve_query, unknown_and_misplaced_parameters) {
  parse_bad("colour=red", SERVE_P_OBSERVATIONS,
            "unknown query parameter 'colour'; this endpoint takes: "
            "indicator, area");
  parse_bad("indicator=x", SERVE_P_FORMAT,
            "unknown query parameter 'indicator'; this endpoint takes: format");
  parse_bad("format=json", 0, "this endpoint takes: none");
  parse_bad("years=2022", SERVE_P_OBSERVATIONS, "unknown query parameter");
}

Test(serve_query, escapes_are_strict) {
  const unsigned o = SERVE_P_OBSERVATIONS;
  parse_bad("indicator=%zz", o, "escape");
  parse_bad("indicator=%4", o, "escape");
  parse_bad("indicator=abc%", o, "escape");
  parse_bad("indicator=a%00b", o, "control character");
  parse_bad("breakdown=age:%0a", o, "control character");
  parse_bad("%69ndicator=%zz", o, "escape");
  struct serve_query q;
  parse_ok("%69ndicator=%62ijstand", o, &q);
  cr_assert_str_eq(q.indicators[0], "bijstand");
  serve_query_free(&q);
}

Test(serve_query, bounded_sizes) {
  char raw[SERVE_QUERY_RAW_MAX + 64];
  size_t n = 0;
  int i;
  raw[0] = '\0';
  n += (size_t)snprintf(raw, sizeof raw, "indicator=a");
  for (i = 1; i <= SERVE_LIST_MAX; i++)
    n += (size_t)snprintf(raw + n, sizeof raw - n, ",a%d", i);
  parse_bad(raw, SERVE_P_OBSERVATIONS, "more than 64 values");
  memset(raw, 'a', sizeof raw - 1);
  raw[sizeof raw - 1] = '\0';
  memcpy(raw, "area=", 5);
  parse_bad(raw, SERVE_P_OBSERVATIONS, "query string longer than 8192 bytes");
  parse_bad("years=2020,2021,2022,2023,2024,2025,2026,2027,2028,2029,2030,"
            "2031,2032,2033,2034,2035,2036",
            SERVE_P_YEARS, "more than 16 years");
}

Test(serve_query, monitor_years) {
  struct serve_query q;
  parse_ok("years=2021,2022&format=json", SERVE_P_YEARS | SERVE_P_FORMAT, &q);
  cr_assert_eq(q.year_count, 2);
  cr_assert_str_eq(q.years[1], "2022");
  cr_assert_null(q.years[2]);
  serve_query_free(&q);
  parse_bad("years=22", SERVE_P_YEARS, "'22' is not a year");
}

static struct gw_observation obs_of(const char *indicator, const char *area,
                                    const char *period, const char *breakdown,
                                    const char *source) {
  struct gw_observation o;
  memset(&o, 0, sizeof o);
  snprintf(o.indicator, sizeof o.indicator, "%s", indicator);
  snprintf(o.area, sizeof o.area, "%s", area);
  snprintf(o.period, sizeof o.period, "%s", period);
  snprintf(o.breakdown, sizeof o.breakdown, "%s", breakdown);
  snprintf(o.source_id, sizeof o.source_id, "%s", source);
  o.area_level = GW_AREA_MUNICIPALITY;
  o.status = GW_STATUS_FINAL;
  return o;
}

Test(serve_query, filters_the_store_cannot_apply) {
  struct serve_query q;
  struct gw_observation o = obs_of("roken", "GM0384", "2022",
                                   "{\"age\":\"18+\",\"sex\":\"v\"}", "rivm");
  parse_ok("area_level=wijk", SERVE_P_OBSERVATIONS, &q);
  cr_assert_eq(serve_query_matches(&q, &o), 0);
  o.area_level = GW_AREA_DISTRICT;
  cr_assert_eq(serve_query_matches(&q, &o), 1);
  serve_query_free(&q);

  parse_ok("status=provisional", SERVE_P_OBSERVATIONS, &q);
  cr_assert_eq(serve_query_matches(&q, &o), 0);
  o.status = GW_STATUS_PROVISIONAL;
  cr_assert_eq(serve_query_matches(&q, &o), 1);
  serve_query_free(&q);

  parse_ok("breakdown=age:18%2B&breakdown=sex:v", SERVE_P_OBSERVATIONS, &q);
  cr_assert_eq(serve_query_matches(&q, &o), 1);
  serve_query_free(&q);
  parse_ok("breakdown=age:65%2B", SERVE_P_OBSERVATIONS, &q);
  cr_assert_eq(serve_query_matches(&q, &o), 0);
  serve_query_free(&q);
  parse_ok("breakdown=none", SERVE_P_OBSERVATIONS, &q);
  cr_assert_eq(serve_query_matches(&q, &o), 0);
  snprintf(o.breakdown, sizeof o.breakdown, "{}");
  cr_assert_eq(serve_query_matches(&q, &o), 1);
  serve_query_free(&q);

  parse_ok("source=cbs,rivm", SERVE_P_OBSERVATIONS, &q);
  cr_assert_eq(serve_query_matches(&q, &o), 1);
  snprintf(o.source_id, sizeof o.source_id, "ggd");
  cr_assert_eq(serve_query_matches(&q, &o), 0);
  serve_query_free(&q);
}

Test(serve_cursor, round_trip) {
  struct gw_observation o =
      obs_of("roken", "WK038401", "2022-Q1", "{\"age\":\"18+\"}", "rivm");
  struct serve_cursor c, back;
  char text[SERVE_CURSOR_MAX];
  serve_cursor_from_observation(&o, &c);
  cr_assert_eq(serve_cursor_encode(&c, text, sizeof text), 0);
  for (const char *s = text; *s; s++)
    cr_assert(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789-_",
                     *s),
              "cursor %s is not URL-safe", text);
  cr_assert_eq(serve_cursor_decode(text, &back), 0);
  cr_assert_str_eq(back.indicator, "roken");
  cr_assert_str_eq(back.area, "WK038401");
  cr_assert_str_eq(back.period, "2022-Q1");
  cr_assert_str_eq(back.breakdown, "{\"age\":\"18+\"}");
  cr_assert_str_eq(back.source_id, "rivm");
  /* through the query parser too */
  char raw[SERVE_CURSOR_MAX + 16];
  struct serve_query q;
  snprintf(raw, sizeof raw, "cursor=%s", text);
  parse_ok(raw, SERVE_P_OBSERVATIONS, &q);
  cr_assert_eq(q.has_cursor, 1);
  cr_assert_str_eq(q.cursor.source_id, "rivm");
  serve_query_free(&q);
}

Test(serve_cursor, tampered_cursors_are_refused) {
  struct gw_observation o = obs_of("roken", "GM0384", "2022", "{}", "rivm");
  struct serve_cursor c, back;
  char text[SERVE_CURSOR_MAX], bad[SERVE_CURSOR_MAX + 8];
  serve_cursor_from_observation(&o, &c);
  cr_assert_eq(serve_cursor_encode(&c, text, sizeof text), 0);
  snprintf(bad, sizeof bad, "%s=", text);
  cr_assert_eq(serve_cursor_decode(bad, &back), -1, "padding");
  snprintf(bad, sizeof bad, "%s", text);
  bad[3] = '+';
  cr_assert_eq(serve_cursor_decode(bad, &back), -1, "standard base64 char");
  snprintf(bad, sizeof bad, "%.*s", (int)strlen(text) - 4, text);
  cr_assert_eq(serve_cursor_decode(bad, &back), -1, "truncated");
  cr_assert_eq(serve_cursor_decode("", &back), -1);
  /* "c1\x1fa\x1fb\x1fc\x1fd" has four fields: base64url by hand */
  cr_assert_eq(serve_cursor_decode("YzEfYR9iH2MfZA", &back), -1, "four fields");
  /* "c1\x1fa\x1fb\x1fc\x1fd\x1fe\x1ff": six fields */
  cr_assert_eq(serve_cursor_decode("YzEfYR9iH2MfZB9lH2Y", &back), -1,
               "six fields");
  /* "c2\x1fa\x1fb\x1fc\x1fd\x1fe": wrong tag */
  cr_assert_eq(serve_cursor_decode("YzIfYR9iH2MfZB9l", &back), -1, "tag");
  /* "c1\x1fa\x1fb\x1fc\x1fd\x1fe" is fine */
  cr_assert_eq(serve_cursor_decode("YzEfYR9iH2MfZB9l", &back), 0);
  cr_assert_str_eq(back.source_id, "e");
  /* a newline inside a field */
  cr_assert_eq(serve_cursor_decode("YzEfYQpiH2IfYx9kH2U", &back), -1,
               "control byte");
}

Test(serve_cursor, order_matches_the_store) {
  struct gw_observation a = obs_of("a", "GM0384", "2022", "{}", "s1");
  struct gw_observation b = obs_of("a", "GM0384", "2022", "{}", "s2");
  struct gw_observation c = obs_of("a", "GM0384", "2022-Q1", "{}", "s0");
  struct gw_observation d = obs_of("b", "AA", "1990", "{}", "s0");
  struct serve_cursor at;
  serve_cursor_from_observation(&a, &at);
  cr_assert_eq(serve_cursor_before(&at, &a), 0, "not after itself");
  cr_assert_eq(serve_cursor_before(&at, &b), 1, "source breaks ties");
  cr_assert_eq(serve_cursor_before(&at, &c), 1, "2022 < 2022-Q1");
  cr_assert_eq(serve_cursor_before(&at, &d), 1, "indicator first");
  serve_cursor_from_observation(&c, &at);
  cr_assert_eq(serve_cursor_before(&at, &a), 0);
  cr_assert_eq(serve_cursor_before(&at, &b), 0);
}

Test(serve_cursor, fields_that_cannot_be_carried) {
  struct serve_cursor c;
  char small[8];
  memset(&c, 0, sizeof c);
  snprintf(c.indicator, sizeof c.indicator, "roken");
  snprintf(c.period, sizeof c.period,
           "20\x1f"
           "22");
  cr_assert_eq(serve_cursor_encode(&c, small, sizeof small), -1);
  char text[SERVE_CURSOR_MAX];
  cr_assert_eq(serve_cursor_encode(&c, text, sizeof text), -1,
               "separator inside a field");
}
