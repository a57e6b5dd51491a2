/*
 * serve_feeds.c - GET /v1/feeds/<name>: a configured export, exactly as
 * it was published (the same bytes a file consumer gets, written
 * atomically by `gateway run`), streamed from disk.
 *
 * The name is only ever compared with the configured feed names; no path
 * is built from the request. Several exports may share a name in
 * different formats (indicators.json, .xml, .csv): the format is then
 * negotiated among them. A client may read a feed only when it may read
 * every indicator the feed can hold (a feed without an indicator filter
 * holds them all).
 *
 * The ETag is the SHA-256 of the published file, computed once per
 * publication (the file is replaced by rename, so a new inode means a new
 * file) and kept in s->feed_memos.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "gw_alloc.h"
#include "serve_internal.h"
#include "text.h"

#define READ_CHUNK 65536
#define NAMES_MAX 512

static serve_format serve_format_of(gw_export_format f) {
  return f == GW_FORMAT_XML   ? SERVE_FMT_XML
         : f == GW_FORMAT_CSV ? SERVE_FMT_CSV
                              : SERVE_FMT_JSON;
}

static void configured_names(const struct gw_config *cfg, char *out,
                             size_t size) {
  out[0] = '\0';
  for (size_t i = 0; i < cfg->export_count; i++) {
    const char *name = cfg->exports[i].name;
    int seen = 0;
    for (size_t j = 0; j < i; j++)
      seen |= strcmp(cfg->exports[j].name, name) == 0;
    if (seen)
      continue;
    if (out[0])
      (void)text_append(out, size, ", ");
    (void)text_append(out, size, name);
  }
  if (!out[0])
    (void)text_copy(out, size, "none");
}

/* The export with this name in the negotiated format, or NULL after
 * serve_fail(). */
static const struct gw_export_config *pick_export(struct serve_request *r,
                                                  const char *name,
                                                  const struct serve_query *q,
                                                  size_t *index) {
  const struct gw_config *cfg = r->s->app->cfg;
  unsigned offered = 0;
  char names[NAMES_MAX], err[SERVE_MESSAGE_MAX];
  int status = 400;
  for (size_t i = 0; i < cfg->export_count; i++)
    if (strcmp(cfg->exports[i].name, name) == 0)
      offered |= SERVE_OFFER(serve_format_of(cfg->exports[i].options.format));
  if (!offered) {
    configured_names(cfg, names, sizeof names);
    serve_fail(r, 404, "no feed named '%.64s'; the configured feeds are: %s",
               name, names);
    return NULL;
  }
  if (serve_negotiate(q->format, serve_header(r, "Accept"), offered, &r->format,
                      &status, err, sizeof err) != 0) {
    serve_fail(r, status, "%s", err);
    return NULL;
  }
  r->format_known = 1;
  for (size_t i = 0; i < cfg->export_count; i++) {
    if (strcmp(cfg->exports[i].name, name) == 0 &&
        serve_format_of(cfg->exports[i].options.format) == r->format) {
      *index = i;
      return &cfg->exports[i];
    }
  }
  serve_fail(r, 500, "feed lookup failed");
  return NULL;
}

static int may_read_feed(struct serve_request *r,
                         const struct gw_export_config *e) {
  char forbidden[256] = "";
  if (!e->indicators) {
    if (serve_client_reads_all(r->client))
      return 1;
    serve_fail(r, 403,
               "feed '%s' holds every indicator; client %s may read only "
               "some (use /v1/observations)",
               e->name, r->client->name);
    return 0;
  }
  for (size_t i = 0; e->indicators[i]; i++) {
    if (serve_client_may_read(r->client, e->indicators[i]))
      continue;
    if (forbidden[0])
      (void)text_append(forbidden, sizeof forbidden, ", ");
    (void)text_append(forbidden, sizeof forbidden, e->indicators[i]);
  }
  if (!forbidden[0])
    return 1;
  serve_fail(r, 403, "feed '%s' holds indicator(s) client %s may not read: %s",
             e->name, r->client->name, forbidden);
  return 0;
}

/* SHA-256 of the open file, read through fd from the start. */
static int hash_fd(int fd, char hex[GW_SHA256_HEX_SIZE]) {
  struct gw_sha256 *st = sha256_begin();
  char *buf = gw_malloc(READ_CHUNK);
  off_t at = 0;
  ssize_t got;
  int rc = -1;
  if (!st || !buf)
    goto out;
  while ((got = pread(fd, buf, READ_CHUNK, at)) > 0) {
    if (sha256_update(st, buf, (size_t)got) != 0)
      goto out;
    at += got;
  }
  if (got == 0) {
    rc = sha256_finish_hex(st, hex);
    st = NULL;
  }
out:
  if (st)
    sha256_abort(st);
  gw_free(buf);
  return rc;
}

static int same_file(const struct serve_feed_memo *m, const struct stat *st) {
  return m->etag[0] && m->dev == st->st_dev && m->ino == st->st_ino &&
         m->size == st->st_size && m->mtime.tv_sec == st->st_mtim.tv_sec &&
         m->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static int feed_etag(struct serve_request *r, size_t index, int fd,
                     const struct stat *st) {
  struct serve_feed_memo *m = &r->s->feed_memos[index];
  char hex[GW_SHA256_HEX_SIZE];
  if (same_file(m, st))
    return 0;
  m->etag[0] = '\0';
  if (hash_fd(fd, hex) != 0 ||
      text_format(m->etag, sizeof m->etag, "\"%s\"", hex) != 0)
    return -1;
  m->dev = st->st_dev;
  m->ino = st->st_ino;
  m->size = st->st_size;
  m->mtime = st->st_mtim;
  return 0;
}

void serve_get_feed(struct serve_request *r, const char *name,
                    const struct serve_query *q) {
  const struct gw_export_config *e;
  struct stat st;
  size_t index = 0;
  int fd;
  e = pick_export(r, name, q, &index);
  if (!e || !may_read_feed(r, e))
    return;
  fd = open(e->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      serve_fail(r, 404,
                 "feed '%s' (%s) is configured but not published yet: no run "
                 "has written it",
                 e->name, serve_format_name(r->format));
    else
      serve_fail(r, 500, "feed '%s' cannot be opened", e->name);
    return;
  }
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      feed_etag(r, index, fd, &st) != 0) {
    close(fd);
    serve_fail(r, 500, "feed '%s' cannot be read", e->name);
    return;
  }
  r->status = 200;
  r->file_fd = fd;
  r->file_size = st.st_size;
  r->rows = -1; /* not counted: the file goes out as it is */
  (void)text_copy(r->answer.etag, sizeof r->answer.etag,
                  r->s->feed_memos[index].etag);
  (void)text_copy(r->answer.content_type, sizeof r->answer.content_type,
                  serve_format_media_type(r->format));
  r->answer.last_modified = st.st_mtime;
}
