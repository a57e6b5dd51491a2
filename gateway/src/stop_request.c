/*
 * stop_request.c - see stop_request.h.
 */
#include "stop_request.h"
#include <stdatomic.h>

static atomic_int stop_flag;

_Static_assert(ATOMIC_INT_LOCK_FREE == 2,
               "stop_request() must be callable from a signal handler");

void stop_request(void) {
  atomic_store(&stop_flag, 1);
}

int stop_requested(void) {
  return atomic_load(&stop_flag);
}

void stop_request_reset(void) {
  atomic_store(&stop_flag, 0);
}
