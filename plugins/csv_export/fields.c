/*
 * fields.c - splitting one record into fields (RFC 4180 quoting, read
 * leniently: a quote inside an unquoted field is kept as a character, text
 * after a closing quote is appended) and small text helpers.
 *
 * Field values are trimmed of blanks (spaces, tabs, no-break spaces):
 * spreadsheets pad cells, and no code, name or number in these files has
 * meaningful outer blanks.
 */
#include "csv_export.h"

#include <string.h>

enum split_state { S_START, S_UNQUOTED, S_QUOTED, S_QUOTE_SEEN };

static int is_blank_at(const char *s, size_t len, size_t i, size_t *width) {
  if (s[i] == ' ' || s[i] == '\t') {
    *width = 1;
    return 1;
  }
  if (i + 1 < len && (unsigned char)s[i] == 0xC2 &&
      (unsigned char)s[i + 1] == 0xA0) {
    *width = 2;
    return 1;
  }
  return 0;
}

const char *csvx_trim(const char *text, size_t *len) {
  size_t n = strlen(text), w;
  size_t start = 0;

  while (start < n && is_blank_at(text, n, start, &w))
    start += w;
  while (n > start) {
    if (text[n - 1] == ' ' || text[n - 1] == '\t')
      n--;
    else if (n - start >= 2 && (unsigned char)text[n - 2] == 0xC2 &&
             (unsigned char)text[n - 1] == 0xA0)
      n -= 2;
    else
      break;
  }
  *len = n - start;
  return text + start;
}

void csvx_utf8_fix_tail(char *s) {
  size_t n = strlen(s), back = 0, need;
  unsigned char lead;

  while (back < 4 && back < n &&
         ((unsigned char)s[n - 1 - back] & 0xC0) == 0x80)
    back++;
  if (back == n)
    return;
  lead = (unsigned char)s[n - 1 - back];
  if (lead < 0x80)
    return;
  need = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : 1;
  if (back < need)
    s[n - 1 - back] = '\0';
}

void csvx_excerpt(const char *text, size_t max, char *out, size_t size) {
  size_t len = strlen(text), keep = len;

  if (size < 4) {
    if (size)
      out[0] = '\0';
    return;
  }
  if (keep > max)
    keep = max;
  if (keep > size - 4)
    keep = size - 4;
  memcpy(out, text, keep);
  out[keep] = '\0';
  csvx_utf8_fix_tail(out);
  if (keep < len)
    memcpy(out + strlen(out), "...", 4);
}

static char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

int csvx_same_name(const char *a, const char *b) {
  size_t la, lb, i;
  const char *ta = csvx_trim(a, &la);
  const char *tb = csvx_trim(b, &lb);

  if (la != lb)
    return 0;
  for (i = 0; i < la; i++)
    if (ascii_lower(ta[i]) != ascii_lower(tb[i]))
      return 0;
  return 1;
}

const char *csvx_delimiter_name(char delimiter) {
  switch (delimiter) {
  case ';':
    return "';'";
  case ',':
    return "','";
  case '\t':
    return "tab";
  default:
    return "(unknown)";
  }
}

static enum split_state step(enum split_state s, char c, char delimiter) {
  switch (s) {
  case S_START:
    return c == '"' ? S_QUOTED : c == delimiter ? S_START : S_UNQUOTED;
  case S_UNQUOTED:
    return c == delimiter ? S_START : S_UNQUOTED;
  case S_QUOTED:
    return c == '"' ? S_QUOTE_SEEN : S_QUOTED;
  case S_QUOTE_SEEN:
    return c == '"' ? S_QUOTED : c == delimiter ? S_START : S_UNQUOTED;
  }
  return S_UNQUOTED;
}

size_t csvx_count_fields(const char *record, size_t len, char delimiter) {
  enum split_state s = S_START;
  size_t i, count = 1;

  for (i = 0; i < len; i++) {
    enum split_state next = step(s, record[i], delimiter);
    if (next == S_START && record[i] == delimiter && s != S_QUOTED)
      count++;
    s = next;
  }
  return count;
}

static int grow(struct csvx_fields *f, size_t len, struct csvx_mem *mem) {
  size_t need = len + 1; /* each byte yields at most one byte or NUL */

  if (f->text_cap < need) {
    char *text = csvx_realloc(mem, f->text, need);
    if (!text)
      return -1;
    f->text = text;
    f->text_cap = need;
  }
  return 0;
}

static int add_field(struct csvx_fields *f, size_t start, size_t end,
                     struct csvx_mem *mem) {
  size_t len;
  const char *trimmed;

  if (f->count == f->value_cap) {
    size_t cap = f->value_cap ? f->value_cap * 2 : 32;
    const char **grown;
    if (f->count >= CSVX_MAX_FIELDS)
      return -1;
    if (cap > CSVX_MAX_FIELDS)
      cap = CSVX_MAX_FIELDS;
    grown = csvx_realloc(mem, (void *)f->value, cap * sizeof *grown);
    if (!grown)
      return -1;
    f->value = grown;
    f->value_cap = cap;
  }
  f->text[end] = '\0';
  trimmed = csvx_trim(f->text + start, &len);
  ((char *)trimmed)[len] = '\0';
  f->value[f->count++] = trimmed;
  return 0;
}

int csvx_split(const char *record, size_t len, char delimiter,
               struct csvx_fields *f, struct csvx_mem *mem) {
  enum split_state s = S_START;
  size_t i, out = 0, start = 0;

  f->count = 0;
  if (grow(f, len, mem) < 0)
    return -1;
  for (i = 0; i < len; i++) {
    char c = record[i];
    enum split_state next = step(s, c, delimiter);
    if (next == S_START && c == delimiter && s != S_QUOTED) {
      if (add_field(f, start, out, mem) < 0)
        return -1;
      start = ++out; /* past the NUL add_field wrote */
    } else if (!(s == S_START && next == S_QUOTED) &&
               !(s == S_QUOTED && next == S_QUOTE_SEEN)) {
      f->text[out++] = c; /* the opening quote and the first of a pair or
                             the closing one are not content */
    }
    s = next;
  }
  return add_field(f, start, out, mem);
}

void csvx_fields_free(struct csvx_fields *f, struct csvx_mem *mem) {
  csvx_free(mem, f->text);
  csvx_free(mem, (void *)f->value);
  memset(f, 0, sizeof *f);
}
