/*
 * monitor_html.c - the monitor report as one self-contained HTML page for
 * policy advisers: inline CSS (screen and print), no scripts, no external
 * assets, a table per goal laid out like the Programmabegroting
 * ("Indicator | Werkelijk 2020 | ... | Begroot 2023"), a legend and the
 * list of sources the cells cite. Every text from the store, catalogue or
 * targets file is HTML-escaped. Only elements HTML 4 already had (div, not
 * section/header/time), so strict checkers such as libxml2's HTML parser
 * accept the page as well as browsers do.
 */
#include "monitor.h"

#include <string.h>

#include "text.h"

static const char style[] =
    "body{font-family:\"Segoe UI\",Arial,Helvetica,sans-serif;color:#1a1a1a;"
    "margin:2rem auto;max-width:72rem;padding:0 1rem;line-height:1.4}\n"
    "h1{font-size:1.6rem;margin:0 0 .25rem}\n"
    "h2{font-size:1.15rem;margin:2rem 0 .5rem;color:#00406b}\n"
    ".meta{color:#555;margin:0 0 1rem}\n"
    "table{border-collapse:collapse;width:100%;font-size:.92rem}\n"
    "caption{text-align:left;font-weight:600;padding:.25rem 0}\n"
    "th,td{border-bottom:1px solid #d0d7de;padding:.35rem .5rem;"
    "vertical-align:top}\n"
    "thead th{background:#e8f0f7;text-align:left;border-bottom:2px solid "
    "#00406b}\n"
    "tbody th{font-weight:normal;text-align:left}\n"
    "td.code{white-space:nowrap;color:#333}\n"
    ".num{text-align:right;white-space:nowrap}\n"
    ".marker{color:#666;font-style:italic}\n"
    ".area{color:#666;font-size:.85em}\n"
    "sup.ref{font-size:.7em;margin-left:.15em}\n"
    "sup.ref a{color:#00406b;text-decoration:none}\n"
    "ul.notes{font-size:.85rem;color:#333;margin:.5rem 0 0;padding-left:"
    "1.2rem}\n"
    "dl.legend{display:grid;grid-template-columns:max-content auto;gap:"
    ".2rem 1rem;font-size:.9rem}\n"
    "dl.legend dt{font-weight:600}\n"
    "dl.legend dd{margin:0}\n"
    "ol.sources{font-size:.9rem}\n"
    ".foot{margin-top:2rem;color:#777;font-size:.8rem}\n"
    "@media print{body{margin:0;max-width:none;font-size:9.5pt}"
    "h2{break-after:avoid;page-break-after:avoid}"
    "div.goal{break-inside:auto}"
    "tr{break-inside:avoid;page-break-inside:avoid}"
    "thead{display:table-header-group}"
    "thead th{background:none}"
    "a{color:inherit}"
    "@page{size:A4 landscape;margin:12mm}}\n";

static int put(FILE *out, const char *s) {
  return fputs(s, out) == EOF ? -1 : 0;
}

/* Escapes &, <, >, " and ' so text is safe in element content and in
 * quoted attribute values. */
static int esc(FILE *out, const char *s) {
  for (; *s; s++) {
    const char *rep = NULL;
    switch (*s) {
    case '&':
      rep = "&amp;";
      break;
    case '<':
      rep = "&lt;";
      break;
    case '>':
      rep = "&gt;";
      break;
    case '"':
      rep = "&quot;";
      break;
    case '\'':
      rep = "&#39;";
      break;
    default:
      break;
    }
    if (rep ? fputs(rep, out) == EOF : fputc(*s, out) == EOF)
      return -1;
  }
  return 0;
}

static int write_cell(FILE *out, const struct gw_monitor_cell *c) {
  int marker = !c->has_value;
  if (put(out, marker ? "<td class=\"num marker\">" : "<td class=\"num\">") ||
      esc(out, c->display))
    return -1;
  if (c->kind == GW_CELL_OBSERVATION && c->has_value &&
      c->status == GW_STATUS_PROVISIONAL &&
      put(out, " <abbr title=\"voorlopig\">(v)</abbr>"))
    return -1;
  if (c->source_ref > 0 &&
      fprintf(out, "<sup class=\"ref\"><a href=\"#bron-%zu\">[%zu]</a></sup>",
              c->source_ref, c->source_ref) < 0)
    return -1;
  return put(out, "</td>");
}

static int write_row(FILE *out, const struct gw_monitor_report *r,
                     const struct gw_monitor_row *row) {
  size_t k;
  if (put(out, "<tr><td class=\"code\">") || esc(out, row->indicator->code) ||
      put(out, "</td><th scope=\"row\">") || esc(out, row->title))
    return -1;
  if (strcmp(row->area, r->municipality) != 0 &&
      (put(out, " <span class=\"area\">(") || esc(out, row->area) ||
       put(out, ")</span>")))
    return -1;
  if (put(out, "</th>"))
    return -1;
  for (k = 0; k < r->column_count; k++) {
    if (write_cell(out, monitor_column_cell(row, &r->columns[k])) != 0)
      return -1;
  }
  return put(out, "</tr>\n");
}

static int write_notes(FILE *out, const struct gw_monitor_report *r,
                       const struct gw_monitor_goal *g) {
  size_t i, k;
  int open = 0;
  char heading[64];
  const char *last_note = NULL, *last_code = NULL;
  for (i = g->first_row; i < g->first_row + g->row_count; i++) {
    const struct gw_monitor_row *row = &r->rows[i];
    for (k = 0; k < r->column_count; k++) {
      const struct gw_monitor_cell *c =
          monitor_column_cell(row, &r->columns[k]);
      if (!c->note || (last_note && strcmp(last_note, c->note) == 0 &&
                       strcmp(last_code, row->indicator->code) == 0))
        continue; /* members sharing one note print it once */
      last_note = c->note;
      last_code = row->indicator->code;
      if (!open && put(out, "<ul class=\"notes\">\n"))
        return -1;
      open = 1;
      monitor_column_heading(r, &r->columns[k], heading, sizeof heading);
      if (put(out, "<li>") || esc(out, row->indicator->code) || put(out, " ") ||
          esc(out, heading) || put(out, ": ") || esc(out, c->note) ||
          put(out, "</li>\n"))
        return -1;
    }
  }
  return open ? put(out, "</ul>\n") : 0;
}

static int write_goal(FILE *out, const struct gw_monitor_report *r,
                      const struct gw_monitor_goal *g) {
  char heading[64];
  size_t k, i;
  if (put(out, "<div class=\"goal\">\n<h2>Doel ") || esc(out, g->goal) ||
      put(out, ". ") ||
      esc(out, g->title ? g->title : "(geen titel in de catalogus)") ||
      put(out, "</h2>\n<table>\n<caption>Prestatie-indicatoren doel ") ||
      esc(out, g->goal) ||
      put(out, "</caption>\n<thead><tr><th scope=\"col\">Code</th>"
               "<th scope=\"col\">Indicator</th>"))
    return -1;
  for (k = 0; k < r->column_count; k++) {
    monitor_column_heading(r, &r->columns[k], heading, sizeof heading);
    if (put(out, "<th scope=\"col\" class=\"num\">") || esc(out, heading) ||
        put(out, "</th>"))
      return -1;
  }
  if (put(out, "</tr></thead>\n<tbody>\n"))
    return -1;
  for (i = g->first_row; i < g->first_row + g->row_count; i++) {
    if (write_row(out, r, &r->rows[i]) != 0)
      return -1;
  }
  if (put(out, "</tbody>\n</table>\n") || write_notes(out, r, g) ||
      put(out, "</div>\n"))
    return -1;
  return 0;
}

static int write_tail(FILE *out, const struct gw_monitor_report *r) {
  size_t i;
  if (put(out,
          "<div class=\"part\">\n<h2>Legenda</h2>\n<dl class=\"legend\">\n"))
    return -1;
  for (i = 0; monitor_legend[i].marker; i++) {
    if (put(out, "<dt>") || esc(out, monitor_legend[i].marker) ||
        put(out, "</dt><dd>") || esc(out, monitor_legend[i].meaning) ||
        put(out, "</dd>\n"))
      return -1;
  }
  if (put(out, "</dl>\n</div>\n<div class=\"part\">\n<h2>Bronnen</h2>\n"))
    return -1;
  if (r->source_count == 0 &&
      put(out, "<p>Er staan nog geen cijfers in de opslag.</p>\n"))
    return -1;
  if (r->source_count > 0 && put(out, "<ol class=\"sources\">\n"))
    return -1;
  for (i = 0; i < r->source_count; i++) {
    const struct gw_monitor_source *s = &r->sources[i];
    if (fprintf(out, "<li id=\"bron-%zu\">", i + 1) < 0 ||
        esc(out, s->source_id) || put(out, " (plugin ") ||
        esc(out, s->plugin) || put(out, ", dataset ") || esc(out, s->dataset) ||
        put(out, "), opgehaald <span title=\"") || esc(out, s->fetched_at) ||
        put(out, "\">") || esc(out, s->fetched_at) ||
        put(out, "</span></li>\n"))
      return -1;
  }
  if (r->source_count > 0 && put(out, "</ol>\n"))
    return -1;
  if (put(out, "<p>Begroot: ") ||
      esc(out, r->targets_path ? r->targets_path
                               : "geen streefwaarden ingesteld (config: "
                                 "targets)") ||
      put(out, "</p>\n</div>\n"))
    return -1;
  return 0;
}

int monitor_write_html(const struct gw_monitor_report *r, FILE *out) {
  size_t g;
  if (put(out, "<!DOCTYPE html>\n<html lang=\"nl\">\n<head>\n<meta "
               "charset=\"utf-8\">\n<meta name=\"viewport\" "
               "content=\"width=device-width, initial-scale=1\">\n<title>") ||
      esc(out, r->title) || put(out, "</title>\n<style>\n") ||
      put(out, style) ||
      put(out, "</style>\n</head>\n<body>\n<div class=\"head\">\n<h1>") ||
      esc(out, r->title) || put(out, "</h1>\n<p class=\"meta\">Gemeente ") ||
      esc(out, r->municipality) ||
      put(out, " &middot; gemaakt op <span title=\"") ||
      esc(out, r->generated_at) || put(out, "\">") ||
      esc(out, r->generated_at) ||
      put(out, "</span></p>\n</div>\n<div class=\"main\">\n"))
    return -1;
  for (g = 0; g < r->goal_count; g++) {
    if (write_goal(out, r, &r->goals[g]) != 0)
      return -1;
  }
  if (write_tail(out, r) != 0 ||
      put(out, "</div>\n<div class=\"foot\">Gemaakt door de indicator-gateway "
               "(gateway monitor). Werkelijk: de actuele cijfers uit de "
               "opslag; begroot: de streefwaarden uit het "
               "doelenbestand.</div>\n</body>\n</html>\n"))
    return -1;
  return 0;
}
