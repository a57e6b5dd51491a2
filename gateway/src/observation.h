/*
 * observation.h - the normalised observation (DESIGN 4), the common schema
 * every source is mapped into. Fixed-size fields on purpose: the normaliser
 * fills one on the stack per raw row, so the hot path never allocates.
 * A field that does not fit is a rejection, never a silent cut.
 */
#ifndef GW_OBSERVATION_H
#define GW_OBSERVATION_H
#include "gateway/plugin.h"
#include "digest.h"

#define GW_ID_MAX 64         /* indicator ids, source ids, plugin names */
#define GW_AREA_MAX 24       /* "BU03840100", "GG3406", "MRA" */
#define GW_PERIOD_MAX 32     /* "2022-Q1" or a verbatim opaque code */
#define GW_BREAKDOWN_MAX 256 /* canonical JSON object text */
#define GW_UNIT_MAX 24
#define GW_DATASET_MAX 64
#define GW_CODE_MAX 128
#define GW_TIME_MAX 32    /* "2026-11-24T02:50:08.123Z" */
#define GW_SPAN_ID_MAX 17 /* 16 hex digits and NUL */

typedef enum gw_area_level {
  GW_AREA_UNKNOWN = 0,
  GW_AREA_COUNTRY,
  GW_AREA_REGION,
  GW_AREA_MUNICIPALITY,
  GW_AREA_DISTRICT,
  GW_AREA_NEIGHBOURHOOD
} gw_area_level;

struct gw_observation {
  char indicator[GW_ID_MAX];
  char area[GW_AREA_MAX];
  gw_area_level area_level;
  char period[GW_PERIOD_MAX];
  char breakdown[GW_BREAKDOWN_MAX]; /* canonical: {"age":"18+"} sorted by
                                       dimension; "{}" when none */
  gw_component component;           /* which part this row carries */
  int has_value;
  double value;
  char unit[GW_UNIT_MAX];
  gw_status status; /* never UNSET after normalisation */
  int has_ci_low, has_ci_high;
  double ci_low, ci_high;
  /* provenance */
  char source_id[GW_ID_MAX];
  char plugin[GW_ID_MAX];
  char dataset[GW_DATASET_MAX];
  char source_code[GW_CODE_MAX];
  char fetched_at[GW_TIME_MAX];
  char payload_sha256[GW_SHA256_HEX_SIZE];
  char span_id[GW_SPAN_ID_MAX];
  long revision; /* set by the store when read back */
};

/* Stable lower-case names used in every export and in the store. */
const char *status_name(gw_status status);              /* "final", ... */
int status_from_name(const char *name, gw_status *out); /* 0 or -1 */
const char *area_level_name(gw_area_level level); /* "municipality", ... */
int area_level_from_name(const char *name, gw_area_level *out);

#endif
