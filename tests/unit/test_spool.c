/*
 * test_spool.c - the content-addressed spool: names prove content, the same
 * content is stored once, aborted or failed writes leave nothing behind;
 * retention removes only payload files unused for N days and not kept
 * for a 304, and asks before it removes anything.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "spool.h"
#include "test_support.h"
#include "text.h"

static char tmp[256];

static void setup(void) {
  const char *d = ts_mkdtemp();
  cr_assert_not_null(d);
  cr_assert_eq(text_copy(tmp, sizeof tmp, d), 0);
}

static void teardown(void) {
  ts_rm_rf(tmp);
}

TestSuite(spool, .init = setup, .fini = teardown);

/* Entries of dir (with prefix), not counting the spool's lock file. */
static int count_entries(const char *dir, const char *prefix) {
  DIR *d = opendir(dir);
  struct dirent *e;
  int n = 0;
  cr_assert_not_null(d, "cannot open %s", dir);
  while ((e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
        strcmp(e->d_name, ".lock") == 0)
      continue;
    if (!prefix || strncmp(e->d_name, prefix, strlen(prefix)) == 0)
      n++;
  }
  closedir(d);
  return n;
}

/* Writes content in chunks of `chunk` bytes and finishes. */
static void spool_string(const char *dir, const char *content, size_t chunk,
                         char sha[GW_SHA256_HEX_SIZE], char *path,
                         size_t path_size) {
  struct gw_spool_writer *w = NULL;
  char err[512] = "";
  size_t len = strlen(content);
  cr_assert_eq(spool_writer_begin(dir, &w, err, sizeof err), 0, "%s", err);
  for (size_t off = 0; off < len; off += chunk) {
    size_t n = len - off < chunk ? len - off : chunk;
    cr_assert_eq(spool_writer_write(w, content + off, n), 0);
  }
  cr_assert_eq(spool_writer_bytes(w), (uint64_t)len);
  cr_assert_eq(spool_writer_finish(w, sha, path, path_size, err, sizeof err), 0,
               "%s", err);
}

Test(spool, name_is_sha256_of_content) {
  const char *content = "{\"value\": [1, 2, 3], \"odata.nextLink\": null}\n";
  char dir[512], sha[GW_SHA256_HEX_SIZE], expected[GW_SHA256_HEX_SIZE];
  char path[1024], want_path[1024];
  size_t len = 0;
  char *stored;
  text_format(dir, sizeof dir, "%s/data/spool", tmp); /* parents are created */
  spool_string(dir, content, 7, sha, path, sizeof path);
  cr_assert_eq(sha256_hex(content, strlen(content), expected), 0);
  cr_assert_str_eq(sha, expected);
  cr_assert_eq(spool_path(dir, expected, want_path, sizeof want_path), 0);
  cr_assert_str_eq(path, want_path);
  stored = ts_read_file(path, &len);
  cr_assert_not_null(stored);
  cr_assert_eq(len, strlen(content));
  cr_assert_eq(memcmp(stored, content, len), 0);
  free(stored);
  cr_assert_eq(count_entries(dir, ".tmp-"), 0, "temporary file left behind");
}

Test(spool, directory_is_created_with_mode_0750) {
  char dir[512], sha[GW_SHA256_HEX_SIZE], path[1024];
  struct stat st;
  mode_t old = umask(0);
  text_format(dir, sizeof dir, "%s/a/b/spool", tmp);
  spool_string(dir, "x", 1, sha, path, sizeof path);
  umask(old);
  cr_assert_eq(stat(dir, &st), 0);
  cr_assert_eq(st.st_mode & 0777, 0750, "mode %o", st.st_mode & 0777);
}

Test(spool, same_content_twice_keeps_one_file) {
  char dir[512], sha1[GW_SHA256_HEX_SIZE], sha2[GW_SHA256_HEX_SIZE];
  char sha3[GW_SHA256_HEX_SIZE], p1[1024], p2[1024], p3[1024];
  text_format(dir, sizeof dir, "%s/spool", tmp);
  spool_string(dir, "same bytes", 3, sha1, p1, sizeof p1);
  spool_string(dir, "same bytes", 10, sha2, p2, sizeof p2);
  cr_assert_str_eq(sha1, sha2);
  cr_assert_str_eq(p1, p2);
  cr_assert_eq(count_entries(dir, NULL), 1);
  spool_string(dir, "other bytes", 4, sha3, p3, sizeof p3);
  cr_assert_str_neq(sha1, sha3);
  cr_assert_eq(count_entries(dir, NULL), 2);
}

Test(spool, empty_payload_has_the_empty_digest) {
  char dir[512], sha[GW_SHA256_HEX_SIZE], path[1024];
  text_format(dir, sizeof dir, "%s/spool", tmp);
  spool_string(dir, "", 1, sha, path, sizeof path);
  cr_assert_str_eq(
      sha, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  cr_assert_eq(access(path, R_OK), 0);
}

Test(spool, abort_leaves_no_temporary_file) {
  struct gw_spool_writer *w = NULL;
  char dir[512], err[512] = "";
  text_format(dir, sizeof dir, "%s/spool", tmp);
  cr_assert_eq(spool_writer_begin(dir, &w, err, sizeof err), 0, "%s", err);
  cr_assert_eq(count_entries(dir, ".tmp-"), 1, "temp file should exist");
  cr_assert_eq(spool_writer_write(w, "partial", 7), 0);
  spool_writer_abort(w);
  cr_assert_eq(count_entries(dir, NULL), 0);
}

/* Root ignores directory permissions, so as root the attempt is made with
 * the effective uid of "nobody" (reversible, also under --no-fork). */
Test(spool, unwritable_directory_is_a_clear_error) {
  struct gw_spool_writer *w = NULL;
  char dir[512], err[512] = "";
  int rc;
  int as_root = geteuid() == 0;
  text_format(dir, sizeof dir, "%s/locked", tmp);
  cr_assert_eq(mkdir(dir, 0555), 0);
  cr_assert_eq(chmod(dir, 0555), 0);
  cr_assert_eq(chmod(tmp, 0755), 0);
  if (as_root)
    cr_assert_eq(seteuid(65534), 0, "cannot drop privileges");
  rc = spool_writer_begin(dir, &w, err, sizeof err);
  if (as_root)
    cr_assert_eq(seteuid(0), 0, "cannot restore privileges");
  cr_assert_eq(rc, -1);
  cr_assert_null(w);
  cr_assert_not_null(strstr(err, dir), "error does not name the dir: %s", err);
  cr_assert_not_null(strstr(err, "Permission denied"), "%s", err);
  cr_assert_eq(count_entries(dir, NULL), 0);
  chmod(dir, 0700);
}

Test(spool, missing_parent_that_is_a_file_is_a_clear_error) {
  struct gw_spool_writer *w = NULL;
  char file[512], dir[600], err[512] = "";
  text_format(file, sizeof file, "%s/plainfile", tmp);
  cr_assert_eq(ts_write_file(file, "x"), 0);
  text_format(dir, sizeof dir, "%s/spool", file);
  cr_assert_eq(spool_writer_begin(dir, &w, err, sizeof err), -1);
  cr_assert_null(w);
  cr_assert_not_null(strstr(err, "plainfile"), "%s", err);
}

Test(spool, empty_directory_name_is_refused) {
  struct gw_spool_writer *w = NULL;
  char err[512] = "";
  cr_assert_eq(spool_writer_begin("", &w, err, sizeof err), -1);
  cr_assert_neq(err[0], '\0');
}

/* ---- retention -------------------------------------------------------- */

#define DAY 86400

/* Spools content and sets its mtime to `days_ago` days before now. */
static void spool_aged(const char *dir, const char *content, int days_ago,
                       char sha[GW_SHA256_HEX_SIZE]) {
  char path[1024];
  struct timespec times[2];
  spool_string(dir, content, 64, sha, path, sizeof path);
  times[0].tv_sec = times[1].tv_sec = time(NULL) - (time_t)days_ago * DAY;
  times[0].tv_nsec = times[1].tv_nsec = 0;
  cr_assert_eq(utimensat(AT_FDCWD, path, times, 0), 0, "%s", strerror(errno));
}

static int exists_in(const char *dir, const char *name) {
  char path[1024];
  cr_assert_eq(text_format(path, sizeof path, "%s/%s", dir, name), 0);
  return access(path, F_OK) == 0;
}

static time_t mtime_of(const char *dir, const char *name) {
  char path[1024];
  struct stat st;
  cr_assert_eq(text_format(path, sizeof path, "%s/%s", dir, name), 0);
  cr_assert_eq(stat(path, &st), 0);
  return st.st_mtime;
}

struct seen_candidates {
  size_t calls, count;
  char first[GW_SHA256_HEX_SIZE];
  int refuse;
};

static int note_candidates(const struct gw_spool_candidate *c, size_t count,
                           void *user) {
  struct seen_candidates *s = user;
  s->calls++;
  s->count = count;
  text_copy(s->first, sizeof s->first, c[0].sha256);
  for (size_t i = 1; i < count; i++)
    cr_expect_lt(strcmp(c[i - 1].sha256, c[i].sha256), 0, "not sorted");
  return s->refuse;
}

static void prune(const char *dir, int64_t days, const char *const *keep,
                  size_t keep_count, struct seen_candidates *seen,
                  struct gw_spool_prune_result *r) {
  char err[512] = "";
  cr_assert_eq(spool_prune(dir, days, time(NULL), keep, keep_count,
                           note_candidates, seen, r, err, sizeof err),
               0, "%s", err);
}

Test(spool, prune_removes_only_payloads_unused_for_longer_than_retention) {
  char dir[512], old1[GW_SHA256_HEX_SIZE], old2[GW_SHA256_HEX_SIZE];
  char young[GW_SHA256_HEX_SIZE], edge[GW_SHA256_HEX_SIZE];
  struct seen_candidates seen = {0};
  struct gw_spool_prune_result r;
  text_format(dir, sizeof dir, "%s/spool", tmp);
  spool_aged(dir, "old one", 40, old1);
  spool_aged(dir, "old two, longer", 31, old2);
  spool_aged(dir, "young", 29, young);
  spool_aged(dir, "yesterday", 1, edge);
  prune(dir, 30, NULL, 0, &seen, &r);
  cr_expect(!exists_in(dir, old1));
  cr_expect(!exists_in(dir, old2));
  cr_expect(exists_in(dir, young));
  cr_expect(exists_in(dir, edge));
  cr_expect_eq(r.scanned, 4);
  cr_expect_eq(r.removed, 2);
  cr_expect_eq(r.removed_bytes, strlen("old one") + strlen("old two, longer"));
  cr_expect_eq(r.failed, 0);
  cr_expect_eq(seen.calls, 1);
  cr_expect_eq(seen.count, 2);
}

Test(spool, prune_keeps_referenced_payloads_and_foreign_files) {
  char dir[512], kept[GW_SHA256_HEX_SIZE], gone[GW_SHA256_HEX_SIZE];
  char other[GW_SHA256_HEX_SIZE], path[1024], upper[GW_SHA256_HEX_SIZE];
  char link_name[GW_SHA256_HEX_SIZE];
  struct seen_candidates seen = {0};
  struct gw_spool_prune_result r;
  struct timespec old[2] = {{time(NULL) - 100 * DAY, 0},
                            {time(NULL) - 100 * DAY, 0}};
  text_format(dir, sizeof dir, "%s/spool", tmp);
  spool_aged(dir, "needed to answer a 304", 100, kept);
  spool_aged(dir, "not needed", 100, gone);
  spool_aged(dir, "also kept", 100, other);
  /* Names that are not payloads, all old: a stray temporary file, a
   * 64-digit name in upper case, a short hex name, a directory and a
   * symlink with a payload name. */
  const char *foreign[] = {".tmp-abc123", "README", "abcdef", NULL};
  for (int i = 0; foreign[i]; i++) {
    text_format(path, sizeof path, "%s/%s", dir, foreign[i]);
    cr_assert_eq(ts_write_file(path, "x"), 0);
    cr_assert_eq(utimensat(AT_FDCWD, path, old, 0), 0);
  }
  for (int i = 0; i < 64; i++)
    upper[i] = "0123456789ABCDEF"[i % 16];
  upper[64] = '\0';
  text_format(path, sizeof path, "%s/%s", dir, upper);
  cr_assert_eq(ts_write_file(path, "x"), 0);
  cr_assert_eq(utimensat(AT_FDCWD, path, old, 0), 0);
  memset(link_name, 'e', 64);
  link_name[64] = '\0';
  text_format(path, sizeof path, "%s/%s", dir, link_name);
  cr_assert_eq(symlink("/etc/hostname", path), 0);
  memset(link_name, 'd', 64);
  text_format(path, sizeof path, "%s/%s", dir, link_name);
  cr_assert_eq(mkdir(path, 0700), 0);
  cr_assert_eq(utimensat(AT_FDCWD, path, old, 0), 0);

  /* keep must be sorted. */
  const char *keep[2];
  keep[0] = strcmp(kept, other) < 0 ? kept : other;
  keep[1] = strcmp(kept, other) < 0 ? other : kept;
  prune(dir, 1, keep, 2, &seen, &r);
  cr_expect(exists_in(dir, kept));
  cr_expect(exists_in(dir, other));
  cr_expect(!exists_in(dir, gone));
  cr_expect_eq(r.removed, 1);
  cr_expect_str_eq(seen.first, gone);
  cr_expect_eq(r.kept_referenced, 2);
  for (int i = 0; foreign[i]; i++)
    cr_expect(exists_in(dir, foreign[i]), "%s was removed", foreign[i]);
  cr_expect(exists_in(dir, upper));
  cr_expect(exists_in(dir, link_name), "directory removed");
  memset(link_name, 'e', 64);
  text_format(path, sizeof path, "%s/%s", dir, link_name);
  struct stat st;
  cr_expect_eq(lstat(path, &st), 0, "symlink removed");
  cr_expect_geq(r.ignored, 6, "ignored %llu", (unsigned long long)r.ignored);
}

Test(spool, prune_with_retention_zero_removes_nothing) {
  char dir[512], sha[GW_SHA256_HEX_SIZE];
  struct seen_candidates seen = {0};
  struct gw_spool_prune_result r;
  text_format(dir, sizeof dir, "%s/spool", tmp);
  spool_aged(dir, "ancient", 10000, sha);
  prune(dir, 0, NULL, 0, &seen, &r);
  cr_expect(exists_in(dir, sha));
  cr_expect_eq(seen.calls, 0);
  cr_expect_eq(r.removed, 0);
}

Test(spool, prune_refused_by_the_recorder_removes_nothing) {
  char dir[512], sha[GW_SHA256_HEX_SIZE], err[512] = "";
  struct seen_candidates seen = {.refuse = 1};
  struct gw_spool_prune_result r;
  text_format(dir, sizeof dir, "%s/spool", tmp);
  spool_aged(dir, "old", 10, sha);
  cr_expect_eq(spool_prune(dir, 1, time(NULL), NULL, 0, note_candidates, &seen,
                           &r, err, sizeof err),
               -1);
  cr_expect(exists_in(dir, sha));
  cr_expect_eq(seen.calls, 1);
  cr_expect_neq(err[0], '\0');
}

Test(spool, prune_of_a_missing_spool_is_nothing_to_do) {
  char dir[512], err[512] = "";
  struct gw_spool_prune_result r;
  text_format(dir, sizeof dir, "%s/never-created", tmp);
  cr_expect_eq(
      spool_prune(dir, 1, time(NULL), NULL, 0, NULL, NULL, &r, err, sizeof err),
      0, "%s", err);
  cr_expect_eq(r.scanned, 0);
  cr_expect_eq(access(dir, F_OK), -1, "prune created the spool");
}

/* Using a payload again renews it: writing the same content, or serving a
 * 304 from it (spool_touch). */
Test(spool, reuse_renews_a_payload) {
  char dir[512], sha[GW_SHA256_HEX_SIZE], again[GW_SHA256_HEX_SIZE];
  char path[1024], err[512] = "";
  struct seen_candidates seen = {0};
  struct gw_spool_prune_result r;
  text_format(dir, sizeof dir, "%s/spool", tmp);
  spool_aged(dir, "same body", 50, sha);
  cr_expect_lt(mtime_of(dir, sha), time(NULL) - 49 * DAY);
  spool_string(dir, "same body", 4, again, path, sizeof path);
  cr_expect_geq(mtime_of(dir, sha), time(NULL) - 60, "rewrite did not renew");
  spool_aged(dir, "answered by a 304", 50, sha);
  cr_assert_eq(spool_touch(dir, sha, err, sizeof err), 0, "%s", err);
  cr_expect_geq(mtime_of(dir, sha), time(NULL) - 60, "touch did not renew");
  prune(dir, 30, NULL, 0, &seen, &r);
  cr_expect_eq(r.removed, 0);
  cr_expect(exists_in(dir, sha));
  cr_expect(exists_in(dir, again));
  /* A payload that is gone says so. */
  memset(sha, 'a', 64);
  cr_expect_eq(spool_touch(dir, sha, err, sizeof err), -1);
  cr_expect_eq(errno, ENOENT);
  cr_expect_eq(spool_touch(dir, "../etc/passwd", err, sizeof err), -1);
}

Test(spool, payload_names_are_64_lower_case_hex_digits) {
  cr_expect(spool_is_payload_name(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  cr_expect(!spool_is_payload_name(
      "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
  cr_expect(!spool_is_payload_name(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85"));
  cr_expect(!spool_is_payload_name(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555"));
  cr_expect(!spool_is_payload_name(".lock"));
  cr_expect(!spool_is_payload_name(""));
}
