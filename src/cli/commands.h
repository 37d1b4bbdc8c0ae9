/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The subcommands: each parses its own arguments and returns the process exit status. */
#ifndef MEMSPY_COMMANDS_H
#define MEMSPY_COMMANDS_H

int cmd_attach(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_flamegraph(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_dump(int argc, char **argv);

#endif
