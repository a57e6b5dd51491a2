/*
 * store_schema.h - the SQL text of the SQLite store, kept apart from the
 * C control flow in store.c so the statements can be read as a whole.
 */
#ifndef GW_STORE_SCHEMA_H
#define GW_STORE_SCHEMA_H

/* PRAGMA user_version of the newest schema. A fresh database is created
 * as version 1 and then migrated step by step like an old one, so every
 * database takes the same path. A database with a higher version was made
 * by a newer gateway and is refused. */
#define STORE_SCHEMA_VERSION 3

/* Persistent tables and indexes (run inside one write transaction). */
extern const char STORE_SQL_SCHEMA_V1[];
/* Version 1 -> 2: duration and retries of each run, and an index for the
 * last successful run of a source (gateway status, feed status). */
extern const char STORE_SQL_MIGRATE_V2[];
/* Version 2 -> 3: the time of the last commit that changed an observation
 * (one row, written in the commit's transaction), so "has the store
 * changed since the feed was written" is one lookup, not a table scan. */
extern const char STORE_SQL_MIGRATE_V3[];

/* Per-run connection: the private staging tables (TEMP schema). */
extern const char STORE_SQL_STAGING_TABLES[];
extern const char STORE_SQL_STAGE_ROW[];
extern const char STORE_SQL_STAGE_ORIGIN[]; /* provenance shared by rows */
extern const char STORE_SQL_STAGE_VALIDATOR[];

/* Commit steps, in order. ?1 = source id, ?2 = commit time, ?3 = run id. */
extern const char STORE_SQL_STAGE_KEY_INDEX[]; /* staged in key order */
extern const char STORE_SQL_JOIN[];            /* staged -> temp.joined */
extern const char STORE_SQL_MARK_SAME[];       /* identical to current */
extern const char STORE_SQL_CLOSE_OLD[];       /* valid_to on changed keys */
extern const char STORE_SQL_NOTE_CHANGE[];     /* store_change := ?2 */
extern const char STORE_SQL_INSERT_NEW[];      /* new revisions */
extern const char STORE_SQL_COUNT_SAME[];      /* unchanged keys */
extern const char STORE_SQL_UPSERT_VALIDATORS[];

/* Main connection. */
extern const char STORE_SQL_GET_VALIDATOR[];
extern const char STORE_SQL_RECORD_RUN[];
extern const char STORE_SQL_LATEST_RUNS[];
extern const char STORE_SQL_OBSERVATION_COLUMNS[];

#endif
