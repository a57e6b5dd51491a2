/*
 * feed_status.c - the status sidecar of a published feed (see
 * feed_status.h; shape in schemas/feed-status.schema.json).
 *
 * generated_at is read back from the published file rather than kept from
 * the last write: the file is the truth a consumer holds, whichever
 * process or gateway version wrote it. JSON and XML feeds carry it in
 * their header, which is all that is read (feeds can be large); CSV has no
 * header metadata, so its modification time stands in.
 */
#include "feed_status.h"
#include "atomic_file.h"
#include "clock.h"
#include "digest.h"
#include "gw_alloc.h"
#include "text.h"

#include <errno.h>
#include <libxml/xmlreader.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* The first line of a JSON feed holds the whole "feed" header object. */
#define JSON_HEADER_MAX 8192
#define XML_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

/* ---- time stamps ---------------------------------------------------------
 */

/* The modification time in the form clock_now_rfc3339() writes. */
static int mtime_text(const struct stat *st, char *out, size_t size) {
  struct tm tm;
  char whole[24];
  if (!gmtime_r(&st->st_mtim.tv_sec, &tm) ||
      strftime(whole, sizeof whole, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
    return -1;
  return text_format(out, size, "%s.%03ldZ", whole,
                     (long)(st->st_mtim.tv_nsec / 1000000));
}

/* ---- generated_at of the published file ----------------------------------
 */

/* export_json.c writes `{"feed":{...},` as the first line: completed with
 * a closing brace it is a JSON document of its own. */
static int json_generated_at(const char *path, char *out, size_t size) {
  char line[JSON_HEADER_MAX];
  size_t len;
  json_t *doc = NULL;
  const char *when;
  int rc = -1;
  FILE *f = fopen(path, "rb");
  if (!f)
    return -1;
  if (!fgets(line, sizeof line, f))
    goto out;
  len = strlen(line);
  if (len == 0 || line[len - 1] != '\n')
    goto out; /* not the line we know */
  while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
    line[--len] = '\0';
  if (len == 0 || line[len - 1] != ',')
    goto out;
  line[len - 1] = '}';
  doc = json_loadb(line, len, 0, NULL);
  when = json_string_value(
      json_object_get(json_object_get(doc, "feed"), "generated_at"));
  if (when && text_copy(out, size, when) == 0)
    rc = 0;
out:
  json_decref(doc);
  fclose(f);
  return rc;
}

/* The generated_at attribute of the root element; the reader stops there. */
static int xml_generated_at(const char *path, char *out, size_t size) {
  xmlTextReaderPtr reader = xmlReaderForFile(path, NULL, XML_OPTIONS);
  xmlChar *when = NULL;
  int step, rc = -1;
  if (!reader)
    return -1;
  while ((step = xmlTextReaderRead(reader)) == 1 &&
         xmlTextReaderNodeType(reader) != XML_READER_TYPE_ELEMENT)
    ;
  if (step == 1)
    when = xmlTextReaderGetAttribute(reader, BAD_CAST "generated_at");
  if (when && text_copy(out, size, (const char *)when) == 0)
    rc = 0;
  xmlFree(when);
  xmlFreeTextReader(reader);
  return rc;
}

/* The feed's own generated_at when it has one that reads as a time, else
 * the file's modification time. */
static int feed_generated_at(const struct gw_export_config *e,
                             const struct stat *st, char *out, size_t size,
                             time_t *when) {
  int found = -1;
  if (e->options.format == GW_FORMAT_JSON)
    found = json_generated_at(e->path, out, size);
  else if (e->options.format == GW_FORMAT_XML)
    found = xml_generated_at(e->path, out, size);
  if (found == 0 && clock_parse_rfc3339(out, when) == 0)
    return 0;
  *when = st->st_mtim.tv_sec;
  return mtime_text(st, out, size);
}

/* ---- the sources behind the feed -----------------------------------------
 */

static const char *text_or_null(const char *s) {
  return s && *s ? s : NULL;
}

/* Latest run per source id, in the sidecar's shape. */
static int collect_run(const struct gw_run_record *r, void *user) {
  json_t *runs = user;
  json_t *o =
      json_pack("{s:s, s:s, s:s, s:s?, s:I, s:s?}", "id", r->source_id,
                "last_run_at", r->started_at, "last_outcome", r->outcome,
                "last_success_at", r->last_success_at, "consecutive_failures",
                (json_int_t)r->consecutive_failures, "last_error",
                text_or_null(r->error));
  return o && json_object_set_new(runs, r->source_id, o) == 0 ? 0 : -1;
}

/* Every configured source in config order; *stale is set when one has
 * failed since its last success. */
static json_t *sources_json(struct gw_app *app, int *stale, char *err,
                            size_t err_size) {
  json_t *runs = json_object(), *out = json_array(), *entry;
  size_t i;
  *stale = 0;
  if (!runs || !out) {
    text_copy(err, err_size, "out of memory");
    goto fail;
  }
  err[0] = '\0';
  if (store_latest_runs(app->store, collect_run, runs, err, err_size) != 0) {
    if (!err[0])
      text_copy(err, err_size, "out of memory reading the run history");
    goto fail;
  }
  for (i = 0; i < app->cfg->source_count; i++) {
    const char *id = app->cfg->sources[i].id;
    entry = json_object_get(runs, id);
    if (entry)
      json_incref(entry);
    else
      entry =
          json_pack("{s:s, s:n, s:s, s:n, s:i, s:n}", "id", id, "last_run_at",
                    "last_outcome", "never", "last_success_at",
                    "consecutive_failures", 0, "last_error");
    if (json_integer_value(json_object_get(entry, "consecutive_failures")) > 0)
      *stale = 1;
    if (json_array_append_new(out, entry) != 0) {
      text_copy(err, err_size, "out of memory");
      goto fail;
    }
  }
  json_decref(runs);
  return out;
fail:
  json_decref(runs);
  json_decref(out);
  return NULL;
}

/* ---- the sidecar -----------------------------------------------------------
 */

static int newer(const struct timespec *a, const struct timespec *b) {
  return a->tv_sec > b->tv_sec ||
         (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

/* A status file written after the feed last changed already holds the
 * feed's SHA-256: hashing a national feed (gigabytes) again on every
 * unchanged run would cost seconds for the same answer. */
static int recorded_sha(const char *status_path,
                        const struct gw_export_config *e,
                        const struct stat *feed_st,
                        char sha[GW_SHA256_HEX_SIZE]) {
  struct stat st;
  json_t *doc;
  const char *recorded, *path;
  int found = 0;
  if (stat(status_path, &st) != 0 || !newer(&st.st_mtim, &feed_st->st_mtim) ||
      !(doc = json_load_file(status_path, 0, NULL)))
    return 0;
  recorded = json_string_value(json_object_get(doc, "sha256"));
  path = json_string_value(json_object_get(doc, "path"));
  if (recorded && strlen(recorded) == GW_SHA256_HEX_SIZE - 1 && path &&
      strcmp(path, e->path) == 0 &&
      strspn(recorded, "0123456789abcdef") == GW_SHA256_HEX_SIZE - 1) {
    text_copy(sha, GW_SHA256_HEX_SIZE, recorded);
    found = 1;
  }
  json_decref(doc);
  return found;
}

static json_t *status_document(struct gw_app *app,
                               const struct gw_export_config *e,
                               const char *status_path, const struct stat *st,
                               char *err, size_t err_size) {
  char generated[GW_TIME_MAX], checked[GW_TIME_MAX];
  char sha[GW_SHA256_HEX_SIZE];
  time_t generated_t, checked_t;
  json_t *sources;
  int stale = 0;
  if (!recorded_sha(status_path, e, st, sha) &&
      sha256_file_hex(e->path, sha, NULL) != 0) {
    text_format(err, err_size, "cannot read %s", e->path);
    return NULL;
  }
  if (feed_generated_at(e, st, generated, sizeof generated, &generated_t) !=
          0 ||
      clock_now_rfc3339(checked, sizeof checked) != 0 ||
      clock_parse_rfc3339(checked, &checked_t) != 0) {
    text_copy(err, err_size, "cannot read the clock");
    return NULL;
  }
  sources = sources_json(app, &stale, err, err_size);
  if (!sources)
    return NULL;
  /* A clock set back must not make a feed look younger than new. */
  return json_pack(
      "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:b, s:o}", "schema",
      FEED_STATUS_SCHEMA, "feed", e->name, "format",
      export_format_name(e->options.format), "path", e->path, "generated_at",
      generated, "sha256", sha, "checked_at", checked, "age_seconds",
      (json_int_t)(checked_t > generated_t ? checked_t - generated_t : 0),
      "stale", stale, "sources", sources);
}

static int write_atomically(const char *path, json_t *doc, char *err,
                            size_t err_size) {
  struct gw_atomic_file *f = NULL;
  FILE *out;
  if (atomic_file_open(path, &f, err, err_size) != 0)
    return -1;
  out = atomic_file_stream(f);
  if (json_dumpf(doc, out, JSON_INDENT(2)) != 0 || fputc('\n', out) == EOF) {
    text_format(err, err_size, "%s: cannot write", path);
    atomic_file_abort(f);
    return -1;
  }
  return atomic_file_commit(f, err, err_size);
}

int feed_status_write(struct gw_app *app, const struct gw_export_config *e,
                      char *err, size_t err_size) {
  struct stat st;
  json_t *doc = NULL;
  char *path = NULL;
  size_t size;
  int rc = -1;
  if (err && err_size)
    err[0] = '\0';
  if (stat(e->path, &st) != 0) {
    if (errno == ENOENT)
      return 1;
    text_format(err, err_size, "%s: %s", e->path, strerror(errno));
    return -1;
  }
  size = strlen(e->path) + sizeof FEED_STATUS_SUFFIX;
  path = gw_malloc(size);
  if (!path ||
      text_format(path, size, "%s%s", e->path, FEED_STATUS_SUFFIX) != 0) {
    text_copy(err, err_size, "out of memory");
    goto out;
  }
  doc = status_document(app, e, path, &st, err, err_size);
  if (!doc) {
    if (!err[0])
      text_copy(err, err_size, "out of memory");
    goto out;
  }
  rc = write_atomically(path, doc, err, err_size);
out:
  json_decref(doc);
  gw_free(path);
  return rc;
}
