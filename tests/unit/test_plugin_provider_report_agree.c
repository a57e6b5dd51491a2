/*
 * provider_report: the C validator (json_validate.c) and python3-jsonschema
 * on schemas/provider-report.schema.json must agree on every JSON fixture:
 * the reports of tests/fixtures/provider and the one-reason variations in
 * tests/fixtures/provider/schema-cases (ok-*.json valid, bad-*.json not).
 * Every path python3-jsonschema names must be named by the C validator too
 * (the C one may be more precise: $.figures[4].client for Python's
 * $.figures[4]).
 */
#include <criterion/criterion.h>

#include "provider_report.h"
#include "test_support.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINES 64

struct python_verdict {
  int status; /* 0 valid, 1 invalid, other: could not run */
  char paths[MAX_LINES][256];
  size_t path_count;
};

static void run_python(const char *file, struct python_verdict *out) {
  char command[16384], line[2048];
  FILE *pipe;
  int status;

  memset(out, 0, sizeof *out);
  cr_assert_lt(snprintf(command, sizeof command,
                        "/usr/bin/python3 '%s/tests/tools/validate_json.py' "
                        "'%s/schemas/provider-report.schema.json' '%s' 2>&1",
                        ts_source_dir(), ts_source_dir(), file),
               (int)sizeof command);
  pipe = popen(command, "r");
  cr_assert_not_null(pipe);
  while (fgets(line, sizeof line, pipe)) {
    /* "<file>: $.path: message" */
    char *path = strstr(line, ": $");
    char *end;
    if (!path || out->path_count >= MAX_LINES)
      continue;
    path += 2;
    end = strstr(path, ": ");
    if (end)
      *end = '\0';
    snprintf(out->paths[out->path_count++], sizeof out->paths[0], "%s", path);
  }
  status = pclose(pipe);
  out->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* "$.figures[4]" is named by "$.figures[4]: ..." or "$.figures[4].x: ..." */
static int c_names_path(const struct pr_violations *v, const char *path) {
  size_t i, n = strlen(path);
  for (i = 0; i < v->kept; i++) {
    const char *text = v->items[i].text;
    if (strncmp(text, path, n) == 0 &&
        (text[n] == ':' || text[n] == '.' || text[n] == '['))
      return 1;
  }
  return 0;
}

static size_t check_file(const char *path, const char *name) {
  struct python_verdict python;
  struct pr_violations v;
  json_error_t error;
  json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &error);
  size_t i;

  cr_assert_not_null(doc, "%s: %s", path, error.text);
  pr_violations_init(&v, 1000);
  pr_json_validate(doc, &v);
  run_python(path, &python);
  cr_assert(python.status == 0 || python.status == 1,
            "%s: validate_json.py could not run (exit %d)", name,
            python.status);
  cr_expect_eq(v.total > 0, python.status == 1,
               "%s: C says %zu violations, python3-jsonschema exit %d", name,
               v.total, python.status);
  if (strncmp(name, "ok-", 3) == 0)
    cr_expect_eq(v.total, 0, "%s must be valid: %s", name,
                 v.kept ? v.items[0].text : "");
  if (strncmp(name, "bad-", 4) == 0)
    cr_expect_gt(v.total, 0, "%s must be invalid", name);
  for (i = 0; i < python.path_count; i++)
    cr_expect(c_names_path(&v, python.paths[i]),
              "%s: python3-jsonschema names %s, the C validator does not", name,
              python.paths[i]);
  pr_violations_free(&v);
  json_decref(doc);
  return 1;
}

static size_t check_dir(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *entry;
  size_t checked = 0;
  char path[4096];

  cr_assert_not_null(d, "%s", dir);
  while ((entry = readdir(d)) != NULL) {
    size_t n = strlen(entry->d_name);
    if (n < 6 || strcmp(entry->d_name + n - 5, ".json") != 0)
      continue;
    snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
    checked += check_file(path, entry->d_name);
  }
  closedir(d);
  return checked;
}

Test(provider_report_agree, c_validator_agrees_with_python_jsonschema,
     .timeout = 240) {
  char dir[4096];
  size_t reports, cases;
  snprintf(dir, sizeof dir, "%s/tests/fixtures/provider", ts_source_dir());
  reports = check_dir(dir);
  snprintf(dir, sizeof dir, "%s/tests/fixtures/provider/schema-cases",
           ts_source_dir());
  cases = check_dir(dir);
  cr_expect_geq(reports, 6, "the report fixtures were found");
  cr_expect_geq(cases, 60, "the schema cases were found");
}
