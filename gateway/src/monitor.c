/*
 * monitor.c - the monitor report model (monitor.h): rows per goal, one
 * chosen observation per werkelijk cell, targets per begroot cell.
 *
 * Source choice, when several observations fit one cell (the same
 * indicator, area, year and member from different sources, e.g. 3.1.4 from
 * cbs_odata and swing_ods): the one from the indicator's preferred_plugin
 * wins; otherwise, or between two of that plugin, the most recently
 * fetched; then the smaller source id, dataset and code, so the choice
 * never depends on the store's row order.
 */
#include "monitor.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gw_alloc.h"
#include "text.h"

#define MAX_QUERY_AREAS 16

const struct gw_monitor_legend monitor_legend[] = {
    {"68,6", "cijfer (decimale komma)"},
    {"(v)", "voorlopig cijfer: de bron kan het nog herzien"},
    {"NB", "geen data bekend: de bron levert voor dit jaar geen cijfer"},
    {"n.n.b.", "nog niet bekend: (nog) geen cijfer ontvangen van een bron"},
    {"N.v.t.", "niet van toepassing"},
    {"x", "geheimgehouden: te kleine aantallen om te publiceren"},
    {"-", "geen waarde (zoals in de Programmabegroting)"},
    {"[n]", "bron n in de bronnenlijst: bron, dataset en ophaaldatum"},
    {NULL, NULL}};

/* ---- formatting shared by the renderers ----------------------------- */

int monitor_format_number(double value, char *out, size_t size) {
  char buf[GW_MONITOR_DISPLAY_MAX], *dot;
  size_t len;
  if (!isfinite(value))
    return -1;
  if (value == 0.0)
    value = 0.0; /* no "-0" */
  if (text_format(buf, sizeof buf, "%.6f", value) != 0)
    return -1;
  dot = strchr(buf, '.');
  if (dot) {
    len = strlen(buf);
    while (len > 0 && buf[len - 1] == '0')
      buf[--len] = '\0';
    if (buf[len - 1] == '.')
      buf[--len] = '\0';
    else
      *dot = ',';
  }
  if (strcmp(buf, "-0") == 0)
    return text_copy(out, size, "0");
  return text_copy(out, size, buf);
}

const char *monitor_status_marker(gw_status status) {
  switch (status) {
  case GW_STATUS_NOT_YET_KNOWN:
    return "n.n.b.";
  case GW_STATUS_NOT_APPLICABLE:
  case GW_STATUS_IMPOSSIBLE:
    return "N.v.t.";
  case GW_STATUS_SUPPRESSED:
    return "x";
  case GW_STATUS_MISSING:
  default:
    return "NB";
  }
}

void monitor_column_heading(const struct gw_monitor_report *r,
                            const struct gw_monitor_column *c, char *out,
                            size_t size) {
  (void)text_format(out, size, "%s %s", c->begroot ? "Begroot" : "Werkelijk",
                    r->years[c->year]);
}

const struct gw_monitor_cell *
monitor_column_cell(const struct gw_monitor_row *row,
                    const struct gw_monitor_column *c) {
  return c->begroot ? &row->begroot[c->year] : &row->werkelijk[c->year];
}

void monitor_cell_text(const struct gw_monitor_cell *c, int refs, char *out,
                       size_t size) {
  char ref[32];
  (void)text_copy(out, size, c->display);
  if (c->kind == GW_CELL_OBSERVATION && c->has_value &&
      c->status == GW_STATUS_PROVISIONAL)
    (void)text_append(out, size, " (v)");
  if (refs && c->source_ref > 0) {
    (void)text_format(ref, sizeof ref, " [%zu]", c->source_ref);
    (void)text_append(out, size, ref);
  }
}

void monitor_member_text(const struct gw_monitor_row *row, char *out,
                         size_t size) {
  size_t i;
  out[0] = '\0';
  if (!row->member)
    return;
  for (i = 0; i < row->member->count; i++) {
    if (i > 0)
      (void)text_append(out, size, ", ");
    (void)text_append(out, size, row->member->items[i].dimension);
    (void)text_append(out, size, ": ");
    (void)text_append(out, size, row->member->items[i].member);
  }
}

int monitor_format_from_name(const char *name, gw_monitor_format *out) {
  static const struct {
    const char *name;
    gw_monitor_format format;
  } names[] = {{"text", GW_MONITOR_TEXT},
               {"json", GW_MONITOR_JSON},
               {"csv", GW_MONITOR_CSV},
               {"html", GW_MONITOR_HTML}};
  size_t i;
  for (i = 0; name && i < sizeof names / sizeof names[0]; i++) {
    if (strcmp(name, names[i].name) == 0) {
      *out = names[i].format;
      return 0;
    }
  }
  return -1;
}

int monitor_write(const struct gw_monitor_report *report,
                  gw_monitor_format format, FILE *out, char *err,
                  size_t err_size) {
  int rc;
  switch (format) {
  case GW_MONITOR_JSON:
    rc = monitor_write_json(report, out);
    break;
  case GW_MONITOR_CSV:
    rc = monitor_write_csv(report, out);
    break;
  case GW_MONITOR_HTML:
    rc = monitor_write_html(report, out);
    break;
  case GW_MONITOR_TEXT:
  default:
    rc = monitor_write_text(report, out);
    break;
  }
  if (rc == 0 && (fflush(out) != 0 || ferror(out)))
    rc = -1;
  if (rc != 0)
    (void)text_copy(err, err_size,
                    "cannot write the monitor report (disk full or out of "
                    "memory?)");
  return rc;
}

/* ---- building -------------------------------------------------------- */

struct builder {
  struct gw_monitor_report *r;
  const struct gw_catalogue *cat;
  const struct gw_targets *targets;
  char *err;
  size_t err_size;
};

static int check_options(const struct gw_monitor_options *opt, char *err,
                         size_t err_size) {
  size_t i, j, k;
  if (!opt->municipality || !opt->municipality[0] ||
      strlen(opt->municipality) >= GW_AREA_MAX) {
    (void)text_copy(err, err_size,
                    "monitor: expected an area code such as GM0384");
    return -1;
  }
  if (opt->year_count == 0 || opt->year_count > GW_MONITOR_MAX_YEARS) {
    (void)text_format(err, err_size, "monitor: expected 1 to %d years",
                      GW_MONITOR_MAX_YEARS);
    return -1;
  }
  for (i = 0; i < opt->year_count; i++) {
    const char *y = opt->years[i];
    for (k = 0; y && k < 4 && y[k] >= '0' && y[k] <= '9'; k++)
      ;
    if (!y || k != 4 || y[4] != '\0') {
      (void)text_format(err, err_size,
                        "monitor: year \"%.32s\" is not a year such as 2021",
                        y ? y : "");
      return -1;
    }
    for (j = 0; j < i; j++) {
      if (strcmp(opt->years[j], y) == 0) {
        (void)text_format(err, err_size, "monitor: year %s is given twice", y);
        return -1;
      }
    }
  }
  return 0;
}

static size_t rows_of(const struct gw_catalogue *cat,
                      const struct gw_indicator *ind) {
  size_t n = catalogue_member_count(cat, ind);
  return n ? n : 1;
}

/* Goal codes in report order: the catalogue's goals first, then any goal
 * an indicator names that the catalogue does not title. */
static size_t collect_goals(const struct gw_catalogue *cat, const char **codes,
                            size_t max) {
  size_t n = 0, i, j;
  for (i = 0; i < catalogue_goal_count(cat) && n < max; i++)
    codes[n++] = catalogue_goal_at(cat, i)->goal;
  for (i = 0; i < catalogue_count(cat) && n < max; i++) {
    const char *g = catalogue_at(cat, i)->goal;
    int seen = 0;
    for (j = 0; j < n && !seen; j++)
      seen = strcmp(codes[j], g) == 0;
    if (!seen)
      codes[n++] = g;
  }
  return n;
}

static void fill_begroot(struct builder *b, struct gw_monitor_row *row) {
  size_t y;
  const struct gw_breakdown_item *items =
      row->member ? row->member->items : NULL;
  size_t count = row->member ? row->member->count : 0;
  for (y = 0; y < b->r->year_count; y++) {
    struct gw_monitor_cell *c = &row->begroot[y];
    const struct gw_target *t = targets_find(b->targets, row->indicator->id,
                                             items, count, b->r->years[y]);
    if (!t)
      continue;
    c->kind = GW_CELL_TARGET;
    c->note = t->note;
    if (t->has_value) {
      c->has_value = 1;
      c->value = t->value;
      if (monitor_format_number(t->value, c->display, sizeof c->display) != 0)
        (void)text_copy(c->display, sizeof c->display, "?");
    } else {
      (void)text_copy(c->display, sizeof c->display, t->marker);
    }
  }
}

static int layout_rows(struct builder *b) {
  const struct gw_catalogue *cat = b->cat;
  const char *codes[64];
  size_t ngoals = collect_goals(cat, codes, 64), total = 0, g, i, m;
  struct gw_monitor_report *r = b->r;

  for (i = 0; i < catalogue_count(cat); i++)
    total += rows_of(cat, catalogue_at(cat, i));
  r->rows = gw_calloc(total ? total : 1, sizeof *r->rows);
  r->goals = gw_calloc(ngoals ? ngoals : 1, sizeof *r->goals);
  if (!r->rows || !r->goals) {
    (void)text_copy(b->err, b->err_size, "monitor: out of memory");
    return -1;
  }
  for (g = 0; g < ngoals; g++) {
    struct gw_monitor_goal *goal = &r->goals[r->goal_count];
    goal->goal = codes[g];
    goal->title = catalogue_goal_title(cat, codes[g]);
    goal->first_row = r->row_count;
    for (i = 0; i < catalogue_count(cat); i++) {
      const struct gw_indicator *ind = catalogue_at(cat, i);
      if (strcmp(ind->goal, codes[g]) != 0)
        continue;
      for (m = 0; m < rows_of(cat, ind); m++) {
        struct gw_monitor_row *row = &r->rows[r->row_count++];
        row->indicator = ind;
        row->member = catalogue_member_at(cat, ind, m);
        row->title = row->member ? row->member->title : ind->title;
        (void)text_copy(row->area, sizeof row->area,
                        ind->area ? ind->area : r->municipality);
        fill_begroot(b, row);
      }
    }
    goal->row_count = r->row_count - goal->first_row;
    if (goal->row_count > 0)
      r->goal_count++;
  }
  return 0;
}

/* ---- observations into cells ----------------------------------------- */

static int year_index(const struct gw_monitor_report *r, const char *period) {
  size_t y;
  for (y = 0; y < r->year_count; y++) {
    if (strcmp(r->years[y], period) == 0)
      return (int)y;
  }
  return -1;
}

/* 1 when obj holds exactly the items of a and of b (disjoint lists). */
static int breakdown_is(json_t *obj, const struct gw_breakdown_item *a,
                        size_t na, const struct gw_breakdown_item *b,
                        size_t nb) {
  size_t i;
  if (json_object_size(obj) != na + nb)
    return 0;
  for (i = 0; i < na + nb; i++) {
    const struct gw_breakdown_item *it = i < na ? &a[i] : &b[i - na];
    json_t *v = json_object_get(obj, it->dimension);
    if (!json_is_string(v) || strcmp(json_string_value(v), it->member) != 0)
      return 0;
  }
  return 1;
}

/* 1 when the observation should replace the cell's current choice. */
static int is_better(const struct gw_observation *o,
                     const struct gw_monitor_cell *c,
                     const struct gw_indicator *ind) {
  int c_pref, o_pref, cmp;
  if (c->kind != GW_CELL_OBSERVATION)
    return 1;
  o_pref =
      ind->preferred_plugin && strcmp(o->plugin, ind->preferred_plugin) == 0;
  c_pref =
      ind->preferred_plugin && strcmp(c->plugin, ind->preferred_plugin) == 0;
  if (o_pref != c_pref)
    return o_pref;
  cmp = strcmp(o->fetched_at, c->fetched_at);
  if (cmp != 0)
    return cmp > 0;
  cmp = strcmp(o->source_id, c->source_id);
  if (cmp == 0)
    cmp = strcmp(o->dataset, c->dataset);
  if (cmp == 0)
    cmp = strcmp(o->source_code, c->source_code);
  return cmp < 0;
}

static void take_observation(struct gw_monitor_cell *c,
                             const struct gw_observation *o) {
  size_t alternatives =
      c->kind == GW_CELL_OBSERVATION ? c->alternatives + 1 : 0;
  memset(c, 0, sizeof *c);
  c->kind = GW_CELL_OBSERVATION;
  c->alternatives = alternatives;
  c->status = o->status;
  (void)text_copy(c->source_id, sizeof c->source_id, o->source_id);
  (void)text_copy(c->plugin, sizeof c->plugin, o->plugin);
  (void)text_copy(c->dataset, sizeof c->dataset, o->dataset);
  (void)text_copy(c->source_code, sizeof c->source_code, o->source_code);
  (void)text_copy(c->fetched_at, sizeof c->fetched_at, o->fetched_at);
  if (o->has_value &&
      (o->status == GW_STATUS_FINAL || o->status == GW_STATUS_PROVISIONAL ||
       o->status == GW_STATUS_REVISED) &&
      monitor_format_number(o->value, c->display, sizeof c->display) == 0) {
    c->has_value = 1;
    c->value = o->value;
  } else {
    (void)text_copy(c->display, sizeof c->display,
                    monitor_status_marker(o->status));
  }
}

static void offer(struct builder *b, struct gw_monitor_row *row, int y,
                  const struct gw_observation *o) {
  struct gw_monitor_cell *c = &row->werkelijk[y];
  if (is_better(o, c, row->indicator)) {
    take_observation(c, o);
  } else {
    c->alternatives++;
  }
  (void)b;
}

static int on_observation(const struct gw_observation *o, void *user) {
  struct builder *b = user;
  struct gw_monitor_report *r = b->r;
  const struct gw_source_mapping *map;
  const struct gw_breakdown_item *extra = NULL;
  size_t extra_count = 0, i;
  json_t *bd;
  int y = year_index(r, o->period);

  if (y < 0) /* quarters and months are not in the yearly report */
    return 0;
  map = catalogue_lookup(b->cat, o->plugin, o->dataset, o->source_code);
  if (map && strcmp(map->indicator, o->indicator) == 0) {
    extra = map->monitor_breakdown;
    extra_count = map->monitor_breakdown_count;
  }
  bd = json_loads(o->breakdown, 0, NULL);
  if (!json_is_object(bd)) {
    json_decref(bd);
    return 0;
  }
  for (i = 0; i < r->row_count; i++) {
    struct gw_monitor_row *row = &r->rows[i];
    if (strcmp(row->indicator->id, o->indicator) != 0 ||
        strcmp(row->area, o->area) != 0)
      continue;
    if (breakdown_is(bd, row->member ? row->member->items : NULL,
                     row->member ? row->member->count : 0, extra, extra_count))
      offer(b, row, y, o);
  }
  json_decref(bd);
  return 0;
}

static int read_store(struct builder *b, struct gw_store *store) {
  struct gw_monitor_report *r = b->r;
  const char *areas[MAX_QUERY_AREAS + 1];
  size_t n = 0, i, j, y;
  const char *from = r->years[0], *to = r->years[0];
  struct gw_query q;
  char err[GW_ERR_MAX];

  areas[n++] = r->municipality;
  for (i = 0; i < r->row_count && n < MAX_QUERY_AREAS; i++) {
    int seen = 0;
    for (j = 0; j < n && !seen; j++)
      seen = strcmp(areas[j], r->rows[i].area) == 0;
    if (!seen)
      areas[n++] = r->rows[i].area;
  }
  areas[n] = NULL;
  for (y = 1; y < r->year_count; y++) {
    if (strcmp(r->years[y], from) < 0)
      from = r->years[y];
    if (strcmp(r->years[y], to) > 0)
      to = r->years[y];
  }
  q = (struct gw_query){.indicators = NULL,
                        .areas = areas,
                        .period_from = from,
                        .period_to = to,
                        .as_of = NULL};
  if (store_query(store, &q, on_observation, b, err, sizeof err) != 0) {
    (void)text_format(b->err, b->err_size, "monitor: %s", err);
    return -1;
  }
  return 0;
}

/* ---- finishing -------------------------------------------------------- */

static void finish_werkelijk(struct builder *b, struct gw_monitor_row *row) {
  size_t y;
  const struct gw_breakdown_item *items =
      row->member ? row->member->items : NULL;
  size_t count = row->member ? row->member->count : 0;
  for (y = 0; y < b->r->year_count; y++) {
    struct gw_monitor_cell *c = &row->werkelijk[y];
    const struct gw_target *d;
    if (c->has_value)
      continue; /* a figure from a source is never hidden */
    d = targets_find_werkelijk(b->targets, row->indicator->id, items, count,
                               b->r->years[y]);
    if (d) {
      memset(c, 0, sizeof *c);
      c->kind = GW_CELL_DECLARED;
      c->note = d->note;
      (void)text_copy(c->display, sizeof c->display, d->marker);
    } else if (c->kind == GW_CELL_NONE) {
      (void)text_copy(c->display, sizeof c->display,
                      monitor_status_marker(GW_STATUS_NOT_YET_KNOWN));
    }
  }
}

/* Sources are listed per (source, plugin, dataset, fetch day): the pages
 * of one run carry fetch times milliseconds apart, and a reader wants one
 * entry per source and day. The entry keeps the latest fetch time. */
static size_t source_ref(struct gw_monitor_report *r,
                         const struct gw_monitor_cell *c) {
  size_t i;
  struct gw_monitor_source *s;
  for (i = 0; i < r->source_count; i++) {
    s = &r->sources[i];
    if (strcmp(s->source_id, c->source_id) == 0 &&
        strcmp(s->plugin, c->plugin) == 0 &&
        strcmp(s->dataset, c->dataset) == 0 &&
        strncmp(s->fetched_at, c->fetched_at, 10) == 0) {
      s->cells++;
      if (strcmp(c->fetched_at, s->fetched_at) > 0)
        (void)text_copy(s->fetched_at, sizeof s->fetched_at, c->fetched_at);
      return i + 1;
    }
  }
  s = &r->sources[r->source_count++];
  (void)text_copy(s->source_id, sizeof s->source_id, c->source_id);
  (void)text_copy(s->plugin, sizeof s->plugin, c->plugin);
  (void)text_copy(s->dataset, sizeof s->dataset, c->dataset);
  (void)text_copy(s->fetched_at, sizeof s->fetched_at, c->fetched_at);
  s->cells = 1;
  return r->source_count;
}

static int finish(struct builder *b) {
  struct gw_monitor_report *r = b->r;
  size_t i, y;
  int shown_w[GW_MONITOR_MAX_YEARS] = {0}, shown_b[GW_MONITOR_MAX_YEARS] = {0};

  r->sources = gw_calloc(r->row_count * r->year_count + 1, sizeof *r->sources);
  if (!r->sources) {
    (void)text_copy(b->err, b->err_size, "monitor: out of memory");
    return -1;
  }
  for (i = 0; i < r->row_count; i++) {
    struct gw_monitor_row *row = &r->rows[i];
    finish_werkelijk(b, row);
    for (y = 0; y < r->year_count; y++) {
      if (row->werkelijk[y].kind == GW_CELL_OBSERVATION)
        row->werkelijk[y].source_ref = source_ref(r, &row->werkelijk[y]);
      shown_w[y] |= row->werkelijk[y].kind != GW_CELL_NONE;
      shown_b[y] |= row->begroot[y].kind != GW_CELL_NONE;
    }
  }
  /* werkelijk columns first, then begroot, each in year order: the layout
   * of the Programmabegroting (realised years, then budget years). */
  for (y = 0; y < r->year_count; y++) {
    if (shown_w[y])
      r->columns[r->column_count++] = (struct gw_monitor_column){0, y};
  }
  for (y = 0; y < r->year_count; y++) {
    if (shown_b[y])
      r->columns[r->column_count++] = (struct gw_monitor_column){1, y};
  }
  return 0;
}

static int compare_years(const void *a, const void *b) {
  return strcmp((const char *)a, (const char *)b);
}

int monitor_build(struct gw_store *store, const struct gw_catalogue *cat,
                  const struct gw_targets *targets,
                  const struct gw_monitor_options *opt,
                  struct gw_monitor_report **out, char *err, size_t err_size) {
  struct builder b = {NULL, cat, targets, err, err_size};
  size_t y;
  int rc = -1;

  if (err && err_size)
    err[0] = '\0';
  if (!store || !cat || !opt || !out) {
    (void)text_copy(err, err_size, "monitor: missing store or catalogue");
    return -1;
  }
  *out = NULL;
  if (check_options(opt, err, err_size) != 0)
    return -1;
  b.r = gw_calloc(1, sizeof *b.r);
  if (!b.r) {
    (void)text_copy(err, err_size, "monitor: out of memory");
    return -1;
  }
  (void)text_copy(b.r->title, sizeof b.r->title, "Monitor Samen Diemen");
  (void)text_copy(b.r->municipality, sizeof b.r->municipality,
                  opt->municipality);
  (void)text_copy(b.r->generated_at, sizeof b.r->generated_at,
                  opt->generated_at ? opt->generated_at : "");
  b.r->targets_path = targets_path(targets);
  for (y = 0; y < opt->year_count; y++)
    (void)text_copy(b.r->years[y], sizeof b.r->years[y], opt->years[y]);
  b.r->year_count = opt->year_count;
  qsort(b.r->years, b.r->year_count, sizeof b.r->years[0], compare_years);
  if (layout_rows(&b) != 0 || read_store(&b, store) != 0 || finish(&b) != 0)
    goto out;
  *out = b.r;
  b.r = NULL;
  rc = 0;
out:
  monitor_free(b.r);
  return rc;
}

void monitor_free(struct gw_monitor_report *report) {
  if (!report)
    return;
  gw_free(report->rows);
  gw_free(report->goals);
  gw_free(report->sources);
  gw_free(report);
}
