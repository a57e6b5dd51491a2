/*
 * provider_report.h - internals of the provider report plugin.
 *
 * A welfare or care provider delivers one report (XML or JSON, same shape:
 * schemas/provider-report.xsd and provider-report.schema.json). The report
 * is all or nothing: it is first checked completely (schema, then the rules
 * a schema cannot express: municipality, future periods, known indicators)
 * and only a report without a single violation is emitted, in a second
 * pass over the payload. A refusal lists every violation with its line
 * (XML) or JSON path.
 */
#ifndef PROVIDER_REPORT_H
#define PROVIDER_REPORT_H

#include <gateway/plugin.h>
#include <stddef.h>
#include <stdint.h>

#define PR_NAMESPACE "urn:nl:gateway:provider-report:1"
#define PR_SCHEMA_FILE "provider-report.xsd"
/* The catalogue maps every provider figure with dataset "*". */
#define PR_DATASET "*"
#define PR_MAX_BREAKDOWN 8

/* ---- violations (violations.c) ----------------------------------------
 * Every problem found while checking a report. The first max_kept are
 * kept with their line (0 for JSON) for the refusal message; all are
 * counted, so memory stays bounded whatever the report holds. */
struct pr_violation {
  unsigned long line; /* XML line, 0 when not known or JSON */
  size_t seq;         /* arrival order, to keep sorting stable */
  char *text;
};

struct pr_violations {
  struct pr_violation *items;
  size_t kept;
  size_t max_kept;
  size_t total;
  int out_of_memory; /* a kept message could not be stored */
};

void pr_violations_init(struct pr_violations *v, size_t max_kept);
void pr_violations_free(struct pr_violations *v);
/* "location: message"; location is "line N" when line > 0. */
void pr_violation_add(struct pr_violations *v, unsigned long line,
                      const char *fmt, ...) GW_PRINTF_LIKE(3, 4);
/* Order the kept violations by line (stable), so they read top to bottom. */
void pr_violations_sort(struct pr_violations *v);

/* ---- the report, one figure at a time --------------------------------- */

struct pr_header {
  char municipality[16];
  char reporting_period[16];
  char delivered[16];
};

struct pr_figure {
  uint64_t number;    /* 1-based position in the report */
  unsigned long line; /* XML line of <figure>, 0 for JSON */
  char where[48];     /* "line 42" or "$.figures[3]" */
  char indicator[16];
  char area[16];
  char period[16];
  int has_value;
  char value_text[64]; /* XML text; JSON values arrive as numbers */
  double value;
  char status[16];
  char unit[16];
  char dimension[PR_MAX_BREAKDOWN][40];
  char member[PR_MAX_BREAKDOWN][272]; /* 64 characters of up to 4 bytes */
  size_t breakdown_count;
};

/* ---- plugin context (context.c) ---------------------------------------- */

struct pr_ctx {
  const struct gw_host_api *host;
  const struct gw_plugin_config *config;
  char *url;
  char *municipality;
  char *schema_path;
  void *schema; /* xmlSchemaPtr, compiled once in init */
  size_t max_errors;
  uint64_t max_bytes;
  /* Tests only: 0 turns off the byte-level DOCTYPE guard so the reader's
   * own node-type check can be shown to hold on its own. */
  int xml_prescan;
  /* Tests only: "YYYY-MM-DD" to use as today; empty means the clock. */
  char today_override[11];
};

extern const struct gw_config_key provider_report_config_keys[];

gw_result provider_report_init(const struct gw_host_api *host,
                               const struct gw_plugin_config *config,
                               void **ctx_out);
gw_result provider_report_run(void *ctx, struct gw_run *run);
void provider_report_destroy(void *ctx);

/* Check and emit one fetched report (what run() does after fetching);
 * exposed so fuzz harnesses can drive it without a fetch. */
gw_result pr_process_payload(struct pr_ctx *ctx, struct gw_run *run,
                             struct gw_payload *payload);

/* ---- the rules a schema cannot express (rules.c) ------------------------ */

struct pr_check {
  struct pr_ctx *ctx;
  struct gw_run *run;
  struct pr_violations *violations;
  int today;           /* yyyymmdd */
  int delivered;       /* yyyymmdd, 0 when not (yet) known */
  int reporting_last;  /* last day of the reporting period, 0 when unknown */
  int municipality_ok; /* the header names the configured municipality */
};

/* First and last day (yyyymmdd) of "2021", "2021-Q1" or "2021-01".
 * 0 on success, -1 when the text is not such a period. */
int pr_period_days(const char *period, int *first, int *last);
/* "2022-02-15" -> 20220215; -1 when not a real calendar date. */
int pr_parse_date(const char *text, int *out);
/* Today's date (UTC) as yyyymmdd, or the test override. */
int pr_today(const struct pr_ctx *ctx);

/* Each check is silent about fields that are not well-formed: the schema
 * reports those, and one mistake should be named once. */
void pr_check_header(struct pr_check *check, const struct pr_header *header,
                     unsigned long line, const char *where_prefix);
void pr_check_figure(struct pr_check *check, const struct pr_figure *figure);

/* ---- emission (emit.c) --------------------------------------------------- */

gw_result pr_emit_figure(struct pr_ctx *ctx, struct gw_run *run,
                         struct gw_payload *payload,
                         const struct pr_figure *figure);

/* ---- XML (xml_guard.c, xml_report.c) ---------------------------------------
 */

/* Byte source for libxml2 that refuses a DOCTYPE or ENTITY declaration (and
 * any NUL byte, i.e. UTF-16/32 input) before the parser sees it, and caps the
 * document size. */
struct pr_xml_input {
  const struct gw_host_api *host;
  struct gw_payload *payload;
  int prescan;
  uint64_t bytes;
  uint64_t max_bytes;
  unsigned long line;
  size_t doctype_matched;
  size_t entity_matched;
  int refused;
  unsigned long refusal_line; /* 0 when not about a place in the text */
  char refusal[256];
};

void pr_xml_input_init(struct pr_xml_input *in, const struct gw_host_api *host,
                       struct gw_payload *payload, uint64_t max_bytes,
                       int prescan);
/* xmlInputReadCallback: bytes read, 0 at the end, -1 on error/refusal. */
int pr_xml_input_read(void *in, char *buf, int len);
int pr_xml_input_close(void *in);

/* Compile the report XSD (schema_path); NULL with a logged error. */
void *pr_xml_schema_load(const struct gw_host_api *host, const char *path);
void pr_xml_schema_free(void *schema);

/* Pass 1 collects violations; with emit set and no violations, pass 2 emits.
 */
gw_result pr_xml_process(struct pr_ctx *ctx, struct gw_run *run,
                         struct gw_payload *payload,
                         struct pr_violations *violations);

/* ---- JSON (json_validate.c, json_report.c) --------------------------------
 */

struct json_t;
/* Check a parsed document against provider-report.schema.json, adding
 * one violation per problem with its JSON path ($.figures[3].value). */
void pr_json_validate(const struct json_t *doc, struct pr_violations *v);

gw_result pr_json_process(struct pr_ctx *ctx, struct gw_run *run,
                          struct gw_payload *payload,
                          struct pr_violations *violations);

#endif
