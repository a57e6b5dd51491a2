/*
 * cmd_run.c - `gateway run [SOURCE...]`: run sources once, publish feeds,
 * print a summary.
 *
 * Sources run on up to --jobs worker threads (default daemon.max_concurrent),
 * each taking the next source in configuration order, so a slow source no
 * longer holds up the others. A run is as thread-safe here as in the daemon
 * (daemon_jobs.c): it has its own transport, plugin context and staging
 * connection; the exchange log, the store's shared connection and diag()
 * lock themselves; progress.c locks its output. The main thread only
 * waits and prints: rows and the JSON "runs" array stay in configuration
 * order, and feeds are published once, after every run has ended.
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
#include <pthread.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static const char run_usage[] =
    "Usage: gateway [--config FILE] [--json] run [--no-export] "
    "[--no-progress]\n"
    "               [--progress-every SECONDS] [--jobs N] [SOURCE...]\n"
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
    "  --jobs N                 run at most N sources at the same time (1-64;\n"
    "                           default daemon.max_concurrent, itself 2)\n"
    "\n"
    "Sources run concurrently, each on its own thread and with its own store\n"
    "transaction; the table and the JSON list them in configuration order.\n"
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
  int jobs;              /* sources at once; 0: daemon.max_concurrent */
};

#define RUN_JOBS_MAX 64 /* as daemon.max_concurrent (config.c) */

/* "--name VALUE" or "--name=VALUE": the value, else NULL. */
static const char *option_value(int argc, char **argv, int *i,
                                const char *name) {
  size_t len = strlen(name);
  if (strcmp(argv[*i], name) == 0 && *i + 1 < argc)
    return argv[++*i];
  if (strncmp(argv[*i], name, len) == 0 && argv[*i][len] == '=')
    return argv[*i] + len + 1;
  return NULL;
}

static int parse_jobs(const char *value, struct run_options *o) {
  int64_t n;
  if (text_parse_int64(value, &n) != 0 || n < 1 || n > RUN_JOBS_MAX) {
    fprintf(stderr,
            "gateway: run: --jobs expects a whole number from 1 to %d, got "
            "'%s'\n",
            RUN_JOBS_MAX, value);
    return GW_EXIT_USAGE;
  }
  o->jobs = (int)n;
  return GW_EXIT_OK;
}

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
    if ((value = option_value(argc, argv, &i, "--jobs")) != NULL) {
      if (parse_jobs(value, o) != GW_EXIT_OK)
        return GW_EXIT_USAGE;
      continue;
    }
    value = option_value(argc, argv, &i, "--progress-every");
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
  po.concurrent = (unsigned)o->jobs;
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

/* The sources of one `gateway run` and their results, shared by the
 * workers (which take the next index) and the main thread (which waits for
 * each result in order). */
struct run_pool {
  struct gw_app *app;
  const struct gw_source_config **chosen;
  const struct gw_run_observer *observer;
  struct gw_run_summary *summaries; /* count, in configuration order */
  unsigned char *done;              /* count; set under lock */
  size_t count, next;
  pthread_mutex_t lock;
  pthread_cond_t finished;
};

static void *run_worker(void *arg) {
  struct run_pool *pool = arg;
  for (;;) {
    size_t i;
    pthread_mutex_lock(&pool->lock);
    i = pool->next < pool->count ? pool->next++ : pool->count;
    pthread_mutex_unlock(&pool->lock);
    if (i == pool->count)
      return NULL;
    /* The outcome is also in the summary. */
    (void)run_source_observed(pool->app, pool->chosen[i], pool->observer,
                              &pool->summaries[i]);
    pthread_mutex_lock(&pool->lock);
    pool->done[i] = 1;
    pthread_cond_broadcast(&pool->finished);
    pthread_mutex_unlock(&pool->lock);
  }
}

static void wait_for(struct run_pool *pool, size_t i) {
  pthread_mutex_lock(&pool->lock);
  while (!pool->done[i])
    pthread_cond_wait(&pool->finished, &pool->lock);
  pthread_mutex_unlock(&pool->lock);
}

/* Starts up to `jobs` workers; *started says how many. When not even one
 * thread can be made, the caller's thread does all the work. */
static pthread_t *start_workers(struct run_pool *pool, int jobs,
                                size_t *started) {
  size_t want = (size_t)jobs < pool->count ? (size_t)jobs : pool->count, n;
  pthread_t *threads = want ? gw_calloc(want, sizeof *threads) : NULL;
  *started = 0;
  for (n = 0; threads && n < want; n++) {
    int rc = pthread_create(&threads[n], NULL, run_worker, pool);
    if (rc != 0) {
      diag(GW_LOG_WARN, "run: %zu of %zu worker threads started: %s", n, want,
           strerror(rc));
      break;
    }
  }
  *started = n;
  if (n == 0)
    (void)run_worker(pool);
  return threads;
}

struct run_tally {
  json_t *runs;
  int failures, changed;
};

static void report_run(const struct gw_cli *cli, struct gw_progress *progress,
                       const struct gw_run_summary *summary,
                       struct run_tally *tally) {
  if (summary->outcome != GW_OK)
    tally->failures++;
  else if (summary->store.inserted + summary->store.revised > 0)
    tally->changed = 1;
  json_array_append_new(tally->runs, summary_json(summary));
  if (!cli->json) {
    /* The live progress line, on the same terminal, stays out of the row. */
    progress_hold(progress);
    print_summary_row(summary);
    fflush(stdout);
    progress_release(progress);
  }
}

static int run_all(const struct gw_cli *cli, struct gw_app *app,
                   const struct gw_source_config **chosen, size_t count,
                   int jobs, struct gw_progress *progress,
                   struct run_tally *tally) {
  struct gw_run_observer observer = progress_observer(progress);
  struct run_pool pool = {
      .app = app, .chosen = chosen, .observer = &observer, .count = count};
  pthread_t *threads = NULL;
  size_t started = 0, i;
  int rc = -1, sync_ready = 0;
  pool.summaries = gw_calloc(count ? count : 1, sizeof *pool.summaries);
  pool.done = gw_calloc(count ? count : 1, sizeof *pool.done);
  if (!pool.summaries || !pool.done) {
    diag(GW_LOG_ERROR, "run: out of memory");
    goto out;
  }
  if (pthread_mutex_init(&pool.lock, NULL) != 0)
    goto out;
  if (pthread_cond_init(&pool.finished, NULL) != 0) {
    pthread_mutex_destroy(&pool.lock);
    goto out;
  }
  sync_ready = 1;
  threads = start_workers(&pool, jobs, &started);
  for (i = 0; i < count; i++) {
    wait_for(&pool, i);
    report_run(cli, progress, &pool.summaries[i], tally);
  }
  for (i = 0; i < started; i++)
    pthread_join(threads[i], NULL);
  rc = 0;
out:
  if (sync_ready) {
    pthread_cond_destroy(&pool.finished);
    pthread_mutex_destroy(&pool.lock);
  }
  gw_free(threads);
  gw_free(pool.summaries);
  gw_free(pool.done);
  return rc;
}

int cmd_run(const struct gw_cli *cli, int argc, char **argv) {
  struct gw_app app = {.json_output = cli->json};
  const struct gw_source_config **chosen = NULL;
  struct run_options options = {.progress_every = -1.0};
  struct gw_progress *progress = NULL;
  json_t *runs = json_array(), *feeds = json_array();
  struct run_tally tally = {.runs = runs};
  size_t count = 0;
  int rc = GW_EXIT_USAGE, argi = 1;
  double t0 = clock_monotonic();
  if (cli_wants_help(argc, argv)) {
    fputs(run_usage, stdout);
    rc = GW_EXIT_OK;
    goto out;
  }
  if (parse_run_options(argc, argv, &options, &argi) != GW_EXIT_OK)
    goto out;
  if (app_open(&app, cli->config_path,
               GW_APP_CATALOGUE | GW_APP_STORE | GW_APP_XLOG |
                   GW_APP_PLUGINS) != 0)
    goto out;
  chosen = gw_calloc(app.cfg->source_count + (size_t)argc + 1, sizeof *chosen);
  if (!runs || !feeds || !chosen) {
    fputs("gateway: run: out of memory\n", stderr);
    rc = GW_EXIT_FAILED;
    goto out;
  }
  if (select_sources(app.cfg, argc - argi, argv + argi, chosen, &count) != 0)
    goto out;
  if (plugin_audit_log_loads(&app, chosen, count) != 0) {
    rc = GW_EXIT_FAILED;
    goto out;
  }
  if (count == 0)
    diag(GW_LOG_WARN, "no sources configured in %s",
         app.cfg->path ? app.cfg->path : "the built-in defaults");
  if (options.jobs == 0)
    options.jobs =
        app.cfg->daemon.max_concurrent > 0 ? app.cfg->daemon.max_concurrent : 1;
  progress = progress_for_run(cli, &options);
  if (progress)
    diag_set_tty_hook(erase_progress_line, progress);
  if (!progress) {
    fprintf(stderr, "gateway: out of memory\n");
    rc = GW_EXIT_FAILED;
    goto out;
  }
  if (!cli->json) {
    print_table_header();
    /* Before the first progress line when both share a terminal. */
    fflush(stdout);
  }
  if (run_all(cli, &app, chosen, count, options.jobs, progress, &tally) != 0) {
    rc = GW_EXIT_FAILED;
    goto out;
  }
  if (!options.no_export)
    tally.failures += feeds_publish(&app, tally.changed, feeds);
  /* Reported, never a failure of the runs (spool_retention.h). */
  (void)spool_retention_prune(&app, NULL);
  if (cli->json) {
    json_t *doc =
        json_pack("{s:O, s:O, s:f, s:i, s:I}", "runs", runs, "feeds", feeds,
                  "seconds", clock_monotonic() - t0, "failures", tally.failures,
                  "peak_rss_kb", (json_int_t)peak_rss_kb());
    if (doc)
      json_dumpf(doc, stdout, JSON_INDENT(2));
    printf("\n");
    json_decref(doc);
  } else {
    print_feeds(feeds);
    printf("\n%zu source(s), %d failure(s), %.2f s, peak memory %ld KiB\n",
           count, tally.failures, clock_monotonic() - t0, peak_rss_kb());
  }
  rc = tally.failures ? GW_EXIT_FAILED : GW_EXIT_OK;
out:
  diag_set_tty_hook(NULL, NULL);
  progress_free(progress);
  gw_free(chosen);
  json_decref(runs);
  json_decref(feeds);
  app_close(&app);
  return rc;
}
