/*
 * monitor_text.c - the monitor report as aligned plain-text tables, one per
 * goal, for a terminal or an e-mail. Widths count UTF-8 characters, not
 * bytes, so "creëren" lines up.
 */
#include "monitor.h"

#include <string.h>

#include "text.h"

#define CODE_WIDTH 7
#define TITLE_WIDTH 56
#define CELL_TEXT_MAX 128

static size_t utf8_width(const char *s) {
  size_t n = 0;
  for (; *s; s++) {
    if (((unsigned char)*s & 0xC0u) != 0x80u)
      n++;
  }
  return n;
}

/* s cut to at most width characters (with "…" when cut), at a character
 * boundary. */
static void fit(const char *s, size_t width, char *out, size_t size) {
  size_t chars = 0, i;
  if (utf8_width(s) <= width) {
    (void)text_copy(out, size, s);
    return;
  }
  for (i = 0; s[i]; i++) {
    if (((unsigned char)s[i] & 0xC0u) != 0x80u) {
      if (chars == width - 1)
        break;
      chars++;
    }
  }
  if (i + 4 > size)
    i = size > 4 ? size - 4 : 0;
  memcpy(out, s, i);
  out[i] = '\0';
  (void)text_append(out, size, "\xE2\x80\xA6");
}

/* The row's title fitted to the column; a member row keeps its member
 * ("(0 jaar)") and a row about another area its area visible. */
static void row_title(const struct gw_monitor_report *r,
                      const struct gw_monitor_row *row, char *out,
                      size_t size) {
  char suffix[CELL_TEXT_MAX], base[CELL_TEXT_MAX * 4];
  size_t i, sw, blen;
  suffix[0] = '\0';
  if (row->member) {
    (void)text_append(suffix, sizeof suffix, " (");
    for (i = 0; i < row->member->count; i++) {
      if (i > 0)
        (void)text_append(suffix, sizeof suffix, ", ");
      (void)text_append(suffix, sizeof suffix, row->member->items[i].member);
    }
    (void)text_append(suffix, sizeof suffix, ")");
  }
  if (strcmp(row->area, r->municipality) != 0) {
    (void)text_append(suffix, sizeof suffix, " [");
    (void)text_append(suffix, sizeof suffix, row->area);
    (void)text_append(suffix, sizeof suffix, "]");
  }
  if (text_copy(base, sizeof base, row->title) != 0)
    (void)text_copy(base, sizeof base, row->indicator->title);
  blen = strlen(base);
  if (row->member && text_ends_with(base, suffix))
    base[blen - strlen(suffix)] = '\0';
  sw = utf8_width(suffix);
  fit(base, TITLE_WIDTH - 1 > sw + 8 ? TITLE_WIDTH - 1 - sw : 8, out, size);
  (void)text_append(out, size, suffix);
}

static int pad(FILE *out, const char *s, size_t width) {
  size_t w = utf8_width(s);
  if (fputs(s, out) == EOF)
    return -1;
  for (; w < width; w++) {
    if (fputc(' ', out) == EOF)
      return -1;
  }
  return 0;
}

static size_t column_width(const struct gw_monitor_report *r,
                           const struct gw_monitor_column *c) {
  char buf[CELL_TEXT_MAX];
  size_t i, w;
  monitor_column_heading(r, c, buf, sizeof buf);
  w = utf8_width(buf);
  for (i = 0; i < r->row_count; i++) {
    monitor_cell_text(monitor_column_cell(&r->rows[i], c), 1, buf, sizeof buf);
    if (utf8_width(buf) > w)
      w = utf8_width(buf);
  }
  return w;
}

static int write_notes(const struct gw_monitor_report *r,
                       const struct gw_monitor_goal *g, FILE *out) {
  size_t i, k;
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
      monitor_column_heading(r, &r->columns[k], heading, sizeof heading);
      if (fprintf(out, "  * %s %s: %s\n", row->indicator->code, heading,
                  c->note) < 0)
        return -1;
    }
  }
  return 0;
}

static int write_goal(const struct gw_monitor_report *r,
                      const struct gw_monitor_goal *g, const size_t *widths,
                      FILE *out) {
  char buf[CELL_TEXT_MAX * 4];
  size_t i, k;
  if (fprintf(out, "\nDoel %s - %s\n\n", g->goal,
              g->title ? g->title : "(geen titel in de catalogus)") < 0)
    return -1;
  if (pad(out, "Code", CODE_WIDTH + 1) || pad(out, "Indicator", TITLE_WIDTH))
    return -1;
  for (k = 0; k < r->column_count; k++) {
    monitor_column_heading(r, &r->columns[k], buf, sizeof buf);
    if (fputs("  ", out) == EOF || pad(out, buf, widths[k]))
      return -1;
  }
  if (fputc('\n', out) == EOF)
    return -1;
  for (i = g->first_row; i < g->first_row + g->row_count; i++) {
    const struct gw_monitor_row *row = &r->rows[i];
    row_title(r, row, buf, sizeof buf);
    if (pad(out, row->indicator->code, CODE_WIDTH + 1) ||
        pad(out, buf, TITLE_WIDTH))
      return -1;
    for (k = 0; k < r->column_count; k++) {
      monitor_cell_text(monitor_column_cell(row, &r->columns[k]), 1, buf,
                        sizeof buf);
      if (fputs("  ", out) == EOF ||
          pad(out, buf, k + 1 < r->column_count ? widths[k] : 0))
        return -1;
    }
    if (fputc('\n', out) == EOF)
      return -1;
  }
  return write_notes(r, g, out);
}

int monitor_write_text(const struct gw_monitor_report *r, FILE *out) {
  size_t widths[2 * GW_MONITOR_MAX_YEARS], k, g, i;
  if (fprintf(out, "%s\nGemeente %s, gemaakt %s\n", r->title, r->municipality,
              r->generated_at) < 0)
    return -1;
  if (fprintf(out, "Begroot: %s\n",
              r->targets_path ? r->targets_path
                              : "geen streefwaarden ingesteld (config: "
                                "targets)") < 0)
    return -1;
  for (k = 0; k < r->column_count; k++)
    widths[k] = column_width(r, &r->columns[k]);
  for (g = 0; g < r->goal_count; g++) {
    if (write_goal(r, &r->goals[g], widths, out) != 0)
      return -1;
  }
  if (fputs("\nLegenda\n", out) == EOF)
    return -1;
  for (i = 0; monitor_legend[i].marker; i++) {
    if (fprintf(out, "  %-8s %s\n", monitor_legend[i].marker,
                monitor_legend[i].meaning) < 0)
      return -1;
  }
  if (fputs("\nBronnen\n", out) == EOF)
    return -1;
  if (r->source_count == 0 &&
      fputs("  (geen cijfers in de opslag)\n", out) == EOF)
    return -1;
  for (i = 0; i < r->source_count; i++) {
    const struct gw_monitor_source *s = &r->sources[i];
    if (fprintf(out, "  [%zu] %s (plugin %s, dataset %s), opgehaald %s\n",
                i + 1, s->source_id, s->plugin, s->dataset, s->fetched_at) < 0)
      return -1;
  }
  return 0;
}
