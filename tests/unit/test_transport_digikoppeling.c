/*
 * test_transport_digikoppeling.c - the digikoppeling TLS profile and the
 * precise TLS refusals (docs/tls.md), against the local fixture server
 * presenting each certificate of the test PKI (certs/make-test-ca.sh), and
 * against `openssl s_server` offering only TLS 1.1.
 *
 * Every refusal must: fail (never retry), say exactly why, mark the result
 * as a TLS refusal, leave nothing in the spool, and - where the handshake
 * itself fails - never reach the server's HTTP layer (its request log
 * stays empty). Each refusal test has a passing twin with only the one
 * thing changed, so the checks can fail.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_server.h"
#include "test_support.h"
#include "text.h"
#include "transport.h"

#define SERVER_OIN "00000099000000000001"
#define WRONG_OIN "00000099000000000002"
#define DATA_JSON "{\"value\":[{\"Key\":\"GM0384\",\"Title\":\"Diemen\"}]}\n"
#define PATH_MAX_TEST 1024

static char root[512];
static char spool[600];
static char ca_dir[512];
static struct ts_server srv;
static pid_t old_tls_server;

static const char *ca_file(const char *name) {
  static char buf[4][PATH_MAX_TEST];
  static int next;
  char *out = buf[next];
  next = (next + 1) % 4;
  cr_assert_eq(text_format(out, PATH_MAX_TEST, "%s/%s", ca_dir, name), 0);
  return out;
}

static void setup(void) {
  const char *d = ts_mkdtemp();
  const char *cas;
  cr_assert_not_null(d);
  cr_assert_eq(text_copy(root, sizeof root, d), 0);
  cr_assert_eq(text_format(spool, sizeof spool, "%s/spool", root), 0);
  cr_assert_eq(ts_write_file(ts_path(root, "data.json"), DATA_JSON), 0);
  cas = ts_test_ca_dir();
  cr_assert_not_null(cas, "test CA could not be made");
  cr_assert_eq(text_copy(ca_dir, sizeof ca_dir, cas), 0);
  cr_assert_eq(transport_global_init(), 0);
}

static void teardown(void) {
  ts_server_stop(&srv);
  if (old_tls_server > 0) {
    kill(old_tls_server, SIGTERM);
    waitpid(old_tls_server, NULL, 0);
    old_tls_server = 0;
  }
  transport_global_cleanup();
  ts_rm_rf(root);
}

TestSuite(digikoppeling, .init = setup, .fini = teardown, .timeout = 60);
TestSuite(refusal, .init = setup, .fini = teardown, .timeout = 60);
TestSuite(dk_policy, .init = setup, .fini = teardown, .timeout = 30);

/* ---- helpers ------------------------------------------------------------ */

static void start_server(const char *cert_name, int require_client_cert) {
  struct ts_server_options opt = {.cert_name = cert_name,
                                  .require_client_cert = require_client_cert};
  cr_assert_eq(ts_server_start_with(root, &opt, &srv), 0,
               "fixture server with %s did not start", cert_name);
}

static void dk_settings(struct gw_tls_settings *tls, const char *oin) {
  *tls = (struct gw_tls_settings){.profile = GW_TLS_DIGIKOPPELING,
                                  .ca_file = ca_file("ca.crt"),
                                  .client_cert = ca_file("client.crt"),
                                  .client_key = ca_file("client.key"),
                                  .crl_file = ca_file("ca.crl"),
                                  .expected_oin = oin,
                                  .min_tls_minor = 2};
}

static int fetch_with(const struct gw_tls_settings *tls, const char *url,
                      struct gw_transport_result *res) {
  struct gw_transport *t = NULL;
  struct gw_transport_request req = {.url = url, .spool_dir = spool};
  struct gw_transport_limits limits;
  char err[512] = "";
  int rc;
  transport_default_limits(&limits);
  limits.proxy = ""; /* never an environment proxy in a test */
  limits.connect_timeout_ms = 5000;
  limits.total_timeout_ms = 20000;
  cr_assert_eq(transport_new(tls, &limits, &t, err, sizeof err), 0, "%s", err);
  rc = transport_fetch(t, &req, res);
  transport_free(t);
  return rc;
}

static const char *url_on(const struct ts_server *s, const char *path) {
  static char buf[256];
  cr_assert_eq(text_format(buf, sizeof buf, "%s%s", s->base_url, path), 0);
  return buf;
}

static int spool_entries(void) {
  DIR *d = opendir(spool);
  struct dirent *e;
  int n = 0;
  if (!d)
    return 0;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
      n++;
  closedir(d);
  return n;
}

/* The shape every refusal shares; the message must START with prefix. */
static void assert_refused(const struct gw_transport_result *res,
                           const char *prefix) {
  cr_log_info("refused: %s", res->error);
  cr_assert_eq(res->outcome, GW_FAIL, "outcome %d: %s", res->outcome,
               res->error);
  cr_assert_eq(res->tls_refused, 1, "not marked as a TLS refusal: %s",
               res->error);
  cr_assert_eq(strncmp(res->error, prefix, strlen(prefix)), 0,
               "error does not start with '%s': %s", prefix, res->error);
  cr_assert_null(strchr(res->error, '\n'));
  cr_assert_eq(res->http_status, 0);
  cr_assert_eq(res->spool_path[0], '\0');
  cr_assert_eq(spool_entries(), 0, "something was spooled");
}

static void assert_no_http_request(const struct ts_server *s) {
  cr_assert_eq(ts_server_count_requests(s, "/data.json"), 0,
               "the server saw an HTTP request");
}

/* ---- digikoppeling: success and each refusal --------------------------- */

Test(digikoppeling, mutual_tls_with_the_right_oin_succeeds) {
  struct gw_tls_settings tls;
  struct gw_transport_result res;
  start_server("server", 1);
  dk_settings(&tls, SERVER_OIN);
  cr_assert_eq(fetch_with(&tls, url_on(&srv, "/data.json"), &res), 0, "%s",
               res.error);
  cr_assert_eq(res.outcome, GW_OK);
  cr_assert_eq(res.tls_refused, 0);
  cr_assert_eq(res.http_status, 200);
  cr_assert_str_eq(res.peer_oin, SERVER_OIN);
  cr_assert_not_null(strstr(res.tls_version, "TLSv1."), "%s", res.tls_version);
  cr_assert_eq(ts_server_count_requests(&srv, "/data.json"), 1);
  cr_assert_eq(access(res.spool_path, R_OK), 0, "%s", res.spool_path);
  cr_assert_gt(spool_entries(), 0);
}

Test(digikoppeling, tls12_only_server_with_ncsc_suites_succeeds) {
  struct ts_server_options opt = {
      .cert_name = "server", .require_client_cert = 1, .tls12_only = 1};
  struct gw_tls_settings tls;
  struct gw_transport_result res;
  cr_assert_eq(ts_server_start_with(root, &opt, &srv), 0);
  dk_settings(&tls, SERVER_OIN);
  cr_assert_eq(fetch_with(&tls, url_on(&srv, "/data.json"), &res), 0, "%s",
               res.error);
  cr_assert_str_eq(res.tls_version, "TLSv1.2");
}

Test(digikoppeling, wrong_oin_is_refused_in_the_handshake) {
  struct gw_tls_settings tls;
  struct gw_transport_result res;
  start_server("wrongoin-server", 1);
  dk_settings(&tls, SERVER_OIN);
  cr_assert_eq(fetch_with(&tls, url_on(&srv, "/data.json"), &res), -1);
  assert_refused(&res, "peer OIN " WRONG_OIN
                       " does not match expected_oin " SERVER_OIN);
  cr_assert_str_eq(res.peer_oin, WRONG_OIN);
  cr_assert_eq(strlen(res.peer_cert_sha256), 64);
  assert_no_http_request(&srv);
}

/* The twin: the same certificate passes when its OIN is the expected one. */
Test(digikoppeling, the_other_oin_is_accepted_when_expected) {
  struct gw_tls_settings tls;
  struct gw_transport_result res;
  start_server("wrongoin-server", 1);
  dk_settings(&tls, WRONG_OIN);
  cr_assert_eq(fetch_with(&tls, url_on(&srv, "/data.json"), &res), 0, "%s",
               res.error);
  cr_assert_str_eq(res.peer_oin, WRONG_OIN);
}

Test(digikoppeling, expired_certificate_is_refused) {
  struct gw_tls_settings tls;
  struct gw_transport_result res;
  start_server("expired-server", 1);
  dk_settings(&tls, SERVER_OIN);
  cr_assert_eq(fetch_with(&tls, url_on(&srv, "/data.json"), &res), -1);
  assert_refused(&res, "certificate expired");
  cr_assert_not_null(strstr(res.error, "2021"), "%s", res.error);
  assert_no_http_request(&srv);
}

Test(digikoppeling, wrong_san_is_a_hostname_mismatch) {
  struct gw_tls_settings tls;
  struct gw_transport_result res;
  start_server("wrongsan-server", 1);
  dk_settings(&tls, SERVER_OIN);
  cr_assert_eq(fetch_with(&tls, url_on(&srv, "/data.json"), &res), -1);
  assert_refused(&res, "hostname mismatch");
  cr_assert_not_null(strstr(res.error, "127.0.0.1"), "%s", res.error);
  assert_no_http_request(&srv);
}

Test(digikoppeling, untrusted_ca_is_refused) {
  struct gw_tls_settings tls;
  struct gw_transport_result res;
  start_server("untrusted-server", 1);
  dk_settings(&tls, SERVER_OIN);
  cr_assert_eq(fetch_with(&tls, url_on(&srv, "/data.json"), &res), -1);
  assert_refused(&res, "untrusted CA");
  assert_no_http_request(&srv);
}

Test(digikoppeling, revoked_certificate_is_refused) {
  struct gw_tls_settings tls;
  struct gw_transport_result res;
  start_server("revoked-server", 1);
  dk_settings(&tls, SERVER_OIN);
  cr_assert_eq(fetch_with(&tls, url_on(&srv, "/data.json"), &res), -1);
  assert_refused(&res, "certificate revoked");
  cr_assert_str_eq(res.peer_oin, SERVER_OIN);
  assert_no_http_request(&srv);
}

/* The revoked certificate is otherwise fine: the public profile (no CRL)
 * accepts it, so the refusal above is the CRL's doing. */
Test(digikoppeling, revoked_certificate_passes_without_crl_checking) {
  struct gw_tls_settings tls = {.profile = GW_TLS_PUBLIC,
                                .ca_file = ca_file("ca.crt"),
                                .min_tls_minor = 2};
  struct gw_transport_result res;
  start_server("revoked-server", 0);
  cr_assert_eq(fetch_with(&tls, url_on(&srv, "/data.json"), &res), 0, "%s",
               res.error);
}

/* A CRL file without the issuer's CRL fails closed. */
Test(digikoppeling, crl_file_without_the_issuers_crl_fails_closed) {
  struct gw_tls_settings tls;
  struct gw_transport_result res;
  char other_crl[PATH_MAX_TEST];
  char cmd[4 * PATH_MAX_TEST];
  const char *db = ts_path(root, "crldb");
  cr_assert_eq(text_format(other_crl, sizeof other_crl, "%s/other.crl", root),
               0);
  /* A valid CRL, but of the OTHER root, made with the openssl tool. */
  cr_assert_eq(
      text_format(
          cmd, sizeof cmd,
          "set -e; mkdir -p %s; : > %s/index.txt; echo 01 > %s/crlnumber; "
          "printf '[ca]\\ndefault_ca=x\\n[x]\\ndatabase=%s/index.txt\\n"
          "crlnumber=%s/crlnumber\\ndefault_md=sha256\\ndefault_crl_days=2\\n'"
          " > %s/ca.cnf; openssl ca -batch -config %s/ca.cnf -gencrl -cert "
          "%s/other-ca.crt -keyfile %s/other-ca.key -out %s 2>/dev/null",
          db, db, db, db, db, db, db, ca_dir, ca_dir, other_crl),
      0);
  cr_assert_eq(system(cmd), 0, "cannot make the other CA's CRL");
  start_server("server", 1);
  dk_settings(&tls, SERVER_OIN);
  tls.crl_file = other_crl;
  cr_assert_eq(fetch_with(&tls, url_on(&srv, "/data.json"), &res), -1);
  assert_refused(&res, "CRL missing");
  assert_no_http_request(&srv);
}

/* ---- servers that refuse us --------------------------------------------- */

static int free_port(void) {
  struct sockaddr_in a = {.sin_family = AF_INET};
  socklen_t len = sizeof a;
  int s = socket(AF_INET, SOCK_STREAM, 0), port;
  cr_assert_geq(s, 0);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
  cr_assert_eq(getsockname(s, (struct sockaddr *)&a, &len), 0);
  port = ntohs(a.sin_port);
  close(s);
  return port;
}

static int can_connect(int port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  int s = socket(AF_INET, SOCK_STREAM, 0), ok;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ok = s >= 0 && connect(s, (struct sockaddr *)&a, sizeof a) == 0;
  if (s >= 0)
    close(s);
  return ok;
}

/* `openssl s_server` that speaks TLS 1.1 and nothing newer. */
static int start_tls11_server(void) {
  char accept[64];
  int port = free_port();
  pid_t pid;
  cr_assert_eq(text_format(accept, sizeof accept, "127.0.0.1:%d", port), 0);
  pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (!freopen("/dev/null", "w", stdout) ||
        !freopen("/dev/null", "w", stderr))
      _exit(127);
    execlp("openssl", "openssl", "s_server", "-quiet", "-tls1_1", "-cipher",
           "DEFAULT@SECLEVEL=0", "-cert", ca_file("server.crt"), "-key",
           ca_file("server.key"), "-accept", accept, "-www", (char *)NULL);
    _exit(127);
  }
  old_tls_server = pid;
  for (int i = 0; i < 100 && !can_connect(port); i++)
    usleep(50000);
  cr_assert(can_connect(port), "openssl s_server did not start");
  return port;
}

Test(refusal, tls11_only_server_is_refused) {
  struct gw_tls_settings tls;
  struct gw_transport_result res;
  char url[128];
  int port = start_tls11_server();
  cr_assert_eq(
      text_format(url, sizeof url, "https://127.0.0.1:%d/data.json", port), 0);
  dk_settings(&tls, SERVER_OIN);
  cr_assert_eq(fetch_with(&tls, url, &res), -1);
  assert_refused(&res, "TLS version refused by peer");
  /* The public profile has the same floor. */
  tls = (struct gw_tls_settings){.profile = GW_TLS_PUBLIC,
                                 .ca_file = ca_file("ca.crt")};
  cr_assert_eq(fetch_with(&tls, url, &res), -1);
  assert_refused(&res, "TLS version refused by peer");
}

Test(refusal, server_demanding_a_client_certificate_we_lack) {
  struct gw_tls_settings tls = {.profile = GW_TLS_PUBLIC,
                                .ca_file = ca_file("ca.crt"),
                                .min_tls_minor = 2};
  struct gw_transport_result res;
  start_server("server", 1);
  cr_assert_eq(fetch_with(&tls, url_on(&srv, "/data.json"), &res), -1);
  assert_refused(&res, "server requires a client certificate");
  assert_no_http_request(&srv);
  /* Twin: with the certificate the same server answers. */
  tls.client_cert = ca_file("client.crt");
  tls.client_key = ca_file("client.key");
  cr_assert_eq(fetch_with(&tls, url_on(&srv, "/data.json"), &res), 0, "%s",
               res.error);
}

Test(refusal, server_demanding_a_client_certificate_over_tls12) {
  struct ts_server_options opt = {
      .cert_name = "server", .require_client_cert = 1, .tls12_only = 1};
  struct gw_tls_settings tls = {.profile = GW_TLS_PUBLIC,
                                .ca_file = ca_file("ca.crt")};
  struct gw_transport_result res;
  cr_assert_eq(ts_server_start_with(root, &opt, &srv), 0);
  cr_assert_eq(fetch_with(&tls, url_on(&srv, "/data.json"), &res), -1);
  assert_refused(&res, "server requires a client certificate");
  assert_no_http_request(&srv);
}

/* The public profile's host name check is libcurl's; same words. */
Test(refusal, public_profile_wrong_san_is_a_hostname_mismatch) {
  struct gw_tls_settings tls = {.profile = GW_TLS_PUBLIC,
                                .ca_file = ca_file("ca.crt")};
  struct gw_transport_result res;
  start_server("wrongsan-server", 0);
  cr_assert_eq(fetch_with(&tls, url_on(&srv, "/data.json"), &res), -1);
  assert_refused(&res, "hostname mismatch");
  assert_no_http_request(&srv);
}

Test(refusal, public_profile_expired_and_untrusted) {
  struct gw_tls_settings tls = {.profile = GW_TLS_PUBLIC,
                                .ca_file = ca_file("ca.crt")};
  struct gw_transport_result res;
  start_server("expired-server", 0);
  cr_assert_eq(fetch_with(&tls, url_on(&srv, "/data.json"), &res), -1);
  assert_refused(&res, "certificate expired");
  ts_server_stop(&srv);
  start_server("untrusted-server", 0);
  cr_assert_eq(fetch_with(&tls, url_on(&srv, "/data.json"), &res), -1);
  assert_refused(&res, "untrusted CA");
}

/* A failure that is not a refusal is not marked as one. */
Test(refusal, connection_refused_is_not_a_tls_refusal) {
  struct gw_tls_settings tls;
  struct gw_transport_result res;
  char url[128];
  cr_assert_eq(text_format(url, sizeof url, "https://127.0.0.1:%d/data.json",
                           free_port()),
               0);
  dk_settings(&tls, SERVER_OIN);
  cr_assert_eq(fetch_with(&tls, url, &res), -1);
  cr_assert_eq(res.tls_refused, 0, "%s", res.error);
  cr_assert_eq(res.outcome, GW_RETRY, "%s", res.error);
}

/* ---- settings refused before any connection ----------------------------- */

static void assert_new_fails(const struct gw_tls_settings *tls,
                             const struct gw_transport_limits *limits,
                             const char *needle) {
  struct gw_transport *t = NULL;
  char err[512] = "";
  cr_assert_eq(transport_new(tls, limits, &t, err, sizeof err), -1,
               "accepted; expected '%s'", needle);
  cr_assert_null(t);
  cr_assert_not_null(strstr(err, needle), "error lacks '%s': %s", needle, err);
}

Test(dk_policy, every_missing_piece_is_named) {
  struct gw_tls_settings tls;
  struct gw_transport_limits limits;
  struct gw_transport *t = NULL;
  char err[512] = "";
  dk_settings(&tls, SERVER_OIN);
  cr_assert_eq(transport_new(&tls, NULL, &t, err, sizeof err), 0, "%s", err);
  transport_free(t);
  dk_settings(&tls, SERVER_OIN);
  tls.ca_file = NULL;
  assert_new_fails(&tls, NULL, "needs tls.ca_file");
  dk_settings(&tls, SERVER_OIN);
  tls.client_cert = NULL;
  assert_new_fails(&tls, NULL, "needs tls.client_cert");
  dk_settings(&tls, SERVER_OIN);
  tls.client_key = "";
  assert_new_fails(&tls, NULL, "needs tls.client_key");
  dk_settings(&tls, SERVER_OIN);
  tls.crl_file = NULL;
  assert_new_fails(&tls, NULL, "needs crl_file");
  dk_settings(&tls, NULL);
  assert_new_fails(&tls, NULL, "needs expected_oin");
  dk_settings(&tls, "0000009900000000001");
  assert_new_fails(&tls, NULL, "must be 20 digits");
  dk_settings(&tls, SERVER_OIN);
  transport_default_limits(&limits);
  limits.proxy = "https://proxy.example:3128";
  assert_new_fails(&tls, &limits, "https:// proxy");
  tls = (struct gw_tls_settings){.profile = GW_TLS_PUBLIC,
                                 .crl_file = ca_file("ca.crl")};
  assert_new_fails(&tls, NULL, "crl_file is only used with");
}

Test(dk_policy, unreadable_crl_file_fails_without_a_request) {
  struct gw_tls_settings tls;
  struct gw_transport_result res;
  start_server("server", 1);
  dk_settings(&tls, SERVER_OIN);
  tls.crl_file = ts_path(root, "missing.crl");
  cr_assert_eq(fetch_with(&tls, url_on(&srv, "/data.json"), &res), -1);
  cr_assert_eq(res.outcome, GW_FAIL, "%s", res.error);
  cr_assert_eq(res.tls_refused, 0, "a local file problem is no refusal");
  cr_assert_not_null(strstr(res.error, "CRL"), "%s", res.error);
  assert_no_http_request(&srv);
}
