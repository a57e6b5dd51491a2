#include "gw_alloc.h"
#include "run_internal.h"
#include "text.h"
#include "clock.h"
#include <string.h>

struct gw_payload *payload_open(struct gw_run *run, const char *path,
                                const char *url, const char *sha256,
                                const char *span_id, int not_modified) {
  struct gw_payload *p = gw_calloc(1, sizeof *p);
  if (!p)
    return NULL;
  p->run = run;
  p->url = gw_strdup(url);
  p->file = fopen(path, "rb");
  if (!p->url || !p->file) {
    if (p->file)
      fclose(p->file);
    gw_free(p->url);
    gw_free(p);
    return NULL;
  }
  text_copy(p->sha256, sizeof p->sha256, sha256);
  text_copy(p->span_id, sizeof p->span_id, span_id);
  clock_now_rfc3339(p->fetched_at, sizeof p->fetched_at);
  p->not_modified = not_modified;
  p->next = run->payloads;
  run->payloads = p;
  return p;
}

void payload_free_all(struct gw_run *run) {
  struct gw_payload *p = run->payloads;
  while (p) {
    struct gw_payload *next = p->next;
    fclose(p->file);
    gw_free(p->url);
    gw_free(p);
    p = next;
  }
  run->payloads = NULL;
}

ssize_t payload_read(struct gw_payload *p, void *buf, size_t len) {
  size_t n;
  if (!p || !p->file || (!buf && len))
    return -1;
  n = fread(buf, 1, len, p->file);
  if (n == 0 && ferror(p->file))
    return -1;
  return (ssize_t)n;
}

int payload_rewind(struct gw_payload *p) {
  if (!p || !p->file)
    return -1;
  clearerr(p->file);
  return fseek(p->file, 0, SEEK_SET) == 0 ? 0 : -1;
}

const char *payload_url(const struct gw_payload *p) {
  return p ? p->url : NULL;
}

int payload_not_modified(const struct gw_payload *p) {
  return p ? p->not_modified : 0;
}
