/*
 * spool.c - content-addressed payload spool (see spool.h).
 *
 * The temporary file lives in the spool directory itself so the final
 * rename never crosses a file system and is atomic: a reader either sees
 * no <sha> file or a complete one whose name is its digest.
 *
 * Writers, touches and prunes meet at <spool>/.lock: writers and touches
 * share it, a prune holds it alone from its scan to its last unlink, so
 * "old enough to remove" cannot go stale while it works.
 */
#include "spool.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gw_alloc.h"
#include "text.h"

#define SPOOL_DIR_MODE 0750
#define SPOOL_TMP_TEMPLATE ".tmp-XXXXXX"
#define SPOOL_LOCK_NAME ".lock"
#define SPOOL_LOCK_MODE 0640
#define SECONDS_PER_DAY 86400

struct gw_spool_writer {
  char *dir;
  char *tmp_path;
  FILE *stream;
  struct gw_sha256 *sha;
  uint64_t bytes;
};

/* mkdir -p with the spool's mode. */
static int make_dirs(const char *path, char *err, size_t err_size) {
  return fs_mkdirs(path, SPOOL_DIR_MODE, err, err_size);
}

/* Makes a completed rename durable: without this a crash can lose the
 * directory entry even though the file data was fsync'ed. */
static int fsync_dir(const char *dir, char *err, size_t err_size) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  int rc = -1;
  if (fd < 0) {
    text_format(err, err_size, "cannot open spool directory %s: %s", dir,
                strerror(errno));
    goto out;
  }
  if (fsync(fd) != 0) {
    text_format(err, err_size, "cannot fsync spool directory %s: %s", dir,
                strerror(errno));
    goto out;
  }
  rc = 0;
out:
  if (fd >= 0)
    close(fd);
  return rc;
}

/* Opens <dir>/.lock and takes the flock (LOCK_SH or LOCK_EX). Each call
 * has its own open file description, so threads of one process exclude
 * each other just like processes do. The descriptor, or -1 (err). */
static int lock_spool(const char *dir, int operation, char *err,
                      size_t err_size) {
  char path[4096];
  int fd;
  if (text_format(path, sizeof path, "%s/%s", dir, SPOOL_LOCK_NAME) != 0) {
    text_format(err, err_size, "spool path too long: %s", dir);
    return -1;
  }
  fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, SPOOL_LOCK_MODE);
  if (fd < 0) {
    text_format(err, err_size, "cannot open the spool lock %s: %s", path,
                strerror(errno));
    return -1;
  }
  while (flock(fd, operation) != 0) {
    if (errno == EINTR)
      continue;
    text_format(err, err_size, "cannot lock the spool %s: %s", dir,
                strerror(errno));
    close(fd);
    return -1;
  }
  return fd;
}

/* Closing the descriptor releases the flock. */
static void unlock_spool(int fd) {
  if (fd >= 0)
    close(fd);
}

static void writer_free(struct gw_spool_writer *w) {
  if (!w)
    return;
  if (w->stream)
    fclose(w->stream);
  if (w->sha)
    sha256_abort(w->sha);
  gw_free(w->tmp_path);
  gw_free(w->dir);
  gw_free(w);
}

static int open_temp_file(struct gw_spool_writer *w, char *err,
                          size_t err_size) {
  size_t len = strlen(w->dir) + 1 + sizeof SPOOL_TMP_TEMPLATE;
  int fd;
  w->tmp_path = gw_malloc(len);
  if (!w->tmp_path) {
    text_format(err, err_size, "out of memory opening a spool file in %s",
                w->dir);
    return -1;
  }
  if (text_format(w->tmp_path, len, "%s/%s", w->dir, SPOOL_TMP_TEMPLATE) != 0) {
    text_format(err, err_size, "spool path too long: %s", w->dir);
    return -1;
  }
  fd = mkstemp(w->tmp_path);
  if (fd < 0) {
    text_format(err, err_size, "cannot create a temporary file in %s: %s",
                w->dir, strerror(errno));
    gw_free(w->tmp_path);
    w->tmp_path = NULL; /* nothing to unlink */
    return -1;
  }
  w->stream = fdopen(fd, "wb");
  if (!w->stream) {
    text_format(err, err_size, "cannot open %s for writing: %s", w->tmp_path,
                strerror(errno));
    close(fd);
    unlink(w->tmp_path);
    return -1;
  }
  return 0;
}

int spool_writer_begin(const char *spool_dir, struct gw_spool_writer **out,
                       char *err, size_t err_size) {
  struct gw_spool_writer *w = NULL;
  int rc = -1;
  *out = NULL;
  if (!spool_dir || !*spool_dir) {
    text_copy(err, err_size, "no spool directory configured");
    goto out;
  }
  if (make_dirs(spool_dir, err, err_size) != 0)
    goto out;
  w = gw_calloc(1, sizeof *w);
  if (!w || !(w->dir = gw_strdup(spool_dir))) {
    text_format(err, err_size, "out of memory opening a spool file in %s",
                spool_dir);
    goto out;
  }
  w->sha = sha256_begin();
  if (!w->sha) {
    text_copy(err, err_size, "out of memory starting a SHA-256 digest");
    goto out;
  }
  if (open_temp_file(w, err, err_size) != 0)
    goto out;
  *out = w;
  w = NULL;
  rc = 0;
out:
  if (w && w->tmp_path && w->stream)
    unlink(w->tmp_path);
  writer_free(w);
  return rc;
}

int spool_writer_write(struct gw_spool_writer *w, const void *data,
                       size_t len) {
  if (len == 0)
    return 0;
  errno = 0;
  if (fwrite(data, 1, len, w->stream) != len) {
    if (errno == 0)
      errno = EIO;
    return -1;
  }
  if (sha256_update(w->sha, data, len) != 0) {
    errno = ENOMEM;
    return -1;
  }
  w->bytes += len;
  return 0;
}

uint64_t spool_writer_bytes(const struct gw_spool_writer *w) {
  return w->bytes;
}

/* Data first, then the name: fsync before rename so the digest-named file
 * is never observed with missing content after a crash. */
static int flush_and_close(struct gw_spool_writer *w, char *err,
                           size_t err_size) {
  FILE *stream = w->stream;
  int rc = -1;
  w->stream = NULL;
  if (fflush(stream) != 0 || fsync(fileno(stream)) != 0) {
    text_format(err, err_size, "cannot write spool file %s: %s", w->tmp_path,
                strerror(errno));
    goto out;
  }
  rc = 0;
out:
  if (fclose(stream) != 0 && rc == 0) {
    text_format(err, err_size, "cannot close spool file %s: %s", w->tmp_path,
                strerror(errno));
    rc = -1;
  }
  return rc;
}

/* Same name means same content: an existing file is kept, and renewed so
 * retention counts from this use. */
static int publish(struct gw_spool_writer *w, const char *final_path, char *err,
                   size_t err_size) {
  struct stat st;
  int lock = lock_spool(w->dir, LOCK_SH, err, err_size);
  int rc = -1;
  if (lock < 0)
    return -1;
  if (stat(final_path, &st) == 0 &&
      utimensat(AT_FDCWD, final_path, NULL, 0) == 0) {
    unlink(w->tmp_path);
    rc = 0;
    goto out;
  }
  if (rename(w->tmp_path, final_path) != 0) {
    text_format(err, err_size, "cannot rename %s to %s: %s", w->tmp_path,
                final_path, strerror(errno));
    goto out;
  }
  rc = fsync_dir(w->dir, err, err_size);
out:
  unlock_spool(lock);
  return rc;
}

int spool_writer_finish(struct gw_spool_writer *w, char sha[GW_SHA256_HEX_SIZE],
                        char *path, size_t path_size, char *err,
                        size_t err_size) {
  char final_path[4096];
  struct gw_sha256 *st = w->sha;
  int rc = -1;
  sha[0] = '\0';
  if (path_size > 0)
    path[0] = '\0';
  if (flush_and_close(w, err, err_size) != 0)
    goto out;
  w->sha = NULL; /* sha256_finish_hex frees it, also on failure */
  if (sha256_finish_hex(st, sha) != 0) {
    text_format(err, err_size, "cannot compute SHA-256 of %s", w->tmp_path);
    goto out;
  }
  if (spool_path(w->dir, sha, final_path, sizeof final_path) != 0 ||
      text_copy(path, path_size, final_path) != 0) {
    text_format(err, err_size, "spool path too long in %s", w->dir);
    goto out;
  }
  if (publish(w, final_path, err, err_size) != 0)
    goto out;
  rc = 0;
out:
  if (rc != 0) {
    unlink(w->tmp_path);
    sha[0] = '\0';
    if (path_size > 0)
      path[0] = '\0';
  }
  writer_free(w);
  return rc;
}

void spool_writer_abort(struct gw_spool_writer *w) {
  if (!w)
    return;
  if (w->stream) {
    fclose(w->stream);
    w->stream = NULL;
  }
  if (w->tmp_path)
    unlink(w->tmp_path);
  writer_free(w);
}

int spool_path(const char *spool_dir, const char *sha, char *out,
               size_t out_size) {
  return text_format(out, out_size, "%s/%s", spool_dir, sha);
}

int spool_is_payload_name(const char *name) {
  size_t i;
  for (i = 0; i < GW_SHA256_HEX_SIZE - 1; i++) {
    char c = name[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return 0;
  }
  return name[i] == '\0';
}

int spool_touch(const char *spool_dir, const char *sha, char *err,
                size_t err_size) {
  char path[4096];
  int lock = -1, rc = -1, saved = EINVAL;
  if (!spool_is_payload_name(sha) ||
      spool_path(spool_dir, sha, path, sizeof path) != 0) {
    text_format(err, err_size, "not a spool payload name: %.80s", sha);
    goto out;
  }
  lock = lock_spool(spool_dir, LOCK_SH, err, err_size);
  if (lock < 0) {
    saved = errno;
    goto out;
  }
  if (utimensat(AT_FDCWD, path, NULL, 0) != 0) {
    saved = errno;
    text_format(err, err_size, "cannot renew spooled payload %s: %s", path,
                strerror(saved));
    goto out;
  }
  rc = 0;
out:
  unlock_spool(lock);
  if (rc != 0)
    errno = saved;
  return rc;
}

/* ---- retention ------------------------------------------------------------
 */

struct candidates {
  struct gw_spool_candidate *items;
  size_t count, cap;
};

static int candidates_add(struct candidates *c, const char *sha,
                          const struct stat *st) {
  if (c->count == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 64;
    struct gw_spool_candidate *grown =
        gw_realloc(c->items, cap * sizeof *grown);
    if (!grown)
      return -1;
    c->items = grown;
    c->cap = cap;
  }
  text_copy(c->items[c->count].sha256, GW_SHA256_HEX_SIZE, sha);
  c->items[c->count].bytes = st->st_size > 0 ? (uint64_t)st->st_size : 0;
  c->items[c->count].mtime = st->st_mtime;
  c->count++;
  return 0;
}

static int compare_strings(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int compare_candidates(const void *a, const void *b) {
  return strcmp(((const struct gw_spool_candidate *)a)->sha256,
                ((const struct gw_spool_candidate *)b)->sha256);
}

static int is_kept(const char *sha, const char *const *keep,
                   size_t keep_count) {
  return keep_count > 0 &&
         bsearch(&sha, keep, keep_count, sizeof *keep, compare_strings) != NULL;
}

/* Collects the payload files last used before cutoff. Only regular files
 * with a payload name count: a symlink or directory someone put there is
 * not ours to remove. */
static int scan_spool(DIR *dir, const char *path, time_t cutoff,
                      const char *const *keep, size_t keep_count,
                      struct candidates *out, struct gw_spool_prune_result *r,
                      char *err, size_t err_size) {
  struct dirent *e;
  struct stat st;
  for (errno = 0; (e = readdir(dir)) != NULL; errno = 0) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    if (!spool_is_payload_name(e->d_name) ||
        fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(st.st_mode)) {
      r->ignored++;
      continue;
    }
    r->scanned++;
    if (is_kept(e->d_name, keep, keep_count)) {
      r->kept_referenced++;
      continue;
    }
    if (st.st_mtime >= cutoff)
      continue;
    if (candidates_add(out, e->d_name, &st) != 0) {
      text_format(err, err_size, "out of memory scanning the spool %s", path);
      return -1;
    }
  }
  if (errno != 0) {
    text_format(err, err_size, "cannot read the spool %s: %s", path,
                strerror(errno));
    return -1;
  }
  return 0;
}

static void remove_candidates(DIR *dir, const char *path,
                              const struct candidates *c,
                              struct gw_spool_prune_result *r) {
  size_t i;
  for (i = 0; i < c->count; i++) {
    if (unlinkat(dirfd(dir), c->items[i].sha256, 0) == 0) {
      r->removed++;
      r->removed_bytes += c->items[i].bytes;
      continue;
    }
    if (errno == ENOENT) /* gone already (quarantined, another prune) */
      continue;
    r->failed++;
    if (!r->error[0])
      text_format(r->error, sizeof r->error, "cannot remove %s/%s: %s", path,
                  c->items[i].sha256, strerror(errno));
  }
}

int spool_prune(const char *spool_dir, int64_t retention_days, time_t now,
                const char *const *keep, size_t keep_count,
                spool_prune_cb before_remove, void *user,
                struct gw_spool_prune_result *result, char *err,
                size_t err_size) {
  struct candidates c = {NULL, 0, 0};
  DIR *dir = NULL;
  int lock = -1, rc = -1;
  time_t cutoff;
  memset(result, 0, sizeof *result);
  if (retention_days <= 0)
    return 0;
  if (retention_days > (int64_t)now / SECONDS_PER_DAY)
    return 0; /* longer than the clock has run: nothing is that old */
  cutoff = now - (time_t)retention_days * SECONDS_PER_DAY;
  dir = opendir(spool_dir);
  if (!dir) {
    if (errno == ENOENT)
      return 0; /* nothing was ever spooled */
    text_format(err, err_size, "cannot open the spool %s: %s", spool_dir,
                strerror(errno));
    return -1;
  }
  lock = lock_spool(spool_dir, LOCK_EX, err, err_size);
  if (lock < 0 || scan_spool(dir, spool_dir, cutoff, keep, keep_count, &c,
                             result, err, err_size) != 0)
    goto out;
  if (c.count > 0) {
    qsort(c.items, c.count, sizeof *c.items, compare_candidates);
    if (before_remove && before_remove(c.items, c.count, user) != 0) {
      text_format(err, err_size,
                  "%zu spool file(s) due for removal were kept: they could "
                  "not be recorded first",
                  c.count);
      goto out;
    }
    remove_candidates(dir, spool_dir, &c, result);
  }
  rc = 0;
out:
  unlock_spool(lock);
  closedir(dir);
  gw_free(c.items);
  return rc;
}
