/*
 * reader.c - payload bytes -> UTF-8 characters -> CSV records.
 *
 * Three layers, each one character deep, so nothing but one chunk and the
 * current record is ever held:
 *  1. raw bytes from host->payload_read in CSVX_CHUNK_BYTES pieces;
 *  2. one character decoded to UTF-8 (validated, or converted from
 *     Windows-1252), with the physical line counted (\n, \r\n or \r);
 *  3. records: a newline ends the record unless it is inside a quoted
 *     field (RFC 4180), so a record may span several lines and the line it
 *     started on is kept for messages.
 * The start of the file is checked once for a UTF-8 BOM (dropped) and for
 * things that are not CSV at all (UTF-16, a zipped .xlsx, an old .xls), so
 * the data steward gets a useful message instead of garbage rows.
 */
#include "csv_export.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum quote_state { Q_START, Q_UNQUOTED, Q_QUOTED, Q_QUOTE_SEEN };

/* Windows-1252 0x80..0x9F; the five undefined bytes map to the C1
 * controls of the same value, as the WHATWG encoding standard does. */
static const uint16_t cp1252_high[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

static void set_error(struct csvx_reader *r, const char *fmt, ...)
    GW_PRINTF_LIKE(2, 3);
static void set_error(struct csvx_reader *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->error, sizeof r->error, fmt, ap);
  va_end(ap);
}

/* Appends bytes read from the payload after what the chunk holds. */
static int read_more(struct csvx_reader *r) {
  ssize_t n;

  if (r->eof || r->chunk_len == CSVX_CHUNK_BYTES)
    return 0;
  n = r->host->payload_read(r->payload, r->chunk + r->chunk_len,
                            CSVX_CHUNK_BYTES - r->chunk_len);
  if (n < 0) {
    set_error(r, "reading the file failed after %llu bytes",
              (unsigned long long)(r->chunk_offset + r->chunk_len));
    return -1;
  }
  if (n == 0) {
    r->eof = 1;
    return 0;
  }
  r->chunk_len += (size_t)n;
  return 1;
}

/* 1 when a byte is available at chunk[chunk_pos], 0 at the end, -1. */
static int fill(struct csvx_reader *r) {
  if (r->chunk_pos < r->chunk_len)
    return 1;
  r->chunk_offset += r->chunk_len;
  r->chunk_len = 0;
  r->chunk_pos = 0;
  return read_more(r);
}

static int starts_with(const struct csvx_reader *r, const char *magic,
                       size_t n) {
  return r->chunk_len >= n && memcmp(r->chunk, magic, n) == 0;
}

/* The first bytes: drop a UTF-8 BOM, refuse what is clearly no CSV. */
static int check_start(struct csvx_reader *r) {
  int rc;

  r->started = 1;
  while (r->chunk_len < 4 && (rc = read_more(r)) != 0)
    if (rc < 0)
      return -1;
  if (starts_with(r, "\xEF\xBB\xBF", 3)) {
    r->chunk_pos = 3;
    return 0;
  }
  if (starts_with(r, "\xFF\xFE", 2) || starts_with(r, "\xFE\xFF", 2)) {
    set_error(r, "line 1: the file is UTF-16 (Excel \"Unicode text\"); save "
                 "it as \"CSV UTF-8\" or \"CSV (gescheiden door "
                 "lijstscheidingsteken)\"");
    return -1;
  }
  if (starts_with(r, "PK\x03\x04", 4)) {
    set_error(r, "line 1: the file is a zip archive (an Excel .xlsx?), not "
                 "CSV; save it as CSV");
    return -1;
  }
  if (starts_with(r, "\xD0\xCF\x11\xE0", 4)) {
    set_error(r, "line 1: the file is an old Excel .xls workbook, not CSV; "
                 "save it as CSV");
    return -1;
  }
  return 0;
}

static void put_code_point(struct csvx_reader *r, unsigned cp) {
  if (cp < 0x80) {
    r->pending[0] = (unsigned char)cp;
    r->pending_len = 1;
  } else if (cp < 0x800) {
    r->pending[0] = (unsigned char)(0xC0 | (cp >> 6));
    r->pending[1] = (unsigned char)(0x80 | (cp & 0x3F));
    r->pending_len = 2;
  } else {
    r->pending[0] = (unsigned char)(0xE0 | (cp >> 12));
    r->pending[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    r->pending[2] = (unsigned char)(0x80 | (cp & 0x3F));
    r->pending_len = 3;
  }
}

/* Continuation bytes a UTF-8 lead byte needs, with the allowed range of
 * the first one (which rules out overlongs, surrogates and > U+10FFFF). */
static int utf8_shape(unsigned char lead, unsigned char *lo,
                      unsigned char *hi) {
  *lo = 0x80;
  *hi = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF)
    return 1;
  if (lead == 0xE0)
    *lo = 0xA0;
  else if (lead == 0xED)
    *hi = 0x9F;
  if (lead >= 0xE0 && lead <= 0xEF)
    return 2;
  if (lead == 0xF0)
    *lo = 0x90;
  else if (lead == 0xF4)
    *hi = 0x8F;
  if (lead >= 0xF0 && lead <= 0xF4)
    return 3;
  return -1;
}

static int invalid_utf8(struct csvx_reader *r, unsigned char byte,
                        uint64_t offset) {
  r->invalid_byte = byte;
  r->invalid_offset = offset;
  r->invalid_line = r->line;
  set_error(r,
            "line %llu, byte offset %llu: 0x%02X is not valid UTF-8 "
            "(params.encoding is \"utf-8\"; a file saved by Excel as plain "
            "CSV is often windows-1252)",
            (unsigned long long)r->line, (unsigned long long)offset, byte);
  return -1;
}

static int decode_utf8(struct csvx_reader *r, unsigned char lead,
                       uint64_t offset) {
  unsigned char lo, hi;
  int need = utf8_shape(lead, &lo, &hi);
  int i, rc;

  if (need < 0)
    return invalid_utf8(r, lead, offset);
  r->pending[0] = lead;
  for (i = 1; i <= need; i++) {
    unsigned char next;
    if ((rc = fill(r)) < 0)
      return -1;
    if (rc == 0)
      return invalid_utf8(r, lead, offset); /* cut off at the end */
    next = r->chunk[r->chunk_pos];
    if (next < lo || next > hi)
      return invalid_utf8(r, lead, offset);
    r->chunk_pos++;
    r->pending[i] = next;
    lo = 0x80;
    hi = 0xBF;
  }
  r->pending_len = (size_t)need + 1;
  return 1;
}

/* Decodes the next character into r->pending: 1, 0 at the end, -1. */
static int decode_char(struct csvx_reader *r) {
  unsigned char byte;
  uint64_t offset;
  int rc;

  if (!r->started && check_start(r) < 0)
    return -1;
  if ((rc = fill(r)) <= 0)
    return rc;
  offset = r->chunk_offset + r->chunk_pos;
  byte = r->chunk[r->chunk_pos++];
  r->pending_pos = 0;
  if (byte == 0) {
    set_error(r,
              "line %llu, byte offset %llu: NUL byte; this is no text file "
              "(a spreadsheet or a UTF-16 export?)",
              (unsigned long long)r->line, (unsigned long long)offset);
    return -1;
  }
  if (byte < 0x80) {
    r->pending[0] = byte;
    r->pending_len = 1;
    return 1;
  }
  if (r->encoding == CSVX_ENC_CP1252) {
    put_code_point(r, byte < 0xA0 ? cp1252_high[byte - 0x80] : byte);
    return 1;
  }
  return decode_utf8(r, byte, offset);
}

/* Next byte of UTF-8 text; *line is the physical line it sits on. */
static int next_byte(struct csvx_reader *r, unsigned char *c, uint64_t *line) {
  if (r->pending_pos == r->pending_len) {
    int rc = decode_char(r);
    if (rc <= 0)
      return rc;
  }
  *c = r->pending[r->pending_pos++];
  *line = r->line;
  if (*c == '\n') {
    if (!r->after_cr)
      r->line++;
    r->after_cr = 0;
  } else if (*c == '\r') {
    r->line++;
    r->after_cr = 1;
  } else {
    r->after_cr = 0;
  }
  return 1;
}

int csvx_reader_open(struct csvx_reader *r, const struct gw_host_api *host,
                     struct gw_payload *payload, struct csvx_mem *mem,
                     const char *name, enum csvx_encoding encoding) {
  memset(r, 0, sizeof *r);
  r->host = host;
  r->payload = payload;
  r->mem = mem;
  r->name = name;
  r->encoding = encoding == CSVX_ENC_CP1252 ? CSVX_ENC_CP1252 : CSVX_ENC_UTF8;
  r->line = 1;
  r->chunk = csvx_alloc(mem, CSVX_CHUNK_BYTES);
  if (!r->chunk) {
    set_error(r, "out of memory");
    return -1;
  }
  return 0;
}

void csvx_reader_close(struct csvx_reader *r) {
  csvx_free(r->mem, r->chunk);
  csvx_free(r->mem, r->record);
  r->chunk = NULL;
  r->record = NULL;
  r->record_cap = 0;
}

int csvx_reader_scan_utf8(struct csvx_reader *r) {
  unsigned char c;
  uint64_t line;
  int rc;

  r->encoding = CSVX_ENC_UTF8;
  while ((rc = next_byte(r, &c, &line)) == 1)
    ;
  if (rc == 0)
    return 1;
  return r->invalid_line ? 0 : -1;
}

static int is_delimiter(const struct csvx_reader *r, unsigned char c) {
  if (r->delimiter)
    return c == (unsigned char)r->delimiter;
  return c == ';' || c == ',' || c == '\t';
}

static int append(struct csvx_reader *r, unsigned char c,
                  enum quote_state state, uint64_t quote_line) {
  if (r->record_len + 1 >= r->record_cap) {
    size_t cap = r->record_cap ? r->record_cap * 2 : 256;
    char *grown;
    if (r->record_len >= CSVX_MAX_RECORD_BYTES) {
      if (state == Q_QUOTED)
        set_error(r,
                  "line %llu: record longer than %u bytes; the quoted field "
                  "opened on line %llu is probably never closed",
                  (unsigned long long)r->record_line, CSVX_MAX_RECORD_BYTES,
                  (unsigned long long)quote_line);
      else
        set_error(r, "line %llu: record longer than %u bytes",
                  (unsigned long long)r->record_line, CSVX_MAX_RECORD_BYTES);
      return -1;
    }
    if (cap > CSVX_MAX_RECORD_BYTES + 1)
      cap = CSVX_MAX_RECORD_BYTES + 1;
    grown = csvx_realloc(r->mem, r->record, cap);
    if (!grown) {
      set_error(r, "out of memory");
      return -1;
    }
    r->record = grown;
    r->record_cap = cap;
  }
  r->record[r->record_len++] = (char)c;
  r->record[r->record_len] = '\0';
  return 0;
}

static enum quote_state advance(const struct csvx_reader *r, enum quote_state s,
                                unsigned char c) {
  switch (s) {
  case Q_START:
    return c == '"' ? Q_QUOTED : is_delimiter(r, c) ? Q_START : Q_UNQUOTED;
  case Q_UNQUOTED:
    return is_delimiter(r, c) ? Q_START : Q_UNQUOTED;
  case Q_QUOTED:
    return c == '"' ? Q_QUOTE_SEEN : Q_QUOTED;
  case Q_QUOTE_SEEN:
    return c == '"' ? Q_QUOTED : is_delimiter(r, c) ? Q_START : Q_UNQUOTED;
  }
  return Q_UNQUOTED;
}

static int finish(struct csvx_reader *r, enum quote_state state,
                  uint64_t quote_line) {
  if (state == Q_QUOTED) {
    set_error(r,
              "line %llu: the quoted field opened on line %llu is not closed "
              "before the end of the file (is the file cut off?)",
              (unsigned long long)r->record_line,
              (unsigned long long)quote_line);
    return -1;
  }
  r->record_last_line = r->line;
  return r->record_len > 0 ? 1 : 0;
}

int csvx_reader_next(struct csvx_reader *r) {
  enum quote_state state = Q_START;
  uint64_t quote_line = 0;
  unsigned char c;
  uint64_t line;
  int rc;

  r->record_len = 0;
  if (r->record)
    r->record[0] = '\0';
  for (;;) {
    rc = next_byte(r, &c, &line);
    if (rc < 0)
      return -1;
    if (rc == 0)
      return finish(r, state, quote_line);
    if ((c == '\n' || c == '\r') && state != Q_QUOTED) {
      if (r->record_len == 0)
        continue; /* a blank line, or the \n of a \r\n */
      r->record_last_line = line;
      return 1;
    }
    if (r->record_len == 0)
      r->record_line = line;
    state = advance(r, state, c);
    if (state == Q_QUOTED && quote_line == 0)
      quote_line = line;
    if (state != Q_QUOTED && state != Q_QUOTE_SEEN)
      quote_line = 0;
    if (append(r, c, state, quote_line) < 0)
      return -1;
  }
}
