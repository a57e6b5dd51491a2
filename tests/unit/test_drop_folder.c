/* file:// sources: only regular files inside the drop folder are read,
 * whatever symlinks or ".." say; an unchanged file is "not modified". */
#include "config.h"
#include "digest.h"
#include "drop_folder.h"
#include "test_support.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char drop[512], spool[512], outside[512];

static void setup_dirs(void) {
  const char *root = ts_mkdtemp();
  snprintf(drop, sizeof drop, "%s/drop", root);
  snprintf(spool, sizeof spool, "%s/spool", root);
  snprintf(outside, sizeof outside, "%s/secret.csv", root);
  cr_assert_eq(mkdir(drop, 0750), 0);
  cr_assert_eq(ts_write_file(ts_path(drop, "data.csv"), "a;b\n1;2\n"), 0);
  cr_assert_eq(ts_write_file(outside, "not;for;you\n"), 0);
}

static const char *file_url(const char *path) {
  static char buf[4200];
  snprintf(buf, sizeof buf, "file://%s", path);
  return buf;
}

Test(drop_folder, reads_a_file_inside_into_the_spool) {
  struct gw_transport_result res;
  char want[GW_SHA256_HEX_SIZE];
  setup_dirs();
  cr_assert_eq(drop_folder_fetch(file_url(ts_path(drop, "data.csv")), drop,
                                 spool, NULL, 1 << 20, &res),
               0, "%s", res.error);
  cr_assert_eq(res.outcome, GW_OK);
  cr_assert_eq(res.bytes, 8);
  sha256_hex("a;b\n1;2\n", 8, want);
  cr_assert_str_eq(res.payload_sha256, want);
  cr_assert(strstr(res.spool_path, want) != NULL);
  cr_assert_eq(access(res.spool_path, R_OK), 0);
  cr_assert_neq(res.etag[0], '\0');
}

Test(drop_folder, unchanged_file_is_not_modified) {
  struct gw_transport_result first, second;
  setup_dirs();
  cr_assert_eq(drop_folder_fetch(file_url(ts_path(drop, "data.csv")), drop,
                                 spool, NULL, 1 << 20, &first),
               0);
  cr_assert_eq(drop_folder_fetch(file_url(ts_path(drop, "data.csv")), drop,
                                 spool, first.etag, 1 << 20, &second),
               0);
  cr_assert_eq(second.not_modified, 1);
  cr_assert_eq(second.bytes, 0);
}

static void assert_refused(const char *url, const char *needle) {
  struct gw_transport_result res;
  cr_assert_eq(drop_folder_fetch(url, drop, spool, NULL, 1 << 20, &res), -1);
  cr_assert_eq(res.outcome, GW_FAIL);
  cr_assert(strstr(res.error, needle) != NULL, "expected '%s' in: %s", needle,
            res.error);
}

Test(drop_folder, refuses_paths_outside_the_folder) {
  char dotdot[1024], link[1024];
  setup_dirs();
  snprintf(dotdot, sizeof dotdot, "%s/../secret.csv", drop);
  assert_refused(file_url(dotdot), "outside the drop folder");
  assert_refused(file_url(outside), "outside the drop folder");
  snprintf(link, sizeof link, "%s/link.csv", drop);
  cr_assert_eq(symlink(outside, link), 0);
  assert_refused(file_url(link), "outside the drop folder");
}

Test(drop_folder, refuses_missing_files_directories_and_oversize) {
  struct gw_transport_result res;
  char sub[1024];
  setup_dirs();
  assert_refused(file_url(ts_path(drop, "nope.csv")), "no such file");
  snprintf(sub, sizeof sub, "%s/sub", drop);
  cr_assert_eq(mkdir(sub, 0750), 0);
  assert_refused(file_url(sub), "not a readable regular file");
  assert_refused("file://relative.csv", "file:///absolute");
  cr_assert_eq(drop_folder_fetch(file_url(ts_path(drop, "data.csv")), drop,
                                 spool, NULL, 4, &res),
               -1);
  cr_assert(strstr(res.error, "exceeds the limit of 4 bytes") != NULL, "%s",
            res.error);
}

static int load_config(const char *source_json, char *err, size_t err_size) {
  const char *dir = ts_mkdtemp();
  char text[2048];
  struct gw_config *cfg = NULL;
  int rc;
  snprintf(text, sizeof text, "{\"data_dir\": \"%s\", \"sources\": [%s]}", dir,
           source_json);
  cr_assert_eq(ts_write_file(ts_path(dir, "gw.json"), text), 0);
  err[0] = '\0';
  rc = config_load(ts_path(dir, "gw.json"), 0, &cfg, err, err_size);
  config_free(cfg);
  return rc;
}

Test(drop_folder, config_allows_file_urls_only_inside_drop_folder) {
  char err[GW_CONFIG_ERR_MAX];
  cr_assert_eq(load_config("{\"id\": \"a\", \"plugin\": \"p\", \"url\": "
                           "\"file:///srv/drop/x.csv\", \"drop_folder\": "
                           "\"/srv/drop\"}",
                           err, sizeof err),
               0, "%s", err);
  cr_assert_eq(load_config("{\"id\": \"a\", \"plugin\": \"p\", \"url\": "
                           "\"file:///srv/drop/x.csv\"}",
                           err, sizeof err),
               -1);
  cr_assert(strstr(err, "drop_folder") != NULL, "%s", err);
  cr_assert_eq(load_config("{\"id\": \"a\", \"plugin\": \"p\", \"url\": "
                           "\"file:///etc/passwd\", \"drop_folder\": "
                           "\"/srv/drop\"}",
                           err, sizeof err),
               -1);
  cr_assert(strstr(err, "inside drop_folder") != NULL, "%s", err);
  cr_assert_eq(load_config("{\"id\": \"a\", \"plugin\": \"p\", \"url\": "
                           "\"file:///srv/drop/../../etc/passwd\", "
                           "\"drop_folder\": \"/srv/drop\"}",
                           err, sizeof err),
               -1);
}
