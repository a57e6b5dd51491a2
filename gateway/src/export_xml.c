/*
 * export_xml.c - the XML feed (schemas/feed.xsd, namespace
 * urn:nl:gateway:feed:1), streamed with libxml2's xmlTextWriter:
 *
 *   <feed name=".." generated_at=".." [as_of=".."] gateway_version="..">
 *     <observation>
 *       <indicator/> <area/> <area_level/> <period/>
 *       <breakdown><member dimension="age">18 jaar of
 * ouder</member></breakdown>
 *       [<value/>] <unit/> <status/> [<ci_low/>] [<ci_high/>] <revision/>
 *       <source id=".." plugin=".." dataset=".." source_code=".."
 *               fetched_at=".." payload_sha256=".." [span_id=".."]
 *               [valid_from=".."] [valid_to=".."]/>
 *     </observation>
 *     ...
 *     <count>N</count>
 *   </feed>
 *
 * An absent figure is an absent element (never 0); the fixed element order
 * lets the XSD be a plain sequence. span_id, valid_from and valid_to only
 * with provenance; valid_to only in an as-of feed for a revision that was
 * replaced later.
 */
#include <libxml/xmlwriter.h>
#include <stdint.h>
#include <string.h>

#include "export_internal.h"
#include "gw_alloc.h"
#include "provenance.h"
#include "text.h"

#define FEED_NAMESPACE "urn:nl:gateway:feed:1"
#define XSI_NAMESPACE "http://www.w3.org/2001/XMLSchema-instance"

struct xml_state {
  xmlTextWriterPtr writer;
  FILE *out;
  int with_provenance;
  int as_of; /* an as-of feed: valid_to too */
  uint64_t rows;
};

static const xmlChar *X(const char *s) {
  return (const xmlChar *)s;
}

/* XML 1.0 cannot carry most C0 controls (not even as &#n;) nor U+FFFE and
 * U+FFFF; input is valid UTF-8 already. */
static int xml_text_ok(const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
      return 0;
    if (p[0] == 0xEF && p[1] == 0xBF && (p[2] == 0xBE || p[2] == 0xBF))
      return 0;
  }
  return 1;
}

static int failed(const char *what) {
  export_set_error("writing XML %s failed", what);
  return -1;
}

static int put_element(xmlTextWriterPtr w, const char *name, const char *text) {
  if (xmlTextWriterWriteElement(w, X(name), X(text)) < 0)
    return failed(name);
  return 0;
}

static int put_attribute(xmlTextWriterPtr w, const char *name,
                         const char *text) {
  if (xmlTextWriterWriteAttribute(w, X(name), X(text)) < 0)
    return failed(name);
  return 0;
}

static int put_number(xmlTextWriterPtr w, const char *name, int present,
                      double v) {
  char text[EXPORT_NUMBER_MAX];
  if (!present)
    return 0;
  if (export_number_text(v, text, sizeof text) != 0)
    return -1;
  return put_element(w, name, text);
}

static int put_feed_start(xmlTextWriterPtr w,
                          const struct export_feed_meta *meta) {
  if (xmlTextWriterSetIndent(w, 1) < 0 ||
      xmlTextWriterSetIndentString(w, X("  ")) < 0 ||
      xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) < 0)
    return failed("declaration");
  if (xmlTextWriterStartElement(w, X("feed")) < 0)
    return failed("feed element");
  if (put_attribute(w, "xmlns", FEED_NAMESPACE) != 0 ||
      put_attribute(w, "xmlns:xsi", XSI_NAMESPACE) != 0 ||
      put_attribute(w, "xsi:schemaLocation", FEED_NAMESPACE " feed.xsd") != 0 ||
      put_attribute(w, "name", meta->name) != 0 ||
      put_attribute(w, "generated_at", meta->generated_at) != 0 ||
      (meta->as_of && put_attribute(w, "as_of", meta->as_of) != 0) ||
      put_attribute(w, "gateway_version", meta->gateway_version) != 0)
    return -1;
  return 0;
}

static int xml_begin(FILE *out, const struct gw_export_options *opt,
                     void **state) {
  struct export_feed_meta meta;
  struct xml_state *st = NULL;
  xmlOutputBufferPtr buffer;
  int rc = -1;

  *state = NULL;
  if (export_feed_meta(opt, &meta) != 0)
    return -1;
  if ((meta.as_of && !xml_text_ok(meta.as_of)) || !xml_text_ok(meta.name) ||
      !xml_text_ok(meta.generated_at) || !xml_text_ok(meta.gateway_version)) {
    export_set_error("feed options contain characters XML cannot carry");
    return -1;
  }
  st = gw_calloc(1, sizeof *st);
  if (st == NULL) {
    export_set_error("out of memory starting the XML feed");
    return -1;
  }
  st->with_provenance = opt->with_provenance;
  st->as_of = meta.as_of != NULL;
  st->out = out;
  buffer = xmlOutputBufferCreateFile(out, NULL);
  if (buffer == NULL) {
    failed("output buffer");
    goto out;
  }
  st->writer = xmlNewTextWriter(buffer); /* owns buffer from here on */
  if (st->writer == NULL) {
    xmlOutputBufferClose(buffer);
    failed("writer");
    goto out;
  }
  if (put_feed_start(st->writer, &meta) != 0)
    goto out;
  *state = st;
  st = NULL;
  rc = 0;
out:
  if (st) {
    if (st->writer)
      xmlFreeTextWriter(st->writer);
    gw_free(st);
  }
  return rc;
}

static int check_member(const char *dimension, const char *member, void *user) {
  (void)user;
  /* The offending text is not echoed: it would carry the same control
   * character into the log. */
  if (!xml_text_ok(dimension) || !xml_text_ok(member)) {
    export_set_error("a breakdown dimension or member contains characters "
                     "XML cannot carry");
    return -1;
  }
  return 0;
}

static int put_member(const char *dimension, const char *member, void *user) {
  xmlTextWriterPtr w = user;
  if (xmlTextWriterStartElement(w, X("member")) < 0)
    return failed("member");
  if (put_attribute(w, "dimension", dimension) != 0)
    return -1;
  if (xmlTextWriterWriteString(w, X(member)) < 0 ||
      xmlTextWriterEndElement(w) < 0)
    return failed("member");
  return 0;
}

static int check_xml_row(const struct gw_observation *obs) {
  const struct {
    const char *name, *text;
  } fields[] = {
      {"indicator", obs->indicator},   {"area", obs->area},
      {"period", obs->period},         {"unit", obs->unit},
      {"source_id", obs->source_id},   {"plugin", obs->plugin},
      {"dataset", obs->dataset},       {"source_code", obs->source_code},
      {"fetched_at", obs->fetched_at}, {"payload_sha256", obs->payload_sha256},
      {"span_id", obs->span_id}};
  if (export_check_observation(obs) != 0)
    return -1;
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    if (xml_text_ok(fields[i].text))
      continue;
    /* The first three identify the row, and are clean when i >= 3. */
    if (i < 3)
      export_set_error("observation field %s contains characters XML "
                       "cannot carry",
                       fields[i].name);
    else
      export_set_error("observation %s/%s/%s: field %s contains characters "
                       "XML cannot carry",
                       obs->indicator, obs->area, obs->period, fields[i].name);
    return -1;
  }
  return export_breakdown_each(obs->breakdown, check_member, NULL);
}

static int put_source(xmlTextWriterPtr w, const struct xml_state *st,
                      const struct gw_observation *obs,
                      const struct gw_validity *validity) {
  int with_provenance = st->with_provenance;
  if (xmlTextWriterStartElement(w, X("source")) < 0)
    return failed("source");
  if (put_attribute(w, "id", obs->source_id) != 0 ||
      put_attribute(w, "plugin", obs->plugin) != 0 ||
      put_attribute(w, "dataset", obs->dataset) != 0 ||
      put_attribute(w, "source_code", obs->source_code) != 0 ||
      put_attribute(w, "fetched_at", obs->fetched_at) != 0 ||
      put_attribute(w, "payload_sha256", obs->payload_sha256) != 0)
    return -1;
  if (with_provenance && obs->span_id[0] != '\0' &&
      put_attribute(w, "span_id", obs->span_id) != 0)
    return -1;
  if (with_provenance && validity &&
      (put_attribute(w, "valid_from", validity->valid_from) != 0 ||
       (st->as_of && validity->valid_to[0] != '\0' &&
        put_attribute(w, "valid_to", validity->valid_to) != 0)))
    return -1;
  if (xmlTextWriterEndElement(w) < 0)
    return failed("source");
  return 0;
}

static int put_observation(xmlTextWriterPtr w, const struct xml_state *st,
                           const struct gw_observation *obs,
                           const struct gw_validity *validity) {
  char revision[24];
  if (xmlTextWriterStartElement(w, X("observation")) < 0)
    return failed("observation");
  if (put_element(w, "indicator", obs->indicator) != 0 ||
      put_element(w, "area", obs->area) != 0 ||
      put_element(w, "area_level", area_level_name(obs->area_level)) != 0 ||
      put_element(w, "period", obs->period) != 0)
    return -1;
  if (xmlTextWriterStartElement(w, X("breakdown")) < 0)
    return failed("breakdown");
  if (export_breakdown_each(obs->breakdown, put_member, w) != 0)
    return -1;
  if (xmlTextWriterEndElement(w) < 0)
    return failed("breakdown");
  if (put_number(w, "value", obs->has_value, obs->value) != 0 ||
      put_element(w, "unit", obs->unit) != 0 ||
      put_element(w, "status", status_name(obs->status)) != 0 ||
      put_number(w, "ci_low", obs->has_ci_low, obs->ci_low) != 0 ||
      put_number(w, "ci_high", obs->has_ci_high, obs->ci_high) != 0)
    return -1;
  if (text_format(revision, sizeof revision, "%ld", obs->revision) != 0)
    return failed("revision");
  if (put_element(w, "revision", revision) != 0 ||
      put_source(w, st, obs, validity) != 0)
    return -1;
  if (xmlTextWriterEndElement(w) < 0)
    return failed("observation");
  return 0;
}

static int xml_row_with_validity(void *state, const struct gw_observation *obs,
                                 const struct gw_validity *validity) {
  struct xml_state *st = state;
  /* Checked first: a refused row must not leave half an element behind. */
  if (check_xml_row(obs) != 0 || export_check_validity(obs, validity) != 0)
    return -1;
  if (put_observation(st->writer, st, obs, validity) != 0)
    return -1;
  st->rows++;
  return 0;
}

static int xml_row(void *state, const struct gw_observation *obs) {
  return xml_row_with_validity(state, obs, NULL);
}

static int xml_end(void *state, uint64_t count) {
  struct xml_state *st = state;
  char text[24];
  int rc = -1;

  if (count != st->rows) {
    export_set_error("feed count %llu differs from the %llu observations "
                     "written",
                     (unsigned long long)count, (unsigned long long)st->rows);
    goto out;
  }
  if (text_format(text, sizeof text, "%llu", (unsigned long long)count) != 0 ||
      put_element(st->writer, "count", text) != 0)
    goto out;
  if (xmlTextWriterEndDocument(st->writer) < 0 ||
      xmlTextWriterFlush(st->writer) < 0) {
    failed("end of the feed");
    goto out;
  }
  rc = 0;
out:
  xmlFreeTextWriter(st->writer);
  if (rc == 0 && (fflush(st->out) != 0 || ferror(st->out))) {
    failed("feed to its file");
    rc = -1;
  }
  gw_free(st);
  return rc;
}

static void xml_abort(void *state) {
  struct xml_state *st = state;
  if (st == NULL)
    return;
  xmlFreeTextWriter(st->writer);
  gw_free(st);
}

const struct gw_export_writer export_xml_writer = {
    .begin = xml_begin,
    .row = xml_row,
    .row_with_validity = xml_row_with_validity,
    .end = xml_end,
    .abort = xml_abort,
};
