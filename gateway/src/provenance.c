/*
 * provenance.c - read-only revision history from the store's database
 * (contract in provenance.h).
 *
 * Both statements are prepared once per handle: an export with
 * provenance looks one revision up per exported row, through the
 * observation_history index (key columns first), so a feed of 200,000
 * rows costs 200,000 index probes and nothing else.
 */
#include "provenance.h"
#include "gw_alloc.h"
#include "text.h"

#include <sqlite3.h>
#include <string.h>

#define PROV_BUSY_TIMEOUT_MS 10000

struct gw_provenance {
  sqlite3 *db;
  sqlite3_stmt *validity;
  sqlite3_stmt *history;
  char *path;
};

static const char SQL_VALIDITY[] =
    "SELECT valid_from, valid_to, run_id FROM observation"
    " WHERE indicator = ?1 AND area = ?2 AND period = ?3 AND breakdown = ?4"
    " AND source_id = ?5 AND revision = ?6";

/* Column order is what row_to_revision() reads. */
static const char SQL_HISTORY[] =
    "SELECT indicator, area, area_level, period, breakdown, source_id,"
    " revision, value, unit, status, ci_low, ci_high, plugin, dataset,"
    " source_code, fetched_at, payload_sha256, span_id, valid_from,"
    " valid_to, run_id FROM observation"
    " WHERE indicator = ?1 AND area = ?2 AND period = ?3"
    " AND (?4 IS NULL OR breakdown = ?4) AND (?5 IS NULL OR source_id = ?5)"
    " ORDER BY breakdown, source_id, revision";

static void say_db(struct gw_provenance *p, const char *op, char *err,
                   size_t err_size) {
  text_format(err, err_size, "provenance: %s: %s (database %s)", op,
              p->db ? sqlite3_errmsg(p->db) : "out of memory", p->path);
}

int provenance_open(const char *db_path, struct gw_provenance **out, char *err,
                    size_t err_size) {
  struct gw_provenance *p = NULL;
  int rc = -1;

  *out = NULL;
  p = gw_calloc(1, sizeof *p);
  if (!p || !(p->path = gw_strdup(db_path))) {
    text_copy(err, err_size, "provenance: out of memory");
    goto out;
  }
  if (sqlite3_open_v2(db_path, &p->db, SQLITE_OPEN_READONLY, NULL) !=
      SQLITE_OK) {
    text_format(err, err_size,
                "provenance: cannot open the store %s read-only: %s", db_path,
                p->db ? sqlite3_errmsg(p->db) : "out of memory");
    goto out;
  }
  if (sqlite3_busy_timeout(p->db, PROV_BUSY_TIMEOUT_MS) != SQLITE_OK) {
    say_db(p, "open", err, err_size);
    goto out;
  }
  /* A database without the observation history (not a gateway store, or
   * an empty file) fails here rather than at the first lookup. */
  if (sqlite3_prepare_v3(p->db, SQL_VALIDITY, -1, SQLITE_PREPARE_PERSISTENT,
                         &p->validity, NULL) != SQLITE_OK ||
      sqlite3_prepare_v3(p->db, SQL_HISTORY, -1, SQLITE_PREPARE_PERSISTENT,
                         &p->history, NULL) != SQLITE_OK) {
    text_format(err, err_size,
                "provenance: %s has no observation history the gateway can "
                "read: %s",
                db_path, sqlite3_errmsg(p->db));
    goto out;
  }
  *out = p;
  p = NULL;
  rc = 0;
out:
  provenance_close(p);
  return rc;
}

void provenance_close(struct gw_provenance *p) {
  if (!p)
    return;
  sqlite3_finalize(p->validity);
  sqlite3_finalize(p->history);
  sqlite3_close_v2(p->db);
  gw_free(p->path);
  gw_free(p);
}

static int bind_text(sqlite3_stmt *stmt, int index, const char *text) {
  return text ? sqlite3_bind_text(stmt, index, text, -1, SQLITE_STATIC)
              : sqlite3_bind_null(stmt, index);
}

/* A stored text that does not fit its field is damage, never cut. */
static int copy_text(sqlite3_stmt *stmt, int col, char *dst, size_t size,
                     const char *name, char *err, size_t err_size) {
  const unsigned char *text = sqlite3_column_text(stmt, col);
  size_t len = text ? (size_t)sqlite3_column_bytes(stmt, col) : 0;
  if (len >= size) {
    text_format(err, err_size,
                "provenance: stored %s is %zu bytes, longer than the %zu-byte "
                "field",
                name, len, size - 1);
    return -1;
  }
  if (len)
    memcpy(dst, text, len);
  dst[len] = '\0';
  return 0;
}

/* valid_from, valid_to, run_id from columns first, first + 1, first + 2. */
static int read_validity(sqlite3_stmt *stmt, int first, struct gw_validity *v,
                         char *err, size_t err_size) {
  return copy_text(stmt, first, v->valid_from, sizeof v->valid_from,
                   "valid_from", err, err_size) != 0 ||
                 copy_text(stmt, first + 1, v->valid_to, sizeof v->valid_to,
                           "valid_to", err, err_size) != 0 ||
                 copy_text(stmt, first + 2, v->run_id, sizeof v->run_id,
                           "run_id", err, err_size) != 0
             ? -1
             : 0;
}

int provenance_validity(struct gw_provenance *p,
                        const struct gw_observation *obs,
                        struct gw_validity *out, char *err, size_t err_size) {
  sqlite3_stmt *s = p->validity;
  int step, rc = -1;
  memset(out, 0, sizeof *out);
  if (bind_text(s, 1, obs->indicator) != SQLITE_OK ||
      bind_text(s, 2, obs->area) != SQLITE_OK ||
      bind_text(s, 3, obs->period) != SQLITE_OK ||
      bind_text(s, 4, obs->breakdown[0] ? obs->breakdown : "{}") != SQLITE_OK ||
      bind_text(s, 5, obs->source_id) != SQLITE_OK ||
      sqlite3_bind_int64(s, 6, obs->revision) != SQLITE_OK) {
    say_db(p, "validity", err, err_size);
    goto out;
  }
  step = sqlite3_step(s);
  if (step == SQLITE_DONE) {
    rc = 1;
    goto out;
  }
  if (step != SQLITE_ROW) {
    say_db(p, "validity", err, err_size);
    goto out;
  }
  rc = read_validity(s, 0, out, err, err_size);
out:
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  return rc;
}

static void column_number(sqlite3_stmt *stmt, int col, int *has,
                          double *value) {
  *has = sqlite3_column_type(stmt, col) != SQLITE_NULL;
  *value = *has ? sqlite3_column_double(stmt, col) : 0.0;
}

/* Column order: SQL_HISTORY. */
static int row_to_revision(sqlite3_stmt *s, struct gw_revision *r, char *err,
                           size_t err_size) {
  struct gw_observation *o = &r->obs;
  const char *level = (const char *)sqlite3_column_text(s, 2);
  const char *status = (const char *)sqlite3_column_text(s, 9);
  memset(r, 0, sizeof *r);
  o->component = GW_COMPONENT_VALUE;
  if (copy_text(s, 0, o->indicator, sizeof o->indicator, "indicator", err,
                err_size) != 0 ||
      copy_text(s, 1, o->area, sizeof o->area, "area", err, err_size) != 0 ||
      copy_text(s, 3, o->period, sizeof o->period, "period", err, err_size) !=
          0 ||
      copy_text(s, 4, o->breakdown, sizeof o->breakdown, "breakdown", err,
                err_size) != 0 ||
      copy_text(s, 5, o->source_id, sizeof o->source_id, "source_id", err,
                err_size) != 0 ||
      copy_text(s, 8, o->unit, sizeof o->unit, "unit", err, err_size) != 0 ||
      copy_text(s, 12, o->plugin, sizeof o->plugin, "plugin", err, err_size) !=
          0 ||
      copy_text(s, 13, o->dataset, sizeof o->dataset, "dataset", err,
                err_size) != 0 ||
      copy_text(s, 14, o->source_code, sizeof o->source_code, "source_code",
                err, err_size) != 0 ||
      copy_text(s, 15, o->fetched_at, sizeof o->fetched_at, "fetched_at", err,
                err_size) != 0 ||
      copy_text(s, 16, o->payload_sha256, sizeof o->payload_sha256,
                "payload_sha256", err, err_size) != 0 ||
      copy_text(s, 17, o->span_id, sizeof o->span_id, "span_id", err,
                err_size) != 0 ||
      read_validity(s, 18, &r->validity, err, err_size) != 0)
    return -1;
  if (!level || area_level_from_name(level, &o->area_level) != 0 || !status ||
      status_from_name(status, &o->status) != 0) {
    text_format(err, err_size,
                "provenance: stored area level or status of %s/%s/%s is not "
                "a known name",
                o->indicator, o->area, o->period);
    return -1;
  }
  o->revision = (long)sqlite3_column_int64(s, 6);
  column_number(s, 7, &o->has_value, &o->value);
  column_number(s, 10, &o->has_ci_low, &o->ci_low);
  column_number(s, 11, &o->has_ci_high, &o->ci_high);
  return 0;
}

int provenance_history(struct gw_provenance *p, const struct gw_figure_key *key,
                       provenance_cb cb, void *user, size_t *count, char *err,
                       size_t err_size) {
  sqlite3_stmt *s = p->history;
  struct gw_revision *rev = NULL;
  size_t n = 0;
  int step, rc = -1;
  if (count)
    *count = 0;
  rev = gw_malloc(sizeof *rev);
  if (!rev) {
    text_copy(err, err_size, "provenance: out of memory");
    return -1;
  }
  if (bind_text(s, 1, key->indicator) != SQLITE_OK ||
      bind_text(s, 2, key->area) != SQLITE_OK ||
      bind_text(s, 3, key->period) != SQLITE_OK ||
      bind_text(s, 4, key->breakdown) != SQLITE_OK ||
      bind_text(s, 5, key->source_id) != SQLITE_OK) {
    say_db(p, "history", err, err_size);
    goto out;
  }
  while ((step = sqlite3_step(s)) == SQLITE_ROW) {
    int stop;
    if (row_to_revision(s, rev, err, err_size) != 0)
      goto out;
    n++;
    stop = cb ? cb(rev, user) : 0;
    if (stop != 0) {
      rc = stop;
      goto out;
    }
  }
  if (step != SQLITE_DONE) {
    say_db(p, "history", err, err_size);
    goto out;
  }
  rc = 0;
out:
  if (count)
    *count = n;
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  gw_free(rev);
  return rc;
}
