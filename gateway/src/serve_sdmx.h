/*
 * serve_sdmx.h - observations as an SDMX-JSON 2.0 data message
 * (application/vnd.sdmx.data+json), for statistical tools that speak SDMX
 * (docs/api.md, "SDMX-JSON").
 *
 * The mapping from the observation schema (DESIGN 4):
 *   series dimensions   INDICATOR (catalogue id, name = Dutch title),
 *                       REF_AREA (area code), BREAKDOWN ("_T" for none,
 *                       else "B" + 16 hex digits of the SHA-256 of the
 *                       canonical breakdown, name "age: 18+"), SOURCE
 *                       (source id: two sources may deliver the same
 *                       figure, and a key must name one observation)
 *   observation dim.    TIME_PERIOD (the period; start/end for years,
 *                       quarters, months and ISO weeks)
 *   measures            OBS_VALUE, CI_LOWER, CI_UPPER (null when absent;
 *                       a missing figure is null, never 0)
 *   observation attrs.  OBS_STATUS (the status names of the schema),
 *                       UNIT_MEASURE (the unit names)
 * Each observation is [OBS_VALUE, CI_LOWER, CI_UPPER, status index, unit
 * index]: the measures in the order of structure.measures.observation,
 * then the attribute value indices in the order of
 * structure.attributes.observation.
 */
#ifndef GW_SERVE_SDMX_H
#define GW_SERVE_SDMX_H
#include <stddef.h>
#include <stdio.h>
#include "catalogue.h"
#include "observation.h"

struct serve_sdmx_options {
  const char *message_id;               /* [A-Za-z0-9_@$-]+ */
  const char *prepared;                 /* RFC 3339 */
  const char *sender_id;                /* [A-Za-z0-9_@$-]+, e.g. "GM0384" */
  const struct gw_catalogue *catalogue; /* for indicator names; may be NULL */
};

/* Writes the message for rows (in any order) to out. 0 or -1 (err). */
int serve_sdmx_write(const struct gw_observation *rows, size_t count,
                     const struct serve_sdmx_options *opt, FILE *out, char *err,
                     size_t err_size);

/* The start and end (RFC 3339, inclusive) of a period in the schema's
 * form: 2022, 2022-Q1, 2022-03, 2022-W05. 0, or -1 for opaque codes. */
int serve_sdmx_period_bounds(const char *period, char *start, char *end,
                             size_t size);

#endif
