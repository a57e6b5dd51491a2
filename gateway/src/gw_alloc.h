/*
 * gw_alloc.h - the host's allocation wrappers.
 *
 * All host code allocates through these so that tests can make the Nth
 * allocation fail (GW_FAIL_ALLOC_AT=N in the environment, read once at
 * start-up by gw_alloc_init_from_env()) and prove every error path is clean.
 * gw_free(NULL) is a no-op. gw_strdup(NULL) returns NULL without failing.
 */
#ifndef GW_ALLOC_H
#define GW_ALLOC_H
#include <stddef.h>

void *gw_malloc(size_t size);
void *gw_calloc(size_t count, size_t size);
void *gw_realloc(void *ptr, size_t size);
char *gw_strdup(const char *s);
char *gw_strndup(const char *s, size_t n);
void gw_free(void *ptr);

/* Fail the nth allocation from now on (1-based); 0 disables. */
void gw_alloc_fail_at(unsigned long nth);
void gw_alloc_init_from_env(void);

#endif
