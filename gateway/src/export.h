/*
 * export.h - feeds in JSON, XML and CSV (DESIGN 7), streamed from the store
 * row by row (memory stays flat however large the feed), and published
 * atomically so a consumer never sees a half-written file.
 *
 * Formats are described by schemas/observation.schema.json (JSON) and
 * schemas/feed.xsd (XML); CSV has one header row with the same field names.
 * One writer file per format: export_json.c, export_xml.c, export_csv.c.
 */
#ifndef GW_EXPORT_H
#define GW_EXPORT_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "store.h"

struct gw_validity; /* provenance.h */

typedef enum gw_export_format {
  GW_FORMAT_JSON = 0,
  GW_FORMAT_XML,
  GW_FORMAT_CSV
} gw_export_format;

struct gw_export_options {
  gw_export_format format;
  const char *feed_name;    /* e.g. "indicators"; appears in the metadata */
  const char *generated_at; /* RFC 3339 UTC */
  const char *as_of;        /* NULL: current state */
  const char *gateway_version;
  int with_provenance;       /* add source.span_id (the fetch span in the
                                exchange log) to every observation */
  const char *provenance_db; /* with with_provenance: the store database
                                (<data_dir>/gateway.db) to read each
                                revision's valid_from (and, in an as-of
                                feed, valid_to) from (provenance.h); NULL
                                leaves them out */
  /* CSV only (Excel-friendly defaults: ';', decimal comma, BOM) */
  char csv_delimiter;
  int csv_decimal_comma;
  int csv_bom;
};

void export_default_options(struct gw_export_options *opt);
int export_format_from_name(const char *name, gw_export_format *out);
const char *export_format_name(gw_export_format format);
const char *export_format_extension(gw_export_format format);

/* A streaming writer, one implementation per format. row_with_validity
 * is row() plus when the revision held (NULL: unknown); export_write()
 * uses it when the options ask for provenance from provenance_db. */
struct gw_export_writer {
  int (*begin)(FILE *out, const struct gw_export_options *opt, void **state);
  int (*row)(void *state, const struct gw_observation *obs);
  int (*row_with_validity)(void *state, const struct gw_observation *obs,
                           const struct gw_validity *validity);
  int (*end)(void *state, uint64_t count); /* also frees state */
  void (*abort)(void *state);              /* frees state */
};
extern const struct gw_export_writer export_json_writer;
extern const struct gw_export_writer export_xml_writer;
extern const struct gw_export_writer export_csv_writer;
/* Why the last failing writer call (begin/row/end) on this thread failed,
 * e.g. which field of which observation was refused; "" when none did.
 * export_write() and export_to_file() copy it into their err. */
const char *export_last_error(void);

/* Write the observations matching query to out. *count gets the number. */
int export_write(struct gw_store *store, const struct gw_query *query,
                 const struct gw_export_options *opt, FILE *out,
                 uint64_t *count, char *err, size_t err_size);
/* Same, published atomically at path (the old file stays on any error). */
int export_to_file(struct gw_store *store, const struct gw_query *query,
                   const struct gw_export_options *opt, const char *path,
                   uint64_t *count, char *err, size_t err_size);

#endif
