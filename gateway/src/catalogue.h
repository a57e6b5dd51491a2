/*
 * catalogue.h - the indicator catalogue (schemas/indicators.json, DESIGN 5).
 *
 * Every indicator of the municipality's reference table, with its unit and
 * policy goal, and per source the code it has there. The normaliser maps a
 * raw (plugin, dataset, source_code) to an indicator through
 * catalogue_lookup(); a mapping may add a fixed breakdown member (e.g. the
 * RIVM column "Roker" is indicator 5.3.1 with {"substance":"roken"}).
 *
 * The catalogue owns every string it returns; they live until
 * catalogue_free().
 */
#ifndef GW_CATALOGUE_H
#define GW_CATALOGUE_H
#include <stddef.h>
#include "gateway/plugin.h"

struct gw_catalogue;

struct gw_indicator {
  const char *id;            /* stable slug, e.g. "bijstand_per_10k" */
  const char *code;          /* policy code, e.g. "3.1.4" */
  const char *title;         /* Dutch title */
  const char *unit;          /* "count", "percent", "per_10000", ... */
  const char *goal;          /* doel, e.g. "3" */
  const char *likely_source; /* "cbs", "ggd", "provider", "local", ... */
  int mandatory;             /* BBV-mandatory */
};

struct gw_source_mapping {
  const char *indicator; /* catalogue id */
  const char *plugin;
  const char *dataset; /* "*" matches any dataset */
  const char *code;
  /* Fixed breakdown members this mapping adds, may be empty. */
  const struct gw_breakdown_item *breakdown;
  size_t breakdown_count;
};

/* Load and validate the catalogue. On error returns -1 and writes a message
 * naming file, line and field into err. */
int catalogue_load(const char *path, struct gw_catalogue **out, char *err,
                   size_t err_size);
void catalogue_free(struct gw_catalogue *cat);

size_t catalogue_count(const struct gw_catalogue *cat);
const struct gw_indicator *catalogue_at(const struct gw_catalogue *cat,
                                        size_t i);
const struct gw_indicator *catalogue_find(const struct gw_catalogue *cat,
                                          const char *id);
/* Mapping for a source code, or NULL. O(log n). */
const struct gw_source_mapping *catalogue_lookup(const struct gw_catalogue *cat,
                                                 const char *plugin,
                                                 const char *dataset,
                                                 const char *code);

#endif
