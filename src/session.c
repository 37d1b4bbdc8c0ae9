/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One recording run: attach to a process, follow it until the end, write the outputs.
 * The pipeline flows one way: probes -> capture -> unwind -> symbolize -> profile -> sinks. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>

#include "allocator.h"
#include "bpf_errors.h"
#include "capture.h"
#include "folded.h"
#include "heap_probes.h"
#include "leak.h"
#include "memspy/events.h"
#include "outdir.h"
#include "profile.h"
#include "report.h"
#include "session.h"
#include "stacktab.h"
#include "target_dwfl.h"

#define MS_MAX_FRAMES 256    /* unwound frames kept per stack */
#define MS_MAX_NAMES 512     /* frames after inline expansion */
#define MS_MAX_SUSPECTS 32
#define TICK_NS 1000000000ULL

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

struct session {
	const struct session_opts *o;
	struct target_dwfl *dwfl;
	struct stacktab *stacks;
	struct profile *profile;
	struct heap_totals totals;
	uint32_t unknown_frame;	   /* "[unknown]" */
	uint32_t truncated_frame;  /* root of stacks that did not unwind to the end */
	double *rss;		   /* target RSS in bytes, one point per tick */
	size_t nr_rss, cap_rss;
	uint64_t start_ns;
	char comm[64];
	char dir[4096];
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void read_comm(pid_t pid, char *buf, size_t size)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	FILE *f = fopen(path, "re");
	buf[0] = '\0';
	if (f) {
		if (fgets(buf, (int)size, f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
}

static double read_rss_bytes(pid_t pid)
{
	char path[64];
	unsigned long size, resident;
	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	int n = fscanf(f, "%lu %lu", &size, &resident);
	fclose(f);
	return n == 2 ? (double)resident * (double)sysconf(_SC_PAGESIZE) : -1;
}

/* Check the pid names a user process we may attach to. Prints the reason. */
static int check_target(pid_t pid)
{
	char path[64], buf[16];
	if (pid <= 0) {
		fprintf(stderr, "memspy: %d is not a process id\n", (int)pid);
		return -EINVAL;
	}
	if (pid == getpid()) {
		fprintf(stderr, "memspy: pid %d is memspy itself\n", (int)pid);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (access(path, F_OK)) {
		fprintf(stderr, "memspy: no process with pid %d (check the pid with ps or pidof)\n",
			(int)pid);
		return -ESRCH;
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if (readlink(path, buf, sizeof(buf)) < 0 && errno == ENOENT) {
		fprintf(stderr,
			"memspy: pid %d is a kernel thread (it has no user-space memory to profile)\n",
			(int)pid);
		return -EINVAL;
	}
	return 0;
}

/* Turn innermost-first lookup addresses into interned frame ids, root first. */
static size_t frames_of(struct session *s, const uint64_t *pcs, size_t n, bool complete,
			uint32_t *out, size_t max)
{
	const char *names[32];
	size_t k = 0;

	if (n == 0 && k < max)
		out[k++] = s->unknown_frame;
	for (size_t i = n; i-- > 0 && k < max;) {
		size_t m = target_dwfl__symbolize(s->dwfl, pcs[i], names, 32);
		for (size_t j = 0; j < m && k < max; j++)
			out[k++] = stacktab__frame(s->stacks, names[j]);
	}
	return k;
}

static int on_alloc(struct session *s, const struct ms_alloc_event *ev, size_t size)
{
	uint64_t pcs[MS_MAX_FRAMES];
	uint32_t frames[MS_MAX_NAMES];
	bool complete = false;
	size_t len = ev->stack_len;
	uint32_t id;

	if (size < MS_ALLOC_EVENT_HDR_SIZE || len > size - MS_ALLOC_EVENT_HDR_SIZE)
		return 0; /* malformed record: ignore rather than trust */
	size_t n = target_dwfl__unwind(s->dwfl, (pid_t)ev->hdr.tid, (const uint64_t *)ev->regs, ev->stack, len, true,
				       pcs, MS_MAX_FRAMES, &complete);
	if (n == 0)
		s->totals.unwind_failed++;
	if (!complete)
		s->totals.truncated++;
	size_t nf = frames_of(s, pcs, n, complete, frames, MS_MAX_NAMES);
	if (stacktab__intern(s->stacks, frames, nf, !complete, &id))
		return 0;
	profile__alloc(s->profile, ev->addr, ev->size, id, ev->hdr.ts_ns);
	return 0;
}

static int on_record(void *ctx, const void *data, size_t size)
{
	struct session *s = ctx;
	const struct ms_event_header *h = data;

	if (size < sizeof(*h) || h->tgid != (uint32_t)s->o->pid)
		return 0;
	switch (h->kind) {
	case MS_EV_ALLOC:
		return on_alloc(s, data, size);
	case MS_EV_FREE:
		if (size >= sizeof(struct ms_free_event))
			profile__free_block(s->profile, ((const struct ms_free_event *)data)->addr,
					    h->ts_ns);
		return 0;
	default:
		return 0;
	}
}

static void tick(struct session *s, uint64_t ts)
{
	profile__tick(s->profile, ts);
	double rss = read_rss_bytes(s->o->pid);
	if (s->nr_rss == s->cap_rss) {
		size_t nc = s->cap_rss ? s->cap_rss * 2 : 256;
		double *nr = realloc(s->rss, nc * sizeof(*nr));
		if (!nr)
			return;
		s->rss = nr;
		s->cap_rss = nc;
	}
	/* An exited target keeps its last reading. */
	if (rss < 0)
		rss = s->nr_rss ? s->rss[s->nr_rss - 1] : 0;
	s->rss[s->nr_rss++] = rss;
}

static int write_heap_folded(struct session *s)
{
	struct atomic_file af = {0};
	size_t n;
	const struct site_stats *sites = profile__sites(s->profile, &n);
	uint32_t *ids = calloc(n ? n : 1, sizeof(*ids));
	uint64_t *vals = calloc(n ? n : 1, sizeof(*vals));
	int err = -ENOMEM;

	if (!ids || !vals)
		goto out;
	for (size_t i = 0; i < n; i++) {
		ids[i] = sites[i].stack_id;
		vals[i] = sites[i].live_bytes > 0 ? (uint64_t)(sites[i].live_bytes + 0.5) : 0;
	}
	err = atomic_file__open(&af, s->dir, "heap.folded");
	if (!err)
		err = folded_write(af.f, s->stacks, ids, vals, n, NULL);
	err = err ? err : atomic_file__commit(&af);
out:
	if (err) {
		atomic_file__abort(&af);
		fprintf(stderr, "memspy: cannot write %s/heap.folded: %s\n", s->dir, strerror(-err));
	}
	free(ids);
	free(vals);
	return err;
}

static int write_report(struct session *s, const struct allocator *a, const char *end_reason,
			uint64_t end_ns)
{
	struct leak_suspect suspects[MS_MAX_SUSPECTS];
	uint64_t mean = s->o->sample_mean;
	double noise = mean <= 1 ? 0 : 3.0 * (double)mean;
	size_t nsus = leak_rank(s->profile, noise, suspects, MS_MAX_SUSPECTS);
	struct report_input in = {
		.pid = s->o->pid,
		.comm = s->comm,
		.allocator = a->module,
		.allocator_why = a->why,
		.end_reason = end_reason,
		.duration_s = (double)(end_ns - s->start_ns) / 1e9,
		.now_ns = end_ns,
		.stacks = s->stacks,
		.profile = s->profile,
		.suspects = suspects,
		.nr_suspects = nsus,
		.totals = s->totals,
		.top_n = s->o->top_n,
	};
	struct atomic_file af = {0};
	int err = atomic_file__open(&af, s->dir, "report.txt");

	if (!err) {
		report_write(af.f, &in);
		err = atomic_file__commit(&af);
	}
	if (err) {
		atomic_file__abort(&af);
		fprintf(stderr, "memspy: cannot write %s/report.txt: %s\n", s->dir, strerror(-err));
	}
	if (!s->o->quiet)
		report_write(stdout, &in);
	return err;
}

static void install_signals(void)
{
	struct sigaction sa = {0};

	/* sigaction, not signal(): a background job of a non-interactive shell starts
	 * with SIGINT ignored, and kill -INT must still end the run. */
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static const char *signal_reason(int sig)
{
	switch (sig) {
	case SIGINT:
		return "interrupted (SIGINT)";
	case SIGTERM:
		return "terminated (SIGTERM)";
	default:
		return "hangup (SIGHUP)";
	}
}

/* A pidfd turns readable when the process exits, zombie or not. */
static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	errno = ENOSYS;
	return -1;
#endif
}

static bool target_exited(pid_t pid, int pidfd)
{
	if (pidfd >= 0) {
		struct pollfd p = {.fd = pidfd, .events = POLLIN};
		return poll(&p, 1, 0) > 0;
	}
	return kill(pid, 0) && errno == ESRCH;
}

int session_run(const struct session_opts *o)
{
	struct session s = {.o = o};
	struct allocator alloc = {0};
	struct heap_probes *probes = NULL;
	struct capture *cap = NULL;
	char err[512];
	const char *end_reason = "stopped";
	uint64_t counters[MS_CNT_COUNT] = {0};
	int status = 1, e, pidfd = -1;

	install_signals();
	bpf_set_verbose(o->verbose);
	if (check_target(o->pid))
		return 1;
	if (bpf_check_environment(err, sizeof(err))) {
		fprintf(stderr, "memspy: %s\n", err);
		return 1;
	}
	read_comm(o->pid, s.comm, sizeof(s.comm));
	if (o->outdir)
		snprintf(s.dir, sizeof(s.dir), "%s", o->outdir);
	else
		outdir_default_name(o->pid, time(NULL), s.dir, sizeof(s.dir));
	e = outdir_create(s.dir);
	if (e) {
		fprintf(stderr, "memspy: cannot create output directory %s: %s\n", s.dir,
			strerror(-e));
		return 1;
	}
	e = allocator_resolve_pid(o->pid, &alloc);
	if (e) {
		if (e == -ENOENT && kill(o->pid, 0) == 0)
			fprintf(stderr,
				"memspy: pid %d: no allocator found (no mapped module defines malloc)\n",
				(int)o->pid);
		else
			fprintf(stderr, "memspy: cannot read the mappings of pid %d: %s\n",
				(int)o->pid, strerror(-e));
		goto out;
	}
	s.stacks = stacktab__new();
	s.profile = profile__new(o->sample_mean);
	if (!s.stacks || !s.profile) {
		fprintf(stderr, "memspy: out of memory\n");
		goto out;
	}
	s.unknown_frame = stacktab__frame(s.stacks, "[unknown]");
	s.truncated_frame = stacktab__frame(s.stacks, "[truncated]");
	/* Open the target's modules before the probes fire: they may vanish with it. */
	s.dwfl = target_dwfl__open(o->pid);
	if (!s.dwfl) {
		fprintf(stderr, "memspy: cannot read the modules of pid %d: %s\n", (int)o->pid,
			strerror(errno));
		goto out;
	}
	pidfd = open_pidfd(o->pid);
	struct heap_probes_opts hopts = {
		.pid = o->pid,
		.sample_mean = o->sample_mean,
		.stack_bytes = o->stack_bytes,
		.max_tracked = o->max_tracked,
		.seed = (uint64_t)now_ns() ^ (uint64_t)getpid(),
	};
	probes = heap_probes__open(&hopts, &alloc, err, sizeof(err));
	if (!probes) {
		if (target_exited(o->pid, pidfd))
			fprintf(stderr, "memspy: pid %d exited while memspy was attaching\n",
				(int)o->pid);
		else
			fprintf(stderr, "memspy: %s\n", err);
		goto out;
	}
	cap = capture__new(heap_probes__events_fd(probes), on_record, &s);
	if (!cap) {
		fprintf(stderr, "memspy: cannot read the BPF ring buffer: %s\n", strerror(errno));
		goto out;
	}
	s.start_ns = now_ns();
	fprintf(stderr,
		"memspy: attached to pid %d (%s): %zu probes on %s (%s); sampling %s; "
		"Ctrl-C to stop\n",
		(int)o->pid, s.comm, heap_probes__nr_links(probes), alloc.module, alloc.why,
		o->sample_mean <= 1 ? "every allocation" : "by bytes");
	uint64_t next_tick = s.start_ns + TICK_NS;
	uint64_t deadline = o->duration_s > 0 ? s.start_ns + (uint64_t)(o->duration_s * 1e9) : 0;
	profile__tick(s.profile, s.start_ns);
	for (;;) {
		if (stop_signal) {
			end_reason = signal_reason(stop_signal);
			break;
		}
		int r = capture__poll(cap, 100);
		if (r < 0 && r != -EINTR) {
			fprintf(stderr, "memspy: reading the ring buffer failed: %s\n", strerror(-r));
			end_reason = "ring buffer error";
			break;
		}
		uint64_t t = now_ns();
		if (t >= next_tick) {
			tick(&s, t);
			next_tick += TICK_NS * ((t - next_tick) / TICK_NS + 1);
		}
		if (deadline && t >= deadline) {
			end_reason = "duration reached";
			break;
		}
		if (target_exited(o->pid, pidfd)) {
			end_reason = "target exited";
			fprintf(stderr, "memspy: pid %d exited; writing the report\n", (int)o->pid);
			break;
		}
	}
	uint64_t end = now_ns();
	/* Detach first so nothing new arrives, then take what is still queued. */
	heap_probes__detach(probes);
	capture__drain(cap);
	heap_probes__counters(probes, counters);
	s.totals.alloc_calls = counters[MS_CNT_ALLOC_CALLS];
	s.totals.alloc_bytes = counters[MS_CNT_ALLOC_BYTES];
	s.totals.free_calls = counters[MS_CNT_FREE_CALLS];
	s.totals.lost_events = counters[MS_CNT_LOST_ALLOC] + counters[MS_CNT_LOST_FREE];
	s.totals.map_full = counters[MS_CNT_MAP_FULL];
	s.totals.unknown_frees = counters[MS_CNT_UNKNOWN_FREE];
	tick(&s, end);
	status = 0;
	if (write_heap_folded(&s))
		status = 1;
	if (write_report(&s, &alloc, end_reason, end))
		status = 1;
	if (!o->quiet)
		printf("\noutputs in %s/\n", s.dir);
out:
	capture__free(cap);
	heap_probes__free(probes);
	if (pidfd >= 0)
		close(pidfd);
	target_dwfl__free(s.dwfl);
	profile__free(s.profile);
	stacktab__free(s.stacks);
	allocator_release(&alloc);
	free(s.rss);
	return status;
}
