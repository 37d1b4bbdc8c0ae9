/* SPDX-License-Identifier: GPL-2.0-or-later */
/* memspy's entry point: dispatch to a subcommand. */
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "cli/commands.h"
#include "run/run.h"
#include "config.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{"attach", cmd_attach, "record heap and CPU of a running process until Ctrl-C"},
	{"top", cmd_top, "live terminal view of a running process: heap sites and CPU"},
	{"dump", cmd_dump, "every thread's stack now, native and Python, without stopping it"},
	{"flamegraph", cmd_flamegraph, "draw folded stacks as an interactive SVG flame graph"},
	{"diff", cmd_diff, "compare two profiles: differential flame graph or folded deltas"},
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: memspy <command> [options] ...\n\n"
		   "memspy profiles a process that is already running: live heap, leak\n"
		   "suspects and CPU, with complete stacks on binaries without frame pointers.\n\n"
		   "commands:\n");
	for (size_t i = 0; i < NR_COMMANDS; i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nRun 'memspy <command> --help' for a command's options, 'man memspy' for more.\n"
		   "example: sudo memspy attach -d 30 $(pidof myserver)\n");
}

/* Every message of the library reaches the user here: one line on stderr, named. */
static void cli_log(enum ms_log_level level, const char *msg, void *ctx)
{
	fprintf(stderr, "memspy: %s\n", msg);
}

int main(int argc, char **argv)
{
	ms_log_set_sink(cli_log, NULL);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
		char libs[128];

		run__lib_versions(libs, sizeof(libs));
		printf("memspy %s (%s)\n", PACKAGE_VERSION, libs);
		return 0;
	}
	for (size_t i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(name, commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "memspy: unknown command '%s'; run 'memspy --help' for the list\n", name);
	return 2;
}
