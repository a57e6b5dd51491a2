/*
 * privacy_json.c - streaming JSON tokenizer for the privacy guard.
 *
 * A byte-at-a-time state machine: payloads may be hundreds of megabytes,
 * so nothing is loaded whole (jansson would build the whole tree). It keeps
 * one frame per open container (bounded depth), the current path
 * ("value[17].Bsn") and the current string (bounded; longer strings are
 * inspected on their first PG_VALUE_MAX bytes). It checks structure only as
 * far as it needs to know where keys and values are; it is not a
 * validator. Several top-level values in a row (JSON lines) are accepted.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "gw_alloc.h"
#include "privacy_internal.h"
#include "text.h"

#define JS_DEPTH_MAX 512

enum js_state {
  JS_VALUE,          /* a value must start */
  JS_VALUE_OR_END,   /* after '[' */
  JS_KEY_OR_END,     /* after '{' */
  JS_KEY,            /* after ',' in an object */
  JS_COLON,          /* after a key */
  JS_COMMA_OR_END,   /* after a value inside a container */
  JS_STRING,         /* inside a string */
  JS_STRING_ESCAPE,  /* after a backslash */
  JS_STRING_UNICODE, /* inside \uXXXX */
  JS_LITERAL         /* number, true, false, null */
};

struct js_frame {
  unsigned char is_array;
  unsigned char person;     /* inside a person object */
  unsigned container_kinds; /* kinds of the member holding this container */
  unsigned member_kinds;    /* kinds of the current member (arrays: the
                               container's) */
  size_t base;              /* path length where children's parts begin */
  uint64_t index;           /* arrays: the current element */
};

struct js_scanner {
  struct pg_scan *scan;
  enum js_state state;
  int string_is_key;
  unsigned unicode_digits;
  unsigned unicode_value;
  struct js_frame frames[JS_DEPTH_MAX];
  size_t depth;
  char path[PG_PATH_BUF];
  char value[PG_VALUE_MAX];
  size_t value_len;
  int value_truncated;
  unsigned long line, column;
};

static int syntax_error(struct js_scanner *js, const char *expected) {
  text_format(js->scan->err, js->scan->err_size,
              "%s: line %lu, column %lu: invalid JSON: expected %s",
              js->scan->file, js->line, js->column, expected);
  return -1;
}

static struct js_frame *top(struct js_scanner *js) {
  return js->depth ? &js->frames[js->depth - 1] : NULL;
}

static void value_reset(struct js_scanner *js) {
  js->value_len = 0;
  js->value_truncated = 0;
}

static void value_push(struct js_scanner *js, char c) {
  if (js->value_len < sizeof js->value)
    js->value[js->value_len++] = c;
  else
    js->value_truncated = 1;
}

/* \uXXXX as UTF-8; surrogates (halves of characters outside the BMP) do
 * not matter for names or digits and become '?'. */
static void value_push_code_point(struct js_scanner *js, unsigned cp) {
  if (cp < 0x80) {
    value_push(js, (char)cp);
  } else if (cp < 0x800) {
    value_push(js, (char)(0xC0 | (cp >> 6)));
    value_push(js, (char)(0x80 | (cp & 0x3F)));
  } else if (cp >= 0xD800 && cp <= 0xDFFF) {
    value_push(js, '?');
  } else {
    value_push(js, (char)(0xE0 | (cp >> 12)));
    value_push(js, (char)(0x80 | ((cp >> 6) & 0x3F)));
    value_push(js, (char)(0x80 | (cp & 0x3F)));
  }
}

static void path_truncate(struct js_scanner *js, size_t len) {
  if (len < sizeof js->path)
    js->path[len] = '\0';
}

/* A value starts: in an array it gets its "[i]" part. */
static void begin_value(struct js_scanner *js) {
  struct js_frame *f = top(js);
  char index[32];
  if (!f) {
    js->path[0] = '\0'; /* a new top-level value (JSON lines) */
    return;
  }
  if (!f->is_array)
    return;
  path_truncate(js, f->base);
  if (text_format(index, sizeof index, "[%llu]",
                  (unsigned long long)f->index) == 0)
    pg_path_append(js->path, sizeof js->path, index);
}

static int open_container(struct js_scanner *js, int is_array) {
  struct js_frame *parent = top(js);
  struct js_frame *f;
  if (js->depth == JS_DEPTH_MAX) {
    text_format(js->scan->err, js->scan->err_size,
                "%s: line %lu, column %lu: JSON nested deeper than %d levels",
                js->scan->file, js->line, js->column, JS_DEPTH_MAX);
    return -1;
  }
  begin_value(js);
  f = &js->frames[js->depth++];
  memset(f, 0, sizeof *f);
  f->is_array = (unsigned char)is_array;
  f->container_kinds = parent ? parent->member_kinds : 0;
  f->person = (unsigned char)(parent && (parent->person ||
                                         (parent->member_kinds & PG_PERSON)));
  f->member_kinds = is_array ? f->container_kinds : 0;
  f->base = strlen(js->path);
  js->state = is_array ? JS_VALUE_OR_END : JS_KEY_OR_END;
  return 0;
}

static void close_container(struct js_scanner *js) {
  js->depth--;
  js->state = js->depth ? JS_COMMA_OR_END : JS_VALUE;
}

/* A key names the member; a key that is itself an identifier under a
 * BSN-named member (a map keyed by BSN) is checked like a value. */
static int end_key(struct js_scanner *js) {
  struct js_frame *f = top(js);
  f->member_kinds = pg_classify(js->value, js->value_len, f->person);
  path_truncate(js, f->base);
  if (f->base > 0)
    pg_path_append(js->path, sizeof js->path, ".");
  pg_path_append_name(js->path, sizeof js->path, js->value, js->value_len);
  js->state = JS_COLON;
  return pg_check(js->scan,
                  f->container_kinds & (PG_BSN_STRONG | PG_BSN_CLIENT),
                  js->value, js->value_len, js->value_truncated, js->path);
}

static int end_scalar(struct js_scanner *js, int check) {
  struct js_frame *f = top(js);
  js->state = js->depth ? JS_COMMA_OR_END : JS_VALUE;
  if (!check || !f)
    return 0;
  return pg_check(js->scan, f->member_kinds, js->value, js->value_len,
                  js->value_truncated, js->path);
}

static int literal_valid(const char *s, size_t n) {
  if ((n == 4 && memcmp(s, "true", 4) == 0) ||
      (n == 5 && memcmp(s, "false", 5) == 0) ||
      (n == 4 && memcmp(s, "null", 4) == 0))
    return 1;
  if (n == 0 || !(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')))
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' ||
          c == 'e' || c == 'E'))
      return 0;
  }
  return 1;
}

/* Numbers are checked (a BSN may be written as a number); true, false
 * and null never hold person data. */
static int end_literal(struct js_scanner *js) {
  int is_number;
  if (!literal_valid(js->value, js->value_len))
    return syntax_error(js, "a value (string, number, true, false, null, "
                            "object or array)");
  is_number =
      js->value[0] == '-' || (js->value[0] >= '0' && js->value[0] <= '9');
  return end_scalar(js, is_number);
}

static int is_ws(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_literal_char(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z') || c == '-' || c == '+' || c == '.';
}

static int start_value(struct js_scanner *js, unsigned char c) {
  if (c == '{')
    return open_container(js, 0);
  if (c == '[')
    return open_container(js, 1);
  begin_value(js);
  value_reset(js);
  if (c == '"') {
    js->string_is_key = 0;
    js->state = JS_STRING;
    return 0;
  }
  if (is_literal_char(c)) {
    value_push(js, (char)c);
    js->state = JS_LITERAL;
    return 0;
  }
  return syntax_error(js, "a value (string, number, true, false, null, "
                          "object or array)");
}

static int string_byte(struct js_scanner *js, unsigned char c) {
  if (c == '"') {
    if (js->string_is_key)
      return end_key(js);
    return end_scalar(js, 1);
  }
  if (c == '\\')
    js->state = JS_STRING_ESCAPE;
  else
    value_push(js, (char)c);
  return 0;
}

static int escape_byte(struct js_scanner *js, unsigned char c) {
  static const char from[] = "\"\\/bfnrt";
  static const char to[] = "\"\\/\b\f\n\r\t";
  const char *hit = c ? strchr(from, c) : NULL;
  js->state = JS_STRING;
  if (c == 'u') {
    js->state = JS_STRING_UNICODE;
    js->unicode_digits = 0;
    js->unicode_value = 0;
    return 0;
  }
  if (!hit)
    return syntax_error(js, "an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t "
                            "\\uXXXX) after a backslash");
  value_push(js, to[hit - from]);
  return 0;
}

static int unicode_byte(struct js_scanner *js, unsigned char c) {
  unsigned digit;
  if (c >= '0' && c <= '9')
    digit = c - '0';
  else if (c >= 'a' && c <= 'f')
    digit = c - 'a' + 10;
  else if (c >= 'A' && c <= 'F')
    digit = c - 'A' + 10;
  else
    return syntax_error(js, "4 hex digits after \\u");
  js->unicode_value = js->unicode_value * 16 + digit;
  if (++js->unicode_digits == 4) {
    value_push_code_point(js, js->unicode_value);
    js->state = JS_STRING;
  }
  return 0;
}

static int structure_byte(struct js_scanner *js, unsigned char c) {
  struct js_frame *f = top(js);
  switch (js->state) {
  case JS_VALUE:
    return start_value(js, c);
  case JS_VALUE_OR_END:
    if (c == ']') {
      close_container(js);
      return 0;
    }
    return start_value(js, c);
  case JS_KEY_OR_END:
  case JS_KEY:
    if (c == '}' && js->state == JS_KEY_OR_END) {
      close_container(js);
      return 0;
    }
    if (c != '"')
      return syntax_error(js, js->state == JS_KEY ? "a key (\"...\")"
                                                  : "a key (\"...\") or '}'");
    value_reset(js);
    js->string_is_key = 1;
    js->state = JS_STRING;
    return 0;
  case JS_COLON:
    if (c != ':')
      return syntax_error(js, "':' after the key");
    js->state = JS_VALUE;
    return 0;
  case JS_COMMA_OR_END:
    if (c == ',') {
      if (f->is_array)
        f->index++;
      js->state = f->is_array ? JS_VALUE : JS_KEY;
      return 0;
    }
    if (c == (f->is_array ? ']' : '}')) {
      close_container(js);
      return 0;
    }
    return syntax_error(js, f->is_array ? "',' or ']'" : "',' or '}'");
  default:
    return syntax_error(js, "valid JSON");
  }
}

static int scan_byte(struct js_scanner *js, unsigned char c) {
  int rc;
  switch (js->state) {
  case JS_STRING:
    return string_byte(js, c);
  case JS_STRING_ESCAPE:
    return escape_byte(js, c);
  case JS_STRING_UNICODE:
    return unicode_byte(js, c);
  case JS_LITERAL:
    if (is_literal_char(c)) {
      value_push(js, (char)c);
      return 0;
    }
    rc = end_literal(js);
    if (rc != 0)
      return rc;
    break; /* c ends the literal and is structure */
  default:
    break;
  }
  if (is_ws(c))
    return 0;
  return structure_byte(js, c);
}

static int finish(struct js_scanner *js) {
  int rc = 0;
  if (js->state == JS_LITERAL && (rc = end_literal(js)) != 0)
    return rc;
  if (js->state == JS_STRING || js->state == JS_STRING_ESCAPE ||
      js->state == JS_STRING_UNICODE)
    return syntax_error(js, "the closing '\"' of a string before the end of "
                            "the file");
  if (js->depth > 0)
    return syntax_error(js, top(js)->is_array
                                ? "']' before the end of the file"
                                : "'}' before the end of the file");
  return 0;
}

static int scan_buffer(struct js_scanner *js, const unsigned char *buf,
                       size_t n, int first) {
  size_t i = 0;
  if (first && n >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF)
    i = 3; /* UTF-8 byte order mark */
  for (; i < n; i++) {
    int rc;
    if (buf[i] == '\n') {
      js->line++;
      js->column = 0;
    } else {
      js->column++;
    }
    rc = scan_byte(js, buf[i]);
    if (rc != 0)
      return rc;
  }
  return 0;
}

int pg_scan_json(struct pg_scan *s, int fd) {
  struct js_scanner *js = gw_calloc(1, sizeof *js);
  unsigned char *buf = gw_malloc(PG_READ_CHUNK);
  int first = 1;
  int rc = -1;
  if (!js || !buf) {
    text_format(s->err, s->err_size, "%s: out of memory scanning JSON",
                s->file);
    goto out;
  }
  js->scan = s;
  js->state = JS_VALUE;
  js->line = 1;
  for (;;) {
    ssize_t n = read(fd, buf, PG_READ_CHUNK);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      text_format(s->err, s->err_size, "%s: read error: %s", s->file,
                  strerror(errno));
      goto out;
    }
    if (n == 0)
      break;
    rc = scan_buffer(js, buf, (size_t)n, first);
    first = 0;
    if (rc != 0)
      goto out;
  }
  rc = finish(js);
out:
  if (js)
    memset(js->value, 0, sizeof js->value); /* no payload left in memory */
  gw_free(js);
  gw_free(buf);
  return rc;
}
