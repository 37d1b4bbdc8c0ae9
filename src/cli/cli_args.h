/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The command line shared by the recording commands (attach, top): option values,
 * the options both take, and the target pid. */
#ifndef MEMSPY_CLI_ARGS_H
#define MEMSPY_CLI_ARGS_H

#include <stdint.h>
#include <sys/types.h>

/* "512K", "1M", "4096", "2GiB" -> bytes. Returns 0 or -EINVAL. */
int cli_parse_size(const char *s, uint64_t *out);
/* A positive process id. Returns 0 or -EINVAL. */
int cli_parse_pid(const char *s, pid_t *out);

struct run_opts;

/* Long options both commands take, beside their single-letter -p, -s, -F, -v. */
enum {
	CLI_OPT_ALL = 256,
	CLI_OPT_NO_CPU,
	CLI_OPT_NO_HEAP,
	CLI_OPT_CHILDREN,
	CLI_OPT_NO_INJECT,
	CLI_OPT_DEBUGINFOD,
	CLI_OPT_DEBUGINFOD_TIMEOUT,
	CLI_OPT_PYTHON_SHARE,
	CLI_OPT_MAX_SAMPLES,
	CLI_OPT_NORMAL_PRIORITY,
	CLI_OPT_FIRST_OWN, /* a command's own long options start here */
};

/* getopt_long entries of the shared debuginfod options, for each command's table. */
#define CLI_DEBUGINFOD_LONGOPTS                                                       \
	{"debuginfod", optional_argument, NULL, CLI_OPT_DEBUGINFOD},                  \
	{"debuginfod-timeout", required_argument, NULL, CLI_OPT_DEBUGINFOD_TIMEOUT}
/* --no-inject's line in each command's --help */
#define CLI_NO_INJECT_HELP                                                            \
	"      --no-inject        write nothing into the target: watch the heap with\n"   \
	"                         uprobes on the allocator, not the in-process sampler\n"   \
	"                         (which also samples CPython's small objects)\n"
/* --normal-priority's lines in each command's --help */
#define CLI_NORMAL_PRIORITY_HELP                                                      \
	"      --normal-priority  keep memspy at normal CPU priority while recording\n"   \
	"                         (default: SCHED_IDLE while a CPU is idle, so the\n"      \
	"                         target's threads come first)\n"
/* Their lines in each command's --help. */
#define CLI_DEBUGINFOD_HELP                                                               \
	"      --debuginfod[=URLS]  fetch the debug info of modules that have none here\n"  \
	"                         by build-id from debuginfod servers (URLS, else\n"         \
	"                         DEBUGINFOD_URLS, else /etc/debuginfod/*.urls); on\n"       \
	"                         by itself when DEBUGINFOD_URLS is set\n"                   \
	"      --debuginfod-timeout SECS  time all fetching may take (default 5)\n"

/* Defaults of a recording run. */
void cli_run_defaults(struct run_opts *o);
/* Apply option c (with optarg arg) if it is one both commands share. Returns 1 when
 * it was, 0 when it is the command's own, -1 after printing why arg is wrong. */
int cli_run_option(const char *cmd, int c, const char *arg, struct run_opts *o);
/* Take the pid from the arguments left after the options and check the options
 * agree. Returns 0, or 2 after printing a usage error. */
int cli_run_finish(const char *cmd, int argc, char **argv, int optind,
		       struct run_opts *o);

#endif
