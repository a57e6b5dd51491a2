/*
 * exchange_log_internal.h - what the exchange log's own modules share
 * (exchange_log.c writes, xlog_seal.c seals a torn tail, xlog_verify.c
 * checks); not for other callers.
 */
#ifndef GW_EXCHANGE_LOG_INTERNAL_H
#define GW_EXCHANGE_LOG_INTERNAL_H
#include "exchange_log.h"
#include <sys/types.h>

/* Events only the log itself writes; xlog_append() refuses them. */
#define XLOG_EVENT_CHECKPOINT "checkpoint"
#define XLOG_EVENT_TORN_TAIL "torn_tail"

/* xlog_append() that may also write the log's own events. */
int xlog_append_owned(struct gw_xlog *log, const json_t *record, char *err,
                      size_t err_size);
/* "<path>.lock": the file every process sharing the log flock()s. */
int xlog_lock_path(const char *path, char *out, size_t out_size);
/* flock(LOCK_EX or LOCK_SH), retried on EINTR. 0 or -1. */
int xlog_flock(int fd, int operation);
/* fsync of the directory that holds path (after a create or rename). */
int xlog_sync_dir_of(const char *path, char *err, size_t err_size);
/* write() all of buf; *written says how much reached the file. */
int xlog_write_all(int fd, const char *buf, size_t len, size_t *written);
ssize_t xlog_pread_all(int fd, void *buf, size_t len, off_t offset);

#endif
