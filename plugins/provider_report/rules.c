/*
 * rules.c - what the schema cannot say: the report is for this
 * municipality, it speaks about the past, and every indicator code is one
 * the catalogue knows. Shared by the XML and the JSON route so both refuse
 * exactly the same reports.
 */
#include "provider_report.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static int digits(const char *s, size_t n) {
  size_t i;

  for (i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9')
      return 0;
  return 1;
}

static int number_of(const char *s, size_t n) {
  int v = 0;
  size_t i;

  for (i = 0; i < n; i++)
    v = v * 10 + (s[i] - '0');
  return v;
}

static int is_leap(int year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int year, int month) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

int pr_parse_date(const char *text, int *out) {
  int year, month, day;

  if (strlen(text) != 10 || !digits(text, 4) || text[4] != '-' ||
      !digits(text + 5, 2) || text[7] != '-' || !digits(text + 8, 2))
    return -1;
  year = number_of(text, 4);
  month = number_of(text + 5, 2);
  day = number_of(text + 8, 2);
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month))
    return -1;
  *out = year * 10000 + month * 100 + day;
  return 0;
}

int pr_period_days(const char *period, int *first, int *last) {
  size_t n = strlen(period);
  int year, from = 1, to = 12;

  if (n < 4 || !digits(period, 4))
    return -1;
  year = number_of(period, 4);
  if (n == 7 && period[4] == '-' && period[5] == 'Q' && period[6] >= '1' &&
      period[6] <= '4') {
    from = (period[6] - '1') * 3 + 1;
    to = from + 2;
  } else if (n == 7 && period[4] == '-' && digits(period + 5, 2)) {
    from = to = number_of(period + 5, 2);
    if (from < 1 || from > 12)
      return -1;
  } else if (n != 4) {
    return -1;
  }
  *first = year * 10000 + from * 100 + 1;
  *last = year * 10000 + to * 100 + days_in_month(year, to);
  return 0;
}

int pr_today(const struct pr_ctx *ctx) {
  time_t now = time(NULL);
  struct tm tm;
  int day;

  if (ctx->today_override[0] && pr_parse_date(ctx->today_override, &day) == 0)
    return day;
  if (!gmtime_r(&now, &tm))
    return 0;
  return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

static void format_day(int day, char *out, size_t size) {
  snprintf(out, size, "%04d-%02d-%02d", day / 10000, day / 100 % 100,
           day % 100);
}

/* Periods must have started by the delivery date and by today: nobody can
 * count what has not happened yet. */
static int check_not_future(struct pr_check *check, unsigned long line,
                            const char *where, const char *period) {
  int first, last;
  char day[16];

  if (pr_period_days(period, &first, &last) != 0)
    return 0;
  if (check->delivered && first > check->delivered) {
    format_day(check->delivered, day, sizeof day);
    pr_violation_add(check->violations, line,
                     "%s\"%s\" lies in the future: it starts after the "
                     "report's delivered date %s",
                     where, period, day);
    return 1;
  }
  if (first > check->today) {
    format_day(check->today, day, sizeof day);
    pr_violation_add(check->violations, line,
                     "%s\"%s\" lies in the future: it starts after today "
                     "(%s)",
                     where, period, day);
    return 1;
  }
  return 0;
}

static int is_municipality_code(const char *code) {
  return strlen(code) == 6 && strncmp(code, "GM", 2) == 0 &&
         digits(code + 2, 4);
}

void pr_check_header(struct pr_check *check, const struct pr_header *header,
                     unsigned long line, const char *where_prefix) {
  struct pr_violations *v = check->violations;
  const char *expected = check->ctx->municipality;
  int delivered = 0, first, last;
  char where[64], today[16];

  check->municipality_ok = strcmp(header->municipality, expected) == 0;
  if (is_municipality_code(header->municipality) && !check->municipality_ok)
    pr_violation_add(v, line,
                     "%smunicipality: the report is for %s, but this source "
                     "accepts reports for %s only (params.municipality)",
                     where_prefix, header->municipality, expected);
  if (pr_parse_date(header->delivered, &delivered) == 0) {
    if (delivered > check->today) {
      format_day(check->today, today, sizeof today);
      pr_violation_add(v, line,
                       "%sdelivered: \"%s\" lies in the future (today is %s)",
                       where_prefix, header->delivered, today);
    } else {
      check->delivered = delivered;
    }
  }
  if (pr_period_days(header->reporting_period, &first, &last) == 0)
    check->reporting_last = last;
  snprintf(where, sizeof where, "%sreportingPeriod: ", where_prefix);
  (void)check_not_future(check, line, where, header->reporting_period);
}

/* The XSD/JSON pattern: 1 to 4 groups of 1 or 2 digits, dot separated. */
static int is_indicator_code(const char *code) {
  size_t i, run = 0, groups = 1;

  for (i = 0; code[i]; i++) {
    if (code[i] >= '0' && code[i] <= '9') {
      if (++run > 2)
        return 0;
    } else if (code[i] == '.' && run > 0 && groups < 4) {
      run = 0;
      groups++;
    } else {
      return 0;
    }
  }
  return run > 0;
}

/* GM0384, WK0384xx and BU0384xxxx all belong to municipality 0384. */
static int area_in_municipality(const char *area, const char *municipality) {
  if (strlen(municipality) != 6 || strlen(area) < 6)
    return 1; /* not comparable; the schema names a malformed code */
  if (strncmp(area, "GM", 2) != 0 && strncmp(area, "WK", 2) != 0 &&
      strncmp(area, "BU", 2) != 0)
    return 1;
  return strncmp(area + 2, municipality + 2, 4) == 0;
}

/* "figure 3: unit: " (XML, the line comes first) or "$.figures[2].unit: " */
static void field_where(const struct pr_figure *figure, const char *field,
                        char *out, size_t size) {
  if (figure->line)
    snprintf(out, size, "figure %llu: %s: ", (unsigned long long)figure->number,
             field);
  else
    snprintf(out, size, "%s.%s: ", figure->where, field);
}

void pr_check_figure(struct pr_check *check, const struct pr_figure *figure) {
  struct pr_violations *v = check->violations;
  const struct gw_host_api *host = check->ctx->host;
  char where[96];
  int first, last;

  field_where(figure, "indicator", where, sizeof where);
  if (is_indicator_code(figure->indicator) &&
      !host->indicator_for(check->run, PR_DATASET, figure->indicator))
    pr_violation_add(v, figure->line,
                     "%s\"%s\" is not in the municipality's catalogue for "
                     "provider reports; expected a policy code agreed with "
                     "the municipality (e.g. 2.3.1)",
                     where, figure->indicator);
  field_where(figure, "area", where, sizeof where);
  if (check->municipality_ok && figure->area[0] &&
      !area_in_municipality(figure->area, check->ctx->municipality))
    pr_violation_add(v, figure->line, "%s\"%s\" is not part of municipality %s",
                     where, figure->area, check->ctx->municipality);
  field_where(figure, "period", where, sizeof where);
  if (!check_not_future(check, figure->line, where, figure->period) &&
      check->reporting_last &&
      pr_period_days(figure->period, &first, &last) == 0 &&
      last > check->reporting_last)
    pr_violation_add(v, figure->line,
                     "%s\"%s\" ends after the reporting period; report it in "
                     "a later report",
                     where, figure->period);
}
