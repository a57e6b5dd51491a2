/*
 * xml_report.c - XML provider reports, streamed twice through libxml2's
 * xmlTextReader.
 *
 * Pass 1 validates while streaming (the compiled XSD is attached to the
 * reader) and applies the rules of rules.c to each figure as it passes; it
 * collects every violation with its line and keeps nothing else. Only when
 * pass 1 found nothing does pass 2 read the payload again and emit. So a
 * report is stored whole or not at all, and memory does not grow with the
 * number of figures.
 *
 * Parser options: NONET; never NOENT, DTDLOAD, DTDATTR, DTDVALID, XINCLUDE
 * or HUGE; NO_XXE where libxml2 has it (2.13+). The byte guard of
 * xml_guard.c refuses a DOCTYPE before the parser sees it; a DOCTYPE or
 * entity node reaching the reader anyway is refused here too.
 */
#include "provider_report.h"

#include <libxml/parser.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlschemas.h>
#include <libxml/xmlversion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if LIBXML_VERSION >= 21200
typedef const xmlError pr_xml_error;
#else
typedef xmlError pr_xml_error;
#endif

enum pr_field {
  FIELD_NONE = 0,
  FIELD_MUNICIPALITY,
  FIELD_REPORTING_PERIOD,
  FIELD_DELIVERED,
  FIELD_INDICATOR,
  FIELD_AREA,
  FIELD_PERIOD,
  FIELD_VALUE,
  FIELD_STATUS,
  FIELD_UNIT,
  FIELD_IGNORED /* text we check by schema only (name, contact, comment) */
};

struct xml_pass {
  struct pr_ctx *ctx;
  struct gw_run *run;
  struct gw_payload *payload;
  struct pr_violations *violations;
  int emitting;
  int diagnosing; /* only collecting the parser's own errors */
  size_t parser_errors;
  gw_result emit_rc;
  struct pr_xml_input input;
  struct pr_check check;
  struct pr_header header;
  struct pr_figure figure;
  uint64_t figures;
  int in_figure;
  int header_checked;
  enum pr_field field;
  char text[512];
  size_t text_len;
  int text_overflow;
  int value_too_long; /* of the current figure */
};

static int reader_options(void) {
  int options = XML_PARSE_NONET | XML_PARSE_IGNORE_ENC;
#if LIBXML_VERSION >= 21300
  options |= XML_PARSE_NO_XXE;
#endif
  return options;
}

/* ---- the schema ---------------------------------------------------------- */

struct schema_source {
  const struct gw_host_api *host;
  const char *path;
};

static void on_schema_error(void *arg, pr_xml_error *err) {
  const struct schema_source *source = arg;

  if (err && err->level >= XML_ERR_ERROR)
    source->host->log(NULL, GW_LOG_ERROR,
                      "provider_report: schema %s line %d: %s", source->path,
                      err->line, err->message ? err->message : "error");
}

/* The schema is a trusted local file named by the configuration, read
 * here and compiled from memory: the gateway denies libxml2 every external
 * resource (a process-wide loader), and the XSD has no imports. */
static char *read_schema_file(const char *path, size_t *len) {
  enum { SCHEMA_MAX = 1 << 20 };
  FILE *file = fopen(path, "rb");
  char *text = NULL;
  size_t got;

  if (!file)
    return NULL;
  text = malloc(SCHEMA_MAX + 1);
  if (text) {
    got = fread(text, 1, SCHEMA_MAX + 1, file);
    if (ferror(file) || got > SCHEMA_MAX || got == 0) {
      free(text);
      text = NULL;
    } else {
      text[got] = '\0';
      *len = got;
    }
  }
  fclose(file);
  return text;
}

void *pr_xml_schema_load(const struct gw_host_api *host, const char *path) {
  struct schema_source source = {host, path};
  xmlSchemaParserCtxtPtr parser = NULL;
  xmlSchemaPtr schema = NULL;
  size_t len = 0;
  char *text;

  xmlInitParser();
  text = read_schema_file(path, &len);
  if (!text)
    goto out;
  parser = xmlSchemaNewMemParserCtxt(text, (int)len);
  if (!parser)
    goto out;
  xmlSchemaSetParserStructuredErrors(parser, on_schema_error, &source);
  schema = xmlSchemaParse(parser);
out:
  if (parser)
    xmlSchemaFreeParserCtxt(parser);
  free(text);
  if (!schema)
    host->log(NULL, GW_LOG_ERROR,
              "provider_report: cannot compile the report schema %s; "
              "expected a readable provider-report.xsd in params.schema_dir",
              path);
  return schema;
}

void pr_xml_schema_free(void *schema) {
  if (schema)
    xmlSchemaFree(schema);
}

/* ---- errors from the parser and the validator -----------------------------
 */

/* "Element '{urn:nl:gateway:provider-report:1}unit': ..." reads better
 * without the namespace, which every element of a report has. */
static void strip_namespace(char *text) {
  static const char ns[] = "{" PR_NAMESPACE "}";
  char *hit;

  while ((hit = strstr(text, ns)) != NULL)
    memmove(hit, hit + sizeof ns - 1, strlen(hit + sizeof ns - 1) + 1);
}

static void on_xml_error(void *arg, pr_xml_error *err) {
  struct xml_pass *p = arg;
  char message[768];
  size_t n;

  if (!err || p->input.refused)
    return; /* the guard's own reason says it better than "I/O error" */
  snprintf(message, sizeof message, "%s",
           err->message ? err->message : "invalid XML");
  n = strlen(message);
  while (n > 0 && (message[n - 1] == '\n' || message[n - 1] == ' '))
    message[--n] = '\0';
  strip_namespace(message);
  if (err->level == XML_ERR_WARNING) {
    p->ctx->host->log(p->run, GW_LOG_WARN, "%s line %d: %s",
                      p->ctx->host->payload_url(p->payload), err->line,
                      message);
    return;
  }
  if (err->domain != XML_FROM_SCHEMASV)
    p->parser_errors++;
  else if (p->diagnosing)
    return; /* pass 1 has listed these already */
  pr_violation_add(p->violations, err->line > 0 ? (unsigned long)err->line : 0,
                   "%s", message);
}

/* ---- collecting fields ------------------------------------------------------
 */

static unsigned long node_line(xmlTextReaderPtr reader) {
  xmlNodePtr node = xmlTextReaderCurrentNode(reader);
  long line = node ? xmlGetLineNo(node) : -1;

  if (line <= 0)
    line = xmlTextReaderGetParserLineNumber(reader);
  return line > 0 ? (unsigned long)line : 0;
}

static enum pr_field field_for(const struct xml_pass *p, const char *name) {
  static const struct {
    const char *name;
    int in_figure;
    enum pr_field field;
  } fields[] = {
      {"municipality", 0, FIELD_MUNICIPALITY},
      {"reportingPeriod", 0, FIELD_REPORTING_PERIOD},
      {"delivered", 0, FIELD_DELIVERED},
      {"indicator", 1, FIELD_INDICATOR},
      {"area", 1, FIELD_AREA},
      {"period", 1, FIELD_PERIOD},
      {"value", 1, FIELD_VALUE},
      {"status", 1, FIELD_STATUS},
      {"unit", 1, FIELD_UNIT},
  };
  size_t i;

  for (i = 0; i < sizeof fields / sizeof fields[0]; i++)
    if (fields[i].in_figure == p->in_figure &&
        strcmp(fields[i].name, name) == 0)
      return fields[i].field;
  return FIELD_IGNORED;
}

static void append_text(struct xml_pass *p, const char *text) {
  size_t n = strlen(text);

  if (p->text_len + n >= sizeof p->text) {
    p->text_overflow = 1;
    n = sizeof p->text - 1 - p->text_len;
  }
  memcpy(p->text + p->text_len, text, n);
  p->text_len += n;
  p->text[p->text_len] = '\0';
}

/* The codes are xs:token in the XSD: surrounding white space is not part
 * of the value. */
static const char *trimmed(char *text) {
  size_t n = strlen(text);

  while (n > 0 && strchr(" \t\r\n", text[n - 1]))
    text[--n] = '\0';
  while (*text && strchr(" \t\r\n", *text))
    text++;
  return text;
}

/* A value too long for its field is left empty rather than cut short: the
 * schema reports it, and a truncated code must not pass a rule check. */
static void copy_text(char *dst, size_t size, const char *src) {
  size_t n = strlen(src);

  if (n >= size)
    n = 0;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

static void finish_field(struct xml_pass *p) {
  const char *text = trimmed(p->text);
  struct pr_figure *f = &p->figure;

  switch (p->field) {
  case FIELD_MUNICIPALITY:
    copy_text(p->header.municipality, sizeof p->header.municipality, text);
    break;
  case FIELD_REPORTING_PERIOD:
    copy_text(p->header.reporting_period, sizeof p->header.reporting_period,
              text);
    break;
  case FIELD_DELIVERED:
    copy_text(p->header.delivered, sizeof p->header.delivered, text);
    break;
  case FIELD_INDICATOR:
    copy_text(f->indicator, sizeof f->indicator, text);
    break;
  case FIELD_AREA:
    copy_text(f->area, sizeof f->area, text);
    break;
  case FIELD_PERIOD:
    copy_text(f->period, sizeof f->period, text);
    break;
  case FIELD_VALUE:
    p->value_too_long =
        p->text_overflow || strlen(text) >= sizeof f->value_text;
    copy_text(f->value_text, sizeof f->value_text, text);
    f->has_value = 1;
    break;
  case FIELD_STATUS:
    copy_text(f->status, sizeof f->status, text);
    f->has_value = 0;
    break;
  case FIELD_UNIT:
    copy_text(f->unit, sizeof f->unit, text);
    break;
  case FIELD_NONE:
  case FIELD_IGNORED:
    break;
  }
  p->field = FIELD_NONE;
  p->text_len = 0;
  p->text[0] = '\0';
}

static void check_header_once(struct xml_pass *p, unsigned long line) {
  if (p->header_checked || p->emitting)
    return;
  p->header_checked = 1;
  pr_check_header(&p->check, &p->header, line, "");
}

static void read_breakdown(struct xml_pass *p, xmlTextReaderPtr reader) {
  struct pr_figure *f = &p->figure;
  xmlChar *dimension = xmlTextReaderGetAttribute(reader, BAD_CAST "dimension");
  xmlChar *member = xmlTextReaderGetAttribute(reader, BAD_CAST "member");

  if (f->breakdown_count < PR_MAX_BREAKDOWN) {
    copy_text(f->dimension[f->breakdown_count], sizeof f->dimension[0],
              dimension ? (const char *)dimension : "");
    copy_text(f->member[f->breakdown_count], sizeof f->member[0],
              member ? (const char *)member : "");
    f->breakdown_count++;
  }
  xmlFree(dimension);
  xmlFree(member);
}

/* Pass 2 only sees reports pass 1 accepted, so a value that does not parse
 * here means the two passes disagree: stop rather than guess. */
static int parse_value(struct pr_figure *f) {
  char *end = NULL;

  if (!f->value_text[0])
    return -1;
  f->value = strtod(f->value_text, &end);
  return end && *end == '\0' ? 0 : -1;
}

static int finish_figure(struct xml_pass *p) {
  struct pr_figure *f = &p->figure;

  p->in_figure = 0;
  if (!p->emitting) {
    pr_check_figure(&p->check, f);
    if (p->value_too_long)
      pr_violation_add(p->violations, f->line,
                       "figure %llu: value: more than %zu characters; write "
                       "the number with fewer digits",
                       (unsigned long long)f->number, sizeof f->value_text - 1);
    return 0;
  }
  if (f->has_value && parse_value(f) != 0) {
    p->ctx->host->log(p->run, GW_LOG_ERROR,
                      "%s line %lu: value \"%s\" of figure %llu is not a "
                      "decimal number although the report passed validation",
                      p->ctx->host->payload_url(p->payload), f->line,
                      f->value_text, (unsigned long long)f->number);
    p->emit_rc = GW_FAIL;
    return -1;
  }
  p->emit_rc = pr_emit_figure(p->ctx, p->run, p->payload, f);
  return p->emit_rc == GW_OK ? 0 : -1;
}

static void start_figure(struct xml_pass *p, unsigned long line) {
  memset(&p->figure, 0, sizeof p->figure);
  p->figure.number = ++p->figures;
  p->figure.line = line;
  snprintf(p->figure.where, sizeof p->figure.where, "line %lu", line);
  p->in_figure = 1;
  p->value_too_long = 0;
}

static int on_start(struct xml_pass *p, xmlTextReaderPtr reader) {
  const char *ns = (const char *)xmlTextReaderConstNamespaceUri(reader);
  const char *name = (const char *)xmlTextReaderConstLocalName(reader);
  int empty = xmlTextReaderIsEmptyElement(reader) == 1;

  if (!ns || !name || strcmp(ns, PR_NAMESPACE) != 0)
    return 0; /* the schema names foreign elements */
  if (p->field != FIELD_NONE)
    finish_field(p); /* markup inside a simple value: the schema says so */
  if (strcmp(name, "figures") == 0) {
    check_header_once(p, node_line(reader));
    return 0;
  }
  if (strcmp(name, "figure") == 0) {
    start_figure(p, node_line(reader));
    return empty ? finish_figure(p) : 0;
  }
  if (strcmp(name, "breakdown") == 0) {
    if (p->in_figure)
      read_breakdown(p, reader);
    return 0;
  }
  if (strcmp(name, "providerReport") == 0 || strcmp(name, "provider") == 0)
    return 0;
  p->field = field_for(p, name);
  p->text_len = 0;
  p->text[0] = '\0';
  p->text_overflow = 0;
  if (empty)
    finish_field(p);
  return 0;
}

static int on_end(struct xml_pass *p, xmlTextReaderPtr reader) {
  const char *ns = (const char *)xmlTextReaderConstNamespaceUri(reader);
  const char *name = (const char *)xmlTextReaderConstLocalName(reader);

  if (!ns || !name || strcmp(ns, PR_NAMESPACE) != 0)
    return 0;
  if (p->field != FIELD_NONE) {
    finish_field(p);
    return 0;
  }
  if (strcmp(name, "figure") == 0 && p->in_figure)
    return finish_figure(p);
  return 0;
}

/* A DOCTYPE node carries no line of its own; the parser's line would be
 * wherever it has read ahead to, so none is given rather than a wrong one. */
static int refuse_node(struct xml_pass *p, xmlTextReaderPtr reader,
                       const char *what) {
  xmlNodePtr node = xmlTextReaderCurrentNode(reader);
  long line = node ? xmlGetLineNo(node) : -1;

  pr_violation_add(p->violations, line > 0 ? (unsigned long)line : 0,
                   "the report contains %s; provider reports must not have a "
                   "DTD, entities or a DOCTYPE (refused for safety)",
                   what);
  return -1;
}

static int on_node(struct xml_pass *p, xmlTextReaderPtr reader) {
  const char *text;

  switch (xmlTextReaderNodeType(reader)) {
  case XML_READER_TYPE_DOCUMENT_TYPE:
    return refuse_node(p, reader, "a DOCTYPE");
  case XML_READER_TYPE_ENTITY_REFERENCE:
  case XML_READER_TYPE_ENTITY:
    return refuse_node(p, reader, "an entity reference");
  case XML_READER_TYPE_NOTATION:
    return refuse_node(p, reader, "a notation declaration");
  case XML_READER_TYPE_ELEMENT:
    return on_start(p, reader);
  case XML_READER_TYPE_END_ELEMENT:
    return on_end(p, reader);
  case XML_READER_TYPE_TEXT:
  case XML_READER_TYPE_CDATA:
  case XML_READER_TYPE_WHITESPACE:
  case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
    if (p->field != FIELD_NONE && p->field != FIELD_IGNORED) {
      text = (const char *)xmlTextReaderConstValue(reader);
      if (text)
        append_text(p, text);
    }
    return 0;
  default:
    return 0;
  }
}

/* ---- one pass ---------------------------------------------------------------
 */

/* With a schema attached, libxml2 2.9 drops the parser's own errors (the
 * schema's SAX plug does not relay them), so a report that is not even
 * well-formed would be refused without saying where. Read it once more
 * without the schema, only to hear the parser's message and line. */
static void diagnose_parse_error(struct xml_pass *p) {
  const struct gw_host_api *host = p->ctx->host;
  xmlTextReaderPtr reader;

  if (host->payload_rewind(p->payload) != 0)
    return;
  p->diagnosing = 1;
  pr_xml_input_init(&p->input, host, p->payload, p->ctx->max_bytes,
                    p->ctx->xml_prescan);
  reader =
      xmlReaderForIO(pr_xml_input_read, pr_xml_input_close, &p->input,
                     host->payload_url(p->payload), "UTF-8", reader_options());
  if (reader) {
    xmlTextReaderSetStructuredErrorHandler(reader, on_xml_error, p);
    while (xmlTextReaderRead(reader) == 1)
      ;
    xmlFreeTextReader(reader);
  }
  p->diagnosing = 0;
}

static gw_result run_pass(struct xml_pass *p) {
  const struct gw_host_api *host = p->ctx->host;
  const char *url = host->payload_url(p->payload);
  size_t before = p->violations->total;
  xmlTextReaderPtr reader;
  int rc = 1;

  pr_xml_input_init(&p->input, host, p->payload, p->ctx->max_bytes,
                    p->ctx->xml_prescan);
  reader = xmlReaderForIO(pr_xml_input_read, pr_xml_input_close, &p->input, url,
                          "UTF-8", reader_options());
  if (!reader) {
    if (!p->input.refused) {
      host->log(p->run, GW_LOG_ERROR,
                "provider_report: cannot start the XML reader for %s (out of "
                "memory?)",
                url);
      return GW_FAIL;
    }
    rc = -1;
  } else {
    xmlTextReaderSetStructuredErrorHandler(reader, on_xml_error, p);
    if (!p->emitting && xmlTextReaderSetSchema(reader, p->ctx->schema) != 0) {
      host->log(p->run, GW_LOG_ERROR,
                "provider_report: cannot attach the report schema to the "
                "reader for %s",
                url);
      xmlFreeTextReader(reader);
      return GW_FAIL;
    }
    while ((rc = xmlTextReaderRead(reader)) == 1)
      if (on_node(p, reader) != 0)
        break;
    if (!p->emitting && rc == 0 && p->violations->total == before &&
        xmlTextReaderIsValid(reader) != 1)
      pr_violation_add(p->violations, 0,
                       "the report is not valid against provider-report.xsd");
    xmlFreeTextReader(reader);
  }
  if (!p->input.refused && rc < 0 && p->parser_errors == 0 &&
      p->emit_rc == GW_OK)
    diagnose_parse_error(p);
  if (p->input.refused)
    pr_violation_add(p->violations, p->input.refusal_line, "%s",
                     p->input.refusal);
  else if (rc < 0 && p->parser_errors == 0 && p->emit_rc == GW_OK)
    pr_violation_add(p->violations, 0, "the report is not well-formed XML");
  if (!p->emitting && !p->header_checked && !p->input.refused && rc == 0)
    check_header_once(p, 0);
  if (p->emit_rc != GW_OK)
    return p->emit_rc;
  return p->violations->total == before ? GW_OK : GW_FAIL;
}

static void pass_init(struct xml_pass *p, struct pr_ctx *ctx,
                      struct gw_run *run, struct gw_payload *payload,
                      struct pr_violations *violations, int emitting) {
  memset(p, 0, sizeof *p);
  p->ctx = ctx;
  p->run = run;
  p->payload = payload;
  p->violations = violations;
  p->emitting = emitting;
  p->emit_rc = GW_OK;
  p->check.ctx = ctx;
  p->check.run = run;
  p->check.violations = violations;
  p->check.today = pr_today(ctx);
}

gw_result pr_xml_process(struct pr_ctx *ctx, struct gw_run *run,
                         struct gw_payload *payload,
                         struct pr_violations *violations) {
  struct xml_pass *p = calloc(1, sizeof *p);
  gw_result rc = GW_FAIL;

  if (!p) {
    ctx->host->log(run, GW_LOG_ERROR, "provider_report: out of memory");
    return GW_FAIL;
  }
  pass_init(p, ctx, run, payload, violations, 0);
  rc = run_pass(p);
  if (rc != GW_OK || violations->total > 0)
    goto out;
  if (ctx->host->payload_rewind(payload) != 0) {
    ctx->host->log(run, GW_LOG_ERROR,
                   "provider_report: cannot read %s a second time to emit it",
                   ctx->host->payload_url(payload));
    rc = GW_FAIL;
    goto out;
  }
  pass_init(p, ctx, run, payload, violations, 1);
  rc = run_pass(p);
out:
  free(p);
  return rc;
}
