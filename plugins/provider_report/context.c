/*
 * context.c - configuration keys, init/run/destroy, and the one decision
 * every report goes through: XML or JSON (by its first non-space byte),
 * then accepted whole or refused whole with every violation listed.
 * plugin.c only wraps these in the exported descriptor, so unit tests and
 * fuzz harnesses can drive the plugin through the static library.
 */
#include "provider_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef GW_DEFAULT_SCHEMA_DIR
#error "GW_DEFAULT_SCHEMA_DIR must be defined by the build"
#endif

const struct gw_config_key provider_report_config_keys[] = {
    {"municipality", GW_CFG_STRING, 0, "GM0384",
     "CBS code of the municipality reports must be for (others are refused)"},
    {"schema_dir", GW_CFG_STRING, 0, GW_DEFAULT_SCHEMA_DIR,
     "directory holding provider-report.xsd"},
    {"max_errors", GW_CFG_INT, 0, "200",
     "violations listed when a report is refused (all are counted)"},
    {"max_bytes", GW_CFG_INT, 0, "16777216",
     "largest report accepted, in bytes"},
    {NULL, GW_CFG_STRING, 0, NULL, NULL},
};

static void ctx_free(struct pr_ctx *ctx) {
  if (!ctx)
    return;
  pr_xml_schema_free(ctx->schema);
  free(ctx->url);
  free(ctx->municipality);
  free(ctx->schema_path);
  free(ctx);
}

static char *dup_text(const char *text) {
  size_t n = strlen(text) + 1;
  char *out = malloc(n);

  if (out)
    memcpy(out, text, n);
  return out;
}

static int is_municipality_code(const char *code) {
  size_t i;

  if (strlen(code) != 6 || strncmp(code, "GM", 2) != 0)
    return 0;
  for (i = 2; i < 6; i++)
    if (code[i] < '0' || code[i] > '9')
      return 0;
  return 1;
}

static gw_result read_params(struct pr_ctx *ctx) {
  const struct gw_host_api *host = ctx->host;
  const char *url = host->config_string(ctx->config, "url");
  const char *municipality = host->config_string(ctx->config, "municipality");
  const char *dir = host->config_string(ctx->config, "schema_dir");
  int64_t max_errors = host->config_int(ctx->config, "max_errors");
  int64_t max_bytes = host->config_int(ctx->config, "max_bytes");
  size_t size;

  if (!url || !*url) {
    host->log(NULL, GW_LOG_ERROR,
              "provider_report: the source needs a url (https:// or a "
              "file:// URL inside its drop_folder)");
    return GW_FAIL;
  }
  if (!municipality || !is_municipality_code(municipality)) {
    host->log(NULL, GW_LOG_ERROR,
              "provider_report: params.municipality is \"%s\"; expected a "
              "CBS municipality code such as GM0384",
              municipality ? municipality : "");
    return GW_FAIL;
  }
  if (max_errors < 1 || max_errors > 100000 || max_bytes < 1) {
    host->log(NULL, GW_LOG_ERROR,
              "provider_report: params.max_errors must be 1..100000 and "
              "params.max_bytes at least 1");
    return GW_FAIL;
  }
  if (!dir || !*dir)
    dir = GW_DEFAULT_SCHEMA_DIR;
  size = strlen(dir) + sizeof "/" PR_SCHEMA_FILE;
  ctx->url = dup_text(url);
  ctx->municipality = dup_text(municipality);
  ctx->schema_path = malloc(size);
  if (!ctx->url || !ctx->municipality || !ctx->schema_path) {
    host->log(NULL, GW_LOG_ERROR, "provider_report: out of memory");
    return GW_FAIL;
  }
  snprintf(ctx->schema_path, size, "%s/%s", dir, PR_SCHEMA_FILE);
  ctx->max_errors = (size_t)max_errors;
  ctx->max_bytes = (uint64_t)max_bytes;
  return GW_OK;
}

gw_result provider_report_init(const struct gw_host_api *host,
                               const struct gw_plugin_config *config,
                               void **ctx_out) {
  struct pr_ctx *ctx;
  gw_result rc = GW_FAIL;

  *ctx_out = NULL;
  if (!GW_HOST_HAS(host, indicator_for))
    return GW_FAIL; /* a host older than ABI 1 cannot even log */
  ctx = calloc(1, sizeof *ctx);
  if (!ctx) {
    host->log(NULL, GW_LOG_ERROR, "provider_report: out of memory");
    return GW_FAIL;
  }
  ctx->host = host;
  ctx->config = config;
  ctx->xml_prescan = 1;
  if ((rc = read_params(ctx)) != GW_OK)
    goto out;
  ctx->schema = pr_xml_schema_load(host, ctx->schema_path);
  if (!ctx->schema) {
    rc = GW_FAIL;
    goto out;
  }
  *ctx_out = ctx;
  ctx = NULL;
  rc = GW_OK;
out:
  ctx_free(ctx);
  return rc;
}

void provider_report_destroy(void *ctx) {
  ctx_free(ctx);
}

enum pr_format { FORMAT_UNKNOWN, FORMAT_XML, FORMAT_JSON, FORMAT_EMPTY };

/* The first byte that is not white space (after a UTF-8 BOM) decides. */
static enum pr_format detect_format(struct pr_ctx *ctx,
                                    struct gw_payload *payload, int *io_error) {
  unsigned char buf[512];
  ssize_t got, i;
  int first_chunk = 1;

  *io_error = 0;
  while ((got = ctx->host->payload_read(payload, buf, sizeof buf)) > 0) {
    i = 0;
    if (first_chunk && got >= 3 && buf[0] == 0xEF && buf[1] == 0xBB &&
        buf[2] == 0xBF)
      i = 3;
    first_chunk = 0;
    for (; i < got; i++) {
      if (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n')
        continue;
      if (buf[i] == '<')
        return FORMAT_XML;
      if (buf[i] == '{')
        return FORMAT_JSON;
      return FORMAT_UNKNOWN;
    }
  }
  if (got < 0)
    *io_error = 1;
  return FORMAT_EMPTY;
}

static void log_refusal(struct pr_ctx *ctx, struct gw_run *run, const char *url,
                        const char *format, struct pr_violations *v) {
  const struct gw_host_api *host = ctx->host;
  size_t i;

  pr_violations_sort(v);
  /* The first error line becomes the run's one-line reason. */
  host->log(run, GW_LOG_ERROR,
            "provider report %s refused whole (%s, %zu violation%s, nothing "
            "stored): %s",
            url, format, v->total, v->total == 1 ? "" : "s",
            v->kept ? v->items[0].text : "(message lost: out of memory)");
  for (i = 0; i < v->kept; i++)
    host->log(run, GW_LOG_ERROR, "%s: %s", url, v->items[i].text);
  if (v->total > v->kept)
    host->log(run, GW_LOG_ERROR,
              "%s: ... and %zu more violation%s (params.max_errors = %zu)", url,
              v->total - v->kept, v->total - v->kept == 1 ? "" : "s",
              ctx->max_errors);
}

gw_result pr_process_payload(struct pr_ctx *ctx, struct gw_run *run,
                             struct gw_payload *payload) {
  const struct gw_host_api *host = ctx->host;
  const char *url = host->payload_url(payload);
  struct pr_violations violations;
  enum pr_format format;
  gw_result rc = GW_FAIL;
  int io_error = 0;

  pr_violations_init(&violations, ctx->max_errors);
  format = detect_format(ctx, payload, &io_error);
  if (io_error || host->payload_rewind(payload) != 0) {
    host->log(run, GW_LOG_ERROR, "provider_report: cannot read %s", url);
    goto out;
  }
  if (format == FORMAT_EMPTY || format == FORMAT_UNKNOWN) {
    pr_violation_add(&violations, 0,
                     "%s; expected an XML report (starting with '<') or a "
                     "JSON report (starting with '{')",
                     format == FORMAT_EMPTY ? "the report is empty"
                                            : "the report is neither XML nor "
                                              "JSON");
    log_refusal(ctx, run, url, "unknown format", &violations);
    goto out;
  }
  rc = format == FORMAT_XML ? pr_xml_process(ctx, run, payload, &violations)
                            : pr_json_process(ctx, run, payload, &violations);
  if (violations.total > 0) {
    log_refusal(ctx, run, url, format == FORMAT_XML ? "XML" : "JSON",
                &violations);
    rc = GW_FAIL;
  }
out:
  pr_violations_free(&violations);
  return rc;
}

gw_result provider_report_run(void *opaque, struct gw_run *run) {
  struct pr_ctx *ctx = opaque;
  const struct gw_host_api *host = ctx->host;
  struct gw_fetch_request request;
  struct gw_payload *payload = NULL;
  gw_result rc;

  memset(&request, 0, sizeof request);
  request.size = sizeof request;
  request.url = ctx->url;
  rc = host->fetch(run, &request, &payload);
  if (rc != GW_OK)
    return rc; /* the host has said what went wrong with the fetch */
  rc = pr_process_payload(ctx, run, payload);
  if (rc == GW_OK)
    host->log(run, GW_LOG_INFO, "provider report %s accepted",
              host->payload_url(payload));
  return rc;
}
