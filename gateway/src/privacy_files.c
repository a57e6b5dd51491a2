/*
 * privacy_files.c - the privacy guard's files: the quarantine directory a
 * refused payload is moved to, and the per-installation salt of the value
 * hashes (see privacy_guard.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "gw_alloc.h"
#include "privacy_guard.h"
#include "text.h"

#define PRIVATE_DIR_MODE 0700
#define PRIVATE_FILE_MODE 0600
#define COPY_CHUNK 65536
#define SHA_HEX_LEN 64

static int sha_valid(const char *sha) {
  size_t n = 0;
  for (; sha[n]; n++)
    if (!((sha[n] >= '0' && sha[n] <= '9') || (sha[n] >= 'a' && sha[n] <= 'f')))
      return 0;
  return n == SHA_HEX_LEN;
}

/* Makes a rename or link durable. */
static int fsync_dir(const char *dir, char *err, size_t err_size) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int rc = 0;
  if (fd < 0 || (fsync(fd) != 0 && errno != EINVAL)) {
    text_format(err, err_size, "cannot sync directory %s: %s", dir,
                strerror(errno));
    rc = -1;
  }
  if (fd >= 0)
    close(fd);
  return rc;
}

static int write_all(int fd, const void *data, size_t len) {
  const unsigned char *p = data;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Across file systems: copy into a temporary file beside the target,
 * fsync, rename into place. */
static int copy_into(const char *from, const char *dir, const char *to,
                     char *err, size_t err_size) {
  char tmp[4096];
  unsigned char *buf = NULL;
  int in = -1, out = -1;
  int rc = -1;
  if (text_format(tmp, sizeof tmp, "%s/.tmp-XXXXXX", dir) != 0) {
    text_format(err, err_size, "quarantine path too long: %s", dir);
    return -1;
  }
  buf = gw_malloc(COPY_CHUNK);
  in = open(from, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  out = mkstemp(tmp);
  if (!buf || in < 0 || out < 0) {
    text_format(err, err_size, "cannot copy %s into %s: %s", from, dir,
                buf ? strerror(errno) : "out of memory");
    goto out;
  }
  for (;;) {
    ssize_t n = read(in, buf, COPY_CHUNK);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 || (n > 0 && write_all(out, buf, (size_t)n) != 0)) {
      text_format(err, err_size, "cannot copy %s into %s: %s", from, dir,
                  strerror(errno));
      goto out;
    }
    if (n == 0)
      break;
  }
  if (fchmod(out, PRIVATE_FILE_MODE) != 0 || fsync(out) != 0 ||
      rename(tmp, to) != 0) {
    text_format(err, err_size, "cannot complete the copy to %s: %s", to,
                strerror(errno));
    goto out;
  }
  tmp[0] = '\0';
  rc = 0;
out:
  if (out >= 0)
    close(out);
  if (rc != 0 && out >= 0 && tmp[0])
    unlink(tmp);
  if (in >= 0)
    close(in);
  gw_free(buf);
  return rc;
}

int privacy_quarantine(const char *spool_path, const char *quarantine_dir,
                       const char *sha, char *out_path, size_t out_path_size,
                       char *err, size_t err_size) {
  if (err_size > 0)
    err[0] = '\0';
  if (!sha || !sha_valid(sha)) {
    text_copy(err, err_size,
              "quarantine: expected the payload's SHA-256 as 64 lower-case "
              "hex digits");
    return -1;
  }
  if (fs_mkdirs(quarantine_dir, PRIVATE_DIR_MODE, err, err_size) != 0)
    return -1;
  if (text_format(out_path, out_path_size, "%s/%s", quarantine_dir, sha) != 0) {
    text_format(err, err_size, "quarantine path too long: %s/%s",
                quarantine_dir, sha);
    return -1;
  }
  /* Tighten first: the name in the quarantine must never be readable by
   * others, not even for a moment. */
  if (chmod(spool_path, PRIVATE_FILE_MODE) != 0) {
    text_format(err, err_size, "cannot restrict %s to mode 0600: %s",
                spool_path, strerror(errno));
    return -1;
  }
  if (rename(spool_path, out_path) != 0) {
    if (errno != EXDEV) {
      text_format(err, err_size, "cannot move %s to %s: %s", spool_path,
                  out_path, strerror(errno));
      return -1;
    }
    if (copy_into(spool_path, quarantine_dir, out_path, err, err_size) != 0)
      return -1;
    if (unlink(spool_path) != 0) {
      text_format(err, err_size,
                  "copied to %s but cannot remove %s from the spool: %s",
                  out_path, spool_path, strerror(errno));
      return -1;
    }
  }
  return fsync_dir(quarantine_dir, err, err_size);
}

/* ---- salt --------------------------------------------------------------- */

static int read_salt(const char *path, unsigned char salt[GW_PRIVACY_SALT_SIZE],
                     char *err, size_t err_size) {
  unsigned char buf[GW_PRIVACY_SALT_SIZE + 1];
  size_t used = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  int rc = -1;
  if (fd < 0 && errno == ENOENT)
    return 1;
  if (fd < 0) {
    text_format(err, err_size, "cannot open %s: %s", path, strerror(errno));
    return -1;
  }
  while (used < sizeof buf) {
    ssize_t n = read(fd, buf + used, sizeof buf - used);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      text_format(err, err_size, "cannot read %s: %s", path, strerror(errno));
      goto out;
    }
    if (n == 0)
      break;
    used += (size_t)n;
  }
  if (used != GW_PRIVACY_SALT_SIZE) {
    text_format(err, err_size,
                "%s: expected exactly %d bytes, found %s%zu; restore it from "
                "the backup (a new salt would change every hash in the "
                "exchange log)",
                path, GW_PRIVACY_SALT_SIZE,
                used > GW_PRIVACY_SALT_SIZE ? "more than " : "",
                used > GW_PRIVACY_SALT_SIZE ? (size_t)GW_PRIVACY_SALT_SIZE
                                            : used);
    goto out;
  }
  memcpy(salt, buf, GW_PRIVACY_SALT_SIZE);
  rc = 0;
out:
  memset(buf, 0, sizeof buf);
  close(fd);
  return rc;
}

/* Writes a fresh salt to a temporary file and links it into place: link()
 * fails when the name exists, so of two racing processes exactly one salt
 * wins and the other process reads it. 0 created, 1 lost the race, -1. */
static int create_salt(const char *data_dir, const char *path, char *err,
                       size_t err_size) {
  unsigned char salt[GW_PRIVACY_SALT_SIZE];
  char tmp[4096];
  int fd = -1;
  int rc = -1;
  if (text_format(tmp, sizeof tmp, "%s/.privacy.salt-XXXXXX", data_dir) != 0) {
    text_format(err, err_size, "path too long: %s", data_dir);
    return -1;
  }
  if (RAND_bytes(salt, sizeof salt) != 1) {
    text_format(err, err_size,
                "cannot create %s: no random bytes from the "
                "system",
                path);
    return -1;
  }
  fd = mkstemp(tmp); /* mode 0600 */
  if (fd < 0) {
    text_format(err, err_size, "cannot create a file in %s: %s", data_dir,
                strerror(errno));
    tmp[0] = '\0';
    goto out;
  }
  if (fchmod(fd, PRIVATE_FILE_MODE) != 0 ||
      write_all(fd, salt, sizeof salt) != 0 || fsync(fd) != 0) {
    text_format(err, err_size, "cannot write %s: %s", tmp, strerror(errno));
    goto out;
  }
  if (link(tmp, path) != 0) {
    if (errno == EEXIST) {
      rc = 1;
      goto out;
    }
    text_format(err, err_size, "cannot create %s: %s", path, strerror(errno));
    goto out;
  }
  rc = fsync_dir(data_dir, err, err_size);
out:
  memset(salt, 0, sizeof salt);
  if (fd >= 0)
    close(fd);
  if (tmp[0])
    unlink(tmp);
  return rc;
}

int privacy_load_or_create_salt(const char *data_dir,
                                unsigned char salt[GW_PRIVACY_SALT_SIZE],
                                char *err, size_t err_size) {
  char path[4096];
  int rc;
  if (err_size > 0)
    err[0] = '\0';
  if (text_format(path, sizeof path, "%s/%s", data_dir, GW_PRIVACY_SALT_FILE) !=
      0) {
    text_format(err, err_size, "path too long: %s", data_dir);
    return -1;
  }
  rc = read_salt(path, salt, err, err_size);
  if (rc != 1)
    return rc;
  if (fs_mkdirs(data_dir, PRIVATE_DIR_MODE, err, err_size) != 0 ||
      create_salt(data_dir, path, err, err_size) < 0)
    return -1;
  rc = read_salt(path, salt, err, err_size);
  if (rc == 1)
    text_format(err, err_size, "%s vanished right after it was created", path);
  return rc == 0 ? 0 : -1;
}
