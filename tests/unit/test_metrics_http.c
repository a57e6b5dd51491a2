/*
 * test_metrics_http.c - the loopback /metrics and /healthz endpoint over
 * a real socket: routes, status codes, content types, HEAD, the limits,
 * and the listen errors (address in use, non-loopback, bad syntax).
 *
 * One thread: the test writes a request on a blocking client socket and
 * then turns the server's event loop (EVLOOP_NONBLOCK) while polling the
 * client for the answer, so no thread-aware libevent is needed.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "gw_alloc.h"
#include "metrics.h"
#include "metrics_http.h"

#define RESPONSE_MAX 65536
#define DEADLINE_MS 5000

static struct event_base *base;
static struct gw_metrics *metrics;
static struct gw_metrics_server *server;

struct health_answer {
  int healthy;
  const char *detail;
  int calls;
};
static struct health_answer health = {1, "2 sources scheduled", 0};

static int health_check(void *user, char *detail, size_t detail_size) {
  struct health_answer *h = user;
  h->calls++;
  snprintf(detail, detail_size, "%s", h->detail);
  return h->healthy;
}

static void setup(void) {
  struct gw_run_summary s;
  base = event_base_new();
  cr_assert_not_null(base);
  cr_assert_eq(metrics_new(&metrics), 0);
  memset(&s, 0, sizeof s);
  snprintf(s.source_id, sizeof s.source_id, "cbs");
  s.outcome = GW_OK;
  s.pages = 2;
  s.seconds = 3;
  metrics_run_finished(metrics, &s, 1700000000);
  health = (struct health_answer){1, "2 sources scheduled", 0};
}

static void teardown(void) {
  metrics_server_free(server);
  server = NULL;
  metrics_free(metrics);
  metrics = NULL;
  if (base)
    event_base_free(base);
  base = NULL;
}

TestSuite(metrics_http, .init = setup, .fini = teardown);

static void start(const char *listen) {
  char err[256] = "";
  int rc = metrics_server_start(base, listen, metrics, health_check, &health,
                                &server, err, sizeof err);
  cr_assert_eq(rc, 0, "start %s: %s", listen, err);
  cr_assert_not_null(server);
  cr_assert(metrics_server_port(server) > 0);
}

static long elapsed_ms(const struct timespec *since) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - since->tv_sec) * 1000 +
         (now.tv_nsec - since->tv_nsec) / 1000000;
}

static int connect_to(int family, int port) {
  int fd = socket(family, SOCK_STREAM, 0);
  int rc;
  cr_assert(fd >= 0);
  if (family == AF_INET6) {
    struct sockaddr_in6 a6;
    memset(&a6, 0, sizeof a6);
    a6.sin6_family = AF_INET6;
    a6.sin6_port = htons((uint16_t)port);
    a6.sin6_addr = in6addr_loopback;
    rc = connect(fd, (struct sockaddr *)&a6, sizeof a6);
  } else {
    struct sockaddr_in a4;
    memset(&a4, 0, sizeof a4);
    a4.sin_family = AF_INET;
    a4.sin_port = htons((uint16_t)port);
    a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rc = connect(fd, (struct sockaddr *)&a4, sizeof a4);
  }
  if (rc != 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

/* Sends request raw and collects the whole answer (the server closes:
 * requests are HTTP/1.0 or say Connection: close) while turning the
 * loop. The response is a static buffer. */
static const char *exchange_on(int family, const char *request,
                               size_t *response_len) {
  static char response[RESPONSE_MAX];
  struct timespec started;
  size_t got = 0, sent = 0, len = strlen(request);
  int fd = connect_to(family, metrics_server_port(server));
  cr_assert(fd >= 0, "connect: %s", strerror(errno));
  clock_gettime(CLOCK_MONOTONIC, &started);
  while (sent < len) {
    ssize_t n = send(fd, request + sent, len - sent, MSG_NOSIGNAL);
    cr_assert(n > 0, "send: %s", strerror(errno));
    sent += (size_t)n;
  }
  for (;;) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    ssize_t n;
    cr_assert(elapsed_ms(&started) < DEADLINE_MS, "no answer in time");
    event_base_loop(base, EVLOOP_NONBLOCK);
    if (poll(&p, 1, 10) <= 0)
      continue;
    n = recv(fd, response + got, sizeof response - 1 - got, 0);
    if (n == 0 || (n < 0 && errno == ECONNRESET))
      break;
    cr_assert(n > 0, "recv: %s", strerror(errno));
    got += (size_t)n;
    cr_assert(got < sizeof response - 1, "response too large");
  }
  close(fd);
  response[got] = '\0';
  *response_len = got;
  return response;
}

static const char *exchange(const char *request) {
  size_t len;
  return exchange_on(AF_INET, request, &len);
}

/* The status code of "HTTP/1.x NNN ...", or -1 when there is none. */
static int status_of(const char *response) {
  char *end;
  long status;
  if (strncmp(response, "HTTP/1.", 7) != 0 || response[7] == '\0' ||
      response[8] != ' ')
    return -1;
  status = strtol(response + 9, &end, 10);
  return end == response + 12 ? (int)status : -1;
}

/* The value of header `name` (case as sent by evhttp), copied. */
static const char *header_of(const char *response, const char *name) {
  static char value[256];
  char needle[64];
  const char *end_of_headers = strstr(response, "\r\n\r\n");
  const char *p, *eol;
  snprintf(needle, sizeof needle, "\r\n%s: ", name);
  p = strstr(response, needle);
  if (!p || (end_of_headers && p > end_of_headers))
    return NULL;
  p += strlen(needle);
  eol = strstr(p, "\r\n");
  snprintf(value, sizeof value, "%.*s", (int)(eol ? eol - p : 0), p);
  return value;
}

static const char *body_of(const char *response) {
  const char *p = strstr(response, "\r\n\r\n");
  cr_assert_not_null(p, "no end of headers in: %s", response);
  return p + 4;
}

Test(metrics_http, metrics_is_the_rendered_exposition) {
  char *expected = NULL;
  size_t expected_len;
  const char *response;
  start("127.0.0.1:0");
  response = exchange("GET /metrics HTTP/1.0\r\n\r\n");
  cr_expect_eq(status_of(response), 200);
  cr_expect_str_eq(header_of(response, "Content-Type"),
                   "text/plain; version=0.0.4; charset=utf-8");
  cr_expect_str_eq(header_of(response, "Cache-Control"), "no-store");
  cr_assert_eq(metrics_render(metrics, 0, &expected, &expected_len), 0);
  cr_expect_str_eq(body_of(response), expected);
  cr_expect_not_null(
      strstr(body_of(response),
             "\ngateway_runs_total{source=\"cbs\",outcome=\"ok\"} 1\n"));
  gw_free(expected);
}

Test(metrics_http, query_string_is_ignored_and_keepalive_closes) {
  const char *response;
  start("127.0.0.1:0");
  response = exchange("GET /metrics?name[]=x HTTP/1.1\r\nHost: localhost\r\n"
                      "Connection: close\r\n\r\n");
  cr_expect_eq(status_of(response), 200);
  cr_expect_not_null(strstr(body_of(response), "gateway_up 1\n"));
}

Test(metrics_http, head_has_length_but_no_body) {
  const char *response;
  start("127.0.0.1:0");
  response = exchange("HEAD /metrics HTTP/1.0\r\n\r\n");
  cr_expect_eq(status_of(response), 200);
  cr_assert_not_null(header_of(response, "Content-Length"));
  cr_expect(strtol(header_of(response, "Content-Length"), NULL, 10) > 100);
  cr_expect_str_eq(body_of(response), "");
}

Test(metrics_http, healthz_healthy) {
  const char *response;
  start("127.0.0.1:0");
  response = exchange("GET /healthz HTTP/1.0\r\n\r\n");
  cr_expect_eq(status_of(response), 200);
  cr_expect_str_eq(header_of(response, "Content-Type"), "application/json");
  cr_expect_str_eq(body_of(response),
                   "{\"status\":\"ok\",\"detail\":\"2 sources scheduled\"}\n");
  cr_expect_eq(health.calls, 1);
}

Test(metrics_http, healthz_unhealthy_is_503_with_escaped_detail) {
  const char *response;
  health.healthy = 0;
  health.detail = "store \"main\" unreadable\\\t";
  start("127.0.0.1:0");
  response = exchange("GET /healthz HTTP/1.0\r\n\r\n");
  cr_expect_eq(status_of(response), 503);
  cr_expect_str_eq(body_of(response),
                   "{\"status\":\"unhealthy\",\"detail\":\"store \\\"main\\\" "
                   "unreadable\\\\\\u0009\"}\n");
}

Test(metrics_http, healthz_without_a_check_is_healthy) {
  char err[256] = "";
  const char *response;
  cr_assert_eq(metrics_server_start(base, "127.0.0.1:0", metrics, NULL, NULL,
                                    &server, err, sizeof err),
               0, "%s", err);
  response = exchange("GET /healthz HTTP/1.0\r\n\r\n");
  cr_expect_eq(status_of(response), 200);
  cr_expect_str_eq(body_of(response), "{\"status\":\"ok\",\"detail\":\"\"}\n");
}

Test(metrics_http, unknown_paths_are_404) {
  static const char *const requests[] = {
      "GET / HTTP/1.0\r\n\r\n",
      "GET /metricsx HTTP/1.0\r\n\r\n",
      "GET /metrics/ HTTP/1.0\r\n\r\n",
      "GET /../metrics HTTP/1.0\r\n\r\n",
      "POST /admin HTTP/1.0\r\nContent-Length: 0\r\n\r\n",
  };
  size_t i;
  start("127.0.0.1:0");
  for (i = 0; i < sizeof requests / sizeof requests[0]; i++)
    cr_expect_eq(status_of(exchange(requests[i])), 404, "%s", requests[i]);
  cr_expect_eq(health.calls, 0);
}

Test(metrics_http, other_methods_are_405_with_allow) {
  static const char *const requests[] = {
      "POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n",
      "PUT /healthz HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}",
      "DELETE /metrics HTTP/1.0\r\n\r\n",
      "OPTIONS /healthz HTTP/1.0\r\n\r\n",
      "PATCH /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n",
  };
  size_t i;
  start("127.0.0.1:0");
  for (i = 0; i < sizeof requests / sizeof requests[0]; i++) {
    const char *response = exchange(requests[i]);
    cr_expect_eq(status_of(response), 405, "%s", requests[i]);
    cr_expect_str_eq(header_of(response, "Allow"), "GET, HEAD", "%s",
                     requests[i]);
  }
  cr_expect_eq(health.calls, 0);
}

Test(metrics_http, oversized_requests_are_refused) {
  char request[16384];
  int status;
  size_t used;
  start("127.0.0.1:0");
  used = (size_t)snprintf(request, sizeof request,
                          "GET /metrics HTTP/1.0\r\nX-Pad: ");
  memset(request + used, 'a', 12000);
  snprintf(request + used + 12000, sizeof request - used - 12000, "\r\n\r\n");
  status = status_of(exchange(request));
  /* evhttp 2.1 says 400 for headers over the limit (newer ones 431). */
  cr_expect(status == 400 || status == 431, "status %d", status);
  used = (size_t)snprintf(request, sizeof request,
                          "POST /metrics HTTP/1.0\r\nContent-Length: 5000\r\n"
                          "\r\n");
  memset(request + used, 'b', 5000);
  request[used + 5000] = '\0';
  cr_expect_eq(status_of(exchange(request)), 413);
  /* The server still serves afterwards. */
  cr_expect_eq(status_of(exchange("GET /metrics HTTP/1.0\r\n\r\n")), 200);
}

Test(metrics_http, localhost_and_ipv6_loopback) {
  size_t len;
  start("localhost:0");
  cr_expect_eq(status_of(exchange("GET /healthz HTTP/1.0\r\n\r\n")), 200);
  metrics_server_free(server);
  server = NULL;
  start("[::1]:0");
  cr_expect_eq(
      status_of(exchange_on(AF_INET6, "GET /healthz HTTP/1.0\r\n\r\n", &len)),
      200);
}

Test(metrics_http, free_closes_the_socket) {
  int port, fd;
  start("127.0.0.1:0");
  port = metrics_server_port(server);
  metrics_server_free(server);
  server = NULL;
  fd = connect_to(AF_INET, port);
  cr_expect_eq(fd, -1, "connection refused after free");
  cr_expect_eq(errno, ECONNREFUSED);
  if (fd >= 0)
    close(fd);
}

Test(metrics_http, port_in_use_is_an_error) {
  struct sockaddr_in a;
  socklen_t alen = sizeof a;
  char listen_at[64], err[256] = "", expected[256];
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  cr_assert(fd >= 0);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  cr_assert_eq(listen(fd, 1), 0);
  cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
  snprintf(listen_at, sizeof listen_at, "127.0.0.1:%d", ntohs(a.sin_port));
  cr_expect_eq(metrics_server_start(base, listen_at, metrics, NULL, NULL,
                                    &server, err, sizeof err),
               -1);
  cr_expect_null(server);
  snprintf(expected, sizeof expected,
           "metrics: cannot listen on %s: Address already in use", listen_at);
  cr_expect_str_eq(err, expected);
  close(fd);
}

Test(metrics_http, non_loopback_and_bad_addresses_are_refused) {
  static const struct {
    const char *listen;
    const char *reason;
  } cases[] = {
      {"0.0.0.0:0", "not a loopback address"},
      {"[::]:0", "not a loopback address"},
      {"192.0.2.1:9464", "not a loopback address"},
      {"[::ffff:10.0.0.1]:0", "not a loopback address"},
      {"127.0.0.1", "expected \"host:port\""},
      {"127.0.0.1:65536", "expected \"host:port\""},
      {"127.0.0.1:-1", "expected \"host:port\""},
      {":9464", "expected \"host:port\""},
      {"::1:9464", "expected \"host:port\""},
      {"[::1:9464", "expected \"host:port\""},
  };
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char err[256] = "";
    cr_expect_eq(metrics_server_start(base, cases[i].listen, metrics, NULL,
                                      NULL, &server, err, sizeof err),
                 -1, "%s", cases[i].listen);
    cr_expect_null(server, "%s", cases[i].listen);
    cr_expect_not_null(strstr(err, cases[i].reason), "%s: %s", cases[i].listen,
                       err);
    cr_expect_eq(strncmp(err, "metrics: ", 9), 0, "%s", err);
    cr_expect_null(strchr(err, '\n'), "one line: %s", err);
  }
}

Test(metrics_http, out_of_memory_at_start_fails_cleanly) {
  char err[256] = "";
  gw_alloc_fail_at(1);
  cr_expect_eq(metrics_server_start(base, "127.0.0.1:0", metrics, NULL, NULL,
                                    &server, err, sizeof err),
               -1);
  gw_alloc_fail_at(0);
  cr_expect_null(server);
  cr_expect_str_eq(err, "metrics: out of memory");
}
