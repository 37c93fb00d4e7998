/* bordertrace — the researcher CLI's subcommands (internal header).
 *
 * Each subcommand is a function taking its own argv (argv[0] is the
 * subcommand name) and returning the process exit status: 0 success,
 * 1 bad input or data, 2 usage error. To add one, write bt_cmd_NAME in its
 * own file and add a line to the table in main.c. */
#ifndef BT_ANALYSIS_COMMANDS_H
#define BT_ANALYSIS_COMMANDS_H

#define BT_EXIT_OK 0
#define BT_EXIT_DATA 1
#define BT_EXIT_USAGE 2

int bt_cmd_resolve(int argc, char **argv);
int bt_cmd_diff(int argc, char **argv);
int bt_cmd_export(int argc, char **argv);

#endif
