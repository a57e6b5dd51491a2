/*
 * serve_catalogue.h - GET /v1/indicators: the indicator catalogue as a
 * consuming application needs it (id, code, title, unit, goal, mandatory
 * flag, breakdown members), limited to the indicators the client may
 * read. JSON (schemas/indicator-list.schema.json), XML
 * (schemas/indicator-list.xsd, namespace urn:nl:gateway:indicator-list:1)
 * or CSV (';', UTF-8 BOM, CRLF, like the CSV feed).
 */
#ifndef GW_SERVE_CATALOGUE_H
#define GW_SERVE_CATALOGUE_H
#include <stddef.h>
#include <stdio.h>
#include "catalogue.h"
#include "serve_auth.h"
#include "serve_formats.h"

/* Writes the list in format (JSON, XML or CSV) to out; client NULL lists
 * everything. *count gets the number of indicators. 0 or -1 (err). */
int serve_catalogue_write(const struct gw_catalogue *cat,
                          const struct serve_client *client,
                          serve_format format, FILE *out, size_t *count,
                          char *err, size_t err_size);

#endif
