/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the agent's files share: the control block, the per-thread sampler and the
 * trap functions. Freestanding: no libc header beyond the compiler's own. */
#ifndef MEMSPY_AGENT_H
#define MEMSPY_AGENT_H

#include <stddef.h>

#include "memspy/agent_abi.h"

#define AGENT_HIDDEN __attribute__((visibility("hidden")))
#define AGENT_INLINE static inline __attribute__((always_inline))

/* The control block: memspy finds it by its symbol and fills the settings. */
extern struct ms_agent_ctl ms_agent_ctl AGENT_HIDDEN;

/* Trap functions (trap.S): plain returns that memspy uprobes. */
void ms_trap_alloc(const struct ms_agent_sample *s) AGENT_HIDDEN;
void ms_trap_free(const struct ms_agent_sample *s) AGENT_HIDDEN;
/* A raw system call (trap.S), for install and removal only: -errno on failure. */
long agent_syscall3(long nr, long a1, long a2, long a3) AGENT_HIDDEN;

/* The caller of a hook, read from the hook's frame: the agent keeps frame pointers,
 * so frame[0] is the caller's rbp and frame[1] the return address into it. */
struct agent_caller {
	__u64 ret, sp, rbp;
};

AGENT_INLINE struct agent_caller agent_caller_of(void *frame)
{
	__u64 *f = frame;

	return (struct agent_caller){.ret = f[1], .sp = (__u64)(f + 2), .rbp = f[0]};
}

/* The calling thread's record, with its depth raised; NULL when the call must only be
 * forwarded: sampling off, or a hook already under way on this thread (the
 * allocator calling itself through its own GOT), or no record left (then the call
 * is counted on the overflow record, *overflow set). */
struct ms_agent_thread *agent_enter(int *overflow) AGENT_HIDDEN;
/* Count a finished allocation of the thread (t from agent_enter, or NULL with
 * overflow set) and trap if sampled; lowers the depth. addr 0: failed. */
void agent_leave_alloc(struct ms_agent_thread *t, int overflow, __u64 addr, __u64 size,
		       __u32 fn, struct agent_caller c) AGENT_HIDDEN;
/* A block released (free, or the old block of a realloc): counted when counted is
 * set, trapped when sampled. Does not lower the depth. */
void agent_release(struct ms_agent_thread *t, int overflow, __u64 addr, int counted,
		   struct agent_caller c) AGENT_HIDDEN;
/* Lower the depth raised by agent_enter. */
AGENT_INLINE void agent_leave(struct ms_agent_thread *t)
{
	if (t)
		t->depth--;
}
/* Decide before the call whether an allocation of size will be sampled (the
 * throwing operator new must know before it forwards), moving the countdown. */
int agent_take_sample(struct ms_agent_thread *t, int overflow, __u64 size) AGENT_HIDDEN;
/* Count an allocation decided unsampled beforehand (operator new's tail call). */
void agent_count_alloc(struct ms_agent_thread *t, int overflow, __u64 size) AGENT_HIDDEN;
/* Remember a sampled block and send it to the trap; the counting is the caller's. */
void agent_sample_alloc(struct ms_agent_thread *t, __u64 addr, __u64 size, __u32 fn,
			struct agent_caller c) AGENT_HIDDEN;

#endif
