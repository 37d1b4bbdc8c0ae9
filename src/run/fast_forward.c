/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The fast-forward test mode (MEMSPY_FAST_FORWARD=SECONDS): a long attach to a busy
 * server replayed in seconds, to show that memspy's own memory stays bounded. No
 * probe is attached; synthetic records (sampled allocations and frees, CPU
 * samples, sampled page faults and unmaps) go through the real ingestion, with
 * stacks that the real unwinder unwinds through the target's real modules and
 * the real symbolizer names, on a simulated clock that ticks once a simulated
 * second. Every simulated ten minutes, and at the end, it tells the sizes of the
 * tables and memspy's own memory: the figures scripts/bench/long_run_memory.sh
 * prints. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/log.h"
#include "memspy/events.h"
#include "profile/profile.h"
#include "profile/rss_pages.h"
#include "profile/stacktab.h"
#include "run/ingest.h"
#include "run/run.h"
#include "run/run_state.h"
#include "symbolize/symcache.h"
#include "target/elfload.h"
#include "target/elfsyms.h"
#include "target/procmaps.h"
#include "target/procstat.h"

/* A busy server as sampled at the defaults (512 KiB mean, 99 Hz): per second. */
#define FF_ALLOCS_PER_S	  50	/* sampled allocations */
#define FF_CPU_PER_S	  100	/* CPU samples */
#define FF_FAULTS_PER_S	  5	/* sampled faults on new pages */
#define FF_NEW_STACK_PCT  20	/* samples at a stack never seen before */
#define FF_HOT_STACKS	  2000	/* stacks that most samples come back to */
#define FF_LIVE_BLOCKS	  20000 /* live blocks kept before the oldest is freed */
#define FF_PAGES	  20000 /* pages the faults come back to */
#define FF_THREADS	  16
#define FF_MAX_DEPTH	  24
#define FF_MAX_ENTRIES	  (1u << 20)
#define FF_REPORT_EVERY_S 600
#define FF_SP		  0x7ff000000000ull /* where the synthetic stacks live */
#define FF_HEAP		  0x10000000000ull  /* where the synthetic blocks live */
#define FF_PAGE_BASE	  0x20000000000ull

struct ff {
	struct run *r;
	uint64_t *entries;    /* function entry points in the target's code */
	size_t nr_entries;
	uint64_t start_entry; /* the executable's _start: a complete stack ends there */
	uint64_t rng;
	uint64_t hot[FF_HOT_STACKS]; /* seeds of the hot stacks */
	uint64_t *live;		     /* ring of live block addresses */
	size_t live_head, nr_live;
	uint64_t next_addr;
	uint64_t t0;
	void *rec; /* one record, as large as the largest kind */
};

static uint64_t next_rand(uint64_t *s)
{
	/* xorshift64*: deterministic, so every run replays the same records */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

/* The function entries of one executable mapping of the target. */
static void add_entries(struct ff *f, const struct map_entry *m, const char *exe)
{
	struct elfsyms *s = elfsyms__open(m->path);
	struct elf_loads l = {0};
	uint64_t bias, vaddr, off;
	int fd = open(m->path, O_RDONLY | O_CLOEXEC);

	if (s && fd >= 0 && !elf_loads_read(fd, &l) && !elf_loads_bias(&l, m->start, m->offset, &bias)) {
		size_t n = elfsyms__functions(s, f->entries + f->nr_entries,
					      FF_MAX_ENTRIES - f->nr_entries);
		for (size_t i = 0; i < n; i++) {
			uint64_t a = f->entries[f->nr_entries + i] + bias;
			if (a >= m->start && a < m->end)
				f->entries[f->nr_entries++] = a;
		}
		if (!strcmp(m->path, exe) && !elfsyms__find(s, "_start", &vaddr, &off))
			f->start_entry = vaddr + bias;
	}
	if (fd >= 0)
		close(fd);
	elf_loads_release(&l);
	elfsyms__free(s);
}

static int find_entries(struct ff *f, pid_t pid)
{
	struct procmaps maps;
	char link[64], exe[4096];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	f->entries = malloc(FF_MAX_ENTRIES * sizeof(*f->entries));
	if (!f->entries || procmaps_read(pid, &maps))
		return -ENOMEM;
	for (size_t i = 0; i < maps.n; i++)
		if (map_entry_is_file(&maps.entries[i]) && maps.entries[i].perms[2] == 'x')
			add_entries(f, &maps.entries[i], exe);
	procmaps_release(&maps);
	return f->nr_entries ? 0 : -ENOENT;
}

/* A stack as a seed spells it: innermost function first; *complete when it
 * ends at _start. Returns the number of functions. */
static size_t stack_of(const struct ff *f, uint64_t seed, uint64_t *pcs, bool *complete)
{
	uint64_t s = seed | 1;
	size_t n = 3 + next_rand(&s) % (FF_MAX_DEPTH - 3);

	for (size_t i = 0; i < n; i++)
		pcs[i] = f->entries[next_rand(&s) % f->nr_entries];
	*complete = f->start_entry && next_rand(&s) % 5;
	return n;
}

/* The seed of the next sample's stack: a hot one, the first ones most often,
 * or one never seen. */
static uint64_t pick_stack(struct ff *f)
{
	uint64_t u = next_rand(&f->rng);

	if (u % 100 < FF_NEW_STACK_PCT)
		return next_rand(&f->rng);
	double x = (double)(next_rand(&f->rng) >> 11) / (double)(1ull << 53);
	return f->hot[(size_t)(x * x * x * FF_HOT_STACKS)];
}

/* Registers and stack copy that unwind to the stack of seed. Each function is
 * entered at its first instruction, where the CFI puts the return address at
 * the stack pointer: the copy is the callers' return addresses, one word each
 * (a return address is the caller's pc plus one). Returns the copy's length. */
static uint32_t fill_stack(const struct ff *f, uint64_t seed, bool at_return, uint64_t *regs,
			   uint8_t *stack)
{
	uint64_t pcs[FF_MAX_DEPTH], words[FF_MAX_DEPTH + 1];
	bool complete;
	size_t n = stack_of(f, seed, pcs, &complete), k = 0;

	memset(regs, 0, MS_NR_REGS * sizeof(*regs));
	regs[MS_REG_IP] = pcs[0] + at_return;
	regs[MS_REG_SP] = FF_SP;
	for (size_t i = 1; i < n; i++)
		words[k++] = pcs[i] + 1;
	if (complete)
		words[k++] = f->start_entry + 1;
	/* without _start, the unwinder reads past the copy: a truncated stack */
	memcpy(stack, words, k * sizeof(*words));
	return (uint32_t)(k * sizeof(*words));
}

static void feed_free(struct ff *f, uint64_t addr, uint64_t ts)
{
	struct ms_free_event ev = {
		.hdr = {.ts_ns = ts, .kind = MS_EV_FREE, .tgid = (uint32_t)f->r->opts.pid,
			.tid = (uint32_t)f->r->opts.pid, .fn = MS_FN_FREE},
		.addr = addr,
	};

	ingest_record(f->r, &ev, sizeof(ev));
}

/* A sampled allocation; the oldest live block is freed once the ring is full,
 * except those of the first hot stack, which leaks. */
static void feed_alloc(struct ff *f, uint64_t ts)
{
	struct ms_alloc_event *ev = f->rec;
	uint64_t seed = pick_stack(f);

	memset(ev, 0, MS_ALLOC_EVENT_HDR_SIZE);
	ev->hdr = (struct ms_event_header){
		.ts_ns = ts, .kind = MS_EV_ALLOC, .tgid = (uint32_t)f->r->opts.pid,
		.tid = (uint32_t)f->r->opts.pid + (uint32_t)(seed % FF_THREADS), .fn = MS_FN_MALLOC};
	ev->addr = FF_HEAP + 64 * f->next_addr++;
	ev->size = 16 + next_rand(&f->rng) % 4096;
	ev->stack_len = fill_stack(f, seed, true, (uint64_t *)ev->regs, ev->stack);
	ingest_record(f->r, ev, MS_ALLOC_EVENT_HDR_SIZE + ev->stack_len);
	if (seed == f->hot[0])
		return;
	if (f->nr_live == FF_LIVE_BLOCKS) {
		feed_free(f, f->live[f->live_head], ts);
		f->nr_live--;
		f->live_head = (f->live_head + 1) % FF_LIVE_BLOCKS;
	}
	f->live[(f->live_head + f->nr_live++) % FF_LIVE_BLOCKS] = ev->addr;
}

/* A CPU sample, or (kind MS_EV_RSS) a sampled fault on a new page. */
static void feed_sample(struct ff *f, uint32_t kind, uint64_t ts)
{
	struct ms_cpu_event *ev = f->rec;
	uint64_t seed = pick_stack(f);

	memset(ev, 0, MS_CPU_EVENT_HDR_SIZE);
	ev->hdr = (struct ms_event_header){
		.ts_ns = ts, .kind = kind, .tgid = (uint32_t)f->r->opts.pid,
		.tid = (uint32_t)f->r->opts.pid + (uint32_t)(seed % FF_THREADS)};
	ev->user_regs_valid = 1;
	ev->weight = 16;
	ev->addr = FF_PAGE_BASE + MS_RSS_PAGE * (next_rand(&f->rng) % FF_PAGES);
	ev->stack_len = fill_stack(f, seed, false, (uint64_t *)ev->regs, ev->stack);
	ev->stack_start = FF_SP;
	ingest_record(f->r, ev, MS_CPU_EVENT_HDR_SIZE + ev->stack_len);
}

/* Pages given back: a random MiB of the page area, now and then. */
static void feed_release(struct ff *f, uint64_t ts)
{
	struct ms_rss_release ev = {
		.hdr = {.ts_ns = ts, .kind = MS_EV_RSS_RELEASE, .tgid = (uint32_t)f->r->opts.pid,
			.tid = (uint32_t)f->r->opts.pid},
		.start = FF_PAGE_BASE + MS_RSS_PAGE * (next_rand(&f->rng) % FF_PAGES),
		.len = 1 << 20,
	};

	ingest_record(f->r, &ev, sizeof(ev));
}

/* One simulated second of records, spread over it. */
static void feed_second(struct ff *f, uint64_t sec)
{
	const struct run_opts *o = &f->r->opts;
	uint64_t base = f->t0 + sec * MS_TICK_NS;
	unsigned n = FF_ALLOCS_PER_S + FF_CPU_PER_S + FF_FAULTS_PER_S;

	for (unsigned i = 0; i < n; i++) {
		uint64_t ts = base + i * (MS_TICK_NS / n);
		if (i < FF_ALLOCS_PER_S) {
			if (o->heap)
				feed_alloc(f, ts);
		} else if (i < FF_ALLOCS_PER_S + FF_CPU_PER_S) {
			if (o->cpu)
				feed_sample(f, MS_EV_CPU, ts);
		} else if (!o->no_rss) {
			feed_sample(f, MS_EV_RSS, ts);
		}
	}
	if (!o->no_rss && sec % 10 == 9)
		feed_release(f, base + MS_TICK_NS - 1);
}

/* The sizes of what grows with a run, and memspy's own memory. */
static void tell_sizes(const struct ff *f, uint64_t sec)
{
	const struct run *r = f->r;
	const struct proc *p = r->procs[0];
	struct rusage ru;
	struct mallinfo2 mi = mallinfo2();
	size_t nsites;

	getrusage(RUSAGE_SELF, &ru);
	profile__sites(p->prof.heap, &nsites);
	ms_info("fast-forward %llu s: %zu stacks, %zu frames, %zu heap sites, %zu live blocks, "
		"%zu pages, %zu addresses named; heap in use %.1f MiB, rss %.1f MiB, "
		"peak rss %.1f MiB",
		(unsigned long long)sec, stacktab__nr_stacks(r->stacks),
		stacktab__nr_frames(r->stacks), nsites, profile__nr_live(p->prof.heap),
		rss_pages__count(p->rss_pages), symcache__nr_entries(r->symcache),
		(double)(mi.uordblks + mi.hblkhd) / (1 << 20),
		procstat_rss_bytes(getpid()) / (1 << 20), (double)ru.ru_maxrss / 1024);
}

static int parse_seconds(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (end == s || *end || s[0] == '-' || !v || v > 30ull * 86400) {
		ms_err("MEMSPY_FAST_FORWARD wants a number of simulated seconds (1 to 30 days), "
		       "not '%s'", s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int ff_init(struct ff *f, struct run *r)
{
	*f = (struct ff){.r = r, .rng = 0x9e3779b97f4a7c15ull, .t0 = run__start_ns(r)};
	if (find_entries(f, r->opts.pid)) {
		ms_err("pid %d: no function symbols found in its modules to build stacks from",
		       (int)r->opts.pid);
		return -ENOENT;
	}
	f->live = malloc(FF_LIVE_BLOCKS * sizeof(*f->live));
	f->rec = malloc(sizeof(struct ms_cpu_event) > sizeof(struct ms_alloc_event)
				? sizeof(struct ms_cpu_event)
				: sizeof(struct ms_alloc_event));
	if (!f->live || !f->rec) {
		ms_err("out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < FF_HOT_STACKS; i++)
		f->hot[i] = next_rand(&f->rng);
	return 0;
}

int run_fast_forward(const struct run_opts *o, const char *seconds)
{
	struct run *r;
	struct ff f = {0};
	uint64_t secs;
	int status = 1;

	if (parse_seconds(seconds, &secs))
		return 1;
	r = run__open_unattached(o);
	if (!r)
		return 1;
	if (!ff_init(&f, r)) {
		ms_info("fast-forward: %llu simulated seconds of records through %zu functions of "
			"pid %d (%s), no probes attached",
			(unsigned long long)secs, f.nr_entries, (int)o->pid, r->comm);
		for (uint64_t s = 0; s < secs && !run__signal(); s++) {
			feed_second(&f, s);
			run__open_new_procs(r);
			if (s + 1 < secs) /* the last tick is the stop's */
				run_tick(r, f.t0 + (s + 1) * MS_TICK_NS);
			if ((s + 1) % FF_REPORT_EVERY_S == 0)
				tell_sizes(&f, s + 1);
		}
		run_stop_at(r, f.t0 + secs * MS_TICK_NS);
		tell_sizes(&f, secs);
		status = run__write_outputs(r, "fast-forward done") ? 1 : 0;
		struct rusage ru;
		getrusage(RUSAGE_SELF, &ru);
		/* writing the outputs has its own peak: the whole run's is this one */
		ms_info("fast-forward done: peak rss %.1f MiB with the outputs written",
			(double)ru.ru_maxrss / 1024);
	}
	free(f.entries);
	free(f.live);
	free(f.rec);
	run__free(r);
	return status;
}
