/*
 * csv_export.h - internals of the csv_export plugin (file exports: the
 * waarstaatjegemeente/Swing download and bulk layout, GGD tables with
 * value/lower/upper columns, spreadsheets saved as CSV).
 *
 * The plugin streams: bytes come from host->payload_read in fixed chunks,
 * are decoded to UTF-8 one character at a time, assembled into one record
 * (a CSV row, possibly spanning lines inside quotes), split into fields and
 * emitted. Only one record and one chunk are ever held, so memory does not
 * depend on the number of rows. Every allocation goes through csvx_mem so
 * tests can check exactly that.
 *
 * Everything here is internal (hidden visibility); only plugin.c exports
 * the descriptor. Names carry the csvx_ prefix because fuzz harnesses link
 * every plugin's _impl library into one binary.
 */
#ifndef CSV_EXPORT_H
#define CSV_EXPORT_H

#include "gateway/plugin.h"

#include <stddef.h>
#include <stdint.h>

#define CSVX_CHUNK_BYTES 65536u
/* A record longer than this is almost certainly a quote that is never
 * closed; stopping keeps memory bounded whatever the input. */
#define CSVX_MAX_RECORD_BYTES (1024u * 1024u)
#define CSVX_MAX_FIELDS 4096u
#define CSVX_MAX_BREAKDOWNS 4u
/* Without params.header_row the header must be among the first rows. */
#define CSVX_MAX_TITLE_ROWS 100u

/* ---- counted allocation -------------------------------------------------
 * Every plugin allocation is counted per context, so the memory test can
 * assert that the peak does not grow with the number of rows. */
struct csvx_mem {
  size_t live;
  size_t peak;
};

void *csvx_alloc(struct csvx_mem *mem, size_t size);
void *csvx_zalloc(struct csvx_mem *mem, size_t size);
void *csvx_realloc(struct csvx_mem *mem, void *ptr, size_t size);
void csvx_free(struct csvx_mem *mem, void *ptr);

/* ---- configuration ------------------------------------------------------ */

enum csvx_layout {
  CSVX_LAYOUT_WIDE = 0, /* one value column per variable (Swing bulk) */
  CSVX_LAYOUT_LONG,     /* a code column and a value column */
  CSVX_LAYOUT_PERIODS   /* one value column per period (viewer tables) */
};

enum csvx_encoding {
  CSVX_ENC_AUTO = 0, /* UTF-8 when the whole file is valid, else 1252 */
  CSVX_ENC_UTF8,
  CSVX_ENC_CP1252
};

/* A name -> value pair whose strings belong to the host config. */
struct csvx_pair {
  const char *from;
  const char *to;
};

struct csvx_marker {
  const char *text; /* compared case-insensitively after trimming */
  gw_status status;
};

struct csvx_config {
  const char *url;
  const char *dataset;
  enum csvx_layout layout;
  enum csvx_encoding encoding;
  char delimiter;     /* 0: detect from the header */
  int64_t header_row; /* 0: the first row naming the area column */
  const char *area_column;
  const char *period_column;
  const char *period_fixed;
  const char *code_column;
  const char *code_fixed;
  const char *value_column;
  const char *lower_column;
  const char *upper_column;
  const char *area_prefix;
  struct csvx_pair breakdown[CSVX_MAX_BREAKDOWNS]; /* dimension -> column */
  size_t breakdown_count;
  struct csvx_pair *area_map;
  size_t area_map_count;
  struct csvx_pair *code_map;
  size_t code_map_count;
  const char **value_columns;
  size_t value_column_count;
  struct csvx_marker *markers;
  size_t marker_count;
};

extern const struct gw_config_key csvx_config_keys[];

gw_result csvx_config_load(struct csvx_config *cfg,
                           const struct gw_host_api *host,
                           const struct gw_plugin_config *config,
                           struct csvx_mem *mem);
void csvx_config_free(struct csvx_config *cfg, struct csvx_mem *mem);

/* Status for a marker cell, or GW_STATUS_UNSET when text is no marker. */
gw_status csvx_marker_status(const struct csvx_config *cfg, const char *text);
/* "NB, n.n.b., N.v.t., ..." for messages. */
void csvx_marker_list(const struct csvx_config *cfg, char *out, size_t size);
/* GW_STATUS_UNSET when name is not a status a marker may stand for. */
gw_status csvx_status_from_name(const char *name);

/* ---- reading: bytes -> UTF-8 characters -> records ---------------------- */

struct csvx_reader {
  const struct gw_host_api *host;
  struct gw_payload *payload;
  struct csvx_mem *mem;
  const char *name;            /* file or URL, for messages */
  enum csvx_encoding encoding; /* UTF8 or CP1252 once reading */

  unsigned char *chunk;
  size_t chunk_len;
  size_t chunk_pos;
  uint64_t chunk_offset; /* file offset of chunk[0] */
  int eof;
  int started;

  unsigned char pending[4]; /* decoded bytes of the current character */
  size_t pending_len;
  size_t pending_pos;

  uint64_t line;         /* physical line of the next character (1-based) */
  int after_cr;          /* the previous character was '\r' */
  uint64_t invalid_line; /* where the first invalid byte was (scan) */
  uint64_t invalid_offset;
  unsigned invalid_byte;

  char delimiter; /* 0: any of ';' ',' '\t' may separate fields */
  char *record;   /* the current record, NUL-terminated, quotes kept */
  size_t record_len;
  size_t record_cap;
  uint64_t record_line; /* its first physical line */
  uint64_t record_last_line;

  char error[768]; /* set when a call returns -1 */
};

int csvx_reader_open(struct csvx_reader *r, const struct gw_host_api *host,
                     struct gw_payload *payload, struct csvx_mem *mem,
                     const char *name, enum csvx_encoding encoding);
void csvx_reader_close(struct csvx_reader *r);
/* 1: a record is in r->record; 0: end of input; -1: r->error says why. */
int csvx_reader_next(struct csvx_reader *r);
/* Reads the whole payload as UTF-8: 1 valid, 0 not (r->invalid_* say
 * where), -1 read error. */
int csvx_reader_scan_utf8(struct csvx_reader *r);

/* ---- splitting a record into fields ------------------------------------ */

struct csvx_fields {
  char *text; /* unquoted field texts, each NUL-terminated */
  size_t text_cap;
  const char **value;
  size_t count;
  size_t value_cap;
};

/* 0, or -1 when out of memory or the record has too many fields. */
int csvx_split(const char *record, size_t len, char delimiter,
               struct csvx_fields *f, struct csvx_mem *mem);
/* Fields the record would have with delimiter (no allocation). */
size_t csvx_count_fields(const char *record, size_t len, char delimiter);
void csvx_fields_free(struct csvx_fields *f, struct csvx_mem *mem);
/* Name of a delimiter for messages: "';'", "','", "tab". */
const char *csvx_delimiter_name(char delimiter);
/* Pointer to text without leading/trailing blanks; *len gets its length. */
const char *csvx_trim(const char *text, size_t *len);
/* Cuts an incomplete UTF-8 sequence off the end of s (after a bounded
 * copy or snprintf truncation), so messages stay valid UTF-8. */
void csvx_utf8_fix_tail(char *s);
/* At most max bytes of text into out, never splitting a character; "..."
 * appended when cut. */
void csvx_excerpt(const char *text, size_t max, char *out, size_t size);
/* Case-insensitive equality of trimmed a and b (ASCII letters only). */
int csvx_same_name(const char *a, const char *b);
/* The value a map gives text (exact match first, then case-insensitive),
 * or NULL. */
const char *csvx_lookup(const struct csvx_pair *pairs, size_t count,
                        const char *text);

/* ---- the header and the rows -------------------------------------------- */

struct csvx_header {
  struct csvx_fields names;
  char delimiter;
  uint64_t line;
  long area, period, code, value, lower, upper; /* -1 when not used */
  long breakdown[CSVX_MAX_BREAKDOWNS];
  size_t *value_columns; /* wide/periods: the columns that hold values */
  size_t value_column_count;
};

struct csvx_job {
  const struct gw_host_api *host;
  struct gw_run *run;
  const struct csvx_config *cfg;
  struct csvx_mem *mem;
  struct csvx_reader reader;
  struct csvx_header header;
  struct csvx_fields row;
  const char *name; /* file or URL */
  uint64_t rows;
  uint64_t emitted;
  uint64_t rejected;
};

/* Finds the header, detects the delimiter, resolves the columns. */
gw_result csvx_read_header(struct csvx_job *job);
void csvx_header_free(struct csvx_header *h, struct csvx_mem *mem);
/* Emits every data row after the header. */
gw_result csvx_read_rows(struct csvx_job *job);

/* ---- the plugin entry points (plugin.c wraps them) ---------------------- */

gw_result csv_export_init(const struct gw_host_api *host,
                          const struct gw_plugin_config *config,
                          void **ctx_out);
gw_result csv_export_run(void *ctx, struct gw_run *run);
void csv_export_destroy(void *ctx);
/* Peak plugin heap of the context's lifetime so far, and what is live now
 * (the memory tests' probe). */
size_t csv_export_peak_bytes(const void *ctx);
size_t csv_export_live_bytes(const void *ctx);
void csv_export_reset_peak(void *ctx);

#endif
