/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `memspy attach`: parse the options of a recording run and start it. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_args.h"
#include "cli/commands.h"
#include "memspy/events.h"
#include "run/run.h"

static void attach_usage(FILE *f)
{
	fprintf(f,
		"usage: memspy attach [options] <pid> [-- CMD [ARGS]]\n"
		"       memspy attach [options] -p <pid> [-- CMD [ARGS]]\n"
		"\n"
		"Record the live heap and the CPU time of a running process until Ctrl-C,\n"
		"SIGTERM, -d SECONDS or the target's exit; the process keeps running (the\n"
		"in-process sampler memspy maps into it stays, inert, unless --no-inject).\n"
		"Writes heap.folded, heap.svg, cpu.folded, cpu.svg, timeline.svg\n"
		"and report.txt to the output directory and prints the report.\n"
		"\n"
		"Leak suspects are judged against the bytes the process allocated, not the\n"
		"time: memory that grew under load and stayed is a suspect; with no load there\n"
		"is nothing to judge. Give the load as CMD after --: it starts once the probes\n"
		"are live, as the user who ran sudo (SUDO_UID, SUDO_GID), and the run ends\n"
		"when it exits (or at -d, Ctrl-C or the target's exit, whichever comes first;\n"
		"Ctrl-C is passed on to it, and a CMD still running a few seconds later gets\n"
		"SIGTERM, then SIGKILL). Its output is echoed to stderr, and its status and\n"
		"last lines go into the report. memspy exits with CMD's status when CMD failed\n"
		"(128+N when signal N killed it), with its own otherwise.\n"
		"\n"
		"options:\n"
		"  -p, --pid PID          process to attach to (or give it as the argument)\n"
		"  -d, --duration SECS    stop after SECS seconds (default: until Ctrl-C)\n"
		"  -o, --output DIR       output directory (default memspy-<pid>-<YYYYmmdd-HHMMSS>)\n"
		"  -s, --sample-bytes N   mean bytes between sampled allocations (default 512K;\n"
		"                         suffixes K, M, G). 1 records every allocation: exact\n"
		"                         bytes, and counts frees of blocks never seen allocated\n"
		"      --all              same as --sample-bytes 1\n"
		"      --max-samples N    while more than N allocations a second are sampled\n"
		"                         (default 512), the in-process sampler doubles its\n"
		"                         mean until they are fewer; each sample is weighed by\n"
		"                         the mean it was drawn at. 0, or --sample-bytes\n"
		"                         without it, keeps the mean fixed\n"
		"      --python-share N   hook CPython's allocator 1/N of the time, in windows of\n"
		"                         20 ms, sampling N times as densely there (default 8;\n"
		"                         1, 2, 4, ... 64): a Python process runs at nearly its\n"
		"                         own speed; 1 hooks it throughout\n"
		"      --stack-bytes N    user stack copied per sample (default 16K, 32K for\n"
		"                         node and Java, whose stacks are deep; max 32K);\n"
		"                         deeper stacks are reported as truncated\n"
		"      --max-tracked N    tracked live blocks (default 2M); more are counted as\n"
		"                         dropped\n"
		"      --max-stacks N     distinct stacks kept (default 64K; suffixes K, M):\n"
		"                         memspy's memory stays bounded on long runs; samples\n"
		"                         at stacks past it count under [other stacks]\n"
		"  -F, --freq HZ          CPU samples per second of CPU time (default 99)\n"
		"      --kernel           add the kernel part of CPU stacks (frames end in _[k])\n"
		"      --threads          put the thread, name-tid, as the root of every stack\n"
		"      --off-cpu          also record where the threads wait off the CPU and\n"
		"                         for how long (sleep, futex/lock, socket/pipe, disk,\n"
		"                         preempted, GIL): offcpu.folded/.svg in microseconds\n"
		"                         per stack, wall.folded/.svg (on plus off CPU, one root\n"
		"                         per thread, idle threads under [idle threads]) and\n"
		"                         the report's top waits. Off by default: it adds a\n"
		"                         few percent of cost to a busy server\n"
		"      --off-cpu-period US  one off-CPU sample per US microseconds of a\n"
		"                         thread's waiting (default 5000); implies --off-cpu\n"
		"      --children         also follow the process's children, present and future\n"
		"                         (a gunicorn master and its workers): one directory of\n"
		"                         outputs per process, <pid>/, and merged files whose\n"
		"                         stacks start with the process, name-pid\n"
		"      --every SECS       also write a snapshot of every output so far each SECS\n"
		"                         seconds, into snap-0001/, snap-0002/, ... of the\n"
		"                         output directory; SIGUSR1 writes one at once\n"
		"      --keep N           keep only the newest N snapshots (default: all)\n"
		"      --no-cpu           do not sample the CPU\n"
		"      --no-rss           do not sample page faults (no rss.folded)\n"
		CLI_NO_INJECT_HELP
		CLI_NORMAL_PRIORITY_HELP
		"      --no-heap          do not track the heap\n"
		CLI_DEBUGINFOD_HELP
		"  -n, --top N            sites and functions listed in the report (default 10)\n"
		"  -q, --quiet            do not print the report (it is still written)\n"
		"  -v, --verbose          show libbpf's messages (twice for debug)\n"
		"  -h, --help             this text\n"
		"\n"
		"examples:\n"
		"  sudo memspy attach $(pidof redis-server)          # until Ctrl-C\n"
		"  sudo memspy attach -d 60 -o leak-run 4242          # one minute into ./leak-run\n"
		"  sudo memspy attach --sample-bytes 1 -d 10 4242     # every allocation, exact\n"
		"  sudo memspy attach 4242 -- wrk -d 30s http://127.0.0.1:8000/leak\n"
		"                                                     # for as long as wrk runs\n"
		"\n"
		"Needs root (BPF and uprobes) and a kernel with BTF. See memspy(1).\n");
}

enum {
	OPT_STACK_BYTES = CLI_OPT_FIRST_OWN,
	OPT_MAX_TRACKED,
	OPT_MAX_STACKS,
	OPT_KERNEL,
	OPT_THREADS,
	OPT_NO_RSS,
	OPT_EVERY,
	OPT_KEEP,
	OPT_OFF_CPU,
	OPT_OFF_CPU_PERIOD,
};

/* One option of attach's own (the shared ones are cli_run_option's): 0 when taken,
 * 1 after --help, 2 on a bad value (reported). */
static int attach_option(int c, const char *arg, struct run_opts *o)
{
	uint64_t v;
	char *end;

	switch (c) {
	case 'd':
		o->duration_s = strtod(arg, &end);
		if (*end || end == arg || !(o->duration_s > 0 && o->duration_s <= 1e7)) {
			fprintf(stderr,
				"memspy attach: --duration wants a positive number of seconds, "
				"not '%s'\n",
				arg);
			return 2;
		}
		return 0;
	case 'o':
		o->outdir = arg;
		return 0;
	case OPT_STACK_BYTES:
		if (cli_parse_size(arg, &v) || v < 512 || v > MS_MAX_STACK_BYTES) {
			fprintf(stderr,
				"memspy attach: --stack-bytes wants 512 to %d bytes, not '%s'\n",
				MS_MAX_STACK_BYTES, arg);
			return 2;
		}
		o->stack_bytes = (uint32_t)v;
		return 0;
	case OPT_MAX_TRACKED:
		if (cli_parse_size(arg, &v) || v < 1024 || v > (1u << 26)) {
			fprintf(stderr,
				"memspy attach: --max-tracked wants 1024 to 64M, not '%s'\n",
				arg);
			return 2;
		}
		o->max_tracked = (uint32_t)v;
		return 0;
	case OPT_MAX_STACKS:
		if (cli_parse_size(arg, &v) || v < 1024 || v > (1u << 24)) {
			fprintf(stderr,
				"memspy attach: --max-stacks wants 1024 to 16M, not '%s'\n",
				arg);
			return 2;
		}
		o->max_stacks = (size_t)v;
		return 0;
	case 'n':
		o->top_n = strtoul(arg, &end, 10);
		if (*end || end == arg) {
			fprintf(stderr, "memspy attach: --top wants a number, not '%s'\n",
				arg);
			return 2;
		}
		return 0;
	case OPT_EVERY:
		o->every_s = strtod(arg, &end);
		if (*end || end == arg || !(o->every_s >= 1 && o->every_s <= 1e7)) {
			fprintf(stderr,
				"memspy attach: --every wants a number of seconds, 1 or more, "
				"not '%s'\n",
				arg);
			return 2;
		}
		return 0;
	case OPT_KEEP:
		v = strtoul(arg, &end, 10);
		if (*end || end == arg || arg[0] == '-' || v < 1 || v > 1000000) {
			fprintf(stderr, "memspy attach: --keep wants a number of snapshots, "
					"1 or more, not '%s'\n",
				arg);
			return 2;
		}
		o->keep = (unsigned)v;
		return 0;
	case OPT_OFF_CPU_PERIOD:
		v = strtoull(arg, &end, 10);
		if (*end || end == arg || arg[0] == '-' || v < 10 || v > 10000000) {
			fprintf(stderr, "memspy attach: --off-cpu-period wants 10 to 10000000 "
					"microseconds, not '%s'\n",
				arg);
			return 2;
		}
		o->offcpu_period_us = v;
		/* fall through */
	case OPT_OFF_CPU:
		o->offcpu = true;
		return 0;
	case OPT_KERNEL:
		o->kernel = true;
		return 0;
	case OPT_THREADS:
		o->threads = true;
		return 0;
	case OPT_NO_RSS:
		o->no_rss = true;
		return 0;
	case 'q':
		o->quiet = true;
		return 0;
	case 'h':
		attach_usage(stdout);
		return 1;
	default:
		fprintf(stderr, "run 'memspy attach --help' for the options\n");
		return 2;
	}
}

static const struct option attach_longopts[] = {
	{"pid", required_argument, NULL, 'p'},
	{"duration", required_argument, NULL, 'd'},
	{"output", required_argument, NULL, 'o'},
	{"sample-bytes", required_argument, NULL, 's'},
	{"all", no_argument, NULL, CLI_OPT_ALL},
	{"max-samples", required_argument, NULL, CLI_OPT_MAX_SAMPLES},
	{"python-share", required_argument, NULL, CLI_OPT_PYTHON_SHARE},
	{"stack-bytes", required_argument, NULL, OPT_STACK_BYTES},
	{"max-tracked", required_argument, NULL, OPT_MAX_TRACKED},
	{"max-stacks", required_argument, NULL, OPT_MAX_STACKS},
	{"top", required_argument, NULL, 'n'},
	{"freq", required_argument, NULL, 'F'},
	{"kernel", no_argument, NULL, OPT_KERNEL},
	{"threads", no_argument, NULL, OPT_THREADS},
	{"no-cpu", no_argument, NULL, CLI_OPT_NO_CPU},
	{"no-heap", no_argument, NULL, CLI_OPT_NO_HEAP},
	{"no-rss", no_argument, NULL, OPT_NO_RSS},
	{"off-cpu", no_argument, NULL, OPT_OFF_CPU},
	{"off-cpu-period", required_argument, NULL, OPT_OFF_CPU_PERIOD},
	{"no-inject", no_argument, NULL, CLI_OPT_NO_INJECT},
	{"normal-priority", no_argument, NULL, CLI_OPT_NORMAL_PRIORITY},
	{"children", no_argument, NULL, CLI_OPT_CHILDREN},
	{"every", required_argument, NULL, OPT_EVERY},
	{"keep", required_argument, NULL, OPT_KEEP},
	CLI_DEBUGINFOD_LONGOPTS,
	{"quiet", no_argument, NULL, 'q'},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{0},
};

int cmd_attach(int argc, char **argv)
{
	struct run_opts o;
	int c;

	cli_run_defaults(&o);
	/* Everything after "--" is the load command's, options included. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--"))
			continue;
		if (i + 1 == argc) {
			fprintf(stderr, "memspy attach: '--' wants a command after it\n");
			return 2;
		}
		o.cmd = argv + i + 1;
		argc = i;
		break;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:d:o:s:n:F:qvh", attach_longopts, NULL)) != -1) {
		int shared = cli_run_option("attach", c, optarg, &o);
		if (shared < 0)
			return 2;
		if (shared)
			continue;
		int r = attach_option(c, optarg, &o);
		if (r)
			return r == 1 ? 0 : 2;
	}
	int bad = cli_run_finish("attach", argc, argv, optind, &o);
	if (bad)
		return bad;
	return run_main(&o);
}
