/*
 * config_files.c - `gateway check`: do the files the config names exist,
 * can we read them, and are the certificates usable today?
 *
 * Finding an expired client certificate here, with the config line that
 * names it, beats a TLS handshake failure at six in the morning.
 */
#include "config_internal.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#define DATE_MAX 32
#define SUBJECT_MAX 256

struct cert_summary {
  int count;
  int expired;
  int not_yet_valid;
  char first_subject[SUBJECT_MAX];
  char first_not_after[DATE_MAX];
  char first_not_before[DATE_MAX];
  int first_expired;
  int first_not_yet_valid;
};

static void format_date(const ASN1_TIME *t, char *out, size_t size) {
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1 ||
      strftime(out, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) {
    if (size > 0)
      out[0] = '\0';
  }
}

static void summarise(X509 *cert, struct cert_summary *s) {
  int expired = X509_cmp_current_time(X509_get0_notAfter(cert)) < 0;
  int early = X509_cmp_current_time(X509_get0_notBefore(cert)) > 0;
  if (s->count == 0) {
    if (!X509_NAME_oneline(X509_get_subject_name(cert), s->first_subject,
                           (int)sizeof s->first_subject))
      s->first_subject[0] = '\0';
    format_date(X509_get0_notAfter(cert), s->first_not_after,
                sizeof s->first_not_after);
    format_date(X509_get0_notBefore(cert), s->first_not_before,
                sizeof s->first_not_before);
    s->first_expired = expired;
    s->first_not_yet_valid = early;
  }
  s->count++;
  s->expired += expired;
  s->not_yet_valid += early;
}

/* 0 when the file could be read (s filled), -1 otherwise. */
static int read_certificates(const char *path, struct cert_summary *s) {
  FILE *f = fopen(path, "r");
  X509 *cert;
  memset(s, 0, sizeof *s);
  if (!f)
    return -1;
  while ((cert = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
    summarise(cert, s);
    X509_free(cert);
  }
  /* the loop always ends with "no start line" at EOF; not an error */
  ERR_clear_error();
  fclose(f);
  return 0;
}

static void check_certificates(struct cfg_report *r, const struct cfg_path *at,
                               const char *path, enum cfg_file_kind kind) {
  struct cert_summary s;
  if (read_certificates(path, &s) < 0) {
    cfg_error(r, at, "not readable: %s (%s)", path, strerror(errno));
    return;
  }
  if (s.count == 0) {
    cfg_error(r, at, "not a PEM X.509 certificate: %s", path);
    return;
  }
  if (kind == CFG_FILE_CERT) {
    if (s.first_expired)
      cfg_error(r, at, "certificate expired on %s: %s (subject %s)",
                s.first_not_after, path, s.first_subject);
    else if (s.first_not_yet_valid)
      cfg_error(r, at, "certificate not valid before %s: %s (subject %s)",
                s.first_not_before, path, s.first_subject);
    return;
  }
  if (s.expired == s.count)
    cfg_error(r, at,
              "every certificate in %s has expired (first: %s, "
              "expired on %s)",
              path, s.first_subject, s.first_not_after);
  else if (s.expired > 0)
    cfg_warn(r, at, "%d of %d certificates in %s have expired", s.expired,
             s.count, path);
}

void cfg_check_file(struct cfg_report *r, const struct cfg_path *at,
                    const char *path, enum cfg_file_kind kind) {
  struct stat st;
  if (!path)
    return;
  if (stat(path, &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR)
      cfg_error(r, at, "file not found: %s", path);
    else
      cfg_error(r, at, "not readable: %s (%s)", path, strerror(errno));
    return;
  }
  if (!S_ISREG(st.st_mode)) {
    cfg_error(r, at, "not a regular file: %s", path);
    return;
  }
  if (access(path, R_OK) != 0) {
    cfg_error(r, at, "not readable: %s (%s)", path, strerror(errno));
    return;
  }
  if (kind == CFG_FILE_CERT || kind == CFG_FILE_CA)
    check_certificates(r, at, path, kind);
  else if (kind == CFG_FILE_KEY && (st.st_mode & (S_IRWXG | S_IRWXO)))
    cfg_warn(r, at,
             "private key %s is accessible by group or others (mode %04o); "
             "chmod 600 it",
             path, (unsigned)(st.st_mode & 07777));
}
