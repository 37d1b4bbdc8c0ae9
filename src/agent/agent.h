/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the agent's files share: the control block, the per-thread sampler's fast
 * path (inlined into every hook: a few loads and adds, no call) and its slow paths
 * (sampler.c), the trap functions. Freestanding: no libc header beyond the
 * compiler's own. */
#ifndef MEMSPY_AGENT_H
#define MEMSPY_AGENT_H

#include <stddef.h>

#include "memspy/agent_abi.h"

#define AGENT_HIDDEN __attribute__((visibility("hidden")))
/* What memspy finds by name: in .dynsym too, so a stripped image still has them;
 * protected, so the agent's own references bind to them without a relocation. */
#define AGENT_EXPORT __attribute__((visibility("protected")))
#define AGENT_INLINE static inline __attribute__((always_inline))
#define AGENT_COLD __attribute__((noinline, cold))
#define AGENT_SLOW AGENT_HIDDEN AGENT_COLD
#define AGENT_UNLIKELY(x) __builtin_expect(!!(x), 0)

#define AGENT_SET_EMPTY 0
#define AGENT_SET_DELETED 1 /* no block lives at address 1 */

/* The control block: memspy finds it by its symbol and fills the settings. */
extern struct ms_agent_ctl ms_agent_ctl AGENT_EXPORT;

/* Trap functions (trap.S): plain returns that memspy uprobes. */
void ms_trap_alloc(const struct ms_agent_sample *s) AGENT_EXPORT;
void ms_trap_free(const struct ms_agent_sample *s) AGENT_EXPORT;
/* A raw system call (trap.S), for install and removal only: -errno on failure. */
long agent_syscall3(long nr, long a1, long a2, long a3) AGENT_HIDDEN;

/* The slow paths (sampler.c). frame is the hook's frame (__builtin_frame_address
 * (0)): the agent keeps frame pointers, so frame[0] is the caller's rbp and
 * frame[1] the return address into the caller. */
struct ms_agent_thread *agent_thread_find(__u64 tp) AGENT_SLOW;
void agent_countdown_expired(struct ms_agent_thread *t, __u64 addr, __u64 size, __u32 fn,
			     void *frame) AGENT_SLOW;
void agent_overflow_alloc(__u64 addr, __u64 size, __u32 fn, void *frame) AGENT_SLOW;
void agent_overflow_free(__u64 addr, int counted, void *frame) AGENT_SLOW;
void agent_release_sampled(struct ms_agent_thread *t, __u64 addr, void *frame) AGENT_SLOW;
/* Decide before the call whether an allocation of size is sampled (the throwing
 * operator new must know before it forwards), moving the countdown: -1 when it
 * is not, else the mean_shift of its sample (agent_abi.h). */
int agent_take_sample(struct ms_agent_thread *t, int overflow, __u64 size) AGENT_HIDDEN;
/* Count an allocation (operator new counts before it forwards). */
void agent_count_alloc(struct ms_agent_thread *t, int overflow, __u64 size) AGENT_HIDDEN;
/* A CPython domain allocation counted on the shared record, its countdown moved:
 * whether it is sampled (as agent_take_sample), then the sample of the block it got. */
int agent_py_take_sample(__u64 size) AGENT_SLOW;
void agent_py_sample(__u64 addr, __u64 size, __u32 fn, void *frame, __u32 mean_shift) AGENT_SLOW;
/* A CPython domain release of a block that may be sampled. */
void agent_py_release_sampled(__u64 addr, void *frame) AGENT_SLOW;
/* Open or close the Python window memspy asked for (install.c), if no other
 * thread is at it. */
void agent_py_window(void) AGENT_SLOW;
/* A clock (clock_gettime's ids below), in ns (install.c). */
#define AGENT_CLOCK_MONOTONIC 1
#define AGENT_CLOCK_PROCESS_CPU 2
#define AGENT_CLOCK_THREAD_CPU 3
__u64 agent_clock_ns(long clock) AGENT_HIDDEN;
/* Close the Python window if it has lasted py.window_us (install.c). */
void agent_py_window_check(void) AGENT_SLOW;
/* Remember a sampled block and send it to the trap; the counting is the caller's. */
void agent_sample_alloc(struct ms_agent_thread *t, __u64 addr, __u64 size, __u32 fn,
			void *frame, __u32 mean_shift) AGENT_HIDDEN;

AGENT_INLINE __u64 agent_hash(__u64 x)
{
	return x * 0x9e3779b97f4a7c15ULL;
}

/* The slot of set[] where a search for addr starts (masked to the set's size):
 * hashed, so that sampling every block of a page does not crowd one window. */
AGENT_INLINE __u32 agent_set_home(__u64 addr)
{
	return (__u32)(agent_hash(addr >> 4) >> 48);
}

/* addr's byte in homes[]: its page's, so that the frees of neighbouring blocks,
 * which come together (a list and its items, a pool emptied), read one byte on
 * one page, where a hash sent each to another of homes[] pages and the TLB had
 * to find it. A page holding a sampled block costs its other blocks' frees a
 * look at the set until that block goes. */
AGENT_INLINE __u32 agent_home(__u64 addr)
{
	_Static_assert((MS_AGENT_HOMES & (MS_AGENT_HOMES - 1)) == 0, "homes power of two");
	return (__u32)(addr >> 12) & (MS_AGENT_HOMES - 1);
}

AGENT_INLINE __u32 agent_size_bucket(__u64 size)
{
	return size ? 63 - (__u32)__builtin_clzll(size) : 0;
}

/* An allocation of size counted on the CPython domains' record. */
AGENT_INLINE void agent_py_count_alloc(__u64 size)
{
	struct ms_agent_py *py = &ms_agent_ctl.py;

	py->n.alloc_calls++;
	py->n.alloc_bytes += size;
	py->n.size_buckets[agent_size_bucket(size)]++;
}

/* Whether memspy asked for a Python window to open or close since the last
 * switch (two words of the control block's first line, which hooks read anyway). */
AGENT_INLINE int agent_py_window_asked(void)
{
	return __atomic_load_n(&ms_agent_ctl.py_window, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&ms_agent_ctl.py_window_done, __ATOMIC_RELAXED);
}

/* The calling thread's pointer (%fs:0), which names its record. */
AGENT_INLINE __u64 agent_tp(void)
{
	__u64 tp;

	__asm__("mov %%fs:0, %0" : "=r"(tp));
	return tp;
}

/*
 * The calling thread's record with its depth raised, or NULL when the call must
 * only be forwarded: sampling off, a hook of this thread already under way (the
 * allocator calling itself through its own GOT), or no record left, in which case
 * *overflow is set and the call is counted on the shared overflow record.
 */
AGENT_INLINE struct ms_agent_thread *agent_enter(int *overflow)
{
	struct ms_agent_thread *t;
	__u64 tp;

	*overflow = 0;
	if (!__atomic_load_n(&ms_agent_ctl.enabled, __ATOMIC_RELAXED))
		return NULL;
	/* memspy asks for a Python window to open or close: the calls of malloc's
	 * family are what still comes here between windows */
	if (AGENT_UNLIKELY(agent_py_window_asked()))
		agent_py_window();
	tp = agent_tp();
	/* inside a CPython domain call of this thread: what pymalloc forwards */
	if (ms_agent_ctl.py.owner == tp)
		return NULL;
	t = &ms_agent_ctl.threads[(__u32)(agent_hash(tp) >> 32) % MS_AGENT_THREADS];
	if (AGENT_UNLIKELY(t->key != tp)) {
		t = agent_thread_find(tp);
		if (!t) {
			*overflow = 1;
			return NULL;
		}
	}
	if (t->depth)
		return NULL;
	t->depth = 1;
	return t;
}

AGENT_INLINE void agent_leave(struct ms_agent_thread *t)
{
	if (t)
		t->depth = 0;
}

/* A finished allocation (addr 0: failed): counted, and trapped when the
 * countdown runs out. Lowers the depth. */
AGENT_INLINE void agent_leave_alloc(struct ms_agent_thread *t, int overflow, __u64 addr,
				    __u64 size, __u32 fn, void *frame)
{
	if (t) {
		t->seq++;
		if (addr) {
			t->n.alloc_calls++;
			t->n.alloc_bytes += size;
			t->n.size_buckets[agent_size_bucket(size)]++;
			t->countdown -= (__s64)size;
			if (AGENT_UNLIKELY(t->countdown <= 0))
				agent_countdown_expired(t, addr, size, fn, frame);
		}
		t->depth = 0;
	} else if (AGENT_UNLIKELY(overflow) && addr) {
		agent_overflow_alloc(addr, size, fn, frame);
	}
}

/* A block released (free, or the old block of a realloc): counted when counted is
 * set, trapped when it is in the sampled set. Does not lower the depth. One byte
 * of homes[] is all an unsampled block costs. */
AGENT_INLINE void agent_release(struct ms_agent_thread *t, int overflow, __u64 addr, int counted,
				void *frame)
{
	if (!addr)
		return;
	if (t) {
		if (counted) {
			t->seq++;
			t->n.free_calls++;
		}
		if (AGENT_UNLIKELY(__atomic_load_n(&ms_agent_ctl.homes[agent_home(addr)],
						   __ATOMIC_RELAXED)))
			agent_release_sampled(t, addr, frame);
	} else if (AGENT_UNLIKELY(overflow)) {
		agent_overflow_free(addr, counted, frame);
	}
}

#endif
