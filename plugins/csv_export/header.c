/*
 * header.c - finding the header row, the delimiter and the columns.
 *
 * Exports from spreadsheets and viewers often start with title rows
 * ("Gezondheidsmonitor Jeugd 2021", "Bron: GGD"), so the header is the
 * first row in which one field is the configured area column, tried with
 * each candidate delimiter (';', ',', tab); the delimiter that finds it
 * wins. With params.header_row the header is that line, and the delimiter
 * is the candidate that splits it into the most fields. Column names are
 * compared case-insensitively after trimming.
 */
#include "csv_export.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char candidates[] = {';', ',', '\t'};

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

const char *csvx_lookup(const struct csvx_pair *pairs, size_t count,
                        const char *text) {
  size_t i;
  for (i = 0; i < count; i++)
    if (pairs[i].from && strcmp(pairs[i].from, text) == 0)
      return pairs[i].to;
  for (i = 0; i < count; i++)
    if (pairs[i].from && csvx_same_name(pairs[i].from, text))
      return pairs[i].to;
  return NULL;
}

/* "a;b;c" for messages, cut with "..." when long. */
static void header_text(const struct csvx_fields *f, char delimiter, char *out,
                        size_t size) {
  size_t i, used = 0;
  const char *sep = delimiter == '\t' ? "<tab>" : delimiter == ',' ? "," : ";";

  out[0] = '\0';
  for (i = 0; i < f->count; i++) {
    int n =
        snprintf(out + used, size - used, "%s%s", i ? sep : "", f->value[i]);
    if (n < 0 || (size_t)n >= size - used) {
      if (size > 4)
        out[size - 4] = '\0';
      csvx_utf8_fix_tail(out);
      used = strlen(out);
      if (used + 4 <= size)
        memcpy(out + used, "...", 4);
      return;
    }
    used += (size_t)n;
  }
}

/* Index of the column named name, -1 when absent, -2 when twice. */
static long find_column(const struct csvx_fields *names, const char *name) {
  long found = -1;
  size_t i;

  for (i = 0; i < names->count; i++) {
    if (!csvx_same_name(names->value[i], name))
      continue;
    if (found >= 0)
      return -2;
    found = (long)i;
  }
  return found;
}

static gw_result require_column(struct csvx_job *job, const char *name,
                                long *index) {
  struct csvx_header *h = &job->header;
  char text[512];

  *index = find_column(&h->names, name);
  if (*index >= 0)
    return GW_OK;
  header_text(&h->names, h->delimiter, text, sizeof text);
  if (*index == -2)
    return fail(job,
                "column \"%s\" appears more than once in the header on line "
                "%llu (header: %s)",
                name, (unsigned long long)h->line, text);
  return fail(job,
              "column \"%s\" not found in the header on line %llu "
              "(header: %s)",
              name, (unsigned long long)h->line, text);
}

static gw_result optional_column(struct csvx_job *job, const char *name,
                                 long *index) {
  *index = -1;
  return name ? require_column(job, name, index) : GW_OK;
}

static gw_result resolve_roles(struct csvx_job *job) {
  const struct csvx_config *cfg = job->cfg;
  struct csvx_header *h = &job->header;
  gw_result rc;
  size_t i;

  if ((rc = require_column(job, cfg->area_column, &h->area)) != GW_OK ||
      (rc = optional_column(job, cfg->period_column, &h->period)) != GW_OK ||
      (rc = optional_column(job, cfg->code_column, &h->code)) != GW_OK ||
      (rc = optional_column(job, cfg->value_column, &h->value)) != GW_OK ||
      (rc = optional_column(job, cfg->lower_column, &h->lower)) != GW_OK ||
      (rc = optional_column(job, cfg->upper_column, &h->upper)) != GW_OK)
    return rc;
  for (i = 0; i < cfg->breakdown_count; i++)
    if ((rc = require_column(job, cfg->breakdown[i].to, &h->breakdown[i])) !=
        GW_OK)
      return rc;
  return GW_OK;
}

static int is_role(const struct csvx_header *h, size_t count, long i) {
  size_t b;
  if (i == h->area || i == h->period || i == h->code || i == h->value ||
      i == h->lower || i == h->upper)
    return 1;
  for (b = 0; b < count; b++)
    if (i == h->breakdown[b])
      return 1;
  return 0;
}

/* Whether a column found by default holds values: a catalogue mapping for
 * its code (wide) or a period name (periods). */
static int holds_values(struct csvx_job *job, const char *name) {
  if (job->cfg->layout == CSVX_LAYOUT_PERIODS) {
    char period[64];
    return job->host->normalise_period(name, period, sizeof period) == 1;
  } else {
    const char *code =
        csvx_lookup(job->cfg->code_map, job->cfg->code_map_count, name);
    return job->host->indicator_for(job->run, job->cfg->dataset,
                                    code ? code : name) != NULL;
  }
}

static void note_skipped(char *list, size_t size, const char *name) {
  size_t used = strlen(list);
  if (used + 4 >= size)
    return;
  if (snprintf(list + used, size - used, "%s%s", used ? ", " : "", name) >=
      (int)(size - used)) {
    list[size - 4] = '\0';
    csvx_utf8_fix_tail(list);
    used = strlen(list);
    memcpy(list + used, "...", 4);
  }
}

static gw_result default_value_columns(struct csvx_job *job) {
  struct csvx_header *h = &job->header;
  char skipped[512] = "", text[512];
  size_t i;

  for (i = 0; i < h->names.count; i++) {
    const char *name = h->names.value[i];
    if (is_role(h, job->cfg->breakdown_count, (long)i) || !*name)
      continue;
    if (holds_values(job, name))
      h->value_columns[h->value_column_count++] = i;
    else
      note_skipped(skipped, sizeof skipped, name);
  }
  header_text(&h->names, h->delimiter, text, sizeof text);
  if (h->value_column_count == 0) {
    if (job->cfg->layout == CSVX_LAYOUT_PERIODS)
      return fail(job,
                  "no column of the header on line %llu is a period (header: "
                  "%s); name them in params.value_columns",
                  (unsigned long long)h->line, text);
    return fail(job,
                "no column of the header on line %llu is mapped in the "
                "catalogue for dataset \"%s\" (header: %s); add mappings or "
                "name the columns in params.value_columns",
                (unsigned long long)h->line, job->cfg->dataset, text);
  }
  if (*skipped)
    job->host->log(
        job->run, GW_LOG_INFO, "%s: columns skipped (not %s): %s", job->name,
        job->cfg->layout == CSVX_LAYOUT_PERIODS ? "a period"
                                                : "mapped in the catalogue",
        skipped);
  return GW_OK;
}

static gw_result resolve_values(struct csvx_job *job) {
  const struct csvx_config *cfg = job->cfg;
  struct csvx_header *h = &job->header;
  size_t i;

  if (cfg->layout == CSVX_LAYOUT_LONG)
    return GW_OK;
  h->value_columns = csvx_zalloc(job->mem, h->names.count * sizeof(size_t));
  if (!h->value_columns)
    return fail(job, "out of memory");
  if (cfg->value_column_count == 0)
    return default_value_columns(job);
  for (i = 0; i < cfg->value_column_count; i++) {
    long index;
    gw_result rc = require_column(job, cfg->value_columns[i], &index);
    if (rc != GW_OK)
      return rc;
    h->value_columns[h->value_column_count++] = (size_t)index;
  }
  return GW_OK;
}

/* The delimiter whose split has a field equal to the area column (the one
 * with most fields when several do), or 0. */
static char delimiter_naming_area(struct csvx_job *job) {
  const struct csvx_reader *r = &job->reader;
  size_t best_count = 0, c, i;
  char best = 0;

  for (c = 0; c < sizeof candidates; c++) {
    char d = candidates[c];
    if (job->cfg->delimiter && d != job->cfg->delimiter)
      continue;
    if (csvx_split(r->record, r->record_len, d, &job->row, job->mem) < 0)
      return 0;
    for (i = 0; i < job->row.count; i++) {
      if (csvx_same_name(job->row.value[i], job->cfg->area_column) &&
          job->row.count > best_count) {
        best = d;
        best_count = job->row.count;
      }
    }
  }
  return best;
}

static char delimiter_by_fields(const struct csvx_job *job) {
  const struct csvx_reader *r = &job->reader;
  size_t best_count = 0, c;
  char best = ';';

  if (job->cfg->delimiter)
    return job->cfg->delimiter;
  for (c = 0; c < sizeof candidates; c++) {
    size_t n = csvx_count_fields(r->record, r->record_len, candidates[c]);
    if (n > best_count) {
      best = candidates[c];
      best_count = n;
    }
  }
  return best;
}

static gw_result no_header(struct csvx_job *job, size_t rows,
                           const char *first) {
  if (job->cfg->header_row > 0)
    return fail(job, "the file ends before line %lld (params.header_row)",
                (long long)job->cfg->header_row);
  if (rows == 0)
    return fail(job, "the file is empty: no header row with column \"%s\"",
                job->cfg->area_column);
  return fail(job,
              "no header row: none of the first %zu rows has a column \"%s\" "
              "(params.area_column); the first row is: %s",
              rows, job->cfg->area_column, first);
}

/* Reads records up to the header; returns its delimiter or 0 (failed). */
static gw_result find_header(struct csvx_job *job, char *delimiter) {
  struct csvx_reader *r = &job->reader;
  char first[200] = "";
  size_t rows = 0;
  int rc;

  for (;;) {
    rc = csvx_reader_next(r);
    if (rc < 0)
      return fail(job, "%s", r->error);
    if (rc == 0)
      return no_header(job, rows, first);
    if (job->cfg->header_row > 0) {
      if (r->record_last_line < (uint64_t)job->cfg->header_row)
        continue;
      *delimiter = delimiter_by_fields(job);
      return GW_OK;
    }
    if (rows++ == 0)
      csvx_excerpt(r->record, 160, first, sizeof first);
    if ((*delimiter = delimiter_naming_area(job)) != 0)
      return GW_OK;
    if (rows >= CSVX_MAX_TITLE_ROWS)
      return no_header(job, rows, first);
  }
}

gw_result csvx_read_header(struct csvx_job *job) {
  struct csvx_header *h = &job->header;
  char delimiter = 0;
  gw_result rc;
  size_t b;

  h->area = h->period = h->code = h->value = h->lower = h->upper = -1;
  for (b = 0; b < CSVX_MAX_BREAKDOWNS; b++)
    h->breakdown[b] = -1;
  if ((rc = find_header(job, &delimiter)) != GW_OK)
    return rc;
  h->delimiter = delimiter;
  h->line = job->reader.record_line;
  job->reader.delimiter = delimiter;
  if (csvx_split(job->reader.record, job->reader.record_len, delimiter,
                 &h->names, job->mem) < 0)
    return fail(job,
                "line %llu: too many columns (at most %u) or out of "
                "memory",
                (unsigned long long)h->line, CSVX_MAX_FIELDS);
  if ((rc = resolve_roles(job)) != GW_OK)
    return rc;
  return resolve_values(job);
}

void csvx_header_free(struct csvx_header *h, struct csvx_mem *mem) {
  csvx_fields_free(&h->names, mem);
  csvx_free(mem, h->value_columns);
  h->value_columns = NULL;
  h->value_column_count = 0;
}
