/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The command line shared by the recording commands (attach, top): option values,
 * the options both take, and the target pid. */
#include <errno.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>

#include "cli/cli_args.h"
#include "memspy/events.h"
#include "run/mean_adapt.h"
#include "run/run.h"

#define DEFAULT_SAMPLE_BYTES (512 * 1024)
/* CPython's allocation fields hooked 1/8 of the time: a Flask worker's hooks and
 * pymalloc out of line cost it ~6.5% hooked throughout (README, Performance) */
#define DEFAULT_PY_SHIFT 3

int cli_parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || s[0] == '-')
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	default: break;
	}
	if (*end == 'i' || *end == 'B')
		end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

int cli_parse_pid(const char *s, pid_t *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > INT_MAX)
		return -EINVAL;
	*out = (pid_t)v;
	return 0;
}

void cli_run_defaults(struct run_opts *o)
{
	*o = (struct run_opts){
		.sample_mean = DEFAULT_SAMPLE_BYTES,
		.max_samples = MS_MEAN_MAX_SAMPLES,
		.py_shift = DEFAULT_PY_SHIFT,
		.max_tracked = 2 << 20,
		.top_n = 10,
		.heap = true,
		.cpu = true,
		.freq_hz = 99,
		.debuginfod_timeout_s = 5,
	};
}

int cli_run_option(const char *cmd, int c, const char *arg, struct run_opts *o)
{
	uint64_t v;
	char *end;

	switch (c) {
	case 'p':
		if (cli_parse_pid(arg, &o->pid)) {
			fprintf(stderr, "memspy %s: '%s' is not a process id\n", cmd, arg);
			return -1;
		}
		return 1;
	case 's':
		if (cli_parse_size(arg, &v) || v == 0) {
			fprintf(stderr,
				"memspy %s: --sample-bytes wants a size in bytes such as 512K or 1, "
				"not '%s'\n",
				cmd, arg);
			return -1;
		}
		o->sample_mean = v;
		o->sample_mean_given = true;
		return 1;
	case CLI_OPT_ALL:
		o->sample_mean = 1;
		o->sample_mean_given = true;
		return 1;
	case CLI_OPT_MAX_SAMPLES:
		v = strtoul(arg, &end, 10);
		if (*end || end == arg || arg[0] == '-' || v > 1000000) {
			fprintf(stderr,
				"memspy %s: --max-samples wants a number of samples a second "
				"(0 to 1000000; 0 keeps the mean fixed), not '%s'\n",
				cmd, arg);
			return -1;
		}
		o->max_samples = (uint32_t)v;
		o->max_samples_given = true;
		return 1;
	case CLI_OPT_PYTHON_SHARE:
		v = strtoul(arg, &end, 10);
		if (*end || end == arg || arg[0] == '-' || v < 1 || v > 64 || (v & (v - 1))) {
			fprintf(stderr,
				"memspy %s: --python-share wants 1, 2, 4, 8, 16, 32 or 64 (Python "
				"objects sampled 1/N of the time), not '%s'\n",
				cmd, arg);
			return -1;
		}
		o->py_shift = (unsigned)__builtin_ctzll(v);
		return 1;
	case 'F':
		v = strtoul(arg, &end, 10);
		if (*end || end == arg || v < 1 || v > 10000) {
			fprintf(stderr, "memspy %s: --freq wants 1 to 10000 Hz, not '%s'\n", cmd, arg);
			return -1;
		}
		o->freq_hz = (uint32_t)v;
		return 1;
	case CLI_OPT_NO_CPU:
		o->cpu = false;
		return 1;
	case CLI_OPT_NO_HEAP:
		o->heap = false;
		return 1;
	case CLI_OPT_CHILDREN:
		o->children = true;
		return 1;
	case CLI_OPT_NO_INJECT:
		o->no_inject = true;
		return 1;
	case CLI_OPT_NORMAL_PRIORITY:
		o->normal_priority = true;
		return 1;
	case 'v':
		o->verbose++;
		return 1;
	case CLI_OPT_DEBUGINFOD:
		o->debuginfod = true;
		o->debuginfod_urls = arg;
		return 1;
	case CLI_OPT_DEBUGINFOD_TIMEOUT:
		o->debuginfod_timeout_s = strtod(arg, &end);
		if (*end || end == arg || !(o->debuginfod_timeout_s > 0 &&
					    o->debuginfod_timeout_s <= 3600)) {
			fprintf(stderr, "memspy %s: --debuginfod-timeout wants a positive number of "
					"seconds up to 3600, "
					"not '%s'\n",
				cmd, arg);
			return -1;
		}
		return 1;
	default:
		return 0;
	}
}

int cli_run_finish(const char *cmd, int argc, char **argv, int optind,
		       struct run_opts *o)
{
	if (optind < argc) {
		if (o->pid || optind + 1 < argc) {
			fprintf(stderr, "memspy %s: one pid, please (got extra '%s')\n", cmd,
				argv[optind + (o->pid ? 0 : 1)]);
			return 2;
		}
		if (cli_parse_pid(argv[optind], &o->pid)) {
			fprintf(stderr, "memspy %s: '%s' is not a process id\n", cmd, argv[optind]);
			return 2;
		}
	}
	/* a mean the user gave is kept, unless a bound was asked for too; every
	 * allocation (--all) has no mean to raise */
	if ((o->sample_mean_given && !o->max_samples_given) || o->sample_mean <= 1)
		o->max_samples = 0;
	if (!o->heap && !o->cpu && o->no_rss) {
		fprintf(stderr, "memspy %s: nothing left to record: the heap, the CPU and page "
				"faults are all turned off\n",
			cmd);
		return 2;
	}
	if (!o->pid) {
		fprintf(stderr, "memspy %s: which process? give its pid: memspy %s <pid>\n", cmd,
			cmd);
		return 2;
	}
	return 0;
}
