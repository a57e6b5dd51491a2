/*
 * area.c - trimming and classifying CBS-style area codes (DESIGN 4).
 *
 * StatLine pads region keys with spaces ("GM0384    "), so every code is
 * trimmed first. The level follows from the prefix and the exact digit
 * count; a municipality-looking code with the wrong length ("GM038") is
 * UNKNOWN rather than a region, because it is almost certainly a damaged
 * key and must not be filed under a different level.
 */
#include "area.h"

#include "text.h"
#include <string.h>

/* Named regions that are not CBS codes. MRA = Metropoolregio Amsterdam,
 * the regional aggregate of indicator 3.1.9. */
static const char *const named_regions[] = {"MRA"};

struct prefixed_level {
  const char prefix[3];
  size_t digits;
  gw_area_level level;
};

static const struct prefixed_level fixed_levels[] = {
    {"GM", 4, GW_AREA_MUNICIPALITY},
    {"WK", 6, GW_AREA_DISTRICT},
    {"BU", 8, GW_AREA_NEIGHBOURHOOD},
};

static int is_digit(char c) {
  return c >= '0' && c <= '9';
}

static int is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}

static int all_digits(const char *s, size_t len) {
  size_t i;
  for (i = 0; i < len; i++) {
    if (!is_digit(s[i]))
      return 0;
  }
  return 1;
}

static gw_area_level classify(const char *code, size_t len) {
  size_t i;
  for (i = 0; i < sizeof(named_regions) / sizeof(named_regions[0]); i++) {
    if (strlen(named_regions[i]) == len &&
        memcmp(code, named_regions[i], len) == 0)
      return GW_AREA_REGION;
  }
  if (len == 4 &&
      (memcmp(code, "NL01", 4) == 0 || memcmp(code, "NL00", 4) == 0))
    return GW_AREA_COUNTRY;
  if (len < 2 || !is_upper(code[0]) || !is_upper(code[1]))
    return GW_AREA_UNKNOWN;
  for (i = 0; i < sizeof(fixed_levels) / sizeof(fixed_levels[0]); i++) {
    if (memcmp(code, fixed_levels[i].prefix, 2) == 0) {
      return len == 2 + fixed_levels[i].digits && all_digits(code + 2, len - 2)
                 ? fixed_levels[i].level
                 : GW_AREA_UNKNOWN;
    }
  }
  if (memcmp(code, "NL", 2) == 0)
    return GW_AREA_UNKNOWN; /* only NL00/NL01 are the country */
  /* GGnnnn (GGD), PVnn (provincie), CRnn (COROP), LDnn (landsdeel),
   * REnnnn, AMnn, JZnn, ...: CBS region families share this shape. */
  if (len >= 4 && len <= 6 && all_digits(code + 2, len - 2))
    return GW_AREA_REGION;
  return GW_AREA_UNKNOWN;
}

gw_area_level area_normalise(const char *raw, char *out, size_t out_size) {
  const char *start;
  size_t len;

  if (!out || out_size == 0)
    return GW_AREA_UNKNOWN;
  out[0] = '\0';
  if (!raw)
    return GW_AREA_UNKNOWN;
  start = text_trim_span(raw, &len);
  if (len >= out_size)
    return GW_AREA_UNKNOWN;
  memcpy(out, start, len);
  out[len] = '\0';
  return classify(out, len);
}
