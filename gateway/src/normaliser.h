/*
 * normaliser.h - raw plugin rows to validated observations (DESIGN 2, 4).
 *
 * Maps the indicator through the catalogue, trims and classifies the area,
 * normalises the period, canonicalises the breakdown, checks that the value
 * is finite and the unit known, and fills provenance. Pure: no I/O, no
 * allocation, so it is cheap per row and easy to test table-driven.
 */
#ifndef GW_NORMALISER_H
#define GW_NORMALISER_H
#include <stddef.h>
#include "catalogue.h"
#include "observation.h"

struct gw_normalise_context {
  const struct gw_catalogue *catalogue;
  const char *source_id;
  const char *plugin;
  const char *fetched_at;     /* of the payload, RFC 3339 UTC */
  const char *payload_sha256; /* of the payload */
  const char *span_id;        /* of the fetch span, for provenance */
  int reject_opaque_periods;  /* 1: unknown period codes are rejected */
};

typedef enum gw_normalise_result {
  GW_NORMALISE_OK = 0,
  GW_NORMALISE_UNMAPPED = 1, /* no catalogue mapping: skipped, counted */
  GW_NORMALISE_REJECTED = -1 /* reason says which field and why */
} gw_normalise_result;

gw_normalise_result normalise(const struct gw_normalise_context *ctx,
                              const struct gw_raw_observation *raw,
                              struct gw_observation *out, char *reason,
                              size_t reason_size);

/* Canonical breakdown JSON: items sorted by dimension, duplicates refused.
 * extra (may be NULL) adds the catalogue mapping's fixed members.
 * 0 or -1 (reason written). */
int breakdown_canonical(const struct gw_breakdown_item *items, size_t count,
                        const struct gw_breakdown_item *extra,
                        size_t extra_count, char *out, size_t out_size,
                        char *reason, size_t reason_size);

/* 1 when unit is one of the units of DESIGN 4. */
int unit_is_known(const char *unit);

#endif
