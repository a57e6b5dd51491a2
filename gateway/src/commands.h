/*
 * commands.h - the CLI commands (DESIGN 12), one file each (cmd_*.c).
 * Each returns the process exit status: 0 success, 1 the work failed
 * (a source, an export, a verification), 2 usage or configuration error.
 */
#ifndef GW_COMMANDS_H
#define GW_COMMANDS_H

#define GW_EXIT_OK 0
#define GW_EXIT_FAILED 1
#define GW_EXIT_USAGE 2

struct gw_cli {
  const char *config_path; /* --config, or NULL */
  int json;                /* --json */
  int verbose;             /* -v count */
  int quiet;               /* -q */
};

int cmd_run(const struct gw_cli *cli, int argc, char **argv);
int cmd_check(const struct gw_cli *cli, int argc, char **argv);
int cmd_plugins(const struct gw_cli *cli, int argc, char **argv);
int cmd_indicators(const struct gw_cli *cli, int argc, char **argv);
int cmd_export(const struct gw_cli *cli, int argc, char **argv);
int cmd_status(const struct gw_cli *cli, int argc, char **argv);
int cmd_audit(const struct gw_cli *cli, int argc, char **argv);
int cmd_monitor(const struct gw_cli *cli, int argc, char **argv);
int cmd_daemon(const struct gw_cli *cli, int argc, char **argv);
int cmd_serve(const struct gw_cli *cli, int argc, char **argv);
int cmd_replay(const struct gw_cli *cli, int argc, char **argv);

/* 1 when argv[1] asks for help ("-h"/"--help"). */
int cli_wants_help(int argc, char **argv);

#endif
