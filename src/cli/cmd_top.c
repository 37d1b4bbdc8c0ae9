/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `memspy top`: follow a running process live, turning the run's snapshot (rows)
 * and counters (header) into what the terminal view draws. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "cli/cli_args.h"
#include "cli/commands.h"
#include "target/procstat.h"
#include "memspy/events.h"
#include "profile/profile.h"
#include "profile/stacktab.h"
#include "run/run.h"
#include "output/top_view.h"

/* Events are taken at least this often (ms), so the ring buffer never fills while
 * the screen waits for its next refresh; keys answer within this time too. */
#define POLL_MS 50
/* RSS growth is measured over this many refreshes. */
#define RSS_WINDOW 6
/* Rates are measured over at least this long. */
#define MIN_RATE_SPAN_S 0.25

static void top_usage(FILE *f)
{
	fprintf(f,
		"usage: memspy top [options] <pid>\n"
		"       memspy top [options] -p <pid>\n"
		"\n"
		"Show live, in the terminal, what memspy attach reports at the end: which call\n"
		"sites hold the heap and how fast they grow (leak suspects marked), and which\n"
		"functions burn CPU. The process keeps running when top quits (with the\n"
		"in-process sampler, as attach). Nothing is written to disk: use memspy\n"
		"attach for a report and flame\n"
		"graphs.\n"
		"\n"
		"options:\n"
		"  -p, --pid PID          process to watch (or give it as the argument)\n"
		"  -i, --interval SECS    refresh the screen every SECS seconds (default 1)\n"
		"  -s, --sample-bytes N   mean bytes between sampled allocations (default 512K;\n"
		"                         suffixes K, M, G); 1 records every allocation\n"
		"      --all              same as --sample-bytes 1\n"
		"      --max-samples N    while more than N allocations a second are sampled\n"
		"                         (default 512), the in-process sampler doubles its\n"
		"                         mean until they are fewer; each sample is weighed by\n"
		"                         the mean it was drawn at. 0, or --sample-bytes\n"
		"                         without it, keeps the mean fixed\n"
		"  -F, --freq HZ          CPU samples per second of CPU time (default 99)\n"
		"      --no-cpu           do not sample the CPU\n"
		"      --no-heap          do not track the heap\n"
		CLI_NO_INJECT_HELP
		CLI_NORMAL_PRIORITY_HELP
		"      --children         also follow its children (stacks start with name-pid)\n"
		CLI_DEBUGINFOD_HELP
		"  -v, --verbose          show libbpf's messages (twice for debug)\n"
		"  -h, --help             this text\n"
		"\n"
		"header:\n"
		"  RSS with its change since attach and per second, the estimated live heap,\n"
		"  allocations and frees per second, the target's CPU use (100%% = one CPU),\n"
		"  samples taken and, per kind, events lost (ring buffer full: lost frees make\n"
		"  live bytes overcount, lost allocations undercount).\n"
		"\n"
		"heap view (columns):\n"
		"  LIVE, BLOCKS   estimated bytes and blocks allocated at the site, not freed\n"
		"  GROWTH/s       change of live bytes per second over the last 5 seconds\n"
		"  SHARE          percent of the live heap; ALLOCATED: bytes allocated since attach\n"
		"  LEAK           live bytes grew steadily since attach: a leak suspect\n"
		"  SITE           first frame outside the allocator; Enter shows the whole stack\n"
		"cpu view: functions by %%OWN (on the CPU in the function itself) and %%TOTAL\n"
		"  (the function is on the stack), as py-spy top shows them.\n"
		"\n"
		"keys:\n"
		"  Up/Down PgUp/PgDn  move      Tab      heap / CPU view   Enter  site's stack\n"
		"  s or > <           sort by the next / previous column   i      invert order\n"
		"  p                  pause the display (recording goes on)\n"
		"  r                  reset: forget what was recorded, start over\n"
		"  ? or h             help      q, Ctrl-C  quit\n"
		"\n"
		"examples:\n"
		"  sudo memspy top $(pidof redis-server)\n"
		"  sudo memspy top -i 2 --no-cpu 4242       # heap only, refresh every 2 s\n"
		"\n"
		"Needs root (BPF and uprobes), a kernel with BTF and a terminal. See memspy(1).\n");
}

/* The live state behind the screen: the data shown and what rates are taken from. */
struct top {
	struct run *r;
	const struct run_opts *o;
	double interval_s;
	struct top_data d;
	size_t cap[MS_TOP_NR_TABLES];
	uint64_t base[MS_CNT_COUNT]; /* counters at attach or the last reset */
	uint64_t prev[MS_CNT_COUNT]; /* counters at the last refresh */
	uint64_t prev_ns;	     /* time of the last refresh; 0 before the first */
	uint64_t prev_cpu_ticks;     /* utime + stime at the last refresh */
	bool have_cpu_ticks;
	double rss_first;	     /* RSS at attach or the last reset */
	double rss_hist[RSS_WINDOW];
	uint64_t rss_hist_ns[RSS_WINDOW];
	size_t nr_rss_hist;
};

static void build_header(struct top *t, uint64_t now)
{
	struct top_header *h = &t->d.h;
	const pid_t pid = t->o->pid;
	uint64_t c[MS_CNT_COUNT], ticks;
	double dt = (double)(now - t->prev_ns) / 1e9;
	/* Rates over a few milliseconds (right after attach or a reset) would be noise:
	 * keep measuring from the previous refresh until enough time has passed. */
	bool rates = dt >= MIN_RATE_SPAN_S;

	run__counters(t->r, c);
	h->elapsed_s = (double)(now - run__start_ns(t->r)) / 1e9;
	h->sample_mean = run__sample_mean_now(t->r); /* raised in a storm */
	h->live_heap = profile__live_bytes(run__profile(t->r));
	h->heap_samples = c[MS_CNT_SAMPLED] - t->base[MS_CNT_SAMPLED];
	h->cpu_samples = c[MS_CNT_CPU_SAMPLES] - t->base[MS_CNT_CPU_SAMPLES];
	h->lost_allocs = c[MS_CNT_LOST_ALLOC] - t->base[MS_CNT_LOST_ALLOC];
	h->lost_frees = c[MS_CNT_LOST_FREE] - t->base[MS_CNT_LOST_FREE];
	h->lost_cpu = c[MS_CNT_LOST_CPU] - t->base[MS_CNT_LOST_CPU];
	struct stacktab_drops d;
	size_t max_sites;
	stacktab__drops(run__stacks(t->r), &d);
	/* the table outlives a reset (r key): so does its count */
	h->over_bounds = d.stacks + profile__folded(run__profile(t->r), &max_sites);
	if (rates) {
		h->alloc_rate = (double)(c[MS_CNT_ALLOC_CALLS] - t->prev[MS_CNT_ALLOC_CALLS]) / dt;
		h->alloc_bytes_rate =
			(double)(c[MS_CNT_ALLOC_BYTES] - t->prev[MS_CNT_ALLOC_BYTES]) / dt;
		h->free_rate = (double)(c[MS_CNT_FREE_CALLS] - t->prev[MS_CNT_FREE_CALLS]) / dt;
		memcpy(t->prev, c, sizeof(c));
	}

	/* CPU use from the kernel's accounting; the samples stand in if /proc says nothing. */
	if (procstat_cpu_ticks(pid, &ticks) == 0) {
		if (t->have_cpu_ticks && rates)
			h->cpu_pct = 100.0 * (double)(ticks - t->prev_cpu_ticks) /
				     (double)sysconf(_SC_CLK_TCK) / dt;
		if (rates || !t->have_cpu_ticks)
			t->prev_cpu_ticks = ticks;
		t->have_cpu_ticks = true;
	} else if (t->o->cpu && h->elapsed_s > 0) {
		h->cpu_pct = 100.0 * (double)h->cpu_samples / t->o->freq_hz / h->elapsed_s;
	}

	double rss = procstat_rss_bytes(pid);
	if (rss >= 0) {
		h->rss = rss;
		h->rss_since = rss - t->rss_first;
	}
	if (rss >= 0 && (rates || !t->nr_rss_hist)) {
		if (t->nr_rss_hist == RSS_WINDOW) {
			memmove(t->rss_hist, t->rss_hist + 1, sizeof(t->rss_hist[0]) * (RSS_WINDOW - 1));
			memmove(t->rss_hist_ns, t->rss_hist_ns + 1,
				sizeof(t->rss_hist_ns[0]) * (RSS_WINDOW - 1));
			t->nr_rss_hist--;
		}
		t->rss_hist[t->nr_rss_hist] = rss;
		t->rss_hist_ns[t->nr_rss_hist++] = now;
		if (t->nr_rss_hist >= 2)
			h->rss_rate = (rss - t->rss_hist[0]) /
				      ((double)(now - t->rss_hist_ns[0]) / 1e9);
	}
	if (rates)
		t->prev_ns = now;
}

/* Take a new picture of the run for the screen. */
static void top_refresh(struct top *t)
{
	uint64_t now = clock_now_ns();

	build_header(t, now);
	if (t->o->heap)
		t->d.nr_rows[MS_TOP_HEAP] =
			run__heap_rows(t->r, &t->d.rows[MS_TOP_HEAP], &t->cap[MS_TOP_HEAP]);
	if (t->o->cpu)
		t->d.nr_rows[MS_TOP_CPU] =
			run__cpu_rows(t->r, &t->d.rows[MS_TOP_CPU], &t->cap[MS_TOP_CPU]);
	t->d.stacks = run__stacks(t->r);
}

/* Start the counting over: at attach, and on the r key. */
static void top_restart(struct top *t)
{
	run__counters(t->r, t->base);
	memcpy(t->prev, t->base, sizeof(t->base));
	t->prev_ns = clock_now_ns();
	t->have_cpu_ticks = procstat_cpu_ticks(t->o->pid, &t->prev_cpu_ticks) == 0;
	t->rss_first = procstat_rss_bytes(t->o->pid);
	t->nr_rss_hist = 0;
	if (t->rss_first >= 0) {
		t->rss_hist[0] = t->rss_first;
		t->rss_hist_ns[0] = t->prev_ns;
		t->nr_rss_hist = 1;
	} else {
		t->rss_first = 0;
	}
	struct top_header *h = &t->d.h;
	h->alloc_rate = h->alloc_bytes_rate = h->free_rate = -1;
	h->cpu_pct = -1;
	h->rss_rate = -1e308;
	h->rss = t->rss_first;
	h->rss_since = 0;
}

enum top_end { TOP_END_QUIT, TOP_END_SIGNAL, TOP_END_EXITED, TOP_END_ERROR };

/* Follow the run and the keys until one of them ends it. */
static enum top_end top_loop(struct top *t, struct top_view *v, int *err)
{
	uint64_t interval = (uint64_t)(t->interval_s * 1e9), next = 0;

	for (;;) {
		int r = run__poll(t->r, POLL_MS);
		if (r == RUN_SIGNALLED)
			return TOP_END_SIGNAL;
		if (r == RUN_TARGET_EXITED)
			return TOP_END_EXITED;
		if (r < 0) {
			*err = r;
			return TOP_END_ERROR;
		}
		if (r)
			return TOP_END_QUIT;
		int k = top_view__keys(v);
		if (k & TOP_KEY_QUIT)
			return TOP_END_QUIT;
		if (k & TOP_KEY_RESET) {
			run__reset(t->r);
			top_restart(t);
			next = 0;
		}
		if ((k & TOP_KEY_PAUSE) && !top_view__paused(v))
			next = 0;
		uint64_t now = clock_now_ns();
		/* A reset refreshes even while paused, or the screen would show what is gone. */
		if (now >= next && (!top_view__paused(v) || (k & TOP_KEY_RESET))) {
			top_refresh(t);
			top_view__draw(v, &t->d);
			next = now + interval;
		} else if (k) {
			top_view__draw(v, &t->d);
		}
	}
}

static int top_run(const struct run_opts *o, double interval_s)
{
	struct top t = {.o = o, .interval_s = interval_s};
	char why[128];
	int err = 0, status = 0;

	if (top_view_check_terminal(why, sizeof(why))) {
		fprintf(stderr,
			"memspy top: %s, and the live view needs one; to record without a "
			"terminal, use 'memspy attach %d'\n",
			why, (int)o->pid);
		return 2;
	}
	t.r = run__open(o);
	if (!t.r)
		return 1;
	uint64_t attached_ns = run__start_ns(t.r); /* a reset moves the run's start */
	t.d.h = (struct top_header){
		.pid = o->pid,
		.comm = run__comm(t.r),
		.sample_mean = o->sample_mean,
		.freq_hz = o->freq_hz,
		.interval_s = interval_s,
		.heap = o->heap,
		.heap_mode = run__heap_mode(t.r),
		.cpu = o->cpu,
	};
	top_restart(&t);
	struct top_view *v = top_view__new(o->heap ? MS_TOP_HEAP : MS_TOP_CPU);
	if (!v) {
		fprintf(stderr, "memspy top: cannot set up the terminal: %s\n", strerror(errno));
		run__free(t.r);
		return 1;
	}
	enum top_end end = top_loop(&t, v, &err);
	double secs = (double)(clock_now_ns() - attached_ns) / 1e9;
	/* The terminal first, whatever ended the run: every message below must be readable. */
	top_view__free(v);
	/* Taking the probes out waits for the kernel: a tenth of a second, seconds on
	 * kernels without uprobe_multi links (one wait per probe). */
	if (end != TOP_END_EXITED)
		fprintf(stderr, "memspy top: detaching from pid %d...\n", (int)o->pid);
	run__stop(t.r);
	switch (end) {
	case TOP_END_EXITED:
		printf("memspy top: pid %d (%s) exited after %.1f s\n", (int)o->pid,
		       run__comm(t.r), secs);
		break;
	case TOP_END_ERROR:
		fprintf(stderr, "memspy top: reading the BPF ring buffer failed: %s\n",
			strerror(-err));
		status = 1;
		break;
	case TOP_END_QUIT:
	case TOP_END_SIGNAL:
		break;
	}
	run__free(t.r);
	for (int i = 0; i < MS_TOP_NR_TABLES; i++)
		free(t.d.rows[i]);
	return status;
}



int cmd_top(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"pid", required_argument, NULL, 'p'},
		{"interval", required_argument, NULL, 'i'},
		{"sample-bytes", required_argument, NULL, 's'},
		{"all", no_argument, NULL, CLI_OPT_ALL},
		{"max-samples", required_argument, NULL, CLI_OPT_MAX_SAMPLES},
		{"freq", required_argument, NULL, 'F'},
		{"no-cpu", no_argument, NULL, CLI_OPT_NO_CPU},
		{"no-heap", no_argument, NULL, CLI_OPT_NO_HEAP},
		{"no-inject", no_argument, NULL, CLI_OPT_NO_INJECT},
		{"normal-priority", no_argument, NULL, CLI_OPT_NORMAL_PRIORITY},
		{"children", no_argument, NULL, CLI_OPT_CHILDREN},
		CLI_DEBUGINFOD_LONGOPTS,
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct run_opts o;
	double interval = 1;
	char *end;
	int c;

	cli_run_defaults(&o);
	o.no_output = true;
	o.no_rss = true; /* the views are the heap and the CPU: page faults would go unseen */
	o.quiet_attach = true;
	o.quiet = true;
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:i:s:F:vh", longopts, NULL)) != -1) {
		int shared = cli_run_option("top", c, optarg, &o);
		if (shared < 0)
			return 2;
		if (shared)
			continue;
		switch (c) {
		case 'i':
			interval = strtod(optarg, &end);
			if (*end || end == optarg || !(interval >= 0.1 && interval <= 3600)) {
				fprintf(stderr,
					"memspy top: --interval wants seconds from 0.1 to 3600, not "
					"'%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'h':
			top_usage(stdout);
			return 0;
		default:
			fprintf(stderr, "run 'memspy top --help' for the options\n");
			return 2;
		}
	}
	int bad = cli_run_finish("top", argc, argv, optind, &o);
	if (bad)
		return bad;
	return top_run(&o, interval);
}
