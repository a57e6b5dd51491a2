/*
 * cmd_run.c - `gateway run [SOURCE...]`: run sources once, publish feeds,
 * print a summary.
 */
#include "clock.h"
#include "gw_alloc.h"
#include "commands.h"
#include "diag.h"
#include "digest.h"
#include "feeds.h"
#include "progress.h"
#include "plugin_audit.h"
#include "run.h"
#include "spool_retention.h"
#include "text.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static const char run_usage[] =
    "Usage: gateway [--config FILE] [--json] run [--no-export] "
    "[--no-progress]\n"
    "               [--progress-every SECONDS] [SOURCE...]\n"
    "\n"
    "Runs every configured source (or only the named ones) once: the plugin\n"
    "fetches over TLS through the gateway, rows are normalised and stored as\n"
    "one transaction per source, then the configured feeds are published.\n"
    "A source that fails stores nothing and leaves published feeds as they\n"
    "were. Every exchange is recorded in the exchange log.\n"
    "\n"
    "  --no-export              do not publish feeds after the runs\n"
    "  --no-progress            show no progress on stderr\n"
    "  --progress-every SECONDS when stderr is not a terminal, log a progress\n"
    "                           line per source at most this often (default\n"
    "                           10; 0: at every update)\n"
    "\n"
    "Progress goes to stderr only, so stdout stays the table (or pure JSON).\n"
    "On a terminal each source has one line that updates in place; otherwise\n"
    "(journald, a file) there are key=value lines: event=progress while a\n"
    "source runs, and one event=run_finished per source. With --quiet there\n"
    "is no progress, only the run_finished lines (level=error) of sources\n"
    "that did not succeed.\n"
    "\n"
    "Exit status: 0 all sources succeeded and feeds were written; 1 a source\n"
    "or feed failed; 2 usage or configuration error.\n";

/* Reported so operators (and the memory test) can see that memory stays
 * flat as sources grow. */
static long peak_rss_kb(void) {
  struct rusage ru;
  return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

struct run_options {
  int no_export;
  int no_progress;
  double progress_every; /* seconds; < 0: the default */
};

/* Options come before the source names (a source id never starts with
 * '-'). GW_EXIT_OK, or GW_EXIT_USAGE with the reason printed. */
static int parse_run_options(int argc, char **argv, struct run_options *o,
                             int *argi) {
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    const char *a = argv[i], *value = NULL;
    int64_t seconds;
    if (strcmp(a, "--no-export") == 0) {
      o->no_export = 1;
      continue;
    }
    if (strcmp(a, "--no-progress") == 0) {
      o->no_progress = 1;
      continue;
    }
    if (strcmp(a, "--progress-every") == 0 && i + 1 < argc)
      value = argv[++i];
    else if (strncmp(a, "--progress-every=", 17) == 0)
      value = a + 17;
    if (!value) {
      fprintf(stderr,
              "gateway: run: unknown option %s (see `gateway run --help`)\n",
              a);
      return GW_EXIT_USAGE;
    }
    if (text_parse_int64(value, &seconds) != 0 || seconds < 0 ||
        seconds > 86400) {
      fprintf(stderr,
              "gateway: run: --progress-every expects whole seconds from 0 "
              "to 86400, got '%s'\n",
              value);
      return GW_EXIT_USAGE;
    }
    o->progress_every = (double)seconds;
  }
  *argi = i;
  return GW_EXIT_OK;
}

/* Progress on stderr (DESIGN 12). When stdout shows the table on the same
 * terminal, a finished source's line is erased so its table row takes the
 * place; otherwise the line stays with the outcome. */
/* A diagnostic printed mid-run must not land on the live progress line. */
static void erase_progress_line(void *progress) {
  progress_interrupt(progress);
}

static struct gw_progress *progress_for_run(const struct gw_cli *cli,
                                            const struct run_options *o) {
  struct gw_progress_options po = {0};
  po.mode = o->no_progress ? GW_PROGRESS_OFF
                           : progress_mode_for(STDERR_FILENO, getenv("TERM"));
  po.out = stderr;
  po.min_interval_s = po.mode == GW_PROGRESS_LINES ? o->progress_every : -1.0;
  po.min_level = diag_level();
  po.clear_on_finish =
      !cli->json && progress_same_terminal(STDOUT_FILENO, STDERR_FILENO);
  po.columns = progress_terminal_columns(STDERR_FILENO);
  return progress_new(&po);
}

static const char *outcome_name(gw_result r) {
  return r == GW_OK ? "ok" : r == GW_RETRY ? "retry" : "failed";
}

static json_t *summary_json(const struct gw_run_summary *s) {
  return json_pack(
      "{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
      "s:I, s:I, s:f, s:s?}",
      "source", s->source_id, "run_id", s->run_id, "outcome",
      outcome_name(s->outcome), "pages", (json_int_t)s->pages, "not_modified",
      (json_int_t)s->not_modified, "bytes", (json_int_t)s->bytes, "emitted",
      (json_int_t)s->emitted, "unmapped", (json_int_t)s->unmapped, "rejected",
      (json_int_t)s->rejected, "suppressed", (json_int_t)s->suppressed,
      "inserted", (json_int_t)s->store.inserted, "revised",
      (json_int_t)s->store.revised, "unchanged", (json_int_t)s->store.unchanged,
      "seconds", s->seconds, "error", s->error[0] ? s->error : NULL);
}

static void print_table_header(void) {
  printf("%-22s %-7s %6s %10s %9s %8s %8s %9s %8s %7s\n", "SOURCE", "RESULT",
         "PAGES", "BYTES", "ROWS", "NEW", "REVISED", "UNCHANGED", "REJECTED",
         "SECONDS");
}

static void print_summary_row(const struct gw_run_summary *s) {
  printf("%-22s %-7s %6llu %10llu %9llu %8llu %8llu %9llu %8llu %7.2f\n",
         s->source_id, outcome_name(s->outcome), (unsigned long long)s->pages,
         (unsigned long long)s->bytes, (unsigned long long)s->emitted,
         (unsigned long long)s->store.inserted,
         (unsigned long long)s->store.revised,
         (unsigned long long)s->store.unchanged,
         (unsigned long long)s->rejected, s->seconds);
  if (s->error[0])
    printf("  error: %s\n", s->error);
}

static void print_feeds(json_t *feeds) {
  size_t i;
  json_t *f;
  if (json_array_size(feeds) == 0)
    return;
  printf("\nFeeds:\n");
  json_array_foreach(feeds, i, f) {
    printf("  %-8s %-10s %s", json_string_value(json_object_get(f, "format")),
           json_string_value(json_object_get(f, "outcome")),
           json_string_value(json_object_get(f, "path")));
    if (json_object_get(f, "observations"))
      printf(" (%lld observations, %lld bytes)",
             (long long)json_integer_value(json_object_get(f, "observations")),
             (long long)json_integer_value(json_object_get(f, "bytes")));
    printf("\n");
  }
}

static int select_sources(const struct gw_config *cfg, int argc, char **argv,
                          const struct gw_source_config **chosen,
                          size_t *count) {
  int i;
  size_t n = 0, j;
  if (argc == 0) {
    for (j = 0; j < cfg->source_count; j++)
      chosen[n++] = &cfg->sources[j];
    *count = n;
    return 0;
  }
  for (i = 0; i < argc; i++) {
    const struct gw_source_config *s = config_find_source(cfg, argv[i]);
    if (!s) {
      fprintf(stderr, "gateway: no source named '%s' in %s\n", argv[i],
              cfg->path ? cfg->path : "the configuration");
      return -1;
    }
    chosen[n++] = s;
  }
  *count = n;
  return 0;
}

int cmd_run(const struct gw_cli *cli, int argc, char **argv) {
  struct gw_app app = {.json_output = cli->json};
  const struct gw_source_config **chosen = NULL;
  struct gw_run_summary summary;
  struct run_options options = {.progress_every = -1.0};
  struct gw_progress *progress = NULL;
  struct gw_run_observer observer;
  json_t *runs = json_array(), *feeds = json_array();
  size_t count = 0, i;
  int failures = 0, changed = 0, rc = GW_EXIT_USAGE, argi = 1;
  double t0 = clock_monotonic();
  if (cli_wants_help(argc, argv)) {
    fputs(run_usage, stdout);
    rc = GW_EXIT_OK;
    goto out;
  }
  if (parse_run_options(argc, argv, &options, &argi) != GW_EXIT_OK)
    goto out;
  if (!runs || !feeds ||
      app_open(&app, cli->config_path,
               GW_APP_CATALOGUE | GW_APP_STORE | GW_APP_XLOG |
                   GW_APP_PLUGINS) != 0)
    goto out;
  chosen = gw_calloc(app.cfg->source_count + (size_t)argc + 1, sizeof *chosen);
  if (!chosen ||
      select_sources(app.cfg, argc - argi, argv + argi, chosen, &count) != 0)
    goto out;
  if (plugin_audit_log_loads(&app, chosen, count) != 0) {
    rc = GW_EXIT_FAILED;
    goto out;
  }
  if (count == 0)
    diag(GW_LOG_WARN, "no sources configured in %s",
         app.cfg->path ? app.cfg->path : "the built-in defaults");
  progress = progress_for_run(cli, &options);
  if (progress)
    diag_set_tty_hook(erase_progress_line, progress);
  if (!progress) {
    fprintf(stderr, "gateway: out of memory\n");
    rc = GW_EXIT_FAILED;
    goto out;
  }
  observer = progress_observer(progress);
  if (!cli->json) {
    print_table_header();
    /* Before the first progress line when both share a terminal. */
    fflush(stdout);
  }
  for (i = 0; i < count; i++) {
    if (run_source_observed(&app, chosen[i], &observer, &summary) != GW_OK)
      failures++;
    else if (summary.store.inserted + summary.store.revised > 0)
      changed = 1;
    json_array_append_new(runs, summary_json(&summary));
    if (!cli->json) {
      print_summary_row(&summary);
      fflush(stdout);
    }
  }
  if (!options.no_export)
    failures += feeds_publish(&app, changed, feeds);
  /* Reported, never a failure of the runs (spool_retention.h). */
  (void)spool_retention_prune(&app, NULL);
  if (cli->json) {
    json_t *doc =
        json_pack("{s:O, s:O, s:f, s:i, s:I}", "runs", runs, "feeds", feeds,
                  "seconds", clock_monotonic() - t0, "failures", failures,
                  "peak_rss_kb", (json_int_t)peak_rss_kb());
    if (doc)
      json_dumpf(doc, stdout, JSON_INDENT(2));
    printf("\n");
    json_decref(doc);
  } else {
    print_feeds(feeds);
    printf("\n%zu source(s), %d failure(s), %.2f s, peak memory %ld KiB\n",
           count, failures, clock_monotonic() - t0, peak_rss_kb());
  }
  rc = failures ? GW_EXIT_FAILED : GW_EXIT_OK;
out:
  diag_set_tty_hook(NULL, NULL);
  progress_free(progress);
  gw_free(chosen);
  json_decref(runs);
  json_decref(feeds);
  app_close(&app);
  return rc;
}
