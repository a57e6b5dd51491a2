/*
 * observation.c - the stable names of statuses and area levels. These
 * strings are a public contract: they appear in every export and in the
 * store, so they never change once released.
 */
#include "observation.h"

#include <string.h>

static const char *const status_names[] = {
    [GW_STATUS_UNSET] = "unset",
    [GW_STATUS_FINAL] = "final",
    [GW_STATUS_PROVISIONAL] = "provisional",
    [GW_STATUS_REVISED] = "revised",
    [GW_STATUS_MISSING] = "missing",
    [GW_STATUS_NOT_YET_KNOWN] = "not_yet_known",
    [GW_STATUS_NOT_APPLICABLE] = "not_applicable",
    [GW_STATUS_SUPPRESSED] = "suppressed",
    [GW_STATUS_IMPOSSIBLE] = "impossible",
};

static const char *const area_level_names[] = {
    [GW_AREA_UNKNOWN] = "unknown",   [GW_AREA_COUNTRY] = "country",
    [GW_AREA_REGION] = "region",     [GW_AREA_MUNICIPALITY] = "municipality",
    [GW_AREA_DISTRICT] = "district", [GW_AREA_NEIGHBOURHOOD] = "neighbourhood",
};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

const char *status_name(gw_status status) {
  if ((int)status < 0 || (size_t)status >= COUNT_OF(status_names))
    return "invalid";
  return status_names[status];
}

/* "unset" is deliberately not accepted: a stored or exported observation
 * always carries a decided status. */
int status_from_name(const char *name, gw_status *out) {
  size_t i;
  if (!name || !out)
    return -1;
  for (i = GW_STATUS_FINAL; i < COUNT_OF(status_names); i++) {
    if (strcmp(name, status_names[i]) == 0) {
      *out = (gw_status)i;
      return 0;
    }
  }
  return -1;
}

const char *area_level_name(gw_area_level level) {
  if ((int)level < 0 || (size_t)level >= COUNT_OF(area_level_names))
    return "unknown";
  return area_level_names[level];
}

/* Likewise "unknown" is not a level anything is stored under. */
int area_level_from_name(const char *name, gw_area_level *out) {
  size_t i;
  if (!name || !out)
    return -1;
  for (i = GW_AREA_COUNTRY; i < COUNT_OF(area_level_names); i++) {
    if (strcmp(name, area_level_names[i]) == 0) {
      *out = (gw_area_level)i;
      return 0;
    }
  }
  return -1;
}
