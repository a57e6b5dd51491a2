/*
 * config_secret.c - secret indirection: "${ENV_NAME}" or {"file": path}.
 *
 * Secrets never live in the config file itself (it ends up in backups,
 * tickets and version control). Messages name the variable or the file,
 * never the value.
 */
#include "config_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "gw_alloc.h"

#define SECRET_FILE_MAX (64 * 1024)
#define INLINE_ERROR                                                           \
  "secrets must not be written inline; use \"${ENV}\" or {\"file\": ...}"

/* volatile: the compiler must not drop the wipe of memory about to be
 * freed */
static void wipe(char *buf, size_t len) {
  volatile char *p = buf;
  for (size_t i = 0; i < len; i++)
    p[i] = '\0';
}

void cfg_secret_free(char *secret) {
  if (!secret)
    return;
  wipe(secret, strlen(secret));
  gw_free(secret);
}

static int env_name_valid(const char *s, size_t len) {
  if (len == 0 || !(s[0] == '_' || (s[0] >= 'A' && s[0] <= 'Z') ||
                    (s[0] >= 'a' && s[0] <= 'z')))
    return 0;
  for (size_t i = 1; i < len; i++) {
    char c = s[i];
    if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
          (c >= '0' && c <= '9')))
      return 0;
  }
  return 1;
}

static char *from_env(struct cfg_report *r, const char *text,
                      const struct cfg_path *at) {
  char name[256];
  size_t len = strlen(text);
  const char *value;
  char *copy;
  /* caller checked the "${" prefix and "}" suffix */
  if (len - 3 >= sizeof name || !env_name_valid(text + 2, len - 3)) {
    cfg_error(r, at,
              "invalid environment variable reference; expected \"${NAME}\" "
              "with NAME made of letters, digits and _");
    return NULL;
  }
  memcpy(name, text + 2, len - 3);
  name[len - 3] = '\0';
  value = getenv(name);
  if (!value) {
    cfg_error(r, at, "environment variable %s is not set", name);
    return NULL;
  }
  if (!value[0]) {
    cfg_error(r, at, "environment variable %s is empty", name);
    return NULL;
  }
  copy = gw_strdup(value);
  if (!copy)
    cfg_out_of_memory(r);
  return copy;
}

/* Reads the whole (small) file; the result is NUL-terminated. */
static char *read_secret_file(struct cfg_report *r, const char *path,
                              const struct cfg_path *at) {
  char *buf = NULL;
  struct stat st;
  size_t used = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      cfg_error(r, at, "secret file not found: %s", path);
    else
      cfg_error(r, at, "secret file %s: not readable (%s)", path,
                strerror(errno));
    return NULL;
  }
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    cfg_error(r, at, "secret file %s: not a regular file", path);
    goto fail;
  }
  if (st.st_size > SECRET_FILE_MAX) {
    cfg_error(r, at, "secret file %s: larger than %d bytes", path,
              SECRET_FILE_MAX);
    goto fail;
  }
  if (st.st_mode & (S_IRWXG | S_IRWXO))
    cfg_warn(r, at,
             "secret file %s is accessible by group or others (mode %04o); "
             "chmod 600 it",
             path, (unsigned)(st.st_mode & 07777));
  buf = gw_malloc((size_t)st.st_size + 1);
  if (!buf) {
    cfg_out_of_memory(r);
    goto fail;
  }
  while (used < (size_t)st.st_size) {
    ssize_t n = read(fd, buf + used, (size_t)st.st_size - used);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      cfg_error(r, at, "secret file %s: read failed (%s)", path,
                strerror(errno));
      goto fail;
    }
    if (n == 0)
      break;
    used += (size_t)n;
  }
  buf[used] = '\0';
  if (memchr(buf, '\0', used)) {
    cfg_error(r, at, "secret file %s: contains a NUL byte; expected text",
              path);
    goto fail;
  }
  close(fd);
  return buf;
fail:
  if (buf) {
    wipe(buf, used);
    gw_free(buf);
  }
  close(fd);
  return NULL;
}

static char *from_file(struct cfg_report *r, const char *dir, const json_t *obj,
                       const struct cfg_path *at) {
  static const char *const allowed[] = {"file", NULL};
  struct cfg_path file_at;
  const json_t *file = json_object_get(obj, "file");
  char *path = NULL;
  char *secret = NULL;
  size_t len;
  cfg_path_child(&file_at, at, "file");
  if (cfg_check_keys(r, obj, at, allowed) > 0)
    goto out;
  if (!file) {
    cfg_error(r, at,
              "missing required key \"file\" (the path of the file "
              "holding the secret)");
    goto out;
  }
  if (!json_is_string(file) || json_string_length(file) == 0) {
    cfg_error(r, &file_at, "expected a non-empty path string, got %s",
              json_is_string(file) ? "an empty string" : cfg_type_name(file));
    goto out;
  }
  path = cfg_resolve_path(dir, json_string_value(file));
  if (!path) {
    cfg_out_of_memory(r);
    goto out;
  }
  secret = read_secret_file(r, path, &file_at);
  if (!secret)
    goto out;
  len = strlen(secret);
  /* editors and `echo` add a final newline that is not part of it */
  while (len > 0 && (secret[len - 1] == '\n' || secret[len - 1] == '\r'))
    secret[--len] = '\0';
  if (len == 0) {
    cfg_error(r, &file_at, "secret file %s is empty", path);
    cfg_secret_free(secret);
    secret = NULL;
  }
out:
  gw_free(path);
  return secret;
}

char *cfg_secret_resolve(struct cfg_report *r, const char *dir,
                         const json_t *value, const struct cfg_path *at) {
  if (json_is_object(value))
    return from_file(r, dir, value, at);
  if (json_is_string(value)) {
    const char *text = json_string_value(value);
    size_t len = json_string_length(value);
    if (len >= 3 && text[0] == '$' && text[1] == '{' && text[len - 1] == '}' &&
        strlen(text) == len)
      return from_env(r, text, at);
    cfg_error(r, at, INLINE_ERROR);
    return NULL;
  }
  cfg_error(r, at, "expected \"${ENV}\" or {\"file\": ...}, got %s",
            value ? cfg_type_name(value) : "nothing");
  return NULL;
}
