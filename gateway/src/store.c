/*
 * store.c - the SQLite observation store (DESIGN 6, contract in store.h).
 *
 * Durability: WAL with synchronous=FULL. A commit here is the record of
 * what the gateway published and of the validators that make the next run
 * skip unchanged sources; losing the last commit on power failure would
 * make "what did we publish on date X" wrong. Commits are rare (one per
 * source run), so the extra fsync per commit costs nothing measurable.
 *
 * Each run stages on its own connection into TEMP tables (temp_store=FILE,
 * so staging lives on disk and memory stays flat). Staging transactions
 * touch only the temp schema, so nothing in the database is locked while
 * a run streams; several runs may stage at once and their commits are
 * serialised by BEGIN IMMEDIATE plus the busy timeout.
 */
#include "store.h"
#include "gw_alloc.h"
#include "store_schema.h"
#include "text.h"

#include <math.h>
#include <sqlite3.h>
#include <string.h>

#define STORE_BUSY_TIMEOUT_MS 10000
/* Commits of different sources are serialised and one of a large table
 * can take tens of seconds; a fully staged run waits rather than being
 * thrown away because another run was committing. */
#define STORE_COMMIT_WAIT_MS 600000
#define STORE_BATCH_ROWS 10000u
#define STORE_MAX_LIST 500
#define STORE_SQL_MAX 8192
#define STORE_WAL_LIMIT_BYTES "67108864"
/* A run commits in one transaction, and SQLite's WAL index (the -shm file,
 * mapped by every connection) keeps 8 bytes per WAL frame of it until the
 * next checkpoint: with 4 KiB pages 26 MB of the gateway's resident memory
 * at 22 million observations. One frame is one page, so 16 KiB pages keep a
 * quarter of it. Only a new database takes it; an existing store keeps the
 * page size it was created with. */
#define STORE_NEW_PAGE_SIZE "16384"

struct gw_store {
  sqlite3 *db;
  char *path;
};

struct gw_store_run {
  sqlite3 *db;
  char *path; /* for messages */
  char *run_id;
  char source_id[GW_ID_MAX];
  sqlite3_stmt *stage_row;
  sqlite3_stmt *stage_origin;
  sqlite3_stmt *stage_validator;
  /* The provenance of the rows staged last, staged_origin row origin_id
   * (0: none yet); rows of one payload come together and share it. */
  int64_t origin_id;
  char origin_plugin[GW_ID_MAX];
  char origin_dataset[GW_DATASET_MAX];
  char origin_fetched_at[GW_TIME_MAX];
  char origin_sha256[GW_SHA256_HEX_SIZE];
  char origin_span_id[GW_SPAN_ID_MAX];
  int in_batch;
  unsigned batch_rows;
  int failed; /* a staging error happened: refuse to commit */
  int diffed; /* store_run_diff() used the joined table: abort only */
  uint64_t staged;
};

/* ---- error text ----------------------------------------------------------
 * err may be NULL or empty-sized: callers that only want the return code
 * need not supply a buffer. Truncating an over-long message is fine. */

static void say(char *err, size_t err_size, const char *op, const char *what,
                const char *path) {
  if (!err || err_size == 0)
    return;
  if (path)
    (void)text_format(err, err_size, "store: %s: %s (database %s)", op, what,
                      path);
  else
    (void)text_format(err, err_size, "store: %s: %s", op, what);
}

static void say_sqlite(char *err, size_t err_size, const char *op, sqlite3 *db,
                       const char *path) {
  say(err, err_size, op, db ? sqlite3_errmsg(db) : "out of memory", path);
}

/* ---- small SQLite helpers ---------------------------------------------- */

static int exec_sql(sqlite3 *db, const char *sql, const char *op,
                    const char *path, char *err, size_t err_size) {
  if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
    return 0;
  say_sqlite(err, err_size, op, db, path);
  return -1;
}

static int prepare(sqlite3 *db, const char *sql, unsigned flags,
                   sqlite3_stmt **stmt, const char *op, const char *path,
                   char *err, size_t err_size) {
  if (sqlite3_prepare_v3(db, sql, -1, flags, stmt, NULL) == SQLITE_OK)
    return 0;
  say_sqlite(err, err_size, op, db, path);
  *stmt = NULL;
  return -1;
}

/* A single integer result (a count or a pragma). */
static int query_int64(sqlite3 *db, const char *sql, int64_t *out,
                       const char *op, const char *path, char *err,
                       size_t err_size) {
  sqlite3_stmt *stmt = NULL;
  int rc = -1;
  if (prepare(db, sql, 0, &stmt, op, path, err, err_size) != 0)
    goto out;
  if (sqlite3_step(stmt) != SQLITE_ROW) {
    say_sqlite(err, err_size, op, db, path);
    goto out;
  }
  *out = sqlite3_column_int64(stmt, 0);
  rc = 0;
out:
  sqlite3_finalize(stmt);
  return rc;
}

/* Runs one commit step. Statements number their parameters ?1 source id,
 * ?2 commit time, ?3 run id and may use any subset. */
static int run_step(struct gw_store_run *run, const char *sql,
                    const char *commit_time, int64_t *changes, const char *op,
                    char *err, size_t err_size) {
  sqlite3_stmt *stmt = NULL;
  const char *params[3] = {run->source_id, commit_time, run->run_id};
  int count, i, rc = -1;
  if (prepare(run->db, sql, 0, &stmt, op, run->path, err, err_size) != 0)
    goto out;
  count = sqlite3_bind_parameter_count(stmt);
  for (i = 0; i < count && i < 3; i++) {
    if (sqlite3_bind_text(stmt, i + 1, params[i], -1, SQLITE_STATIC) !=
        SQLITE_OK) {
      say_sqlite(err, err_size, op, run->db, run->path);
      goto out;
    }
  }
  if (sqlite3_step(stmt) != SQLITE_DONE) {
    say_sqlite(err, err_size, op, run->db, run->path);
    goto out;
  }
  if (changes)
    *changes = sqlite3_changes64(run->db);
  rc = 0;
out:
  sqlite3_finalize(stmt);
  return rc;
}

/* Settings that are per connection (everything but journal_mode). */
static int open_connection(const char *path, int flags, sqlite3 **out,
                           char *err, size_t err_size) {
  sqlite3 *db = NULL;
  int rc = -1;
  if (sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_FULLMUTEX, NULL) !=
      SQLITE_OK) {
    say_sqlite(err, err_size, "open", db, path);
    goto out;
  }
  sqlite3_extended_result_codes(db, 1);
  if (sqlite3_busy_timeout(db, STORE_BUSY_TIMEOUT_MS) != SQLITE_OK) {
    say_sqlite(err, err_size, "open", db, path);
    goto out;
  }
  if (exec_sql(db,
               "PRAGMA foreign_keys=ON;"
               "PRAGMA synchronous=FULL;"
               "PRAGMA temp_store=FILE;"
               "PRAGMA journal_size_limit=" STORE_WAL_LIMIT_BYTES ";",
               "open", path, err, err_size) != 0)
    goto out;
  *out = db;
  db = NULL;
  rc = 0;
out:
  sqlite3_close_v2(db);
  return rc;
}

/* Must run before enable_wal: that writes a new database's header, which
 * fixes its page size. On an existing database the pragma changes nothing. */
static int set_new_page_size(sqlite3 *db, const char *path, char *err,
                             size_t err_size) {
  return exec_sql(db, "PRAGMA page_size=" STORE_NEW_PAGE_SIZE, "open", path,
                  err, err_size);
}

static int enable_wal(sqlite3 *db, const char *path, char *err,
                      size_t err_size) {
  sqlite3_stmt *stmt = NULL;
  const unsigned char *mode;
  int rc = -1;
  if (prepare(db, "PRAGMA journal_mode=WAL", 0, &stmt, "open", path, err,
              err_size) != 0)
    goto out;
  if (sqlite3_step(stmt) != SQLITE_ROW) {
    say_sqlite(err, err_size, "open: journal_mode=WAL", db, path);
    goto out;
  }
  mode = sqlite3_column_text(stmt, 0);
  if (!mode || strcmp((const char *)mode, "wal") != 0) {
    say(err, err_size, "open",
        "the database refused WAL journal mode (a file system without "
        "shared memory support?)",
        path);
    goto out;
  }
  rc = 0;
out:
  sqlite3_finalize(stmt);
  return rc;
}

/* Schema steps in order: entry i brings a database of version i to
 * version i + 1 (see store_schema.h). */
static const char *const schema_steps[STORE_SCHEMA_VERSION] = {
    STORE_SQL_SCHEMA_V1,
    STORE_SQL_MIGRATE_V2,
    STORE_SQL_MIGRATE_V3,
};

/* Creates, migrates or checks the schema inside one write transaction, so
 * two processes opening the same file at once cannot both change it and a
 * failed migration leaves the old version intact. */
static int ensure_schema(sqlite3 *db, const char *path, char *err,
                         size_t err_size) {
  int64_t version = 0, step;
  int in_tx = 0, rc = -1;
  char what[160];
  if (exec_sql(db, "BEGIN IMMEDIATE", "open: schema", path, err, err_size) != 0)
    goto out;
  in_tx = 1;
  if (query_int64(db, "PRAGMA user_version", &version, "open: schema", path,
                  err, err_size) != 0)
    goto out;
  if (version > STORE_SCHEMA_VERSION || version < 0) {
    (void)text_format(what, sizeof what,
                      version < 0 ? "schema version %lld is not one a "
                                    "gateway writes (this one knows up to %d)"
                                  : "schema version %lld is newer than this "
                                    "gateway supports (%d); upgrade the "
                                    "gateway",
                      (long long)version, STORE_SCHEMA_VERSION);
    say(err, err_size, "open", what, path);
    goto out;
  }
  for (step = version; step < STORE_SCHEMA_VERSION; step++) {
    (void)text_format(what, sizeof what, "open: schema version %lld to %lld",
                      (long long)step, (long long)step + 1);
    if (exec_sql(db, schema_steps[step], what, path, err, err_size) != 0)
      goto out;
  }
  if (version < STORE_SCHEMA_VERSION &&
      (text_format(what, sizeof what, "PRAGMA user_version=%d",
                   STORE_SCHEMA_VERSION) != 0 ||
       exec_sql(db, what, "open: schema version", path, err, err_size) != 0))
    goto out;
  if (exec_sql(db, "COMMIT", "open: schema", path, err, err_size) != 0)
    goto out;
  in_tx = 0;
  rc = 0;
out:
  if (in_tx)
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  return rc;
}

/* ---- open / close ------------------------------------------------------ */

int store_open(const char *path, struct gw_store **out, char *err,
               size_t err_size) {
  struct gw_store *store = NULL;
  int rc = -1;
  if (!path || !*path || !out) {
    say(err, err_size, "open", "no database path given", NULL);
    goto out;
  }
  *out = NULL;
  if (!sqlite3_threadsafe()) {
    say(err, err_size, "open", "libsqlite3 was built without thread safety",
        path);
    goto out;
  }
  store = gw_calloc(1, sizeof *store);
  if (!store || !(store->path = gw_strdup(path))) {
    say(err, err_size, "open", "out of memory", path);
    goto out;
  }
  if (open_connection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                      &store->db, err, err_size) != 0 ||
      set_new_page_size(store->db, path, err, err_size) != 0 ||
      enable_wal(store->db, path, err, err_size) != 0 ||
      ensure_schema(store->db, path, err, err_size) != 0)
    goto out;
  *out = store;
  store = NULL;
  rc = 0;
out:
  store_close(store);
  return rc;
}

void store_close(struct gw_store *store) {
  if (!store)
    return;
  sqlite3_close_v2(store->db);
  gw_free(store->path);
  gw_free(store);
}

/* ---- runs: staging ------------------------------------------------------ */

static void run_free(struct gw_store_run *run) {
  if (!run)
    return;
  sqlite3_finalize(run->stage_row);
  sqlite3_finalize(run->stage_origin);
  sqlite3_finalize(run->stage_validator);
  /* Closing drops the TEMP tables and rolls back an open staging batch. */
  sqlite3_close_v2(run->db);
  gw_free(run->run_id);
  gw_free(run->path);
  gw_free(run);
}

int store_run_begin(struct gw_store *store, const char *source_id,
                    const char *run_id, struct gw_store_run **out, char *err,
                    size_t err_size) {
  struct gw_store_run *run = NULL;
  int rc = -1;
  if (!store || !out || !source_id || !*source_id || !run_id || !*run_id) {
    say(err, err_size, "run begin", "source id and run id are required", NULL);
    goto out;
  }
  *out = NULL;
  run = gw_calloc(1, sizeof *run);
  if (!run || !(run->path = gw_strdup(store->path)) ||
      !(run->run_id = gw_strdup(run_id))) {
    say(err, err_size, "run begin", "out of memory", NULL);
    goto out;
  }
  if (text_copy(run->source_id, sizeof run->source_id, source_id) != 0) {
    say(err, err_size, "run begin", "source id is longer than 63 bytes", NULL);
    goto out;
  }
  if (open_connection(store->path, SQLITE_OPEN_READWRITE, &run->db, err,
                      err_size) != 0 ||
      exec_sql(run->db, STORE_SQL_STAGING_TABLES, "run begin: staging tables",
               run->path, err, err_size) != 0 ||
      prepare(run->db, STORE_SQL_STAGE_ROW, SQLITE_PREPARE_PERSISTENT,
              &run->stage_row, "run begin", run->path, err, err_size) != 0 ||
      prepare(run->db, STORE_SQL_STAGE_ORIGIN, SQLITE_PREPARE_PERSISTENT,
              &run->stage_origin, "run begin", run->path, err, err_size) != 0 ||
      prepare(run->db, STORE_SQL_STAGE_VALIDATOR, SQLITE_PREPARE_PERSISTENT,
              &run->stage_validator, "run begin", run->path, err,
              err_size) != 0)
    goto out;
  *out = run;
  run = NULL;
  rc = 0;
out:
  run_free(run);
  return rc;
}

/* Staging rows are grouped into transactions on the temp schema: one
 * fsync-free commit per batch instead of per row, and the batch size
 * bounds how much the pager holds before it writes to the temp file. */
static int batch_open(struct gw_store_run *run, char *err, size_t err_size) {
  if (run->in_batch)
    return 0;
  if (exec_sql(run->db, "BEGIN", "stage", run->path, err, err_size) != 0)
    return -1;
  run->in_batch = 1;
  run->batch_rows = 0;
  return 0;
}

static int batch_close(struct gw_store_run *run, char *err, size_t err_size) {
  if (!run->in_batch)
    return 0;
  if (exec_sql(run->db, "COMMIT", "stage", run->path, err, err_size) != 0)
    return -1;
  run->in_batch = 0;
  return 0;
}

static int batch_row_done(struct gw_store_run *run, char *err,
                          size_t err_size) {
  run->staged++;
  if (++run->batch_rows < STORE_BATCH_ROWS)
    return 0;
  return batch_close(run, err, err_size);
}

/* Fixed-size fields are bound by their terminated length; a field that
 * fills its whole array has no terminator and is refused by
 * check_fields() before anything is bound. */
static int bind_field(sqlite3_stmt *stmt, int index, const char *field,
                      size_t size) {
  return sqlite3_bind_text(stmt, index, field, (int)strnlen(field, size),
                           SQLITE_STATIC);
}
#define BIND_FIELD(stmt, index, array)                                         \
  bind_field((stmt), (index), (array), sizeof(array))

struct field_check {
  const char *name;
  const char *value;
  size_t size;
  int required;
};

static int check_fields(const struct gw_observation *obs, char *err,
                        size_t err_size) {
  const struct field_check fields[] = {
      {"indicator", obs->indicator, sizeof obs->indicator, 1},
      {"area", obs->area, sizeof obs->area, 1},
      {"period", obs->period, sizeof obs->period, 1},
      {"breakdown", obs->breakdown, sizeof obs->breakdown, 0},
      {"unit", obs->unit, sizeof obs->unit, 0},
      {"source_id", obs->source_id, sizeof obs->source_id, 0},
      {"plugin", obs->plugin, sizeof obs->plugin, 0},
      {"dataset", obs->dataset, sizeof obs->dataset, 0},
      {"source_code", obs->source_code, sizeof obs->source_code, 0},
      {"fetched_at", obs->fetched_at, sizeof obs->fetched_at, 0},
      {"payload_sha256", obs->payload_sha256, sizeof obs->payload_sha256, 0},
      {"span_id", obs->span_id, sizeof obs->span_id, 0},
  };
  char what[160];
  size_t i;
  for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    const struct field_check *f = &fields[i];
    const char *problem = NULL;
    if (strnlen(f->value, f->size) == f->size)
      problem = "is not NUL-terminated";
    else if (f->required && f->value[0] == '\0')
      problem = "is empty";
    if (problem) {
      (void)text_format(what, sizeof what, "observation field %s %s", f->name,
                        problem);
      say(err, err_size, "stage", what, NULL);
      return -1;
    }
  }
  return 0;
}

struct stage_names {
  const char *status;
  const char *area_level;
};

static int resolve_names(const struct gw_store_run *run,
                         const struct gw_observation *obs,
                         struct stage_names *names, char *err,
                         size_t err_size) {
  gw_status status = obs->status;
  char what[256];
  if (check_fields(obs, err, err_size) != 0)
    return -1;
  if (obs->source_id[0] && strcmp(obs->source_id, run->source_id) != 0) {
    (void)text_format(what, sizeof what,
                      "observation of source '%s' staged in a run of "
                      "source '%s'",
                      obs->source_id, run->source_id);
    say(err, err_size, "stage", what, NULL);
    return -1;
  }
  /* UNSET means "host decides" (plugin.h); the normaliser should have
   * decided already, but the store must never write an unnamed status. */
  if (status == GW_STATUS_UNSET)
    status = obs->has_value ? GW_STATUS_FINAL : GW_STATUS_MISSING;
  names->status = (status >= GW_STATUS_FINAL && status <= GW_STATUS_IMPOSSIBLE)
                      ? status_name(status)
                      : NULL;
  /* "unknown" is not a level anything is stored under (observation.c). */
  names->area_level = (obs->area_level >= GW_AREA_COUNTRY &&
                       obs->area_level <= GW_AREA_NEIGHBOURHOOD)
                          ? area_level_name(obs->area_level)
                          : NULL;
  if (!names->status || !names->area_level) {
    (void)text_format(what, sizeof what, "%s/%s/%s: invalid %s (%d)",
                      obs->indicator, obs->area, obs->period,
                      names->status ? "area level" : "status",
                      names->status ? (int)obs->area_level : (int)status);
    say(err, err_size, "stage", what, NULL);
    return -1;
  }
  return 0;
}

static int stage_component(struct gw_store_run *run,
                           const struct gw_observation *obs,
                           gw_component component, const double *number,
                           const struct stage_names *names, char *err,
                           size_t err_size) {
  sqlite3_stmt *stmt = run->stage_row;
  const char *breakdown = obs->breakdown[0] ? obs->breakdown : "{}";
  char what[256];
  int rc = -1;
  if (number && !isfinite(*number)) {
    (void)text_format(what, sizeof what,
                      "%s/%s/%s: component %d is not a finite number",
                      obs->indicator, obs->area, obs->period, (int)component);
    say(err, err_size, "stage", what, NULL);
    goto out;
  }
  if (batch_open(run, err, err_size) != 0)
    goto out;
  if (BIND_FIELD(stmt, 1, obs->indicator) != SQLITE_OK ||
      BIND_FIELD(stmt, 2, obs->area) != SQLITE_OK ||
      BIND_FIELD(stmt, 3, obs->period) != SQLITE_OK ||
      sqlite3_bind_text(stmt, 4, breakdown, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_int(stmt, 5, (int)component) != SQLITE_OK ||
      sqlite3_bind_text(stmt, 6, names->area_level, -1, SQLITE_STATIC) !=
          SQLITE_OK ||
      (number ? sqlite3_bind_double(stmt, 7, *number)
              : sqlite3_bind_null(stmt, 7)) != SQLITE_OK ||
      sqlite3_bind_text(stmt, 8, names->status, -1, SQLITE_STATIC) !=
          SQLITE_OK ||
      BIND_FIELD(stmt, 9, obs->unit) != SQLITE_OK ||
      BIND_FIELD(stmt, 10, obs->source_code) != SQLITE_OK ||
      sqlite3_bind_int64(stmt, 11, run->origin_id) != SQLITE_OK ||
      sqlite3_bind_int64(stmt, 12, (sqlite3_int64)run->staged) != SQLITE_OK) {
    say_sqlite(err, err_size, "stage", run->db, run->path);
    goto out;
  }
  if (sqlite3_step(stmt) != SQLITE_DONE) {
    say_sqlite(err, err_size, "stage", run->db, run->path);
    goto out;
  }
  if (batch_row_done(run, err, err_size) != 0)
    goto out;
  rc = 0;
out:
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  return rc;
}

static int same_origin(const struct gw_store_run *run,
                       const struct gw_observation *obs) {
  return run->origin_id > 0 && strcmp(run->origin_plugin, obs->plugin) == 0 &&
         strcmp(run->origin_dataset, obs->dataset) == 0 &&
         strcmp(run->origin_fetched_at, obs->fetched_at) == 0 &&
         strcmp(run->origin_sha256, obs->payload_sha256) == 0 &&
         strcmp(run->origin_span_id, obs->span_id) == 0;
}

/* Makes run->origin_id name obs's provenance. A provenance seen before but
 * not just now gets a new row: harmless, and no lookup per row. Fields
 * were checked by check_fields(), so they fit the copies. */
static int stage_origin(struct gw_store_run *run,
                        const struct gw_observation *obs, char *err,
                        size_t err_size) {
  sqlite3_stmt *stmt = run->stage_origin;
  int rc = -1;
  if (same_origin(run, obs))
    return 0;
  if (batch_open(run, err, err_size) != 0)
    goto out;
  if (sqlite3_bind_int64(stmt, 1, run->origin_id + 1) != SQLITE_OK ||
      BIND_FIELD(stmt, 2, obs->plugin) != SQLITE_OK ||
      BIND_FIELD(stmt, 3, obs->dataset) != SQLITE_OK ||
      BIND_FIELD(stmt, 4, obs->fetched_at) != SQLITE_OK ||
      BIND_FIELD(stmt, 5, obs->payload_sha256) != SQLITE_OK ||
      BIND_FIELD(stmt, 6, obs->span_id) != SQLITE_OK ||
      sqlite3_step(stmt) != SQLITE_DONE) {
    say_sqlite(err, err_size, "stage", run->db, run->path);
    goto out;
  }
  run->origin_id++;
  text_copy(run->origin_plugin, sizeof run->origin_plugin, obs->plugin);
  text_copy(run->origin_dataset, sizeof run->origin_dataset, obs->dataset);
  text_copy(run->origin_fetched_at, sizeof run->origin_fetched_at,
            obs->fetched_at);
  text_copy(run->origin_sha256, sizeof run->origin_sha256, obs->payload_sha256);
  text_copy(run->origin_span_id, sizeof run->origin_span_id, obs->span_id);
  rc = 0;
out:
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  return rc;
}

/* A bound row carries its number in ci_low/ci_high or, as plugins emit
 * it (one number per raw row), in value. A VALUE row may also carry its
 * bounds directly; they are staged as bound rows so the join at commit
 * treats both shapes alike. */
int store_run_stage(struct gw_store_run *run, const struct gw_observation *obs,
                    char *err, size_t err_size) {
  struct stage_names names;
  const double *value = obs && obs->has_value ? &obs->value : NULL;
  const double *low = obs && obs->has_ci_low ? &obs->ci_low : value;
  const double *high = obs && obs->has_ci_high ? &obs->ci_high : value;
  int rc = -1;
  if (!run || !obs) {
    say(err, err_size, "stage", "no run or observation given", NULL);
    return -1;
  }
  if (resolve_names(run, obs, &names, err, err_size) != 0 ||
      stage_origin(run, obs, err, err_size) != 0)
    goto out;
  switch (obs->component) {
  case GW_COMPONENT_VALUE:
    if (stage_component(run, obs, GW_COMPONENT_VALUE, value, &names, err,
                        err_size) != 0 ||
        (obs->has_ci_low &&
         stage_component(run, obs, GW_COMPONENT_CI_LOW, &obs->ci_low, &names,
                         err, err_size) != 0) ||
        (obs->has_ci_high &&
         stage_component(run, obs, GW_COMPONENT_CI_HIGH, &obs->ci_high, &names,
                         err, err_size) != 0))
      goto out;
    break;
  case GW_COMPONENT_CI_LOW:
    if (stage_component(run, obs, GW_COMPONENT_CI_LOW, low, &names, err,
                        err_size) != 0)
      goto out;
    break;
  case GW_COMPONENT_CI_HIGH:
    if (stage_component(run, obs, GW_COMPONENT_CI_HIGH, high, &names, err,
                        err_size) != 0)
      goto out;
    break;
  default:
    say(err, err_size, "stage", "unknown observation component", NULL);
    goto out;
  }
  rc = 0;
out:
  if (rc != 0)
    run->failed = 1;
  return rc;
}

static int bind_optional_text(sqlite3_stmt *stmt, int index, const char *text) {
  if (!text || !*text)
    return sqlite3_bind_null(stmt, index);
  return sqlite3_bind_text(stmt, index, text, -1, SQLITE_STATIC);
}

int store_run_stage_validator(struct gw_store_run *run, const char *url,
                              const char *etag, const char *last_modified,
                              const char *payload_sha256, char *err,
                              size_t err_size) {
  sqlite3_stmt *stmt;
  int rc = -1;
  if (!run || !url || !*url) {
    say(err, err_size, "stage validator", "no run or URL given", NULL);
    return -1;
  }
  stmt = run->stage_validator;
  if (batch_open(run, err, err_size) != 0)
    goto out;
  if (sqlite3_bind_text(stmt, 1, url, -1, SQLITE_STATIC) != SQLITE_OK ||
      bind_optional_text(stmt, 2, etag) != SQLITE_OK ||
      bind_optional_text(stmt, 3, last_modified) != SQLITE_OK ||
      bind_optional_text(stmt, 4, payload_sha256) != SQLITE_OK ||
      sqlite3_step(stmt) != SQLITE_DONE) {
    say_sqlite(err, err_size, "stage validator", run->db, run->path);
    goto out;
  }
  rc = 0;
out:
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  if (rc != 0)
    run->failed = 1;
  return rc;
}

/* ---- runs: commit ------------------------------------------------------- */

/* The whole comparison is set-based SQL (store_schema.c), so a commit of
 * n keys costs a few index-driven passes, never n round trips. */
static int commit_steps(struct gw_store_run *run, const char *commit_time,
                        struct gw_run_counts *counts, char *err,
                        size_t err_size) {
  int64_t revised = 0, written = 0, unchanged = 0;
  if (run_step(run, STORE_SQL_JOIN, commit_time, NULL, "commit: join", err,
               err_size) != 0 ||
      run_step(run, STORE_SQL_MARK_SAME, commit_time, NULL, "commit: compare",
               err, err_size) != 0 ||
      run_step(run, STORE_SQL_CLOSE_OLD, commit_time, &revised,
               "commit: close revised rows", err, err_size) != 0 ||
      run_step(run, STORE_SQL_INSERT_NEW, commit_time, &written,
               "commit: insert revisions", err, err_size) != 0 ||
      query_int64(run->db, STORE_SQL_COUNT_SAME, &unchanged,
                  "commit: count unchanged", run->path, err, err_size) != 0 ||
      run_step(run, STORE_SQL_UPSERT_VALIDATORS, commit_time, NULL,
               "commit: validators", err, err_size) != 0 ||
      ((written > 0 || revised > 0) &&
       run_step(run, STORE_SQL_NOTE_CHANGE, commit_time, NULL,
                "commit: note the change", err, err_size) != 0))
    return -1;
  counts->staged = run->staged;
  counts->revised = (uint64_t)revised;
  counts->inserted = (uint64_t)(written - revised);
  counts->unchanged = (uint64_t)unchanged;
  return 0;
}

int store_run_commit(struct gw_store_run *run, const char *commit_time,
                     struct gw_run_counts *counts, char *err, size_t err_size) {
  struct gw_run_counts local = {0, 0, 0, 0};
  int in_tx = 0, rc = -1;
  if (!run) {
    say(err, err_size, "commit", "no run given", NULL);
    return -1;
  }
  if (run->failed) {
    say(err, err_size, "commit",
        "a staging call of this run failed; the run was discarded", run->path);
    goto out;
  }
  if (run->diffed) {
    say(err, err_size, "commit",
        "the run was compared with store_run_diff() (a dry run) and can "
        "only be aborted",
        run->path);
    goto out;
  }
  if (!commit_time || !*commit_time) {
    say(err, err_size, "commit", "no commit time given", NULL);
    goto out;
  }
  /* Sorting the staged rows touches only this run's TEMP schema: done
   * before the write lock, so other runs can commit meanwhile. */
  if (batch_close(run, err, err_size) != 0 ||
      exec_sql(run->db, STORE_SQL_STAGE_KEY_INDEX, "commit: sort staged rows",
               run->path, err, err_size) != 0)
    goto out;
  if (sqlite3_busy_timeout(run->db, STORE_COMMIT_WAIT_MS) != SQLITE_OK) {
    say_sqlite(err, err_size, "commit", run->db, run->path);
    goto out;
  }
  if (exec_sql(run->db, "BEGIN IMMEDIATE", "commit: begin", run->path, err,
               err_size) != 0)
    goto out;
  in_tx = 1;
  if (commit_steps(run, commit_time, &local, err, err_size) != 0)
    goto out;
  if (exec_sql(run->db, "COMMIT", "commit", run->path, err, err_size) != 0)
    goto out;
  in_tx = 0;
  if (counts)
    *counts = local;
  rc = 0;
out:
  if (in_tx)
    sqlite3_exec(run->db, "ROLLBACK", NULL, NULL, NULL);
  run_free(run);
  return rc;
}

void store_run_abort(struct gw_store_run *run) {
  run_free(run);
}

/* ---- validators ---------------------------------------------------------- */

static int copy_column(sqlite3_stmt *stmt, int col, char *dst, size_t size,
                       const char *name, const char *op, char *err,
                       size_t err_size) {
  const unsigned char *text = sqlite3_column_text(stmt, col);
  int len = sqlite3_column_bytes(stmt, col);
  char what[160];
  if (!text) {
    text = (const unsigned char *)"";
    len = 0;
  }
  if (!dst || size == 0 || (size_t)len >= size) {
    (void)text_format(what, sizeof what,
                      "stored %s is %d bytes, longer than the %zu-byte "
                      "field",
                      name, len, size ? size - 1 : 0);
    say(err, err_size, op, what, NULL);
    return -1;
  }
  memcpy(dst, text, (size_t)len);
  dst[len] = '\0';
  return 0;
}

int store_get_validator(struct gw_store *store, const char *url, char *etag,
                        size_t etag_size, char *last_modified, size_t lm_size,
                        char *payload_sha256, size_t sha_size, char *err,
                        size_t err_size) {
  sqlite3_stmt *stmt = NULL;
  const char *op = "get validator";
  int step, rc = -1;
  if (!store || !url) {
    say(err, err_size, op, "no store or URL given", NULL);
    return -1;
  }
  if (prepare(store->db, STORE_SQL_GET_VALIDATOR, 0, &stmt, op, store->path,
              err, err_size) != 0)
    goto out;
  if (sqlite3_bind_text(stmt, 1, url, -1, SQLITE_STATIC) != SQLITE_OK) {
    say_sqlite(err, err_size, op, store->db, store->path);
    goto out;
  }
  step = sqlite3_step(stmt);
  if (step == SQLITE_DONE) {
    rc = 1;
    goto out;
  }
  if (step != SQLITE_ROW) {
    say_sqlite(err, err_size, op, store->db, store->path);
    goto out;
  }
  if (copy_column(stmt, 0, etag, etag_size, "ETag", op, err, err_size) != 0 ||
      copy_column(stmt, 1, last_modified, lm_size, "Last-Modified", op, err,
                  err_size) != 0 ||
      copy_column(stmt, 2, payload_sha256, sha_size, "payload SHA-256", op, err,
                  err_size) != 0)
    goto out;
  rc = 0;
out:
  sqlite3_finalize(stmt);
  return rc;
}

static const char VALIDATOR_SQL_PAYLOADS[] =
    "SELECT DISTINCT payload_sha256 FROM http_validator"
    " WHERE payload_sha256 IS NOT NULL AND payload_sha256 <> ''"
    " ORDER BY payload_sha256";

int store_validator_payloads(struct gw_store *store, store_sha_cb cb,
                             void *user, char *err, size_t err_size) {
  sqlite3_stmt *stmt = NULL;
  const char *op = "validator payloads";
  int step, rc = -1;
  if (!store || !cb) {
    say(err, err_size, op, "no store or callback given", NULL);
    return -1;
  }
  if (prepare(store->db, VALIDATOR_SQL_PAYLOADS, 0, &stmt, op, store->path, err,
              err_size) != 0)
    goto out;
  while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
    const unsigned char *sha = sqlite3_column_text(stmt, 0);
    int stop = cb(sha ? (const char *)sha : "", user);
    if (stop != 0) {
      rc = stop;
      goto out;
    }
  }
  if (step != SQLITE_DONE) {
    say_sqlite(err, err_size, op, store->db, store->path);
    goto out;
  }
  rc = 0;
out:
  sqlite3_finalize(stmt);
  return rc;
}

/* ---- run history ------------------------------------------------------- */

static int bind_count(sqlite3_stmt *stmt, int index, uint64_t value) {
  if (value > (uint64_t)INT64_MAX)
    return SQLITE_RANGE;
  return sqlite3_bind_int64(stmt, index, (sqlite3_int64)value);
}

/* A duration that is no number (or negative) is not known: NULL. */
static int bind_seconds(sqlite3_stmt *stmt, int index, double seconds) {
  if (!isfinite(seconds) || seconds < 0)
    return sqlite3_bind_null(stmt, index);
  return sqlite3_bind_double(stmt, index, seconds);
}

int store_record_run(struct gw_store *store, const struct gw_run_record *rec,
                     char *err, size_t err_size) {
  sqlite3_stmt *stmt = NULL;
  const char *op = "record run";
  int rc = -1;
  if (!store || !rec || !rec->run_id || !rec->source_id || !rec->started_at ||
      !rec->outcome) {
    say(err, err_size, op,
        "run id, source id, start time and outcome are required", NULL);
    return -1;
  }
  if (prepare(store->db, STORE_SQL_RECORD_RUN, 0, &stmt, op, store->path, err,
              err_size) != 0)
    goto out;
  if (sqlite3_bind_text(stmt, 1, rec->run_id, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_text(stmt, 2, rec->source_id, -1, SQLITE_STATIC) !=
          SQLITE_OK ||
      sqlite3_bind_text(stmt, 3, rec->started_at, -1, SQLITE_STATIC) !=
          SQLITE_OK ||
      bind_optional_text(stmt, 4, rec->ended_at) != SQLITE_OK ||
      sqlite3_bind_text(stmt, 5, rec->outcome, -1, SQLITE_STATIC) !=
          SQLITE_OK ||
      bind_optional_text(stmt, 6, rec->error) != SQLITE_OK ||
      bind_count(stmt, 7, rec->pages) != SQLITE_OK ||
      bind_count(stmt, 8, rec->bytes) != SQLITE_OK ||
      bind_count(stmt, 9, rec->emitted) != SQLITE_OK ||
      bind_count(stmt, 10, rec->stored) != SQLITE_OK ||
      bind_count(stmt, 11, rec->rejected) != SQLITE_OK ||
      bind_seconds(stmt, 12, rec->seconds) != SQLITE_OK ||
      bind_count(stmt, 13, rec->retries) != SQLITE_OK) {
    say(err, err_size, op, "a counter does not fit a 64-bit signed integer",
        store->path);
    goto out;
  }
  if (sqlite3_step(stmt) != SQLITE_DONE) {
    say_sqlite(err, err_size, op, store->db, store->path);
    goto out;
  }
  rc = 0;
out:
  sqlite3_finalize(stmt);
  return rc;
}

static const char *column_str(sqlite3_stmt *stmt, int col) {
  const unsigned char *text = sqlite3_column_text(stmt, col);
  return text ? (const char *)text : "";
}

static uint64_t column_count(sqlite3_stmt *stmt, int col) {
  sqlite3_int64 v = sqlite3_column_int64(stmt, col);
  return v < 0 ? 0 : (uint64_t)v;
}

/* Absent ended_at / error are passed as "" (never NULL); an absent
 * last_success_at as NULL (the source never succeeded). */
int store_latest_runs(struct gw_store *store, store_run_cb cb, void *user,
                      char *err, size_t err_size) {
  sqlite3_stmt *stmt = NULL;
  const char *op = "latest runs";
  int step, rc = -1;
  if (!store || !cb) {
    say(err, err_size, op, "no store or callback given", NULL);
    return -1;
  }
  if (prepare(store->db, STORE_SQL_LATEST_RUNS, 0, &stmt, op, store->path, err,
              err_size) != 0)
    goto out;
  while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
    struct gw_run_record rec = {0};
    int stop;
    rec.run_id = column_str(stmt, 0);
    rec.source_id = column_str(stmt, 1);
    rec.started_at = column_str(stmt, 2);
    rec.ended_at = column_str(stmt, 3);
    rec.outcome = column_str(stmt, 4);
    rec.error = column_str(stmt, 5);
    rec.pages = column_count(stmt, 6);
    rec.bytes = column_count(stmt, 7);
    rec.emitted = column_count(stmt, 8);
    rec.stored = column_count(stmt, 9);
    rec.rejected = column_count(stmt, 10);
    rec.seconds = sqlite3_column_double(stmt, 11);
    rec.retries = column_count(stmt, 12);
    rec.last_success_at = (const char *)sqlite3_column_text(stmt, 13);
    rec.consecutive_failures = column_count(stmt, 14);
    stop = cb(&rec, user);
    if (stop != 0) {
      rc = stop;
      goto out;
    }
  }
  if (step != SQLITE_DONE) {
    say_sqlite(err, err_size, op, store->db, store->path);
    goto out;
  }
  rc = 0;
out:
  sqlite3_finalize(stmt);
  return rc;
}

/* ---- queries --------------------------------------------------------------
 */

static int list_length(const char *const *list, size_t *out, const char *name,
                       char *err, size_t err_size) {
  size_t n = 0;
  char what[128];
  if (list)
    while (list[n] && n <= STORE_MAX_LIST)
      n++;
  if (n > STORE_MAX_LIST) {
    (void)text_format(what, sizeof what,
                      "more than %d %s in one query; split the query",
                      STORE_MAX_LIST, name);
    say(err, err_size, "query", what, NULL);
    return -1;
  }
  *out = n;
  return 0;
}

static int append_in_list(char *sql, size_t size, const char *column,
                          const char *const *list, size_t n) {
  size_t i;
  if (!list)
    return 0;
  if (text_append(sql, size, " AND ") != 0 ||
      text_append(sql, size, column) != 0 ||
      text_append(sql, size, " IN (") != 0)
    return -1;
  for (i = 0; i < n; i++)
    if (text_append(sql, size, i ? ",?" : "?") != 0)
      return -1;
  return text_append(sql, size, ")");
}

/* period_to compares the leading part of a period with the bound, so
 * "to 2022" also admits 2022-Q4 and 2022-12, just as "from 2020" admits
 * 2020-Q1 by plain text order. */
static int build_query_sql(const struct gw_query *q, const char *select,
                           int ordered, char *sql, size_t size, char *err,
                           size_t err_size) {
  size_t n_ind = 0, n_area = 0;
  if (list_length(q->indicators, &n_ind, "indicators", err, err_size) != 0 ||
      list_length(q->areas, &n_area, "areas", err, err_size) != 0)
    return -1;
  sql[0] = '\0';
  if (text_append(sql, size, select) != 0 ||
      text_append(sql, size,
                  q->as_of ? " FROM observation WHERE valid_from <= ?"
                             " AND (valid_to IS NULL OR valid_to > ?)"
                           : " FROM observation WHERE valid_to IS NULL") != 0 ||
      append_in_list(sql, size, "indicator", q->indicators, n_ind) != 0 ||
      append_in_list(sql, size, "area", q->areas, n_area) != 0 ||
      (q->period_from && text_append(sql, size, " AND period >= ?") != 0) ||
      (q->period_to &&
       text_append(sql, size, " AND substr(period, 1, length(?)) <= ?") != 0) ||
      (ordered && text_append(sql, size,
                              " ORDER BY indicator, area, period, breakdown,"
                              " source_id") != 0)) {
    say(err, err_size, "query", "query text too long", NULL);
    return -1;
  }
  return 0;
}

static int bind_list(sqlite3_stmt *stmt, int *index, const char *const *list) {
  size_t i;
  if (!list)
    return SQLITE_OK;
  for (i = 0; list[i]; i++)
    if (sqlite3_bind_text(stmt, (*index)++, list[i], -1, SQLITE_STATIC) !=
        SQLITE_OK)
      return SQLITE_ERROR;
  return SQLITE_OK;
}

/* Binds in the order build_query_sql() placed the parameters. */
static int bind_query(sqlite3_stmt *stmt, const struct gw_query *q) {
  int i = 1;
  if (q->as_of &&
      (sqlite3_bind_text(stmt, i++, q->as_of, -1, SQLITE_STATIC) != SQLITE_OK ||
       sqlite3_bind_text(stmt, i++, q->as_of, -1, SQLITE_STATIC) != SQLITE_OK))
    return SQLITE_ERROR;
  if (bind_list(stmt, &i, q->indicators) != SQLITE_OK ||
      bind_list(stmt, &i, q->areas) != SQLITE_OK)
    return SQLITE_ERROR;
  if (q->period_from && sqlite3_bind_text(stmt, i++, q->period_from, -1,
                                          SQLITE_STATIC) != SQLITE_OK)
    return SQLITE_ERROR;
  if (q->period_to && (sqlite3_bind_text(stmt, i++, q->period_to, -1,
                                         SQLITE_STATIC) != SQLITE_OK ||
                       sqlite3_bind_text(stmt, i++, q->period_to, -1,
                                         SQLITE_STATIC) != SQLITE_OK))
    return SQLITE_ERROR;
  return SQLITE_OK;
}

static int prepare_query(struct gw_store *store, const struct gw_query *q,
                         const char *select, int ordered, sqlite3_stmt **stmt,
                         char *err, size_t err_size) {
  static const struct gw_query all = {NULL, NULL, NULL, NULL, NULL};
  char sql[STORE_SQL_MAX];
  if (!q)
    q = &all;
  if (build_query_sql(q, select, ordered, sql, sizeof sql, err, err_size) !=
          0 ||
      prepare(store->db, sql, 0, stmt, "query", store->path, err, err_size) !=
          0)
    return -1;
  if (bind_query(*stmt, q) != SQLITE_OK) {
    say_sqlite(err, err_size, "query", store->db, store->path);
    sqlite3_finalize(*stmt);
    *stmt = NULL;
    return -1;
  }
  return 0;
}

static int column_name_to_enum(sqlite3_stmt *stmt, int col, int is_status,
                               struct gw_observation *obs, char *err,
                               size_t err_size) {
  const char *text = column_str(stmt, col);
  char what[160];
  if (is_status ? status_from_name(text, &obs->status) == 0
                : area_level_from_name(text, &obs->area_level) == 0)
    return 0;
  (void)text_format(what, sizeof what,
                    "stored %s '%.40s' of %s/%s/%s is not a known name",
                    is_status ? "status" : "area level", text, obs->indicator,
                    obs->area, obs->period);
  say(err, err_size, "query", what, NULL);
  return -1;
}

static void column_number(sqlite3_stmt *stmt, int col, int *has,
                          double *value) {
  *has = sqlite3_column_type(stmt, col) != SQLITE_NULL;
  *value = *has ? sqlite3_column_double(stmt, col) : 0.0;
}

/* Column order: STORE_SQL_OBSERVATION_COLUMNS. */
static int row_to_observation(sqlite3_stmt *stmt, struct gw_observation *obs,
                              char *err, size_t err_size) {
  const char *op = "query";
  memset(obs, 0, sizeof *obs);
  obs->component = GW_COMPONENT_VALUE;
  if (copy_column(stmt, 0, obs->indicator, sizeof obs->indicator, "indicator",
                  op, err, err_size) != 0 ||
      copy_column(stmt, 1, obs->area, sizeof obs->area, "area", op, err,
                  err_size) != 0 ||
      copy_column(stmt, 3, obs->period, sizeof obs->period, "period", op, err,
                  err_size) != 0 ||
      copy_column(stmt, 4, obs->breakdown, sizeof obs->breakdown, "breakdown",
                  op, err, err_size) != 0 ||
      copy_column(stmt, 5, obs->source_id, sizeof obs->source_id, "source_id",
                  op, err, err_size) != 0 ||
      copy_column(stmt, 8, obs->unit, sizeof obs->unit, "unit", op, err,
                  err_size) != 0 ||
      copy_column(stmt, 12, obs->plugin, sizeof obs->plugin, "plugin", op, err,
                  err_size) != 0 ||
      copy_column(stmt, 13, obs->dataset, sizeof obs->dataset, "dataset", op,
                  err, err_size) != 0 ||
      copy_column(stmt, 14, obs->source_code, sizeof obs->source_code,
                  "source_code", op, err, err_size) != 0 ||
      copy_column(stmt, 15, obs->fetched_at, sizeof obs->fetched_at,
                  "fetched_at", op, err, err_size) != 0 ||
      copy_column(stmt, 16, obs->payload_sha256, sizeof obs->payload_sha256,
                  "payload_sha256", op, err, err_size) != 0 ||
      copy_column(stmt, 17, obs->span_id, sizeof obs->span_id, "span_id", op,
                  err, err_size) != 0)
    return -1;
  if (column_name_to_enum(stmt, 2, 0, obs, err, err_size) != 0 ||
      column_name_to_enum(stmt, 9, 1, obs, err, err_size) != 0)
    return -1;
  obs->revision = (long)sqlite3_column_int64(stmt, 6);
  column_number(stmt, 7, &obs->has_value, &obs->value);
  column_number(stmt, 10, &obs->has_ci_low, &obs->ci_low);
  column_number(stmt, 11, &obs->has_ci_high, &obs->ci_high);
  return 0;
}

int store_query(struct gw_store *store, const struct gw_query *query,
                store_obs_cb cb, void *user, char *err, size_t err_size) {
  sqlite3_stmt *stmt = NULL;
  char select[512];
  int step, rc = -1;
  if (!store || !cb) {
    say(err, err_size, "query", "no store or callback given", NULL);
    return -1;
  }
  if (text_format(select, sizeof select, "SELECT %s",
                  STORE_SQL_OBSERVATION_COLUMNS) != 0) {
    say(err, err_size, "query", "column list too long", NULL);
    return -1;
  }
  if (prepare_query(store, query, select, 1, &stmt, err, err_size) != 0)
    goto out;
  while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
    struct gw_observation obs;
    int stop;
    if (row_to_observation(stmt, &obs, err, err_size) != 0)
      goto out;
    stop = cb(&obs, user);
    if (stop != 0) {
      rc = stop;
      goto out;
    }
  }
  if (step != SQLITE_DONE) {
    say_sqlite(err, err_size, "query", store->db, store->path);
    goto out;
  }
  rc = 0;
out:
  sqlite3_finalize(stmt);
  return rc;
}

int store_count(struct gw_store *store, const struct gw_query *query,
                uint64_t *count, char *err, size_t err_size) {
  sqlite3_stmt *stmt = NULL;
  int rc = -1;
  if (!store || !count) {
    say(err, err_size, "count", "no store or result given", NULL);
    return -1;
  }
  if (prepare_query(store, query, "SELECT count(*)", 0, &stmt, err, err_size) !=
      0)
    goto out;
  if (sqlite3_step(stmt) != SQLITE_ROW) {
    say_sqlite(err, err_size, "count", store->db, store->path);
    goto out;
  }
  *count = (uint64_t)sqlite3_column_int64(stmt, 0);
  rc = 0;
out:
  sqlite3_finalize(stmt);
  return rc;
}

int store_changed_since(struct gw_store *store, const char *since, int *changed,
                        char *err, size_t err_size) {
  static const char sql[] =
      "SELECT EXISTS (SELECT 1 FROM store_change WHERE changed_at > ?1)";
  sqlite3_stmt *stmt = NULL;
  int rc = -1;
  if (!store || !since || !changed) {
    say(err, err_size, "changed since", "no store, time or result given", NULL);
    return -1;
  }
  if (sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL) != SQLITE_OK ||
      sqlite3_bind_text(stmt, 1, since, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
      sqlite3_step(stmt) != SQLITE_ROW) {
    say_sqlite(err, err_size, "changed since", store->db, store->path);
    goto out;
  }
  *changed = sqlite3_column_int(stmt, 0) != 0;
  rc = 0;
out:
  sqlite3_finalize(stmt);
  return rc;
}

/* ---- runs: dry run ------------------------------------------------------
 * The statements below read main and write only the run's TEMP tables;
 * they are kept next to their one caller rather than in store_schema.c
 * because they are no part of the schema or the commit. */

static const char DIFF_SQL_KEY_INDEX[] =
    "CREATE INDEX temp.joined_key ON joined"
    " (indicator, area, period, breakdown)";

static const char DIFF_SQL_COUNTS[] =
    "SELECT count(*), coalesce(sum(cur_id IS NULL), 0),"
    " coalesce(sum(cur_id IS NOT NULL AND same = 0), 0),"
    " coalesce(sum(same = 1), 0) FROM temp.joined";

static const char DIFF_SQL_NOT_REPRODUCED[] =
    "SELECT count(*) FROM main.observation AS o"
    " WHERE o.source_id = ?1 AND o.valid_to IS NULL AND NOT EXISTS ("
    "  SELECT 1 FROM temp.joined AS j WHERE j.indicator = o.indicator"
    "  AND j.area = o.area AND j.period = o.period"
    "  AND j.breakdown = o.breakdown)";

/* Columns 0-14 the staged figure, 15-21 the current revision (NULL for a
 * new key); fill_change_side() reads them by these positions. */
static const char DIFF_SQL_CHANGES[] =
    "SELECT j.indicator, j.area, j.area_level, j.period, j.breakdown,"
    " j.value, j.status, j.ci_low, j.ci_high, j.unit, j.plugin, j.dataset,"
    " j.source_code, j.payload_sha256, j.span_id,"
    " o.id, o.revision, o.value, o.status, o.ci_low, o.ci_high, o.unit"
    " FROM temp.joined AS j LEFT JOIN main.observation AS o"
    "  ON o.id = j.cur_id"
    " WHERE j.same = 0"
    " ORDER BY j.indicator, j.area, j.period, j.breakdown LIMIT ?1";

/* The key and provenance come from the staged side; `before` differs from
 * `after` only in the published figure and the revision. */
static int fill_change(sqlite3_stmt *stmt, const char *source_id,
                       struct gw_observation *after,
                       struct gw_observation *before, char *err,
                       size_t err_size) {
  const char *op = "diff";
  memset(after, 0, sizeof *after);
  after->component = GW_COMPONENT_VALUE;
  if (copy_column(stmt, 0, after->indicator, sizeof after->indicator,
                  "indicator", op, err, err_size) != 0 ||
      copy_column(stmt, 1, after->area, sizeof after->area, "area", op, err,
                  err_size) != 0 ||
      copy_column(stmt, 3, after->period, sizeof after->period, "period", op,
                  err, err_size) != 0 ||
      copy_column(stmt, 4, after->breakdown, sizeof after->breakdown,
                  "breakdown", op, err, err_size) != 0 ||
      copy_column(stmt, 9, after->unit, sizeof after->unit, "unit", op, err,
                  err_size) != 0 ||
      copy_column(stmt, 10, after->plugin, sizeof after->plugin, "plugin", op,
                  err, err_size) != 0 ||
      copy_column(stmt, 11, after->dataset, sizeof after->dataset, "dataset",
                  op, err, err_size) != 0 ||
      copy_column(stmt, 12, after->source_code, sizeof after->source_code,
                  "source_code", op, err, err_size) != 0 ||
      copy_column(stmt, 13, after->payload_sha256, sizeof after->payload_sha256,
                  "payload_sha256", op, err, err_size) != 0 ||
      copy_column(stmt, 14, after->span_id, sizeof after->span_id, "span_id",
                  op, err, err_size) != 0 ||
      column_name_to_enum(stmt, 2, 0, after, err, err_size) != 0 ||
      column_name_to_enum(stmt, 6, 1, after, err, err_size) != 0)
    return -1;
  (void)text_copy(after->source_id, sizeof after->source_id, source_id);
  column_number(stmt, 5, &after->has_value, &after->value);
  column_number(stmt, 7, &after->has_ci_low, &after->ci_low);
  column_number(stmt, 8, &after->has_ci_high, &after->ci_high);
  if (sqlite3_column_type(stmt, 15) == SQLITE_NULL)
    return 0;
  *before = *after;
  before->revision = (long)sqlite3_column_int64(stmt, 16);
  after->revision = before->revision + 1;
  if (copy_column(stmt, 21, before->unit, sizeof before->unit, "unit", op, err,
                  err_size) != 0 ||
      column_name_to_enum(stmt, 18, 1, before, err, err_size) != 0)
    return -1;
  column_number(stmt, 17, &before->has_value, &before->value);
  column_number(stmt, 19, &before->has_ci_low, &before->ci_low);
  column_number(stmt, 20, &before->has_ci_high, &before->ci_high);
  return 0;
}

static int list_changes(struct gw_store_run *run, size_t max_changes,
                        store_change_cb cb, void *user, char *err,
                        size_t err_size) {
  sqlite3_stmt *stmt = NULL;
  int step, rc = -1;
  if (prepare(run->db, DIFF_SQL_CHANGES, 0, &stmt, "diff: changes", run->path,
              err, err_size) != 0)
    goto out;
  if (sqlite3_bind_int64(stmt, 1,
                         max_changes > (size_t)INT64_MAX
                             ? INT64_MAX
                             : (sqlite3_int64)max_changes) != SQLITE_OK) {
    say_sqlite(err, err_size, "diff: changes", run->db, run->path);
    goto out;
  }
  while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
    struct gw_observation after, before;
    struct gw_store_change change;
    if (fill_change(stmt, run->source_id, &after, &before, err, err_size) != 0)
      goto out;
    change.after = &after;
    change.before =
        sqlite3_column_type(stmt, 15) == SQLITE_NULL ? NULL : &before;
    if (cb(&change, user) != 0)
      break;
  }
  if (step != SQLITE_ROW && step != SQLITE_DONE) {
    say_sqlite(err, err_size, "diff: changes", run->db, run->path);
    goto out;
  }
  rc = 0;
out:
  sqlite3_finalize(stmt);
  return rc;
}

static int diff_counts(struct gw_store_run *run, struct gw_store_diff *d,
                       char *err, size_t err_size) {
  sqlite3_stmt *stmt = NULL;
  int64_t missing = 0;
  int rc = -1;
  if (prepare(run->db, DIFF_SQL_COUNTS, 0, &stmt, "diff: count", run->path, err,
              err_size) != 0)
    goto out;
  if (sqlite3_step(stmt) != SQLITE_ROW) {
    say_sqlite(err, err_size, "diff: count", run->db, run->path);
    goto out;
  }
  d->would_insert = column_count(stmt, 1);
  d->would_revise = column_count(stmt, 2);
  d->unchanged = column_count(stmt, 3);
  sqlite3_finalize(stmt);
  stmt = NULL;
  if (prepare(run->db, DIFF_SQL_NOT_REPRODUCED, 0, &stmt, "diff: count",
              run->path, err, err_size) != 0)
    goto out;
  if (sqlite3_bind_text(stmt, 1, run->source_id, -1, SQLITE_STATIC) !=
          SQLITE_OK ||
      sqlite3_step(stmt) != SQLITE_ROW) {
    say_sqlite(err, err_size, "diff: count", run->db, run->path);
    goto out;
  }
  missing = sqlite3_column_int64(stmt, 0);
  d->not_reproduced = missing < 0 ? 0 : (uint64_t)missing;
  rc = 0;
out:
  sqlite3_finalize(stmt);
  return rc;
}

/* One read transaction: the counts, the listing and the join all see the
 * same snapshot of main even while other runs commit. */
int store_run_diff(struct gw_store_run *run, size_t max_changes,
                   store_change_cb cb, void *user, struct gw_store_diff *diff,
                   char *err, size_t err_size) {
  struct gw_store_diff local = {0, 0, 0, 0, 0};
  int in_tx = 0, rc = -1;
  if (!run || !diff) {
    say(err, err_size, "diff", "no run or result given", NULL);
    return -1;
  }
  if (run->failed || run->diffed) {
    say(err, err_size, "diff",
        run->failed ? "a staging call of this run failed"
                    : "the run was compared already",
        run->path);
    goto out;
  }
  run->diffed = 1;
  if (batch_close(run, err, err_size) != 0 ||
      exec_sql(run->db, "BEGIN", "diff: begin", run->path, err, err_size) != 0)
    goto out;
  in_tx = 1;
  if (exec_sql(run->db, STORE_SQL_STAGE_KEY_INDEX, "diff: sort staged rows",
               run->path, err, err_size) != 0 ||
      run_step(run, STORE_SQL_JOIN, "", NULL, "diff: join", err, err_size) !=
          0 ||
      run_step(run, STORE_SQL_MARK_SAME, "", NULL, "diff: compare", err,
               err_size) != 0 ||
      exec_sql(run->db, DIFF_SQL_KEY_INDEX, "diff: index", run->path, err,
               err_size) != 0 ||
      diff_counts(run, &local, err, err_size) != 0 ||
      (cb && max_changes > 0 &&
       list_changes(run, max_changes, cb, user, err, err_size) != 0))
    goto out;
  local.staged = run->staged;
  *diff = local;
  rc = 0;
out:
  if (in_tx)
    sqlite3_exec(run->db, "ROLLBACK", NULL, NULL, NULL);
  return rc;
}
