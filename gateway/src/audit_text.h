/*
 * audit_text.h - one exchange-log record as one aligned line of text for
 * `gateway audit show`: time, seq, event, source, outcome and the detail
 * that matters for the event (the URL and HTTP status of a fetch, the
 * counts of a parse or store, the destination of an export, the error of
 * anything that failed).
 *
 * Everything taken from the record is made safe for a terminal: control
 * characters (escape sequences included) become spaces, so a crafted
 * value can neither break the one-line-per-record layout nor drive the
 * auditor's terminal.
 */
#ifndef GW_AUDIT_TEXT_H
#define GW_AUDIT_TEXT_H
#include <stddef.h>

/* Long enough for any line audit_text_record() writes (the detail is cut
 * with "..." beyond AUDIT_TEXT_DETAIL_MAX bytes). */
#define AUDIT_TEXT_DETAIL_MAX 2048
#define AUDIT_TEXT_LINE_MAX (AUDIT_TEXT_DETAIL_MAX + 1024)

/* The column titles, aligned like the records, with '\n'. */
const char *audit_text_header(void);

/* Formats the raw record text[0, len) into out (with '\n'). 0, or -1 when
 * the line is not a JSON object (out then empty). */
int audit_text_record(const char *text, size_t len, char *out, size_t out_size);

#endif
