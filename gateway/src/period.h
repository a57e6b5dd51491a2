/*
 * period.h - StatLine/CBS period codes to the common form (DESIGN 4):
 *   2022JJ00 -> 2022, 2022KW01 -> 2022-Q1, 2022MM03 -> 2022-03,
 *   2022W105 -> 2022-W05 (week), plain "2022", "2022-Q1", "2022-03",
 *   "2022-W05" pass through. Anything else is kept verbatim (opaque).
 */
#ifndef GW_PERIOD_H
#define GW_PERIOD_H
#include <stddef.h>

typedef enum gw_period_kind {
  GW_PERIOD_INVALID = -1, /* empty, unprintable, or does not fit */
  GW_PERIOD_OPAQUE = 0,   /* kept verbatim */
  GW_PERIOD_YEAR,
  GW_PERIOD_QUARTER,
  GW_PERIOD_MONTH,
  GW_PERIOD_WEEK
} gw_period_kind;

/* Trims white space, normalises into out. */
gw_period_kind period_normalise(const char *raw, char *out, size_t out_size);

#endif
