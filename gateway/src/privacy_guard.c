/*
 * privacy_guard.c - privacy_scan_file(): sniff the payload's format and
 * hand it to the matching streaming scanner (see privacy_guard.h).
 *
 * The format is sniffed, not taken from the plugin or the Content-Type:
 * the guard must look at what is actually in the file. First byte after
 * a UTF-8 byte order mark and white space: '{' or '[' is JSON, '<' is XML
 * (also UTF-16 with its byte order mark), anything else is CSV or text.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "privacy_internal.h"
#include "text.h"

#define SNIFF_BYTES 4096

enum format { FORMAT_EMPTY, FORMAT_JSON, FORMAT_XML, FORMAT_CSV };

static int utf16_xml(const unsigned char *b, size_t n) {
  return n >= 4 && ((b[0] == 0xFF && b[1] == 0xFE && b[2] == '<' && !b[3]) ||
                    (b[0] == 0xFE && b[1] == 0xFF && !b[2] && b[3] == '<'));
}

static int is_ws(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static enum format classify_byte(unsigned char c) {
  if (c == '{' || c == '[')
    return FORMAT_JSON;
  if (c == '<')
    return FORMAT_XML;
  return FORMAT_CSV;
}

/* Reads until the first byte that is not white space (however much
 * leading white space there is), then rewinds. */
static int sniff(int fd, enum format *out) {
  unsigned char buf[SNIFF_BYTES];
  int first = 1;
  *out = FORMAT_EMPTY;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    size_t i = 0;
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    if (n == 0)
      break;
    if (first && utf16_xml(buf, (size_t)n)) {
      *out = FORMAT_XML;
      break;
    }
    if (first && n >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF)
      i = 3;
    first = 0;
    while (i < (size_t)n && is_ws(buf[i]))
      i++;
    if (i < (size_t)n) {
      *out = classify_byte(buf[i]);
      break;
    }
  }
  memset(buf, 0, sizeof buf);
  return lseek(fd, 0, SEEK_SET) == 0 ? 0 : -1;
}

int privacy_scan_file(const char *path, const struct gw_privacy_settings *s,
                      struct gw_privacy_finding *finding, char *err,
                      size_t err_size) {
  static const char *const names[] = {"empty", "json", "xml", "csv"};
  struct pg_scan scan;
  enum format format;
  int fd = -1;
  int rc = -1;
  if (err_size > 0)
    err[0] = '\0';
  memset(finding, 0, sizeof *finding);
  fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    text_format(err, err_size, "%s: cannot open the payload: %s", path,
                strerror(errno));
    goto out;
  }
  if (sniff(fd, &format) != 0) {
    text_format(err, err_size, "%s: cannot read the payload: %s", path,
                strerror(errno));
    goto out;
  }
  scan.file = path;
  scan.settings = s;
  scan.finding = finding;
  scan.format = names[format];
  scan.err = err;
  scan.err_size = err_size;
  switch (format) {
  case FORMAT_EMPTY:
    rc = 0;
    break;
  case FORMAT_JSON:
    rc = pg_scan_json(&scan, fd);
    break;
  case FORMAT_XML:
    rc = pg_scan_xml(&scan, fd);
    break;
  case FORMAT_CSV:
    rc = pg_scan_csv(&scan, fd);
    break;
  }
out:
  if (fd >= 0)
    close(fd);
  return rc;
}
