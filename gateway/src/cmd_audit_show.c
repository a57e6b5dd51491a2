/*
 * cmd_audit_show.c - `gateway audit show`: the exchange-log records that
 * match a filter (audit_filter.h), read across all segments
 * (xlog_reader.h), as aligned text (audit_text.h) or as the raw JSON
 * Lines, byte for byte, so the output can be hashed or compared with the
 * log itself.
 *
 * The log is not verified here (that is `audit verify`); lines that are
 * not records (a torn last write, a damaged or over-long line) are
 * skipped with a warning naming the segment and line.
 */
#include "app.h"
#include "audit_commands.h"
#include "audit_filter.h"
#include "audit_text.h"
#include "gw_alloc.h"
#include "text.h"
#include "xlog_reader.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define SHOW_WARNINGS_MAX 10
#define SHOW_STDOUT_BUFFER (1024 * 1024)

static const char show_usage[] =
    "Usage: gateway [--config FILE] audit show [OPTIONS]\n"
    "\n"
    "Lists exchange-log records (audit.path in the config, or --log FILE,\n"
    "with its rotated segments FILE.000001, ... read first), oldest first.\n"
    "Options of one kind may be repeated (either value matches); different\n"
    "kinds must all match.\n"
    "\n"
    "      --log FILE        the log to read instead of audit.path\n"
    "      --from TIME       records at or after TIME\n"
    "      --to TIME         records at or before TIME\n"
    "                        TIME: RFC 3339 UTC (2026-11-24T06:00:00Z) or a\n"
    "                        date (2026-11-24: from its start, to its end)\n"
    "      --source ID       records of this source\n"
    "      --event NAME      fetch, parse, store, export, serve, config,\n"
    "                        plugin_load, refuse, checkpoint, ...\n"
    "      --outcome OUTCOME ok, fail, committed, ...\n"
    "      --trace TRACE_ID  one source run (the run id `gateway status`\n"
    "                        shows)\n"
    "      --format FORMAT   text (default: one aligned line per record) or\n"
    "                        jsonl (the log's lines unchanged; also --json)\n"
    "      --limit N         at most N records\n"
    "\n"
    "Exit status 0, also when nothing matches; 2 for a bad option.\n";

struct show_args {
  struct audit_filter filter;
  const char *log;
  int jsonl;
  uint64_t limit; /* 0: none */
};

static int usage_error(const char *msg) {
  fprintf(stderr, "gateway: audit show: %s (see `gateway audit show --help`)\n",
          msg);
  return -1;
}

static int parse_limit(const char *text, uint64_t *out) {
  uint64_t n;
  if (text_parse_uint64(text, &n) != 0 || n == 0 || text[0] == '-' ||
      text[0] == '+') {
    char msg[160];
    text_format(msg, sizeof msg, "--limit '%.40s' is not a positive number",
                text);
    return usage_error(msg);
  }
  *out = n;
  return 0;
}

static int add_value(struct show_args *a, audit_field kind, const char *v) {
  char err[512];
  if (audit_filter_add(&a->filter, kind, v, err, sizeof err) != 0)
    return usage_error(err);
  return 0;
}

static int parse_time(const char *text, int is_to, int64_t *ms) {
  char err[512];
  if (audit_time_bound(text, is_to, ms, err, sizeof err) != 0)
    return usage_error(err);
  return 0;
}

static int parse_args(int argc, char **argv, struct show_args *a) {
  enum {
    O_LOG = 256,
    O_FROM,
    O_TO,
    O_SOURCE,
    O_EVENT,
    O_OUTCOME,
    O_TRACE,
    O_FORMAT,
    O_LIMIT
  };
  static const struct option longopts[] = {
      {"log", required_argument, NULL, O_LOG},
      {"from", required_argument, NULL, O_FROM},
      {"to", required_argument, NULL, O_TO},
      {"source", required_argument, NULL, O_SOURCE},
      {"event", required_argument, NULL, O_EVENT},
      {"outcome", required_argument, NULL, O_OUTCOME},
      {"trace", required_argument, NULL, O_TRACE},
      {"format", required_argument, NULL, O_FORMAT},
      {"limit", required_argument, NULL, O_LIMIT},
      {NULL, 0, NULL, 0}};
  int c, rc = 0;
  optind = 1;
  opterr = 0;
  while (rc == 0 && (c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    switch (c) {
    case O_LOG:
      a->log = optarg;
      break;
    case O_FROM:
      rc = parse_time(optarg, 0, &a->filter.from_ms);
      break;
    case O_TO:
      rc = parse_time(optarg, 1, &a->filter.to_ms);
      break;
    case O_SOURCE:
      rc = add_value(a, AUDIT_SOURCE, optarg);
      break;
    case O_EVENT:
      rc = add_value(a, AUDIT_EVENT, optarg);
      break;
    case O_OUTCOME:
      rc = add_value(a, AUDIT_OUTCOME, optarg);
      break;
    case O_TRACE:
      rc = add_value(a, AUDIT_TRACE, optarg);
      break;
    case O_FORMAT:
      if (strcmp(optarg, "jsonl") == 0)
        a->jsonl = 1;
      else if (strcmp(optarg, "text") == 0)
        a->jsonl = 0;
      else
        rc = usage_error("--format takes text or jsonl");
      break;
    case O_LIMIT:
      rc = parse_limit(optarg, &a->limit);
      break;
    default: {
      char msg[256];
      text_format(msg, sizeof msg, "unknown option or missing value: %.200s",
                  argv[optind - 1]);
      rc = usage_error(msg);
    }
    }
  }
  if (rc == 0 && optind < argc) {
    char msg[256];
    text_format(msg, sizeof msg, "unexpected argument '%.200s'", argv[optind]);
    rc = usage_error(msg);
  }
  if (rc == 0 && a->filter.from_ms != AUDIT_TIME_NONE_FROM &&
      a->filter.to_ms != AUDIT_TIME_NONE_TO &&
      a->filter.to_ms <= a->filter.from_ms)
    rc = usage_error("--to is before --from");
  return rc;
}

struct show_state {
  uint64_t shown, skipped;
  unsigned warnings;
  char text[AUDIT_TEXT_LINE_MAX];
};

static void warn_line(struct show_state *s, const struct gw_xlog_line *line,
                      const char *what) {
  s->skipped++;
  if (++s->warnings > SHOW_WARNINGS_MAX)
    return;
  fprintf(stderr, "gateway: audit show: warning: %s line %llu: %s, not shown\n",
          line->segment, (unsigned long long)line->line_no, what);
}

/* 1 to go on, 0 to stop (limit reached or past the time range). */
static int show_line(const struct show_args *a, struct show_state *s,
                     const struct gw_xlog_line *line) {
  audit_match m;
  if (line->kind == XLOG_LINE_TORN) {
    warn_line(s, line,
              "torn last record (no newline: a write interrupted by a "
              "crash; see docs/exchange-log.md)");
    return 1;
  }
  if (line->kind == XLOG_LINE_TOO_LONG) {
    warn_line(s, line, "longer than a record can be (1 MiB)");
    return 1;
  }
  m = audit_filter_match(&a->filter, line->text, line->len);
  if (m == AUDIT_MATCH_PAST_END)
    return 0;
  if (m == AUDIT_MATCH_DAMAGED) {
    warn_line(s, line, "not a JSON record with a time stamp");
    return 1;
  }
  if (m != AUDIT_MATCH_YES)
    return 1;
  if (a->jsonl) {
    fwrite(line->text, 1, line->len, stdout);
    putchar('\n');
  } else if (audit_text_record(line->text, line->len, s->text,
                               sizeof s->text) == 0) {
    fputs(s->text, stdout);
  } else {
    warn_line(s, line, "not a JSON record");
    return 1;
  }
  s->shown++;
  return a->limit == 0 || s->shown < a->limit;
}

static int show(const struct show_args *a, const char *log) {
  struct gw_xlog_reader *reader = NULL;
  struct gw_xlog_line line;
  struct show_state *s = NULL;
  char err[1024];
  int rc = GW_EXIT_FAILED, step;

  s = gw_calloc(1, sizeof *s);
  if (!s) {
    fputs("gateway: audit show: out of memory\n", stderr);
    goto out;
  }
  if (xlog_reader_open(log, &reader, err, sizeof err) != 0) {
    fprintf(stderr, "gateway: audit show: %s\n", err);
    goto out;
  }
  if (!a->jsonl)
    fputs(audit_text_header(), stdout);
  while ((step = xlog_reader_next(reader, &line, err, sizeof err)) == 1)
    if (!show_line(a, s, &line))
      break;
  if (step < 0) {
    fprintf(stderr, "gateway: audit show: %s\n", err);
    goto out;
  }
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fputs("gateway: audit show: cannot write to standard output\n", stderr);
    goto out;
  }
  if (s->warnings > SHOW_WARNINGS_MAX)
    fprintf(stderr,
            "gateway: audit show: warning: %llu lines skipped in all (first "
            "%d named above)\n",
            (unsigned long long)s->skipped, SHOW_WARNINGS_MAX);
  if (s->shown == 0 && !a->jsonl)
    fputs("gateway: audit show: no records match\n", stderr);
  rc = GW_EXIT_OK;
out:
  xlog_reader_close(reader);
  gw_free(s);
  return rc;
}

int audit_show_main(const struct gw_cli *cli, int argc, char **argv) {
  static char out_buffer[SHOW_STDOUT_BUFFER];
  struct gw_app app = {.json_output = cli->json};
  struct show_args *a = NULL;
  int rc = GW_EXIT_USAGE;

  if (cli_wants_help(argc, argv)) {
    fputs(show_usage, stdout);
    return GW_EXIT_OK;
  }
  a = gw_calloc(1, sizeof *a);
  if (!a) {
    fputs("gateway: audit show: out of memory\n", stderr);
    return GW_EXIT_FAILED;
  }
  audit_filter_init(&a->filter);
  a->jsonl = cli->json;
  if (parse_args(argc, argv, a) != 0)
    goto out;
  if (!a->log) {
    if (app_open(&app, cli->config_path, 0) != 0)
      goto out;
    a->log = app.cfg->audit_path;
  }
  /* Records are written out in big blocks: a full dump of a large log is
   * bound by reading, not by write calls. Nothing has been written to
   * stdout yet, as setvbuf() requires; the buffer lives to the exit. */
  setvbuf(stdout, out_buffer, _IOFBF, sizeof out_buffer);
  rc = show(a, a->log);
out:
  app_close(&app);
  audit_filter_free(&a->filter);
  gw_free(a);
  return rc;
}
