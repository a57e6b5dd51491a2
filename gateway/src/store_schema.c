/*
 * store_schema.c - SQL text of the SQLite store (see store_schema.h).
 *
 * Time stamps are RFC 3339 UTC text of one fixed shape, so text order is
 * time order and as-of lookups compare strings.
 */
#include "store_schema.h"

/* observation: one row per revision. The current revision of a key has
 * valid_to NULL; a revised figure closes the old row at the commit time
 * of the run that changed it, so [valid_from, valid_to) never overlap. */
const char STORE_SQL_SCHEMA_V1[] =
    "CREATE TABLE observation ("
    " id INTEGER PRIMARY KEY,"
    " indicator TEXT NOT NULL,"
    " area TEXT NOT NULL,"
    " area_level TEXT NOT NULL,"
    " period TEXT NOT NULL,"
    " breakdown TEXT NOT NULL,"
    " source_id TEXT NOT NULL,"
    " revision INTEGER NOT NULL CHECK (revision >= 1),"
    " value REAL,"
    " unit TEXT NOT NULL,"
    " status TEXT NOT NULL,"
    " ci_low REAL,"
    " ci_high REAL,"
    " plugin TEXT NOT NULL,"
    " dataset TEXT NOT NULL,"
    " source_code TEXT NOT NULL,"
    " fetched_at TEXT NOT NULL,"
    " payload_sha256 TEXT NOT NULL,"
    " span_id TEXT NOT NULL,"
    " run_id TEXT NOT NULL,"
    " valid_from TEXT NOT NULL,"
    " valid_to TEXT,"
    " CHECK (valid_to IS NULL OR valid_to >= valid_from));"
    "CREATE UNIQUE INDEX observation_current ON observation"
    " (indicator, area, period, breakdown, source_id)"
    " WHERE valid_to IS NULL;"
    "CREATE INDEX observation_history ON observation"
    " (indicator, area, period, breakdown, source_id, valid_from);"
    "CREATE TABLE http_validator ("
    " url TEXT PRIMARY KEY,"
    " etag TEXT,"
    " last_modified TEXT,"
    " payload_sha256 TEXT,"
    " updated_at TEXT NOT NULL);"
    "CREATE TABLE run ("
    " run_id TEXT PRIMARY KEY,"
    " source_id TEXT NOT NULL,"
    " started_at TEXT NOT NULL,"
    " ended_at TEXT,"
    " outcome TEXT NOT NULL,"
    " error TEXT,"
    " pages INTEGER NOT NULL DEFAULT 0,"
    " bytes INTEGER NOT NULL DEFAULT 0,"
    " emitted INTEGER NOT NULL DEFAULT 0,"
    " stored INTEGER NOT NULL DEFAULT 0,"
    " rejected INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX run_by_source ON run (source_id, started_at);";

/* Additive only: rows of older gateways keep seconds NULL (the latest-runs
 * query derives it from their start and end) and retries 0. */
const char STORE_SQL_MIGRATE_V2[] =
    "ALTER TABLE run ADD COLUMN seconds REAL;"
    "ALTER TABLE run ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX run_outcome_by_source ON run (source_id, outcome,"
    " started_at);";

/* Seeded from the history a v2 store already has (one scan, once). */
const char STORE_SQL_MIGRATE_V3[] =
    "CREATE TABLE store_change ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " changed_at TEXT NOT NULL);"
    "INSERT INTO store_change (id, changed_at)"
    " SELECT 1, t FROM (SELECT max(x) AS t FROM ("
    "  SELECT max(valid_from) AS x FROM observation"
    "  UNION ALL SELECT max(valid_to) FROM observation))"
    " WHERE t IS NOT NULL;";

/* One row per staged (key, component), appended in the order the plugin
 * emits them: no index while a run streams, because a plugin emits in the
 * source's order (a StatLine row holds 34 indicators, Marges outermost)
 * and keeping a key index up to date then meant a random B-tree insert per
 * row, with a page cache far smaller than the table. The key index is
 * built once at commit (STORE_SQL_STAGE_KEY_INDEX: one external sort).
 * seq is the row's position in the run: a repeated (key, component)
 * counts by its greatest seq, so the last one wins. The provenance a
 * payload's rows share (plugin, dataset, fetched_at, payload SHA-256, span
 * id: half of a row's bytes) is kept once in staged_origin. value NULL
 * means the
 * component carries no number. source_id is not stored: a run stages for
 * exactly one source. joined is filled at commit time with one row per
 * key. */
const char STORE_SQL_STAGING_TABLES[] = "CREATE TEMP TABLE staged ("
                                        " seq INTEGER NOT NULL,"
                                        " indicator TEXT NOT NULL,"
                                        " area TEXT NOT NULL,"
                                        " period TEXT NOT NULL,"
                                        " breakdown TEXT NOT NULL,"
                                        " component INTEGER NOT NULL,"
                                        " area_level TEXT NOT NULL,"
                                        " value REAL,"
                                        " status TEXT NOT NULL,"
                                        " unit TEXT NOT NULL,"
                                        " source_code TEXT NOT NULL,"
                                        " origin INTEGER NOT NULL);"
                                        "CREATE TEMP TABLE staged_origin ("
                                        " id INTEGER PRIMARY KEY,"
                                        " plugin TEXT NOT NULL,"
                                        " dataset TEXT NOT NULL,"
                                        " fetched_at TEXT NOT NULL,"
                                        " payload_sha256 TEXT NOT NULL,"
                                        " span_id TEXT NOT NULL);"
                                        "CREATE TEMP TABLE staged_validator ("
                                        " url TEXT PRIMARY KEY,"
                                        " etag TEXT,"
                                        " last_modified TEXT,"
                                        " payload_sha256 TEXT);"
                                        "CREATE TEMP TABLE joined ("
                                        " indicator TEXT NOT NULL,"
                                        " area TEXT NOT NULL,"
                                        " area_level TEXT NOT NULL,"
                                        " period TEXT NOT NULL,"
                                        " breakdown TEXT NOT NULL,"
                                        " value REAL,"
                                        " status TEXT NOT NULL,"
                                        " ci_low REAL,"
                                        " ci_high REAL,"
                                        " unit TEXT NOT NULL,"
                                        " plugin TEXT NOT NULL,"
                                        " dataset TEXT NOT NULL,"
                                        " source_code TEXT NOT NULL,"
                                        " fetched_at TEXT NOT NULL,"
                                        " payload_sha256 TEXT NOT NULL,"
                                        " span_id TEXT NOT NULL,"
                                        " cur_id INTEGER,"
                                        " cur_revision INTEGER,"
                                        " same INTEGER NOT NULL DEFAULT 0);";

/* ?12 = seq: a repeated (key, component) within one run: the last one
 * wins (at commit). */
const char STORE_SQL_STAGE_ROW[] =
    "INSERT INTO temp.staged (indicator, area, period,"
    " breakdown, component, area_level, value, status, unit, source_code,"
    " origin, seq)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";

const char STORE_SQL_STAGE_ORIGIN[] =
    "INSERT INTO temp.staged_origin (id, plugin, dataset, fetched_at,"
    " payload_sha256, span_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

/* Covering: the join below reads every staged column from the index, in
 * key order, so all the components of a key sit on neighbouring pages. */
const char STORE_SQL_STAGE_KEY_INDEX[] =
    "CREATE INDEX IF NOT EXISTS temp.staged_key ON staged (indicator, area,"
    " period, breakdown, component, seq, area_level, value, status, unit,"
    " source_code, origin)";

const char STORE_SQL_STAGE_VALIDATOR[] =
    "INSERT OR REPLACE INTO temp.staged_validator (url, etag,"
    " last_modified, payload_sha256) VALUES (?1, ?2, ?3, ?4)";

/* One row per key. "first" is the row of the lowest component present:
 * the VALUE row when there is one (it supplies value, status, unit and
 * provenance), else a bound row, and then the key has no value and
 * status missing. Of a component staged more than once, the row with the
 * greatest seq counts (first_seq, lo_seq, hi_seq). The bounds come from their
 * own rows, and only accompany a value: the bounds of a missing or suppressed
 * cell would disclose what the source withheld. The current stored revision of
 * the key (if any) is looked up in the same pass. */
const char STORE_SQL_JOIN[] =
    "INSERT INTO temp.joined (indicator, area, area_level, period,"
    " breakdown, value, status, ci_low, ci_high, unit, plugin, dataset,"
    " source_code, fetched_at, payload_sha256, span_id, cur_id,"
    " cur_revision)"
    " SELECT k.indicator, k.area, f.area_level, k.period, k.breakdown,"
    "  CASE WHEN k.first_component = 0 THEN f.value END,"
    "  CASE WHEN k.first_component = 0 THEN f.status ELSE 'missing' END,"
    "  CASE WHEN k.first_component = 0 AND f.value IS NOT NULL"
    "   THEN lo.value END,"
    "  CASE WHEN k.first_component = 0 AND f.value IS NOT NULL"
    "   THEN hi.value END,"
    "  f.unit, p.plugin, p.dataset, f.source_code,"
    "  p.fetched_at, p.payload_sha256, p.span_id, o.id, o.revision"
    " FROM (SELECT indicator, area, period, breakdown,"
    "        min(component) AS first_component,"
    "        coalesce(max(CASE component WHEN 0 THEN seq END),"
    "                 max(CASE component WHEN 1 THEN seq END),"
    "                 max(CASE component WHEN 2 THEN seq END)) AS first_seq,"
    "        max(CASE component WHEN 1 THEN seq END) AS lo_seq,"
    "        max(CASE component WHEN 2 THEN seq END) AS hi_seq"
    "       FROM temp.staged"
    "       GROUP BY indicator, area, period, breakdown) AS k"
    " JOIN temp.staged AS f"
    "  ON f.indicator = k.indicator AND f.area = k.area"
    "  AND f.period = k.period AND f.breakdown = k.breakdown"
    "  AND f.component = k.first_component AND f.seq = k.first_seq"
    " JOIN temp.staged_origin AS p ON p.id = f.origin"
    " LEFT JOIN temp.staged AS lo"
    "  ON lo.indicator = k.indicator AND lo.area = k.area"
    "  AND lo.period = k.period AND lo.breakdown = k.breakdown"
    "  AND lo.component = 1 AND lo.seq = k.lo_seq"
    " LEFT JOIN temp.staged AS hi"
    "  ON hi.indicator = k.indicator AND hi.area = k.area"
    "  AND hi.period = k.period AND hi.breakdown = k.breakdown"
    "  AND hi.component = 2 AND hi.seq = k.hi_seq"
    " LEFT JOIN main.observation AS o"
    "  ON o.indicator = k.indicator AND o.area = k.area"
    "  AND o.period = k.period AND o.breakdown = k.breakdown"
    "  AND o.source_id = ?1 AND o.valid_to IS NULL";

/* NULL-safe comparison of the published figure: a value that appears or
 * disappears is a change just like a different number. */
const char STORE_SQL_MARK_SAME[] =
    "UPDATE temp.joined SET same = 1"
    " WHERE cur_id IS NOT NULL AND EXISTS ("
    "  SELECT 1 FROM main.observation AS o WHERE o.id = joined.cur_id"
    "  AND o.value IS joined.value AND o.status IS joined.status"
    "  AND o.ci_low IS joined.ci_low AND o.ci_high IS joined.ci_high"
    "  AND o.unit IS joined.unit)";

/* Must run before STORE_SQL_INSERT_NEW: the unique current-row index
 * allows only one open revision per key. */
const char STORE_SQL_CLOSE_OLD[] =
    "UPDATE main.observation SET valid_to = ?2"
    " WHERE id IN (SELECT cur_id FROM temp.joined"
    "              WHERE cur_id IS NOT NULL AND same = 0)";

const char STORE_SQL_INSERT_NEW[] =
    "INSERT INTO main.observation (indicator, area, area_level, period,"
    " breakdown, source_id, revision, value, unit, status, ci_low, ci_high,"
    " plugin, dataset, source_code, fetched_at, payload_sha256, span_id,"
    " run_id, valid_from, valid_to)"
    " SELECT indicator, area, area_level, period, breakdown, ?1,"
    "  coalesce(cur_revision, 0) + 1, value, unit, status, ci_low, ci_high,"
    "  plugin, dataset, source_code, fetched_at, payload_sha256, span_id,"
    "  ?3, ?2, NULL"
    " FROM temp.joined WHERE same = 0 ORDER BY rowid";

const char STORE_SQL_COUNT_SAME[] =
    "SELECT count(*) FROM temp.joined WHERE same = 1";

/* "WHERE true" keeps the parser from reading ON CONFLICT as a join
 * constraint of the SELECT (documented SQLite upsert quirk). */
const char STORE_SQL_UPSERT_VALIDATORS[] =
    "INSERT INTO main.http_validator (url, etag, last_modified,"
    " payload_sha256, updated_at)"
    " SELECT url, etag, last_modified, payload_sha256, ?2"
    " FROM temp.staged_validator WHERE true"
    " ON CONFLICT (url) DO UPDATE SET etag = excluded.etag,"
    " last_modified = excluded.last_modified,"
    " payload_sha256 = excluded.payload_sha256,"
    " updated_at = excluded.updated_at";

const char STORE_SQL_GET_VALIDATOR[] =
    "SELECT coalesce(etag, ''), coalesce(last_modified, ''),"
    " coalesce(payload_sha256, '') FROM http_validator WHERE url = ?1";

const char STORE_SQL_RECORD_RUN[] =
    "INSERT OR REPLACE INTO run (run_id, source_id, started_at, ended_at,"
    " outcome, error, pages, bytes, emitted, stored, rejected, seconds,"
    " retries)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";

/* Latest = greatest started_at; rowid breaks ties (the later record), and
 * the same order decides what "after the last ok run" means. A run still
 * recorded as running has not failed (yet). Rows of gateways before schema
 * version 2 have no seconds: their start and end give it (julianday takes
 * the RFC 3339 text with its Z). */
const char STORE_SQL_LATEST_RUNS[] =
    "SELECT r.run_id, r.source_id, r.started_at, coalesce(r.ended_at, ''),"
    " r.outcome, coalesce(r.error, ''), r.pages, r.bytes, r.emitted,"
    " r.stored, r.rejected,"
    " coalesce(r.seconds,"
    "  (julianday(r.ended_at) - julianday(r.started_at)) * 86400.0, 0.0),"
    " r.retries, lo.started_at,"
    " (SELECT count(*) FROM run AS f WHERE f.source_id = r.source_id"
    "   AND f.outcome NOT IN ('ok', 'running')"
    "   AND (lo.rowid IS NULL OR f.started_at > lo.started_at"
    "        OR (f.started_at = lo.started_at AND f.rowid > lo.rowid)))"
    " FROM run AS r"
    " LEFT JOIN run AS lo ON lo.rowid = ("
    "  SELECT o.rowid FROM run AS o"
    "  WHERE o.source_id = r.source_id AND o.outcome = 'ok'"
    "  ORDER BY o.started_at DESC, o.rowid DESC LIMIT 1)"
    " WHERE r.rowid = ("
    "  SELECT r2.rowid FROM run AS r2 WHERE r2.source_id = r.source_id"
    "  ORDER BY r2.started_at DESC, r2.rowid DESC LIMIT 1)"
    " ORDER BY r.source_id";

/* Column order is relied on by row_to_observation() in store.c. */
const char STORE_SQL_OBSERVATION_COLUMNS[] =
    "indicator, area, area_level, period, breakdown, source_id, revision,"
    " value, unit, status, ci_low, ci_high, plugin, dataset, source_code,"
    " fetched_at, payload_sha256, span_id";

const char STORE_SQL_NOTE_CHANGE[] =
    "INSERT OR REPLACE INTO main.store_change (id, changed_at)"
    " VALUES (1, ?2)";
