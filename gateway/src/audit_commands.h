/*
 * audit_commands.h - the subcommands of `gateway audit`, one file each
 * (cmd_audit_*.c); cmd_audit.c only dispatches. Each gets argv starting at
 * its own name and returns the exit status (commands.h).
 */
#ifndef GW_AUDIT_COMMANDS_H
#define GW_AUDIT_COMMANDS_H
#include "commands.h"

int audit_verify_main(const struct gw_cli *cli, int argc, char **argv);
int audit_show_main(const struct gw_cli *cli, int argc, char **argv);
int audit_trace_main(const struct gw_cli *cli, int argc, char **argv);
int audit_key_main(const struct gw_cli *cli, int argc, char **argv);

#endif
