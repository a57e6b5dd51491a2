#include "test_server.h"
#include "test_support.h"
#include "text.h"
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 5000
#define POLL_MS 20
#define MAX_LIVE_SERVERS 16
#define MAX_ARGS 24

static char ca_dir[TS_PATH_MAX];
static pid_t ca_owner;

/* Servers still running, killed at exit when a test forgot (or failed
 * before) ts_server_stop(). */
static pid_t live_servers[MAX_LIVE_SERVERS];
static pid_t live_owner;
static int cleanup_registered;

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static void remember_server(pid_t pid) {
  for (int i = 0; i < MAX_LIVE_SERVERS; i++) {
    if (live_servers[i] == 0) {
      live_servers[i] = pid;
      return;
    }
  }
}

static void forget_server(pid_t pid) {
  for (int i = 0; i < MAX_LIVE_SERVERS; i++) {
    if (live_servers[i] == pid)
      live_servers[i] = 0;
  }
}

/* Wait for pid up to timeout_ms; 1 when it has been reaped. */
static int reap_within(pid_t pid, long timeout_ms) {
  for (long waited = 0; waited <= timeout_ms; waited += POLL_MS) {
    pid_t r = waitpid(pid, NULL, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD))
      return 1;
    sleep_ms(POLL_MS);
  }
  return 0;
}

static void terminate(pid_t pid) {
  if (kill(pid, SIGTERM) != 0 && errno == ESRCH) {
    (void)waitpid(pid, NULL, WNOHANG);
    return;
  }
  if (!reap_within(pid, STOP_TIMEOUT_MS)) {
    fprintf(stderr, "test_server: pid %ld ignored SIGTERM, killing it\n",
            (long)pid);
    (void)kill(pid, SIGKILL);
    (void)waitpid(pid, NULL, 0);
  }
}

/* Only the process that made something cleans it up: Criterion forks, and
 * a child must not remove its parent's CA or kill its parent's servers. */
static void cleanup_at_exit(void) {
  if (getpid() == live_owner) {
    for (int i = 0; i < MAX_LIVE_SERVERS; i++) {
      if (live_servers[i] != 0)
        terminate(live_servers[i]);
      live_servers[i] = 0;
    }
  }
  if (ca_dir[0] != '\0' && getpid() == ca_owner)
    ts_rm_rf(ca_dir);
}

static void register_cleanup(void) {
  if (live_owner != getpid()) {
    memset(live_servers, 0, sizeof live_servers);
    live_owner = getpid();
  }
  if (!cleanup_registered && atexit(cleanup_at_exit) == 0)
    cleanup_registered = 1;
}

/* Run argv to completion with stdout silenced; its exit status or -1. */
static int run_quietly(char *const argv[]) {
  int status = 0;
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    int null_fd = open("/dev/null", O_RDWR);
    if (null_fd >= 0) {
      (void)dup2(null_fd, STDIN_FILENO);
      (void)dup2(null_fd, STDOUT_FILENO);
    }
    execvp(argv[0], argv);
    _exit(127);
  }
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR)
      return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

const char *ts_test_ca_dir(void) {
  char script[TS_PATH_MAX];
  char dir[TS_PATH_MAX];
  char *argv[4];
  int rc;

  if (ca_dir[0] != '\0')
    return ca_dir;
  if (text_copy(dir, sizeof dir, "/tmp/gw-test-ca-XXXXXX") != 0 ||
      mkdtemp(dir) == NULL) {
    fprintf(stderr, "test_server: cannot make a temp dir for the test CA: %s\n",
            strerror(errno));
    return NULL;
  }
  if (text_format(script, sizeof script, "%s/certs/make-test-ca.sh",
                  ts_source_dir()) != 0) {
    fprintf(stderr, "test_server: source dir path too long\n");
    ts_rm_rf(dir);
    return NULL;
  }
  argv[0] = "bash";
  argv[1] = script;
  argv[2] = dir;
  argv[3] = NULL;
  rc = run_quietly(argv);
  if (rc != 0) {
    fprintf(stderr, "test_server: %s %s failed (exit %d)\n", script, dir, rc);
    ts_rm_rf(dir);
    return NULL;
  }
  if (text_copy(ca_dir, sizeof ca_dir, dir) != 0)
    return NULL;
  ca_owner = getpid();
  register_cleanup();
  return ca_dir;
}

/* Port from the port file once the server wrote it (atomically); 0 while
 * it is not there yet. */
static int read_port(const char *port_file) {
  char trimmed[32];
  int64_t port = 0;
  char *text = ts_read_file(port_file, NULL);
  if (text == NULL)
    return 0;
  if (text_copy_trimmed(trimmed, sizeof trimmed, text) != 0 ||
      text_parse_int64(trimmed, &port) != 0 || port <= 0 || port > 65535)
    port = 0;
  free(text);
  return (int)port;
}

struct launch {
  char script[TS_PATH_MAX];
  char cert[TS_PATH_MAX];
  char key[TS_PATH_MAX];
  char port_file[TS_PATH_MAX];
  char *argv[MAX_ARGS];
};

static int build_command(const char *root, const struct ts_server_options *opt,
                         struct ts_server *srv, struct launch *l) {
  const char *cert_name = opt && opt->cert_name ? opt->cert_name : "server";
  const char *python = getenv("GW_PYTHON");
  int n = 0;

  if (text_format(l->script, sizeof l->script,
                  "%s/tests/server/fixture_server.py", ts_source_dir()) != 0 ||
      text_format(l->cert, sizeof l->cert, "%s/%s.crt", srv->cert_dir,
                  cert_name) != 0 ||
      text_format(l->key, sizeof l->key, "%s/%s.key", srv->cert_dir,
                  cert_name) != 0 ||
      text_format(l->port_file, sizeof l->port_file, "%s/port",
                  srv->work_dir) != 0)
    return -1;
  l->argv[n++] = (char *)(python && *python ? python : "python3");
  l->argv[n++] = l->script;
  l->argv[n++] = "--root";
  l->argv[n++] = (char *)root;
  l->argv[n++] = "--cert";
  l->argv[n++] = l->cert;
  l->argv[n++] = "--key";
  l->argv[n++] = l->key;
  l->argv[n++] = "--port-file";
  l->argv[n++] = l->port_file;
  l->argv[n++] = "--request-log";
  l->argv[n++] = srv->request_log;
  if (opt && opt->require_client_cert) {
    l->argv[n++] = "--client-ca";
    l->argv[n++] = srv->ca_file;
  }
  if (opt && opt->tls12_only) {
    l->argv[n++] = "--tls-max";
    l->argv[n++] = "1.2";
  }
  if (opt && opt->require_header) {
    l->argv[n++] = "--require-header";
    l->argv[n++] = (char *)opt->require_header;
  }
  l->argv[n] = NULL;
  return 0;
}

/* fork + exec; the child asks the kernel for SIGTERM when we die, so a
 * test that crashes or aborts never leaves a server behind. */
static pid_t spawn(char *const argv[]) {
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid != 0)
    return pid;
  if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
    _exit(127);
  int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd >= 0)
    (void)dup2(null_fd, STDIN_FILENO);
  execvp(argv[0], argv);
  fprintf(stderr, "test_server: cannot run %s: %s\n", argv[0], strerror(errno));
  _exit(127);
}

static int wait_for_port(struct ts_server *srv, const char *port_file) {
  for (long waited = 0; waited < START_TIMEOUT_MS; waited += POLL_MS) {
    int status = 0;
    srv->port = read_port(port_file);
    if (srv->port > 0)
      return 0;
    if (waitpid(srv->pid, &status, WNOHANG) == srv->pid) {
      fprintf(stderr, "test_server: fixture server exited early (status %d)\n",
              WIFEXITED(status) ? WEXITSTATUS(status) : -1);
      forget_server(srv->pid);
      srv->pid = 0;
      return -1;
    }
    sleep_ms(POLL_MS);
  }
  fprintf(stderr, "test_server: no port in %s after %d ms\n", port_file,
          START_TIMEOUT_MS);
  return -1;
}

int ts_server_start_with(const char *root, const struct ts_server_options *opt,
                         struct ts_server *out) {
  struct launch l;
  const char *cas;
  int rc = -1;

  memset(out, 0, sizeof *out);
  cas = ts_test_ca_dir();
  if (cas == NULL)
    goto out;
  register_cleanup();
  if (text_copy(out->cert_dir, sizeof out->cert_dir, cas) != 0 ||
      text_format(out->ca_file, sizeof out->ca_file, "%s/ca.crt", cas) != 0 ||
      text_copy(out->work_dir, sizeof out->work_dir,
                "/tmp/gw-test-srv-XXXXXX") != 0)
    goto out;
  if (mkdtemp(out->work_dir) == NULL) {
    fprintf(stderr, "test_server: cannot make a work dir: %s\n",
            strerror(errno));
    out->work_dir[0] = '\0';
    goto out;
  }
  if (text_format(out->request_log, sizeof out->request_log,
                  "%s/requests.jsonl", out->work_dir) != 0 ||
      ts_write_file(out->request_log, "") != 0 ||
      build_command(root, opt, out, &l) != 0) {
    fprintf(stderr, "test_server: cannot prepare %s\n", out->work_dir);
    goto out;
  }
  out->pid = spawn(l.argv);
  if (out->pid < 0) {
    fprintf(stderr, "test_server: fork failed: %s\n", strerror(errno));
    out->pid = 0;
    goto out;
  }
  remember_server(out->pid);
  if (wait_for_port(out, l.port_file) != 0)
    goto out;
  if (text_format(out->base_url, sizeof out->base_url, "https://127.0.0.1:%d",
                  out->port) != 0)
    goto out;
  rc = 0;
out:
  if (rc != 0)
    ts_server_stop(out);
  return rc;
}

int ts_server_start(const char *root, struct ts_server *out) {
  return ts_server_start_with(root, NULL, out);
}

void ts_server_stop(struct ts_server *srv) {
  if (srv->pid > 0) {
    terminate(srv->pid);
    forget_server(srv->pid);
    srv->pid = 0;
  }
  if (srv->work_dir[0] != '\0') {
    ts_rm_rf(srv->work_dir);
    srv->work_dir[0] = '\0';
  }
  srv->port = 0;
}

int ts_server_count_requests(const struct ts_server *srv, const char *path) {
  char *text = ts_read_file(srv->request_log, NULL);
  int count = 0;
  char *line;
  char *next;

  if (text == NULL)
    return -1;
  for (line = text; line && *line; line = next) {
    json_t *record;
    const char *logged;
    next = strchr(line, '\n');
    if (next)
      *next++ = '\0';
    record = json_loads(line, 0, NULL);
    logged = json_string_value(json_object_get(record, "path"));
    if (logged && strcmp(logged, path) == 0)
      count++;
    json_decref(record);
  }
  free(text);
  return count;
}
