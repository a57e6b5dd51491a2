/*
 * serve_catalogue.c - the indicator list of GET /v1/indicators in JSON,
 * XML and CSV (see serve_catalogue.h).
 */
#include "serve_catalogue.h"

#include <jansson.h>
#include <libxml/xmlwriter.h>
#include <string.h>

#include "text.h"

#define LIST_NAMESPACE "urn:nl:gateway:indicator-list:1"
#define UTF8_BOM "\xEF\xBB\xBF"
#define CSV_EOL "\r\n"

static const xmlChar *X(const char *s) {
  return (const xmlChar *)s;
}

static int visible(const struct serve_client *client,
                   const struct gw_indicator *ind) {
  return !client || serve_client_may_read(client, ind->id);
}

/* ---- JSON ---------------------------------------------------------------- */

static json_t *member_json(const struct gw_breakdown_member *m) {
  json_t *obj = json_object(), *breakdown = json_object();
  if (!obj || !breakdown)
    goto fail;
  for (size_t i = 0; i < m->count; i++)
    if (json_object_set_new(breakdown, m->items[i].dimension,
                            json_string(m->items[i].member)) != 0)
      goto fail;
  if (json_object_set_new(obj, "breakdown", breakdown) != 0) {
    breakdown = NULL;
    goto fail;
  }
  if (json_object_set_new(obj, "title",
                          json_string(m->title ? m->title : "")) != 0)
    goto fail_obj;
  return obj;
fail:
  json_decref(breakdown);
fail_obj:
  json_decref(obj);
  return NULL;
}

static json_t *indicator_json(const struct gw_catalogue *cat,
                              const struct gw_indicator *ind) {
  const char *goal_title = catalogue_goal_title(cat, ind->goal);
  json_t *members = json_array();
  json_t *obj = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s}", "id", ind->id,
                          "code", ind->code, "title", ind->title, "unit",
                          ind->unit, "goal", ind->goal, "mandatory",
                          ind->mandatory, "likely_source", ind->likely_source);
  if (!obj || !members)
    goto fail;
  if ((goal_title &&
       json_object_set_new(obj, "goal_title", json_string(goal_title)) != 0) ||
      (ind->area && json_object_set_new(obj, "area", json_string(ind->area))) ||
      (ind->note && ind->note[0] &&
       json_object_set_new(obj, "note", json_string(ind->note)) != 0))
    goto fail;
  for (size_t i = 0; i < catalogue_member_count(cat, ind); i++)
    if (json_array_append_new(
            members, member_json(catalogue_member_at(cat, ind, i))) != 0)
      goto fail;
  if (json_object_set_new(obj, "breakdown_members", members) != 0) {
    members = NULL;
    goto fail;
  }
  return obj;
fail:
  json_decref(members);
  json_decref(obj);
  return NULL;
}

static int write_json(const struct gw_catalogue *cat,
                      const struct serve_client *client, FILE *out,
                      size_t *count, char *err, size_t err_size) {
  json_t *list = json_array(), *doc = NULL;
  int rc = -1;
  *count = 0;
  if (!list)
    goto out;
  for (size_t i = 0; i < catalogue_count(cat); i++) {
    const struct gw_indicator *ind = catalogue_at(cat, i);
    if (!visible(client, ind))
      continue;
    if (json_array_append_new(list, indicator_json(cat, ind)) != 0)
      goto out;
    (*count)++;
  }
  doc =
      json_pack("{s:O, s:I}", "indicators", list, "count", (json_int_t)*count);
  if (!doc || json_dumpf(doc, out, JSON_INDENT(1)) != 0 || fputc('\n', out) < 0)
    goto out;
  rc = 0;
out:
  if (rc != 0)
    (void)text_copy(err, err_size, "out of memory writing the indicator list");
  json_decref(list);
  json_decref(doc);
  return rc;
}

/* ---- XML ---------------------------------------------------------------- */

static int xml_member(xmlTextWriterPtr w, const struct gw_breakdown_member *m) {
  if (xmlTextWriterStartElement(w, X("member")) < 0 ||
      xmlTextWriterWriteAttribute(w, X("title"), X(m->title ? m->title : "")) <
          0)
    return -1;
  for (size_t i = 0; i < m->count; i++)
    if (xmlTextWriterStartElement(w, X("item")) < 0 ||
        xmlTextWriterWriteAttribute(w, X("dimension"),
                                    X(m->items[i].dimension)) < 0 ||
        xmlTextWriterWriteAttribute(w, X("member"), X(m->items[i].member)) <
            0 ||
        xmlTextWriterEndElement(w) < 0)
      return -1;
  return xmlTextWriterEndElement(w) < 0 ? -1 : 0;
}

static int xml_indicator(xmlTextWriterPtr w, const struct gw_catalogue *cat,
                         const struct gw_indicator *ind) {
  const char *goal_title = catalogue_goal_title(cat, ind->goal);
  if (xmlTextWriterStartElement(w, X("indicator")) < 0 ||
      xmlTextWriterWriteAttribute(w, X("id"), X(ind->id)) < 0 ||
      xmlTextWriterWriteAttribute(w, X("code"), X(ind->code)) < 0 ||
      xmlTextWriterWriteAttribute(w, X("unit"), X(ind->unit)) < 0 ||
      xmlTextWriterWriteAttribute(w, X("goal"), X(ind->goal)) < 0 ||
      xmlTextWriterWriteAttribute(w, X("mandatory"),
                                  X(ind->mandatory ? "true" : "false")) < 0 ||
      xmlTextWriterWriteAttribute(w, X("likely_source"),
                                  X(ind->likely_source)) < 0 ||
      (ind->area &&
       xmlTextWriterWriteAttribute(w, X("area"), X(ind->area)) < 0) ||
      xmlTextWriterWriteElement(w, X("title"), X(ind->title)) < 0 ||
      (goal_title &&
       xmlTextWriterWriteElement(w, X("goal_title"), X(goal_title)) < 0) ||
      (ind->note && ind->note[0] &&
       xmlTextWriterWriteElement(w, X("note"), X(ind->note)) < 0))
    return -1;
  for (size_t i = 0; i < catalogue_member_count(cat, ind); i++)
    if (xml_member(w, catalogue_member_at(cat, ind, i)) != 0)
      return -1;
  return xmlTextWriterEndElement(w) < 0 ? -1 : 0;
}

static int write_xml(const struct gw_catalogue *cat,
                     const struct serve_client *client, FILE *out,
                     size_t *count, char *err, size_t err_size) {
  xmlBufferPtr buf = xmlBufferCreate();
  xmlTextWriterPtr w = buf ? xmlNewTextWriterMemory(buf, 0) : NULL;
  char number[32];
  int rc = -1;
  *count = 0;
  for (size_t i = 0; i < catalogue_count(cat); i++)
    *count += visible(client, catalogue_at(cat, i));
  if (!w || text_format(number, sizeof number, "%zu", *count) != 0 ||
      xmlTextWriterSetIndent(w, 1) < 0 ||
      xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) < 0 ||
      xmlTextWriterStartElement(w, X("indicators")) < 0 ||
      xmlTextWriterWriteAttribute(w, X("xmlns"), X(LIST_NAMESPACE)) < 0 ||
      xmlTextWriterWriteAttribute(w, X("count"), X(number)) < 0)
    goto out;
  for (size_t i = 0; i < catalogue_count(cat); i++) {
    const struct gw_indicator *ind = catalogue_at(cat, i);
    if (visible(client, ind) && xml_indicator(w, cat, ind) != 0)
      goto out;
  }
  if (xmlTextWriterEndDocument(w) < 0)
    goto out;
  xmlFreeTextWriter(w); /* flushes into buf */
  w = NULL;
  if (fwrite(xmlBufferContent(buf), 1, (size_t)xmlBufferLength(buf), out) !=
      (size_t)xmlBufferLength(buf))
    goto out;
  rc = 0;
out:
  if (rc != 0)
    (void)text_copy(err, err_size, "writing the indicator list as XML failed");
  if (w)
    xmlFreeTextWriter(w);
  if (buf)
    xmlBufferFree(buf);
  return rc;
}

/* ---- CSV ---------------------------------------------------------------- */

/* RFC 4180 quoting with ';', and the formula guard of the CSV feed: a
 * catalogue text never turns into a spreadsheet formula. */
static void csv_cell(FILE *out, int first, const char *text) {
  int quoted = strpbrk(text, ";\"\r\n") != NULL;
  if (!first)
    fputc(';', out);
  if (quoted)
    fputc('"', out);
  if (text[0] && strchr("=+-@\t\r", text[0]))
    fputc('\'', out);
  for (const char *p = text; *p; p++) {
    if (*p == '"')
      fputc('"', out);
    fputc(*p, out);
  }
  if (quoted)
    fputc('"', out);
}

static int write_csv(const struct gw_catalogue *cat,
                     const struct serve_client *client, FILE *out,
                     size_t *count, char *err, size_t err_size) {
  static const char *const header[] = {"id",
                                       "code",
                                       "title",
                                       "unit",
                                       "goal",
                                       "mandatory",
                                       "likely_source",
                                       "area",
                                       "breakdown_members"};
  *count = 0;
  fputs(UTF8_BOM, out);
  for (size_t i = 0; i < sizeof header / sizeof *header; i++)
    csv_cell(out, i == 0, header[i]);
  fputs(CSV_EOL, out);
  for (size_t i = 0; i < catalogue_count(cat); i++) {
    const struct gw_indicator *ind = catalogue_at(cat, i);
    char members[16];
    if (!visible(client, ind))
      continue;
    (void)text_format(members, sizeof members, "%zu",
                      catalogue_member_count(cat, ind));
    csv_cell(out, 1, ind->id);
    csv_cell(out, 0, ind->code);
    csv_cell(out, 0, ind->title);
    csv_cell(out, 0, ind->unit);
    csv_cell(out, 0, ind->goal);
    csv_cell(out, 0, ind->mandatory ? "true" : "false");
    csv_cell(out, 0, ind->likely_source);
    csv_cell(out, 0, ind->area ? ind->area : "");
    csv_cell(out, 0, members);
    fputs(CSV_EOL, out);
    (*count)++;
  }
  if (ferror(out)) {
    (void)text_copy(err, err_size, "writing the indicator list as CSV failed");
    return -1;
  }
  return 0;
}

int serve_catalogue_write(const struct gw_catalogue *cat,
                          const struct serve_client *client,
                          serve_format format, FILE *out, size_t *count,
                          char *err, size_t err_size) {
  switch (format) {
  case SERVE_FMT_XML:
    return write_xml(cat, client, out, count, err, err_size);
  case SERVE_FMT_CSV:
    return write_csv(cat, client, out, count, err, err_size);
  case SERVE_FMT_JSON:
    return write_json(cat, client, out, count, err, err_size);
  default:
    (void)text_copy(err, err_size, "the indicator list is JSON, XML or CSV");
    return -1;
  }
}
