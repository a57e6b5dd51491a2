/*
 * bench_store_floor - the least the store can cost per observation: N new
 * revisions written straight into a fresh store's observation table, with
 * nothing else of an import (no fetch, no parsing, no staging, no sort, no
 * comparison, no export).
 *
 *   bench_store_floor run DIR N       create DIR/floor.db with store_open()
 *                                     (the real schema, WAL, pragmas), insert
 *                                     N rows in key order with one prepared
 *                                     statement in one transaction, commit
 *                                     (synchronous=FULL, as the gateway);
 *                                     prints one JSON line of timings
 *   bench_store_floor selftest N      the same in a temporary directory,
 *                                     checks the row count (the ctest run)
 *
 * The rows have the widths of the national benchmark's (a RIVM topic, a
 * neighbourhood code, an age breakdown, full provenance). The figure is a
 * floor for any import that keeps every observation with its provenance
 * in this schema: docs/performance.md compares it with the pandas
 * script's whole time per observation.
 */
#include "store.h"
#include "text.h"
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TOPICS 34u
#define AGES 3u
#define PERIODS 3u

static const char INSERT_SQL[] =
    "INSERT INTO observation (indicator, area, area_level, period,"
    " breakdown, source_id, revision, value, unit, status, ci_low, ci_high,"
    " plugin, dataset, source_code, fetched_at, payload_sha256, span_id,"
    " run_id, valid_from, valid_to)"
    " VALUES (?1, ?2, 'neighbourhood', ?3, ?4, 'rivm', 1, ?5, 'percent',"
    " 'final', ?6, ?7, 'cbs_odata', '50120NED', ?8,"
    " '2026-11-24T12:54:46.287Z',"
    " 'cb9a8c226078f2d703305ef3152e40f05314f92adae153a2cd09c5176770a146',"
    " 'c29196a2847f3824', 'bf9a55a01cdded293415ebf7ee421e3f',"
    " '2026-11-24T12:54:55.937Z', NULL)";

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Row k of n in key order (indicator, area, period, breakdown): the order
 * the commit inserts in after its sort. */
static int bind_row(sqlite3_stmt *stmt, uint64_t n, uint64_t k) {
  uint64_t per_topic = (n + TOPICS - 1) / TOPICS;
  uint64_t topic = k / per_topic, within = k % per_topic;
  uint64_t area_no = within / (PERIODS * AGES);
  unsigned cell = (unsigned)(within % (PERIODS * AGES));
  char indicator[48], area[16], period[8], breakdown[40], code[40];
  double value = (double)(k % 997) / 10.0;
  if (text_format(indicator, sizeof indicator, "gm_indicator_topic_%02u",
                  (unsigned)topic) != 0 ||
      text_format(area, sizeof area, "BU%08llu", (unsigned long long)area_no) !=
          0 ||
      text_format(period, sizeof period, "%u", 2016u + 2u * (cell / AGES)) !=
          0 ||
      text_format(breakdown, sizeof breakdown, "{\"age\":\"group %u\"}",
                  cell % AGES) != 0 ||
      text_format(code, sizeof code, "SourceTopicColumn%02u",
                  (unsigned)topic) != 0)
    return -1;
  if (sqlite3_bind_text(stmt, 1, indicator, -1, SQLITE_TRANSIENT) ||
      sqlite3_bind_text(stmt, 2, area, -1, SQLITE_TRANSIENT) ||
      sqlite3_bind_text(stmt, 3, period, -1, SQLITE_TRANSIENT) ||
      sqlite3_bind_text(stmt, 4, breakdown, -1, SQLITE_TRANSIENT) ||
      sqlite3_bind_double(stmt, 5, value) ||
      sqlite3_bind_double(stmt, 6, value - 3.5) ||
      sqlite3_bind_double(stmt, 7, value + 3.5) ||
      sqlite3_bind_text(stmt, 8, code, -1, SQLITE_TRANSIENT))
    return -1;
  return 0;
}

static int create_store(const char *path) {
  struct gw_store *store = NULL;
  char err[512] = "";
  if (store_open(path, &store, err, sizeof err) != 0) {
    fprintf(stderr, "bench_store_floor: %s\n", err);
    return -1;
  }
  store_close(store);
  return 0;
}

static long long file_bytes(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

static int insert_rows(sqlite3 *db, uint64_t n, double *insert_s,
                       double *commit_s) {
  sqlite3_stmt *stmt = NULL;
  double t0, t1;
  uint64_t k;
  int rc = -1;
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(db, INSERT_SQL, -1, &stmt, NULL) != SQLITE_OK)
    goto out;
  t0 = now_seconds();
  for (k = 0; k < n; k++) {
    if (bind_row(stmt, n, k) != 0 || sqlite3_step(stmt) != SQLITE_DONE ||
        sqlite3_reset(stmt) != SQLITE_OK)
      goto out;
  }
  t1 = now_seconds();
  if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    goto out;
  *insert_s = t1 - t0;
  *commit_s = now_seconds() - t1;
  rc = 0;
out:
  if (rc != 0)
    fprintf(stderr, "bench_store_floor: %s\n", sqlite3_errmsg(db));
  sqlite3_finalize(stmt);
  return rc;
}

static int run(const char *dir, uint64_t n, int check) {
  char path[4096], wal[4200];
  sqlite3 *db = NULL;
  double insert_s = 0, commit_s = 0;
  long long count = -1;
  sqlite3_stmt *stmt = NULL;
  int rc = 1;
  if (text_format(path, sizeof path, "%s/floor.db", dir) != 0 ||
      text_format(wal, sizeof wal, "%s-wal", path) != 0)
    goto out;
  unlink(path);
  unlink(wal);
  if (create_store(path) != 0 ||
      sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
      sqlite3_exec(db, "PRAGMA synchronous=FULL", NULL, NULL, NULL) !=
          SQLITE_OK ||
      insert_rows(db, n, &insert_s, &commit_s) != 0)
    goto out;
  printf("{\"observations\": %llu, \"insert_s\": %.3f, \"commit_s\": %.3f, "
         "\"us_per_observation\": %.3f, \"db_bytes\": %lld, "
         "\"wal_bytes\": %lld}\n",
         (unsigned long long)n, insert_s, commit_s,
         (insert_s + commit_s) * 1e6 / (double)(n ? n : 1), file_bytes(path),
         file_bytes(wal));
  if (check) {
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM observation", -1, &stmt,
                           NULL) != SQLITE_OK ||
        sqlite3_step(stmt) != SQLITE_ROW)
      goto out;
    count = sqlite3_column_int64(stmt, 0);
    if (count != (long long)n) {
      fprintf(stderr, "bench_store_floor: %lld rows stored, %llu inserted\n",
              count, (unsigned long long)n);
      goto out;
    }
  }
  rc = 0;
out:
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return rc;
}

static int selftest(uint64_t n) {
  char dir[] = "/tmp/gw-store-floor-XXXXXX";
  char path[64];
  int rc;
  if (!mkdtemp(dir))
    return 1;
  rc = run(dir, n, 1);
  if (text_format(path, sizeof path, "%s/floor.db", dir) == 0)
    unlink(path);
  if (text_format(path, sizeof path, "%s/floor.db-wal", dir) == 0)
    unlink(path);
  if (text_format(path, sizeof path, "%s/floor.db-shm", dir) == 0)
    unlink(path);
  rmdir(dir);
  return rc;
}

int main(int argc, char **argv) {
  uint64_t n = 0;
  if (argc == 4 && strcmp(argv[1], "run") == 0 &&
      text_parse_uint64(argv[3], &n) == 0)
    return run(argv[2], n, 1);
  if (argc == 3 && strcmp(argv[1], "selftest") == 0 &&
      text_parse_uint64(argv[2], &n) == 0)
    return selftest(n);
  fprintf(stderr, "usage: bench_store_floor run DIR N | selftest N\n");
  return 2;
}
