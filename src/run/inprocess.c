/* SPDX-License-Identifier: GPL-2.0-or-later */
/* In-process sampling's life cycle in the target: map, fill, install, read, remove. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/sampling.h"
#include "python/python_domains.h"
#include "run/inprocess.h"
#include "run/python_slots.h"
#include "run/python_windows.h"
#include "target/alloc_slots.h"
#include "target/procmaps.h"
#include "target/procstat.h"
#include "target/procmem.h"

struct inprocess {
	pid_t pid;
	const struct inprocess_injector *inj;
	void *session;		  /* open from prepare to install */
	struct agent_image img;	  /* the file's addresses */
	uint64_t base;		  /* where it is mapped in the target */
	size_t nr_slots, nr_modules;
	char trap_path[64];	  /* /proc/<pid>/map_files/<range> of its text */
	struct heap_agent_traps traps;
	bool installed, removed;
	pid_t adopt_from;	  /* the killed memspy whose enabled agent this run took over */
	struct agent_counts before; /* an adopted agent's counters at install: not ours */
	/* libraries loaded after attach (inprocess__poll) */
	const struct allocator *alloc;
	uint64_t *listed;	  /* addresses of the slots in the control block, sorted */
	uint32_t nr_listed;	  /* the control block's nr_slots */
	uint64_t *starts;	  /* modules' first mappings at the last scan, sorted */
	size_t nr_starts;
	unsigned retries;	  /* scans left for a new module's slots to settle */
	/* CPython's mem and obj domains whose fields are slots; 0: not hooked */
	uint64_t py_mem, py_obj;
	uint32_t py_small_max; /* the control block's py.small_max (agent_abi.h) */
	unsigned py_shift;     /* ... py.shift: Python windows 1/2^shift of the time */
	struct python_windows *windows; /* NULL: the domains hooked throughout, or none */
};

/* The sampling mean from which the agent may send its sampled small Python
 * objects to malloc, leaving the domains' frees unhooked: each costs the target a
 * 513-byte block, one per mean bytes allocated (0.8% of the small objects' bytes
 * here, 0.1% at the default 512K); at a smaller mean that grows to every object
 * (--sample-bytes 1), so the frees are hooked instead. */
#define SMALL_TO_MALLOC_MIN_MEAN (64u << 10)

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* The first mappings of the modules pid has loaded (not the agent), sorted. */
static uint64_t *module_starts(const struct inprocess *ip, const struct procmaps *maps, size_t *n)
{
	uint64_t *s = calloc(maps->n ? maps->n : 1, sizeof(*s));

	*n = 0;
	for (size_t i = 0; s && i < maps->n; i++) {
		const struct map_entry *e = &maps->entries[i];
		if (map_entry_is_file(e) && e->offset == 0 &&
		    (e->start < ip->base || e->start >= ip->base + ip->img.span))
			s[(*n)++] = e->start;
	}
	return s;
}

/* Remember the slots written to the control block. */
static void list_slots(struct inprocess *ip, const struct ms_agent_slot *slots, uint32_t n)
{
	uint64_t *l = realloc(ip->listed, (ip->nr_listed + n + 1) * sizeof(*l));

	if (!l)
		return;
	ip->listed = l;
	for (uint32_t i = 0; i < n; i++)
		l[ip->nr_listed++] = slots[i].addr;
	qsort(l, ip->nr_listed, sizeof(*l), cmp_u64);
}

/* The path uprobes open the agent's text by: the mapping at base. */
static int find_trap_path(struct inprocess *ip)
{
	struct procmaps maps;
	int err = procmaps_read(ip->pid, &maps);

	if (err)
		return err;
	const struct map_entry *e = procmaps_find(&maps, ip->base);
	err = e && e->start == ip->base ? 0 : -ENOENT;
	if (!err)
		snprintf(ip->trap_path, sizeof(ip->trap_path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64,
			 (int)ip->pid, e->start, e->end);
	/* the modules there now were scanned: inprocess__poll looks for new ones */
	ip->starts = module_starts(ip, &maps, &ip->nr_starts);
	if (ip->starts)
		qsort(ip->starts, ip->nr_starts, sizeof(uint64_t), cmp_u64);
	procmaps_release(&maps);
	ip->traps = (struct heap_agent_traps){
		.path = ip->trap_path,
		.alloc_offset = ip->img.trap_alloc_offset,
		.free_offset = ip->img.trap_free_offset,
	};
	return err;
}

/* This memspy as the owner of an agent that counts already: start time first, so
 * that the pid never names this memspy with the killed one's start time. */
static int write_owner(const struct inprocess *ip)
{
	uint64_t ctl = ip->base + ip->img.ctl, start = procstat_start_time(getpid());
	uint32_t pid = (uint32_t)getpid();
	int err = procmem_write(ip->pid, ctl + offsetof(struct ms_agent_ctl, owner_start), &start,
			       sizeof(start));

	return err ? err
		   : procmem_write(ip->pid, ctl + offsetof(struct ms_agent_ctl, owner_pid), &pid,
				  sizeof(pid));
}

/* CPython's mem and obj domains (py: their addresses, NULL when the target runs no
 * Python memspy can hook) added to slots; a failure only leaves Python's small
 * objects unsampled, said in one line. prev_orig: the control block's orig[]
 * before this attach. */
static void add_python(struct inprocess *ip, const uint64_t *py, const uint64_t *prev_orig,
		       uint64_t mean, unsigned shift, struct alloc_slots *slots)
{
	uint64_t hooks[MS_HOOK_COUNT];
	struct python_slots_agent ag = {
		.start = ip->base,
		.end = ip->base + ip->img.span,
		.hooks = hooks,
		.prev_orig = prev_orig,
	};
	char why[256];
	bool writable;

	if (!py)
		return;
	for (int h = 0; h < MS_HOOK_COUNT; h++)
		hooks[h] = ip->base + ip->img.hooks[h];
	if (python_slots_add(ip->pid, py, &ag, mean >= SMALL_TO_MALLOC_MIN_MEAN, slots,
			     &ip->py_small_max, &writable, why, sizeof(why))) {
		ms_warn("in-process sampler: Python objects not sampled, malloc only: %s", why);
		return;
	}
	ip->py_mem = py[PY_DOMAIN_MEM];
	ip->py_obj = py[PY_DOMAIN_OBJ];
	/* windows switch the fields in place, and only where the frees need not be
	 * hooked: the sampled blocks' frees go through malloc's, hooked throughout */
	if (ip->py_small_max && writable && shift) {
		ip->windows = python_windows__new(ip->pid, ip->base + ip->img.ctl, shift);
		ip->py_shift = ip->windows ? shift : 0;
	}
}

/* The slots and the control block, written while the agent is not installed. */
static int fill(struct inprocess *ip, const struct allocator *a, const uint64_t *py,
		uint64_t mean, unsigned shift, uint64_t seed, char *why, size_t len)
{
	struct alloc_slots slots;
	struct ms_agent_ctl *ctl;
	int err = alloc_slots_find(ip->pid, a, ip->base, ip->base + ip->img.span, &slots);

	if (err) {
		snprintf(why, len, "cannot list the allocator's pointer slots: %s", strerror(-err));
		return err;
	}
	if (!slots.n) {
		size_t foreign = 0;
		for (size_t i = 0; i < slots.nr_modules; i++)
			foreign += slots.modules[i].nr_foreign;
		if (foreign)
			snprintf(why, len, "the %zu pointer slots to %s hold something else (the "
				 "sampler of a memspy that was killed, or another interposer)",
				 foreign, a->module);
		else
			snprintf(why, len, "no module calls %s through a pointer slot", a->module);
		alloc_slots_release(&slots);
		return -ENOENT;
	}
	/* an agent an earlier attach left may still be called through a pointer to a
	 * hook saved elsewhere (tracemalloc keeps the allocator it wrapped): each
	 * hook keeps the original it had, never 0 */
	uint64_t prev_orig[MS_HOOK_COUNT];
	if (procmem_read(ip->pid, ip->base + ip->img.ctl + offsetof(struct ms_agent_ctl, orig),
			prev_orig, sizeof(prev_orig))) {
		snprintf(why, len, "cannot read the agent's control block");
		alloc_slots_release(&slots);
		return -EIO;
	}
	add_python(ip, py, prev_orig, mean, shift, &slots);
	for (int h = 0; h < MS_HOOK_COUNT; h++)
		if (!slots.orig[h])
			slots.orig[h] = prev_orig[h];
	ctl = aligned_alloc(_Alignof(struct ms_agent_ctl), sizeof(*ctl));
	if (!ctl) {
		alloc_slots_release(&slots);
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	size_t left = agent_image_fill_ctl(&ip->img, ip->base, &slots, mean, seed, ctl);
	if (left)
		ms_warn("in-process sampler: %zu of %zu pointer slots left out (the agent holds %d)",
			left, slots.n, MS_AGENT_MAX_SLOTS);
	ip->nr_slots = slots.n - left;
	for (size_t i = 0; i < slots.nr_modules; i++)
		ip->nr_modules += slots.modules[i].nr_slots > 0;
	ctl->py.small_max = ip->py_small_max;
	ctl->py.shift = ip->py_shift;
	ctl->py.window_us = ip->py_shift ? PY_WINDOW_US : 0;
	/* hooks a wrapper saved from an earlier attach may still be called: they
	 * must not sample what this attach cannot see freed */
	ctl->py.off = !ip->py_mem;
	ctl->owner_start = procstat_start_time(getpid());
	ctl->owner_pid = (uint32_t)getpid();
	err = procmem_write(ip->pid, ip->base + ip->img.ctl, ctl, sizeof(*ctl));
	if (err)
		snprintf(why, len, "cannot write the agent's control block: %s", strerror(-err));
	list_slots(ip, ctl->slots, ctl->nr_slots);
	free(ctl);
	alloc_slots_release(&slots);
	return err;
}

/* Whether the memspy that owns an agent is gone: no process of that pid, or
 * another one started since under it. An unknown owner (0) counts as alive. */
static bool owner_gone(uint32_t pid, uint64_t start)
{
	if (!pid)
		return false;
	if (kill((pid_t)pid, 0) && errno == ESRCH)
		return true;
	return procstat_start_time((pid_t)pid) != start;
}

/* An agent an earlier attach left in the target: taken again (ip->base set) when
 * it is idle, its slots given back; one that still counts and whose memspy was
 * killed before it could remove it is adopted (ip->adopt_from set too); one whose
 * memspy is attached now keeps its slots, so this run uses uprobes. 0 (reused,
 * adopted or none), or -EBUSY with why. */
static int reuse_earlier(struct inprocess *ip, char *why, size_t len)
{
	uint64_t base, ctl, start = 0;
	uint32_t enabled = 1, owner = 0;

	ip->base = 0;
	ip->adopt_from = 0;
	if (!ip->inj->find_image || ip->inj->find_image(ip->pid, ip->img.path, &base))
		return 0;
	ctl = base + ip->img.ctl;
	if (procmem_read(ip->pid, ctl + offsetof(struct ms_agent_ctl, enabled), &enabled,
			sizeof(enabled)) ||
	    procmem_read(ip->pid, ctl + offsetof(struct ms_agent_ctl, owner_pid), &owner,
			sizeof(owner)) ||
	    procmem_read(ip->pid, ctl + offsetof(struct ms_agent_ctl, owner_start), &start,
			sizeof(start))) {
		enabled = 1;
		owner = 0;
	}
	if (!enabled || owner_gone(owner, start)) {
		ip->base = base;
		ip->adopt_from = enabled ? (pid_t)owner : 0;
		return 0;
	}
	if (owner)
		snprintf(why, len, "the sampler of memspy pid %u is installed in pid %d (attached "
			 "now: one in-process memspy at a time)", owner, (int)ip->pid);
	else
		snprintf(why, len, "the sampler of another memspy is installed in pid %d (attached "
			 "now, or killed before removing it)", (int)ip->pid);
	return -EBUSY;
}

static uint32_t add_new_slots(struct inprocess *ip, const struct alloc_slots *s);

static int write_mean_shift(const struct inprocess *ip, unsigned shift)
{
	uint32_t v = shift;

	return procmem_write(ip->pid, ip->base + ip->img.ctl + offsetof(struct ms_agent_ctl, mean_shift),
			     &v, sizeof(v));
}

/* New sampling settings for an agent that counts now: the countdown table, then
 * the mean. A thread drawing meanwhile may read a word torn between an old and a
 * new draw, which is still a countdown of the same order. */
static int write_settings(const struct inprocess *ip, uint64_t mean, uint64_t seed)
{
	uint64_t ctl = ip->base + ip->img.ctl, draws[MS_COUNTDOWN_SLOTS];
	uint32_t all = mean <= 1;
	int err;

	sampling_fill_countdowns(draws, MS_COUNTDOWN_SLOTS, mean, seed);
	if ((err = procmem_write(ip->pid, ctl + offsetof(struct ms_agent_ctl, countdowns), draws,
				sizeof(draws))) ||
	    (err = procmem_write(ip->pid, ctl + offsetof(struct ms_agent_ctl, sample_all), &all,
				sizeof(all))))
		return err;
	return procmem_write(ip->pid, ctl + offsetof(struct ms_agent_ctl, mean), &mean,
			    sizeof(mean));
}

/* Take over the enabled agent of a memspy that was killed before it could remove
 * it. Its hooks stay in place and its tables as they are: threads run in its
 * hooks right now, so the control block is not rewritten whole. This memspy
 * becomes the owner, the settings change if its mean differs, and slots of
 * modules loaded since are appended for install to hook. Sampled blocks the
 * killed memspy left in the set are harmless: their frees reach the trap, and
 * BPF ignores them as frees of blocks it never saw. */
static int adopt(struct inprocess *ip, const uint64_t *py, uint64_t mean, uint64_t seed,
		 char *why, size_t len)
{
	uint64_t ctl = ip->base + ip->img.ctl, old_mean = 0;
	struct ms_agent_slot *slots = NULL;
	struct alloc_slots found;
	uint32_t n = 0;
	int err;

	err = procmem_read(ip->pid, ctl + offsetof(struct ms_agent_ctl, nr_slots), &n, sizeof(n));
	if (!err && n > MS_AGENT_MAX_SLOTS)
		err = -EINVAL;
	if (!err)
		err = procmem_read(ip->pid, ctl + offsetof(struct ms_agent_ctl, mean), &old_mean,
				  sizeof(old_mean));
	if (!err)
		err = procmem_read(ip->pid, ctl + offsetof(struct ms_agent_ctl, py.small_max),
				  &ip->py_small_max, sizeof(ip->py_small_max));
	if (!err)
		err = procmem_read(ip->pid, ctl + offsetof(struct ms_agent_ctl, py.shift),
				  &ip->py_shift, sizeof(ip->py_shift));
	if (!err && ip->py_small_max && mean < SMALL_TO_MALLOC_MIN_MEAN) {
		snprintf(why, len, "the sampler memspy pid %d left in pid %d sends the Python "
			 "objects it samples to malloc, which a --sample-bytes under %uK would do "
			 "for most of them: take %uK or more, or --no-inject",
			 (int)ip->adopt_from, (int)ip->pid, SMALL_TO_MALLOC_MIN_MEAN >> 10,
			 SMALL_TO_MALLOC_MIN_MEAN >> 10);
		free(slots);
		return -EBUSY;
	}
	if (!err && !(slots = calloc(n ? n : 1, sizeof(*slots))))
		err = -ENOMEM;
	if (!err)
		err = procmem_read(ip->pid, ctl + offsetof(struct ms_agent_ctl, slots), slots,
				  n * sizeof(*slots));
	for (uint32_t i = 0; !err && i < n; i++) {
		if (slots[i].state != MS_SLOT_HOOKED)
			continue;
		ip->nr_slots++;
		/* CPython's domains, when the killed memspy hooked them */
		if (py && slots[i].addr - py[PY_DOMAIN_MEM] < PY_DOMAIN_SIZE)
			ip->py_mem = py[PY_DOMAIN_MEM];
		if (py && slots[i].addr - py[PY_DOMAIN_OBJ] < PY_DOMAIN_SIZE)
			ip->py_obj = py[PY_DOMAIN_OBJ];
	}
	if (!err)
		list_slots(ip, slots, n);
	free(slots);
	if (!err) /* the mean as given: the killed memspy may have raised it in a storm */
		err = write_mean_shift(ip, 0);
	if (!err && old_mean != mean)
		err = write_settings(ip, mean, seed);
	if (!err)
		err = write_owner(ip);
	if (err) {
		snprintf(why, len, "cannot take over the agent memspy pid %d left in pid %d: %s",
			 (int)ip->adopt_from, (int)ip->pid, strerror(-err));
		return err;
	}
	if (!alloc_slots_find(ip->pid, ip->alloc, ip->base, ip->base + ip->img.span, &found)) {
		for (size_t i = 0; i < found.nr_modules; i++)
			ip->nr_modules += found.modules[i].nr_slots || found.modules[i].nr_in_skip;
		add_new_slots(ip, &found);
		alloc_slots_release(&found);
	}
	ms_info("in-process sampler: taking over the one memspy pid %d left counting in pid %d "
		"(it was killed before it could remove it)",
		(int)ip->adopt_from, (int)ip->pid);
	return 0;
}

struct inprocess *inprocess__prepare(pid_t pid, const struct allocator *a, const uint64_t *py,
				     uint64_t mean, unsigned py_shift, uint64_t seed,
				     const struct inprocess_injector *inj, char *why, size_t len)
{
	struct inprocess *ip;
	char *path;
	int err;

	if (!inj) {
		snprintf(why, len, "this build of memspy has no injector");
		return NULL;
	}
	path = agent_image_locate();
	if (!path) {
		snprintf(why, len, "memspy-agent.so not found (reinstall memspy)");
		return NULL;
	}
	ip = calloc(1, sizeof(*ip));
	if (!ip || (err = agent_image_open(path, &ip->img))) {
		snprintf(why, len, "cannot read %s: %s", path, ip ? strerror(-err) : "out of memory");
		free(path);
		free(ip);
		return NULL;
	}
	free(path);
	ip->pid = pid;
	ip->inj = inj;
	ip->alloc = a;
	if (reuse_earlier(ip, why, len) < 0)
		goto fail;
	ip->session = inj->begin(pid, why, len);
	if (!ip->session)
		goto fail;
	/* another memspy may have installed it while this one waited for the thread:
	 * only one ptrace session at a time, so the answer now holds */
	if (ip->base && reuse_earlier(ip, why, len) < 0)
		goto fail;
	err = ip->base ? 0 : inj->map_image(ip->session, ip->img.path, &ip->base);
	if (err) {
		snprintf(why, len, "cannot map the agent into pid %d: %s", (int)pid, strerror(-err));
		goto fail;
	}
	if (ip->adopt_from ? adopt(ip, py, mean, seed, why, len)
			   : fill(ip, a, py, mean, py_shift, seed, why, len))
		goto fail;
	/* an adopted agent's windows: as the killed memspy asked for them */
	if (ip->py_mem && ip->py_shift && !ip->windows &&
	    !(ip->windows = python_windows__new(pid, ip->base + ip->img.ctl, ip->py_shift)))
		ms_warn("in-process sampler: the Python windows of the sampler taken over stay as "
			"they are (out of memory): Python objects' counts are not scaled");
	if (find_trap_path(ip)) {
		snprintf(why, len, "the agent's mapping is not in pid %d's maps", (int)pid);
		goto fail;
	}
	return ip;
fail:
	inprocess__free(ip);
	return NULL;
}

const struct heap_agent_traps *inprocess__traps(const struct inprocess *ip)
{
	return &ip->traps;
}

/* Read back the result the agent left in the control block (the injector loses
 * the return value). */
static int32_t read_result(const struct inprocess *ip, size_t field)
{
	int32_t v = -EIO;

	if (procmem_read(ip->pid, ip->base + ip->img.ctl + field, &v, sizeof(v)))
		return -EIO;
	return v;
}

/* Stop sampling Python objects (the domains stay hooked, only counting). */
static void python_off(struct inprocess *ip)
{
	uint32_t off = 1;

	if (procmem_write(ip->pid, ip->base + ip->img.ctl + offsetof(struct ms_agent_ctl, py.off),
			  &off, sizeof(off)))
		return;
	ms_warn("in-process sampler: Python objects not sampled, malloc only: their samples' "
		"frees go through malloc's, and not every slot was switched");
	ip->py_mem = ip->py_obj = 0;
	python_windows__free(ip->windows);
	ip->windows = NULL;
}

int inprocess__install(struct inprocess *ip, char *why, size_t len)
{
	uint64_t t = python_windows__cpu_now(ip->windows);
	int err = ip->inj->call(ip->session, ip->base + ip->img.install, ip->base + ip->img.ctl);
	int32_t hooked = err ? err : read_result(ip, offsetof(struct ms_agent_ctl, install_result));

	ip->inj->end(ip->session);
	ip->session = NULL;
	/* an adopted agent's slots are hooked already: install hooked the new ones */
	if (ip->adopt_from && hooked >= 0) {
		hooked += (int32_t)ip->nr_slots;
		ip->nr_slots = 0;
	}
	if (hooked <= 0) {
		snprintf(why, len, "the agent switched no pointer slot: %s",
			 hooked ? strerror(-hooked) : "every mprotect refused");
		return hooked ? hooked : -EPERM;
	}
	ip->installed = true;
	python_windows__started(ip->windows, t);
	if (ip->adopt_from && agent_image_read_counts(ip->pid, ip->base + ip->img.ctl, &ip->before))
		ip->before = (struct agent_counts){0};
	if ((size_t)hooked < ip->nr_slots) {
		ms_warn("in-process sampler: %d of %zu pointer slots switched", hooked,
			ip->nr_slots);
		/* the free slot the Python samples' frees go through may be one left */
		if (ip->py_mem && ip->py_small_max && !ip->adopt_from)
			python_off(ip);
	}
	ip->nr_slots = (size_t)hooked;
	return 0;
}

void inprocess__describe(const struct inprocess *ip, char *buf, size_t len)
{
	int n = ip->adopt_from
			? snprintf(buf, len, "in-process sampler (%zu pointer slots in %zu modules; "
				   "taken over from memspy pid %d, killed)",
				   ip->nr_slots, ip->nr_modules, (int)ip->adopt_from)
			: snprintf(buf, len, "in-process sampler (%zu pointer slots in %zu modules)",
				   ip->nr_slots, ip->nr_modules);

	if (ip->py_mem && n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n,
			      ", Python objects sampled (mem domain at %#" PRIx64
			      ", obj domain at %#" PRIx64 "%s", ip->py_mem, ip->py_obj,
			      ip->py_small_max ? "; frees left to pymalloc" : "");
	if (ip->py_mem && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, ip->windows ? "; in windows, 1/%u of the time)" : ")",
			 1u << ip->py_shift);
}

double inprocess__py_share(const struct inprocess *ip)
{
	return ip && ip->windows ? python_windows__share(ip->windows) : 1.0;
}

bool inprocess__py_frees_unhooked(const struct inprocess *ip)
{
	return ip && ip->py_small_max;
}

static void sub_counts(struct ms_agent_counts *n, const struct ms_agent_counts *b)
{
	n->alloc_calls -= b->alloc_calls;
	n->alloc_bytes -= b->alloc_bytes;
	n->free_calls -= b->free_calls;
	n->sampled -= b->sampled;
	for (int k = 0; k < MS_SIZE_BUCKETS; k++)
		n->size_buckets[k] -= b->size_buckets[k];
}

/* *part, counted in windows, scaled to the whole time; *all, which holds it, too. */
static void scale(__u64 *all, __u64 *part, double share)
{
	__u64 whole = (__u64)((double)*part / share);

	*all += whole - *part;
	*part = whole;
}

/* The Python record's counts scaled to the whole time from its windows' share. */
static void scale_python(const struct inprocess *ip, struct agent_counts *out)
{
	double share = inprocess__py_share(ip);

	if (share >= 1.0 || share <= 0.0)
		return;
	scale(&out->n.alloc_calls, &out->py.alloc_calls, share);
	scale(&out->n.alloc_bytes, &out->py.alloc_bytes, share);
	for (int k = 0; k < MS_SIZE_BUCKETS; k++)
		scale(&out->n.size_buckets[k], &out->py.size_buckets[k], share);
}

int inprocess__counts(const struct inprocess *ip, struct agent_counts *out)
{
	const struct agent_counts *b = &ip->before;
	int err = agent_image_read_counts(ip->pid, ip->base + ip->img.ctl, out);

	if (err)
		return err;
	/* an adopted agent counted before this run: only what came since is ours */
	if (ip->adopt_from) {
		sub_counts(&out->n, &b->n);
		sub_counts(&out->py, &b->py);
		out->sampled_frees -= b->sampled_frees;
		out->set_full -= b->set_full;
		out->threads_full -= b->threads_full;
	}
	scale_python(ip, out);
	return 0;
}

int inprocess__set_mean_shift(struct inprocess *ip, unsigned shift)
{
	if (!ip || !ip->installed || ip->removed)
		return -EINVAL;
	return write_mean_shift(ip, shift);
}

int inprocess__remove(struct inprocess *ip)
{
	char why[256];
	void *s;
	int err;

	if (!ip || !ip->installed || ip->removed)
		return 0;
	ip->removed = true;
	python_windows__stop(ip->windows); /* nothing asked of the agent from now */
	if (kill(ip->pid, 0) && errno == ESRCH)
		return 0; /* the target is gone, and its slots with it */
	/* the agent answers EAGAIN when the thread borrowed was stopped inside a
	 * Python window's switch (it cannot wait for itself): another try borrows
	 * the thread again somewhere else */
	int32_t restored = -EAGAIN;
	for (int tries = 0; restored == -EAGAIN && tries < 5; tries++) {
		if (tries)
			usleep(10000);
		s = ip->inj->begin(ip->pid, why, sizeof(why));
		if (!s && kill(ip->pid, 0) && errno == ESRCH)
			return 0;
		if (!s) {
			ms_warn("cannot remove the in-process sampler from pid %d (%s): its hooks "
				"stay, counting at a few ns per call",
				(int)ip->pid, why);
			return -EIO;
		}
		err = ip->inj->call(s, ip->base + ip->img.remove, ip->base + ip->img.ctl);
		ip->inj->end(s);
		if (err) {
			ms_warn("cannot remove the in-process sampler from pid %d: %s", (int)ip->pid,
				strerror(-err));
			return err;
		}
		restored = read_result(ip, offsetof(struct ms_agent_ctl, remove_result));
	}
	if (restored == -EAGAIN)
		ms_warn("cannot remove the in-process sampler from pid %d: a thread kept switching "
			"a Python window; its hooks stay, counting at a few ns per call",
			(int)ip->pid);
	python_windows__removed(ip->windows);
	if (restored >= 0 && (size_t)restored < ip->nr_slots)
		ms_info("in-process sampler: %d of %zu pointer slots restored (the others were "
			"changed since by the program)",
			restored, ip->nr_slots);
	return restored < 0 ? restored : 0;
}

/* The slots of modules loaded since the last scan that are not in the control
 * block yet, appended there; 0 when there are none. */
static uint32_t add_new_slots(struct inprocess *ip, const struct alloc_slots *s)
{
	struct ms_agent_slot add[64];
	uint32_t n = 0;

	for (size_t i = 0; i < s->n && n < 64 && ip->nr_listed + n < MS_AGENT_MAX_SLOTS; i++) {
		const struct alloc_slot *sl = &s->slots[i];
		if (bsearch(&sl->addr, ip->listed, ip->nr_listed, sizeof(uint64_t), cmp_u64))
			continue;
		add[n++] = (struct ms_agent_slot){
			.addr = sl->addr,
			.hook = ip->base + ip->img.hooks[sl->hook],
			.id = sl->hook,
			.prot = sl->prot,
		};
	}
	uint64_t at = ip->base + ip->img.ctl + offsetof(struct ms_agent_ctl, slots) +
		      ip->nr_listed * sizeof(struct ms_agent_slot);
	uint32_t total = ip->nr_listed + n;
	if (!n || procmem_write(ip->pid, at, add, n * sizeof(*add)) ||
	    procmem_write(ip->pid, ip->base + ip->img.ctl + offsetof(struct ms_agent_ctl, nr_slots),
			 &total, sizeof(total)))
		return 0;
	list_slots(ip, add, n);
	return n;
}

/* Hook the slots just added: the agent skips the ones it hooked before. */
static void install_more(struct inprocess *ip, uint32_t n)
{
	char why[256];
	void *s = ip->inj->begin(ip->pid, why, sizeof(why));

	if (!s) {
		ms_warn("in-process sampler: %u pointer slots of libraries loaded since attach "
			"left unhooked, their calls unseen (%s)",
			n, why);
		return;
	}
	int err = ip->inj->call(s, ip->base + ip->img.install, ip->base + ip->img.ctl);
	ip->inj->end(s);
	int32_t hooked = err ? err : read_result(ip, offsetof(struct ms_agent_ctl, install_result));
	if (hooked > 0) {
		ip->nr_slots += (size_t)hooked;
		ms_info("in-process sampler: %d pointer slots of libraries loaded since attach "
			"hooked",
			hooked);
	}
}

void inprocess__poll(struct inprocess *ip)
{
	struct procmaps maps;
	struct alloc_slots s;
	size_t n;

	if (!ip || !ip->installed || ip->removed || procmaps_read(ip->pid, &maps))
		return;
	uint64_t *starts = module_starts(ip, &maps, &n);
	procmaps_release(&maps);
	if (!starts)
		return;
	bool fresh = false;
	for (size_t i = 0; i < n && !fresh; i++)
		fresh = !bsearch(&starts[i], ip->starts, ip->nr_starts, sizeof(uint64_t), cmp_u64);
	free(ip->starts);
	ip->starts = starts;
	ip->nr_starts = n;
	qsort(ip->starts, n, sizeof(uint64_t), cmp_u64);
	/* ld.so announces a library before it relocates it: a slot not relocated yet
	 * holds no address of the allocator and is passed over, so a new module is
	 * looked at again for a few seconds */
	if (fresh)
		ip->retries = 3;
	if (!ip->retries)
		return;
	ip->retries--;
	if (alloc_slots_find(ip->pid, ip->alloc, ip->base, ip->base + ip->img.span, &s))
		return;
	uint32_t added = add_new_slots(ip, &s);
	alloc_slots_release(&s);
	if (added)
		install_more(ip, added);
}

void inprocess__free(struct inprocess *ip)
{
	if (!ip)
		return;
	free(ip->listed);
	free(ip->starts);
	python_windows__free(ip->windows);
	if (ip->session)
		ip->inj->end(ip->session);
	agent_image_release(&ip->img);
	free(ip);
}
