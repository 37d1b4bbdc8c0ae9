/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The in-process sampler: per-thread records keyed by the thread pointer, byte
 * countdowns drawn from memspy's table, the set of sampled live blocks, counters. */
#include "agent/agent.h"

/* Zero-filled with the RW segment; memspy writes the settings after mapping. */
struct ms_agent_ctl ms_agent_ctl;

#define THREAD_PROBES 32 /* records tried before a thread goes to the overflow */
#define SET_PROBES 32	 /* set entries tried before a block is given up */
#define SET_EMPTY 0
#define SET_DELETED 1	 /* no block lives at address 1 */

static __u64 hash64(__u64 x)
{
	return x * 0x9e3779b97f4a7c15ULL;
}

static __u64 thread_pointer(void)
{
	__u64 tp;

	__asm__("mov %%fs:0, %0" : "=r"(tp));
	return tp;
}

static __u32 size_bucket(__u64 size)
{
	return size ? 63 - (__u32)__builtin_clzll(size) : 0;
}

/* A record for tp: its own, or a free one claimed by compare-and-swap. Records are
 * never given back (a thread's exit is invisible here); a new thread with the same
 * thread pointer, which glibc reuses with cached stacks, continues its counters. */
static struct ms_agent_thread *thread_find(__u64 tp)
{
	struct ms_agent_ctl *c = &ms_agent_ctl;
	__u32 h = (__u32)(hash64(tp) >> 32);

	for (__u32 i = 0; i < THREAD_PROBES; i++) {
		struct ms_agent_thread *t = &c->threads[(h + i) % MS_AGENT_THREADS];
		__u64 key = __atomic_load_n(&t->key, __ATOMIC_ACQUIRE), expect = 0;

		if (key == tp)
			return t;
		if (key)
			continue;
		if (__atomic_compare_exchange_n(&t->key, &expect, tp, 0, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE)) {
			/* start each thread at its own place in the shuffled table */
			t->draws = h;
			return t;
		}
		if (expect == tp)
			return t;
	}
	return NULL;
}

struct ms_agent_thread *agent_enter(int *overflow)
{
	struct ms_agent_thread *t;

	*overflow = 0;
	if (!__atomic_load_n(&ms_agent_ctl.enabled, __ATOMIC_RELAXED))
		return NULL;
	t = thread_find(thread_pointer());
	if (!t) {
		*overflow = 1;
		__atomic_fetch_add(&ms_agent_ctl.threads_full, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	if (t->depth)
		return NULL;
	t->depth++;
	return t;
}

static __s64 draw(__u64 index)
{
	return (__s64)ms_agent_ctl.countdowns[index % MS_COUNTDOWN_SLOTS];
}

int agent_take_sample(struct ms_agent_thread *t, int overflow, __u64 size)
{
	struct ms_agent_ctl *c = &ms_agent_ctl;

	if (c->sample_all)
		return 1;
	if (overflow) {
		/* shared by every thread without a record: atomics, and a lost race
		 * only moves one sample a little */
		__s64 left = (__s64)__atomic_sub_fetch(&c->overflow_countdown, size,
						       __ATOMIC_RELAXED);
		if (left > 0)
			return 0;
		__atomic_store_n(&c->overflow_countdown,
				 (__u64)draw(__atomic_fetch_add(&c->overflow.sampled, 0,
								__ATOMIC_RELAXED) +
					     (__u64)left),
				 __ATOMIC_RELAXED);
		return 1;
	}
	if (!t)
		return 0;
	/* between calls the countdown is positive; zero is a thread's first call */
	if (t->countdown <= 0)
		t->countdown = draw(t->draws++);
	t->countdown -= (__s64)size;
	if (t->countdown > 0)
		return 0;
	/* one sample however many countdowns a large block crosses: its weight
	 * S / (1 - e^(-S/R)) accounts for that, as in BPF */
	t->countdown = draw(t->draws++);
	return 1;
}

void agent_count_alloc(struct ms_agent_thread *t, int overflow, __u64 size)
{
	__u32 k = size_bucket(size);

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

/* Remember addr; 0 when the set has no room near its hash. */
static int set_insert(__u64 addr)
{
	__u64 *set = ms_agent_ctl.set;
	__u64 h = hash64(addr >> 4) >> 50;

	for (__u32 i = 0; i < SET_PROBES; i++) {
		__u64 *e = &set[(h + i) & (MS_AGENT_SET_SLOTS - 1)];
		__u64 v = __atomic_load_n(e, __ATOMIC_RELAXED);

		if (v != SET_EMPTY && v != SET_DELETED)
			continue;
		if (__atomic_compare_exchange_n(e, &v, addr, 0, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			return 1;
	}
	return 0;
}

/* Forget addr if it is in the set: 1 when it was (a sampled block). A block is in
 * the set only between its allocation and its release, so one thread at a time
 * can take it out. */
static int set_remove(__u64 addr)
{
	__u64 *set = ms_agent_ctl.set;
	__u64 h = hash64(addr >> 4) >> 50;

	for (__u32 i = 0; i < SET_PROBES; i++) {
		__u64 *e = &set[(h + i) & (MS_AGENT_SET_SLOTS - 1)];
		__u64 v = __atomic_load_n(e, __ATOMIC_RELAXED);

		if (v == SET_EMPTY)
			return 0;
		if (v == addr)
			return __atomic_compare_exchange_n(e, &v, SET_DELETED, 0,
							   __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	}
	return 0;
}

static __u32 next_seq(struct ms_agent_thread *t)
{
	return t ? ++t->seq : 0;
}

void agent_sample_alloc(struct ms_agent_thread *t, __u64 addr, __u64 size, __u32 fn,
			struct agent_caller c)
{
	struct ms_agent_sample s = {
		.addr = addr,
		.size = size,
		.ret = c.ret,
		.sp = c.sp,
		.rbp = c.rbp,
		.fn = fn,
		.seq = t ? t->seq : 0,
	};

	/* a block whose free would go unseen must never be reported live */
	if (!set_insert(addr)) {
		__atomic_fetch_add(&ms_agent_ctl.set_full, 1, __ATOMIC_RELAXED);
		return;
	}
	if (t)
		t->n.sampled++;
	else
		__atomic_fetch_add(&ms_agent_ctl.overflow.sampled, 1, __ATOMIC_RELAXED);
	ms_trap_alloc(&s);
}

void agent_leave_alloc(struct ms_agent_thread *t, int overflow, __u64 addr, __u64 size,
		       __u32 fn, struct agent_caller c)
{
	next_seq(t);
	if (addr && (t || overflow)) {
		agent_count_alloc(t, overflow, size);
		if (agent_take_sample(t, overflow, size))
			agent_sample_alloc(t, addr, size, fn, c);
	}
	agent_leave(t);
}

void agent_release(struct ms_agent_thread *t, int overflow, __u64 addr, int counted,
		   struct agent_caller c)
{
	if (!addr || (!t && !overflow))
		return;
	if (counted) {
		next_seq(t);
		if (t)
			t->n.free_calls++;
		else
			__atomic_fetch_add(&ms_agent_ctl.overflow.free_calls, 1, __ATOMIC_RELAXED);
	}
	if (!set_remove(addr))
		return;
	struct ms_agent_sample s = {
		.addr = addr,
		.ret = c.ret,
		.sp = c.sp,
		.rbp = c.rbp,
		.fn = MS_FN_FREE,
		.seq = t ? t->seq : 0,
	};
	__atomic_fetch_add(&ms_agent_ctl.sampled_frees, 1, __ATOMIC_RELAXED);
	ms_trap_free(&s);
}
