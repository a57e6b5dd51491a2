/*
 * gw_alloc.c - the host's allocation wrappers and their test hooks:
 * GW_FAIL_ALLOC_AT=N fails the Nth allocation, GW_ALLOC_STATS=1 prints how
 * many there were when the process exits (see gw_alloc.h).
 */
#include "gw_alloc.h"
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Allocation counter for fault injection. Atomic because runs of several
 * sources may allocate from different threads. 0 means "never fail". */
static atomic_ulong fail_at;
static atomic_ulong count;
/* Count even when nothing is to fail (GW_ALLOC_STATS). */
static atomic_int counting;

void gw_alloc_fail_at(unsigned long nth) {
  atomic_store(&count, 0);
  atomic_store(&fail_at, nth);
}

unsigned long gw_alloc_count(void) {
  return atomic_load(&count);
}

/* stderr, not the diagnostics: the sweep reads this one line after exit. */
static void report_count(void) {
  fprintf(stderr, "gw_alloc: %lu allocations\n", gw_alloc_count());
}

void gw_alloc_init_from_env(void) {
  const char *v = getenv("GW_FAIL_ALLOC_AT");
  const char *stats = getenv("GW_ALLOC_STATS");
  unsigned long n = 0;
  char *end = NULL;
  if (stats && *stats && strcmp(stats, "0") != 0) {
    atomic_store(&counting, 1);
    atexit(report_count);
  }
  if (!v || !*v)
    return;
  n = strtoul(v, &end, 10);
  if (end && *end == '\0')
    gw_alloc_fail_at(n);
}

/* An injected failure sets errno like a real malloc failure does, so code
 * that reports strerror(errno) says "Cannot allocate memory". */
static int should_fail(void) {
  unsigned long target = atomic_load(&fail_at);
  if (target == 0) {
    if (atomic_load(&counting))
      atomic_fetch_add(&count, 1);
    return 0;
  }
  if (atomic_fetch_add(&count, 1) + 1 != target)
    return 0;
  errno = ENOMEM;
  return 1;
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
