/*
 * cmd_daemon.c - `gateway daemon`: the command line of the scheduler
 * (daemon.h has the behaviour).
 */
#include "commands.h"
#include "daemon.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char daemon_usage[] =
    "Usage: gateway --config FILE daemon [--run-now]\n"
    "\n"
    "Runs in the foreground (systemd: Type=simple) and imports every source\n"
    "on its own \"schedule\" (5-field cron: minute hour day-of-month month\n"
    "day-of-week), read in daemon.timezone (default Europe/Amsterdam, so\n"
    "\"0 6 * * 1\" is 06:00 Dutch time all year, across DST changes).\n"
    "After each run the configured feeds are published; a failed run stores\n"
    "nothing and the last good feeds stay, with their status files saying\n"
    "how old they are.\n"
    "\n"
    "  --run-now   also run every source once right away\n"
    "\n"
    "Scheduling (the \"daemon\" object of the config):\n"
    "  max_concurrent   sources running at once (default 2); a source\n"
    "                   never runs twice at once: a run that comes due\n"
    "                   while the previous one is still going is skipped\n"
    "  jitter_seconds   each source starts a stable 0..N s after its cron\n"
    "                   time (default 30), so sources due together spread\n"
    "  catch_up         a run missed while the daemon was down runs once at\n"
    "                   start-up (default true)\n"
    "  metrics_listen   loopback host:port serving Prometheus /metrics and\n"
    "                   /healthz (default: off)\n"
    "\n"
    "Signals:\n"
    "  SIGHUP           re-read and check the config like `gateway check`;\n"
    "                   an invalid file is refused with the reason and the\n"
    "                   running config stays; a valid one takes over as soon\n"
    "                   as the runs in flight have finished\n"
    "  SIGTERM, SIGINT  stop: no new runs; runs in flight abort and store\n"
    "                   nothing; exit 0 once they have\n"
    "\n"
    "Sources without a schedule run only with --run-now or `gateway run`.\n"
    "Messages go to stderr (one key=value line each when not a terminal,\n"
    "for journald); every exchange goes to the exchange log.\n"
    "\n"
    "Exit status: 0 stopped by a signal; 1 the daemon could not start (event\n"
    "loop, metrics address in use); 2 usage or configuration error.\n";

int cmd_daemon(const struct gw_cli *cli, int argc, char **argv) {
  struct gw_daemon_options opts = {.config_path = cli->config_path};
  if (cli_wants_help(argc, argv)) {
    fputs(daemon_usage, stdout);
    return GW_EXIT_OK;
  }
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--run-now") == 0) {
      opts.run_now = 1;
    } else {
      fprintf(stderr,
              "gateway: daemon: unknown argument '%s' (see `gateway daemon "
              "--help`)\n",
              argv[i]);
      return GW_EXIT_USAGE;
    }
  }
  if (!opts.config_path)
    opts.config_path = getenv("GATEWAY_CONFIG");
  if (!opts.config_path || !*opts.config_path) {
    fprintf(stderr, "gateway: daemon needs a configuration file (--config "
                    "FILE or GATEWAY_CONFIG)\n");
    return GW_EXIT_USAGE;
  }
  return daemon_main(&opts);
}
