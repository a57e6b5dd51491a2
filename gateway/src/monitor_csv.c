/*
 * monitor_csv.c - the monitor report as CSV in the feeds' Excel-friendly
 * dialect: UTF-8 byte order mark, ';' between cells, decimal comma, CRLF,
 * RFC 4180 quoting. One line per cell (row x year x werkelijk/begroot), so
 * a spreadsheet can pivot it; every year appears in both kinds.
 */
#include "monitor.h"

#include <string.h>

#include "text.h"

#define UTF8_BOM "\xEF\xBB\xBF"

static const char *const header[] = {
    "doel",     "code",      "indicator",   "titel",  "onderdeel",
    "gebied",   "eenheid",   "soort",       "jaar",   "weergave",
    "waarde",   "status",    "bron",        "plugin", "dataset",
    "broncode", "opgehaald", "toelichting", NULL};

static int field(FILE *out, const char *s, int first) {
  const char *p;
  int quote = strpbrk(s, ";\"\r\n") != NULL;
  if (!first && fputc(';', out) == EOF)
    return -1;
  if (!quote)
    return fputs(s, out) == EOF ? -1 : 0;
  if (fputc('"', out) == EOF)
    return -1;
  for (p = s; *p; p++) {
    if ((*p == '"' && fputc('"', out) == EOF) || fputc(*p, out) == EOF)
      return -1;
  }
  return fputc('"', out) == EOF ? -1 : 0;
}

static int write_cell(FILE *out, const struct gw_monitor_report *r,
                      const struct gw_monitor_goal *g,
                      const struct gw_monitor_row *row, const char *kind,
                      const char *year, const struct gw_monitor_cell *c) {
  char member[512], value[GW_MONITOR_DISPLAY_MAX];
  int obs = c->kind == GW_CELL_OBSERVATION;
  const char *cells[18];
  size_t i;
  monitor_member_text(row, member, sizeof member);
  value[0] = '\0';
  if (c->has_value && monitor_format_number(c->value, value, sizeof value) != 0)
    value[0] = '\0';
  cells[0] = g->goal;
  cells[1] = row->indicator->code;
  cells[2] = row->indicator->id;
  cells[3] = row->title;
  cells[4] = member;
  cells[5] = row->area;
  cells[6] = row->indicator->unit;
  cells[7] = kind;
  cells[8] = year;
  cells[9] = c->display;
  cells[10] = value;
  cells[11] = obs ? status_name(c->status) : "";
  cells[12] = obs ? c->source_id : (c->kind == GW_CELL_NONE ? "" : "targets");
  cells[13] = obs ? c->plugin : "";
  cells[14] = obs ? c->dataset : "";
  cells[15] = obs ? c->source_code : "";
  cells[16] = obs ? c->fetched_at : "";
  cells[17] = c->note ? c->note : "";
  (void)r;
  for (i = 0; i < 18; i++) {
    if (field(out, cells[i], i == 0) != 0)
      return -1;
  }
  return fputs("\r\n", out) == EOF ? -1 : 0;
}

int monitor_write_csv(const struct gw_monitor_report *r, FILE *out) {
  size_t i, g, row, y;
  if (fputs(UTF8_BOM, out) == EOF)
    return -1;
  for (i = 0; header[i]; i++) {
    if (field(out, header[i], i == 0) != 0)
      return -1;
  }
  if (fputs("\r\n", out) == EOF)
    return -1;
  for (g = 0; g < r->goal_count; g++) {
    const struct gw_monitor_goal *goal = &r->goals[g];
    for (row = goal->first_row; row < goal->first_row + goal->row_count;
         row++) {
      for (y = 0; y < r->year_count; y++) {
        if (write_cell(out, r, goal, &r->rows[row], "werkelijk", r->years[y],
                       &r->rows[row].werkelijk[y]) != 0 ||
            write_cell(out, r, goal, &r->rows[row], "begroot", r->years[y],
                       &r->rows[row].begroot[y]) != 0)
          return -1;
      }
    }
  }
  return 0;
}
