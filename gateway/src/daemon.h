/*
 * daemon.h - `gateway daemon`: runs every scheduled source on its own cron
 * schedule until SIGTERM/SIGINT, re-reads the config on SIGHUP, and serves
 * optional metrics.
 *
 * Guarantees (issue 4, docs/operations.md):
 *  - a source never runs twice at once; different sources run concurrently,
 *    at most daemon.max_concurrent at a time, the rest wait in FIFO order;
 *  - due times are cron times in daemon.timezone plus a stable per-source
 *    jitter (schedule.h);
 *  - with daemon.catch_up a run missed while the daemon was down runs once
 *    at start-up;
 *  - SIGHUP validates the new config exactly like `gateway check`; an
 *    invalid one is refused (saying why) and the running one kept; a valid
 *    one takes over once the runs in flight have ended;
 *  - SIGTERM/SIGINT stop new runs, make runs in flight abort (a stopped run
 *    stores nothing) and exit 0 once they have.
 */
#ifndef GW_DAEMON_H
#define GW_DAEMON_H

struct gw_daemon_options {
  const char *config_path; /* required */
  int run_now;             /* run every source once at start-up */
};

/* Returns the process exit status (commands.h). */
int daemon_main(const struct gw_daemon_options *opts);

#endif
