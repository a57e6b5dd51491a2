/*
 * context.c - init/run/destroy of the csv_export plugin. plugin.c only
 * wraps these in the exported descriptor, so unit tests and fuzz harnesses
 * drive the plugin through the static library.
 *
 * One run: fetch the configured URL (https:// or a file:// drop folder,
 * the host decides), settle the encoding, find the header, stream the
 * rows. With encoding "auto" the payload is read twice: once to check that
 * all of it is valid UTF-8 (one chunk at a time), then again to parse,
 * because a file is in one encoding and the decision must not flip
 * half-way.
 */
#include "csv_export.h"

#include <stdlib.h>
#include <string.h>

struct csvx_ctx {
  const struct gw_host_api *host;
  struct csvx_mem mem;
  struct csvx_config cfg;
};

gw_result csv_export_init(const struct gw_host_api *host,
                          const struct gw_plugin_config *config,
                          void **ctx_out) {
  struct csvx_ctx *ctx;
  gw_result rc;

  *ctx_out = NULL;
  if (!GW_HOST_HAS(host, indicator_for))
    return GW_FAIL; /* a host older than ABI 1 cannot even log */
  ctx = calloc(1, sizeof *ctx);
  if (!ctx) {
    host->log(NULL, GW_LOG_ERROR, "csv_export: out of memory");
    return GW_FAIL;
  }
  ctx->host = host;
  rc = csvx_config_load(&ctx->cfg, host, config, &ctx->mem);
  if (rc != GW_OK) {
    csv_export_destroy(ctx);
    return rc;
  }
  *ctx_out = ctx;
  return GW_OK;
}

/* Decides the encoding of an "auto" source; rewinds the payload. */
static gw_result detect_encoding(struct csvx_ctx *ctx, struct gw_run *run,
                                 struct gw_payload *payload, const char *name,
                                 enum csvx_encoding *out) {
  struct csvx_reader scan;
  gw_result rc = GW_FAIL;
  int valid;

  if (csvx_reader_open(&scan, ctx->host, payload, &ctx->mem, name,
                       CSVX_ENC_UTF8) < 0) {
    ctx->host->log(run, GW_LOG_ERROR, "%s: %s", name, scan.error);
    goto out;
  }
  valid = csvx_reader_scan_utf8(&scan);
  if (valid < 0 && scan.invalid_line == 0) {
    ctx->host->log(run, GW_LOG_ERROR, "%s: %s", name, scan.error);
    goto out;
  }
  *out = valid == 1 ? CSVX_ENC_UTF8 : CSVX_ENC_CP1252;
  if (valid != 1)
    ctx->host->log(run, GW_LOG_INFO,
                   "%s: not valid UTF-8 (byte 0x%02X on line %llu, byte "
                   "offset %llu); reading it as windows-1252",
                   name, scan.invalid_byte,
                   (unsigned long long)scan.invalid_line,
                   (unsigned long long)scan.invalid_offset);
  if (ctx->host->payload_rewind(payload) != 0) {
    ctx->host->log(run, GW_LOG_ERROR,
                   "%s: cannot read the file a second time after checking "
                   "its encoding; set params.encoding",
                   name);
    goto out;
  }
  rc = GW_OK;
out:
  csvx_reader_close(&scan);
  return rc;
}

static void log_summary(const struct csvx_job *job) {
  job->host->log(
      job->run, GW_LOG_INFO,
      "%s: header on line %llu (delimiter %s, %s), %llu rows, "
      "%llu observations, %llu rejected",
      job->name, (unsigned long long)job->header.line,
      csvx_delimiter_name(job->header.delimiter),
      job->reader.encoding == CSVX_ENC_CP1252 ? "windows-1252" : "UTF-8",
      (unsigned long long)job->rows, (unsigned long long)job->emitted,
      (unsigned long long)job->rejected);
}

gw_result csv_export_run(void *opaque, struct gw_run *run) {
  struct csvx_ctx *ctx = opaque;
  struct gw_fetch_request req;
  struct gw_payload *payload = NULL;
  struct csvx_job job;
  enum csvx_encoding encoding = ctx->cfg.encoding;
  gw_result rc;

  memset(&job, 0, sizeof job);
  memset(&req, 0, sizeof req);
  req.size = sizeof req;
  req.url = ctx->cfg.url;
  rc = ctx->host->fetch(run, &req, &payload);
  if (rc != GW_OK)
    return rc;
  job.host = ctx->host;
  job.run = run;
  job.cfg = &ctx->cfg;
  job.mem = &ctx->mem;
  job.name = ctx->cfg.url;
  if (encoding == CSVX_ENC_AUTO &&
      (rc = detect_encoding(ctx, run, payload, job.name, &encoding)) != GW_OK)
    goto out;
  rc = GW_FAIL;
  if (csvx_reader_open(&job.reader, ctx->host, payload, &ctx->mem, job.name,
                       encoding) < 0) {
    ctx->host->log(run, GW_LOG_ERROR, "%s: %s", job.name, job.reader.error);
    goto out;
  }
  if ((rc = csvx_read_header(&job)) != GW_OK ||
      (rc = csvx_read_rows(&job)) != GW_OK)
    goto out;
  log_summary(&job);
out:
  csvx_reader_close(&job.reader);
  csvx_header_free(&job.header, &ctx->mem);
  csvx_fields_free(&job.row, &ctx->mem);
  return rc;
}

void csv_export_destroy(void *opaque) {
  struct csvx_ctx *ctx = opaque;
  if (!ctx)
    return;
  csvx_config_free(&ctx->cfg, &ctx->mem);
  free(ctx);
}

size_t csv_export_peak_bytes(const void *opaque) {
  const struct csvx_ctx *ctx = opaque;
  return ctx->mem.peak;
}

size_t csv_export_live_bytes(const void *opaque) {
  const struct csvx_ctx *ctx = opaque;
  return ctx->mem.live;
}

void csv_export_reset_peak(void *opaque) {
  struct csvx_ctx *ctx = opaque;
  ctx->mem.peak = ctx->mem.live;
}
