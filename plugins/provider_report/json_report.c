/*
 * json_report.c - JSON provider reports: parse, validate against the
 * schema (json_validate.c), apply the rules of rules.c, and only then
 * emit every figure.
 *
 * The document is held in memory while it is checked (jansson builds a
 * tree); params.max_bytes caps its size, and provider reports are small
 * (tens to hundreds of figures). Duplicate keys are refused rather than
 * silently resolved.
 */
#include "provider_report.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct json_input {
  const struct gw_host_api *host;
  struct gw_payload *payload;
  uint64_t bytes;
  uint64_t max_bytes;
  int started;
  int too_big;
  int read_error;
};

/* A UTF-8 byte order mark is tolerated: spreadsheet exports write one. */
static size_t skip_bom(char *buf, size_t n) {
  if (n >= 3 && (unsigned char)buf[0] == 0xEF &&
      (unsigned char)buf[1] == 0xBB && (unsigned char)buf[2] == 0xBF) {
    memmove(buf, buf + 3, n - 3);
    return n - 3;
  }
  return n;
}

static size_t read_json(void *buffer, size_t buflen, void *data) {
  struct json_input *in = data;
  ssize_t got;
  size_t n;

  got = in->host->payload_read(in->payload, buffer, buflen);
  if (got < 0) {
    in->read_error = 1;
    return (size_t)-1;
  }
  in->bytes += (uint64_t)got;
  if (in->max_bytes && in->bytes > in->max_bytes) {
    in->too_big = 1;
    return (size_t)-1;
  }
  n = (size_t)got;
  if (!in->started && n > 0) {
    in->started = 1;
    n = skip_bom(buffer, n);
  }
  return n;
}

/* Strings that do not fit their field stay empty: the validator has named
 * them already, and a truncated code must not pass a rule check. */
static void copy_member(char *dst, size_t size, const json_t *object,
                        const char *key) {
  const char *text = json_string_value(json_object_get(object, key));
  size_t n = text ? strlen(text) : 0;

  if (n >= size)
    n = 0;
  if (n)
    memcpy(dst, text, n);
  dst[n] = '\0';
}

static void header_from(const json_t *doc, struct pr_header *header) {
  memset(header, 0, sizeof *header);
  if (!json_is_object(doc))
    return;
  copy_member(header->municipality, sizeof header->municipality, doc,
              "municipality");
  copy_member(header->reporting_period, sizeof header->reporting_period, doc,
              "reportingPeriod");
  copy_member(header->delivered, sizeof header->delivered, doc, "delivered");
}

static void figure_from(const json_t *item, size_t index,
                        struct pr_figure *figure) {
  const json_t *breakdown, *entry, *value;
  size_t i;

  memset(figure, 0, sizeof *figure);
  figure->number = index + 1;
  snprintf(figure->where, sizeof figure->where, "$.figures[%zu]", index);
  if (!json_is_object(item))
    return;
  copy_member(figure->indicator, sizeof figure->indicator, item, "indicator");
  copy_member(figure->area, sizeof figure->area, item, "area");
  copy_member(figure->period, sizeof figure->period, item, "period");
  copy_member(figure->status, sizeof figure->status, item, "status");
  copy_member(figure->unit, sizeof figure->unit, item, "unit");
  value = json_object_get(item, "value");
  if (json_is_number(value)) {
    figure->has_value = 1;
    figure->value = json_number_value(value);
  }
  breakdown = json_object_get(item, "breakdown");
  json_array_foreach((json_t *)breakdown, i, entry) {
    if (figure->breakdown_count >= PR_MAX_BREAKDOWN)
      break;
    copy_member(figure->dimension[figure->breakdown_count],
                sizeof figure->dimension[0], entry, "dimension");
    copy_member(figure->member[figure->breakdown_count],
                sizeof figure->member[0], entry, "member");
    figure->breakdown_count++;
  }
}

static void check_rules(struct pr_ctx *ctx, struct gw_run *run,
                        const json_t *doc, struct pr_violations *violations) {
  struct pr_check check;
  struct pr_header header;
  struct pr_figure *figure = malloc(sizeof *figure);
  const json_t *figures = json_object_get(doc, "figures");
  const json_t *item;
  size_t i;

  memset(&check, 0, sizeof check);
  check.ctx = ctx;
  check.run = run;
  check.violations = violations;
  check.today = pr_today(ctx);
  header_from(doc, &header);
  pr_check_header(&check, &header, 0, "$.");
  if (!figure) {
    pr_violation_add(violations, 0, "out of memory while checking figures");
    return;
  }
  json_array_foreach((json_t *)figures, i, item) {
    figure_from(item, i, figure);
    pr_check_figure(&check, figure);
  }
  free(figure);
}

static gw_result emit_all(struct pr_ctx *ctx, struct gw_run *run,
                          struct gw_payload *payload, const json_t *doc) {
  struct pr_figure *figure = malloc(sizeof *figure);
  const json_t *item;
  gw_result rc = GW_OK;
  size_t i;

  if (!figure) {
    ctx->host->log(run, GW_LOG_ERROR, "provider_report: out of memory");
    return GW_FAIL;
  }
  json_array_foreach(json_object_get(doc, "figures"), i, item) {
    figure_from(item, i, figure);
    if ((rc = pr_emit_figure(ctx, run, payload, figure)) != GW_OK)
      break;
  }
  free(figure);
  return rc;
}

static json_t *load(struct pr_ctx *ctx, struct gw_run *run,
                    struct gw_payload *payload,
                    struct pr_violations *violations, int *io_failed) {
  struct json_input in;
  json_error_t error;
  json_t *doc;

  memset(&in, 0, sizeof in);
  in.host = ctx->host;
  in.payload = payload;
  in.max_bytes = ctx->max_bytes;
  *io_failed = 0;
  doc = json_load_callback(read_json, &in, JSON_REJECT_DUPLICATES, &error);
  if (doc)
    return doc;
  if (in.read_error) {
    ctx->host->log(run, GW_LOG_ERROR,
                   "provider_report: cannot read %s from the spool",
                   ctx->host->payload_url(payload));
    *io_failed = 1;
  } else if (in.too_big) {
    pr_violation_add(violations, 0,
                     "the report is larger than params.max_bytes (%llu "
                     "bytes)",
                     (unsigned long long)ctx->max_bytes);
  } else {
    pr_violation_add(violations, error.line > 0 ? (unsigned long)error.line : 0,
                     "column %d: not valid JSON: %s", error.column, error.text);
  }
  return NULL;
}

gw_result pr_json_process(struct pr_ctx *ctx, struct gw_run *run,
                          struct gw_payload *payload,
                          struct pr_violations *violations) {
  int io_failed = 0;
  json_t *doc = load(ctx, run, payload, violations, &io_failed);
  gw_result rc = GW_FAIL;

  if (!doc)
    return GW_FAIL;
  pr_json_validate(doc, violations);
  check_rules(ctx, run, doc, violations);
  if (violations->total == 0)
    rc = emit_all(ctx, run, payload, doc);
  json_decref(doc);
  return rc;
}
