/*
 * config_report.c - how config errors are located and worded.
 *
 * Every message is one line "<file>:<line>: <key path>: <what is wrong>"
 * so an editor can jump to it and an operator sees all problems at once
 * instead of fixing them one start-up at a time.
 */
#include "config_internal.h"
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "diag.h"
#include "gw_alloc.h"
#include "json_locate.h"
#include "text.h"

#define MESSAGE_MAX 1024
#define TRUNCATION_RESERVE 48
#define SUGGEST_NAME_MAX 64
#define QUOTE_CHARS_MAX 80

void cfg_path_root(struct cfg_path *p) {
  p->ptr[0] = '\0';
  p->key[0] = '\0';
}

/* Appends name to a JSON pointer with "~" and "/" escaped (RFC 6901). */
static void pointer_append(char *ptr, size_t size, const char *name) {
  size_t n = strlen(ptr);
  if (n + 1 >= size)
    return;
  ptr[n++] = '/';
  for (const char *s = name; *s && n + 1 < size; s++) {
    if (*s == '~' || *s == '/') {
      if (n + 2 >= size)
        break;
      ptr[n++] = '~';
      ptr[n++] = *s == '~' ? '0' : '1';
    } else {
      ptr[n++] = *s;
    }
  }
  ptr[n] = '\0';
}

void cfg_path_child(struct cfg_path *out, const struct cfg_path *parent,
                    const char *name) {
  struct cfg_path p = *parent;
  pointer_append(p.ptr, sizeof p.ptr, name);
  if (p.key[0])
    (void)text_append(p.key, sizeof p.key, ".");
  (void)text_append(p.key, sizeof p.key, name);
  *out = p;
}

void cfg_path_index(struct cfg_path *out, const struct cfg_path *parent,
                    size_t index) {
  struct cfg_path p = *parent;
  char num[32];
  (void)text_format(num, sizeof num, "%zu", index);
  pointer_append(p.ptr, sizeof p.ptr, num);
  (void)text_format(num, sizeof num, "[%zu]", index);
  (void)text_append(p.key, sizeof p.key, num);
  *out = p;
}

void cfg_path_from_key(struct cfg_path *out, const char *key_path) {
  struct cfg_path p;
  char name[CFG_PATH_MAX];
  const char *s = key_path ? key_path : "";
  cfg_path_root(&p);
  while (*s) {
    size_t n = 0;
    while (*s && *s != '.' && *s != '[' && n + 1 < sizeof name)
      name[n++] = *s++;
    name[n] = '\0';
    if (n > 0)
      cfg_path_child(&p, &p, name);
    while (*s == '[') {
      size_t index = 0;
      s++;
      while (*s >= '0' && *s <= '9')
        index = index * 10 + (size_t)(*s++ - '0');
      if (*s == ']')
        s++;
      cfg_path_index(&p, &p, index);
    }
    if (*s == '.')
      s++;
    else if (*s && *s != '[' && n == 0)
      s++; /* malformed: do not loop forever */
  }
  *out = p;
}

void cfg_report_init(struct cfg_report *r, const char *file, const char *text,
                     size_t text_len, char *buf, size_t size, int append) {
  memset(r, 0, sizeof *r);
  r->file = file;
  r->text = text;
  r->text_len = text_len;
  r->buf = buf;
  r->size = size;
  if (buf && size > 0) {
    if (append)
      r->used = strnlen(buf, size - 1);
    buf[r->used] = '\0';
  }
  r->start = r->used;
}

/* "<file>:<line>: <key>: <message>" into line. */
static void compose(const struct cfg_report *r, const struct cfg_path *at,
                    const char *message, char *line, size_t size) {
  const char *file = r->file ? r->file : "<config>";
  int lineno = 0;
  const char *key = at ? at->key : "";
  if (r->text && at)
    lineno = json_locate_line(r->text, r->text_len, at->ptr);
  if (lineno > 0 && key[0])
    (void)text_format(line, size, "%s:%d: %s: %s", file, lineno, key, message);
  else if (lineno > 0)
    (void)text_format(line, size, "%s:%d: %s", file, lineno, message);
  else if (key[0])
    (void)text_format(line, size, "%s: %s: %s", file, key, message);
  else
    (void)text_format(line, size, "%s: %s", file, message);
}

static void add_line(struct cfg_report *r, const char *line) {
  size_t need = strlen(line) + (r->used > 0 ? 1 : 0);
  r->count++;
  if (!r->buf || r->size == 0)
    return;
  if (r->truncated || r->used + need + TRUNCATION_RESERVE >= r->size) {
    r->truncated++;
    return;
  }
  if (r->used > 0)
    r->buf[r->used++] = '\n';
  memcpy(r->buf + r->used, line, strlen(line) + 1);
  r->used += strlen(line);
}

void cfg_error(struct cfg_report *r, const struct cfg_path *at, const char *fmt,
               ...) {
  char message[MESSAGE_MAX];
  char line[MESSAGE_MAX + CFG_PATH_MAX + 64];
  va_list ap;
  va_start(ap, fmt);
  /* A cut message is still more useful than none. */
  (void)vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  compose(r, at, message, line, sizeof line);
  add_line(r, line);
}

void cfg_warn(const struct cfg_report *r, const struct cfg_path *at,
              const char *fmt, ...) {
  char message[MESSAGE_MAX];
  char line[MESSAGE_MAX + CFG_PATH_MAX + 64];
  va_list ap;
  va_start(ap, fmt);
  (void)vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  compose(r, at, message, line, sizeof line);
  diag(GW_LOG_WARN, "%s", line);
}

void cfg_out_of_memory(struct cfg_report *r) {
  if (!r->oom)
    add_line(r, "out of memory while loading the configuration");
  r->oom = 1;
}

struct report_line {
  const char *text;
  size_t len;
  long line; /* LONG_MAX when the message has no line */
  size_t order;
};

static int by_line(const void *a, const void *b) {
  const struct report_line *x = a, *y = b;
  if (x->line != y->line)
    return x->line < y->line ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

/* The number after "<file>:" in a composed line. */
static long line_number(const struct cfg_report *r, const char *text) {
  const char *file = r->file ? r->file : "<config>";
  size_t flen = strlen(file);
  long n = 0;
  const char *p;
  if (strncmp(text, file, flen) != 0 || text[flen] != ':')
    return LONG_MAX;
  p = text + flen + 1;
  if (*p < '0' || *p > '9')
    return LONG_MAX;
  while (*p >= '0' && *p <= '9' && n < LONG_MAX / 10)
    n = n * 10 + (*p++ - '0');
  return n;
}

/* Best effort: when memory is short the lines stay in discovery order. */
static void sort_lines(struct cfg_report *r) {
  char *seg = r->buf + r->start + (r->start > 0 ? 1 : 0);
  size_t seg_len, count = 1, i = 0, out = 0;
  struct report_line *lines = NULL;
  char *copy = NULL;
  if (r->used <= r->start + 1)
    return;
  seg_len = (size_t)(r->buf + r->used - seg);
  for (size_t k = 0; k < seg_len; k++)
    count += seg[k] == '\n';
  lines = gw_calloc(count, sizeof *lines);
  copy = gw_malloc(seg_len + 1);
  if (!lines || !copy)
    goto out;
  memcpy(copy, seg, seg_len + 1);
  for (char *p = copy; i < count; i++) {
    char *nl = strchr(p, '\n');
    lines[i].text = p;
    lines[i].len = nl ? (size_t)(nl - p) : strlen(p);
    lines[i].order = i;
    if (nl)
      *nl = '\0';
    lines[i].line = line_number(r, p);
    p = nl ? nl + 1 : p + lines[i].len;
  }
  qsort(lines, count, sizeof *lines, by_line);
  for (i = 0; i < count; i++) {
    if (i > 0)
      seg[out++] = '\n';
    memcpy(seg + out, lines[i].text, lines[i].len);
    out += lines[i].len;
  }
  seg[out] = '\0';
out:
  gw_free(lines);
  gw_free(copy);
}

void cfg_report_finish(struct cfg_report *r) {
  char note[TRUNCATION_RESERVE];
  if (!r->buf || r->size == 0)
    return;
  sort_lines(r);
  if (!r->truncated)
    return;
  if (text_format(note, sizeof note, "%s(%d more errors not shown)",
                  r->used > 0 ? "\n" : "", r->truncated) == 0 &&
      r->used + strlen(note) < r->size) {
    memcpy(r->buf + r->used, note, strlen(note) + 1);
    r->used += strlen(note);
  }
}

const char *cfg_type_name(const json_t *value) {
  switch (json_typeof(value)) {
  case JSON_OBJECT:
    return "an object";
  case JSON_ARRAY:
    return "an array";
  case JSON_STRING:
    return "a string";
  case JSON_INTEGER:
    return "an integer";
  case JSON_REAL:
    return "a decimal number";
  case JSON_TRUE:
  case JSON_FALSE:
    return "a boolean";
  case JSON_NULL:
    return "null";
  }
  return "an unknown value";
}

void cfg_quote(char *out, size_t size, const char *s) {
  size_t n = 0;
  size_t chars = 0;
  if (size < 8) {
    if (size > 0)
      out[0] = '\0';
    return;
  }
  out[n++] = '"';
  for (; s && *s && n + 6 < size; s++, chars++) {
    unsigned char c = (unsigned char)*s;
    if (chars >= QUOTE_CHARS_MAX) {
      out[n++] = '.';
      out[n++] = '.';
      out[n++] = '.';
      break;
    }
    if (c == '"' || c == '\\') {
      out[n++] = '\\';
      out[n++] = (char)c;
    } else if (c < 0x20 || c == 0x7F) {
      static const char hex[] = "0123456789abcdef";
      out[n++] = '\\';
      out[n++] = 'x';
      out[n++] = hex[c >> 4];
      out[n++] = hex[c & 0xF];
    } else {
      out[n++] = (char)c;
    }
  }
  out[n++] = '"';
  out[n] = '\0';
}

static size_t edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  size_t row[SUGGEST_NAME_MAX + 1];
  if (la > SUGGEST_NAME_MAX || lb > SUGGEST_NAME_MAX)
    return (size_t)-1;
  for (size_t j = 0; j <= lb; j++)
    row[j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t above = row[j];
      size_t cost =
          tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1])
              ? 0
              : 1;
      size_t best = diagonal + cost;
      if (above + 1 < best)
        best = above + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      row[j] = best;
      diagonal = above;
    }
  }
  return row[lb];
}

const char *cfg_suggest(const char *name, const char *const *candidates,
                        size_t count) {
  size_t len = strlen(name);
  size_t limit = len <= 3 ? 1 : len <= 8 ? 2 : 3;
  const char *best = NULL;
  size_t best_distance = (size_t)-1;
  for (size_t i = 0; i < count; i++) {
    size_t d = edit_distance(name, candidates[i]);
    if (d <= limit && d < best_distance) {
      best = candidates[i];
      best_distance = d;
    }
  }
  return best;
}

static int is_allowed(const char *key, const char *const *allowed,
                      size_t *count) {
  int found = 0;
  size_t n = 0;
  for (; allowed[n]; n++)
    if (strcmp(allowed[n], key) == 0)
      found = 1;
  *count = n;
  return found;
}

int cfg_check_keys(struct cfg_report *r, const json_t *obj,
                   const struct cfg_path *at, const char *const *allowed) {
  const char *key;
  json_t *value;
  int unknown = 0;
  json_object_foreach((json_t *)obj, key, value) {
    struct cfg_path child;
    char quoted[2 * QUOTE_CHARS_MAX];
    size_t count;
    const char *suggestion;
    if (is_allowed(key, allowed, &count))
      continue;
    unknown++;
    cfg_path_child(&child, at, key);
    cfg_quote(quoted, sizeof quoted, key);
    suggestion = cfg_suggest(key, allowed, count);
    if (suggestion) {
      cfg_error(r, &child, "unknown key %s; did you mean \"%s\"?", quoted,
                suggestion);
    } else {
      char list[512] = "";
      for (size_t i = 0; i < count; i++) {
        if (i > 0)
          (void)text_append(list, sizeof list, ", ");
        (void)text_append(list, sizeof list, allowed[i]);
      }
      cfg_error(r, &child, "unknown key %s (expected one of: %s)", quoted,
                count > 0 ? list : "no keys here");
    }
  }
  return unknown;
}

char *cfg_resolve_path(const char *dir, const char *path) {
  char *out;
  size_t dir_len, path_len;
  if (!path)
    return NULL;
  if (path[0] == '/' || !dir || !dir[0])
    return gw_strdup(path);
  while (path[0] == '.' && path[1] == '/')
    path += 2;
  dir_len = strlen(dir);
  while (dir_len > 1 && dir[dir_len - 1] == '/')
    dir_len--;
  path_len = strlen(path);
  out = gw_malloc(dir_len + 1 + path_len + 1);
  if (!out)
    return NULL;
  memcpy(out, dir, dir_len);
  out[dir_len] = '/';
  memcpy(out + dir_len + 1, path, path_len + 1);
  return out;
}
