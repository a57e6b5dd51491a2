/*
 * cmd_export.c - `gateway export`: observations from the store as JSON,
 * XML or CSV, filtered, to stdout or atomically to a file.
 */
#include "clock.h"
#include "commands.h"
#include "diag.h"
#include "feeds.h"
#include "gw_alloc.h"
#include "text.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char export_usage[] =
    "Usage: gateway [--config FILE] export --format json|xml|csv [OPTIONS]\n"
    "\n"
    "Writes the stored observations (the current revision of each, or the\n"
    "state at --as-of) in the feed format of schemas/observation.schema.json\n"
    "(json), schemas/feed.xsd (xml) or Excel-friendly CSV.\n"
    "\n"
    "  -f, --format FMT        json, xml or csv (required)\n"
    "  -i, --indicator ID      only this indicator (repeatable)\n"
    "  -a, --area CODE         only this area, e.g. GM0384 (repeatable)\n"
    "      --from PERIOD       periods from PERIOD (inclusive, e.g. 2020)\n"
    "      --to PERIOD         periods up to PERIOD (inclusive)\n"
    "      --as-of TIME        the state at TIME (RFC 3339 UTC, e.g.\n"
    "                          2026-11-24T12:00:00Z)\n"
    "  -o, --output FILE       write FILE atomically instead of stdout\n"
    "      --with-provenance   add to each source block the exchange-log\n"
    "                          span of the fetch that delivered the figure\n"
    "                          and when its revision became valid (and, with\n"
    "                          --as-of, until when); docs/provenance.md\n"
    "      --csv-delimiter C   ';' (default), ',' or 'tab'\n"
    "      --decimal-point     CSV numbers with '.' instead of ','\n"
    "      --no-bom            CSV without the UTF-8 byte order mark\n";

#define MAX_FILTERS 256

struct export_args {
  struct gw_export_options opt;
  const char *indicators[MAX_FILTERS + 1];
  const char *areas[MAX_FILTERS + 1];
  size_t n_indicators, n_areas;
  const char *from, *to, *as_of, *output;
  char as_of_canonical[32]; /* --as-of as the store writes times */
  int have_format;
  char store_path[4096]; /* for the revision history (--with-provenance) */
};

static int add_filter(const char **list, size_t *n, const char *value) {
  if (*n >= MAX_FILTERS) {
    fprintf(stderr, "gateway: export: at most %d filters of a kind\n",
            MAX_FILTERS);
    return -1;
  }
  list[(*n)++] = value;
  list[*n] = NULL;
  return 0;
}

/* The store compares times as text in its own form, 2026-11-24T12:00:00.000Z;
 * "12:00:00Z" would sort after "12:00:00.123Z", so --as-of is checked and
 * rewritten to that form (fraction padded or cut to milliseconds). */
static int canonical_as_of(const char *text, char *out, size_t size) {
  time_t ignored;
  char ms[4] = "000";
  const char *frac = text + 19;
  if (clock_parse_rfc3339(text, &ignored) != 0)
    return -1;
  if (*frac == '.')
    for (size_t i = 0; i < 3 && frac[1 + i] >= '0' && frac[1 + i] <= '9'; i++)
      ms[i] = frac[1 + i];
  return text_format(out, size, "%.19s.%sZ", text, ms);
}

static int parse_delimiter(const char *v, char *out) {
  if (strcmp(v, "tab") == 0 || strcmp(v, "\\t") == 0)
    *out = '\t';
  else if (strcmp(v, ";") == 0 || strcmp(v, ",") == 0)
    *out = v[0];
  else
    return -1;
  return 0;
}

static int parse_args(int argc, char **argv, struct export_args *a) {
  enum { O_FROM = 256, O_TO, O_ASOF, O_PROV, O_DELIM, O_POINT, O_NOBOM };
  static const struct option longopts[] = {
      {"format", required_argument, NULL, 'f'},
      {"indicator", required_argument, NULL, 'i'},
      {"area", required_argument, NULL, 'a'},
      {"output", required_argument, NULL, 'o'},
      {"from", required_argument, NULL, O_FROM},
      {"to", required_argument, NULL, O_TO},
      {"as-of", required_argument, NULL, O_ASOF},
      {"with-provenance", no_argument, NULL, O_PROV},
      {"csv-delimiter", required_argument, NULL, O_DELIM},
      {"decimal-point", no_argument, NULL, O_POINT},
      {"no-bom", no_argument, NULL, O_NOBOM},
      {NULL, 0, NULL, 0}};
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "f:i:a:o:", longopts, NULL)) != -1) {
    switch (c) {
    case 'f':
      if (export_format_from_name(optarg, &a->opt.format) != 0) {
        fprintf(stderr,
                "gateway: export: unknown format '%s' (json, xml or "
                "csv)\n",
                optarg);
        return -1;
      }
      a->have_format = 1;
      break;
    case 'i':
      if (add_filter(a->indicators, &a->n_indicators, optarg) != 0)
        return -1;
      break;
    case 'a':
      if (add_filter(a->areas, &a->n_areas, optarg) != 0)
        return -1;
      break;
    case 'o':
      a->output = optarg;
      break;
    case O_FROM:
      a->from = optarg;
      break;
    case O_TO:
      a->to = optarg;
      break;
    case O_ASOF:
      if (canonical_as_of(optarg, a->as_of_canonical,
                          sizeof a->as_of_canonical) != 0) {
        fprintf(stderr,
                "gateway: export: --as-of '%s' is not a UTC time such as "
                "2026-11-24T12:00:00Z\n",
                optarg);
        return -1;
      }
      a->as_of = a->as_of_canonical;
      break;
    case O_PROV:
      a->opt.with_provenance = 1;
      break;
    case O_DELIM:
      if (parse_delimiter(optarg, &a->opt.csv_delimiter) != 0) {
        fprintf(stderr, "gateway: export: --csv-delimiter takes ';', ',' or "
                        "'tab'\n");
        return -1;
      }
      break;
    case O_POINT:
      a->opt.csv_decimal_comma = 0;
      break;
    case O_NOBOM:
      a->opt.csv_bom = 0;
      break;
    default:
      fprintf(stderr,
              "gateway: export: unknown or incomplete option %s (see "
              "`gateway export --help`)\n",
              argv[optind - 1]);
      return -1;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "gateway: export: unexpected argument '%s'\n",
            argv[optind]);
    return -1;
  }
  if (!a->have_format) {
    fprintf(stderr, "gateway: export: --format json|xml|csv is required\n");
    return -1;
  }
  return 0;
}

int cmd_export(const struct gw_cli *cli, int argc, char **argv) {
  struct gw_app app = {.json_output = cli->json};
  struct export_args *a = NULL;
  struct gw_query q;
  char now[GW_TIME_MAX], err[GW_ERR_MAX], log_err[GW_ERR_MAX];
  uint64_t count = 0;
  int64_t start = clock_now_ms();
  int rc = GW_EXIT_USAGE, written;
  if (cli_wants_help(argc, argv)) {
    fputs(export_usage, stdout);
    return GW_EXIT_OK;
  }
  a = gw_calloc(1, sizeof *a);
  if (!a)
    return GW_EXIT_FAILED;
  export_default_options(&a->opt);
  if (parse_args(argc, argv, a) != 0)
    goto out;
  if (app_open(&app, cli->config_path, GW_APP_STORE | GW_APP_XLOG) != 0)
    goto out;
  clock_now_rfc3339(now, sizeof now);
  a->opt.generated_at = now;
  a->opt.feed_name = "export";
  a->opt.gateway_version = GW_VERSION;
  a->opt.as_of = a->as_of;
  if (a->opt.with_provenance) {
    if (text_format(a->store_path, sizeof a->store_path, "%s/gateway.db",
                    app.cfg->data_dir) != 0) {
      fprintf(stderr, "gateway: export: data_dir %s: path too long\n",
              app.cfg->data_dir);
      rc = GW_EXIT_FAILED;
      goto out;
    }
    a->opt.provenance_db = a->store_path;
  }
  q = (struct gw_query){.indicators = a->n_indicators ? a->indicators : NULL,
                        .areas = a->n_areas ? a->areas : NULL,
                        .period_from = a->from,
                        .period_to = a->to,
                        .as_of = a->as_of};
  written = a->output ? export_to_file(app.store, &q, &a->opt, a->output,
                                       &count, err, sizeof err)
                      : export_write(app.store, &q, &a->opt, stdout, &count,
                                     err, sizeof err);
  if (written == 0 && !a->output && fflush(stdout) != 0) {
    text_copy(err, sizeof err, "cannot write to standard output");
    written = -1;
  }
  if (feeds_log_export(
          app.store ? &app : NULL, "export", export_format_name(a->opt.format),
          a->output ? a->output : "stdout", count, NULL, 0, start,
          written == 0 ? NULL : err, log_err, sizeof log_err) != 0) {
    fprintf(stderr, "gateway: export: exchange log: %s\n", log_err);
    rc = GW_EXIT_FAILED;
    goto out;
  }
  if (written != 0) {
    fprintf(stderr, "gateway: export: %s\n", err);
    rc = GW_EXIT_FAILED;
    goto out;
  }
  if (a->output)
    diag(GW_LOG_INFO, "wrote %llu observations to %s",
         (unsigned long long)count, a->output);
  rc = GW_EXIT_OK;
out:
  app_close(&app);
  gw_free(a);
  return rc;
}
