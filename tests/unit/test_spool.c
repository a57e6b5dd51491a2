/*
 * test_spool.c - the content-addressed spool: names prove content, the same
 * content is stored once, aborted or failed writes leave nothing behind.
 */
#include <criterion/criterion.h>
#include <dirent.h>
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

static int count_entries(const char *dir, const char *prefix) {
  DIR *d = opendir(dir);
  struct dirent *e;
  int n = 0;
  cr_assert_not_null(d, "cannot open %s", dir);
  while ((e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
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
