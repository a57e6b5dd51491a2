#include "gw_alloc.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Allocation counter for fault injection. Atomic because runs of several
 * sources may allocate from different threads. 0 means "never fail". */
static atomic_ulong fail_at;
static atomic_ulong count;

void gw_alloc_fail_at(unsigned long nth) {
  atomic_store(&count, 0);
  atomic_store(&fail_at, nth);
}

void gw_alloc_init_from_env(void) {
  const char *v = getenv("GW_FAIL_ALLOC_AT");
  unsigned long n = 0;
  char *end = NULL;
  if (!v || !*v)
    return;
  n = strtoul(v, &end, 10);
  if (end && *end == '\0')
    gw_alloc_fail_at(n);
}

static int should_fail(void) {
  unsigned long target = atomic_load(&fail_at);
  if (target == 0)
    return 0;
  return atomic_fetch_add(&count, 1) + 1 == target;
}

void *gw_malloc(size_t size) {
  if (should_fail())
    return NULL;
  return malloc(size ? size : 1);
}

void *gw_calloc(size_t n, size_t size) {
  if (should_fail())
    return NULL;
  return calloc(n ? n : 1, size ? size : 1);
}

void *gw_realloc(void *ptr, size_t size) {
  if (should_fail())
    return NULL;
  return realloc(ptr, size ? size : 1);
}

char *gw_strndup(const char *s, size_t n) {
  size_t len;
  char *copy;
  if (!s)
    return NULL;
  len = strnlen(s, n);
  copy = gw_malloc(len + 1);
  if (!copy)
    return NULL;
  memcpy(copy, s, len);
  copy[len] = '\0';
  return copy;
}

char *gw_strdup(const char *s) {
  return s ? gw_strndup(s, strlen(s)) : NULL;
}

void gw_free(void *ptr) {
  free(ptr);
}
