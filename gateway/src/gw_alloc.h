/*
 * gw_alloc.h - the host's allocation wrappers.
 *
 * All host code allocates through these so that tests can make the Nth
 * allocation fail and prove every error path is clean. gw_free(NULL) is a
 * no-op. gw_strdup(NULL) returns NULL without failing.
 *
 * jansson is deliberately NOT routed through them (json_set_alloc_funcs):
 * jansson 2.14's parser ignores a failed allocation while it collects a
 * token (lex_save, akheron/jansson#362), so a failure injected there
 * silently drops a character of a parsed string ("build" reads as "buid")
 * or trips an assert, instead of an error. Host code still checks every
 * jansson result for NULL.
 *
 * Environment, read once at start-up by gw_alloc_init_from_env():
 *   GW_FAIL_ALLOC_AT=N  the Nth allocation (1-based) returns NULL; the ones
 *                       before and after succeed.
 *   GW_ALLOC_STATS=1    at exit, print "gw_alloc: N allocations" on stderr,
 *                       the range tests/integration/test_alloc_failure.sh
 *                       sweeps.
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
/* Allocations counted since start-up (or the last gw_alloc_fail_at()):
 * while one is set to fail, or with GW_ALLOC_STATS. */
unsigned long gw_alloc_count(void);
void gw_alloc_init_from_env(void);

#endif
