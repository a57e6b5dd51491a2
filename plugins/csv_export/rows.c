/*
 * rows.c - data rows after the header to raw observations.
 *
 * One record at a time: split, check the field count against the header,
 * map the area, take the period and breakdown members, and emit one raw
 * observation per value cell (wide: per variable column, periods: per
 * period column, long: the value plus its 95% bounds as CI components).
 * A cell is a number (decimal comma or point, via host->parse_number) or a
 * marker mapped to a status; anything else is rejected with its line and
 * column, never turned into 0.
 *
 * A row that splits into the header's field count with another delimiter
 * means two files were pasted together or a row was re-typed in another
 * program: the whole file is refused, because a guess would store wrong
 * figures. A row with a wrong field count otherwise is rejected alone.
 */
#include "csv_export.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct row_keys {
  const char *area;
  const char *period;
  struct gw_breakdown_item breakdown[CSVX_MAX_BREAKDOWNS];
  size_t breakdown_count;
};

static gw_result fail(struct csvx_job *job, const char *fmt, ...)
    GW_PRINTF_LIKE(2, 3);
static gw_result fail(struct csvx_job *job, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  csvx_utf8_fix_tail(msg);
  job->host->log(job->run, GW_LOG_ERROR, "%s: %s", job->name, msg);
  return GW_FAIL;
}

static void reject(struct csvx_job *job, const char *fmt, ...)
    GW_PRINTF_LIKE(2, 3);
static void reject(struct csvx_job *job, const char *fmt, ...) {
  char where[1200], reason[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(reason, sizeof reason, fmt, ap);
  va_end(ap);
  csvx_utf8_fix_tail(reason);
  snprintf(where, sizeof where, "%s line %llu", job->name,
           (unsigned long long)job->reader.record_line);
  csvx_utf8_fix_tail(where);
  job->host->reject(job->run, where, reason);
  job->rejected++;
}

static int digits_only(const char *s) {
  if (!*s)
    return 0;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return 0;
  return 1;
}

/* Digits a numeric code has after the prefix (CBS area code widths). */
static size_t prefix_width(const char *prefix) {
  if (strcmp(prefix, "GM") == 0)
    return 4;
  if (strcmp(prefix, "WK") == 0)
    return 6;
  if (strcmp(prefix, "BU") == 0)
    return 8;
  return 0;
}

/* The area code for the raw cell: area_map, then area_prefix for numeric
 * codes ("384" -> "GM0384"), else the cell as written (the host checks
 * it). */
static const char *area_code(const struct csvx_job *job, const char *raw,
                             char *buf, size_t size) {
  const struct csvx_config *cfg = job->cfg;
  const char *mapped = csvx_lookup(cfg->area_map, cfg->area_map_count, raw);
  size_t len = strlen(raw), width, pad, prefix_len;

  if (mapped)
    return mapped;
  if (!cfg->area_prefix || !digits_only(raw))
    return raw;
  width = prefix_width(cfg->area_prefix);
  pad = width > len ? width - len : 0;
  prefix_len = strlen(cfg->area_prefix);
  if (prefix_len + pad + len + 1 > size)
    return raw;
  memcpy(buf, cfg->area_prefix, prefix_len);
  memset(buf + prefix_len, '0', pad);
  memcpy(buf + prefix_len + pad, raw, len + 1);
  return buf;
}

static const char *mapped_code(const struct csvx_job *job, const char *code) {
  const char *m =
      csvx_lookup(job->cfg->code_map, job->cfg->code_map_count, code);
  return m ? m : code;
}

static gw_result emit_cell(struct csvx_job *job, const struct row_keys *k,
                           const char *code, const char *column,
                           const char *text, gw_component component) {
  struct gw_raw_observation o;
  gw_status marker = csvx_marker_status(job->cfg, text);
  gw_result rc;

  memset(&o, 0, sizeof o);
  o.size = sizeof o;
  o.dataset = job->cfg->dataset;
  o.source_code = code;
  o.area = k->area;
  o.period = k->period;
  o.breakdown = k->breakdown_count ? k->breakdown : NULL;
  o.breakdown_count = k->breakdown_count;
  o.component = component;
  o.payload = job->reader.payload;
  o.position = job->reader.record_line;
  if (marker != GW_STATUS_UNSET) {
    if (component != GW_COMPONENT_VALUE)
      return GW_OK; /* an absent bound is simply not there */
    o.status = marker;
    o.status_detail = *text ? text : NULL;
  } else if (job->host->parse_number(text, &o.value) == 0) {
    o.has_value = 1;
  } else {
    char markers[256], cell[96];
    csvx_marker_list(job->cfg, markers, sizeof markers);
    csvx_excerpt(text, 80, cell, sizeof cell);
    reject(job, "column \"%s\": \"%s\" is neither a number nor a marker (%s)",
           column, cell, markers);
    return GW_OK;
  }
  rc = job->host->emit(job->run, &o);
  if (rc == GW_OK)
    job->emitted++;
  return rc;
}

static const char *column_name(const struct csvx_job *job, long index) {
  return job->header.names.value[index];
}

static gw_result emit_long(struct csvx_job *job, const struct row_keys *k,
                           const char *code) {
  const struct csvx_header *h = &job->header;
  const char *const *v = job->row.value;
  gw_result rc = emit_cell(job, k, code, column_name(job, h->value),
                           v[h->value], GW_COMPONENT_VALUE);

  if (rc == GW_OK && h->lower >= 0)
    rc = emit_cell(job, k, code, column_name(job, h->lower), v[h->lower],
                   GW_COMPONENT_CI_LOW);
  if (rc == GW_OK && h->upper >= 0)
    rc = emit_cell(job, k, code, column_name(job, h->upper), v[h->upper],
                   GW_COMPONENT_CI_HIGH);
  return rc;
}

static gw_result emit_columns(struct csvx_job *job, struct row_keys *k,
                              const char *code) {
  const struct csvx_header *h = &job->header;
  size_t i;

  for (i = 0; i < h->value_column_count; i++) {
    size_t c = h->value_columns[i];
    const char *name = h->names.value[c];
    gw_result rc;
    if (job->cfg->layout == CSVX_LAYOUT_PERIODS)
      k->period = name;
    else
      code = mapped_code(job, name);
    rc = emit_cell(job, k, code, name, job->row.value[c], GW_COMPONENT_VALUE);
    if (rc != GW_OK)
      return rc;
  }
  return GW_OK;
}

static gw_result emit_row(struct csvx_job *job) {
  const struct csvx_config *cfg = job->cfg;
  const struct csvx_header *h = &job->header;
  const char *const *v = job->row.value;
  struct row_keys k;
  const char *code = NULL;
  char area[64];
  size_t b;

  memset(&k, 0, sizeof k);
  if (!*v[h->area]) {
    reject(job, "column \"%s\" (the area) is empty", column_name(job, h->area));
    return GW_OK;
  }
  k.area = area_code(job, v[h->area], area, sizeof area);
  k.period = h->period >= 0 ? v[h->period] : cfg->period_fixed;
  if (cfg->layout != CSVX_LAYOUT_PERIODS && !*k.period) {
    reject(job, "column \"%s\" (the period) is empty",
           column_name(job, h->period));
    return GW_OK;
  }
  for (b = 0; b < cfg->breakdown_count; b++) {
    const char *member = v[h->breakdown[b]];
    if (!*member)
      continue; /* no member: the figure is not broken down this way */
    k.breakdown[k.breakdown_count].dimension = cfg->breakdown[b].from;
    k.breakdown[k.breakdown_count++].member = member;
  }
  if (cfg->layout != CSVX_LAYOUT_WIDE) {
    code = h->code >= 0 ? v[h->code] : cfg->code_fixed;
    if (!*code) {
      reject(job, "column \"%s\" (the code) is empty",
             column_name(job, h->code));
      return GW_OK;
    }
    code = mapped_code(job, code);
  }
  if (cfg->layout == CSVX_LAYOUT_LONG)
    return emit_long(job, &k, code);
  return emit_columns(job, &k, code);
}

static int blank_row(const struct csvx_fields *f) {
  size_t i;
  for (i = 0; i < f->count; i++)
    if (*f->value[i])
      return 0;
  return 1;
}

/* Another delimiter that explains a row with the wrong field count. */
static char other_delimiter(const struct csvx_job *job, size_t own_count) {
  static const char candidates[] = {';', ',', '\t'};
  const struct csvx_reader *r = &job->reader;
  size_t want = job->header.names.count, c;

  for (c = 0; c < sizeof candidates; c++) {
    size_t n;
    if (candidates[c] == job->header.delimiter)
      continue;
    n = csvx_count_fields(r->record, r->record_len, candidates[c]);
    if (n > 1 && (n == want || own_count == 1))
      return candidates[c];
  }
  return 0;
}

static int extra_fields_blank(const struct csvx_fields *f, size_t from) {
  size_t i;
  for (i = from; i < f->count; i++)
    if (*f->value[i])
      return 0;
  return 1;
}

/* GW_OK with *usable set when the row has the header's shape. */
static gw_result check_shape(struct csvx_job *job, int *usable) {
  size_t want = job->header.names.count, got = job->row.count;
  char other;

  *usable = 0;
  if (got == want || (got > want && extra_fields_blank(&job->row, want))) {
    *usable = 1;
    return GW_OK;
  }
  other = other_delimiter(job, got);
  if (other)
    return fail(job,
                "line %llu is separated by %s but the header on line %llu by "
                "%s (mixed delimiters); save the file again with one "
                "delimiter",
                (unsigned long long)job->reader.record_line,
                csvx_delimiter_name(other),
                (unsigned long long)job->header.line,
                csvx_delimiter_name(job->header.delimiter));
  reject(job, "has %zu fields, the header on line %llu has %zu (delimiter %s)",
         got, (unsigned long long)job->header.line, want,
         csvx_delimiter_name(job->header.delimiter));
  return GW_OK;
}

gw_result csvx_read_rows(struct csvx_job *job) {
  struct csvx_reader *r = &job->reader;
  gw_result rc;
  int usable;

  for (;;) {
    int got = csvx_reader_next(r);
    if (got < 0)
      return fail(job, "%s", r->error);
    if (got == 0)
      break;
    if (csvx_split(r->record, r->record_len, job->header.delimiter, &job->row,
                   job->mem) < 0)
      return fail(job,
                  "line %llu: too many fields (at most %u) or out of "
                  "memory",
                  (unsigned long long)r->record_line, CSVX_MAX_FIELDS);
    if (blank_row(&job->row))
      continue;
    if ((rc = check_shape(job, &usable)) != GW_OK)
      return rc;
    if (!usable)
      continue;
    job->rows++;
    if ((rc = emit_row(job)) != GW_OK)
      return rc;
  }
  return GW_OK;
}
