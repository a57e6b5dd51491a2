/*
 * export_internal.h - what the three feed writers share (export_common.c):
 * the per-thread failure reason, number formatting, row checks, breakdown
 * walking. Not part of the public export contract.
 */
#ifndef GW_EXPORT_INTERNAL_H
#define GW_EXPORT_INTERNAL_H
#include <stddef.h>
#include "export.h"

/* Enough for "%.17g" of any double, sign and exponent included. */
#define EXPORT_NUMBER_MAX 32
#define EXPORT_DEFAULT_FEED_NAME "indicators"

/* Records why a writer call failed (read back with export_last_error()). */
void export_set_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
void export_clear_error(void);

/* Shortest text that reads back as exactly v ("%.15g", else "%.17g"), with
 * a decimal point whatever the locale. -1 for NaN and infinities. */
int export_number_text(double v, char *buf, size_t size);

/* The feed metadata with defaults applied: NULL generated_at becomes the
 * current UTC time, NULL names the built-in ones. Valid while opt and
 * *storage live. */
struct export_feed_meta {
  const char *name;
  const char *generated_at;
  const char *as_of; /* NULL: current state */
  const char *gateway_version;
  char generated_storage[40];
};
int export_feed_meta(const struct gw_export_options *opt,
                     struct export_feed_meta *meta);

/* Checks a row before any of it is written, so a refused row never leaves
 * half an observation in the feed: fields NUL-terminated and valid UTF-8,
 * known status and area level, finite numbers, a positive revision, a
 * breakdown that is a JSON object of strings, and no figure on a row whose
 * status says there is none (a suppressed cell is never published).
 * 0, or -1 with the reason recorded. */
int export_check_observation(const struct gw_observation *obs);

/* Calls cb for each dimension/member pair of a breakdown ("" counts as {}).
 * The strings are valid only during the call. A non-zero cb result stops
 * and is returned; -1 with the reason recorded on a malformed breakdown. */
typedef int (*export_member_cb)(const char *dimension, const char *member,
                                void *user);
int export_breakdown_each(const char *breakdown, export_member_cb cb,
                          void *user);

/* 1 when the feed carries valid_from/valid_to (with_provenance and a
 * provenance_db): the CSV header depends on it. */
int export_with_validity(const struct gw_export_options *opt);

/* Checks a revision's validity before any of the row is written: a
 * valid_from and an optional valid_to that are RFC 3339 UTC time stamps.
 * 0, or -1 with the reason recorded. */
int export_check_validity(const struct gw_observation *obs,
                          const struct gw_validity *validity);

/* 1 when s is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF). */
int export_utf8_valid(const char *s);

#endif
