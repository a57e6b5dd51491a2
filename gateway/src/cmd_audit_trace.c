/*
 * cmd_audit_trace.c - `gateway audit trace INDICATOR AREA PERIOD`: the
 * chain from fetch to feed behind one published figure (audit_trace.h),
 * from the store's revision history (provenance.h) and one pass over the
 * exchange log.
 */
#include "app.h"
#include "audit_commands.h"
#include "audit_trace.h"
#include "gw_alloc.h"
#include "normaliser.h"
#include "period.h"
#include "provenance.h"
#include "text.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define TRACE_DIMENSIONS_MAX 16
#define TRACE_PATH_MAX 4096

static const char trace_usage[] =
    "Usage: gateway [--config FILE] [--json] audit trace INDICATOR AREA "
    "PERIOD\n"
    "                                        [OPTIONS]\n"
    "\n"
    "Shows where a published figure came from: every revision of it in the\n"
    "store (value, status, when it was valid), and for each the fetch that\n"
    "delivered it (URL, HTTP status, TLS version, the server's certificate,\n"
    "the payload's SHA-256 and whether the payload is still in the spool),\n"
    "the run's parse and store records, and the exports that published it.\n"
    "\n"
    "  INDICATOR            catalogue id, e.g. bijstand_per_10k\n"
    "  AREA                 area code, e.g. GM0384\n"
    "  PERIOD               e.g. 2020, 2022-Q1 (StatLine codes are accepted)\n"
    "      --breakdown B    only this breakdown: a JSON object\n"
    "                       ('{\"age\":\"18+\"}', '{}' for none) or "
    "DIM=MEMBER,\n"
    "                       repeated for several dimensions; default: all\n"
    "      --source ID      only this source; default: all\n"
    "      --log FILE       the exchange log instead of audit.path\n"
    "      --json           the chain as JSON (docs/provenance.md)\n"
    "\n"
    "Exit status 0 when the chain is complete, 1 when the figure is not in\n"
    "the store or the chain has a gap (named), 2 for a bad argument.\n";

struct trace_args {
  const char *indicator, *area, *source, *log;
  char period[GW_PERIOD_MAX];
  char breakdown[GW_BREAKDOWN_MAX];
  int have_breakdown;
  const char *json_breakdown;
  struct gw_breakdown_item items[TRACE_DIMENSIONS_MAX];
  char *item_text[TRACE_DIMENSIONS_MAX]; /* owned copies, split at '=' */
  size_t n_items;
  int json;
};

static int usage_error(const char *msg) {
  fprintf(stderr,
          "gateway: audit trace: %s (see `gateway audit trace --help`)\n", msg);
  return -1;
}

static void free_args(struct trace_args *a) {
  for (size_t i = 0; i < a->n_items; i++)
    gw_free(a->item_text[i]);
}

static int add_pair(struct trace_args *a, const char *text) {
  char *copy, *eq;
  if (a->n_items >= TRACE_DIMENSIONS_MAX)
    return usage_error("too many --breakdown dimensions");
  copy = gw_strdup(text);
  if (!copy)
    return usage_error("out of memory");
  eq = strchr(copy, '=');
  if (!eq || eq == copy || eq[1] == '\0') {
    gw_free(copy);
    return usage_error("--breakdown takes a JSON object or DIM=MEMBER");
  }
  *eq = '\0';
  a->item_text[a->n_items] = copy;
  a->items[a->n_items].dimension = copy;
  a->items[a->n_items].member = eq + 1;
  a->n_items++;
  return 0;
}

/* '{"age":"18+"}' or DIM=MEMBER pairs, into the store's canonical text. */
static int canonical_breakdown(struct trace_args *a) {
  char reason[512], msg[640];
  json_t *obj = NULL;
  struct gw_breakdown_item items[TRACE_DIMENSIONS_MAX];
  const struct gw_breakdown_item *use = a->items;
  size_t n = a->n_items;
  int rc = -1;
  if (a->json_breakdown) {
    const char *key;
    json_t *value;
    if (a->n_items) {
      usage_error("give --breakdown either as one JSON object or as "
                  "DIM=MEMBER pairs");
      goto out;
    }
    obj = json_loads(a->json_breakdown, 0, NULL);
    if (!json_is_object(obj)) {
      usage_error("--breakdown is not a JSON object");
      goto out;
    }
    n = 0;
    json_object_foreach(obj, key, value) {
      if (!json_is_string(value) || n >= TRACE_DIMENSIONS_MAX) {
        usage_error("--breakdown: every member must be a string");
        goto out;
      }
      items[n].dimension = key;
      items[n].member = json_string_value(value);
      n++;
    }
    use = items;
  }
  if (breakdown_canonical(use, n, NULL, 0, a->breakdown, sizeof a->breakdown,
                          reason, sizeof reason) != 0) {
    text_format(msg, sizeof msg, "--breakdown: %s", reason);
    usage_error(msg);
    goto out;
  }
  rc = 0;
out:
  json_decref(obj);
  return rc;
}

static int parse_args(int argc, char **argv, struct trace_args *a) {
  enum { O_BREAKDOWN = 256, O_SOURCE, O_LOG, O_JSON };
  static const struct option longopts[] = {
      {"breakdown", required_argument, NULL, O_BREAKDOWN},
      {"source", required_argument, NULL, O_SOURCE},
      {"log", required_argument, NULL, O_LOG},
      {"json", no_argument, NULL, O_JSON},
      {NULL, 0, NULL, 0}};
  char msg[256];
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    switch (c) {
    case O_BREAKDOWN:
      a->have_breakdown = 1;
      if (optarg[0] == '{') {
        if (a->json_breakdown)
          return usage_error("--breakdown as JSON may be given once");
        a->json_breakdown = optarg;
      } else if (add_pair(a, optarg) != 0) {
        return -1;
      }
      break;
    case O_SOURCE:
      a->source = optarg;
      break;
    case O_LOG:
      a->log = optarg;
      break;
    case O_JSON:
      a->json = 1;
      break;
    default:
      text_format(msg, sizeof msg, "unknown option or missing value: %.200s",
                  argv[optind - 1]);
      return usage_error(msg);
    }
  }
  if (argc - optind != 3)
    return usage_error("give INDICATOR AREA PERIOD");
  a->indicator = argv[optind];
  a->area = argv[optind + 1];
  if (!a->indicator[0] || !a->area[0] ||
      period_normalise(argv[optind + 2], a->period, sizeof a->period) ==
          GW_PERIOD_INVALID) {
    text_format(msg, sizeof msg, "'%.40s %.40s %.40s' is not a figure",
                a->indicator, a->area, argv[optind + 2]);
    return usage_error(msg);
  }
  if (a->have_breakdown && canonical_breakdown(a) != 0)
    return -1;
  return 0;
}

/* For a figure that is not there: which breakdowns and sources are, so
 * the auditor sees a typo at once. */
static int list_alternative(const struct gw_revision *rev, void *user) {
  unsigned *shown = user;
  if (rev->obs.revision != 1 || (*shown)++ >= 20)
    return 0;
  fprintf(stderr, "  breakdown %s source %s\n", rev->obs.breakdown,
          rev->obs.source_id);
  return 0;
}

static void say_missing(struct gw_provenance *prov, const struct trace_args *a,
                        const struct gw_figure_key *key, const char *db) {
  struct gw_figure_key any = {key->indicator, key->area, key->period, NULL,
                              NULL};
  char err[512];
  unsigned shown = 0;
  fprintf(stderr, "gateway: audit trace: no figure %s %s %s", a->indicator,
          a->area, a->period);
  if (a->have_breakdown)
    fprintf(stderr, " with breakdown %s", a->breakdown);
  if (a->source)
    fprintf(stderr, " from source %s", a->source);
  fprintf(stderr, " in the store %s\n", db);
  if (a->have_breakdown || a->source) {
    size_t n = 0;
    if (provenance_history(prov, &any, NULL, NULL, &n, err, sizeof err) == 0 &&
        n > 0) {
      fputs("gateway: audit trace: these exist for it:\n", stderr);
      (void)provenance_history(prov, &any, list_alternative, &shown, NULL, err,
                               sizeof err);
    }
  }
}

static int trace(const struct trace_args *a, const struct gw_config *cfg) {
  struct gw_provenance *prov = NULL;
  struct audit_trace *t = NULL;
  json_t *doc = NULL;
  struct gw_figure_key key = {a->indicator, a->area, a->period,
                              a->have_breakdown ? a->breakdown : NULL,
                              a->source};
  char db[TRACE_PATH_MAX], spool[TRACE_PATH_MAX], err[1024];
  size_t count = 0, problems = 0;
  int rc = GW_EXIT_FAILED;

  if (text_format(db, sizeof db, "%s/gateway.db", cfg->data_dir) != 0 ||
      text_format(spool, sizeof spool, "%s/spool", cfg->data_dir) != 0) {
    fprintf(stderr, "gateway: audit trace: data_dir %s: path too long\n",
            cfg->data_dir);
    goto out;
  }
  t = audit_trace_new();
  if (!t) {
    fputs("gateway: audit trace: out of memory\n", stderr);
    goto out;
  }
  if (provenance_open(db, &prov, err, sizeof err) != 0 ||
      provenance_history(prov, &key, audit_trace_add, t, &count, err,
                         sizeof err) != 0) {
    fprintf(stderr, "gateway: audit trace: %s\n", err);
    goto out;
  }
  if (count == 0) {
    say_missing(prov, a, &key, db);
    goto out;
  }
  if (audit_trace_scan_log(t, a->log ? a->log : cfg->audit_path, err,
                           sizeof err) != 0) {
    fprintf(stderr, "gateway: audit trace: %s\n", err);
    goto out;
  }
  audit_trace_check_spool(t, spool);
  doc = audit_trace_document(t, &problems);
  if (!doc) {
    fputs("gateway: audit trace: out of memory\n", stderr);
    goto out;
  }
  if (a->json) {
    if (json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII) != 0)
      goto out;
    putchar('\n');
  } else {
    audit_trace_print(stdout, doc);
  }
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fputs("gateway: audit trace: cannot write to standard output\n", stderr);
    goto out;
  }
  if (problems)
    fprintf(stderr, "gateway: audit trace: %zu problem%s in the chain\n",
            problems, problems == 1 ? "" : "s");
  rc = problems ? GW_EXIT_FAILED : GW_EXIT_OK;
out:
  json_decref(doc);
  audit_trace_free(t);
  provenance_close(prov);
  return rc;
}

int audit_trace_main(const struct gw_cli *cli, int argc, char **argv) {
  struct gw_app app = {.json_output = cli->json};
  struct trace_args *a = NULL;
  int rc = GW_EXIT_USAGE;
  if (cli_wants_help(argc, argv)) {
    fputs(trace_usage, stdout);
    return GW_EXIT_OK;
  }
  a = gw_calloc(1, sizeof *a);
  if (!a) {
    fputs("gateway: audit trace: out of memory\n", stderr);
    return GW_EXIT_FAILED;
  }
  a->json = cli->json;
  if (parse_args(argc, argv, a) != 0)
    goto out;
  if (app_open(&app, cli->config_path, 0) != 0)
    goto out;
  rc = trace(a, app.cfg);
out:
  app_close(&app);
  free_args(a);
  gw_free(a);
  return rc;
}
