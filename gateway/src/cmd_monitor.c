/*
 * cmd_monitor.c - `gateway monitor`: the monitor report (docs/monitor.md),
 * werkelijk from the store next to begroot from the targets file, per
 * policy goal, as text, JSON, CSV or a self-contained HTML page; to stdout
 * or atomically to a file.
 */
#include "app.h"
#include "atomic_file.h"
#include "clock.h"
#include "commands.h"
#include "diag.h"
#include "feeds.h"
#include "fsutil.h"
#include "gw_alloc.h"
#include "monitor.h"
#include "targets.h"
#include "text.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char monitor_usage[] =
    "Usage: gateway [--config FILE] monitor [OPTIONS]\n"
    "\n"
    "The monitor report: per policy goal every indicator of the catalogue\n"
    "with its werkelijk figure per year (current revision in the store)\n"
    "next to begroot (the targets file named by `targets` in the config),\n"
    "written as the municipality writes them (68,6 / NB / n.n.b. / N.v.t. /\n"
    "x), with the source and fetch date of every figure. See\n"
    "docs/monitor.md.\n"
    "\n"
    "  -f, --format FMT    text (default), json, csv or html\n"
    "  -o, --output FILE   write FILE atomically instead of stdout\n"
    "      --years LIST    comma-separated years (default "
    "2020,2021,2022,2023)\n"
    "      --area CODE     the municipality (default: the targets file's,\n"
    "                      else GM0384); indicators about another area\n"
    "                      (3.1.9: MRA) keep their own\n";

#define DEFAULT_YEARS "2020,2021,2022,2023"
#define DEFAULT_AREA "GM0384"

struct monitor_args {
  gw_monitor_format format;
  const char *format_name;
  const char *output;
  const char *area;
  char years_text[128];
  char *years[GW_MONITOR_MAX_YEARS];
  size_t year_count;
};

static int split_years(struct monitor_args *a, const char *list) {
  char *p, *comma;
  if (text_copy(a->years_text, sizeof a->years_text, list) != 0) {
    fprintf(stderr, "gateway: monitor: --years is too long\n");
    return -1;
  }
  a->year_count = 0;
  for (p = a->years_text; p; p = comma ? comma + 1 : NULL) {
    comma = strchr(p, ',');
    if (comma)
      *comma = '\0';
    if (a->year_count == GW_MONITOR_MAX_YEARS) {
      fprintf(stderr, "gateway: monitor: --years takes at most %d years\n",
              GW_MONITOR_MAX_YEARS);
      return -1;
    }
    a->years[a->year_count++] = p;
  }
  return 0;
}

static int parse_args(int argc, char **argv, struct monitor_args *a) {
  enum { O_YEARS = 256, O_AREA };
  static const struct option longopts[] = {
      {"format", required_argument, NULL, 'f'},
      {"output", required_argument, NULL, 'o'},
      {"years", required_argument, NULL, O_YEARS},
      {"area", required_argument, NULL, O_AREA},
      {NULL, 0, NULL, 0}};
  int c;
  optind = 1;
  opterr = 0;
  a->format_name = "text";
  if (split_years(a, DEFAULT_YEARS) != 0)
    return -1;
  while ((c = getopt_long(argc, argv, "f:o:", longopts, NULL)) != -1) {
    switch (c) {
    case 'f':
      if (monitor_format_from_name(optarg, &a->format) != 0) {
        fprintf(stderr,
                "gateway: monitor: unknown format '%s' (text, json, csv or "
                "html)\n",
                optarg);
        return -1;
      }
      a->format_name = optarg;
      break;
    case 'o':
      a->output = optarg;
      break;
    case O_YEARS:
      if (split_years(a, optarg) != 0)
        return -1;
      break;
    case O_AREA:
      a->area = optarg;
      break;
    default:
      fprintf(stderr,
              "gateway: monitor: unknown or incomplete option %s (see "
              "`gateway monitor --help`)\n",
              argv[optind - 1]);
      return -1;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "gateway: monitor: unexpected argument '%s'\n",
            argv[optind]);
    return -1;
  }
  return 0;
}

static int write_report(const struct gw_monitor_report *report,
                        const struct monitor_args *a, char *err,
                        size_t err_size) {
  struct gw_atomic_file *f = NULL;
  if (!a->output)
    return monitor_write(report, a->format, stdout, err, err_size);
  if (fs_mkdirs_parent(a->output, 0755, err, err_size) != 0 ||
      atomic_file_open(a->output, &f, err, err_size) != 0)
    return -1;
  if (monitor_write(report, a->format, atomic_file_stream(f), err, err_size) !=
      0) {
    atomic_file_abort(f);
    return -1;
  }
  return atomic_file_commit(f, err, err_size);
}

static int load_targets(const struct gw_app *app, struct gw_targets **out) {
  char err[1024];
  *out = NULL;
  if (!app->cfg->targets) {
    diag(GW_LOG_INFO,
         "no targets file configured (config key \"targets\"): begroot "
         "columns stay empty");
    return 0;
  }
  if (targets_load(app->cfg->targets, app->catalogue, out, err, sizeof err) !=
      0) {
    fprintf(stderr, "gateway: monitor: %s\n", err);
    return -1;
  }
  return 0;
}

int cmd_monitor(const struct gw_cli *cli, int argc, char **argv) {
  struct gw_app app = {.json_output = cli->json};
  struct monitor_args a;
  struct gw_targets *targets = NULL;
  struct gw_monitor_report *report = NULL;
  struct gw_monitor_options opt;
  char now[GW_TIME_MAX], err[GW_ERR_MAX], log_err[GW_ERR_MAX];
  int64_t start = clock_now_ms();
  int rc = GW_EXIT_USAGE, written;

  if (cli_wants_help(argc, argv)) {
    fputs(monitor_usage, stdout);
    return GW_EXIT_OK;
  }
  memset(&a, 0, sizeof a);
  if (parse_args(argc, argv, &a) != 0)
    goto out;
  if (app_open(&app, cli->config_path,
               GW_APP_CATALOGUE | GW_APP_STORE | GW_APP_XLOG) != 0)
    goto out;
  if (load_targets(&app, &targets) != 0)
    goto out;
  if (!a.area)
    a.area = targets ? targets_municipality(targets) : DEFAULT_AREA;
  else if (targets && strcmp(a.area, targets_municipality(targets)) != 0)
    diag(GW_LOG_WARN,
         "--area %s differs from the targets file's municipality %s: the "
         "begroot columns are %s's",
         a.area, targets_municipality(targets), targets_municipality(targets));
  if (clock_now_rfc3339(now, sizeof now) != 0)
    now[0] = '\0';
  opt = (struct gw_monitor_options){.municipality = a.area,
                                    .years = (const char *const *)a.years,
                                    .year_count = a.year_count,
                                    .generated_at = now};
  if (monitor_build(app.store, app.catalogue, targets, &opt, &report, err,
                    sizeof err) != 0) {
    fprintf(stderr, "gateway: %s\n", err);
    rc = strstr(err, "year") || strstr(err, "area") ? GW_EXIT_USAGE
                                                    : GW_EXIT_FAILED;
    goto out;
  }
  written = write_report(report, &a, err, sizeof err);
  if (feeds_log_export(&app, "monitor", a.format_name,
                       a.output ? a.output : "stdout", report->row_count, NULL,
                       0, start, written == 0 ? NULL : err, log_err,
                       sizeof log_err) != 0) {
    fprintf(stderr, "gateway: monitor: exchange log: %s\n", log_err);
    rc = GW_EXIT_FAILED;
    goto out;
  }
  if (written != 0) {
    fprintf(stderr, "gateway: monitor: %s\n", err);
    rc = GW_EXIT_FAILED;
    goto out;
  }
  if (a.output)
    diag(GW_LOG_INFO, "wrote the monitor report (%zu rows, %s) to %s",
         report->row_count, a.format_name, a.output);
  rc = GW_EXIT_OK;
out:
  monitor_free(report);
  targets_free(targets);
  app_close(&app);
  return rc;
}
