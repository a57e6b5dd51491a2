/*
 * export_csv.c - the CSV feed, shaped for Excel as Dutch users open it:
 * optional UTF-8 BOM (so Excel reads UTF-8), ';' between cells and a
 * decimal comma by default, CRLF line ends, RFC 4180 quoting (a cell with
 * the delimiter, a quote, CR or LF is quoted and its quotes doubled).
 *
 * Columns: indicator, area, area_level, period, breakdown, value, unit,
 * status, ci_low, ci_high, revision, source_id, plugin, dataset,
 * source_code, fetched_at, payload_sha256 (+ span_id with provenance, and
 * valid_from, valid_to when the revisions' validity is read too; valid_to
 * is empty while a revision is current).
 * An absent figure is an empty cell, never 0. The breakdown cell is
 * "dim=member" pairs joined with '|' (in the canonical dimension order);
 * a '\', '|' or '=' inside a name or member is escaped with '\'.
 *
 * A text cell that starts with '=', '+', '-', '@', TAB or CR gets a leading
 * apostrophe: source data must never turn into a spreadsheet formula on a
 * civil servant's machine (OWASP "CSV injection"). Numbers are unaffected.
 */
#include <stdint.h>
#include <string.h>

#include "export_internal.h"
#include "gw_alloc.h"
#include "provenance.h"
#include "text.h"

#define UTF8_BOM "\xEF\xBB\xBF"
#define CSV_EOL "\r\n"
/* A breakdown of at most GW_BREAKDOWN_MAX bytes of JSON, every character
 * escaped at worst, fits. */
#define BREAKDOWN_CELL_MAX (2 * GW_BREAKDOWN_MAX + 16)

static const char *const columns[] = {
    "indicator",  "area",          "area_level", "period",  "breakdown",
    "value",      "unit",          "status",     "ci_low",  "ci_high",
    "revision",   "source_id",     "plugin",     "dataset", "source_code",
    "fetched_at", "payload_sha256"};

struct csv_state {
  FILE *out;
  char delimiter;
  int decimal_comma;
  int with_provenance;
  int with_validity;
  uint64_t rows;
};

static int needs_quotes(const struct csv_state *st, const char *text) {
  for (const char *p = text; *p; p++) {
    if (*p == st->delimiter || *p == '"' || *p == '\r' || *p == '\n')
      return 1;
  }
  return 0;
}

static int formula_like(const char *text) {
  return text[0] != '\0' && strchr("=+-@\t\r", text[0]) != NULL;
}

/* One cell; the first cell of a line has no delimiter before it. */
static void put_raw_cell(struct csv_state *st, int first, const char *text,
                         int guard_formula) {
  FILE *out = st->out;
  int quoted = needs_quotes(st, text);
  if (!first)
    fputc(st->delimiter, out);
  if (quoted)
    fputc('"', out);
  if (guard_formula && formula_like(text))
    fputc('\'', out);
  for (const char *p = text; *p; p++) {
    if (*p == '"')
      fputc('"', out);
    fputc(*p, out);
  }
  if (quoted)
    fputc('"', out);
}

static void put_text(struct csv_state *st, const char *text) {
  put_raw_cell(st, 0, text, 1);
}

static int put_number(struct csv_state *st, int present, double v) {
  char text[EXPORT_NUMBER_MAX];
  if (!present) {
    put_raw_cell(st, 0, "", 0);
    return 0;
  }
  if (export_number_text(v, text, sizeof text) != 0)
    return -1;
  if (st->decimal_comma) {
    char *dot = strchr(text, '.');
    if (dot)
      *dot = ',';
  }
  put_raw_cell(st, 0, text, 0);
  return 0;
}

struct cell_builder {
  char text[BREAKDOWN_CELL_MAX];
  size_t len;
  int overflow;
};

static void cell_put(struct cell_builder *b, char c) {
  if (b->len + 1 >= sizeof b->text) {
    b->overflow = 1;
    return;
  }
  b->text[b->len++] = c;
  b->text[b->len] = '\0';
}

static void cell_put_escaped(struct cell_builder *b, const char *s) {
  for (; *s; s++) {
    if (*s == '\\' || *s == '|' || *s == '=')
      cell_put(b, '\\');
    cell_put(b, *s);
  }
}

static int add_pair(const char *dimension, const char *member, void *user) {
  struct cell_builder *b = user;
  if (b->len > 0)
    cell_put(b, '|');
  cell_put_escaped(b, dimension);
  cell_put(b, '=');
  cell_put_escaped(b, member);
  return 0;
}

static int breakdown_cell(const char *breakdown, struct cell_builder *b) {
  b->len = 0;
  b->overflow = 0;
  b->text[0] = '\0';
  if (export_breakdown_each(breakdown, add_pair, b) != 0)
    return -1;
  if (b->overflow) {
    export_set_error("breakdown %s does not fit a CSV cell", breakdown);
    return -1;
  }
  return 0;
}

static int stream_ok(FILE *out, const char *step) {
  if (ferror(out)) {
    export_set_error("writing the CSV %s failed", step);
    return -1;
  }
  return 0;
}

static int valid_delimiter(char c) {
  return c != '"' && c != '\r' && c != '\n' && c != '\'' &&
         (unsigned char)c < 0x80;
}

static int csv_begin(FILE *out, const struct gw_export_options *opt,
                     void **state) {
  struct csv_state *st;

  *state = NULL;
  char delimiter = opt->csv_delimiter ? opt->csv_delimiter : ';';
  if (!valid_delimiter(delimiter)) {
    export_set_error("CSV delimiter 0x%02x cannot separate cells (a quote, "
                     "apostrophe, line end or non-ASCII byte)",
                     (unsigned)(unsigned char)delimiter);
    return -1;
  }
  st = gw_calloc(1, sizeof *st);
  if (st == NULL) {
    export_set_error("out of memory starting the CSV feed");
    return -1;
  }
  st->out = out;
  st->delimiter = delimiter;
  st->decimal_comma = opt->csv_decimal_comma;
  st->with_provenance = opt->with_provenance;
  st->with_validity = export_with_validity(opt);
  if (opt->csv_bom)
    fputs(UTF8_BOM, out);
  for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++)
    put_raw_cell(st, i == 0, columns[i], 0);
  if (st->with_provenance)
    put_raw_cell(st, 0, "span_id", 0);
  if (st->with_validity) {
    put_raw_cell(st, 0, "valid_from", 0);
    put_raw_cell(st, 0, "valid_to", 0);
  }
  fputs(CSV_EOL, out);
  if (stream_ok(out, "header") != 0) {
    gw_free(st);
    return -1;
  }
  *state = st;
  return 0;
}

static int csv_row_with_validity(void *state, const struct gw_observation *obs,
                                 const struct gw_validity *validity) {
  struct csv_state *st = state;
  struct cell_builder breakdown;
  char revision[24];

  /* Everything that can be refused is decided before the first cell. */
  if (export_check_observation(obs) != 0 ||
      export_check_validity(obs, validity) != 0 ||
      breakdown_cell(obs->breakdown, &breakdown) != 0)
    return -1;
  if (text_format(revision, sizeof revision, "%ld", obs->revision) != 0) {
    export_set_error("revision %ld does not fit", obs->revision);
    return -1;
  }
  put_raw_cell(st, 1, obs->indicator, 1);
  put_text(st, obs->area);
  put_text(st, area_level_name(obs->area_level));
  put_text(st, obs->period);
  put_text(st, breakdown.text);
  if (put_number(st, obs->has_value, obs->value) != 0)
    return -1;
  put_text(st, obs->unit);
  put_text(st, status_name(obs->status));
  if (put_number(st, obs->has_ci_low, obs->ci_low) != 0 ||
      put_number(st, obs->has_ci_high, obs->ci_high) != 0)
    return -1;
  put_raw_cell(st, 0, revision, 0);
  put_text(st, obs->source_id);
  put_text(st, obs->plugin);
  put_text(st, obs->dataset);
  put_text(st, obs->source_code);
  put_text(st, obs->fetched_at);
  put_text(st, obs->payload_sha256);
  if (st->with_provenance)
    put_text(st, obs->span_id);
  if (st->with_validity) {
    put_text(st, validity ? validity->valid_from : "");
    put_text(st, validity ? validity->valid_to : "");
  }
  fputs(CSV_EOL, st->out);
  st->rows++;
  return stream_ok(st->out, "observation");
}

static int csv_row(void *state, const struct gw_observation *obs) {
  return csv_row_with_validity(state, obs, NULL);
}

static int csv_end(void *state, uint64_t count) {
  struct csv_state *st = state;
  int rc = -1;
  if (count != st->rows) {
    export_set_error("feed count %llu differs from the %llu observations "
                     "written",
                     (unsigned long long)count, (unsigned long long)st->rows);
    goto out;
  }
  if (fflush(st->out) != 0 || ferror(st->out)) {
    export_set_error("writing the end of the CSV feed failed");
    goto out;
  }
  rc = 0;
out:
  gw_free(st);
  return rc;
}

static void csv_abort(void *state) {
  gw_free(state);
}

const struct gw_export_writer export_csv_writer = {
    .begin = csv_begin,
    .row = csv_row,
    .row_with_validity = csv_row_with_validity,
    .end = csv_end,
    .abort = csv_abort,
};
