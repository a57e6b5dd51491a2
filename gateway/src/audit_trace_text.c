/*
 * audit_trace_text.c - the trace document (audit_trace.h) as text for a
 * person: per figure, per revision the value and its validity, then the
 * fetch, the run's records, the exports and the problems, one indented
 * block each. Every string from the log or store is printed with control
 * characters replaced, so a crafted record cannot drive the terminal.
 */
#include "audit_trace.h"
#include "export_internal.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

static void put_safe(FILE *out, const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p < 0x20 || *p == 0x7F)
      fputc(' ', out);
    else if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) {
      fputc(' ', out); /* a C1 control in UTF-8 */
      p++;
    } else
      fputc(*p, out);
  }
}

/* A member as text: strings safe, numbers and literals as JSON, absent
 * and null as "-". */
static void put_value(FILE *out, const json_t *obj, const char *key) {
  const json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v)) {
    fputc('-', out);
  } else if (json_is_string(v)) {
    put_safe(out, json_string_value(v));
  } else if (json_is_real(v)) {
    char text[EXPORT_NUMBER_MAX]; /* spelled as in the feeds */
    if (export_number_text(json_real_value(v), text, sizeof text) != 0)
      text_copy(text, sizeof text, "?");
    fputs(text, out);
  } else {
    char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    put_safe(out, text ? text : "?");
    free(text);
  }
}

static void put_labelled(FILE *out, const json_t *obj, const char *label,
                         const char *key) {
  if (!json_object_get(obj, key) || json_is_null(json_object_get(obj, key)))
    return;
  fputs(label, out);
  put_value(out, obj, key);
}

/* "seq N at TIME (segment line L)" of an entry {segment, line, record}
 * or an export summary (which has all four at the top). */
static void put_place(FILE *out, const json_t *entry) {
  const json_t *rec = json_object_get(entry, "record");
  if (!rec)
    rec = entry;
  fputs("seq ", out);
  put_value(out, rec, "seq");
  fputs(" at ", out);
  put_value(out, rec, "time");
  fputs(" (", out);
  put_value(out, entry, "segment");
  fputs(" line ", out);
  put_value(out, entry, "line");
  fputc(')', out);
}

static void put_fetch(FILE *out, const json_t *rev) {
  const json_t *entry = json_object_get(rev, "fetch");
  const json_t *fetch = json_object_get(entry, "record");
  const json_t *spool = json_object_get(rev, "spool");
  size_t attempts = json_array_size(json_object_get(rev, "fetch_records"));
  const char *state = json_string_value(json_object_get(spool, "state"));
  fputs("  fetch    ", out);
  if (!fetch) {
    fputs("NOT IN THE LOG (span ", out);
    put_value(out, rev, "span_id");
    fputs(")\n", out);
  } else {
    put_place(out, entry);
    fputs(", span ", out);
    put_value(out, fetch, "span_id");
    if (attempts > 1)
      fprintf(out, ", %zu attempts", attempts);
    fputs("\n           ", out);
    put_value(out, fetch, "url");
    fputs("\n           HTTP ", out);
    put_value(out, fetch, "http_status");
    fputs(", ", out);
    put_value(out, fetch, "tls_version");
    fputs(", ", out);
    put_value(out, fetch, "bytes");
    fputs(" bytes, outcome ", out);
    put_value(out, fetch, "outcome");
    fputs("\n           peer certificate sha256 ", out);
    put_value(out, fetch, "peer_cert_sha256");
    fputs("\n           peer subject ", out);
    put_value(out, fetch, "peer_subject");
    put_labelled(out, fetch, " (OIN ", "peer_oin");
    if (json_object_get(fetch, "peer_oin") &&
        !json_is_null(json_object_get(fetch, "peer_oin")))
      fputc(')', out);
    fputc('\n', out);
  }
  fputs("  payload  sha256 ", out);
  put_value(out, rev, "payload_sha256");
  fputs("\n           spool ", out);
  put_value(out, spool, "path");
  fputs(": ", out);
  if (state && strcmp(state, "verified") == 0)
    fputs("present, digest verified", out);
  else if (state && strcmp(state, "absent") == 0) {
    const json_t *prunes = json_object_get(spool, "prune_records");
    if (json_array_size(prunes) > 0) {
      fputs("removed by spool retention, ", out);
      put_place(out, json_array_get(prunes, json_array_size(prunes) - 1));
    } else {
      fputs("not kept (removed, or never spooled)", out);
    }
  } else if (state && strcmp(state, "damaged") == 0)
    fputs("PRESENT BUT CHANGED (digest differs)", out);
  else
    fputs("not checked", out);
  fputc('\n', out);
}

static void put_run_record(FILE *out, const json_t *entry) {
  const json_t *rec = json_object_get(entry, "record");
  const char *event = json_string_value(json_object_get(rec, "event"));
  fputs("  ", out);
  put_safe(out, event ? event : "?");
  for (size_t n = event ? strlen(event) : 1; n < 9; n++)
    fputc(' ', out);
  put_place(out, entry);
  fputs(": ", out);
  put_value(out, rec, "outcome");
  if (event && strcmp(event, "parse") == 0) {
    put_labelled(out, rec, ", pages=", "pages");
    put_labelled(out, rec, " emitted=", "emitted");
    put_labelled(out, rec, " rejected=", "rejected");
  } else if (event && strcmp(event, "store") == 0) {
    put_labelled(out, rec, ", inserted=", "inserted");
    put_labelled(out, rec, " revised=", "revised");
    put_labelled(out, rec, " unchanged=", "unchanged");
  }
  put_labelled(out, rec, ", error: ", "error");
  fputc('\n', out);
}

static void put_exports(FILE *out, const json_t *rev) {
  const json_t *list = json_object_get(rev, "exports"), *e;
  size_t i;
  fprintf(out, "  exports  %zu while this revision was current\n",
          json_array_size(list));
  json_array_foreach(list, i, e) {
    fputs("           ", out);
    put_place(out, e);
    fputs(": feed ", out);
    put_value(out, e, "feed");
    fputs(" (", out);
    put_value(out, e, "format");
    fputs(") -> ", out);
    put_value(out, e, "destination");
    fputs(", sha256 ", out);
    put_value(out, e, "payload_sha256");
    fputs(", ", out);
    put_value(out, e, "count");
    fputs(" observations\n", out);
  }
}

static void put_revision(FILE *out, const json_t *rev) {
  const json_t *runs = json_object_get(rev, "run_records"), *r;
  const json_t *problems = json_object_get(rev, "problems"), *p;
  size_t i;
  fputs("\nrevision ", out);
  put_value(out, rev, "revision");
  fputs(": ", out);
  put_value(out, rev, "value");
  fputc(' ', out);
  put_value(out, rev, "unit");
  fputs(", ", out);
  put_value(out, rev, "status");
  put_labelled(out, rev, ", 95% interval ", "ci_low");
  put_labelled(out, rev, " .. ", "ci_high");
  fputs("\n  valid    from ", out);
  put_value(out, rev, "valid_from");
  fputs(" until ", out);
  if (json_is_null(json_object_get(rev, "valid_to")))
    fputs("now (current)", out);
  else
    put_value(out, rev, "valid_to");
  fputs("\n  run      ", out);
  put_value(out, rev, "run_id");
  fputs(" (trace_id of the run that stored it)\n", out);
  put_fetch(out, rev);
  if (json_array_size(runs) == 0)
    fputs("  run records: NONE IN THE LOG\n", out);
  json_array_foreach(runs, i, r) put_run_record(out, r);
  put_exports(out, rev);
  if (json_array_size(problems) == 0)
    fputs("  problems none\n", out);
  json_array_foreach(problems, i, p) {
    fputs("  PROBLEM  ", out);
    put_safe(out, json_string_value(p));
    fputc('\n', out);
  }
}

void audit_trace_print(FILE *out, const json_t *doc) {
  const json_t *figures = json_object_get(doc, "figures"), *f, *rev;
  const json_t *lines = json_object_get(doc, "log_lines");
  size_t i, j;
  json_array_foreach(figures, i, f) {
    char *breakdown = json_dumps(json_object_get(f, "breakdown"), JSON_COMPACT);
    const json_t *revs = json_object_get(f, "revisions");
    if (i > 0)
      fputc('\n', out);
    put_value(out, f, "indicator");
    fputc(' ', out);
    put_value(out, f, "area");
    fputc(' ', out);
    put_value(out, f, "period");
    fputs(" breakdown ", out);
    put_safe(out, breakdown ? breakdown : "?");
    free(breakdown);
    fputs(" from source ", out);
    put_value(out, f, "source");
    fputs(" (", out);
    put_value(out, f, "plugin");
    fputc(' ', out);
    put_value(out, f, "dataset");
    fputc(' ', out);
    put_value(out, f, "source_code");
    fprintf(out, "): %zu revision%s\n", json_array_size(revs),
            json_array_size(revs) == 1 ? "" : "s");
    json_array_foreach(revs, j, rev) put_revision(out, rev);
  }
  fputs("\nlog ", out);
  put_value(out, doc, "log");
  fputs(": ", out);
  put_value(out, lines, "read");
  fputs(" lines read", out);
  if (json_integer_value(json_object_get(lines, "torn")) > 0)
    fputs(", a torn last line", out);
  if (json_integer_value(json_object_get(lines, "damaged")) +
          json_integer_value(json_object_get(lines, "too_long")) >
      0)
    fputs(", damaged lines (run `gateway audit verify`)", out);
  fputs(json_is_true(json_object_get(doc, "complete"))
            ? "; the chain is complete\n"
            : "; the chain is INCOMPLETE (see PROBLEM lines)\n",
        out);
}
