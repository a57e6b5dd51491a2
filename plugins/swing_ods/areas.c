/*
 * areas.c - a Values row's ExternalCode into the CBS area code the store
 * keys on (GM0384).
 *
 * How a Swing instance spells a municipality is instance configuration
 * ([?]: waarstaatjegemeente may use "384", "0384" or "GM0384"; Klimaatmonitor
 * used "gemeente_106"). Explicit configuration wins (params.area_map, then
 * the names learnt from GeoItems), then the code is read as CBS form or as
 * a number under the level's prefix.
 */
#include "swing_ods.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int swing_areas_add(struct swing_areas *areas, const char *external,
                    const char *cbs) {
  struct swing_area_pair *pair;

  if (areas->count == areas->cap) {
    size_t cap = areas->cap ? areas->cap * 2 : 16;
    struct swing_area_pair *grown =
        realloc(areas->by_name, cap * sizeof *grown);
    if (!grown)
      return -1;
    areas->by_name = grown;
    areas->cap = cap;
  }
  pair = &areas->by_name[areas->count];
  pair->external = strdup(external);
  pair->cbs = strdup(cbs);
  if (!pair->external || !pair->cbs) {
    free(pair->external);
    free(pair->cbs);
    return -1;
  }
  areas->count++;
  return 0;
}

void swing_areas_free(struct swing_areas *areas) {
  size_t i;

  for (i = 0; i < areas->count; i++) {
    free(areas->by_name[i].external);
    free(areas->by_name[i].cbs);
  }
  free(areas->by_name);
  memset(areas, 0, sizeof *areas);
}

static int all_digits(const char *s) {
  if (!*s)
    return 0;
  for (; *s; s++)
    if (!isdigit((unsigned char)*s))
      return 0;
  return 1;
}

/* Two letters then digits: a code already in CBS form (GM0384, WK038401). */
static int cbs_form(const char *s) {
  return isalpha((unsigned char)s[0]) && isalpha((unsigned char)s[1]) &&
         all_digits(s + 2);
}

static int copy_out(char *out, size_t size, const char *text) {
  int n = snprintf(out, size, "%s", text);
  return n >= 0 && (size_t)n < size ? 0 : -1;
}

static int numeric_code(const struct swing_ctx *ctx, const char *digits,
                        char *out, size_t size, char *reason,
                        size_t reason_size) {
  static const char zeros[] = "0000000000000000";
  size_t len = strlen(digits);
  int pad = ctx->area_digits > 0 && len < (size_t)ctx->area_digits
                ? ctx->area_digits - (int)len
                : 0;
  int n;

  if (!ctx->area_prefix[0]) {
    snprintf(reason, reason_size,
             "ExternalCode \"%s\" is a number and geo_level \"%s\" has no "
             "known CBS prefix; set params.area_prefix or params.area_map",
             digits, ctx->geo_level);
    return -1;
  }
  n = snprintf(out, size, "%s%.*s%s", ctx->area_prefix, pad, zeros, digits);
  if (n < 0 || (size_t)n >= size) {
    snprintf(reason, reason_size, "ExternalCode \"%.40s\" is too long", digits);
    return -1;
  }
  return 0;
}

int swing_area_for(const struct swing_ctx *ctx, const char *external, char *out,
                   size_t size, char *reason, size_t reason_size) {
  const char *mapped = swing_map_get(ctx, "area_map", external);
  const char *underscore;
  size_t i;

  if (mapped)
    return copy_out(out, size, mapped);
  for (i = 0; i < ctx->areas.count; i++)
    if (strcmp(ctx->areas.by_name[i].external, external) == 0)
      return copy_out(out, size, ctx->areas.by_name[i].cbs);
  if (cbs_form(external)) {
    if (copy_out(out, size, external) != 0)
      goto unusable;
    out[0] = (char)toupper((unsigned char)out[0]);
    out[1] = (char)toupper((unsigned char)out[1]);
    return 0;
  }
  if (all_digits(external))
    return numeric_code(ctx, external, out, size, reason, reason_size);
  underscore = strrchr(external, '_');
  if (underscore && all_digits(underscore + 1))
    return numeric_code(ctx, underscore + 1, out, size, reason, reason_size);
unusable:
  snprintf(
      reason, reason_size,
      "ExternalCode \"%.60s\" is neither a CBS code (GM0384) nor a number, "
      "and params.area_map%s does not list it",
      external, ctx->map_by_name ? " / params.names" : "");
  return -1;
}
