/*
 * audit_filter.h - which exchange-log records `gateway audit show` wants:
 * a time range and lists of sources, events, outcomes and trace ids.
 *
 * Within one kind the values are alternatives (--event fetch --event parse
 * is either); the kinds must all hold. Matching is two-staged for speed on
 * logs of millions of records: the raw line is first searched for the
 * exact bytes each wanted value is written as ("source":"ID"), which
 * rejects almost every line without parsing, and only candidates have
 * their top-level members read (xlog_field.h) and compared exactly, so a
 * value that merely occurs nested or inside another string never matches.
 *
 * Time: the log's "time" member is RFC 3339 UTC with milliseconds and
 * grows with seq, but the wall clock can be set back a little; a reader
 * stops only once records are AUDIT_CLOCK_SLACK_MS past the end of the
 * range (audit_filter_match reports that), so a clock step of up to that
 * size never hides a record.
 *
 * Ownership: the filter keeps pointers to the value strings it is given;
 * they must outlive it. audit_filter_free() releases what the filter made.
 */
#ifndef GW_AUDIT_FILTER_H
#define GW_AUDIT_FILTER_H
#include <stddef.h>
#include <stdint.h>

#define AUDIT_FILTER_VALUES_MAX 32 /* values of one kind */
#define AUDIT_FILTER_VALUE_MAX 256 /* bytes in one value */
#define AUDIT_CLOCK_SLACK_MS (10 * 60 * 1000)
#define AUDIT_TIME_NONE_FROM INT64_MIN
#define AUDIT_TIME_NONE_TO INT64_MAX

typedef enum audit_field {
  AUDIT_SOURCE = 0, /* top-level "source" */
  AUDIT_EVENT,      /* "event" */
  AUDIT_OUTCOME,    /* "outcome" */
  AUDIT_TRACE,      /* "trace_id" (32 hex digits, compared lower-case) */
  AUDIT_FIELD_COUNT
} audit_field;

struct audit_filter_values {
  const char *values[AUDIT_FILTER_VALUES_MAX];
  char *needles[AUDIT_FILTER_VALUES_MAX]; /* the raw bytes, or NULL when a
                                             value cannot be prefiltered */
  char trace_storage[AUDIT_FILTER_VALUES_MAX][33];
  size_t count;
};

struct audit_filter {
  int64_t from_ms; /* inclusive; AUDIT_TIME_NONE_FROM: no lower bound */
  int64_t to_ms;   /* exclusive; AUDIT_TIME_NONE_TO: no upper bound */
  struct audit_filter_values kinds[AUDIT_FIELD_COUNT];
};

void audit_filter_init(struct audit_filter *f);
void audit_filter_free(struct audit_filter *f);

/* Adds one wanted value. 0, or -1 with err saying what is wrong (empty,
 * too long, too many, not a trace id). */
int audit_filter_add(struct audit_filter *f, audit_field kind,
                     const char *value, char *err, size_t err_size);

/* TIME as --from (is_to 0) or --to (is_to 1) takes it: RFC 3339 UTC
 * ("2026-11-24T02:50:08Z", fraction optional) or a date "2026-11-24",
 * which means the start of that day UTC for --from and includes the
 * whole day for --to. *ms gets the inclusive lower or exclusive upper
 * bound in milliseconds since the epoch. 0, or -1 with err. */
int audit_time_bound(const char *text, int is_to, int64_t *ms, char *err,
                     size_t err_size);

/* Milliseconds since the epoch of an RFC 3339 UTC time stamp (the "Z"
 * form; fractions beyond milliseconds are dropped). 0 or -1. */
int audit_time_parse_ms(const char *text, size_t len, int64_t *ms);

typedef enum audit_match {
  AUDIT_MATCH_NO = 0,
  AUDIT_MATCH_YES,
  AUDIT_MATCH_PAST_END, /* past the time range by more than the slack:
                           no later record can match either */
  AUDIT_MATCH_DAMAGED   /* not a JSON object with a "time" stamp */
} audit_match;

/* Decides for one raw record line (without its newline). */
audit_match audit_filter_match(const struct audit_filter *f, const char *text,
                               size_t len);

/* 1 when the filter has no condition at all. */
int audit_filter_is_empty(const struct audit_filter *f);

#endif
