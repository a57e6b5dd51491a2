/*
 * test_atomic_file.c - publication through a temporary sibling: readers
 * see the old file until commit, abort and every failure leave the old
 * file and no temporary behind, and errors name the path and the step.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "gw_alloc.h"
#include "test_support.h"

static const char *tmpdir;

static void setup(void) {
  tmpdir = ts_mkdtemp();
  cr_assert_not_null(tmpdir);
}

static void teardown(void) {
  if (tmpdir) {
    chmod(tmpdir, 0700);
    ts_rm_rf(tmpdir);
  }
}

TestSuite(atomic_file, .init = setup, .fini = teardown);

static size_t count_entries(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  size_t n = 0;
  cr_assert_not_null(d);
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
      n++;
  }
  closedir(d);
  return n;
}

static void assert_content(const char *path, const char *expected) {
  char *text = ts_read_file(path, NULL);
  cr_assert_not_null(text, "cannot read %s", path);
  cr_assert_str_eq(text, expected);
  free(text);
}

Test(atomic_file, commit_replaces_only_at_commit) {
  const char *path = ts_path(tmpdir, "feed.json");
  struct gw_atomic_file *f = NULL;
  char err[512] = "";

  cr_assert_eq(ts_write_file(path, "old"), 0);
  cr_assert_eq(atomic_file_open(path, &f, err, sizeof err), 0, "%s", err);
  cr_assert_not_null(atomic_file_stream(f));
  cr_assert_eq(count_entries(tmpdir), 2, "temporary sibling expected");
  cr_assert_gt(fputs("new content", atomic_file_stream(f)), -1);
  cr_assert_eq(fflush(atomic_file_stream(f)), 0);
  assert_content(path, "old"); /* readers still see the old version */
  cr_assert_eq(atomic_file_commit(f, err, sizeof err), 0, "%s", err);
  assert_content(path, "new content");
  cr_assert_eq(count_entries(tmpdir), 1, "temporary file left behind");
}

Test(atomic_file, commit_creates_new_file) {
  const char *path = ts_path(tmpdir, "fresh.csv");
  struct gw_atomic_file *f = NULL;
  char err[512] = "";
  struct stat st;
  mode_t mask = umask(022);

  cr_assert_eq(atomic_file_open(path, &f, err, sizeof err), 0, "%s", err);
  fputs("a;b\r\n", atomic_file_stream(f));
  cr_assert_eq(atomic_file_commit(f, err, sizeof err), 0, "%s", err);
  umask(mask);
  assert_content(path, "a;b\r\n");
  cr_assert_eq(stat(path, &st), 0);
  /* a feed is for others to read: not mkstemp's 0600 */
  cr_assert_eq(st.st_mode & 0777, 0644, "mode %o", st.st_mode & 0777);
}

Test(atomic_file, replacement_keeps_permissions) {
  const char *path = ts_path(tmpdir, "feed.xml");
  struct gw_atomic_file *f = NULL;
  char err[512] = "";
  struct stat st;

  cr_assert_eq(ts_write_file(path, "old"), 0);
  cr_assert_eq(chmod(path, 0640), 0);
  cr_assert_eq(atomic_file_open(path, &f, err, sizeof err), 0, "%s", err);
  fputs("new", atomic_file_stream(f));
  cr_assert_eq(atomic_file_commit(f, err, sizeof err), 0, "%s", err);
  cr_assert_eq(stat(path, &st), 0);
  cr_assert_eq(st.st_mode & 0777, 0640, "mode %o", st.st_mode & 0777);
}

Test(atomic_file, abort_keeps_old_file_and_removes_temp) {
  const char *path = ts_path(tmpdir, "feed.json");
  struct gw_atomic_file *f = NULL;
  char err[512] = "";

  cr_assert_eq(ts_write_file(path, "old"), 0);
  cr_assert_eq(atomic_file_open(path, &f, err, sizeof err), 0, "%s", err);
  fputs("half a feed", atomic_file_stream(f));
  atomic_file_abort(f);
  assert_content(path, "old");
  cr_assert_eq(count_entries(tmpdir), 1, "temporary file left behind");
  atomic_file_abort(NULL); /* harmless */
}

Test(atomic_file, relative_path_in_current_directory) {
  struct gw_atomic_file *f = NULL;
  char err[512] = "";
  char cwd[4096];

  cr_assert_not_null(getcwd(cwd, sizeof cwd));
  cr_assert_eq(chdir(tmpdir), 0);
  cr_assert_eq(atomic_file_open("plain.txt", &f, err, sizeof err), 0, "%s",
               err);
  fputs("x", atomic_file_stream(f));
  cr_assert_eq(atomic_file_commit(f, err, sizeof err), 0, "%s", err);
  cr_assert_eq(chdir(cwd), 0);
  assert_content(ts_path(tmpdir, "plain.txt"), "x");
}

/* Root ignores directory permissions, so the unwritable-directory case is
 * simulated as root by a "directory" that is a regular file (ENOTDIR);
 * as another user a real read-only directory is used as well. */
Test(atomic_file, unwritable_directory_is_an_error) {
  const char *blocker = ts_path(tmpdir, "not-a-dir");
  const char *inside = ts_path(blocker, "feed.json");
  struct gw_atomic_file *f = NULL;
  char err[512] = "";

  cr_assert_eq(ts_write_file(blocker, "file"), 0);
  cr_assert_neq(atomic_file_open(inside, &f, err, sizeof err), 0);
  cr_assert_null(f);
  cr_assert_not_null(strstr(err, inside), "error does not name the file: %s",
                     err);
  cr_assert_not_null(strstr(err, "cannot create temporary file"), "%s", err);

  if (geteuid() != 0) {
    const char *ro = ts_path(tmpdir, "ro");
    const char *target = ts_path(ro, "feed.json");
    cr_assert_eq(mkdir(ro, 0755), 0);
    cr_assert_eq(ts_write_file(target, "old"), 0);
    cr_assert_eq(chmod(ro, 0555), 0);
    cr_assert_neq(atomic_file_open(target, &f, err, sizeof err), 0);
    cr_assert_not_null(strstr(err, "Permission denied"), "%s", err);
    cr_assert_eq(chmod(ro, 0755), 0);
    assert_content(target, "old");
    cr_assert_eq(count_entries(ro), 1);
  }
}

/* The rename is the failing step: the target is a directory. The data was
 * written in full, yet nothing is published and no temporary remains. */
Test(atomic_file, failed_rename_removes_temp) {
  const char *target = ts_path(tmpdir, "feed.json");
  struct gw_atomic_file *f = NULL;
  char err[512] = "";

  cr_assert_eq(mkdir(target, 0755), 0);
  cr_assert_eq(ts_write_file(ts_path(target, "keep"), "k"), 0);
  cr_assert_eq(atomic_file_open(target, &f, err, sizeof err), 0, "%s", err);
  fputs("complete feed", atomic_file_stream(f));
  cr_assert_neq(atomic_file_commit(f, err, sizeof err), 0);
  cr_assert_not_null(strstr(err, target), "%s", err);
  cr_assert_not_null(strstr(err, "rename"), "%s", err);
  cr_assert_eq(count_entries(tmpdir), 1, "temporary file left behind");
  assert_content(ts_path(target, "keep"), "k");
}

/* A write error (here: the disk is full) surfaces at commit at the latest,
 * and the old file stays. /dev/full cannot be a sibling, so the stream is
 * swapped for one on /dev/full through dup2 on its descriptor. */
Test(atomic_file, write_error_fails_commit) {
  const char *path = ts_path(tmpdir, "feed.json");
  struct gw_atomic_file *f = NULL;
  char err[512] = "";
  FILE *full = fopen("/dev/full", "wb");
  FILE *stream;

  cr_assert_not_null(full);
  cr_assert_eq(ts_write_file(path, "old"), 0);
  cr_assert_eq(atomic_file_open(path, &f, err, sizeof err), 0, "%s", err);
  stream = atomic_file_stream(f);
  cr_assert_neq(dup2(fileno(full), fileno(stream)), -1);
  fclose(full);
  fputs("this will not fit", stream);
  cr_assert_neq(atomic_file_commit(f, err, sizeof err), 0);
  cr_assert_not_null(strstr(err, "writing"), "%s", err);
  cr_assert_not_null(strstr(err, "No space left"), "%s", err);
  assert_content(path, "old");
  cr_assert_eq(count_entries(tmpdir), 1, "temporary file left behind");
}

Test(atomic_file, bad_paths) {
  struct gw_atomic_file *f = NULL;
  char err[512] = "";
  cr_assert_neq(atomic_file_open("", &f, err, sizeof err), 0);
  cr_assert_neq(atomic_file_open(ts_path(tmpdir, ""), &f, err, sizeof err), 0);
  cr_assert_not_null(strstr(err, "directory"), "%s", err);
  cr_assert_null(f);
  cr_assert_neq(atomic_file_commit(NULL, err, sizeof err), 0);
}

/* Every allocation of atomic_file_open can fail without leaving a file. */
Test(atomic_file, allocation_failures_leave_nothing) {
  const char *path = ts_path(tmpdir, "feed.json");
  char err[512] = "";
  int failures = 0;
  for (unsigned long nth = 1; nth <= 10; nth++) {
    struct gw_atomic_file *f = NULL;
    gw_alloc_fail_at(nth);
    int rc = atomic_file_open(path, &f, err, sizeof err);
    gw_alloc_fail_at(0);
    if (rc != 0) {
      failures++;
      cr_assert_null(f);
      cr_assert_not_null(strstr(err, "out of memory"), "%s", err);
    } else {
      atomic_file_abort(f);
    }
    cr_assert_eq(count_entries(tmpdir), 0, "file left after failure %lu", nth);
  }
  cr_assert_geq(failures, 3, "expected at least 3 allocations to fail");
}
