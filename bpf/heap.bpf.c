// SPDX-License-Identifier: GPL-2.0-or-later
/* Heap probes: uprobes on the allocator's entry points, a uretprobe for the result,
 * and a uprobe on free. Sampled allocations go to user space with registers and the
 * user stack; the per-call path is kept tiny so memspy sits at the trap floor.
 * In-process mode replaces them with uprobes on the agent's two trap functions
 * (src/agent/), which see sampled allocations and their frees only. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "memspy/agent_abi.h"
#include "memspy/events.h"
#include "user_stack.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Settings from user space, fixed before load. */
const volatile __u32 target_tgid = 0;
const volatile __u32 sample_all = 0;	   /* --sample-bytes 1: record every allocation */
const volatile __u32 stack_bytes = MS_DEFAULT_STACK_BYTES;
const volatile __u64 wakeup_bytes = 1 << 20; /* wake the reader once this much is queued */
const volatile __u64 countdowns[MS_COUNTDOWN_SLOTS] = {};

#include "follow.bpf.h"
#include "python.bpf.h"

/* What a thread is doing inside the allocator: entry to return. */
struct thread_state {
	__s64 countdown; /* bytes until this thread's next sample */
	__u64 size;	 /* requested bytes of the outermost call */
	__u64 out_ptr;	 /* posix_memalign's void ** */
	__u64 old_ptr;	 /* xallocx: block resized in place */
	__u64 outer_sp;	 /* sp at the entry of the outermost allocator call under way
			  * (it points at the return address); 0 when none */
	__u32 fn;	 /* enum ms_alloc_fn of the outermost call */
	__u32 calls;	 /* outermost allocator calls, frees included: a block freed
			  * at its allocation's count + 1 was temporary */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct thread_state);
} threads SEC(".maps");

/* A block is named by its process too: after a fork (--children) parent and child
 * hand out the same addresses, and the child frees blocks its parent allocated. */
struct block_key {
	__u64 addr;
	__u32 tgid;
	__u32 pad;
};

/* Tracked (sampled, live) blocks: block -> requested size. Sized by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	/* Allocated as used: preallocating 1M entries would pin ~84 MB of kernel memory. */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 20);
	__type(key, struct block_key);
	__type(value, __u64);
} allocs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 20);
} events SEC(".maps");

/* One event under construction per CPU: too big for the BPF stack, and for a
 * per-CPU map's 32 KiB value limit, so a plain array indexed by CPU (user space
 * sets max_entries to the number of CPUs; programs run with migration disabled). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ms_alloc_event);
} scratch SEC(".maps");

/* scratch[cpu] is being filled: 1. Sized like scratch by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} scratch_busy SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MS_CNT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Every allocation by the power of two of its size: cheap enough to be exact. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MS_SIZE_BUCKETS);
	__type(key, __u32);
	__type(value, __u64);
} sizes SEC(".maps");

/* floor(log2(size)), 0 for 0: a binary search, no loop for the verifier. */
static __always_inline __u32 size_bucket(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1)
		r += 1;
	return r;
}

static __always_inline void count_size(__u64 size)
{
	__u32 k = size_bucket(size);
	__u64 *c = bpf_map_lookup_elem(&sizes, &k);

	if (c)
		*c += 1;
}

static __always_inline void count(__u32 which, __u64 n)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &which);

	if (c)
		*c += n;
}

static __always_inline __u64 wakeup_flag(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP
									      : BPF_RB_NO_WAKEUP;
}

/* Stop tracking addr; tell user space if it was tracked. */
static __always_inline void untrack(__u64 addr, __u32 fn, struct ms_proc *p, __u32 seq)
{
	struct block_key key = {.addr = addr, .tgid = bpf_get_current_pid_tgid() >> 32};
	struct ms_free_event ev = {};

	if (bpf_map_delete_elem(&allocs, &key) != 0) {
		if (sample_all) {
			count(MS_CNT_UNKNOWN_FREE, 1);
			if (p)
				__sync_fetch_and_add(&p->unknown_frees, 1);
		}
		return;
	}
	fill_header(&ev.hdr, MS_EV_FREE, fn);
	ev.addr = addr;
	ev.seq = seq;
	if (bpf_ringbuf_output(&events, &ev, sizeof(ev), wakeup_flag()))
		count(MS_CNT_LOST_FREE, 1);
}

static __always_inline __s64 draw_countdown(void)
{
	__u32 i = bpf_get_prandom_u32() & (MS_COUNTDOWN_SLOTS - 1);

	return (__s64)countdowns[i];
}

/* Decide whether this allocation of size bytes is sampled, moving the countdown. */
static __always_inline bool take_sample(struct thread_state *st, __u64 size)
{
	if (sample_all)
		return true;
	/* Between calls the countdown is positive; zero is a thread's first call. */
	if (st->countdown <= 0)
		st->countdown = draw_countdown();
	st->countdown -= (__s64)size;
	if (st->countdown > 0)
		return false;
	/* One sample however many countdowns a large block crosses: its weight
	 * S / (1 - e^(-S/R)) already accounts for that. */
	st->countdown = draw_countdown();
	return true;
}

static __always_inline void build_and_send(struct pt_regs *ctx, struct ms_alloc_event *ev,
					  __u64 addr, __u64 size, __u32 fn,
					  const struct ms_agent_sample *caller);

/* caller: the allocator's caller as the agent saw it (in-process mode), or NULL
 * when ctx is a uretprobe's, at the caller's return point already. */
static __always_inline void record_alloc(struct pt_regs *ctx, __u64 addr, __u64 size, __u32 fn,
					 __u32 seq, const struct ms_agent_sample *caller)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct ms_alloc_event *ev = bpf_map_lookup_elem(&scratch, &cpu);
	__u32 *busy = bpf_map_lookup_elem(&scratch_busy, &cpu);

	if (!ev || !busy)
		return;
	/* Uprobe programs run with migration disabled but may be preempted: another
	 * thread on this CPU must not build its event over ours. */
	if (__sync_val_compare_and_swap(busy, 0, 1) != 0) {
		count(MS_CNT_LOST_ALLOC, 1);
		return;
	}
	ev->seq = seq;
	build_and_send(ctx, ev, addr, size, fn, caller);
	*busy = 0;
}

static __always_inline void build_and_send(struct pt_regs *ctx, struct ms_alloc_event *ev,
					  __u64 addr, __u64 size, __u32 fn,
					  const struct ms_agent_sample *caller)
{
	struct block_key key = {.addr = addr};
	__u64 len;

	fill_header(&ev->hdr, MS_EV_ALLOC, fn);
	ev->addr = addr;
	ev->size = size;
	ev->mean_shift = caller ? caller->mean_shift : 0;
	/* The uretprobe's context holds the user registers at the caller's return
	 * point. */
	copy_user_regs(ctx, ev->regs);
	if (caller) {
		/* The trap runs inside the agent's hook: the caller's return point is
		 * what the hook read from its frame. The callee-saved registers other
		 * than rbp are the hook's; the caller's CFA rules rest on sp and rbp. */
		ev->regs[MS_REG_IP] = caller->ret;
		ev->regs[MS_REG_SP] = caller->sp;
		ev->regs[MS_REG_BP] = caller->rbp;
	}
	read_python_stack(&ev->py, ev->hdr.tid);
	/* An empty copy is not counted here: user space counts the stack as truncated. */
	ev->stack_len = copy_user_stack(ev->stack, ev->regs[MS_REG_SP], stack_bytes, &ev->flags);
	len = ev->stack_len;
	if (len > MS_MAX_STACK_BYTES)
		len = MS_MAX_STACK_BYTES;
	/* Track before publishing: the program has not received the block yet (this
	 * runs before the allocator returns), so nothing can free it in between, and
	 * a block the full map cannot hold is never reported, so it cannot look live
	 * forever when its free goes unseen. */
	key.tgid = ev->hdr.tgid;
	if (bpf_map_update_elem(&allocs, &key, &size, BPF_ANY)) {
		count(MS_CNT_MAP_FULL, 1);
		return;
	}
	if (bpf_ringbuf_output(&events, ev, MS_ALLOC_EVENT_HDR_SIZE + len, wakeup_flag())) {
		bpf_map_delete_elem(&allocs, &key);
		count(MS_CNT_LOST_ALLOC, 1);
		return;
	}
	count(MS_CNT_SAMPLED, 1);
}

SEC("uprobe")
int uprobe_alloc(struct pt_regs *ctx)
{
	struct thread_state *st;
	__u32 fn = (__u32)bpf_get_attach_cookie(ctx);
	__u64 a1 = PT_REGS_PARM1(ctx), a2 = PT_REGS_PARM2(ctx), a3 = PT_REGS_PARM3(ctx);
	__u64 size = 0;
	struct ms_proc *p;

	if (!current_followed(&p))
		return 0;
	st = bpf_task_storage_get(&threads, bpf_get_current_task_btf(), 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!st) {
		count(MS_CNT_NO_THREAD_STATE, 1);
		return 0;
	}
	/* glibc's and jemalloc's entry points call each other (realloc(NULL, n) enters
	 * malloc): only the outermost call of a thread is the program's request. A
	 * nested call runs deeper in the stack than the outer one. The kernel may skip
	 * a BPF program when another one is running on the CPU (a CPU sample), so an
	 * outer return can go unseen: judging by the stack pointer, rather than by a
	 * depth counter, recovers at the next call made at the same depth or above. */
	__u64 sp = PT_REGS_SP(ctx);
	if (st->outer_sp && sp < st->outer_sp)
		return 0;
	st->outer_sp = sp;
	st->calls++;
	st->out_ptr = 0;
	st->old_ptr = 0;
	switch (fn) {
	case MS_FN_MALLOC:
	case MS_FN_VALLOC:
	case MS_FN_PVALLOC:
	case MS_FN_MALLOCX:
	case MS_FN_NEW:
		size = a1;
		break;
	case MS_FN_CALLOC:
		size = a1 * a2;
		break;
	case MS_FN_REALLOC:
	case MS_FN_RALLOCX:
		size = a2;
		/* The old block is gone once realloc runs; untrack it now so a reuse of
		 * its address by another thread is not confused with it. A failed
		 * realloc leaves it live: that rare block is lost to the profile. */
		if (a1)
			untrack(a1, fn, p, st->calls);
		break;
	case MS_FN_REALLOCARRAY:
		size = a2 * a3;
		if (a1)
			untrack(a1, fn, p, st->calls);
		break;
	case MS_FN_POSIX_MEMALIGN:
		st->out_ptr = a1;
		size = a3;
		break;
	case MS_FN_ALIGNED_ALLOC:
	case MS_FN_MEMALIGN:
		size = a2;
		break;
	case MS_FN_XALLOCX:
		st->old_ptr = a1;
		if (a1)
			untrack(a1, fn, p, st->calls);
		break;
	default:
		break;
	}
	st->fn = fn;
	st->size = size;
	return 0;
}

SEC("uretprobe")
int uretprobe_alloc(struct pt_regs *ctx)
{
	struct thread_state *st;
	struct ms_proc *p;
	__u64 ret = PT_REGS_RC(ctx), addr = ret, size;

	if (!current_followed(&p))
		return 0;
	st = bpf_task_storage_get(&threads, bpf_get_current_task_btf(), 0, 0);
	/* After the return the stack pointer is one word above the entry's. */
	if (!st || !st->outer_sp || PT_REGS_SP(ctx) != st->outer_sp + 8)
		return 0;
	st->outer_sp = 0;
	size = st->size;
	switch (st->fn) {
	case MS_FN_POSIX_MEMALIGN:
		addr = 0;
		if ((int)ret == 0 && st->out_ptr)
			bpf_probe_read_user(&addr, sizeof(addr), (void *)st->out_ptr);
		break;
	case MS_FN_XALLOCX:
		addr = st->old_ptr; /* resized in place; returns the usable size */
		size = ret;
		break;
	default:
		break;
	}
	if (!addr)
		return 0; /* failed allocations are not live */
	count(MS_CNT_ALLOC_CALLS, 1);
	count(MS_CNT_ALLOC_BYTES, size);
	count_size(size);
	if (p) {
		__sync_fetch_and_add(&p->alloc_calls, 1);
		__sync_fetch_and_add(&p->alloc_bytes, size);
	}
	if (take_sample(st, size))
		record_alloc(ctx, addr, size, st->fn, st->calls, NULL);
	return 0;
}

SEC("uprobe")
int uprobe_free(struct pt_regs *ctx)
{
	struct thread_state *st;
	struct ms_proc *p;
	__u64 ptr = PT_REGS_PARM1(ctx);

	if (!ptr || !current_followed(&p))
		return 0;
	/* A free inside an allocator call (realloc moving a block) is not the program's. */
	st = bpf_task_storage_get(&threads, bpf_get_current_task_btf(), 0, 0);
	if (st && st->outer_sp && PT_REGS_SP(ctx) < st->outer_sp)
		return 0;
	if (st)
		st->calls++;
	count(MS_CNT_FREE_CALLS, 1);
	if (p)
		__sync_fetch_and_add(&p->free_calls, 1);
	untrack(ptr, MS_FN_FREE, p, st ? st->calls : 0);
	return 0;
}

/* In-process mode: the agent sampled an allocation. Counting and sampling were
 * done in the target (the agent's counters, read by user space); here the block is
 * tracked and sent with the caller's registers and stack. */
SEC("uprobe")
int uprobe_trap_alloc(struct pt_regs *ctx)
{
	struct ms_agent_sample s;
	struct ms_proc *p;

	if (!current_followed(&p) ||
	    bpf_probe_read_user(&s, sizeof(s), (void *)PT_REGS_PARM1(ctx)) || !s.addr)
		return 0;
	record_alloc(ctx, s.addr, s.size, s.fn, s.seq, &s);
	return 0;
}

/* In-process mode: a sampled block is released (free, or moved by realloc). */
SEC("uprobe")
int uprobe_trap_free(struct pt_regs *ctx)
{
	struct ms_agent_sample s;
	struct ms_proc *p;

	if (!current_followed(&p) ||
	    bpf_probe_read_user(&s, sizeof(s), (void *)PT_REGS_PARM1(ctx)) || !s.addr)
		return 0;
	untrack(s.addr, MS_FN_FREE, p, s.seq);
	return 0;
}
