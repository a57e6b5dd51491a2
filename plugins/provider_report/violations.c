/*
 * violations.c - the bounded list of everything wrong with one report.
 * All violations are counted; the first max_kept keep their text for the
 * refusal message, so a report with a million bad figures costs no more
 * memory than one with a hundred.
 */
#include "provider_report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pr_violations_init(struct pr_violations *v, size_t max_kept) {
  memset(v, 0, sizeof *v);
  v->max_kept = max_kept;
}

void pr_violations_free(struct pr_violations *v) {
  size_t i;

  for (i = 0; i < v->kept; i++)
    free(v->items[i].text);
  free(v->items);
  memset(v, 0, sizeof *v);
}

static char *format_message(unsigned long line, const char *fmt, va_list ap)
    GW_PRINTF_LIKE(2, 0);
static char *format_message(unsigned long line, const char *fmt, va_list ap) {
  char body[1024];
  char *out;
  size_t size;

  vsnprintf(body, sizeof body, fmt, ap);
  size = strlen(body) + 32;
  out = malloc(size);
  if (!out)
    return NULL;
  if (line > 0)
    snprintf(out, size, "line %lu: %s", line, body);
  else
    snprintf(out, size, "%s", body);
  return out;
}

void pr_violation_add(struct pr_violations *v, unsigned long line,
                      const char *fmt, ...) {
  va_list ap;
  char *text;

  v->total++;
  if (v->kept >= v->max_kept)
    return;
  if (!v->items) {
    v->items = calloc(v->max_kept, sizeof *v->items);
    if (!v->items) {
      v->out_of_memory = 1;
      return;
    }
  }
  va_start(ap, fmt);
  text = format_message(line, fmt, ap);
  va_end(ap);
  if (!text) {
    v->out_of_memory = 1;
    return;
  }
  v->items[v->kept].line = line;
  v->items[v->kept].seq = v->total;
  v->items[v->kept].text = text;
  v->kept++;
}

static int by_line(const void *a, const void *b) {
  const struct pr_violation *x = a;
  const struct pr_violation *y = b;

  if (x->line != y->line)
    return x->line < y->line ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void pr_violations_sort(struct pr_violations *v) {
  if (v->kept > 1)
    qsort(v->items, v->kept, sizeof *v->items, by_line);
}
