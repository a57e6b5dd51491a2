/*
 * test_export_provenance.c - exports with provenance through a real store
 * holding two revisions of a figure: valid_from of the current revision,
 * valid_to only in as-of feeds (null while current), span_id and payload
 * digest of the revision's own fetch, all three formats valid against
 * their schemas; without the flag the feeds are byte for byte what the
 * gateway wrote before provenance existed (the golden texts below were
 * produced by that version); the revision history read back in order;
 * and clear failures for a missing or foreign database.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "export.h"
#include "provenance.h"
#include "store.h"
#include "test_support.h"
#include "text.h"

#define SHA_1 "1111111111111111111111111111111111111111111111111111111111111111"
#define SHA_2 "2222222222222222222222222222222222222222222222222222222222222222"
#define SPAN_1 "aaaaaaaaaaaaaaa1"
#define SPAN_2 "bbbbbbbbbbbbbbb2"
#define RUN_1 "11111111111111111111111111111111"
#define RUN_2 "22222222222222222222222222222222"
#define T1 "2024-03-01T10:00:00.000Z"
#define T2 "2024-04-01T10:00:00.000Z"
#define BETWEEN "2024-03-15T00:00:00Z"
#define GENERATED "2024-05-01T08:00:00Z"

static const char *tmpdir;
static struct gw_store *store;
static char db_path[1024];

/* ---- the store: run 1 at T1, run 2 at T2 revises only the first row --- */

enum { ROW_REVISED, ROW_MISSING, ROW_AGE, ROW_COUNT };

static void make_rows(struct gw_observation rows[ROW_COUNT], int run) {
  memset(rows, 0, ROW_COUNT * sizeof rows[0]);
  for (int i = 0; i < ROW_COUNT; i++) {
    struct gw_observation *o = &rows[i];
    o->component = GW_COMPONENT_VALUE;
    o->area_level = GW_AREA_MUNICIPALITY;
    text_copy(o->area, sizeof o->area, "GM0384");
    text_copy(o->period, sizeof o->period, "2020");
    text_copy(o->breakdown, sizeof o->breakdown, "{}");
    text_copy(o->unit, sizeof o->unit, "per_10000");
    text_copy(o->source_id, sizeof o->source_id, "sociaal-domein");
    text_copy(o->plugin, sizeof o->plugin, "cbs_odata");
    text_copy(o->dataset, sizeof o->dataset, "90001NED");
    text_copy(o->source_code, sizeof o->source_code, "Bijstandsuitkeringen_6");
    text_copy(o->fetched_at, sizeof o->fetched_at,
              run == 1 ? "2024-03-01T09:59:00.000Z"
                       : "2024-04-01T09:59:00.000Z");
    text_copy(o->payload_sha256, sizeof o->payload_sha256,
              run == 1 ? SHA_1 : SHA_2);
    text_copy(o->span_id, sizeof o->span_id, run == 1 ? SPAN_1 : SPAN_2);
    o->status = GW_STATUS_FINAL;
  }
  text_copy(rows[ROW_REVISED].indicator, sizeof rows[0].indicator,
            "bijstand_per_10k");
  rows[ROW_REVISED].has_value = 1;
  rows[ROW_REVISED].value = run == 1 ? 410 : 412.5;

  text_copy(rows[ROW_MISSING].indicator, sizeof rows[0].indicator,
            "wmo_clienten");
  text_copy(rows[ROW_MISSING].unit, sizeof rows[0].unit, "count");
  rows[ROW_MISSING].status = GW_STATUS_MISSING;

  text_copy(rows[ROW_AGE].indicator, sizeof rows[0].indicator,
            "ervaren_gezondheid");
  text_copy(rows[ROW_AGE].unit, sizeof rows[0].unit, "percent");
  text_copy(rows[ROW_AGE].breakdown, sizeof rows[0].breakdown,
            "{\"age\":\"18 jaar of ouder\"}");
  rows[ROW_AGE].has_value = 1;
  rows[ROW_AGE].value = 74.2;
}

static void commit_run(int run, const char *run_id, const char *when) {
  struct gw_observation rows[ROW_COUNT];
  struct gw_store_run *r = NULL;
  struct gw_run_counts counts;
  char err[GW_ERR_MAX];
  make_rows(rows, run);
  cr_assert_eq(
      store_run_begin(store, "sociaal-domein", run_id, &r, err, sizeof err), 0,
      "%s", err);
  for (int i = 0; i < ROW_COUNT; i++)
    cr_assert_eq(store_run_stage(r, &rows[i], err, sizeof err), 0, "%s", err);
  cr_assert_eq(store_run_commit(r, when, &counts, err, sizeof err), 0, "%s",
               err);
  cr_assert_eq(counts.revised, run == 1 ? 0 : 1);
}

static void setup(void) {
  char err[GW_ERR_MAX];
  tmpdir = ts_mkdtemp();
  cr_assert_not_null(tmpdir);
  text_copy(db_path, sizeof db_path, ts_path(tmpdir, "gateway.db"));
  cr_assert_eq(store_open(db_path, &store, err, sizeof err), 0, "%s", err);
  commit_run(1, RUN_1, T1);
  commit_run(2, RUN_2, T2);
}

static void teardown(void) {
  store_close(store);
  store = NULL;
  if (tmpdir)
    ts_rm_rf(tmpdir);
}

TestSuite(export_provenance, .init = setup, .fini = teardown);

/* ---- helpers ------------------------------------------------------------ */

static void options(struct gw_export_options *opt, gw_export_format format,
                    int with_provenance, const char *as_of) {
  export_default_options(opt);
  opt->format = format;
  opt->feed_name = "indicators";
  opt->generated_at = GENERATED;
  opt->gateway_version = "0.1.0";
  opt->with_provenance = with_provenance;
  opt->provenance_db = with_provenance ? db_path : NULL;
  opt->as_of = as_of;
}

static char *export_text(const struct gw_export_options *opt,
                         const char *name) {
  struct gw_query q = {.as_of = opt->as_of};
  const char *path = ts_path(tmpdir, name);
  char err[GW_ERR_MAX];
  uint64_t count = 0;
  char *text;
  cr_assert_eq(export_to_file(store, &q, opt, path, &count, err, sizeof err), 0,
               "%s", err);
  cr_assert_eq(count, ROW_COUNT);
  text = ts_read_file(path, NULL);
  cr_assert_not_null(text);
  return text;
}

static int run_status(const char *cmd) {
  int status = system(cmd);
  cr_assert(WIFEXITED(status), "%s did not exit normally", cmd);
  return WEXITSTATUS(status);
}

static void assert_json_valid(const char *name) {
  char cmd[4096];
  text_format(cmd, sizeof cmd,
              "/usr/bin/python3 '%s/tests/tools/validate_json.py' "
              "'%s/schemas/observation.schema.json' '%s' >&2",
              ts_source_dir(), ts_source_dir(), ts_path(tmpdir, name));
  cr_assert_eq(run_status(cmd), 0, "%s does not match the schema", name);
}

static void assert_xml_valid(const char *name) {
  const char *xsd = ts_path(ts_source_dir(), "schemas/feed.xsd");
  xmlSchemaParserCtxtPtr pctx = xmlSchemaNewParserCtxt(xsd);
  xmlSchemaPtr schema = xmlSchemaParse(pctx);
  xmlSchemaValidCtxtPtr vctx = xmlSchemaNewValidCtxt(schema);
  xmlDocPtr doc = xmlReadFile(ts_path(tmpdir, name), NULL, XML_PARSE_NONET);
  cr_assert_not_null(doc, "%s is not well-formed", name);
  cr_assert_eq(xmlSchemaValidateDoc(vctx, doc), 0, "%s does not match xsd",
               name);
  xmlFreeDoc(doc);
  xmlSchemaFreeValidCtxt(vctx);
  xmlSchemaFree(schema);
  xmlSchemaFreeParserCtxt(pctx);
}

static json_t *source_of(json_t *doc, const char *indicator) {
  json_t *list = json_object_get(doc, "observations"), *o;
  size_t i;
  json_array_foreach(list, i, o) {
    if (strcmp(json_string_value(json_object_get(o, "indicator")), indicator) ==
        0)
      return json_object_get(o, "source");
  }
  cr_assert_fail("no observation of %s", indicator);
  return NULL;
}

static long revision_of(json_t *doc, const char *indicator) {
  json_t *list = json_object_get(doc, "observations"), *o;
  size_t i;
  json_array_foreach(list, i, o) {
    if (strcmp(json_string_value(json_object_get(o, "indicator")), indicator) ==
        0)
      return (long)json_integer_value(json_object_get(o, "revision"));
  }
  return -1;
}

static const char *member(json_t *obj, const char *key) {
  json_t *v = json_object_get(obj, key);
  cr_assert(json_is_string(v), "%s is not a string", key);
  return json_string_value(v);
}

/* ---- JSON ---------------------------------------------------------------- */

Test(export_provenance, json_current_feed) {
  struct gw_export_options opt;
  json_error_t jerr;
  json_t *doc, *src;
  char *text;

  options(&opt, GW_FORMAT_JSON, 1, NULL);
  text = export_text(&opt, "current.json");
  assert_json_valid("current.json");
  doc = json_loads(text, 0, &jerr);
  cr_assert_not_null(doc, "%s", jerr.text);

  cr_assert_eq(revision_of(doc, "bijstand_per_10k"), 2);
  src = source_of(doc, "bijstand_per_10k");
  cr_assert_str_eq(member(src, "span_id"), SPAN_2);
  cr_assert_str_eq(member(src, "payload_sha256"), SHA_2);
  cr_assert_str_eq(member(src, "valid_from"), T2);
  cr_assert_null(json_object_get(src, "valid_to"), "valid_to only as-of");

  cr_assert_eq(revision_of(doc, "wmo_clienten"), 1);
  src = source_of(doc, "wmo_clienten");
  cr_assert_str_eq(member(src, "valid_from"), T1, "unchanged: still run 1");
  cr_assert_str_eq(member(src, "span_id"), SPAN_1);
  json_decref(doc);
  free(text);
}

Test(export_provenance, json_as_of_feed_has_valid_to) {
  struct gw_export_options opt;
  json_error_t jerr;
  json_t *doc, *src;
  char *text;

  options(&opt, GW_FORMAT_JSON, 1, BETWEEN);
  text = export_text(&opt, "asof.json");
  assert_json_valid("asof.json");
  doc = json_loads(text, 0, &jerr);
  cr_assert_not_null(doc, "%s", jerr.text);
  cr_assert_eq(revision_of(doc, "bijstand_per_10k"), 1);
  src = source_of(doc, "bijstand_per_10k");
  cr_assert_str_eq(member(src, "valid_from"), T1);
  cr_assert_str_eq(member(src, "valid_to"), T2);
  cr_assert_str_eq(member(src, "span_id"), SPAN_1);
  cr_assert_str_eq(member(src, "payload_sha256"), SHA_1);
  src = source_of(doc, "ervaren_gezondheid");
  cr_assert(json_is_null(json_object_get(src, "valid_to")),
            "still current: null");
  json_decref(doc);
  free(text);
}

/* ---- XML and CSV -------------------------------------------------------- */

Test(export_provenance, xml_attributes) {
  struct gw_export_options opt;
  char *text;

  options(&opt, GW_FORMAT_XML, 1, BETWEEN);
  text = export_text(&opt, "asof.xml");
  assert_xml_valid("asof.xml");
  cr_assert_not_null(strstr(text, "span_id=\"" SPAN_1 "\" valid_from=\"" T1
                                  "\" valid_to=\"" T2 "\"/>"),
                     "%s", text);
  /* current in the as-of moment: no valid_to attribute */
  cr_assert_not_null(
      strstr(text, "span_id=\"" SPAN_1 "\" valid_from=\"" T1 "\"/>"), "%s",
      text);
  free(text);

  options(&opt, GW_FORMAT_XML, 1, NULL);
  text = export_text(&opt, "current.xml");
  assert_xml_valid("current.xml");
  cr_assert_not_null(
      strstr(text, "span_id=\"" SPAN_2 "\" valid_from=\"" T2 "\"/>"), "%s",
      text);
  cr_assert_null(strstr(text, "valid_to"), "%s", text);
  free(text);
}

/* Cells of the line that starts with prefix, split at ';'. */
static size_t csv_cells(const char *text, const char *prefix,
                        char cells[24][128]) {
  const char *line = strstr(text, prefix), *end;
  size_t n = 0, len = 0;
  cr_assert_not_null(line, "no line starting %s", prefix);
  end = strstr(line, "\r\n");
  cr_assert_not_null(end);
  for (const char *p = line; p <= end && n < 24; p++) {
    if (p == end || *p == ';') {
      cells[n][len] = '\0';
      n++;
      len = 0;
    } else if (len + 1 < 128) {
      cells[n][len++] = *p;
    }
  }
  return n;
}

Test(export_provenance, csv_columns) {
  struct gw_export_options opt;
  char cells[24][128];
  char *text;

  options(&opt, GW_FORMAT_CSV, 1, BETWEEN);
  text = export_text(&opt, "asof.csv");
  cr_assert_eq(csv_cells(text, "indicator;", cells), 20);
  cr_assert_str_eq(cells[17], "span_id");
  cr_assert_str_eq(cells[18], "valid_from");
  cr_assert_str_eq(cells[19], "valid_to");
  cr_assert_eq(csv_cells(text, "bijstand_per_10k;", cells), 20);
  cr_assert_str_eq(cells[10], "1");
  cr_assert_str_eq(cells[17], SPAN_1);
  cr_assert_str_eq(cells[18], T1);
  cr_assert_str_eq(cells[19], T2);
  cr_assert_eq(csv_cells(text, "wmo_clienten;", cells), 20);
  cr_assert_str_eq(cells[19], "", "current: empty valid_to");
  free(text);
}

/* ---- without the flag: what the gateway wrote before ---------------------
 * tests/fixtures/provenance/golden.* were written by the export code as it
 * was before provenance (commit 830b05f) from exactly this store and these
 * options. */

Test(export_provenance, without_the_flag_nothing_changes) {
  static const struct {
    gw_export_format format;
    const char *name, *golden_file;
  } cases[] = {
      {GW_FORMAT_JSON, "plain.json", "tests/fixtures/provenance/golden.json"},
      {GW_FORMAT_XML, "plain.xml", "tests/fixtures/provenance/golden.xml"},
      {GW_FORMAT_CSV, "plain.csv", "tests/fixtures/provenance/golden.csv"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct gw_export_options opt;
    char *plain, *with_db, *golden;
    options(&opt, cases[i].format, 0, NULL);
    plain = export_text(&opt, cases[i].name);
    /* a database given without the flag changes nothing either */
    opt.provenance_db = db_path;
    with_db = export_text(&opt, "with_db.out");
    cr_assert_str_eq(with_db, plain);
    golden = ts_read_file(ts_path(ts_source_dir(), cases[i].golden_file), NULL);
    cr_assert_not_null(golden);
    cr_assert_str_eq(plain, golden, "%s differs from before provenance",
                     cases[i].name);
    free(golden);
    free(plain);
    free(with_db);
  }
}

/* ---- the history ----------------------------------------------------------
 */

struct collected {
  struct gw_revision revs[8];
  size_t n;
};

static int collect(const struct gw_revision *rev, void *user) {
  struct collected *c = user;
  if (c->n < 8)
    c->revs[c->n++] = *rev;
  return 0;
}

Test(export_provenance, history_in_revision_order) {
  struct gw_provenance *p = NULL;
  struct collected c = {.n = 0};
  struct gw_figure_key key = {"bijstand_per_10k", "GM0384", "2020", "{}",
                              "sociaal-domein"};
  char err[GW_ERR_MAX];
  size_t count = 0;

  cr_assert_eq(provenance_open(db_path, &p, err, sizeof err), 0, "%s", err);
  cr_assert_eq(
      provenance_history(p, &key, collect, &c, &count, err, sizeof err), 0,
      "%s", err);
  cr_assert_eq(count, 2);
  cr_assert_eq(c.revs[0].obs.revision, 1);
  cr_assert_eq(c.revs[0].obs.value, 410);
  cr_assert_str_eq(c.revs[0].obs.span_id, SPAN_1);
  cr_assert_str_eq(c.revs[0].validity.valid_from, T1);
  cr_assert_str_eq(c.revs[0].validity.valid_to, T2);
  cr_assert_str_eq(c.revs[0].validity.run_id, RUN_1);
  cr_assert_eq(c.revs[1].obs.revision, 2);
  cr_assert_eq(c.revs[1].obs.value, 412.5);
  cr_assert_str_eq(c.revs[1].validity.valid_from, T2);
  cr_assert_str_eq(c.revs[1].validity.valid_to, "");
  cr_assert_str_eq(c.revs[1].validity.run_id, RUN_2);
  cr_assert_str_eq(c.revs[1].obs.payload_sha256, SHA_2);

  /* any breakdown and source */
  c.n = 0;
  key = (struct gw_figure_key){"ervaren_gezondheid", "GM0384", "2020", NULL,
                               NULL};
  cr_assert_eq(
      provenance_history(p, &key, collect, &c, &count, err, sizeof err), 0,
      "%s", err);
  cr_assert_eq(count, 1);
  cr_assert_str_eq(c.revs[0].obs.breakdown, "{\"age\":\"18 jaar of ouder\"}");

  /* nothing */
  key =
      (struct gw_figure_key){"bijstand_per_10k", "GM0384", "2021", NULL, NULL};
  cr_assert_eq(
      provenance_history(p, &key, collect, &c, &count, err, sizeof err), 0);
  cr_assert_eq(count, 0);
  provenance_close(p);
}

Test(export_provenance, validity_lookup) {
  struct gw_provenance *p = NULL;
  struct gw_observation rows[ROW_COUNT];
  struct gw_validity v;
  char err[GW_ERR_MAX];

  make_rows(rows, 1);
  cr_assert_eq(provenance_open(db_path, &p, err, sizeof err), 0, "%s", err);
  rows[ROW_REVISED].revision = 1;
  cr_assert_eq(provenance_validity(p, &rows[ROW_REVISED], &v, err, sizeof err),
               0, "%s", err);
  cr_assert_str_eq(v.valid_from, T1);
  cr_assert_str_eq(v.valid_to, T2);
  rows[ROW_REVISED].revision = 3;
  cr_assert_eq(provenance_validity(p, &rows[ROW_REVISED], &v, err, sizeof err),
               1, "no third revision");
  provenance_close(p);
}

Test(export_provenance, missing_or_foreign_database) {
  struct gw_provenance *p = NULL;
  struct gw_export_options opt;
  struct gw_query q = {0};
  char err[GW_ERR_MAX];
  const char *missing = ts_path(tmpdir, "missing.db");
  const char *foreign = ts_path(tmpdir, "foreign.db");
  FILE *out;

  cr_assert_eq(provenance_open(missing, &p, err, sizeof err), -1);
  cr_assert_null(p);
  cr_assert_not_null(strstr(err, missing), "%s", err);

  cr_assert_eq(ts_write_file(foreign, ""), 0);
  cr_assert_eq(provenance_open(foreign, &p, err, sizeof err), -1);
  cr_assert_not_null(strstr(err, "no observation history"), "%s", err);

  /* an export that cannot read the history fails and says why */
  options(&opt, GW_FORMAT_JSON, 1, NULL);
  opt.provenance_db = missing;
  out = fopen(ts_path(tmpdir, "fail.json"), "wb");
  cr_assert_not_null(out);
  cr_assert_eq(export_write(store, &q, &opt, out, NULL, err, sizeof err), -1);
  cr_assert_not_null(strstr(err, "read-only"), "%s", err);
  fclose(out);
}
