/*
 * diag.h - human-facing diagnostics on stderr (not the exchange log).
 *
 * On a TTY messages are short and readable; otherwise each line is
 * "level=... msg=..." so a log collector can parse it. The verbosity is
 * process-wide and set once by the CLI.
 */
#ifndef GW_DIAG_H
#define GW_DIAG_H
#include "gateway/plugin.h"

void diag_set_level(gw_log_level min_level);
gw_log_level diag_level(void);
void diag(gw_log_level level, const char *fmt, ...) GW_PRINTF_LIKE(2, 3);

/* Called (under the diagnostics lock) before a message is written to a
 * terminal, so a live progress line can make room; NULL removes it. */
void diag_set_tty_hook(void (*before_write)(void *ctx), void *ctx);

#endif
