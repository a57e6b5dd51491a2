/*
 * page_reader.c - fetch one document through the host and parse it straight
 * from the spooled payload (json_load_callback over host->payload_read), so
 * the body is never copied into a plugin buffer.
 */
#include "cbs_odata.h"

#include <string.h>

static const char *const json_headers[] = {"Accept: application/json", NULL};

struct payload_source {
  const struct gw_host_api *host;
  struct gw_payload *payload;
  int read_failed;
};

static size_t payload_callback(void *buffer, size_t buflen, void *data) {
  struct payload_source *src = data;
  ssize_t n = src->host->payload_read(src->payload, buffer, buflen);

  if (n < 0) {
    src->read_failed = 1;
    return (size_t)-1;
  }
  return (size_t)n;
}

const char *cbs_json_string(const json_t *object, const char *key) {
  return json_string_value(json_object_get(object, key));
}

static const char *payload_name(struct cbs_ctx *ctx, struct gw_payload *payload,
                                const char *fallback) {
  const char *url = ctx->host->payload_url(payload);
  return url && *url ? url : fallback;
}

gw_result cbs_fetch_doc(struct cbs_ctx *ctx, struct gw_run *run,
                        const char *url, struct cbs_doc *out) {
  const struct gw_host_api *host = ctx->host;
  struct gw_fetch_request req;
  struct payload_source src;
  json_error_t error;
  gw_result rc;

  memset(out, 0, sizeof *out);
  memset(&req, 0, sizeof req);
  req.size = sizeof req;
  req.url = url;
  req.headers = json_headers;
  rc = host->fetch(run, &req, &out->payload);
  if (rc != GW_OK) {
    host->log(run, rc == GW_RETRY ? GW_LOG_WARN : GW_LOG_ERROR,
              "%s: fetch failed (%s)", url,
              rc == GW_RETRY ? "transient, may be retried" : "permanent");
    out->payload = NULL;
    return rc;
  }
  if (!out->payload) {
    host->log(run, GW_LOG_ERROR, "%s: fetch returned no payload", url);
    return GW_FAIL;
  }
  out->url = payload_name(ctx, out->payload, url);
  src.host = host;
  src.payload = out->payload;
  src.read_failed = 0;
  out->root = json_load_callback(payload_callback, &src, JSON_REJECT_DUPLICATES,
                                 &error);
  if (!out->root) {
    if (src.read_failed)
      host->log(run, GW_LOG_ERROR, "%s: reading the spooled response failed",
                out->url);
    else
      host->log(run, GW_LOG_ERROR, "%s: invalid JSON at line %d column %d: %s",
                out->url, error.line, error.column, error.text);
    return GW_FAIL;
  }
  if (!json_is_object(out->root)) {
    host->log(run, GW_LOG_ERROR,
              "%s: expected a JSON object at the top level, got %s", out->url,
              json_is_array(out->root) ? "an array" : "a scalar");
    cbs_doc_release(out);
    return GW_FAIL;
  }
  return GW_OK;
}

json_t *cbs_doc_values(struct cbs_ctx *ctx, struct gw_run *run,
                       const struct cbs_doc *doc) {
  json_t *values = json_object_get(doc->root, "value");

  if (!json_is_array(values)) {
    ctx->host->log(
        run, GW_LOG_ERROR, "%s: expected a \"value\" array of rows (OData), %s",
        doc->url,
        values ? "but \"value\" is not an array" : "but the document has none");
    return NULL;
  }
  return values;
}

gw_result cbs_fetch_values(struct cbs_ctx *ctx, struct gw_run *run,
                           const char *url, struct cbs_doc *doc,
                           json_t **values) {
  gw_result rc = cbs_fetch_doc(ctx, run, url, doc);

  if (rc != GW_OK)
    return rc;
  *values = cbs_doc_values(ctx, run, doc);
  if (!*values) {
    cbs_doc_release(doc);
    return GW_FAIL;
  }
  return GW_OK;
}

void cbs_doc_release(struct cbs_doc *doc) {
  json_decref(doc->root);
  doc->root = NULL;
}
