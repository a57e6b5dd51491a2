/*
 * test_server.h - start the local HTTPS fixture server
 * (tests/server/fixture_server.py) from a unit test.
 *
 * The first start in a process makes a test CA in a temporary directory
 * with certs/make-test-ca.sh (removed at exit); every server gets its own
 * temporary work directory for the port file and the request log, removed
 * by ts_server_stop(). The server dies with the test process even when a
 * failed assertion skips ts_server_stop() (PR_SET_PDEATHSIG), so always
 * pair start/stop in a Criterion .init/.fini fixture anyway.
 *
 * python3 is found on PATH; GW_PYTHON overrides it.
 */
#ifndef GW_TEST_SERVER_H
#define GW_TEST_SERVER_H
#include <sys/types.h>

#define TS_PATH_MAX 512

struct ts_server {
  pid_t pid; /* 0 when not running */
  int port;
  char base_url[64];             /* "https://127.0.0.1:PORT" */
  char ca_file[TS_PATH_MAX];     /* the test root that signed the server */
  char cert_dir[TS_PATH_MAX];    /* every file make-test-ca.sh makes */
  char request_log[TS_PATH_MAX]; /* JSON lines, one per request */
  char work_dir[TS_PATH_MAX];    /* port file and request log live here */
};

struct ts_server_options {
  /* Which certificate pair from the test CA dir the server presents:
   * "server" (default), "untrusted-server" or "expired-server". */
  const char *cert_name;
  /* Require a client certificate issued by the test CA. */
  int require_client_cert;
  /* Cap the server at TLS 1.2 (default: up to 1.3). */
  int tls12_only;
  /* "Name: value" every request must carry (else 401), or NULL. */
  const char *require_header;
};

/* Start serving root; fills out. 0, or -1 with the reason on stderr. */
int ts_server_start(const char *root, struct ts_server *out);
/* Same with options (NULL: defaults). */
int ts_server_start_with(const char *root, const struct ts_server_options *opt,
                         struct ts_server *out);
/* SIGTERM, wait (SIGKILL after 5 s), remove the work dir. Safe to call
 * twice or on a server that never started. */
void ts_server_stop(struct ts_server *srv);

/* The process's test CA directory (made on first use), or NULL on error.
 * Holds ca.crt, server.crt/.key, client.crt/.key, other-ca.crt, ... */
const char *ts_test_ca_dir(void);

/* Number of lines in the request log whose "path" equals path (exact,
 * without query); -1 when the log cannot be read. */
int ts_server_count_requests(const struct ts_server *srv, const char *path);

#endif
