/*
 * privacy_internal.h - shared by the privacy guard modules (privacy_guard.c,
 * privacy_rules.c, privacy_json.c, privacy_xml.c, privacy_csv.c). Not part
 * of any other module's contract.
 *
 * Each format scanner turns the payload into (field path, field kinds,
 * value) events and asks the rules whether the value is person-level.
 */
#ifndef GW_PRIVACY_INTERNAL_H
#define GW_PRIVACY_INTERNAL_H
#include <stddef.h>
#include "privacy_guard.h"

/* What a field's NAME says it may hold (bits). */
enum {
  PG_BSN_STRONG = 1u << 0, /* bsn, burgerservicenummer, sofi, persoonsnr */
  PG_BSN_CLIENT = 1u << 1, /* client, clientnummer */
  PG_NAME = 1u << 2,       /* voornaam, achternaam, ... */
  PG_BIRTH_DATE = 1u << 3, /* geboortedatum, birthdate, ... */
  PG_PERSON = 1u << 4      /* the field describes a person (client, persoon):
                              inside it "naam" is a person's name */
};
#define PG_VALUE_KINDS (PG_BSN_STRONG | PG_BSN_CLIENT | PG_NAME | PG_BIRTH_DATE)

/* Paths are built in buffers of this size; the finding keeps the first
 * GW_PRIVACY_PATH_MAX - 1 bytes (marked "..." when cut). */
#define PG_PATH_BUF 1024
/* Longest value inspected; longer values are inspected on this prefix. */
#define PG_VALUE_MAX 4096
/* Longest field name used for matching; longer names match on the
 * prefix. */
#define PG_NAME_MAX 256
#define PG_READ_CHUNK 65536

struct pg_scan {
  const char *file; /* for messages */
  const struct gw_privacy_settings *settings;
  struct gw_privacy_finding *finding;
  const char *format;
  char *err;
  size_t err_size;
};

/* Kinds of a field from its name (any bytes; ASCII case and separators
 * are ignored). in_person: the field sits inside a person object. */
unsigned pg_classify(const char *name, size_t len, int in_person);

/* A person-level value for one of kinds? Returns 1 and fills kind_name and
 * material (what gets hashed: the 9 BSN digits, or the trimmed value),
 * else 0. truncated: value is a prefix of a longer value. */
int pg_match_value(unsigned kinds, const char *value, size_t len, int truncated,
                   const char **kind_name, char *material, size_t material_size,
                   size_t *material_len);

/* Fills s->finding from kind, path and the salted hash of material.
 * Returns 1 (a finding), or -1 when hashing failed (err set). */
int pg_record(struct pg_scan *s, const char *kind_name, const char *path,
              const char *material, size_t material_len);

/* Match and record in one go: 1 finding, 0 clean, -1 error. */
int pg_check(struct pg_scan *s, unsigned kinds, const char *value, size_t len,
             int truncated, const char *path);

/* Appends a field name to a path buffer, masking digit runs of 8 or more
 * ("#") and replacing control bytes, so the path never carries a value.
 * Cuts silently at the buffer end (the finding marks cut paths). */
void pg_path_append_name(char *path, size_t size, const char *name, size_t len);
/* Appends plain text (separators, indices). */
void pg_path_append(char *path, size_t size, const char *text);

/* The format scanners; fd is positioned at the start of the payload. */
int pg_scan_json(struct pg_scan *s, int fd);
int pg_scan_xml(struct pg_scan *s, int fd);
int pg_scan_csv(struct pg_scan *s, int fd);

#endif
