/*
 * export_common.c - checks and formatting shared by the JSON, XML and CSV
 * writers, so the three feeds agree on what a row may contain and how a
 * number is spelled.
 */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "export_internal.h"
#include "provenance.h"
#include "text.h"

/* Per thread: the feed server may export on several worker threads. */
static _Thread_local char last_error[512];

void export_set_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  /* Truncation of a diagnostic is acceptable; vsnprintf terminates it. */
  (void)vsnprintf(last_error, sizeof last_error, fmt, ap);
  va_end(ap);
}

void export_clear_error(void) {
  last_error[0] = '\0';
}

const char *export_last_error(void) {
  return last_error;
}

/* printf follows LC_NUMERIC; a feed always uses '.'. */
static int force_decimal_point(char *buf) {
  for (char *p = buf; *p; p++) {
    if (*p == ',')
      *p = '.';
    else if (strchr("0123456789+-.e", *p) == NULL)
      return -1;
  }
  return 0;
}

int export_number_text(double v, char *buf, size_t size) {
  if (!isfinite(v)) {
    export_set_error("number is not finite (%s)", isnan(v) ? "NaN" : "Inf");
    return -1;
  }
  if (v == 0.0)
    v = 0.0; /* "-0" would only puzzle consumers */
  if (text_format(buf, size, "%.15g", v) != 0)
    goto too_small;
  if (strtod(buf, NULL) != v && text_format(buf, size, "%.17g", v) != 0)
    goto too_small;
  if (force_decimal_point(buf) != 0) {
    export_set_error("number %.17g formatted as \"%s\" (unexpected locale)", v,
                     buf);
    return -1;
  }
  return 0;
too_small:
  export_set_error("number %.17g does not fit a %zu-byte buffer", v, size);
  return -1;
}

int export_feed_meta(const struct gw_export_options *opt,
                     struct export_feed_meta *meta) {
  meta->name = opt->feed_name ? opt->feed_name : EXPORT_DEFAULT_FEED_NAME;
  meta->as_of = opt->as_of;
  meta->gateway_version =
      opt->gateway_version ? opt->gateway_version : GW_VERSION;
  meta->generated_at = opt->generated_at;
  if (meta->generated_at == NULL) {
    struct timespec now;
    struct tm tm;
    if (clock_gettime(CLOCK_REALTIME, &now) != 0 ||
        gmtime_r(&now.tv_sec, &tm) == NULL ||
        strftime(meta->generated_storage, sizeof meta->generated_storage,
                 "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
      export_set_error("cannot read the clock for generated_at");
      return -1;
    }
    meta->generated_at = meta->generated_storage;
  }
  const char *texts[] = {meta->name, meta->generated_at, meta->as_of,
                         meta->gateway_version};
  const char *names[] = {"feed_name", "generated_at", "as_of",
                         "gateway_version"};
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    if (texts[i] != NULL && !export_utf8_valid(texts[i])) {
      export_set_error("feed option %s is not valid UTF-8", names[i]);
      return -1;
    }
  }
  return 0;
}

int export_utf8_valid(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    unsigned c = *p;
    size_t extra;
    unsigned cp;
    if (c < 0x80) {
      p++;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
      cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      cp = c & 0x07u;
    } else {
      return 0;
    }
    for (size_t i = 1; i <= extra; i++) {
      if ((p[i] & 0xC0u) != 0x80u)
        return 0;
      cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if ((extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
      return 0;
    p += extra + 1;
  }
  return 1;
}

int export_breakdown_each(const char *breakdown, export_member_cb cb,
                          void *user) {
  json_error_t jerr;
  json_t *root;
  const char *dimension;
  json_t *member;
  int rc = 0;

  if (breakdown[0] == '\0')
    return 0;
  root = json_loads(breakdown, JSON_REJECT_DUPLICATES, &jerr);
  if (root == NULL) {
    export_set_error("breakdown %s is not valid JSON: %s", breakdown,
                     jerr.text);
    return -1;
  }
  if (!json_is_object(root)) {
    export_set_error("breakdown %s is not a JSON object", breakdown);
    rc = -1;
    goto out;
  }
  json_object_foreach(root, dimension, member) {
    if (dimension[0] == '\0' || !json_is_string(member)) {
      export_set_error("breakdown %s: every member must be a string under a "
                       "non-empty dimension name",
                       breakdown);
      rc = -1;
      goto out;
    }
    if (cb != NULL && (rc = cb(dimension, json_string_value(member), user)))
      goto out;
  }
out:
  json_decref(root);
  return rc;
}

/* The row's own identity, for messages; each part is checked for its NUL
 * before it is printed. */
#define OBS_FIELD_OK(obs, field)                                               \
  (memchr((obs)->field, '\0', sizeof(obs)->field) != NULL)

static int check_text_fields(const struct gw_observation *obs) {
  struct {
    const char *name;
    const char *text;
    int terminated;
  } fields[] = {
      {"indicator", obs->indicator, OBS_FIELD_OK(obs, indicator)},
      {"area", obs->area, OBS_FIELD_OK(obs, area)},
      {"period", obs->period, OBS_FIELD_OK(obs, period)},
      {"breakdown", obs->breakdown, OBS_FIELD_OK(obs, breakdown)},
      {"unit", obs->unit, OBS_FIELD_OK(obs, unit)},
      {"source_id", obs->source_id, OBS_FIELD_OK(obs, source_id)},
      {"plugin", obs->plugin, OBS_FIELD_OK(obs, plugin)},
      {"dataset", obs->dataset, OBS_FIELD_OK(obs, dataset)},
      {"source_code", obs->source_code, OBS_FIELD_OK(obs, source_code)},
      {"fetched_at", obs->fetched_at, OBS_FIELD_OK(obs, fetched_at)},
      {"payload_sha256", obs->payload_sha256,
       OBS_FIELD_OK(obs, payload_sha256)},
      {"span_id", obs->span_id, OBS_FIELD_OK(obs, span_id)},
  };
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    if (!fields[i].terminated) {
      export_set_error("observation field %s is not NUL-terminated",
                       fields[i].name);
      return -1;
    }
  }
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    if (!export_utf8_valid(fields[i].text)) {
      export_set_error("observation %s/%s/%s: field %s is not valid UTF-8",
                       obs->indicator, obs->area, obs->period, fields[i].name);
      return -1;
    }
  }
  for (size_t i = 0; i < 3; i++) { /* indicator, area, period */
    if (fields[i].text[0] == '\0') {
      export_set_error("observation %s/%s/%s: field %s is empty",
                       obs->indicator, obs->area, obs->period, fields[i].name);
      return -1;
    }
  }
  return 0;
}

/* Statuses that mean "there is no figure": such a row must carry none. */
static int status_has_no_figure(gw_status status) {
  switch (status) {
  case GW_STATUS_MISSING:
  case GW_STATUS_NOT_YET_KNOWN:
  case GW_STATUS_NOT_APPLICABLE:
  case GW_STATUS_SUPPRESSED:
  case GW_STATUS_IMPOSSIBLE:
    return 1;
  default:
    return 0;
  }
}

static int check_number(const struct gw_observation *obs, const char *name,
                        int present, double v) {
  if (present && !isfinite(v)) {
    export_set_error("observation %s/%s/%s: %s is not finite", obs->indicator,
                     obs->area, obs->period, name);
    return -1;
  }
  if (present && status_has_no_figure(obs->status)) {
    export_set_error("observation %s/%s/%s: status %s but %s is present "
                     "(refusing to publish it)",
                     obs->indicator, obs->area, obs->period,
                     status_name(obs->status), name);
    return -1;
  }
  return 0;
}

int export_check_observation(const struct gw_observation *obs) {
  if (check_text_fields(obs) != 0)
    return -1;
  if (obs->status < GW_STATUS_FINAL || obs->status > GW_STATUS_IMPOSSIBLE ||
      status_name(obs->status) == NULL) {
    export_set_error("observation %s/%s/%s: status %d is not a published "
                     "status",
                     obs->indicator, obs->area, obs->period, (int)obs->status);
    return -1;
  }
  if (obs->area_level < GW_AREA_COUNTRY ||
      obs->area_level > GW_AREA_NEIGHBOURHOOD ||
      area_level_name(obs->area_level) == NULL) {
    export_set_error("observation %s/%s/%s: area level %d is unknown",
                     obs->indicator, obs->area, obs->period,
                     (int)obs->area_level);
    return -1;
  }
  if (obs->revision < 1) {
    export_set_error("observation %s/%s/%s: revision %ld (a stored "
                     "observation has revision >= 1)",
                     obs->indicator, obs->area, obs->period, obs->revision);
    return -1;
  }
  if (check_number(obs, "value", obs->has_value, obs->value) != 0 ||
      check_number(obs, "ci_low", obs->has_ci_low, obs->ci_low) != 0 ||
      check_number(obs, "ci_high", obs->has_ci_high, obs->ci_high) != 0)
    return -1;
  if (export_breakdown_each(obs->breakdown, NULL, NULL) != 0)
    return -1;
  return 0;
}

int export_with_validity(const struct gw_export_options *opt) {
  return opt->with_provenance && opt->provenance_db != NULL;
}

/* What clock.c writes and the feed schemas accept: UTC with "Z". */
static int is_timestamp(const char *s) {
  time_t t;
  return clock_parse_rfc3339(s, &t) == 0;
}

int export_check_validity(const struct gw_observation *obs,
                          const struct gw_validity *validity) {
  if (!validity)
    return 0;
  if (!is_timestamp(validity->valid_from) ||
      (validity->valid_to[0] != '\0' && !is_timestamp(validity->valid_to))) {
    export_set_error("observation %s/%s/%s revision %ld: stored validity "
                     "is not an RFC 3339 UTC time",
                     obs->indicator, obs->area, obs->period, obs->revision);
    return -1;
  }
  return 0;
}
