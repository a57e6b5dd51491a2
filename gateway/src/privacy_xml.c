/*
 * privacy_xml.c - XML scanning for the privacy guard with libxml2's
 * streaming xmlTextReader.
 *
 * Safe options only: no network, no entity substitution, no DTD loading,
 * no "huge" mode (libxml2's own depth and size limits stay on). A DOCTYPE
 * is not refused here (the plugins' parsers do that); it is simply not
 * followed, so an entity's text is never seen by the guard either.
 * Paths look like "Bericht/Client[2]/Bsn" and "Bericht/Client/@bsn";
 * "[n]" counts same-named siblings and is written from the second on.
 */
#include <libxml/xmlerror.h>
#include <libxml/xmlreader.h>
#include <stdint.h>
#include <string.h>

#include "gw_alloc.h"
#include "privacy_internal.h"
#include "text.h"

#define XML_DEPTH_MAX 512 /* above libxml2's own limit of 256 */
#define SIBLING_SLOTS 16  /* distinct child names counted per element */
#define XML_MESSAGE_MAX 200
/* NO_XXE (libxml2 >= 2.13) makes the parser itself refuse to load external
 * entities, on top of the deny-all loader main() installs. */
#if LIBXML_VERSION >= 21300
#define XML_OPTIONS                                                            \
  (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NO_XXE)
#else
#define XML_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)
#endif

struct xml_sibling {
  uint64_t hash;
  unsigned long count;
};

/* frames[0] is the document; an element at reader depth d is frames[d+1]. */
struct xml_frame {
  unsigned kinds;       /* what the element's name announces */
  unsigned char person; /* the element is, or is inside, a person */
  size_t end;           /* path length after this element's part */
  size_t sibling_used;  /* its children's names counted so far */
  struct xml_sibling siblings[SIBLING_SLOTS];
};

struct xml_scanner {
  struct pg_scan *scan;
  xmlTextReaderPtr reader;
  struct xml_frame frames[XML_DEPTH_MAX];
  char path[PG_PATH_BUF];
  int error_line;
  char error_message[XML_MESSAGE_MAX];
};

/* libxml2 2.12 made the error argument const. */
#if LIBXML_VERSION >= 21200
typedef const xmlError *xml_error_arg;
#else
typedef xmlErrorPtr xml_error_arg;
#endif

/* libxml2 ends some limit messages with "use XML_PARSE_HUGE option": advice
 * for programmers that an operator must not follow (lifting the limit is
 * what a hostile payload wants), so it is cut off. */
static size_t without_parser_hint(const char *message, size_t n) {
  static const char hint[] = "use XML_PARSE_HUGE option";
  const char *at = strstr(message, hint);
  if (!at || (size_t)(at - message) > n)
    return n;
  n = (size_t)(at - message);
  while (n > 0 && (message[n - 1] == ' ' || message[n - 1] == ','))
    n--;
  return n;
}

/* Keeps the first error; its text is masked like a path, because parser
 * messages may quote names. */
static void on_error(void *arg, xml_error_arg e) {
  struct xml_scanner *x = arg;
  size_t n;
  if (!e || e->level < XML_ERR_ERROR || x->error_line != 0)
    return;
  x->error_line = e->line > 0 ? e->line : -1;
  if (!e->message)
    return;
  n = strlen(e->message);
  while (n > 0 && (e->message[n - 1] == '\n' || e->message[n - 1] == ' '))
    n--;
  n = without_parser_hint(e->message, n);
  x->error_message[0] = '\0';
  pg_path_append_name(x->error_message, sizeof x->error_message, e->message, n);
}

static uint64_t name_hash(const char *s) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 1099511628211ull;
  }
  return h;
}

/* 1-based position among same-named siblings, 0 when not tracked (more
 * than SIBLING_SLOTS distinct names under one parent). */
static unsigned long sibling_position(struct xml_frame *parent,
                                      const char *name) {
  uint64_t h = name_hash(name);
  for (size_t i = 0; i < parent->sibling_used; i++) {
    if (parent->siblings[i].hash == h)
      return ++parent->siblings[i].count;
  }
  if (parent->sibling_used == SIBLING_SLOTS)
    return 0;
  parent->siblings[parent->sibling_used].hash = h;
  parent->siblings[parent->sibling_used].count = 1;
  parent->sibling_used++;
  return 1;
}

static void path_truncate(struct xml_scanner *x, size_t len) {
  if (len < sizeof x->path)
    x->path[len] = '\0';
}

static int check_attributes(struct xml_scanner *x, struct xml_frame *f) {
  int rc = 0;
  while (rc == 0 && xmlTextReaderMoveToNextAttribute(x->reader) == 1) {
    const char *name = (const char *)xmlTextReaderConstLocalName(x->reader);
    const char *value = (const char *)xmlTextReaderConstValue(x->reader);
    size_t len;
    if (xmlTextReaderIsNamespaceDecl(x->reader) == 1 || !name || !value)
      continue;
    path_truncate(x, f->end);
    pg_path_append(x->path, sizeof x->path, "/@");
    pg_path_append_name(x->path, sizeof x->path, name, strlen(name));
    len = strlen(value);
    rc = pg_check(x->scan, pg_classify(name, strlen(name), f->person), value,
                  len > PG_VALUE_MAX ? PG_VALUE_MAX : len, len > PG_VALUE_MAX,
                  x->path);
  }
  (void)xmlTextReaderMoveToElement(x->reader);
  path_truncate(x, f->end);
  return rc;
}

static int start_element(struct xml_scanner *x, int depth) {
  const char *name = (const char *)xmlTextReaderConstLocalName(x->reader);
  struct xml_frame *parent, *f;
  unsigned long position;
  char index[32];
  if (depth < 0 || depth + 1 >= XML_DEPTH_MAX) {
    text_format(x->scan->err, x->scan->err_size,
                "%s: line %d: XML nested deeper than %d levels", x->scan->file,
                xmlTextReaderGetParserLineNumber(x->reader), XML_DEPTH_MAX - 1);
    return -1;
  }
  if (!name)
    name = "";
  parent = &x->frames[depth];
  f = &x->frames[depth + 1];
  position = sibling_position(parent, name);
  path_truncate(x, parent->end);
  if (parent->end > 0)
    pg_path_append(x->path, sizeof x->path, "/");
  pg_path_append_name(x->path, sizeof x->path, name, strlen(name));
  if (position >= 2 && text_format(index, sizeof index, "[%lu]", position) == 0)
    pg_path_append(x->path, sizeof x->path, index);
  memset(f, 0, sizeof *f);
  f->kinds = pg_classify(name, strlen(name), parent->person);
  f->person = (unsigned char)(parent->person || (f->kinds & PG_PERSON));
  f->end = strlen(x->path);
  return check_attributes(x, f);
}

static int check_text(struct xml_scanner *x, int depth) {
  const char *value = (const char *)xmlTextReaderConstValue(x->reader);
  struct xml_frame *f;
  size_t len;
  if (depth < 1 || depth >= XML_DEPTH_MAX || !value)
    return 0; /* text outside the root element is not a field */
  f = &x->frames[depth];
  path_truncate(x, f->end);
  len = strlen(value);
  return pg_check(x->scan, f->kinds, value,
                  len > PG_VALUE_MAX ? PG_VALUE_MAX : len, len > PG_VALUE_MAX,
                  x->path);
}

static int parse_error(struct xml_scanner *x) {
  if (x->error_line > 0)
    text_format(x->scan->err, x->scan->err_size,
                "%s: line %d: not well-formed XML: %s", x->scan->file,
                x->error_line, x->error_message);
  else
    text_format(x->scan->err, x->scan->err_size, "%s: not well-formed XML%s%s",
                x->scan->file, x->error_message[0] ? ": " : "",
                x->error_message);
  return -1;
}

static int walk(struct xml_scanner *x) {
  int rc = 0;
  int more = 0;
  while (rc == 0 && (more = xmlTextReaderRead(x->reader)) == 1) {
    int depth = xmlTextReaderDepth(x->reader);
    switch (xmlTextReaderNodeType(x->reader)) {
    case XML_READER_TYPE_ELEMENT:
      rc = start_element(x, depth);
      break;
    case XML_READER_TYPE_TEXT:
    case XML_READER_TYPE_CDATA:
      rc = check_text(x, depth);
      break;
    default:
      break;
    }
  }
  if (rc != 0)
    return rc;
  return more < 0 || x->error_line != 0 ? parse_error(x) : 0;
}

int pg_scan_xml(struct pg_scan *s, int fd) {
  struct xml_scanner *x = gw_calloc(1, sizeof *x);
  int rc = -1;
  if (!x) {
    text_format(s->err, s->err_size, "%s: out of memory scanning XML", s->file);
    return -1;
  }
  x->scan = s;
  x->reader = xmlReaderForFd(fd, s->file, NULL, XML_OPTIONS);
  if (!x->reader) {
    text_format(s->err, s->err_size, "%s: cannot start the XML reader",
                s->file);
    goto out;
  }
  xmlTextReaderSetStructuredErrorHandler(x->reader, on_error, x);
  rc = walk(x);
out:
  if (x->reader)
    xmlFreeTextReader(x->reader);
  gw_free(x);
  return rc;
}
