/*
 * export.c - choosing a feed writer and driving it from a store query, to a
 * stream or atomically to a file; with provenance from the store's
 * revision history, each row's validity is looked up on the way
 * (provenance.h).
 */
#include "export.h"

#include <string.h>

#include "atomic_file.h"
#include "export_internal.h"
#include "provenance.h"
#include "text.h"

struct format_entry {
  gw_export_format format;
  const char *name;
  const char *extension;
  const struct gw_export_writer *writer;
};

static const struct format_entry formats[] = {
    {GW_FORMAT_JSON, "json", "json", &export_json_writer},
    {GW_FORMAT_XML, "xml", "xml", &export_xml_writer},
    {GW_FORMAT_CSV, "csv", "csv", &export_csv_writer},
};
#define FORMAT_COUNT (sizeof formats / sizeof formats[0])

static const struct format_entry *format_entry(gw_export_format format) {
  for (size_t i = 0; i < FORMAT_COUNT; i++) {
    if (formats[i].format == format)
      return &formats[i];
  }
  return NULL;
}

void export_default_options(struct gw_export_options *opt) {
  memset(opt, 0, sizeof *opt);
  opt->format = GW_FORMAT_JSON;
  opt->feed_name = EXPORT_DEFAULT_FEED_NAME;
  opt->generated_at = NULL; /* the writer takes the time it starts */
  opt->as_of = NULL;
  opt->gateway_version = GW_VERSION;
  opt->with_provenance = 0;
  opt->csv_delimiter = ';';
  opt->csv_decimal_comma = 1;
  opt->csv_bom = 1;
}

int export_format_from_name(const char *name, gw_export_format *out) {
  if (name == NULL)
    return -1;
  for (size_t i = 0; i < FORMAT_COUNT; i++) {
    if (strcmp(name, formats[i].name) == 0) {
      *out = formats[i].format;
      return 0;
    }
  }
  return -1;
}

const char *export_format_name(gw_export_format format) {
  const struct format_entry *e = format_entry(format);
  return e ? e->name : "unknown";
}

const char *export_format_extension(gw_export_format format) {
  const struct format_entry *e = format_entry(format);
  return e ? e->extension : "bin";
}

struct write_context {
  const struct gw_export_writer *writer;
  void *state;
  struct gw_provenance *provenance; /* NULL: no validity wanted */
  uint64_t count;
  int writer_failed;
  int provenance_failed;
  char provenance_err[GW_ERR_MAX];
};

/* A row whose revision is missing from the history it was just read
 * from means the store changed under the export: refuse rather than
 * publish a row without the provenance the feed promises. */
static int row_validity(struct write_context *ctx,
                        const struct gw_observation *obs,
                        struct gw_validity *v) {
  int rc = provenance_validity(ctx->provenance, obs, v, ctx->provenance_err,
                               sizeof ctx->provenance_err);
  if (rc == 1)
    text_format(ctx->provenance_err, sizeof ctx->provenance_err,
                "%s/%s/%s (%s) revision %ld is not in the revision history",
                obs->indicator, obs->area, obs->period, obs->source_id,
                obs->revision);
  if (rc != 0)
    ctx->provenance_failed = 1;
  return rc == 0 ? 0 : -1;
}

static int write_row(const struct gw_observation *obs, void *user) {
  struct write_context *ctx = user;
  struct gw_validity validity;
  int rc;
  if (ctx->provenance) {
    if (row_validity(ctx, obs, &validity) != 0)
      return -1;
    rc = ctx->writer->row_with_validity
             ? ctx->writer->row_with_validity(ctx->state, obs, &validity)
             : ctx->writer->row(ctx->state, obs);
  } else {
    rc = ctx->writer->row(ctx->state, obs);
  }
  if (rc != 0) {
    ctx->writer_failed = 1;
    return -1;
  }
  ctx->count++;
  return 0;
}

/* The feed's as_of metadata must describe the query that fills it. */
static int effective_options(const struct gw_export_options *opt,
                             const struct gw_query *query,
                             struct gw_export_options *eff, char *err,
                             size_t err_size) {
  *eff = *opt;
  if (eff->as_of == NULL)
    eff->as_of = query->as_of;
  else if (query->as_of == NULL || strcmp(eff->as_of, query->as_of) != 0) {
    text_format(err, err_size,
                "export: feed as_of %s differs from the query's as_of %s",
                eff->as_of, query->as_of ? query->as_of : "(current)");
    return -1;
  }
  return 0;
}

int export_write(struct gw_store *store, const struct gw_query *query,
                 const struct gw_export_options *opt, FILE *out,
                 uint64_t *count, char *err, size_t err_size) {
  static const struct gw_query all = {0};
  const struct format_entry *entry;
  struct gw_export_options eff;
  struct write_context ctx = {0};
  char query_err[GW_ERR_MAX] = "";
  int rc = -1;

  if (count)
    *count = 0;
  if (query == NULL)
    query = &all;
  entry = format_entry(opt->format);
  if (entry == NULL) {
    text_format(err, err_size, "export: unknown format %d", (int)opt->format);
    return -1;
  }
  if (effective_options(opt, query, &eff, err, err_size) != 0)
    return -1;
  if (export_with_validity(&eff) &&
      provenance_open(eff.provenance_db, &ctx.provenance, query_err,
                      sizeof query_err) != 0) {
    text_format(err, err_size, "export (%s): %s", entry->name, query_err);
    goto out;
  }
  ctx.writer = entry->writer;
  export_clear_error();
  if (ctx.writer->begin(out, &eff, &ctx.state) != 0) {
    text_format(err, err_size, "export (%s): starting the feed: %s",
                entry->name, export_last_error());
    goto out;
  }
  if (store_query(store, query, write_row, &ctx, query_err, sizeof query_err) !=
      0) {
    if (ctx.writer_failed)
      text_format(err, err_size, "export (%s): observation %llu: %s",
                  entry->name, (unsigned long long)ctx.count + 1,
                  export_last_error());
    else if (ctx.provenance_failed)
      text_format(err, err_size, "export (%s): observation %llu: %s",
                  entry->name, (unsigned long long)ctx.count + 1,
                  ctx.provenance_err);
    else
      text_format(err, err_size, "export (%s): reading the store: %s",
                  entry->name, query_err);
    ctx.writer->abort(ctx.state);
    goto out;
  }
  if (ctx.writer->end(ctx.state, ctx.count) != 0) {
    text_format(err, err_size, "export (%s): finishing the feed: %s",
                entry->name, export_last_error());
    goto out;
  }
  if (count)
    *count = ctx.count;
  rc = 0;
out:
  provenance_close(ctx.provenance);
  return rc;
}

#define EXPORT_BUFFER_BYTES (256u * 1024u)

int export_to_file(struct gw_store *store, const struct gw_query *query,
                   const struct gw_export_options *opt, const char *path,
                   uint64_t *count, char *err, size_t err_size) {
  struct gw_atomic_file *file = NULL;
  char inner[GW_ERR_MAX + 128];
  uint64_t written = 0;

  if (count)
    *count = 0;
  if (atomic_file_open(path, &file, err, err_size) != 0)
    return -1;
  /* Before the first write, as setvbuf requires: a feed is hundreds of MB
   * at national scale, and the default 4 KiB buffer meant a write(2) per
   * 4 KiB. Without the bigger buffer the export is only slower. */
  (void)setvbuf(atomic_file_stream(file), NULL, _IOFBF, EXPORT_BUFFER_BYTES);
  if (export_write(store, query, opt, atomic_file_stream(file), &written, inner,
                   sizeof inner) != 0) {
    atomic_file_abort(file);
    text_format(err, err_size, "%s: %s (the previous file is unchanged)", path,
                inner);
    return -1;
  }
  if (atomic_file_commit(file, err, err_size) != 0)
    return -1;
  if (count)
    *count = written;
  return 0;
}
