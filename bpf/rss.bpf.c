// SPDX-License-Identifier: GPL-2.0-or-later
/* RSS growth: the x86 page-fault tracepoints send, for a sample of the target's
 * faults that map a new page, the faulting thread's user registers, stack and
 * Python frames to user space (a leak shows where it grows whatever the allocator).
 * Pages given back or moved are found by user space in /proc/<pid>/pagemap: a
 * syscall tracepoint would put every syscall of every process on the machine on
 * the tracepoint slow path (measured: redis SET at 0.87 of bare with them). */
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
/* One sample every rss_period new-page faults of the target. User space writes it while the
 * programs run, from the fault rate it sees, so a slow leak is seen fault by fault
 * and a fault storm costs a bounded number of samples a second. */
__u32 rss_period = 1;

#include "follow.bpf.h"
#include "python.bpf.h"

#define PAGE_MASK (~0xfffull)

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} rss_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ms_cpu_event);
} rss_scratch SEC(".maps");

struct ms_rss_cpu rss_cpus[MS_RSS_MAX_CPUS]; /* in .bss: see events.h */

/* x86 page-fault error code: the page was present (a protection fault: copy-on-write
 * of a page shared since fork, a write to the zero page) or not (a page mapped anew). */
#define PF_PRESENT 0x1

/* How many times to double the period to the next sample: none while this CPU
 * has had at most MS_RSS_BURST_SAMPLES samples due in the current span, k for
 * the k-th past them (each sample still stands for its own gap's faults). */
static __always_inline __u32 burst_backoff(struct ms_rss_cpu *c)
{
	__u16 span = (__u16)(bpf_ktime_get_ns() >> MS_RSS_BURST_SHIFT);
	__u32 k;

	if (span != c->burst_span) {
		c->burst_span = span;
		c->burst = 0;
	}
	if (++c->burst <= MS_RSS_BURST_SAMPLES)
		return 0;
	k = c->burst - MS_RSS_BURST_SAMPLES;
	return k > 16 ? 16 : k;
}

/* A fault of a target thread at a user address. Only a not-present page grows the
 * resident set: a copy-on-write fault replaces a page the process already counts
 * (a forked worker's first write to its parent's objects, which Python's reference
 * counts and collector do everywhere), so it is counted but not sampled. */
static __always_inline void on_fault(__u64 address, __u64 error_code)
{
	struct ms_cpu_event *ev;
	__u64 id = bpf_get_current_pid_tgid();
	__u32 cpu, period;
	struct ms_rss_cpu *c;
	__u64 weight;

	if (!is_followed(id >> 32) || (__s64)address < 0) /* kernel half: not the target's */
		return;
	cpu = bpf_get_smp_processor_id();
	c = &rss_cpus[cpu & (MS_RSS_MAX_CPUS - 1)];
	c->counts[MS_RSS_ALL_FAULTS]++;
	if (error_code & PF_PRESENT)
		return;
	c->counts[MS_RSS_NEW_PAGES]++;
	c->pending += c->scale; /* the scale this fault was traced at */
	if (--c->left > 0)
		return;
	period = rss_period; /* another cache line: read only for a sample */
	if (!period)
		period = 1;
	/* the faults since the last sample due, at their scales (at least this one:
	 * past MS_RSS_MAX_CPUS, a CPU sharing the slot may have just taken them) */
	weight = c->pending + c->carry;
	c->pending = 0;
	if (!weight)
		weight = 1;
	c->left = (__s64)period << burst_backoff(c);
	if (weight > (1u << 30))
		weight = 1u << 30;
	/* no room for a whole sample: do not copy the stack only to drop it */
	if (bpf_ringbuf_query(&rss_events, BPF_RB_AVAIL_DATA) + sizeof(*ev) >
	    bpf_ringbuf_query(&rss_events, BPF_RB_RING_SIZE)) {
		c->carry = weight;
		c->counts[MS_RSS_MERGED]++;
		return;
	}
	ev = bpf_map_lookup_elem(&rss_scratch, &cpu);
	if (!ev)
		return;
	c->counts[MS_RSS_FAULTS]++;
	fill_header(&ev->hdr, MS_EV_RSS, 0);
	ev->weight = (__u32)weight;
	ev->addr = address & PAGE_MASK;
	ev->nr_kstack = 0;
	read_python_stack(&ev->py, ev->hdr.tid);
	capture_user_state(ev, stack_bytes); /* a fault may come inside a probed realloc */
	if (output_sample(&rss_events, ev, wakeup_bytes)) {
		/* filled by another CPU meanwhile */
		c->carry = weight;
		c->counts[MS_RSS_MERGED]++;
		return;
	}
	c->carry = 0;
}

/* exceptions:page_fault_user and page_fault_kernel (the kernel writing to a user
 * buffer, as read() does): (address, regs, error_code). */
SEC("raw_tp/page_fault_user")
int on_user_fault(struct bpf_raw_tracepoint_args *ctx)
{
	on_fault(ctx->args[0], ctx->args[2]);
	return 0;
}

SEC("raw_tp/page_fault_kernel")
int on_kernel_fault(struct bpf_raw_tracepoint_args *ctx)
{
	/* With page faults disabled the kernel maps nothing: a nofault read, as BPF
	 * programs (memspy's own stack copies among them) read user memory. */
	if (BPF_CORE_READ(bpf_get_current_task_btf(), pagefault_disabled))
		return 0;
	on_fault(ctx->args[0], ctx->args[2]);
	return 0;
}
