/*
 * xml_guard.c - the byte source libxml2 reads a report from.
 *
 * No provider report needs a DTD, so a DOCTYPE or ENTITY declaration is
 * refused here, in the raw bytes, before the parser has seen it: whatever
 * libxml2 version is installed (2.9 has no XML_PARSE_NO_XXE), no entity is
 * ever declared, expanded or loaded. The match runs across read boundaries.
 * Reports are UTF-8 (the reader is told so and ignores the declaration), so
 * a NUL byte means UTF-16/32 input, which could hide the markup from a byte
 * scan: refused too. The document size is capped as well.
 */
#include "provider_report.h"

#include <stdio.h>
#include <string.h>

static const char doctype_markup[] = "<!DOCTYPE";
static const char entity_markup[] = "<!ENTITY";

void pr_xml_input_init(struct pr_xml_input *in, const struct gw_host_api *host,
                       struct gw_payload *payload, uint64_t max_bytes,
                       int prescan) {
  memset(in, 0, sizeof *in);
  in->host = host;
  in->payload = payload;
  in->max_bytes = max_bytes;
  in->prescan = prescan;
  in->line = 1;
}

/* Both markups start with '<' and contain no other '<', so a mismatch can
 * only restart the match at the current byte. */
static int advance(size_t *matched, const char *markup, size_t len, char c) {
  if (c == markup[*matched]) {
    if (++*matched == len) {
      *matched = 0;
      return 1;
    }
    return 0;
  }
  *matched = c == '<' ? 1 : 0;
  return 0;
}

static int refuse(struct pr_xml_input *in, unsigned long line,
                  const char *what) {
  in->refused = 1;
  in->refusal_line = line;
  snprintf(in->refusal, sizeof in->refusal, "%s", what);
  return -1;
}

static int scan(struct pr_xml_input *in, const char *buf, size_t n) {
  size_t i;

  for (i = 0; i < n; i++) {
    char c = buf[i];
    if (c == '\n')
      in->line++;
    else if (c == '\0')
      return refuse(in, in->line,
                    "the report contains a NUL byte; reports must be "
                    "UTF-8 (UTF-16 and other encodings are refused)");
    if (advance(&in->doctype_matched, doctype_markup, sizeof doctype_markup - 1,
                c))
      return refuse(in, in->line,
                    "the report contains a DOCTYPE; provider reports "
                    "must not have a DTD, entities or a DOCTYPE "
                    "(refused for safety)");
    if (advance(&in->entity_matched, entity_markup, sizeof entity_markup - 1,
                c))
      return refuse(in, in->line,
                    "the report declares an ENTITY; provider reports "
                    "must not have a DTD, entities or a DOCTYPE "
                    "(refused for safety)");
  }
  return 0;
}

int pr_xml_input_read(void *opaque, char *buf, int len) {
  struct pr_xml_input *in = opaque;
  ssize_t got;

  if (in->refused || len <= 0)
    return -1;
  got = in->host->payload_read(in->payload, buf, (size_t)len);
  if (got < 0)
    return refuse(in, 0, "the report could not be read from the spool");
  in->bytes += (uint64_t)got;
  if (in->max_bytes && in->bytes > in->max_bytes) {
    char what[128];
    snprintf(what, sizeof what,
             "the report is larger than params.max_bytes (%llu bytes)",
             (unsigned long long)in->max_bytes);
    return refuse(in, 0, what);
  }
  if (in->prescan && scan(in, buf, (size_t)got) != 0)
    return -1;
  return (int)got;
}

int pr_xml_input_close(void *opaque) {
  (void)opaque; /* the payload belongs to the host */
  return 0;
}
