/*
 * exchange_log_internal.h - what the exchange log's own modules share
 * (exchange_log.c writes, xlog_note_file.c appends checkpoint notes,
 * xlog_seal.c seals a torn tail, xlog_verify.c checks); not for other callers.
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
/* Appends one checkpoint note and its blank line to the off-site
 * checkpoint file (created 0640 with its directory), after cutting off an
 * incomplete note a killed writer left at its end; signed_notes: notes end
 * in a signature line. Call with the log's writer lock held. fsyncs the
 * file unless no_sync. 0, or -1 with err set. (xlog_note_file.c) */
int xlog_note_file_append(const char *file, const char *note, size_t note_len,
                          int signed_notes, int no_sync, char *err,
                          size_t err_size);

#endif
