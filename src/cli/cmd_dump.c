/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `memspy dump`: every thread's stack now, native and Python merged. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli_args.h"
#include "cli/commands.h"
#include "memspy/events.h"
#include "output/dump_print.h"
#include "profile/thread_dump.h"
#include "run/dump.h"

static void dump_usage(FILE *f)
{
	fprintf(f,
		"usage: memspy dump [options] <pid>\n"
		"\n"
		"Print each thread of a running process now: its name and tid, what it is\n"
		"doing (running, or sleeping in which system call), for Python which thread\n"
		"holds the GIL, and its stack, innermost frame first, with the Python frames\n"
		"(function, file and line) in place of the interpreter's own. Stacks are\n"
		"complete on binaries built without frame pointers (DWARF CFI).\n"
		"\n"
		"Nothing is stopped or signalled by default: a BPF task iterator copies each\n"
		"waiting thread's saved registers and stack as they are, so a thread in\n"
		"epoll_wait or a lock keeps waiting undisturbed. A thread that was running on\n"
		"a CPU is read by a one-shot cpu-clock sample while it runs instead; one that\n"
		"neither runs nor blocks within 0.1 s is listed without a stack.\n"
		"\n"
		"options:\n"
		"  -p, --pid PID          process to read (or give it as the argument)\n"
		"      --consistent       read every stack at one instant: the threads that\n"
		"                         are running are stopped for the read (ptrace, from\n"
		"                         a helper process) and resumed, and how long is\n"
		"                         printed (about 1 to 9 ms here); blocked threads are\n"
		"                         never interrupted, so no call returns EINTR (a\n"
		"                         SIGSTOP would make epoll_wait do so). Fails on a\n"
		"                         process that a debugger or strace traces\n"
		"  -j, --json             one JSON document for tools: pid, comm, python,\n"
		"                         stopped_ms and threads, each with tid, name, state,\n"
		"                         on_cpu, syscall, read, gil, complete and frames\n"
		"                         (function, file, line, module, python, inlined)\n"
		"      --stack-bytes N    user stack copied per thread (default 16K, max 32K)\n"
		"  -v, --verbose          show libbpf's messages\n"
		"  -h, --help             this text\n"
		"\n"
		"output:\n"
		"  one block per thread, the main thread first, then by tid:\n"
		"    Thread 4242 \"worker\": sleeping in futex, holds the GIL\n"
		"        __pthread_mutex_lock (./nptl/pthread_mutex_lock.c:93) [libc.so.6]\n"
		"        handle (app.py:42)\n"
		"  native frames: function (file:line) [module], calls inlined into a\n"
		"  function listed before it as (inlined); Python frames: function\n"
		"  (file.py:LINE). [sampled while running]: the thread was on a CPU and\n"
		"  was read by a sample; \"stack truncated\": unwinding did not reach main\n"
		"  or the thread's start (a stack deeper than --stack-bytes).\n"
		"\n"
		"examples:\n"
		"  sudo memspy dump $(pidof myserver)\n"
		"  sudo memspy dump --json 1234 | python3 -m json.tool\n"
		"  sudo memspy dump --consistent 1234\n");
}

enum { OPT_CONSISTENT = CLI_OPT_FIRST_OWN, OPT_STACK_BYTES };

static const struct option dump_longopts[] = {
	{"pid", required_argument, NULL, 'p'},
	{"consistent", no_argument, NULL, OPT_CONSISTENT},
	{"json", no_argument, NULL, 'j'},
	{"stack-bytes", required_argument, NULL, OPT_STACK_BYTES},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* Returns -1 to go on, or the exit status. */
static int parse(int argc, char **argv, struct dump_opts *o, bool *json)
{
	const char *pid_arg = NULL;
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "p:jvh", dump_longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pid_arg = optarg;
			break;
		case OPT_CONSISTENT:
			o->consistent = true;
			break;
		case 'j':
			*json = true;
			break;
		case OPT_STACK_BYTES:
			if (cli_parse_size(optarg, &v) || v < 512 || v > MS_MAX_STACK_BYTES) {
				fprintf(stderr,
					"memspy dump: --stack-bytes wants 512 to %d bytes, not '%s'\n",
					MS_MAX_STACK_BYTES, optarg);
				return 2;
			}
			o->stack_bytes = (uint32_t)v;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			dump_usage(stdout);
			return 0;
		default:
			fprintf(stderr, "memspy dump: run 'memspy dump --help' for the options\n");
			return 2;
		}
	}
	if (!pid_arg && optind < argc)
		pid_arg = argv[optind++];
	if (!pid_arg) {
		fprintf(stderr, "memspy dump: which process? give its pid: memspy dump <pid>\n");
		return 2;
	}
	if (optind < argc) {
		fprintf(stderr, "memspy dump: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (cli_parse_pid(pid_arg, &o->pid)) {
		fprintf(stderr, "memspy dump: '%s' is not a process id\n", pid_arg);
		return 2;
	}
	return -1;
}

int cmd_dump(int argc, char **argv)
{
	struct dump_opts o = {.stack_bytes = MS_DEFAULT_STACK_BYTES};
	struct thread_dump *d;
	bool json = false;
	int st = parse(argc, argv, &o, &json);

	if (st >= 0)
		return st;
	if (dump_read(&o, &d))
		return 1;
	if (json)
		dump_print_json(stdout, d);
	else
		dump_print_text(stdout, d);
	thread_dump__free(d);
	return 0;
}
