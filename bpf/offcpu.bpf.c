// SPDX-License-Identifier: GPL-2.0-or-later
/* Off-CPU sampling: the scheduler's switches time every wait of the target's
 * threads; a wait chosen by blocked time has its thread's user registers, stack
 * and Python frames sent to user space when the thread returns to user mode,
 * with the time it stands for.
 *
 * Why the stack is read then and not at switch-out: whether a wait is sampled
 * depends on its length, known only when the thread runs again, and a blocked
 * thread's user registers and stack do not change until it returns to user mode.
 * rseq_update fires in the thread itself on that return after every switch (glibc
 * registers rseq for every thread), where its own memory is readable; at the
 * switch-in the CPU is still in another task's address space. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "memspy/events.h"
#include "user_stack.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 target_tgid = 0;
const volatile __u32 stack_bytes = MS_DEFAULT_STACK_BYTES;
const volatile __u64 wakeup_bytes = 1 << 20;
/* One sample per period of a thread's blocked time (--off-cpu-period). */
const volatile __u64 period_ns = 5000000;

/* The run's recorded window (set by user space once every probe is attached,
 * and when the run stops): only the part of a wait inside it counts, so the
 * report's exact totals cover what its duration covers. */
__u64 window_start_ns = 0;
__u64 window_end_ns = 0;

#include "follow.bpf.h"
#include "python.bpf.h"

/* x86_64 system call numbers of the waits told apart */
#define NR_READ 0
#define NR_POLL 7
#define NR_READV 19
#define NR_SELECT 23
#define NR_PAUSE 34
#define NR_NANOSLEEP 35
#define NR_ACCEPT 43
#define NR_RECVFROM 45
#define NR_RECVMSG 47
#define NR_FUTEX 202
#define NR_CLOCK_NANOSLEEP 230
#define NR_EPOLL_WAIT 232
#define NR_PSELECT6 270
#define NR_PPOLL 271
#define NR_EPOLL_PWAIT 281
#define NR_ACCEPT4 288
#define NR_RECVMMSG 299
#define NR_EPOLL_PWAIT2 441
#define NR_FUTEX_WAITV 449

/* A followed thread's waits. The sampling is systematic in blocked time: points
 * one period apart on the thread's own axis of time spent off CPU, starting at a
 * random offset; a wait is sampled when it covers at least one point and stands
 * for a period per point covered. A wait of t is thus sampled with probability
 * min(1, t/period) and its expected weight is t, and the points of a thread's
 * many short waits add up to their total time within a period. */
struct off_thread {
	__u64 out_ns;	 /* when it left the CPU; 0: running */
	__u64 to_point;	 /* blocked time left before the next sampling point */
	__u64 weight_ns; /* sampled time waiting for its stack to be read */
	__u64 waited_ns; /* the real length of those sampled waits */
	__u32 reason;	 /* of the current wait (enum ms_off_reason) */
	__u32 pending_reason; /* of the first sampled wait not read yet */
	__u32 pending;	 /* a sampled wait waits for its stack */
	__u32 reserved;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH); /* threads that exit leave by age */
	__uint(max_entries, 16384);
	__type(key, __u32); /* tid */
	__type(value, struct off_thread);
} off_threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} off_events SEC(".maps");

/* One sample under construction per CPU (too big for a per-CPU map's value). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ms_cpu_event);
} off_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MS_OFFC_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} off_counters SEC(".maps");

static __always_inline void add(__u32 which, __u64 n)
{
	__u64 *c = bpf_map_lookup_elem(&off_counters, &which);

	if (c)
		*c += n;
}

static __always_inline __u32 syscall_reason(long nr)
{
	switch (nr) {
	case NR_NANOSLEEP:
	case NR_CLOCK_NANOSLEEP:
	case NR_PAUSE:
		return MS_OFF_SLEEP;
	case NR_FUTEX:
	case NR_FUTEX_WAITV:
		return MS_OFF_LOCK;
	case NR_READ:
	case NR_READV:
	case NR_RECVFROM:
	case NR_RECVMSG:
	case NR_RECVMMSG:
	case NR_ACCEPT:
	case NR_ACCEPT4:
	case NR_POLL:
	case NR_PPOLL:
	case NR_SELECT:
	case NR_PSELECT6:
	case NR_EPOLL_WAIT:
	case NR_EPOLL_PWAIT:
	case NR_EPOLL_PWAIT2:
		return MS_OFF_IO;
	}
	return MS_OFF_OTHER;
}

/* CPython's _PyRuntime (166 KB in 3.11) holds the GIL: in 3.11 in its ceval
 * state, from 3.12 in the main interpreter it embeds. Its other locks are
 * allocated apart, so a futex wait on a word in it is take_gil waiting. */
#define MS_PY_RUNTIME_SPAN (256 << 10)

static __always_inline bool is_gil_wait(struct pt_regs *regs)
{
	const volatile struct ms_python_offsets *off = python_offsets();
	__u64 uaddr = regs->di; /* futex's first argument */

	return off && off->runtime && uaddr >= off->runtime &&
	       uaddr < off->runtime + MS_PY_RUNTIME_SPAN;
}

/* Why prev (the current task) leaves the CPU: still runnable (preempted),
 * waiting for block I/O, or else the system call it sleeps in (orig_ax; -1
 * outside a system call), a futex on CPython's GIL told apart. */
static __always_inline __u32 switch_reason(struct task_struct *prev, bool preempt,
					   unsigned int state)
{
	struct pt_regs *regs;
	__u32 r;

	if (preempt || state == 0)
		return MS_OFF_PREEMPTED;
	if (BPF_CORE_READ_BITFIELD(prev, in_iowait))
		return MS_OFF_DISK;
	regs = (struct pt_regs *)bpf_task_pt_regs(prev);
	if (!regs)
		return MS_OFF_OTHER;
	r = syscall_reason((long)regs->orig_ax);
	return r == MS_OFF_LOCK && is_gil_wait(regs) ? MS_OFF_GIL : r;
}

/* The thread's entry, made on first sight (NULL, counted, when the table is full). */
static __always_inline struct off_thread *thread_of(__u32 tid, bool *fresh)
{
	struct off_thread *t = bpf_map_lookup_elem(&off_threads, &tid);
	struct off_thread init = {};

	*fresh = false;
	if (t)
		return t;
	init.to_point = period_ns > 1 ? bpf_get_prandom_u32() % period_ns + 1 : 1;
	bpf_map_update_elem(&off_threads, &tid, &init, BPF_NOEXIST);
	t = bpf_map_lookup_elem(&off_threads, &tid);
	if (!t)
		add(MS_OFFC_MAP_FULL, 1);
	*fresh = t != NULL;
	return t;
}

static __always_inline void switched_out(struct task_struct *prev, bool preempt,
					 unsigned int state, __u64 now)
{
	bool fresh;
	struct off_thread *t = thread_of(prev->pid, &fresh);

	if (!t)
		return;
	t->out_ns = now;
	t->reason = switch_reason(prev, preempt, state);
}

static __always_inline void switched_in(struct task_struct *next, __u64 now)
{
	bool fresh;
	struct off_thread *t = thread_of(next->pid, &fresh);
	__u64 dt, points, from, to = now;
	__u32 r;

	if (!t)
		return;
	if (fresh) {
		/* Not seen leaving the CPU since attach: it has been off it since
		 * then, or since it was created, waiting where it still is. */
		t->out_ns = BPF_CORE_READ(next, start_time);
		if (t->out_ns < 1)
			t->out_ns = 1;
		t->reason = switch_reason(next, false, 1);
		if (follow_children && t->reason == MS_OFF_GIL)
			t->reason = MS_OFF_LOCK; /* the offsets were the current process's */
	}
	if (!t->out_ns)
		return;
	from = t->out_ns;
	t->out_ns = 0;
	if (!window_start_ns)
		return;
	if (from < window_start_ns)
		from = window_start_ns;
	if (window_end_ns && to > window_end_ns)
		to = window_end_ns;
	if (to <= from)
		return;
	dt = to - from;
	r = t->reason < MS_OFF_REASONS ? t->reason : MS_OFF_OTHER;
	add(MS_OFFC_WAIT_NS + r, dt);
	add(MS_OFFC_WAITS + r, 1);
	if (dt < t->to_point) {
		t->to_point -= dt;
		return;
	}
	points = 1 + (dt - t->to_point) / period_ns;
	t->to_point = period_ns - (dt - t->to_point) % period_ns;
	if (!t->pending) {
		t->pending = 1;
		t->pending_reason = r;
	}
	t->weight_ns += points * period_ns;
	t->waited_ns += dt;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(on_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	__u64 now = 0;

	if (is_followed(prev->tgid)) {
		now = bpf_ktime_get_ns();
		switched_out(prev, preempt, prev_state, now);
	}
	if (is_followed(next->tgid))
		switched_in(next, now ? now : bpf_ktime_get_ns());
	return 0;
}

/* The thread is back in its own context, on its way to user mode: read the
 * stack of the wait that was sampled. */
SEC("tp_btf/rseq_update")
int BPF_PROG(on_rseq_update, struct task_struct *task)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id, cpu;
	struct off_thread *t;
	struct ms_cpu_event *ev;
	__u64 us;

	if (!is_followed(id >> 32))
		return 0;
	t = bpf_map_lookup_elem(&off_threads, &tid);
	if (!t || !t->pending)
		return 0;
	cpu = bpf_get_smp_processor_id();
	ev = bpf_map_lookup_elem(&off_scratch, &cpu);
	if (!ev)
		return 0;
	fill_header(&ev->hdr, MS_EV_OFFCPU, 0);
	us = t->weight_ns / 1000;
	ev->weight = us > 0xffffffffULL ? 0xffffffffU : (__u32)us;
	ev->reason = t->pending_reason;
	ev->addr = t->waited_ns;
	ev->nr_kstack = 0;
	t->pending = 0;
	t->weight_ns = 0;
	t->waited_ns = 0;
	read_python_stack(&ev->py, tid);
	capture_user_state(ev, stack_bytes);
	add(MS_OFFC_SAMPLES, 1);
	if (output_sample(&off_events, ev, wakeup_bytes))
		add(MS_OFFC_LOST, 1);
	return 0;
}
