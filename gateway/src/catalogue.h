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
  /* Added for the monitor report (additive): */
  const char *area;             /* area the figure is about when it is not
                                   the municipality (e.g. "MRA"), or NULL */
  const char *preferred_plugin; /* plugin preferred when several sources
                                   deliver the figure, or NULL */
  const char *note;             /* the reference table's notes, or "" */
};

struct gw_source_mapping {
  const char *indicator; /* catalogue id */
  const char *plugin;
  const char *dataset; /* "*" matches any dataset */
  const char *code;
  /* Fixed breakdown members this mapping adds, may be empty. */
  const struct gw_breakdown_item *breakdown;
  size_t breakdown_count;
  /* Added for the monitor report (additive): members this source adds that
   * the reference table does not show, set to the one the table reports
   * (RIVM's {"age": "18 jaar of ouder"}); may be empty. */
  const struct gw_breakdown_item *monitor_breakdown;
  size_t monitor_breakdown_count;
};

/* A breakdown member of a multi-row indicator (3.3.9 by age, 5.3.1 by
 * substance, ...), in the order of the reference table. */
struct gw_breakdown_member {
  const struct gw_breakdown_item *items; /* sorted by dimension */
  size_t count;
  const char *title; /* Dutch title of the member's row */
};

/* Figures of the reference table for one indicator and member, verbatim
 * ("68,6", "NB", "n.n.b.", "N.v.t.", "-"). */
struct gw_reference_row {
  const struct gw_breakdown_item *items; /* member, sorted; none for {} */
  size_t count;
  const char *werkelijk_2020, *werkelijk_2021, *begroot_2022, *begroot_2023;
};

/* A policy goal (doel) of the programme, e.g. {"3", "Alle doelgroepen ..."}. */
struct gw_goal {
  const char *goal;
  const char *title;
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

/* ---- added for the monitor report (additive) ---------------------------- */

/* Goals in catalogue order (the generator writes them in ascending order);
 * NULL past the end. catalogue_goal_title(): NULL when unknown. */
size_t catalogue_goal_count(const struct gw_catalogue *cat);
const struct gw_goal *catalogue_goal_at(const struct gw_catalogue *cat,
                                        size_t i);
const char *catalogue_goal_title(const struct gw_catalogue *cat,
                                 const char *goal);

/* Breakdown members of an indicator (0 for a single-row indicator). */
size_t catalogue_member_count(const struct gw_catalogue *cat,
                              const struct gw_indicator *ind);
const struct gw_breakdown_member *
catalogue_member_at(const struct gw_catalogue *cat,
                    const struct gw_indicator *ind, size_t i);

/* Reference rows of an indicator, one per member (or one with no items). */
size_t catalogue_reference_count(const struct gw_catalogue *cat,
                                 const struct gw_indicator *ind);
const struct gw_reference_row *
catalogue_reference_at(const struct gw_catalogue *cat,
                       const struct gw_indicator *ind, size_t i);

/* Every source mapping, sorted by (plugin, dataset, code). */
size_t catalogue_mapping_count(const struct gw_catalogue *cat);
const struct gw_source_mapping *
catalogue_mapping_at(const struct gw_catalogue *cat, size_t i);

#endif
