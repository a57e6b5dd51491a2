/*
 * audit_text.c - the text lines of `gateway audit show` (see audit_text.h).
 *
 * The detail column is described by a table per event: which members, in
 * which order, with which label. Absent and null members are left out, so
 * a record written by an older or newer gateway still prints.
 */
#include "audit_text.h"
#include "xlog_field.h"

#include <string.h>

enum {
  K_TIME,
  K_SEQ,
  K_EVENT,
  K_SOURCE,
  K_OUTCOME,
  K_NAME,
  K_ERROR,
  K_URL,
  K_HTTP,
  K_TLS,
  K_BYTES,
  K_PAGES,
  K_EMITTED,
  K_REJECTED,
  K_INSERTED,
  K_REVISED,
  K_UNCHANGED,
  K_FEED,
  K_FORMAT,
  K_DEST,
  K_COUNT,
  K_PLUGIN,
  K_VERSION,
  K_PATH,
  K_SIZE,
  K_FILES,
  K_MOVED_TO,
  K_WOULD_INSERT,
  K_WOULD_REVISE,
  K_KEYS
};

static const char *const keys[] = {
    "time",    "seq",       "event",        "source",      "outcome",
    "name",    "error",     "url",          "http_status", "tls_version",
    "bytes",   "pages",     "emitted",      "rejected",    "inserted",
    "revised", "unchanged", "feed",         "format",      "destination",
    "count",   "plugin",    "version",      "path",        "size",
    "files",   "moved_to",  "would_insert", "would_revise"};
_Static_assert(sizeof keys / sizeof keys[0] == K_KEYS,
               "one member name per K_ constant");

struct detail_item {
  int key;
  const char *label; /* printed before the value ("" for none) */
};

struct event_detail {
  const char *event;
  struct detail_item items[6];
  size_t count;
};

static const struct event_detail details[] = {
    {"fetch", {{K_HTTP, ""}, {K_TLS, ""}, {K_BYTES, "bytes="}, {K_URL, ""}}, 4},
    {"parse",
     {{K_PAGES, "pages="}, {K_EMITTED, "emitted="}, {K_REJECTED, "rejected="}},
     3},
    {"store",
     {{K_INSERTED, "inserted="},
      {K_REVISED, "revised="},
      {K_UNCHANGED, "unchanged="}},
     3},
    {"export",
     {{K_FEED, "feed="},
      {K_FORMAT, "format="},
      {K_COUNT, "count="},
      {K_DEST, "-> "}},
     4},
    {"plugin_load", {{K_PLUGIN, ""}, {K_VERSION, ""}, {K_PATH, ""}}, 3},
    {"checkpoint", {{K_SIZE, "size="}}, 1},
    {"torn_tail", {{K_BYTES, "bytes="}, {K_MOVED_TO, "moved to "}}, 2},
    {"prune", {{K_FILES, "files="}, {K_BYTES, "bytes="}}, 2},
    {"replay",
     {{K_WOULD_INSERT, "would_insert="},
      {K_WOULD_REVISE, "would_revise="},
      {K_UNCHANGED, "unchanged="}},
     3},
};

#define COL_TIME 24
#define COL_SEQ 8
#define COL_EVENT 12
#define COL_SOURCE 20
#define COL_OUTCOME 10

struct line {
  char *p;
  size_t size, len;
  int cut;
};

/* Appends n bytes, keeping room for "...\n" and the NUL. */
static void put(struct line *l, const char *s, size_t n) {
  size_t room = l->size - l->len;
  if (room <= 5 || n > room - 5) {
    l->cut = 1;
    n = room <= 5 ? 0 : room - 5;
  }
  memcpy(l->p + l->len, s, n);
  l->len += n;
  l->p[l->len] = '\0';
}

static void put_str(struct line *l, const char *s) {
  put(l, s, strlen(s));
}

static void pad_to(struct line *l, size_t start, size_t width) {
  while (l->len - start < width && !l->cut)
    put(l, " ", 1);
}

/* Control characters (C0, DEL, and the C1 range's UTF-8 form) become
 * spaces; other UTF-8 passes through. */
static void sanitise(char *s) {
  unsigned char *p = (unsigned char *)s;
  for (; *p; p++) {
    if (*p < 0x20 || *p == 0x7F)
      *p = ' ';
    else if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) {
      p[0] = ' ';
      p[1] = ' ';
      p++;
    }
  }
}

/* The value as text: strings decoded and made safe, numbers and literals
 * as written. "" when absent or null. */
static void value_text(struct gw_xlog_span v, char *out, size_t size) {
  out[0] = '\0';
  if (!v.p || xlog_span_is_null(v))
    return;
  if (xlog_span_is_string(v)) {
    if (xlog_span_string(v, out, size) == 1 && size > 4) {
      size_t n = strlen(out);
      if (n > size - 4)
        n = size - 4;
      memcpy(out + n, "...", 4);
    }
    sanitise(out);
    return;
  }
  if (v.len >= size)
    return; /* an object or array in a scalar column: leave it out */
  memcpy(out, v.p, v.len);
  out[v.len] = '\0';
  sanitise(out);
}

static void put_column(struct line *l, struct gw_xlog_span v, size_t width,
                       int right) {
  char text[AUDIT_TEXT_DETAIL_MAX];
  size_t start = l->len, n;
  value_text(v, text, sizeof text);
  if (!text[0])
    memcpy(text, "-", 2);
  n = strlen(text);
  if (right)
    while (n < width && l->len - start < width - n && !l->cut)
      put(l, " ", 1);
  put_str(l, text);
  pad_to(l, start, width);
  put(l, " ", 1);
}

static void put_detail(struct line *l, const struct gw_xlog_span *v) {
  char text[AUDIT_TEXT_DETAIL_MAX];
  const struct event_detail *d = NULL;
  size_t i;
  int first = 1;
  for (i = 0; i < sizeof details / sizeof details[0]; i++)
    if (xlog_span_equals(v[K_EVENT], details[i].event))
      d = &details[i];
  if (d) {
    for (i = 0; i < d->count; i++) {
      value_text(v[d->items[i].key], text, sizeof text);
      if (!text[0])
        continue;
      if (!first)
        put(l, " ", 1);
      put_str(l, d->items[i].label);
      put_str(l, text);
      first = 0;
    }
  } else {
    value_text(v[K_NAME], text, sizeof text);
    if (text[0]) {
      put_str(l, text);
      first = 0;
    }
  }
  value_text(v[K_ERROR], text, sizeof text);
  if (text[0]) {
    put_str(l, first ? "error: " : "  error: ");
    put_str(l, text);
  }
}

const char *audit_text_header(void) {
  return "TIME                     SEQ      EVENT        SOURCE               "
         "OUTCOME    DETAIL\n";
}

int audit_text_record(const char *text, size_t len, char *out,
                      size_t out_size) {
  struct gw_xlog_span v[K_KEYS];
  struct line l = {out, out_size, 0, 0};
  if (!out || out_size < 16)
    return -1;
  out[0] = '\0';
  if (xlog_fields(text, len, keys, K_KEYS, v) != 0)
    return -1;
  put_column(&l, v[K_TIME], COL_TIME, 0);
  put_column(&l, v[K_SEQ], COL_SEQ, 1);
  put_column(&l, v[K_EVENT], COL_EVENT, 0);
  put_column(&l, v[K_SOURCE], COL_SOURCE, 0);
  put_column(&l, v[K_OUTCOME], COL_OUTCOME, 0);
  put_detail(&l, v);
  while (!l.cut && l.len > 0 && l.p[l.len - 1] == ' ')
    l.p[--l.len] = '\0';
  if (l.cut) { /* put() kept room for the mark */
    memcpy(l.p + l.len, "...", 3);
    l.len += 3;
  }
  l.p[l.len++] = '\n';
  l.p[l.len] = '\0';
  return 0;
}
