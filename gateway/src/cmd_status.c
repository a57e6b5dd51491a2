/*
 * cmd_status.c - `gateway status`: per source the last run (outcome,
 * duration, pages, observations stored and rejected), the failures since
 * its last success, the last error, and when the daemon runs it next; as a
 * table or (--json) an array. Every configured source is listed, also one
 * that never ran; sources with history that are no longer configured come
 * after them, so a renamed source does not silently vanish.
 *
 * Both outputs are made from the same JSON objects, so the table can never
 * show something the JSON does not say.
 */
#include "app.h"
#include "clock.h"
#include "commands.h"
#include "schedule.h"
#include "text.h"
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Bytes of an error shown under a source in the table; --json has all. */
#define STATUS_ERROR_SHOWN 160
#define STATUS_NOT_CONFIGURED " (not configured)"

static const char status_usage[] =
    "Usage: gateway [--config FILE] [--json] status\n"
    "\n"
    "Shows every configured source with its last run, read from the run\n"
    "history in the store, and when the daemon will run it next. Sources\n"
    "that have history but are no longer configured follow, marked\n"
    "\"(not configured)\". Nothing is fetched or changed.\n"
    "\n"
    "Columns:\n"
    "  SOURCE    the source id\n"
    "  RESULT    outcome of the last run: ok; retry (a transient failure\n"
    "            that outlasted the retries, usually heals by the next\n"
    "            run); fail (a permanent failure: someone has to act);\n"
    "            never (no run recorded). A failed run stores nothing.\n"
    "  LAST RUN  when the last run started, RFC 3339 UTC\n"
    "  DURATION  how long it took\n"
    "  PAGES     payloads fetched, 304 Not Modified answers included\n"
    "  STORED    observations it added or revised\n"
    "  REJECTED  rows refused by the normaliser or the plugin\n"
    "  FAILS     failed runs since the last successful one (0: healthy)\n"
    "  NEXT RUN  next scheduled start, RFC 3339 UTC: the source's cron\n"
    "            schedule read in daemon.timezone plus its jitter; \"-\"\n"
    "            when the source has no schedule (it runs on demand only)\n"
    "\n"
    "Under a source whose last run failed, an \"error:\" line gives the\n"
    "first line of its error, shortened; --json gives it whole.\n"
    "\n"
    "  --json    an array with one object per source, in the same order:\n"
    "            source, configured, schedule, next_run, run_id, outcome,\n"
    "            started_at, ended_at, seconds, pages, bytes, emitted,\n"
    "            stored, rejected, retries, consecutive_failures,\n"
    "            last_success_at, error. Times are RFC 3339 UTC; a field\n"
    "            with nothing to say (no run, no schedule, no error) is\n"
    "            null.\n"
    "\n"
    "Exit status: 0 the status was shown, whatever state the sources are\n"
    "in; 1 the store could not be read; 2 usage or configuration error.\n"
    "See docs/status.md for what to do when FAILS grows.\n";

static const char *text_or_null(const char *s) {
  return s && *s ? s : NULL;
}

/* One object per source id of the run history, keys in output order. */
static int collect_run(const struct gw_run_record *r, void *user) {
  json_t *runs = user;
  json_t *o = json_pack(
      "{s:s, s:s, s:s, s:s?, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s?, "
      "s:s?}",
      "run_id", r->run_id, "outcome", r->outcome, "started_at", r->started_at,
      "ended_at", text_or_null(r->ended_at), "seconds", r->seconds, "pages",
      (json_int_t)r->pages, "bytes", (json_int_t)r->bytes, "emitted",
      (json_int_t)r->emitted, "stored", (json_int_t)r->stored, "rejected",
      (json_int_t)r->rejected, "retries", (json_int_t)r->retries,
      "consecutive_failures", (json_int_t)r->consecutive_failures,
      "last_success_at", r->last_success_at, "error", text_or_null(r->error));
  return o && json_object_set_new(runs, r->source_id, o) == 0 ? 0 : -1;
}

/* The run fields of a source without history. */
static json_t *never_run(void) {
  return json_pack("{s:n, s:s, s:n, s:n, s:n, s:n, s:n, s:n, s:n, s:n, s:n, "
                   "s:i, s:n, s:n}",
                   "run_id", "outcome", "never", "started_at", "ended_at",
                   "seconds", "pages", "bytes", "emitted", "stored", "rejected",
                   "retries", "consecutive_failures", 0, "last_success_at",
                   "error");
}

/* RFC 3339 UTC of the next due time, or JSON null when there is none. */
static json_t *next_run_json(const struct gw_config *cfg,
                             const struct gw_source_config *src, time_t now) {
  char when[32];
  time_t next;
  int rc = schedule_next_run(cfg, src, now, &next);
  if (rc < 0)
    fprintf(stderr,
            "gateway: status: %s: cannot work out the next run of schedule "
            "\"%s\" (is the time zone data installed?)\n",
            src->id, src->schedule);
  if (rc != 0)
    return json_null();
  if (clock_format_rfc3339(next, when, sizeof when) != 0)
    return NULL;
  return json_string(when);
}

/* One output object: who the source is, then its last run (borrowed from
 * runs, or a never-run stand-in). NULL when out of memory. */
static json_t *source_entry(const char *id, const struct gw_config *cfg,
                            const struct gw_source_config *src, json_t *run,
                            time_t now) {
  json_t *entry =
      json_pack("{s:s, s:b, s:s?, s:o}", "source", id, "configured",
                src != NULL, "schedule", src ? src->schedule : NULL, "next_run",
                src ? next_run_json(cfg, src, now) : json_null());
  json_t *fields = run ? json_incref(run) : never_run();
  int rc = entry && fields ? json_object_update(entry, fields) : -1;
  json_decref(fields);
  if (rc != 0) {
    json_decref(entry);
    return NULL;
  }
  return entry;
}

/* Configured sources in config order, then the rest of the history in
 * source id order. Takes the history objects out of runs as it goes. */
static json_t *build_status(const struct gw_config *cfg, json_t *runs,
                            time_t now) {
  json_t *out = json_array();
  const char *id;
  json_t *run;
  size_t i;
  if (!out)
    return NULL;
  for (i = 0; i < cfg->source_count; i++) {
    const struct gw_source_config *src = &cfg->sources[i];
    run = json_object_get(runs, src->id);
    if (json_array_append_new(out, source_entry(src->id, cfg, src, run, now)) !=
        0)
      goto fail;
    json_object_del(runs, src->id);
  }
  json_object_foreach(runs, id, run) {
    if (json_array_append_new(out, source_entry(id, cfg, NULL, run, now)) != 0)
      goto fail;
  }
  return out;
fail:
  json_decref(out);
  return NULL;
}

/* ---- the table ------------------------------------------------------------
 */

static const char *field_text(json_t *entry, const char *key) {
  const char *s = json_string_value(json_object_get(entry, key));
  return s ? s : "-";
}

static void field_count(json_t *entry, const char *key, char *out,
                        size_t size) {
  json_t *v = json_object_get(entry, key);
  if (json_is_integer(v))
    (void)text_format(out, size, "%lld", (long long)json_integer_value(v));
  else
    (void)text_copy(out, size, "-");
}

/* "2026-11-24T02:50:08.123Z" -> "2026-11-24T02:50:08Z": the table needs
 * seconds at most. Anything of another shape is shown as it is. */
static void short_time(const char *when, char *out, size_t size) {
  size_t len = strlen(when);
  if (len > 20 && when[19] == '.' && when[len - 1] == 'Z' &&
      text_format(out, size, "%.19sZ", when) == 0)
    return;
  (void)text_copy(out, size, when);
}

static void short_duration(json_t *entry, char *out, size_t size) {
  json_t *v = json_object_get(entry, "seconds");
  double s = json_number_value(v);
  long whole = (long)s;
  if (!json_is_number(v))
    (void)text_copy(out, size, "-");
  else if (s < 60.0)
    (void)text_format(out, size, "%.1fs", s);
  else if (s < 3600.0)
    (void)text_format(out, size, "%ldm%02lds", whole / 60, whole % 60);
  else
    (void)text_format(out, size, "%ldh%02ldm", whole / 3600,
                      (whole % 3600) / 60);
}

/* The first line of an error, cut to STATUS_ERROR_SHOWN bytes on a UTF-8
 * character boundary; "..." says something was left out. out must hold
 * STATUS_ERROR_SHOWN + 4 bytes. */
static void error_line(const char *error, char *out, size_t size) {
  size_t len = strcspn(error, "\r\n");
  if (len > STATUS_ERROR_SHOWN) {
    len = STATUS_ERROR_SHOWN;
    while (len > 0 && ((unsigned char)error[len] & 0xC0) == 0x80)
      len--;
  }
  (void)text_format(out, size, "%.*s%s", (int)len, error,
                    error[len] ? "..." : "");
}

static int source_label(json_t *entry, char *out, size_t size) {
  return text_format(out, size, "%s%s", field_text(entry, "source"),
                     json_is_true(json_object_get(entry, "configured"))
                         ? ""
                         : STATUS_NOT_CONFIGURED);
}

static void print_table(json_t *status) {
  char label[128], last[40], took[24], pages[24], stored[24], rejected[24],
      fails[24], error[STATUS_ERROR_SHOWN + 4];
  int width = (int)strlen("SOURCE");
  size_t i;
  json_t *e;
  json_array_foreach(status, i, e) {
    (void)source_label(e, label, sizeof label);
    if ((int)strlen(label) > width)
      width = (int)strlen(label);
  }
  printf("%-*s %-6s %-20s %8s %6s %8s %8s %5s  %s\n", width, "SOURCE", "RESULT",
         "LAST RUN", "DURATION", "PAGES", "STORED", "REJECTED", "FAILS",
         "NEXT RUN");
  json_array_foreach(status, i, e) {
    (void)source_label(e, label, sizeof label);
    short_time(field_text(e, "started_at"), last, sizeof last);
    short_duration(e, took, sizeof took);
    field_count(e, "pages", pages, sizeof pages);
    field_count(e, "stored", stored, sizeof stored);
    field_count(e, "rejected", rejected, sizeof rejected);
    field_count(e, "consecutive_failures", fails, sizeof fails);
    printf("%-*s %-6s %-20s %8s %6s %8s %8s %5s  %s\n", width, label,
           field_text(e, "outcome"), last, took, pages, stored, rejected, fails,
           field_text(e, "next_run"));
    if (json_is_string(json_object_get(e, "error"))) {
      error_line(field_text(e, "error"), error, sizeof error);
      printf("  error: %s\n", error);
    }
  }
}

int cmd_status(const struct gw_cli *cli, int argc, char **argv) {
  struct gw_app app = {.json_output = cli->json};
  json_t *runs = NULL, *status = NULL;
  char err[GW_ERR_MAX] = "";
  int rc = GW_EXIT_FAILED;
  if (cli_wants_help(argc, argv)) {
    fputs(status_usage, stdout);
    return GW_EXIT_OK;
  }
  if (argc > 1) {
    fprintf(stderr,
            "gateway: status: unexpected argument \"%s\" (status takes "
            "none; see gateway status --help)\n",
            argv[1]);
    return GW_EXIT_USAGE;
  }
  if (app_open(&app, cli->config_path, GW_APP_STORE) != 0)
    return GW_EXIT_USAGE;
  runs = json_object();
  if (!runs ||
      store_latest_runs(app.store, collect_run, runs, err, sizeof err) != 0) {
    fprintf(stderr, "gateway: status: %s\n", err[0] ? err : "out of memory");
    goto out;
  }
  status = build_status(app.cfg, runs, time(NULL));
  if (!status) {
    fprintf(stderr, "gateway: status: out of memory\n");
    goto out;
  }
  if (cli->json) {
    if (json_dumpf(status, stdout, JSON_INDENT(2)) != 0) {
      fprintf(stderr, "gateway: status: cannot write the output\n");
      goto out;
    }
    printf("\n");
  } else {
    print_table(status);
  }
  rc = GW_EXIT_OK;
out:
  json_decref(status);
  json_decref(runs);
  app_close(&app);
  return rc;
}
