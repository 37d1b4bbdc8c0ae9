// SPDX-License-Identifier: GPL-2.0-or-later
/* memspy dump: a sleepable task iterator over the target's threads copies each
 * one's saved user registers, the top of its user stack and its Python frames into
 * a ring buffer, without stopping or signalling anything. A thread blocked in the
 * kernel keeps its user state in pt_regs and its stack does not move, so the copy
 * is exact for it; a thread running on a CPU is marked (on_cpu), its saved
 * registers being stale. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "memspy/events.h"
#include "user_stack.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 target_tgid = 0;
const volatile __u32 stack_bytes = MS_DEFAULT_STACK_BYTES;

#include "follow.bpf.h"
#include "python.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} dump_events SEC(".maps");

/* The record under construction (too big for the BPF stack). The iterator runs
 * one task at a time, under one reader. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ms_dump_event);
} dump_scratch SEC(".maps");

/* One record per CPU for on_dump_sample, which may run beside the iterator. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ms_dump_event);
} sample_scratch SEC(".maps");

/* Set by user space between runs: records carry the thread's identity, state
 * and context switches only, for telling which threads ran since their read. */
__u32 switches_only = 0;

/* Threads whose record did not fit in the ring. */
__u64 dump_lost = 0;

#define MS_PF_EXITING 0x4 /* task->flags: the thread is exiting (include/linux/sched.h) */

SEC("iter.s/task")
int dump_task(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct ms_dump_event *d;
	struct pt_regs *regs;
	__u32 zero = 0;
	__u64 len, switches;

	/* an exiting thread has no user state left to show */
	if (!task || task->tgid != target_tgid || task->exit_state || (task->flags & MS_PF_EXITING))
		return 0;
	d = bpf_map_lookup_elem(&dump_scratch, &zero);
	if (!d)
		return 0;
	d->cpu.hdr.ts_ns = bpf_ktime_get_ns();
	d->cpu.hdr.kind = MS_EV_DUMP;
	d->cpu.hdr.tgid = task->tgid;
	d->cpu.hdr.tid = task->pid;
	d->cpu.hdr.fn = 0;
	d->state = task->__state;
	d->on_cpu = task->on_cpu ? MS_DUMP_ON_CPU : MS_DUMP_OFF_CPU;
	switches = task->nvcsw + task->nivcsw;
	d->syscall = -1;
	bpf_probe_read_kernel_str(d->comm, sizeof(d->comm), task->comm);
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (regs)
		d->syscall = (__s64)regs->orig_ax;
	d->cpu.nr_kstack = 0;
	d->cpu.weight = 1;
	d->cpu.addr = 0;
	d->cpu.stack_len = 0;
	d->tstate = 0;
	if (!switches_only) {
		capture_task_state(task, &d->cpu, stack_bytes);
		d->tstate = read_task_python_stack(&d->cpu.py, task->pid, task);
	}
	/* it ran while it was copied: the copy may mix two moments */
	if (task->on_cpu || task->nvcsw + task->nivcsw != switches)
		d->on_cpu = MS_DUMP_ON_CPU;
	d->switches = switches;
	len = d->cpu.stack_len;
	if (len > MS_MAX_STACK_BYTES)
		len = MS_MAX_STACK_BYTES;
	if (bpf_ringbuf_output(&dump_events, d, MS_DUMP_EVENT_HDR_SIZE + len, 0))
		__sync_fetch_and_add(&dump_lost, 1);
	/* a byte per thread makes each read() of the iterator return after as many
	 * threads as it asked bytes for, so user space drains the ring in between */
	bpf_seq_write(ctx->meta->seq, &zero, 1);
	return 0;
}

/* A one-shot cpu-clock event on a thread that was running during the iteration:
 * the sample interrupts it in user space (or in a syscall), where its saved
 * registers are fresh. User space keeps the first record per thread. */
SEC("perf_event")
int on_dump_sample(struct bpf_perf_event_data *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct ms_dump_event *d;
	struct pt_regs *regs;
	__u32 cpu = bpf_get_smp_processor_id();
	__u64 len;

	if (task->tgid != target_tgid)
		return 0;
	d = bpf_map_lookup_elem(&sample_scratch, &cpu);
	if (!d)
		return 0;
	fill_header(&d->cpu.hdr, MS_EV_DUMP, 0);
	d->state = 0;
	d->on_cpu = MS_DUMP_SAMPLED;
	d->switches = task->nvcsw + task->nivcsw;
	d->syscall = -1;
	bpf_get_current_comm(d->comm, sizeof(d->comm));
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (regs)
		d->syscall = (__s64)regs->orig_ax;
	d->cpu.nr_kstack = 0;
	d->cpu.weight = 1;
	d->cpu.addr = 0;
	capture_user_state(&d->cpu, stack_bytes);
	d->tstate = read_task_python_stack(&d->cpu.py, task->pid, NULL);
	len = d->cpu.stack_len;
	if (len > MS_MAX_STACK_BYTES)
		len = MS_MAX_STACK_BYTES;
	if (bpf_ringbuf_output(&dump_events, d, MS_DUMP_EVENT_HDR_SIZE + len, 0))
		__sync_fetch_and_add(&dump_lost, 1);
	return 0;
}
