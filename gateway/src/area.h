/*
 * area.h - area codes: trimming and level (DESIGN 4).
 * NL01/NL00 -> country; GMnnnn -> municipality; WKnnnnnn -> district;
 * BUnnnnnnnn -> neighbourhood; other well-formed codes (GGnnnn, PVnn,
 * CRnn, LDnn, or configured names such as MRA) -> region.
 */
#ifndef GW_AREA_H
#define GW_AREA_H
#include <stddef.h>
#include "observation.h"

/* Trim raw into out and classify it. Returns the level, or GW_AREA_UNKNOWN
 * (with out still filled when it fits) when the code is not recognised. */
gw_area_level area_normalise(const char *raw, char *out, size_t out_size);

#endif
