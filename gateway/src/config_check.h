/*
 * config_check.h - everything `gateway check` verifies about a
 * configuration file: the config itself with referenced files and
 * certificates, the catalogue, the targets file, every plugin a source
 * names and each source's params against that plugin's keys.
 *
 * `gateway check` and the daemon's SIGHUP reload share it, so a config the
 * check accepts is exactly a config the daemon will switch to.
 */
#ifndef GW_CONFIG_CHECK_H
#define GW_CONFIG_CHECK_H
#include <stddef.h>
#include <stdio.h>

struct gw_check_summary {
  size_t sources, feeds, indicators;
};

/* Writes every problem to report as "FILE:LINE: KEY: MESSAGE" lines (and
 * plugin refusals as "warning: ..." lines, which are not problems).
 * Returns the number of problems: 0 means valid, and then *summary (may be
 * NULL) is filled. A file that cannot be loaded at all counts as one. */
int config_check_file(const char *path, FILE *report,
                      struct gw_check_summary *summary);

#endif
