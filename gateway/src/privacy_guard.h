/*
 * privacy_guard.h - the host's privacy guard (DESIGN 10).
 *
 * The gateway holds aggregates only. Before a plugin reads a spooled
 * payload the host scans it; a person-level record makes the whole payload
 * refused and quarantined. What counts as person-level:
 *  - "bsn": a field named like bsn / burgerservicenummer / sofi /
 *    persoonsnummer / client(nummer) whose value holds a 9-digit token
 *    passing the BSN 11-check (8 digits with a leading zero added, for the
 *    strongly named fields only);
 *  - "name": voornaam, achternaam, voornamen, voorletters, geslachtsnaam
 *    (and English equivalents), or "naam"/"name" inside a client/person
 *    object, with a value holding a letter;
 *  - "birth_date": geboortedatum, birthdate, date_of_birth with a
 *    date-like value.
 * The value itself never leaves this module: a finding carries the field
 * path and a salted SHA-256 of the value, and error messages never quote
 * payload content. Digit runs of 8 or more inside field names are masked
 * in paths, so a BSN used as a key does not leak through the path either.
 *
 * Scanning streams the file (JSON: own tokenizer; XML: libxml2
 * xmlTextReader, no network, no entity substitution, no DTD loading; CSV:
 * header names per column) in constant memory. See docs/privacy.md.
 */
#ifndef GW_PRIVACY_GUARD_H
#define GW_PRIVACY_GUARD_H
#include <stddef.h>
#include "digest.h"

#define GW_PRIVACY_SALT_SIZE 32
#define GW_PRIVACY_PATH_MAX 512
#define GW_PRIVACY_SALT_FILE "privacy.salt"
#define GW_PRIVACY_QUARANTINE_DIR "quarantine"

struct gw_privacy_settings {
  /* Per-installation secret mixed into every value hash, so a hash can be
   * matched against the same value at this installation only. */
  unsigned char salt[GW_PRIVACY_SALT_SIZE];
};

struct gw_privacy_finding {
  char kind[16];                       /* "bsn", "name" or "birth_date" */
  char format[8];                      /* "json", "xml" or "csv" */
  char path[GW_PRIVACY_PATH_MAX];      /* "value[17].Bsn",
                                          "Bericht/Client[2]/Bsn",
                                          "line 17 column \"bsn\"" */
  char value_hash[GW_SHA256_HEX_SIZE]; /* hex SHA-256(salt || value) */
};

/* Scans the payload at path. Returns 0 when clean, 1 on the first finding
 * (finding filled; scanning stops there), -1 when the file could not be
 * read or parsed (err says where; the payload was NOT shown clean, so the
 * caller must not hand it to a plugin). */
int privacy_scan_file(const char *path, const struct gw_privacy_settings *s,
                      struct gw_privacy_finding *finding, char *err,
                      size_t err_size);

/* Moves the payload to <quarantine_dir>/<sha> with mode 0600, creating the
 * directory (mode 0700). rename() when on the same file system, else copy,
 * fsync and unlink. sha must be 64 lower-case hex digits. out_path gets
 * the new path. 0 or -1 (err; the spool file is left in place). */
int privacy_quarantine(const char *spool_path, const char *quarantine_dir,
                       const char *sha, char *out_path, size_t out_path_size,
                       char *err, size_t err_size);

/* Reads <data_dir>/privacy.salt (exactly 32 bytes), creating it with 32
 * random bytes and mode 0600 when missing. Creation is atomic: a racing
 * second process reads the winner's salt. A file of the wrong size is an
 * error, never silently replaced (that would change every hash). */
int privacy_load_or_create_salt(const char *data_dir,
                                unsigned char salt[GW_PRIVACY_SALT_SIZE],
                                char *err, size_t err_size);

#endif
