/*
 * monitor_json.c - the monitor report as JSON (shape in docs/monitor.md):
 *
 *   {"title", "municipality", "generated_at", "targets_file",
 *    "years": ["2020", ...],
 *    "columns": [{"kind": "werkelijk", "year": "2020"}, ...],
 *    "goals": [{"goal": "3", "title": "...",
 *               "rows": [{"indicator", "code", "title", "unit", "area",
 *                         "breakdown": {...},
 *                         "werkelijk": {"2020": CELL, ...},
 *                         "begroot":   {"2022": CELL, ...}}]}],
 *    "legend": [{"marker", "meaning"}],
 *    "sources": [{"ref", "source_id", "plugin", "dataset", "fetched_at"}]}
 *
 * Every year has a cell in both "werkelijk" and "begroot"; CELL is
 *   {"display": "68,6", "value": 68.6 | null, "kind": "observation" |
 *    "declared" | "target" | "none", "status": "final" | ... | null,
 *    "note": ... (optional), "source": {...} | null, "source_ref": n | null,
 *    "alternatives": n}
 * The document is one object per goal built and written at a time.
 */
#include "monitor.h"

#include <jansson.h>
#include <string.h>

static const char *kind_name(gw_cell_kind kind) {
  switch (kind) {
  case GW_CELL_OBSERVATION:
    return "observation";
  case GW_CELL_DECLARED:
    return "declared";
  case GW_CELL_TARGET:
    return "target";
  case GW_CELL_NONE:
  default:
    return "none";
  }
}

/* Adds value under key; consumes value even on failure. */
static int set(json_t *obj, const char *key, json_t *value) {
  return value ? json_object_set_new(obj, key, value) : -1;
}

static json_t *cell_json(const struct gw_monitor_cell *c) {
  json_t *o = json_object();
  int bad = !o;
  if (bad)
    return NULL;
  bad |= set(o, "display", json_string(c->display));
  bad |= set(o, "value", c->has_value ? json_real(c->value) : json_null());
  bad |= set(o, "kind", json_string(kind_name(c->kind)));
  bad |=
      set(o, "status",
          c->kind == GW_CELL_OBSERVATION ? json_string(status_name(c->status))
                                         : json_null());
  if (c->note)
    bad |= set(o, "note", json_string(c->note));
  if (c->kind == GW_CELL_OBSERVATION) {
    bad |= set(o, "source",
               json_pack("{s:s, s:s, s:s, s:s, s:s}", "source_id", c->source_id,
                         "plugin", c->plugin, "dataset", c->dataset, "code",
                         c->source_code, "fetched_at", c->fetched_at));
    bad |= set(o, "source_ref", json_integer((json_int_t)c->source_ref));
  } else {
    bad |= set(o, "source", json_null());
    bad |= set(o, "source_ref", json_null());
  }
  bad |= set(o, "alternatives", json_integer((json_int_t)c->alternatives));
  if (bad) {
    json_decref(o);
    return NULL;
  }
  return o;
}

static json_t *row_json(const struct gw_monitor_report *r,
                        const struct gw_monitor_row *row) {
  json_t *o = json_object(), *bd = json_object(), *w = json_object(),
         *b = json_object();
  size_t i;
  int bad = !o || !bd || !w || !b;
  for (i = 0; !bad && row->member && i < row->member->count; i++)
    bad |= set(bd, row->member->items[i].dimension,
               json_string(row->member->items[i].member));
  for (i = 0; !bad && i < r->year_count; i++) {
    bad |= set(w, r->years[i], cell_json(&row->werkelijk[i]));
    bad |= set(b, r->years[i], cell_json(&row->begroot[i]));
  }
  if (!bad) {
    bad |= set(o, "indicator", json_string(row->indicator->id));
    bad |= set(o, "code", json_string(row->indicator->code));
    bad |= set(o, "title", json_string(row->title));
    bad |= set(o, "unit", json_string(row->indicator->unit));
    bad |= set(o, "area", json_string(row->area));
    bad |= set(o, "mandatory", json_boolean(row->indicator->mandatory));
    bad |= set(o, "breakdown", bd);
    bad |= set(o, "werkelijk", w);
    bad |= set(o, "begroot", b);
    bd = w = b = NULL;
  }
  json_decref(bd);
  json_decref(w);
  json_decref(b);
  if (bad) {
    json_decref(o);
    return NULL;
  }
  return o;
}

static json_t *head_json(const struct gw_monitor_report *r) {
  json_t *o = json_object(), *years = json_array(), *cols = json_array();
  size_t i;
  int bad = !o || !years || !cols;
  for (i = 0; !bad && i < r->year_count; i++)
    bad |= json_array_append_new(years, json_string(r->years[i]));
  for (i = 0; !bad && i < r->column_count; i++)
    bad |= json_array_append_new(
        cols, json_pack("{s:s, s:s}", "kind",
                        r->columns[i].begroot ? "begroot" : "werkelijk", "year",
                        r->years[r->columns[i].year]));
  if (!bad) {
    bad |= set(o, "title", json_string(r->title));
    bad |= set(o, "municipality", json_string(r->municipality));
    bad |= set(o, "generated_at", json_string(r->generated_at));
    bad |= set(o, "targets_file",
               r->targets_path ? json_string(r->targets_path) : json_null());
    bad |= set(o, "years", years);
    bad |= set(o, "columns", cols);
    years = cols = NULL;
  }
  json_decref(years);
  json_decref(cols);
  if (bad) {
    json_decref(o);
    return NULL;
  }
  return o;
}

static json_t *goal_json(const struct gw_monitor_report *r,
                         const struct gw_monitor_goal *g) {
  json_t *o = json_object(), *rows = json_array();
  size_t i;
  int bad = !o || !rows;
  for (i = g->first_row; !bad && i < g->first_row + g->row_count; i++)
    bad |= json_array_append_new(rows, row_json(r, &r->rows[i]));
  if (!bad) {
    bad |= set(o, "goal", json_string(g->goal));
    bad |= set(o, "title", g->title ? json_string(g->title) : json_null());
    bad |= set(o, "rows", rows);
    rows = NULL;
  }
  json_decref(rows);
  if (bad) {
    json_decref(o);
    return NULL;
  }
  return o;
}

static json_t *tail_json(const struct gw_monitor_report *r) {
  json_t *legend = json_array(), *sources = json_array(), *o = json_object();
  size_t i;
  int bad = !legend || !sources || !o;
  for (i = 0; !bad && monitor_legend[i].marker; i++)
    bad |= json_array_append_new(
        legend, json_pack("{s:s, s:s}", "marker", monitor_legend[i].marker,
                          "meaning", monitor_legend[i].meaning));
  for (i = 0; !bad && i < r->source_count; i++) {
    const struct gw_monitor_source *s = &r->sources[i];
    bad |= json_array_append_new(
        sources,
        json_pack("{s:I, s:s, s:s, s:s, s:s, s:I}", "ref", (json_int_t)(i + 1),
                  "source_id", s->source_id, "plugin", s->plugin, "dataset",
                  s->dataset, "fetched_at", s->fetched_at, "cells",
                  (json_int_t)s->cells));
  }
  if (!bad) {
    bad |= set(o, "legend", legend);
    bad |= set(o, "sources", sources);
    legend = sources = NULL;
  }
  json_decref(legend);
  json_decref(sources);
  if (bad) {
    json_decref(o);
    return NULL;
  }
  return o;
}

/* Writes "key": value pairs of obj without the surrounding braces, so the
 * document can be assembled piece by piece. */
static int dump_members(json_t *obj, FILE *out, int *first) {
  const char *key;
  json_t *value;
  json_object_foreach(obj, key, value) {
    json_t *k = json_string(key);
    int rc;
    if (!k)
      return -1;
    rc = fputs(*first ? "\n  " : ",\n  ", out) == EOF ||
         json_dumpf(k, out, JSON_ENCODE_ANY) != 0 || fputs(": ", out) == EOF ||
         json_dumpf(value, out,
                    JSON_INDENT(2) | JSON_ENCODE_ANY |
                        JSON_REAL_PRECISION(15)) != 0;
    json_decref(k);
    if (rc)
      return -1;
    *first = 0;
  }
  return 0;
}

int monitor_write_json(const struct gw_monitor_report *r, FILE *out) {
  json_t *part = head_json(r);
  size_t g;
  int first = 1, rc = -1;
  if (!part || fputc('{', out) == EOF || dump_members(part, out, &first) != 0)
    goto out;
  json_decref(part);
  part = NULL;
  if (fputs(",\n  \"goals\": [", out) == EOF)
    goto out;
  for (g = 0; g < r->goal_count; g++) {
    part = goal_json(r, &r->goals[g]);
    if (!part || fputs(g ? ",\n" : "\n", out) == EOF ||
        json_dumpf(part, out, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) != 0)
      goto out;
    json_decref(part);
    part = NULL;
  }
  if (fputs("\n  ]", out) == EOF)
    goto out;
  part = tail_json(r);
  if (!part || dump_members(part, out, &first) != 0 ||
      fputs("\n}\n", out) == EOF)
    goto out;
  rc = 0;
out:
  json_decref(part);
  return rc;
}
