/*
 * export_json.c - the JSON feed (schemas/observation.schema.json):
 *
 *   {"feed":{"name":..,"generated_at":..,"as_of":null,"gateway_version":..,
 *            "schema":"observation.schema.json"},
 *    "observations":[
 *   {...},
 *   {...}
 *   ],
 *   "count":N}
 *
 * Written as it streams, one observation per line (diff- and grep-friendly),
 * so the count can only come last. Every observation has the same keys in
 * the same order; value, ci_low and ci_high are null when absent, never 0.
 * With provenance the source block adds span_id and, when the revision's
 * validity is known, valid_from (and valid_to, null while current, in an
 * as-of feed).
 */
#include <stdint.h>
#include <string.h>

#include "export_internal.h"
#include "gw_alloc.h"
#include "provenance.h"

#define SCHEMA_NAME "observation.schema.json"

struct json_state {
  FILE *out;
  int with_provenance;
  int as_of;     /* an as-of feed: valid_to too */
  uint64_t rows; /* written so far: the separator before the next one */
};

/* The escape of a character that needs one, else NULL. */
static const char *json_escape(unsigned char c, char buf[8]) {
  static const char hex[] = "0123456789abcdef";
  switch (c) {
  case '"':
    return "\\\"";
  case '\\':
    return "\\\\";
  case '\b':
    return "\\b";
  case '\f':
    return "\\f";
  case '\n':
    return "\\n";
  case '\r':
    return "\\r";
  case '\t':
    return "\\t";
  default:
    if (c >= 0x20)
      return NULL;
    buf[0] = '\\';
    buf[1] = 'u';
    buf[2] = '0';
    buf[3] = '0';
    buf[4] = hex[c >> 4];
    buf[5] = hex[c & 0xF];
    buf[6] = '\0';
    return buf;
  }
}

/* Escapes per RFC 8259: quote, backslash and control characters; the rest
 * (valid UTF-8, checked before) passes through unchanged. Runs of plain
 * characters go out in one fwrite: a feed of millions of strings made one
 * locked fputc per character the export's hot spot. */
static void put_string(FILE *out, const char *s) {
  const unsigned char *p = (const unsigned char *)s, *run = p;
  char buf[8];
  fputc('"', out);
  for (; *p; p++) {
    const char *esc = json_escape(*p, buf);
    if (!esc)
      continue;
    if (p > run)
      fwrite(run, 1, (size_t)(p - run), out);
    fputs(esc, out);
    run = p + 1;
  }
  if (p > run)
    fwrite(run, 1, (size_t)(p - run), out);
  fputc('"', out);
}

static void put_member(FILE *out, const char *key, const char *value) {
  fputc('"', out);
  fputs(key, out); /* keys are ours: plain ASCII */
  fputs("\":", out);
  if (value)
    put_string(out, value);
  else
    fputs("null", out);
}

static int put_number(FILE *out, const char *key, int present, double v) {
  char text[EXPORT_NUMBER_MAX];
  fprintf(out, ",\"%s\":", key);
  if (!present) {
    fputs("null", out);
    return 0;
  }
  if (export_number_text(v, text, sizeof text) != 0)
    return -1;
  fputs(text, out);
  return 0;
}

static int stream_ok(FILE *out, const char *step) {
  if (ferror(out)) {
    export_set_error("writing the JSON %s failed", step);
    return -1;
  }
  return 0;
}

static int json_begin(FILE *out, const struct gw_export_options *opt,
                      void **state) {
  struct export_feed_meta meta;
  struct json_state *st;

  *state = NULL;
  if (export_feed_meta(opt, &meta) != 0)
    return -1;
  st = gw_calloc(1, sizeof *st);
  if (st == NULL) {
    export_set_error("out of memory starting the JSON feed");
    return -1;
  }
  st->out = out;
  st->with_provenance = opt->with_provenance;
  st->as_of = meta.as_of != NULL;
  fputs("{\"feed\":{", out);
  put_member(out, "name", meta.name);
  fputc(',', out);
  put_member(out, "generated_at", meta.generated_at);
  fputc(',', out);
  put_member(out, "as_of", meta.as_of);
  fputc(',', out);
  put_member(out, "gateway_version", meta.gateway_version);
  fputc(',', out);
  put_member(out, "schema", SCHEMA_NAME);
  fputs("},\n\"observations\":[", out);
  if (stream_ok(out, "feed header") != 0) {
    gw_free(st);
    return -1;
  }
  *state = st;
  return 0;
}

static void put_source(const struct json_state *st,
                       const struct gw_observation *obs,
                       const struct gw_validity *validity) {
  FILE *out = st->out;
  fputs(",\"source\":{", out);
  put_member(out, "id", obs->source_id);
  fputc(',', out);
  put_member(out, "plugin", obs->plugin);
  fputc(',', out);
  put_member(out, "dataset", obs->dataset);
  fputc(',', out);
  put_member(out, "source_code", obs->source_code);
  fputc(',', out);
  put_member(out, "fetched_at", obs->fetched_at);
  fputc(',', out);
  put_member(out, "payload_sha256", obs->payload_sha256);
  if (st->with_provenance && obs->span_id[0] != '\0') {
    fputc(',', out);
    put_member(out, "span_id", obs->span_id);
  }
  if (st->with_provenance && validity) {
    fputc(',', out);
    put_member(out, "valid_from", validity->valid_from);
    if (st->as_of) {
      fputc(',', out);
      put_member(out, "valid_to",
                 validity->valid_to[0] ? validity->valid_to : NULL);
    }
  }
  fputc('}', out);
}

static int json_row_with_validity(void *state, const struct gw_observation *obs,
                                  const struct gw_validity *validity) {
  struct json_state *st = state;
  FILE *out = st->out;
  /* Checked first: a refused row must not leave half an object behind. */
  if (export_check_observation(obs) != 0 ||
      export_check_validity(obs, validity) != 0)
    return -1;
  fputs(st->rows++ == 0 ? "\n{" : ",\n{", out);
  put_member(out, "indicator", obs->indicator);
  fputc(',', out);
  put_member(out, "area", obs->area);
  fputc(',', out);
  put_member(out, "area_level", area_level_name(obs->area_level));
  fputc(',', out);
  put_member(out, "period", obs->period);
  /* Already parsed as an object of strings by the check: emit verbatim. */
  fputs(",\"breakdown\":", out);
  fputs(obs->breakdown[0] ? obs->breakdown : "{}", out);
  if (put_number(out, "value", obs->has_value, obs->value) != 0)
    return -1;
  fputc(',', out);
  put_member(out, "unit", obs->unit);
  fputc(',', out);
  put_member(out, "status", status_name(obs->status));
  if (put_number(out, "ci_low", obs->has_ci_low, obs->ci_low) != 0 ||
      put_number(out, "ci_high", obs->has_ci_high, obs->ci_high) != 0)
    return -1;
  fprintf(out, ",\"revision\":%ld", obs->revision);
  put_source(st, obs, validity);
  fputc('}', out);
  return stream_ok(out, "observation");
}

static int json_row(void *state, const struct gw_observation *obs) {
  return json_row_with_validity(state, obs, NULL);
}

static int json_end(void *state, uint64_t count) {
  struct json_state *st = state;
  FILE *out = st->out;
  int rc = -1;
  if (count != st->rows) {
    export_set_error("feed count %llu differs from the %llu observations "
                     "written",
                     (unsigned long long)count, (unsigned long long)st->rows);
    goto out;
  }
  fprintf(out, "\n],\n\"count\":%llu}\n", (unsigned long long)count);
  if (fflush(out) != 0 || ferror(out)) {
    export_set_error("writing the end of the JSON feed failed");
    goto out;
  }
  rc = 0;
out:
  gw_free(st);
  return rc;
}

static void json_abort(void *state) {
  gw_free(state);
}

const struct gw_export_writer export_json_writer = {
    .begin = json_begin,
    .row = json_row,
    .row_with_validity = json_row_with_validity,
    .end = json_end,
    .abort = json_abort,
};
