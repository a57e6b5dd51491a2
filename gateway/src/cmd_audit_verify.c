/*
 * cmd_audit_verify.c - `gateway audit verify`: check the exchange log, all
 * its segments and checkpoints, against the trusted keys and optionally a
 * checkpoint file kept off the machine; `--seal-torn` handles a torn last
 * line (docs/exchange-log.md).
 */
#include "app.h"
#include "audit_commands.h"
#include "audit_keys.h"
#include "gw_alloc.h"
#include "text.h"
#include "xlog_verify.h"
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char verify_usage[] =
    "Usage: gateway [--config FILE] [--json] audit verify [--log FILE]\n"
    "         [--checkpoint FILE] [--key VKEYFILE]... [--seal-torn]\n"
    "\n"
    "Verifies the exchange log (audit.path in the config, or --log FILE) and\n"
    "its closed segments FILE.000001, FILE.000002, ...: every line is a JSON\n"
    "record, sequence numbers have no gaps, each record carries the SHA-256\n"
    "of the line before it, and every checkpoint has the Merkle root of the\n"
    "records before it and a valid signature by a trusted key.\n"
    "\n"
    "  --log FILE         verify FILE (e.g. a copy) instead of audit.path\n"
    "  --checkpoint FILE  checkpoints kept elsewhere (audit.checkpoint_file\n"
    "                     copied off the machine): the log must contain every\n"
    "                     one of them, else it was truncated or rewritten.\n"
    "                     Without --log the local audit.checkpoint_file is\n"
    "                     used when it exists.\n"
    "  --key VKEYFILE     trust this verifier key (from `gateway audit key`)\n"
    "                     besides the configured signing key and\n"
    "                     audit.verify_keys; may be repeated\n"
    "  --seal-torn        if the only problem is a torn last line (a crash\n"
    "                     during an append), move its bytes to\n"
    "                     FILE.torn-<time>, cut the log back to its last\n"
    "                     complete record and log a torn_tail record\n"
    "\n"
    "The first problem is reported with file, line and seq. Exit status 0\n"
    "when intact, 1 when not, 2 on a usage or configuration error.\n";

#define MAX_KEY_FILES 16

struct verify_args {
  const char *log;
  const char *checkpoint;
  const char *keys[MAX_KEY_FILES];
  size_t key_count;
  int seal_torn;
};

static int parse_args(int argc, char **argv, struct verify_args *a) {
  memset(a, 0, sizeof *a);
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    int has_value = i + 1 < argc;
    if (strcmp(arg, "--seal-torn") == 0) {
      a->seal_torn = 1;
    } else if (strcmp(arg, "--log") == 0 && has_value && !a->log) {
      a->log = argv[++i];
    } else if (strcmp(arg, "--checkpoint") == 0 && has_value &&
               !a->checkpoint) {
      a->checkpoint = argv[++i];
    } else if (strcmp(arg, "--key") == 0 && has_value &&
               a->key_count < MAX_KEY_FILES) {
      a->keys[a->key_count++] = argv[++i];
    } else {
      fprintf(stderr, "gateway: audit verify: unexpected argument '%s'\n\n",
              arg);
      return -1;
    }
  }
  return 0;
}

static int file_exists(const char *path) {
  struct stat st;
  return path && stat(path, &st) == 0;
}

static int load_keys(const struct gw_config *cfg, const struct verify_args *a,
                     struct audit_keyring *ring) {
  char err[1024];
  if (audit_keyring_add_config(ring, cfg, err, sizeof err) != 0) {
    fprintf(stderr, "gateway: audit verify: %s\n", err);
    return -1;
  }
  for (size_t i = 0; i < a->key_count; i++) {
    if (audit_keyring_add_file(ring, a->keys[i], err, sizeof err) != 0) {
      fprintf(stderr, "gateway: audit verify: %s\n", err);
      return -1;
    }
  }
  return 0;
}

/* Log options for writing the torn_tail record: the configured ones, with
 * a copy's own checkpoint file when --log names another log. */
static int seal(const struct gw_config *cfg, const char *log, int is_config_log,
                char *moved_to, size_t moved_to_size) {
  struct gw_xlog_options opts;
  char checkpoints[4096];
  char err[1024];
  int rc;
  audit_xlog_options(cfg, &opts);
  if (!is_config_log) {
    if (text_format(checkpoints, sizeof checkpoints, "%s.checkpoints", log) !=
        0) {
      fprintf(stderr, "gateway: audit verify: path too long: %s\n", log);
      return -1;
    }
    opts.checkpoint_file = checkpoints;
  }
  rc = xlog_seal_torn(log, &opts, moved_to, moved_to_size, err, sizeof err);
  if (rc < 0)
    fprintf(stderr, "gateway: audit verify --seal-torn: %s\n", err);
  return rc;
}

static void print_text(const char *log, const struct xlog_verify_report *r,
                       const char *checkpoint_file, const char *moved_to) {
  if (moved_to[0])
    printf("%s: sealed the torn last line: its bytes are in %s and a"
           " torn_tail record says so\n",
           log, moved_to);
  if (r->problem != XLOG_OK) {
    fprintf(stderr, "gateway: audit verify: %s\n", r->error);
    printf("%s: NOT intact (%s): %llu records checked before the problem\n",
           log, xlog_problem_name(r->problem), (unsigned long long)r->records);
    return;
  }
  printf("%s: intact: %llu records in %u segment%s, %llu checkpoints"
         " verified (%llu signed)",
         log, (unsigned long long)r->records, r->files,
         r->files == 1 ? "" : "s", (unsigned long long)r->checkpoints,
         (unsigned long long)r->signed_checkpoints);
  if (r->have_signed)
    printf(", newest signed size %llu",
           (unsigned long long)r->newest_signed_size);
  printf("\n");
  if (checkpoint_file)
    printf("%s: all %llu checkpoints in %s are contained in the log (newest"
           " size %llu)\n",
           log, (unsigned long long)r->notes_checked, checkpoint_file,
           (unsigned long long)r->newest_note_size);
  if (r->warning[0])
    fprintf(stderr, "gateway: audit verify: warning: %s\n", r->warning);
}

static int set_nullable_string(json_t *obj, const char *key, const char *s) {
  return json_object_set_new(obj, key, s && *s ? json_string(s) : json_null());
}

/* jansson escapes every string, so paths and messages stay valid JSON. */
static int print_json(const char *log, const struct xlog_verify_report *r,
                      const char *checkpoint_file, const char *moved_to) {
  json_t *o = json_object();
  int ok = r->problem == XLOG_OK;
  int rc = -1;
  if (!o || json_object_set_new(o, "log", json_string(log)) ||
      json_object_set_new(o, "intact", json_boolean(ok)) ||
      json_object_set_new(o, "problem",
                          ok ? json_null()
                             : json_string(xlog_problem_name(r->problem))) ||
      set_nullable_string(o, "error", r->error) ||
      json_object_set_new(o, "records", json_integer((json_int_t)r->records)) ||
      json_object_set_new(o, "segments", json_integer(r->files)) ||
      json_object_set_new(o, "checkpoints",
                          json_integer((json_int_t)r->checkpoints)) ||
      json_object_set_new(o, "signed_checkpoints",
                          json_integer((json_int_t)r->signed_checkpoints)) ||
      json_object_set_new(o, "newest_signed_size",
                          r->have_signed
                              ? json_integer((json_int_t)r->newest_signed_size)
                              : json_null()) ||
      set_nullable_string(o, "checkpoint_file", checkpoint_file) ||
      json_object_set_new(o, "checkpoint_file_notes",
                          json_integer((json_int_t)r->notes_checked)) ||
      set_nullable_string(o, "warning", r->warning) ||
      set_nullable_string(o, "torn_moved_to", moved_to))
    goto out;
  if (json_dumpf(o, stdout, JSON_INDENT(2)) != 0)
    goto out;
  fputc('\n', stdout);
  rc = 0;
out:
  json_decref(o);
  return rc;
}

int audit_verify_main(const struct gw_cli *cli, int argc, char **argv) {
  struct gw_app app = {.json_output = cli->json};
  struct verify_args a;
  struct audit_keyring ring = {0};
  struct xlog_verify_options opts = {0};
  struct xlog_verify_report *rep = NULL;
  char moved_to[4096] = "";
  const char *log;
  int rc = GW_EXIT_USAGE;
  if (cli_wants_help(argc, argv)) {
    fputs(verify_usage, stdout);
    return GW_EXIT_OK;
  }
  if (parse_args(argc, argv, &a) != 0) {
    fputs(verify_usage, stderr);
    return GW_EXIT_USAGE;
  }
  if (app_open(&app, cli->config_path, 0) != 0)
    return GW_EXIT_USAGE;
  log = a.log ? a.log : app.cfg->audit_path;
  if (load_keys(app.cfg, &a, &ring) != 0)
    goto out;
  rep = gw_calloc(1, sizeof *rep);
  if (!rep) {
    fprintf(stderr, "gateway: audit verify: out of memory\n");
    goto out;
  }
  opts.keys = ring.keys;
  opts.key_count = ring.count;
  /* The configured origin binds the configured log; a copy named with
   * --log must only be consistent with itself. */
  opts.origin = a.log ? NULL : app.cfg->audit.origin;
  opts.checkpoint_file = a.checkpoint;
  if (!a.checkpoint && !a.log && file_exists(app.cfg->audit.checkpoint_file))
    opts.checkpoint_file = app.cfg->audit.checkpoint_file;
  rc = GW_EXIT_FAILED;
  if (xlog_verify(log, &opts, rep) != 0 && rep->problem == XLOG_TORN &&
      a.seal_torn) {
    int is_config_log = strcmp(log, app.cfg->audit_path) == 0;
    if (seal(app.cfg, log, is_config_log, moved_to, sizeof moved_to) < 0)
      goto out;
    (void)xlog_verify(log, &opts, rep);
  } else if (a.seal_torn && rep->problem != XLOG_OK &&
             rep->problem != XLOG_TORN) {
    fprintf(stderr, "gateway: audit verify: not sealing: the log has a"
                    " problem other than a torn last line\n");
  }
  if (cli->json)
    (void)print_json(log, rep, opts.checkpoint_file, moved_to);
  else
    print_text(log, rep, opts.checkpoint_file, moved_to);
  rc = rep->problem == XLOG_OK ? GW_EXIT_OK : GW_EXIT_FAILED;
out:
  gw_free(rep);
  audit_keyring_free(&ring);
  app_close(&app);
  return rc;
}
