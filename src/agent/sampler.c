/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The in-process sampler's slow paths: claiming thread records, drawing countdowns,
 * the set of sampled live blocks, the overflow record, and the calls to the traps.
 * The fast path every call takes is inlined from agent.h. */
#include "agent/agent.h"

/* Zero-filled with the RW segment; memspy writes the settings after mapping. */
AGENT_EXPORT struct ms_agent_ctl ms_agent_ctl;

#define THREAD_PROBES 32 /* records tried before a thread goes to the overflow */
#define SET_PROBES 32	 /* set entries tried before a block is given up */

/* A record for tp: its own, or a free one claimed by compare-and-swap. Records are
 * never given back (a thread's exit is invisible here); a new thread with the same
 * thread pointer, which glibc reuses with cached stacks, continues its counters. */
struct ms_agent_thread *agent_thread_find(__u64 tp)
{
	struct ms_agent_ctl *c = &ms_agent_ctl;
	__u32 h = (__u32)(agent_hash(tp) >> 32);

	for (__u32 i = 0; i < THREAD_PROBES; i++) {
		struct ms_agent_thread *t = &c->threads[(h + i) % MS_AGENT_THREADS];
		__u64 key = __atomic_load_n(&t->key, __ATOMIC_ACQUIRE), expect = 0;

		if (key == tp)
			return t;
		if (key)
			continue;
		if (__atomic_compare_exchange_n(&t->key, &expect, tp, 0, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE)) {
			/* each thread starts at its own place in the shuffled table */
			t->draws = h;
			return t;
		}
		if (expect == tp)
			return t;
	}
	__atomic_fetch_add(&c->threads_full, 1, __ATOMIC_RELAXED);
	return NULL;
}

/* A countdown of the table's, 2^mean_shift times as long. */
static __s64 draw(__u32 index, __u32 mean_shift)
{
	return (__s64)(ms_agent_ctl.countdowns[index % MS_COUNTDOWN_SLOTS] << mean_shift);
}

/* memspy's mean_shift now, kept in range whatever memspy wrote. */
static __u32 mean_shift_now(void)
{
	__u32 m = __atomic_load_n(&ms_agent_ctl.mean_shift, __ATOMIC_RELAXED);

	return m > MS_MAX_MEAN_SHIFT ? MS_MAX_MEAN_SHIFT : m;
}

/* A countdown (a thread's, or the CPython domains') reached zero: whether the
 * allocation that took it there is sampled (-1: not), else the mean_shift its
 * countdown was drawn with, with the countdown re-armed at today's. */
static int rearm(__s64 *countdown, __u16 *armed, __u16 *drawn, __u32 *draws, __u32 shift)
{
	__u32 now = mean_shift_now();
	int sampled;

	if (ms_agent_ctl.sample_all) {
		*countdown = 0; /* back here at the next call */
		return 0;
	}
	if (!*armed) {
		/* a fresh record: its first draw, which this allocation starts on */
		*armed = 1;
		*drawn = (__u16)now;
		*countdown += draw((*draws)++, now) >> shift;
		if (*countdown > 0)
			return -1;
	}
	/* one sample however many countdowns a large block crosses: its weight
	 * S / (1 - e^(-S/R)) accounts for that, as in BPF */
	sampled = *drawn;
	*drawn = (__u16)now;
	*countdown = draw((*draws)++, now) >> shift;
	if (*countdown <= 0)
		*countdown = 1;
	return sampled;
}

static int expired(struct ms_agent_thread *t)
{
	return rearm(&t->countdown, &t->armed, &t->mean_shift, &t->draws, 0);
}

void agent_countdown_expired(struct ms_agent_thread *t, __u64 addr, __u64 size, __u32 fn,
			     void *frame)
{
	int sampled = expired(t);

	if (sampled >= 0)
		agent_sample_alloc(t, addr, size, fn, frame, (__u32)sampled);
}

int agent_take_sample(struct ms_agent_thread *t, int overflow, __u64 size)
{
	struct ms_agent_ctl *c = &ms_agent_ctl;

	if (c->sample_all)
		return 0;
	if (t) {
		t->countdown -= (__s64)size;
		return t->countdown <= 0 ? expired(t) : -1;
	}
	if (!overflow)
		return -1;
	/* shared by every thread without a record: atomics, and a lost race only
	 * moves one sample a little */
	__s64 left = (__s64)__atomic_sub_fetch(&c->overflow_countdown, size, __ATOMIC_RELAXED);
	if (left > 0)
		return -1;
	__u32 n = (__u32)__atomic_fetch_add(&c->overflow.sampled, 0, __ATOMIC_RELAXED);
	__u32 drawn = __atomic_load_n(&c->overflow_mean_shift, __ATOMIC_RELAXED), now = mean_shift_now();
	__atomic_store_n(&c->overflow_mean_shift, now, __ATOMIC_RELAXED);
	__atomic_store_n(&c->overflow_countdown, (__u64)draw(n * 2654435761u, now), __ATOMIC_RELAXED);
	return (int)drawn; /* written above only, from mean_shift_now() */
}

void agent_count_alloc(struct ms_agent_thread *t, int overflow, __u64 size)
{
	__u32 k = agent_size_bucket(size);

	if (t) {
		t->n.alloc_calls++;
		t->n.alloc_bytes += size;
		t->n.size_buckets[k]++;
	} else if (overflow) {
		struct ms_agent_counts *o = &ms_agent_ctl.overflow;

		__atomic_fetch_add(&o->alloc_calls, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&o->alloc_bytes, size, __ATOMIC_RELAXED);
		__atomic_fetch_add(&o->size_buckets[k], 1, __ATOMIC_RELAXED);
	}
}

/* A set entry: the block's address, with bit 1 set for a block sampled on the
 * CPython domains' record (whose free may come through malloc's hook now). Only
 * an address with its two low bits clear is tagged, and looked up tagged: every
 * block pymalloc or malloc gives is 16-byte aligned. */
#define SET_PY_TAG 2ULL

static int set_holds(__u64 v, __u64 addr)
{
	return v == addr || ((addr & 3) == 0 && v == (addr | SET_PY_TAG));
}

/* Remember addr (tagged when py): 1, or 0 when the set has no room near its hash,
 * -1 when addr is in it already. */
static int set_insert(__u64 addr, int py)
{
	__u64 *set = ms_agent_ctl.set;
	__u64 entry = py && (addr & 3) == 0 ? addr | SET_PY_TAG : addr;
	__u32 h = agent_set_home(addr);
	__u8 *home = &ms_agent_ctl.homes[agent_home(addr)];
	__u8 n = __atomic_load_n(home, __ATOMIC_RELAXED);
	__u32 free_at = SET_PROBES; /* the first free entry's probe */

	/* counted first: a free that sees the block must also see the count; a page
	 * of 255 sampled blocks (every block sampled) has no room for more */
	do {
		if (n == 255)
			return 0;
	} while (!__atomic_compare_exchange_n(home, &n, n + 1, 1, __ATOMIC_SEQ_CST,
					      __ATOMIC_RELAXED));
	for (__u32 i = 0; i < SET_PROBES; i++) {
		__u64 *e = &set[(h + i) & (MS_AGENT_SET_SLOTS - 1)];
		__u64 v = __atomic_load_n(e, __ATOMIC_RELAXED);

		if (set_holds(v, addr)) {
			__atomic_fetch_sub(home, 1, __ATOMIC_RELAXED);
			return -1;
		}
		if (free_at == SET_PROBES && (v == AGENT_SET_EMPTY || v == AGENT_SET_DELETED))
			free_at = i;
	}
	/* from there on: another thread may have taken it meanwhile */
	for (__u32 i = free_at; i < SET_PROBES; i++) {
		__u64 *e = &set[(h + i) & (MS_AGENT_SET_SLOTS - 1)];
		__u64 v = __atomic_load_n(e, __ATOMIC_RELAXED);

		if ((v == AGENT_SET_EMPTY || v == AGENT_SET_DELETED) &&
		    __atomic_compare_exchange_n(e, &v, entry, 0, __ATOMIC_RELEASE,
						__ATOMIC_RELAXED))
			return 1;
	}
	__atomic_fetch_sub(home, 1, __ATOMIC_RELAXED);
	return 0;
}

/* Forget addr if it is in the set: 0 when it was not, else 1, with SET_PY_TAG
 * set for a block sampled on the CPython domains' record. A block is in the set
 * only between its allocation and its release, so one thread at a time can take
 * it out. Inserts take the first free entry within SET_PROBES of the home slot,
 * so the whole window is searched: deleted entries never hide one. */
static int set_remove(__u64 addr)
{
	__u64 *set = ms_agent_ctl.set;
	__u32 h = agent_set_home(addr);

	for (__u32 i = 0; i < SET_PROBES; i++) {
		__u64 *e = &set[(h + i) & (MS_AGENT_SET_SLOTS - 1)];
		__u64 v = __atomic_load_n(e, __ATOMIC_ACQUIRE);

		if (!set_holds(v, addr))
			continue;
		if (!__atomic_compare_exchange_n(e, &v, AGENT_SET_DELETED, 0, __ATOMIC_RELAXED,
						 __ATOMIC_RELAXED))
			return 0;
		__atomic_fetch_sub(&ms_agent_ctl.homes[agent_home(addr)], 1, __ATOMIC_RELAXED);
		return 1 | (int)(v & SET_PY_TAG);
	}
	return 0;
}

/* A sample's seq: the thread's allocator calls so far, and for a block sampled on
 * the CPython domains' record those of the domains too, so that a Python block
 * freed before its thread's next call of either kind (allocation, with the frees
 * left to pymalloc) is one more than at its allocation (a temporary), as long as
 * no other thread made domain calls meanwhile, which the GIL lets happen only if
 * it was given up. With windows, windows + parked grows by one at each close
 * (an open adds to the one what it takes from the other): a block that outlives
 * its window, whose domain calls the record no longer counts, is no temporary.
 * A native thread's samples leave the domains out: its temporaries stay its own. */
static __u32 sample_seq(const struct ms_agent_thread *t, int py)
{
	const struct ms_agent_py *p = &ms_agent_ctl.py;

	return (t ? t->seq : 0) +
	       (py ? (__u32)(p->n.alloc_calls + p->n.free_calls + p->windows + p->parked) : 0);
}

static void caller_of(struct ms_agent_sample *s, void *frame)
{
	__u64 *f = frame;

	s->ret = f[1];
	s->sp = (__u64)(f + 2);
	s->rbp = f[0];
}

static void sample_alloc(struct ms_agent_thread *t, __u64 addr, __u64 size, __u32 fn,
			 void *frame, int py, __u32 mean_shift)
{
	struct ms_agent_sample s = {.addr = addr, .size = size, .fn = fn, .seq = sample_seq(t, py),
				    .mean_shift = mean_shift};
	int in = set_insert(addr, py);

	/* a block whose free would go unseen must never be reported live; one
	 * already in the set (two hooks racing where the GIL did not order them)
	 * is not sampled twice */
	if (in <= 0) {
		if (!in)
			__atomic_fetch_add(&ms_agent_ctl.set_full, 1, __ATOMIC_RELAXED);
		return;
	}
	if (t)
		t->n.sampled++;
	else
		__atomic_fetch_add(&ms_agent_ctl.overflow.sampled, 1, __ATOMIC_RELAXED);
	caller_of(&s, frame);
	ms_trap_alloc(&s);
}

void agent_sample_alloc(struct ms_agent_thread *t, __u64 addr, __u64 size, __u32 fn,
			void *frame, __u32 mean_shift)
{
	sample_alloc(t, addr, size, fn, frame, 0, mean_shift);
}

void agent_release_sampled(struct ms_agent_thread *t, __u64 addr, void *frame)
{
	int was = set_remove(addr);
	struct ms_agent_sample s = {.addr = addr, .fn = MS_FN_FREE,
				    .seq = sample_seq(t, was & SET_PY_TAG)};

	if (!was)
		return;
	__atomic_fetch_add(&ms_agent_ctl.sampled_frees, 1, __ATOMIC_RELAXED);
	caller_of(&s, frame);
	ms_trap_free(&s);
}

void agent_overflow_alloc(__u64 addr, __u64 size, __u32 fn, void *frame)
{
	int sampled;

	agent_count_alloc(NULL, 1, size);
	sampled = agent_take_sample(NULL, 1, size);
	if (sampled >= 0)
		agent_sample_alloc(NULL, addr, size, fn, frame, (__u32)sampled);
}

void agent_overflow_free(__u64 addr, int counted, void *frame)
{
	if (counted)
		__atomic_fetch_add(&ms_agent_ctl.overflow.free_calls, 1, __ATOMIC_RELAXED);
	if (__atomic_load_n(&ms_agent_ctl.homes[agent_home(addr)], __ATOMIC_RELAXED))
		agent_release_sampled(NULL, addr, frame);
}

int agent_py_take_sample(__u64 size)
{
	struct ms_agent_py *py = &ms_agent_ctl.py;

	agent_py_count_alloc(size);
	py->countdown -= (__s64)size;
	/* in windows a shift-times denser sampling: as many samples as hooked
	 * throughout (agent_abi.h) */
	return py->countdown <= 0
		       ? rearm(&py->countdown, &py->armed, &py->mean_shift, &py->draws, py->shift)
		       : -1;
}

void agent_py_sample(__u64 addr, __u64 size, __u32 fn, void *frame, __u32 mean_shift)
{
	/* in a window: the thread CPU time of the sample, trap and clock reads
	 * included (agent_abi.h, sample_cpu_ns) */
	__u64 t0 = ms_agent_ctl.py.shift ? agent_clock_ns(AGENT_CLOCK_THREAD_CPU) : 0;

	sample_alloc(agent_thread_find(agent_tp()), addr, size, fn, frame, 1, mean_shift);
	agent_py_window_check();
	if (t0)
		ms_agent_ctl.py.sample_cpu_ns += agent_clock_ns(AGENT_CLOCK_THREAD_CPU) - t0;
}

void agent_py_release_sampled(__u64 addr, void *frame)
{
	agent_release_sampled(agent_thread_find(agent_tp()), addr, frame);
}
