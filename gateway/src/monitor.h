/*
 * monitor.h - the monitor report (DESIGN 5, docs/monitor.md): per policy
 * goal, every indicator (and breakdown member) with its werkelijk figure
 * per year from the store next to the begroot figure from the targets
 * file, written the way the municipality writes its tables ("68,6", "NB",
 * "n.n.b.", "N.v.t.", "x"), with the source and fetch date of every cell.
 *
 * monitor_build() reads the store once (current revision, the report's
 * areas and years) and keeps one chosen observation per cell, so memory
 * is bounded by the catalogue, not by the store. The renderers
 * (monitor_text.c, monitor_json.c, monitor_csv.c, monitor_html.c) only
 * read the finished report.
 */
#ifndef GW_MONITOR_H
#define GW_MONITOR_H
#include <stddef.h>
#include <stdio.h>
#include "catalogue.h"
#include "observation.h"
#include "store.h"
#include "targets.h"

#define GW_MONITOR_MAX_YEARS 16
#define GW_MONITOR_DISPLAY_MAX 64

typedef enum gw_monitor_format {
  GW_MONITOR_TEXT = 0,
  GW_MONITOR_JSON,
  GW_MONITOR_CSV,
  GW_MONITOR_HTML
} gw_monitor_format;

/* Where a cell's display comes from. */
typedef enum gw_cell_kind {
  GW_CELL_NONE = 0,    /* werkelijk: nothing delivered ("n.n.b."); begroot:
                          no target configured ("") */
  GW_CELL_OBSERVATION, /* werkelijk from the store (value or status) */
  GW_CELL_DECLARED,    /* werkelijk marker declared in the targets file */
  GW_CELL_TARGET       /* begroot from the targets file (value or marker) */
} gw_cell_kind;

struct gw_monitor_cell {
  gw_cell_kind kind;
  char display[GW_MONITOR_DISPLAY_MAX]; /* "68,6", "NB", "n.n.b.", "" */
  int has_value;
  double value;
  gw_status status; /* observations only, else GW_STATUS_UNSET */
  const char *note; /* declared reason or target note (borrowed), or NULL */
  /* provenance of an observation cell */
  char source_id[GW_ID_MAX];
  char plugin[GW_ID_MAX];
  char dataset[GW_DATASET_MAX];
  char source_code[GW_CODE_MAX];
  char fetched_at[GW_TIME_MAX];
  size_t source_ref;   /* 1-based index into report->sources, 0 = none */
  size_t alternatives; /* other sources that delivered this cell */
};

struct gw_monitor_row {
  const struct gw_indicator *indicator;
  const struct gw_breakdown_member *member; /* NULL: single-row indicator */
  const char *title;                        /* member title or indicator's */
  char area[GW_AREA_MAX];                   /* GM0384, or MRA for 3.1.9 */
  struct gw_monitor_cell werkelijk[GW_MONITOR_MAX_YEARS];
  struct gw_monitor_cell begroot[GW_MONITOR_MAX_YEARS];
};

struct gw_monitor_goal {
  const char *goal;  /* "3" */
  const char *title; /* from the catalogue, or NULL */
  size_t first_row, row_count;
};

/* A (source, plugin, dataset, fetch day) cited by cells; fetched_at is the
 * latest fetch time of its cells. */
struct gw_monitor_source {
  char source_id[GW_ID_MAX];
  char plugin[GW_ID_MAX];
  char dataset[GW_DATASET_MAX];
  char fetched_at[GW_TIME_MAX];
  size_t cells;
};

/* A column the human-readable renderers show: werkelijk or begroot of a
 * year. A werkelijk column is shown when some row has a figure, status or
 * declaration for that year; a begroot column when some row has a target. */
struct gw_monitor_column {
  int begroot; /* 0 werkelijk, 1 begroot */
  size_t year; /* index into report->years */
};

struct gw_monitor_report {
  char title[128];
  char municipality[GW_AREA_MAX];
  char generated_at[GW_TIME_MAX];
  const char *targets_path; /* borrowed, or NULL */
  char years[GW_MONITOR_MAX_YEARS][8];
  size_t year_count;
  struct gw_monitor_column columns[2 * GW_MONITOR_MAX_YEARS];
  size_t column_count;
  struct gw_monitor_goal *goals;
  size_t goal_count;
  struct gw_monitor_row *rows;
  size_t row_count;
  struct gw_monitor_source *sources;
  size_t source_count;
};

struct gw_monitor_options {
  const char *municipality; /* area code, e.g. "GM0384" */
  const char *const *years; /* "2020", ... ; at most GW_MONITOR_MAX_YEARS */
  size_t year_count;
  const char *generated_at; /* RFC 3339 */
};

/* Build the report. targets may be NULL (begroot columns stay empty). The
 * report borrows from cat and targets: free it before them. 0 or -1. */
int monitor_build(struct gw_store *store, const struct gw_catalogue *cat,
                  const struct gw_targets *targets,
                  const struct gw_monitor_options *opt,
                  struct gw_monitor_report **out, char *err, size_t err_size);
void monitor_free(struct gw_monitor_report *report);

/* Write the report in a format. 0 or -1 (err). */
int monitor_write(const struct gw_monitor_report *report,
                  gw_monitor_format format, FILE *out, char *err,
                  size_t err_size);
int monitor_format_from_name(const char *name, gw_monitor_format *out);

/* ---- shared by the renderers ---------------------------------------- */

/* The value in the municipality's notation: decimal comma, no thousands
 * separator, at most six decimals, trailing zeros dropped ("68,6", "917").
 * 0 or -1 when it does not fit. */
int monitor_format_number(double value, char *out, size_t size);
/* The marker for a status without a value ("NB", "n.n.b.", ...). */
const char *monitor_status_marker(gw_status status);
/* Heading of a column: "Werkelijk 2020" / "Begroot 2023". */
void monitor_column_heading(const struct gw_monitor_report *r,
                            const struct gw_monitor_column *c, char *out,
                            size_t size);
const struct gw_monitor_cell *
monitor_column_cell(const struct gw_monitor_row *row,
                    const struct gw_monitor_column *c);
/* A cell as the text and HTML tables print it: the display, " (v)" for a
 * provisional figure and, with refs, " [n]" for its source. */
void monitor_cell_text(const struct gw_monitor_cell *c, int refs, char *out,
                       size_t size);
/* "substance: roken" for a member row, "" otherwise. */
void monitor_member_text(const struct gw_monitor_row *row, char *out,
                         size_t size);

/* Legend entries, in display order, NULL-terminated. */
struct gw_monitor_legend {
  const char *marker, *meaning;
};
extern const struct gw_monitor_legend monitor_legend[];

int monitor_write_text(const struct gw_monitor_report *r, FILE *out);
int monitor_write_json(const struct gw_monitor_report *r, FILE *out);
int monitor_write_csv(const struct gw_monitor_report *r, FILE *out);
int monitor_write_html(const struct gw_monitor_report *r, FILE *out);

#endif
