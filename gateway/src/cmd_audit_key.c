/*
 * cmd_audit_key.c - `gateway audit key`: the verifier key of the
 * checkpoint signing key, which auditors pin, and `--generate` for a new
 * signing key (docs/exchange-log.md, docs/operations.md).
 *
 * The signing key itself is printed only by --generate, once, to stdout;
 * it never goes to stderr or into a message.
 */
#include "app.h"
#include "audit_commands.h"
#include "audit_keys.h"
#include "text.h"
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char key_usage[] =
    "Usage: gateway [--config FILE] [--json] audit key [--output FILE]\n"
    "       gateway audit key --generate\n"
    "\n"
    "Prints the verifier key of audit.signing_key:\n"
    "  <origin>+<8 hex key id>+<base64 of 0x01 and the Ed25519 public key>\n"
    "Auditors keep it and pass it to `gateway audit verify --key FILE`; it\n"
    "proves which checkpoints this gateway signed and cannot sign anything.\n"
    "\n"
    "  --output FILE  write the verifier key to FILE instead of stdout\n"
    "  --generate     print a new random signing key (64 hex digits) to\n"
    "                 stdout; store it where audit.signing_key reads it\n";

static int generate(void) {
  char hex[AUDIT_SEED_HEX_SIZE];
  if (audit_seed_generate(hex) != 0) {
    fprintf(stderr, "gateway: audit key: no random bytes from OpenSSL\n");
    return GW_EXIT_FAILED;
  }
  fprintf(
      stderr,
      "gateway: audit key: the line on stdout is a new SECRET checkpoint"
      " signing key.\n"
      "  Store it in a file only the gateway can read (for example\n"
      "  /etc/gateway/credentials/audit-signing-key, mode 0600, loaded\n"
      "  with LoadCredential=) and point audit.signing_key at it with\n"
      "  {\"file\": ...} or \"${ENV}\"; never put it into the config file,\n"
      "  a ticket or a log. Keep the old verifier key in\n"
      "  audit.verify_keys so older checkpoints still verify, and give\n"
      "  auditors the new one from `gateway audit key`.\n");
  printf("%s\n", hex);
  OPENSSL_cleanse(hex, sizeof hex);
  return fflush(stdout) == 0 ? GW_EXIT_OK : GW_EXIT_FAILED;
}

/* Writes the key and a newline to path (replacing it), durably. */
static int write_key_file(const char *path, const char *vkey) {
  char line[NOTE_VKEY_MAX + 2];
  size_t len;
  int fd = -1;
  int rc = -1;
  if (text_format(line, sizeof line, "%s\n", vkey) != 0)
    goto out;
  len = strlen(line);
  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, line, len) != (ssize_t)len || fsync(fd) != 0)
    goto out;
  rc = 0;
out:
  if (rc != 0)
    fprintf(stderr, "gateway: audit key: cannot write %s: %s\n", path,
            strerror(errno));
  if (fd >= 0 && close(fd) != 0 && rc == 0) {
    fprintf(stderr, "gateway: audit key: cannot write %s\n", path);
    rc = -1;
  }
  return rc;
}

static int print_key(const struct gw_note_signer *signer, const char *vkey,
                     int json) {
  char id[9];
  json_t *o;
  int rc;
  if (!json) {
    printf("%s\n", vkey);
    return 0;
  }
  (void)text_format(id, sizeof id, "%08x",
                    (unsigned)note_signer_key_id(signer));
  o = json_pack("{s:s, s:s, s:s}", "name", note_signer_name(signer), "key_id",
                id, "verifier_key", vkey);
  rc = o && json_dumpf(o, stdout, JSON_INDENT(2)) == 0 ? 0 : -1;
  if (rc == 0)
    fputc('\n', stdout);
  json_decref(o);
  return rc;
}

int audit_key_main(const struct gw_cli *cli, int argc, char **argv) {
  struct gw_app app = {.json_output = cli->json};
  struct gw_note_signer *signer = NULL;
  const char *output = NULL;
  char vkey[NOTE_VKEY_MAX];
  char err[1024];
  int rc = GW_EXIT_USAGE;
  if (cli_wants_help(argc, argv)) {
    fputs(key_usage, stdout);
    return GW_EXIT_OK;
  }
  if (argc == 2 && strcmp(argv[1], "--generate") == 0)
    return generate();
  if (argc == 3 && strcmp(argv[1], "--output") == 0) {
    output = argv[2];
  } else if (argc != 1) {
    fputs(key_usage, stderr);
    return GW_EXIT_USAGE;
  }
  if (app_open(&app, cli->config_path, 0) != 0)
    return GW_EXIT_USAGE;
  if (!app.cfg->audit_signing_key) {
    fprintf(stderr, "gateway: audit key: no audit.signing_key is configured"
                    " (see `gateway audit key --generate`)\n");
    goto out;
  }
  if (audit_signer_load(app.cfg->audit_signing_key, app.cfg->audit.origin,
                        &signer, err, sizeof err) != 0) {
    fprintf(stderr, "gateway: audit key: %s\n", err);
    goto out;
  }
  rc = GW_EXIT_FAILED;
  if (note_signer_vkey(signer, vkey, sizeof vkey) != 0) {
    fprintf(stderr, "gateway: audit key: cannot format the verifier key\n");
    goto out;
  }
  if (output ? write_key_file(output, vkey) != 0
             : print_key(signer, vkey, cli->json) != 0)
    goto out;
  if (output)
    fprintf(stderr, "gateway: audit key: verifier key %s written to %s\n", vkey,
            output);
  rc = GW_EXIT_OK;
out:
  note_signer_free(signer);
  app_close(&app);
  return rc;
}
