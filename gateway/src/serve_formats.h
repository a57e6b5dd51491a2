/*
 * serve_formats.h - which representation the feed server answers in, and
 * the small bodies every endpoint shares (docs/api.md, "Formats").
 *
 * The format comes from ?format= when given (a name the endpoint does not
 * offer is a 400: the client asked for it explicitly), else from the
 * Accept header (q-values honoured; nothing acceptable is a 406), else
 * JSON. Error bodies are always JSON:
 *   {"error": {"status": 403, "message": "..."}}
 */
#ifndef GW_SERVE_FORMATS_H
#define GW_SERVE_FORMATS_H
#include <stddef.h>

typedef enum serve_format {
  SERVE_FMT_JSON = 0,
  SERVE_FMT_XML,
  SERVE_FMT_CSV,
  SERVE_FMT_SDMX, /* SDMX-JSON 2.0 data message */
  SERVE_FMT_HTML,
  SERVE_FMT_TEXT,
  SERVE_FMT_COUNT
} serve_format;

#define SERVE_OFFER(f) (1u << (f))
#define SERVE_OFFER_TABLES                                                     \
  (SERVE_OFFER(SERVE_FMT_JSON) | SERVE_OFFER(SERVE_FMT_XML) |                  \
   SERVE_OFFER(SERVE_FMT_CSV))

const char *serve_format_name(serve_format f);       /* "json" */
const char *serve_format_media_type(serve_format f); /* Content-Type */

/* Pick the format. 0; or -1 with the HTTP status (400 or 406) in *status
 * and a one-line reason in err naming what is offered. */
int serve_negotiate(const char *format_param, const char *accept,
                    unsigned offered, serve_format *out, int *status, char *err,
                    size_t err_size);

/* {"error":{"status":N,"message":"..."}} plus a newline, in a gw_malloc'd
 * string (*len bytes). NULL when out of memory. */
char *serve_error_json(int status, const char *message, size_t *len);

#endif
