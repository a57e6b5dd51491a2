/*
 * stop_request.h - a process-wide request to stop, set by the daemon when
 * SIGTERM or SIGINT arrives and polled by everything that can take long:
 * transfers (libcurl's progress callback), retry waits and the rows a
 * plugin emits. A run that sees it fails with "stopped" and, like every
 * failed run, stores nothing (run.h), so stopping never leaves a half
 * import behind.
 */
#ifndef GW_STOP_REQUEST_H
#define GW_STOP_REQUEST_H

/* Async-signal-safe (a lock-free atomic store). */
void stop_request(void);
/* 1 once stop_request() was called, else 0. */
int stop_requested(void);
/* For tests that stop and start again in one process. */
void stop_request_reset(void);

#define GW_STOPPED_MESSAGE "stopped: the gateway is shutting down"

#endif
