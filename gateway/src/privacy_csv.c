/*
 * privacy_csv.c - CSV (and plain text) scanning for the privacy guard.
 *
 * Two passes over the file, both streaming:
 *  1. find the header: the first line with at least two non-empty fields
 *     among the first lines (title rows such as "Tabel 1;;;" come before
 *     it in spreadsheet exports), else the first non-empty line (a
 *     one-column file); the delimiter (; , or tab) is the one the header
 *     line uses most outside quotes;
 *  2. from the header on, parse records (quotes, "" escapes, embedded
 *     newlines, CRLF or CR) and check the value of every column whose
 *     header name announces person data. Only those columns are buffered,
 *     so a large file with ordinary headers costs one pass of byte tests.
 * A file with no such column is clean as soon as the header is read.
 */
#include <errno.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "gw_alloc.h"
#include "privacy_internal.h"
#include "text.h"

#define CSV_TITLE_LINES_MAX 20
#define CSV_HEADER_MAX 65536 /* bytes of the header line that are analysed */
#define CSV_COLUMNS_MAX 4096

enum field_state { F_START, F_UNQUOTED, F_QUOTED, F_QUOTE_IN_QUOTED };

struct csv_header_pick {
  off_t start;        /* byte offset of the header line */
  unsigned long line; /* its physical line number */
  char delimiter;
  int found;
};

struct csv_scanner {
  struct pg_scan *scan;
  char delimiter;
  int in_header;
  /* header */
  char *names; /* NUL-separated column names */
  size_t names_used;
  size_t name_offset[CSV_COLUMNS_MAX];
  unsigned kinds[CSV_COLUMNS_MAX];
  size_t columns;
  int any_kinds;
  /* records */
  enum field_state state;
  int skip_lf;
  int keep_field; /* this column is buffered */
  char field[PG_VALUE_MAX];
  size_t field_len;
  int field_truncated;
  size_t column;
  unsigned long line, record_line;
};

/* ---- pass 1: where is the header --------------------------------------- */

static char pick_delimiter(const unsigned char *line, size_t n) {
  static const char candidates[] = {';', '\t', ','}; /* ties: this order */
  size_t counts[3] = {0, 0, 0};
  int in_quotes = 0;
  size_t best = 0;
  for (size_t i = 0; i < n; i++) {
    if (line[i] == '"')
      in_quotes = !in_quotes;
    for (size_t k = 0; !in_quotes && k < 3; k++)
      counts[k] += line[i] == (unsigned char)candidates[k];
  }
  for (size_t k = 1; k < 3; k++)
    if (counts[k] > counts[best])
      best = k;
  return candidates[best];
}

static size_t non_empty_fields(const unsigned char *line, size_t n,
                               char delimiter) {
  size_t count = 0;
  int in_quotes = 0, content = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i == n || (!in_quotes && line[i] == (unsigned char)delimiter)) {
      count += content;
      content = 0;
      continue;
    }
    if (line[i] == '"')
      in_quotes = !in_quotes;
    else if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
      content = 1;
  }
  return count;
}

struct line_reader {
  unsigned char *line;
  size_t len;
  int in_quotes;
  int skip_lf;
  off_t offset;           /* of the next byte */
  off_t line_start;       /* of the current line */
  unsigned long physical; /* physical line of the current line's start */
  unsigned long next_physical;
};

/* Called at the end of each logical line; 1 when the search is over. */
static int consider_line(struct line_reader *lr, struct csv_header_pick *pick,
                         struct csv_header_pick *first_non_empty,
                         unsigned *lines_seen) {
  char delimiter = pick_delimiter(lr->line, lr->len);
  size_t fields = non_empty_fields(lr->line, lr->len, delimiter);
  if (fields >= 1 && !first_non_empty->found) {
    first_non_empty->found = 1;
    first_non_empty->start = lr->line_start;
    first_non_empty->line = lr->physical;
    first_non_empty->delimiter = delimiter;
  }
  if (fields >= 2) {
    pick->found = 1;
    pick->start = lr->line_start;
    pick->line = lr->physical;
    pick->delimiter = delimiter;
    return 1;
  }
  return ++*lines_seen >= CSV_TITLE_LINES_MAX;
}

static void start_next_line(struct line_reader *lr) {
  lr->len = 0;
  lr->in_quotes = 0;
  lr->line_start = lr->offset;
  lr->physical = lr->next_physical;
}

static int find_header(struct pg_scan *s, int fd, unsigned char *buf,
                       struct csv_header_pick *pick) {
  struct csv_header_pick first_non_empty = {0, 0, ';', 0};
  struct line_reader lr;
  unsigned lines_seen = 0;
  int done = 0, first = 1;
  memset(&lr, 0, sizeof lr);
  lr.line = gw_malloc(CSV_HEADER_MAX);
  if (!lr.line) {
    text_format(s->err, s->err_size, "%s: out of memory scanning CSV", s->file);
    return -1;
  }
  lr.physical = lr.next_physical = 1;
  while (!done) {
    ssize_t n = read(fd, buf, PG_READ_CHUNK);
    size_t i = 0;
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      text_format(s->err, s->err_size, "%s: read error: %s", s->file,
                  strerror(errno));
      gw_free(lr.line);
      return -1;
    }
    if (n == 0) {
      if (lr.len > 0)
        consider_line(&lr, pick, &first_non_empty, &lines_seen);
      break;
    }
    if (first && n >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF) {
      i = 3; /* UTF-8 byte order mark */
      lr.offset = lr.line_start = 3;
    }
    first = 0;
    for (; i < (size_t)n && !done; i++) {
      unsigned char c = buf[i];
      lr.offset++;
      if (lr.skip_lf && c == '\n') {
        /* the LF of a CRLF: one line break, counted at the CR */
        lr.skip_lf = 0;
        if (lr.len == 0 && !lr.in_quotes)
          lr.line_start = lr.offset;
        else if (lr.len < CSV_HEADER_MAX)
          lr.line[lr.len++] = c;
        continue;
      }
      lr.skip_lf = c == '\r';
      if (c == '\n' || c == '\r')
        lr.next_physical++;
      if (c == '"')
        lr.in_quotes = !lr.in_quotes;
      if (!lr.in_quotes && (c == '\n' || c == '\r')) {
        done = consider_line(&lr, pick, &first_non_empty, &lines_seen);
        start_next_line(&lr);
        continue;
      }
      if (lr.len < CSV_HEADER_MAX)
        lr.line[lr.len++] = c;
    }
  }
  gw_free(lr.line);
  if (!pick->found)
    *pick = first_non_empty;
  return 0;
}

/* ---- pass 2: header names and records ---------------------------------- */

static void add_header_name(struct csv_scanner *cs) {
  const char *v = cs->field;
  size_t n = cs->field_len;
  size_t room;
  while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
    n--;
  while (n > 0 && (*v == ' ' || *v == '\t')) {
    v++;
    n--;
  }
  room = CSV_HEADER_MAX - cs->names_used;
  if (cs->columns == CSV_COLUMNS_MAX || room == 0)
    return; /* columns beyond this have no name, hence no rule */
  if (n > room - 1)
    n = room - 1;
  memcpy(cs->names + cs->names_used, v, n);
  cs->name_offset[cs->columns] = cs->names_used;
  cs->kinds[cs->columns] = pg_classify(v, n, 0) & PG_VALUE_KINDS;
  cs->any_kinds |= cs->kinds[cs->columns] != 0;
  cs->names_used += n;
  cs->names[cs->names_used++] = '\0';
  cs->columns++;
}

static int check_field(struct csv_scanner *cs) {
  char material[PG_VALUE_MAX + 1];
  char path[PG_PATH_BUF];
  const char *kind_name = NULL;
  const char *name;
  size_t material_len = 0;
  int rc;
  if (!pg_match_value(cs->kinds[cs->column], cs->field, cs->field_len,
                      cs->field_truncated, &kind_name, material,
                      sizeof material, &material_len))
    return 0;
  name = cs->names + cs->name_offset[cs->column];
  path[0] = '\0';
  if (name[0]) {
    text_format(path, sizeof path, "line %lu column \"", cs->record_line);
    pg_path_append_name(path, sizeof path, name, strlen(name));
    pg_path_append(path, sizeof path, "\"");
  } else {
    text_format(path, sizeof path, "line %lu column %zu", cs->record_line,
                cs->column + 1);
  }
  rc = pg_record(cs->scan, kind_name, path, material, material_len);
  memset(material, 0, sizeof material);
  return rc;
}

static void begin_field(struct csv_scanner *cs) {
  cs->field_len = 0;
  cs->field_truncated = 0;
  cs->keep_field =
      cs->in_header || (cs->column < cs->columns && cs->kinds[cs->column] != 0);
}

static int end_field(struct csv_scanner *cs) {
  int rc = 0;
  if (cs->in_header)
    add_header_name(cs);
  else if (cs->keep_field)
    rc = check_field(cs);
  cs->column++;
  cs->state = F_START;
  begin_field(cs);
  return rc;
}

/* Returns 2 after the header when no column can hold person data. */
static int end_record(struct csv_scanner *cs) {
  int rc = end_field(cs);
  if (rc != 0)
    return rc;
  if (cs->in_header) {
    cs->in_header = 0;
    if (!cs->any_kinds)
      return 2;
  }
  cs->column = 0;
  cs->record_line = cs->line;
  begin_field(cs);
  return 0;
}

static void keep(struct csv_scanner *cs, unsigned char c) {
  if (!cs->keep_field)
    return;
  if (cs->field_len < sizeof cs->field)
    cs->field[cs->field_len++] = (char)c;
  else
    cs->field_truncated = 1;
}

static int feed(struct csv_scanner *cs, unsigned char c) {
  int newline = c == '\n' || c == '\r';
  if (cs->skip_lf && c == '\n') {
    cs->skip_lf = 0;
    return 0;
  }
  cs->skip_lf = c == '\r';
  if (newline)
    cs->line++;
  switch (cs->state) {
  case F_QUOTED:
    if (c == '"')
      cs->state = F_QUOTE_IN_QUOTED;
    else
      keep(cs, c);
    return 0;
  case F_START:
    if (c == '"') {
      cs->state = F_QUOTED;
      return 0;
    }
    break;
  case F_QUOTE_IN_QUOTED:
    if (c == '"') {
      keep(cs, c);
      cs->state = F_QUOTED;
      return 0;
    }
    break;
  case F_UNQUOTED:
    break;
  }
  if (c == (unsigned char)cs->delimiter)
    return end_field(cs);
  if (newline)
    return end_record(cs);
  keep(cs, c);
  cs->state = F_UNQUOTED;
  return 0;
}

static int scan_records(struct csv_scanner *cs, int fd, unsigned char *buf) {
  for (;;) {
    ssize_t n = read(fd, buf, PG_READ_CHUNK);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      text_format(cs->scan->err, cs->scan->err_size, "%s: read error: %s",
                  cs->scan->file, strerror(errno));
      return -1;
    }
    if (n == 0)
      break;
    for (size_t i = 0; i < (size_t)n; i++) {
      int rc = feed(cs, buf[i]);
      if (rc != 0)
        return rc == 2 ? 0 : rc;
    }
  }
  if (cs->state != F_START || cs->field_len > 0 || cs->column > 0 ||
      cs->in_header) {
    int rc = end_record(cs);
    return rc == 2 ? 0 : rc;
  }
  return 0;
}

int pg_scan_csv(struct pg_scan *s, int fd) {
  struct csv_header_pick pick = {0, 0, ';', 0};
  struct csv_scanner *cs = gw_calloc(1, sizeof *cs);
  unsigned char *buf = gw_malloc(PG_READ_CHUNK);
  int rc = -1;
  if (!cs || !buf || !(cs->names = gw_malloc(CSV_HEADER_MAX))) {
    text_format(s->err, s->err_size, "%s: out of memory scanning CSV", s->file);
    goto out;
  }
  if (find_header(s, fd, buf, &pick) != 0)
    goto out;
  rc = 0;
  if (!pick.found)
    goto out; /* nothing but blank lines: no field can hold anything */
  if (lseek(fd, pick.start, SEEK_SET) != pick.start) {
    text_format(s->err, s->err_size, "%s: cannot seek: %s", s->file,
                strerror(errno));
    rc = -1;
    goto out;
  }
  cs->scan = s;
  cs->delimiter = pick.delimiter;
  cs->in_header = 1;
  cs->line = cs->record_line = pick.line;
  begin_field(cs);
  rc = scan_records(cs, fd, buf);
out:
  if (cs) {
    memset(cs->field, 0, sizeof cs->field); /* no payload left in memory */
    gw_free(cs->names);
  }
  gw_free(cs);
  gw_free(buf);
  return rc;
}
