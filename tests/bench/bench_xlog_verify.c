/*
 * bench_xlog_verify - generate exchange logs with the real writer and time
 * `audit verify` on them; also the appender the crash test kills.
 *
 *   bench_xlog_verify generate PATH N     N realistic fetch records (about
 *                                         440 bytes each) through
 *                                         xlog_append(), fsync off
 *   bench_xlog_verify verify PATH [VKEY]  xlog_verify() with the verifier
 *                                         key file (else signatures are not
 *                                         checked); prints seconds, records
 *                                         and peak RSS; exit 1 unless intact
 *   bench_xlog_verify selftest N          generate N, verify, check the
 *                                         count (the small ctest run)
 *   bench_xlog_verify append-loop PATH    append (with fsync) until killed
 *
 * Options come from the environment so the shell tests stay short:
 * BENCH_SIGNING_KEY (64 hex; signs checkpoints), BENCH_CHECKPOINT_EVERY
 * (default 1000), BENCH_ROTATE_BYTES (default 0: no segments),
 * BENCH_CHECKPOINT_FILE (default none).
 */
#include "audit_keys.h"
#include "exchange_log.h"
#include "text.h"
#include "xlog_verify.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static uint64_t env_u64(const char *name, uint64_t fallback) {
  const char *v = getenv(name);
  uint64_t n;
  return v && *v && text_parse_uint64(v, &n) == 0 ? n : fallback;
}

static void options_from_env(struct gw_xlog_options *o, int no_sync) {
  memset(o, 0, sizeof *o);
  o->signing_key = getenv("BENCH_SIGNING_KEY");
  o->checkpoint_every = env_u64("BENCH_CHECKPOINT_EVERY", 1000);
  o->rotate_bytes = env_u64("BENCH_ROTATE_BYTES", 0);
  o->checkpoint_file = getenv("BENCH_CHECKPOINT_FILE");
  o->no_sync = no_sync;
}

/* A fetch record like the gateway writes, about 440 bytes once serialised
 * (seq, time and prev included). */
static json_t *fetch_record(uint64_t i) {
  char url[160], trace[33], span[17], payload[65];
  (void)text_format(url, sizeof url,
                    "https://opendata.cbs.nl/ODataFeed/odata/90001NED/"
                    "TypedDataSet?$skip=%llu",
                    (unsigned long long)(i % 50) * 200);
  (void)text_format(trace, sizeof trace, "%032llx",
                    (unsigned long long)(i / 50 + 1));
  (void)text_format(span, sizeof span, "%016llx", (unsigned long long)i + 1);
  (void)text_format(payload, sizeof payload, "%064llx",
                    (unsigned long long)i * 2654435761u);
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:I, s:s}", "trace_id",
                   trace, "span_id", span, "event", "fetch", "source",
                   "sociaal-domein", "url", url, "http_status", 200,
                   "payload_sha256", payload, "bytes", (json_int_t)(48213 + i),
                   "outcome", "ok");
}

static int generate(const char *path, uint64_t n, int no_sync) {
  struct gw_xlog_options o;
  struct gw_xlog *log = NULL;
  char err[1024];
  options_from_env(&o, no_sync);
  if (xlog_open_with(path, &o, &log, err, sizeof err) != 0 || err[0]) {
    fprintf(stderr, "open: %s\n", err);
    xlog_close(log);
    return 1;
  }
  for (uint64_t i = 0; n == 0 || i < n; i++) {
    json_t *r = fetch_record(i);
    int rc = r ? xlog_append(log, r, err, sizeof err) : -1;
    json_decref(r);
    if (rc != 0) {
      fprintf(stderr, "append %llu: %s\n", (unsigned long long)i, err);
      xlog_close(log);
      return 1;
    }
  }
  xlog_close(log);
  return 0;
}

static double seconds_since(const struct timespec *t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (double)(t1.tv_sec - t0->tv_sec) +
         (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static int verify(const char *path, const char *vkey, uint64_t expect) {
  struct audit_keyring ring = {0};
  struct xlog_verify_options o = {0};
  struct xlog_verify_report rep;
  struct timespec t0;
  struct rusage ru;
  char err[1024];
  double secs;
  int rc;
  if (vkey && audit_keyring_add_file(&ring, vkey, err, sizeof err) != 0) {
    fprintf(stderr, "%s\n", err);
    return 1;
  }
  o.keys = ring.keys;
  o.key_count = ring.count;
  o.skip_signatures = vkey == NULL;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  rc = xlog_verify(path, &o, &rep);
  secs = seconds_since(&t0);
  getrusage(RUSAGE_SELF, &ru);
  printf("verify: %s, %llu records, %u files, %llu checkpoints (%llu"
         " signed), %.3f s, %.0f records/s, peak RSS %ld KiB\n",
         rc == 0 ? "intact" : rep.error, (unsigned long long)rep.records,
         rep.files, (unsigned long long)rep.checkpoints,
         (unsigned long long)rep.signed_checkpoints, secs,
         secs > 0 ? (double)rep.records / secs : 0.0, ru.ru_maxrss);
  audit_keyring_free(&ring);
  if (rc != 0 || (expect && rep.records != expect))
    return 1;
  return 0;
}

/* Generates n records in a fresh directory and verifies them: n records
 * plus one checkpoint per checkpoint_every of them (the last one at
 * close). */
static int selftest(uint64_t n) {
  char dir[] = "/tmp/gw-bench-XXXXXX";
  char log[64], other[80];
  uint64_t every = env_u64("BENCH_CHECKPOINT_EVERY", 1000);
  unsigned segments;
  int rc;
  if (!mkdtemp(dir) || text_format(log, sizeof log, "%s/x.log", dir) != 0)
    return 1;
  rc = generate(log, n, 1);
  if (rc == 0)
    rc = verify(log, NULL, n + (n + every - 1) / every);
  segments = xlog_segment_count(log);
  for (unsigned i = 1; i <= segments; i++) {
    if (xlog_segment_path(log, i, other, sizeof other) == 0)
      (void)unlink(other);
  }
  (void)unlink(log);
  if (text_format(other, sizeof other, "%s.lock", log) == 0)
    (void)unlink(other);
  if (rmdir(dir) != 0)
    rc = 1;
  return rc;
}

int main(int argc, char **argv) {
  uint64_t n = 0;
  if (argc >= 4 && strcmp(argv[1], "generate") == 0 &&
      text_parse_uint64(argv[3], &n) == 0 && n > 0)
    return generate(argv[2], n, 1);
  if ((argc == 3 || argc == 4) && strcmp(argv[1], "verify") == 0)
    return verify(argv[2], argc == 4 ? argv[3] : NULL, 0);
  if (argc == 3 && strcmp(argv[1], "append-loop") == 0)
    return generate(argv[2], 0, 0);
  if (argc == 3 && strcmp(argv[1], "selftest") == 0 &&
      text_parse_uint64(argv[2], &n) == 0 && n > 0)
    return selftest(n);
  fprintf(stderr, "usage: bench_xlog_verify generate PATH N | verify PATH"
                  " [VKEY] | selftest N | append-loop PATH\n");
  return 2;
}
