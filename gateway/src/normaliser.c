/*
 * normaliser.c - one raw plugin row to one validated observation.
 *
 * Runs once per source row, so it neither allocates nor does I/O: every
 * output field is a fixed-size array of struct gw_observation, and a value
 * that does not fit is a rejection naming the field, never a silent cut.
 * Rejection reasons are one line: the field, the offending value (quoted,
 * shortened, control bytes escaped) and what was expected.
 */
#include "normaliser.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "area.h"
#include "period.h"
#include "text.h"

/* More breakdown dimensions than this is a plugin bug, not a table. */
#define BREAKDOWN_ITEMS_MAX 16
/* How much of an offending value a reason quotes. */
#define QUOTE_MAX 48

static const char *const known_units[] = {
    "count", "percent", "per_1000", "per_10000", "days", "euro", "per_week",
};

int unit_is_known(const char *unit) {
  size_t i;
  if (!unit)
    return 0;
  for (i = 0; i < sizeof(known_units) / sizeof(known_units[0]); i++) {
    if (strcmp(unit, known_units[i]) == 0)
      return 1;
  }
  return 0;
}

/* ---- reasons -------------------------------------------------------- */

static void say(char *reason, size_t reason_size, const char *fmt, ...)
    GW_PRINTF_LIKE(3, 4);

/* A reason that had to be cut is still the right reason, so truncation is
 * deliberately not an error here. */
static void say(char *reason, size_t reason_size, const char *fmt, ...) {
  va_list ap;
  if (!reason || reason_size == 0)
    return;
  va_start(ap, fmt);
  (void)vsnprintf(reason, reason_size, fmt, ap);
  va_end(ap);
}

/* Length of the valid UTF-8 sequence at s (at most avail bytes), or 0. */
static size_t utf8_sequence(const unsigned char *s, size_t avail) {
  unsigned char c = s[0];
  size_t len, i;
  unsigned long cp;

  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (avail < len)
    return 0;
  for (i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  /* overlong forms, UTF-16 surrogates, beyond U+10FFFF */
  if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
      (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
    return 0;
  return len;
}

static int valid_utf8(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  size_t left = strlen(s), n;
  while (left > 0) {
    n = utf8_sequence(p, left);
    if (n == 0)
      return 0;
    p += n;
    left -= n;
  }
  return 1;
}

/* A short, printable, one-line rendering of an untrusted value for a
 * reason: at most QUOTE_MAX input bytes, cut on a character boundary, '"'
 * and '\' escaped, control and invalid bytes as \xNN, "..." when cut. */
static const char *quote(const char *s, char *buf, size_t size) {
  const unsigned char *p = (const unsigned char *)(s ? s : "");
  size_t used = 0, taken = 0, left = strlen((const char *)p), n;
  char piece[8];

  buf[0] = '\0';
  while (left > 0) {
    n = utf8_sequence(p, left);
    if (n == 0 || *p < 0x20 || *p == 0x7f) {
      (void)text_format(piece, sizeof piece, "\\x%02X", *p);
      n = 1;
    } else if (*p == '"' || *p == '\\') {
      piece[0] = '\\';
      piece[1] = (char)*p;
      piece[2] = '\0';
    } else {
      memcpy(piece, p, n);
      piece[n] = '\0';
    }
    if (taken + n > QUOTE_MAX || used + strlen(piece) + 4 > size) {
      (void)text_append(buf, size, "...");
      break;
    }
    (void)text_append(buf, size, piece);
    used += strlen(piece);
    taken += n;
    p += n;
    left -= n;
  }
  return buf;
}

/* Copies src (NULL = "") into a fixed field, or explains that it is too
 * long. */
static int copy_field(char *dst, size_t size, const char *src,
                      const char *field, char *reason, size_t reason_size) {
  char q[QUOTE_MAX * 4 + 8];
  if (text_copy(dst, size, src ? src : "") == 0)
    return 0;
  dst[0] = '\0';
  say(reason, reason_size, "field %s too long (%zu bytes, at most %zu): \"%s\"",
      field, strlen(src), size - 1, quote(src, q, sizeof q));
  return -1;
}

static size_t trimmed_length(const char *s) {
  const char *end;
  while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\v' ||
         *s == '\f')
    s++;
  end = s + strlen(s);
  while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' ||
                     end[-1] == '\r' || end[-1] == '\v' || end[-1] == '\f'))
    end--;
  return (size_t)(end - s);
}

/* ---- breakdown ------------------------------------------------------ */

struct writer {
  char *buf;
  size_t size, len;
  int overflow;
};

static void put(struct writer *w, const char *s, size_t n) {
  if (w->overflow || w->size - w->len <= n) {
    w->overflow = 1;
    return;
  }
  memcpy(w->buf + w->len, s, n);
  w->len += n;
  w->buf[w->len] = '\0';
}

/* JSON string escaping exactly as jansson's compact dump writes it, so the
 * canonical text survives a round trip through the store and exports
 * unchanged. */
static void put_json_string(struct writer *w, const char *s) {
  char esc[8];
  put(w, "\"", 1);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    switch (c) {
    case '"':
      put(w, "\\\"", 2);
      break;
    case '\\':
      put(w, "\\\\", 2);
      break;
    case '\b':
      put(w, "\\b", 2);
      break;
    case '\f':
      put(w, "\\f", 2);
      break;
    case '\n':
      put(w, "\\n", 2);
      break;
    case '\r':
      put(w, "\\r", 2);
      break;
    case '\t':
      put(w, "\\t", 2);
      break;
    default:
      if (c < 0x20) {
        (void)text_format(esc, sizeof esc, "\\u%04X", c);
        put(w, esc, 6);
      } else {
        put(w, s, 1);
      }
    }
  }
  put(w, "\"", 1);
}

static int check_item(const struct gw_breakdown_item *item, char *reason,
                      size_t reason_size) {
  char q[QUOTE_MAX * 4 + 8];
  if (!item->dimension || item->dimension[0] == '\0') {
    say(reason, reason_size,
        "breakdown: a dimension name is missing or empty (expected e.g. "
        "\"age\")");
    return -1;
  }
  if (!valid_utf8(item->dimension)) {
    say(reason, reason_size, "breakdown: dimension \"%s\" is not valid UTF-8",
        quote(item->dimension, q, sizeof q));
    return -1;
  }
  if (!item->member || item->member[0] == '\0') {
    say(reason, reason_size,
        "breakdown: member of dimension \"%s\" is missing or empty",
        quote(item->dimension, q, sizeof q));
    return -1;
  }
  if (!valid_utf8(item->member)) {
    say(reason, reason_size,
        "breakdown: member of dimension \"%s\" is not valid UTF-8",
        quote(item->dimension, q, sizeof q));
    return -1;
  }
  return 0;
}

int breakdown_canonical(const struct gw_breakdown_item *items, size_t count,
                        const struct gw_breakdown_item *extra,
                        size_t extra_count, char *out, size_t out_size,
                        char *reason, size_t reason_size) {
  const struct gw_breakdown_item *all[BREAKDOWN_ITEMS_MAX];
  struct writer w = {out, out_size, 0, 0};
  char q[QUOTE_MAX * 4 + 8], q1[QUOTE_MAX * 4 + 8], q2[QUOTE_MAX * 4 + 8];
  size_t n = 0, i, j;

  if (!out || out_size == 0)
    return -1;
  out[0] = '\0';
  if ((count > 0 && !items) || (extra_count > 0 && !extra)) {
    say(reason, reason_size,
        "breakdown: %zu items announced but no array given",
        count > 0 && !items ? count : extra_count);
    return -1;
  }
  if (count > BREAKDOWN_ITEMS_MAX ||
      extra_count > BREAKDOWN_ITEMS_MAX - count) {
    say(reason, reason_size, "breakdown: %zu dimensions (at most %d)",
        count + extra_count, BREAKDOWN_ITEMS_MAX);
    return -1;
  }
  for (i = 0; i < count; i++)
    all[n++] = &items[i];
  for (i = 0; i < extra_count; i++)
    all[n++] = &extra[i];
  for (i = 0; i < n; i++) {
    if (check_item(all[i], reason, reason_size) != 0)
      return -1;
  }
  /* Byte order, like jansson's JSON_SORT_KEYS; n is tiny. */
  for (i = 1; i < n; i++) {
    const struct gw_breakdown_item *item = all[i];
    for (j = i; j > 0 && strcmp(all[j - 1]->dimension, item->dimension) > 0;
         j--)
      all[j] = all[j - 1];
    all[j] = item;
  }
  for (i = 1; i < n; i++) {
    if (strcmp(all[i - 1]->dimension, all[i]->dimension) == 0) {
      say(reason, reason_size,
          "breakdown: dimension \"%s\" given twice (members \"%s\" and "
          "\"%s\")",
          quote(all[i]->dimension, q, sizeof q),
          quote(all[i - 1]->member, q1, sizeof q1),
          quote(all[i]->member, q2, sizeof q2));
      return -1;
    }
  }
  put(&w, "{", 1);
  for (i = 0; i < n; i++) {
    if (i > 0)
      put(&w, ",", 1);
    put_json_string(&w, all[i]->dimension);
    put(&w, ":", 1);
    put_json_string(&w, all[i]->member);
  }
  put(&w, "}", 1);
  if (w.overflow) {
    out[0] = '\0';
    say(reason, reason_size,
        "field breakdown too long (canonical JSON exceeds %zu bytes)",
        out_size - 1);
    return -1;
  }
  return 0;
}

/* ---- the steps of normalise() --------------------------------------- */

static gw_normalise_result
resolve_indicator(const struct gw_normalise_context *ctx,
                  const struct gw_raw_observation *raw,
                  const struct gw_indicator **ind,
                  const struct gw_source_mapping **mapping, char *reason,
                  size_t reason_size) {
  char q1[QUOTE_MAX * 4 + 8], q2[QUOTE_MAX * 4 + 8];
  int explicit_id = raw->indicator && raw->indicator[0] != '\0';
  int has_code = raw->source_code && raw->source_code[0] != '\0';

  *ind = NULL;
  *mapping = NULL;
  if (!explicit_id && !has_code) {
    say(reason, reason_size,
        "source_code: missing (a row needs a source code or an indicator "
        "id)");
    return GW_NORMALISE_REJECTED;
  }
  if (has_code && ctx->plugin)
    *mapping = catalogue_lookup(ctx->catalogue, ctx->plugin, raw->dataset,
                                raw->source_code);
  if (!explicit_id) {
    if (!*mapping)
      return GW_NORMALISE_UNMAPPED;
    *ind = catalogue_find(ctx->catalogue, (*mapping)->indicator);
    if (!*ind) { /* the loader guarantees this; be loud if it ever breaks */
      say(reason, reason_size,
          "indicator: mapping points to \"%s\", which is not in the "
          "catalogue",
          quote((*mapping)->indicator, q1, sizeof q1));
      return GW_NORMALISE_REJECTED;
    }
    return GW_NORMALISE_OK;
  }
  *ind = catalogue_find(ctx->catalogue, raw->indicator);
  if (!*ind) {
    say(reason, reason_size,
        "indicator: \"%s\" is not a catalogue id (see "
        "schemas/indicators.json)",
        quote(raw->indicator, q1, sizeof q1));
    return GW_NORMALISE_REJECTED;
  }
  /* The plugin named the indicator itself; the mapping still supplies its
   * fixed breakdown, but only if both agree on what the figure is. */
  if (*mapping && strcmp((*mapping)->indicator, (*ind)->id) != 0) {
    say(reason, reason_size,
        "indicator: plugin says \"%s\" but the catalogue maps code \"%s\" to "
        "\"%s\"",
        quote(raw->indicator, q1, sizeof q1),
        quote(raw->source_code, q2, sizeof q2), (*mapping)->indicator);
    return GW_NORMALISE_REJECTED;
  }
  return GW_NORMALISE_OK;
}

static int normalise_area(const char *raw_area, struct gw_observation *out,
                          char *reason, size_t reason_size) {
  char q[QUOTE_MAX * 4 + 8];
  size_t len;
  if (!raw_area) {
    say(reason, reason_size, "area: missing (expected a code such as GM0384)");
    return -1;
  }
  len = trimmed_length(raw_area);
  if (len >= sizeof out->area) {
    say(reason, reason_size,
        "field area too long (%zu bytes, at most %zu): \"%s\"", len,
        sizeof out->area - 1, quote(raw_area, q, sizeof q));
    return -1;
  }
  out->area_level = area_normalise(raw_area, out->area, sizeof out->area);
  if (out->area_level == GW_AREA_UNKNOWN) {
    say(reason, reason_size,
        "area: unknown area code \"%s\" (expected NL01, GMnnnn, WKnnnnnn, "
        "BUnnnnnnnn or a region code such as GG3406)",
        quote(raw_area, q, sizeof q));
    return -1;
  }
  return 0;
}

static int normalise_period_field(const struct gw_normalise_context *ctx,
                                  const char *raw_period,
                                  struct gw_observation *out, char *reason,
                                  size_t reason_size) {
  char q[QUOTE_MAX * 4 + 8];
  size_t len;
  gw_period_kind kind;

  if (!raw_period) {
    say(reason, reason_size, "period: missing (expected e.g. 2022JJ00)");
    return -1;
  }
  len = trimmed_length(raw_period);
  if (len >= sizeof out->period) {
    say(reason, reason_size,
        "field period too long (%zu bytes, at most %zu): \"%s\"", len,
        sizeof out->period - 1, quote(raw_period, q, sizeof q));
    return -1;
  }
  kind = period_normalise(raw_period, out->period, sizeof out->period);
  if (kind == GW_PERIOD_INVALID) {
    say(reason, reason_size,
        "period: \"%s\" is empty or has unprintable characters (expected "
        "e.g. 2022JJ00, 2022KW01, 2022MM03)",
        quote(raw_period, q, sizeof q));
    return -1;
  }
  if (kind == GW_PERIOD_OPAQUE && ctx->reject_opaque_periods) {
    say(reason, reason_size,
        "period: unrecognised period code \"%s\" (expected e.g. 2022JJ00, "
        "2022KW01, 2022MM03, 2022W105; this source rejects other codes)",
        quote(raw_period, q, sizeof q));
    return -1;
  }
  return 0;
}

static int status_says_figure(gw_status status) {
  return status == GW_STATUS_FINAL || status == GW_STATUS_PROVISIONAL ||
         status == GW_STATUS_REVISED;
}

static int decide_value(const struct gw_raw_observation *raw,
                        struct gw_observation *out, char *reason,
                        size_t reason_size) {
  if ((int)raw->status < GW_STATUS_UNSET ||
      (int)raw->status > GW_STATUS_IMPOSSIBLE) {
    say(reason, reason_size,
        "status: unknown status code %d (expected a gw_status value)",
        (int)raw->status);
    return -1;
  }
  out->has_value = raw->has_value != 0;
  out->value = out->has_value ? raw->value : 0.0;
  if (raw->status == GW_STATUS_UNSET)
    out->status = out->has_value ? GW_STATUS_FINAL : GW_STATUS_MISSING;
  else if (status_says_figure(raw->status) && !out->has_value)
    out->status = GW_STATUS_MISSING;
  else
    out->status = raw->status;
  /* A suppressed (or otherwise absent) figure is never published, even when
   * the source or plugin left a number in the cell: DESIGN 4 forbids
   * un-suppressing, and a stray 0 would read as a real figure. */
  if (!status_says_figure(out->status)) {
    out->has_value = 0;
    out->value = 0.0;
  }
  if (out->has_value && !isfinite(out->value)) {
    say(reason, reason_size, "value: %s is not a finite number",
        isnan(out->value) ? "NaN" : "infinity");
    return -1;
  }
  return 0;
}

static int decide_unit(const struct gw_raw_observation *raw,
                       const struct gw_indicator *ind,
                       struct gw_observation *out, char *reason,
                       size_t reason_size) {
  char q[QUOTE_MAX * 4 + 8];
  const char *unit = ind->unit;
  if (raw->unit && raw->unit[0] != '\0') {
    if (!unit_is_known(raw->unit)) {
      say(reason, reason_size,
          "unit: unknown unit \"%s\" (expected count, percent, per_1000, "
          "per_10000, days, euro or per_week)",
          quote(raw->unit, q, sizeof q));
      return -1;
    }
    unit = raw->unit;
  }
  return copy_field(out->unit, sizeof out->unit, unit, "unit", reason,
                    reason_size);
}

static int copy_provenance(const struct gw_normalise_context *ctx,
                           const struct gw_raw_observation *raw,
                           struct gw_observation *out, char *reason,
                           size_t reason_size) {
  if (copy_field(out->source_id, sizeof out->source_id, ctx->source_id,
                 "source_id", reason, reason_size) ||
      copy_field(out->plugin, sizeof out->plugin, ctx->plugin, "plugin", reason,
                 reason_size) ||
      copy_field(out->dataset, sizeof out->dataset, raw->dataset, "dataset",
                 reason, reason_size) ||
      copy_field(out->source_code, sizeof out->source_code, raw->source_code,
                 "source_code", reason, reason_size) ||
      copy_field(out->fetched_at, sizeof out->fetched_at, ctx->fetched_at,
                 "fetched_at", reason, reason_size) ||
      copy_field(out->payload_sha256, sizeof out->payload_sha256,
                 ctx->payload_sha256, "payload_sha256", reason, reason_size) ||
      copy_field(out->span_id, sizeof out->span_id, ctx->span_id, "span_id",
                 reason, reason_size))
    return -1;
  return 0;
}

gw_normalise_result normalise(const struct gw_normalise_context *ctx,
                              const struct gw_raw_observation *raw,
                              struct gw_observation *out, char *reason,
                              size_t reason_size) {
  const struct gw_indicator *ind = NULL;
  const struct gw_source_mapping *mapping = NULL;
  gw_normalise_result rc = GW_NORMALISE_REJECTED;

  if (reason && reason_size > 0)
    reason[0] = '\0';
  if (!ctx || !ctx->catalogue || !raw || !out) {
    say(reason, reason_size,
        "internal: normalise() called without context, catalogue, row or "
        "output");
    return GW_NORMALISE_REJECTED;
  }
  memset(out, 0, sizeof *out);
  if (raw->size < sizeof *raw) {
    say(reason, reason_size,
        "observation: struct size %u is smaller than %zu (plugin built "
        "against an older ABI or forgot to set size)",
        (unsigned)raw->size, sizeof *raw);
    goto out;
  }
  rc = resolve_indicator(ctx, raw, &ind, &mapping, reason, reason_size);
  if (rc != GW_NORMALISE_OK)
    goto out;
  rc = GW_NORMALISE_REJECTED;
  if (copy_field(out->indicator, sizeof out->indicator, ind->id, "indicator",
                 reason, reason_size) != 0 ||
      normalise_area(raw->area, out, reason, reason_size) != 0 ||
      normalise_period_field(ctx, raw->period, out, reason, reason_size) != 0)
    goto out;
  if (breakdown_canonical(raw->breakdown, raw->breakdown_count,
                          mapping ? mapping->breakdown : NULL,
                          mapping ? mapping->breakdown_count : 0,
                          out->breakdown, sizeof out->breakdown, reason,
                          reason_size) != 0)
    goto out;
  if (raw->component != GW_COMPONENT_VALUE &&
      raw->component != GW_COMPONENT_CI_LOW &&
      raw->component != GW_COMPONENT_CI_HIGH) {
    say(reason, reason_size,
        "component: unknown component %d (expected value, ci_low or "
        "ci_high)",
        (int)raw->component);
    goto out;
  }
  out->component = raw->component;
  if (decide_value(raw, out, reason, reason_size) != 0 ||
      decide_unit(raw, ind, out, reason, reason_size) != 0 ||
      copy_provenance(ctx, raw, out, reason, reason_size) != 0)
    goto out;
  out->revision = 0; /* assigned by the store */
  rc = GW_NORMALISE_OK;
out:
  if (rc == GW_NORMALISE_REJECTED)
    memset(out, 0, sizeof *out); /* no half-filled observation escapes */
  return rc;
}
