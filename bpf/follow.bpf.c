// SPDX-License-Identifier: GPL-2.0-or-later
/* --children: add every process a followed process forks to the procs map, mark
 * a process exited when its last thread exits (its entry, with the counters the
 * other programs kept in it, stays for user space to read at the end), and tell
 * user space of each fork, exec and exit, with the process's name at that time. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "memspy/events.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 target_tgid = 0;

#include "follow.bpf.h"

/* Few records, a few a second at most: no batching of wake-ups. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 << 10);
} proc_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost_proc_events SEC(".maps");

static __always_inline void send(__u32 kind, struct task_struct *task, __u32 parent)
{
	struct ms_proc_event *ev = bpf_ringbuf_reserve(&proc_events, sizeof(*ev), 0);
	__u32 zero = 0;
	__u64 *lost;

	if (!ev) {
		lost = bpf_map_lookup_elem(&lost_proc_events, &zero);
		if (lost)
			*lost += 1;
		return;
	}
	ev->hdr.ts_ns = bpf_ktime_get_ns();
	ev->hdr.kind = kind;
	ev->hdr.tgid = BPF_CORE_READ(task, tgid);
	ev->hdr.tid = BPF_CORE_READ(task, pid);
	ev->hdr.fn = 0;
	BPF_CORE_READ_STR_INTO(&ev->comm, task, comm);
	ev->parent = parent;
	ev->reserved = 0;
	bpf_ringbuf_submit(ev, 0);
}

/* tp_btf, not tracepoint/: tracefs is not mounted on the machines memspy targets,
 * and kprobes may be missing; BTF tracepoints need neither. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	struct ms_python_offsets *py;
	struct ms_proc p = {};

	if (ptgid == ctgid || !followed_proc(ptgid))
		return 0; /* a new thread, or not a process we follow */
	p.parent = ptgid;
	/* A reused pid replaces the entry of the exited process that had it. */
	bpf_map_update_elem(&procs, &ctgid, &p, BPF_ANY);
	/* The child runs its parent's interpreter until it execs: its first
	 * samples already have Python frames. */
	py = bpf_map_lookup_elem(&py_procs, &ptgid);
	if (py)
		bpf_map_update_elem(&py_procs, &ctgid, py, BPF_ANY);
	else
		bpf_map_delete_elem(&py_procs, &ctgid);
	send(MS_EV_FORK, child, ptgid);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = task->tgid;

	if (!followed_proc(tgid))
		return 0;
	/* The old program's interpreter is gone with it; user space reads the new
	 * one's and sets its offsets again. */
	bpf_map_delete_elem(&py_procs, &tgid);
	send(MS_EV_EXEC, task, 0);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *task)
{
	__u32 tgid = task->tgid;
	struct ms_proc *p;

	/* The process ends with its last thread, the one that brings signal->live
	 * to zero (the count is taken before this tracepoint). */
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	p = bpf_map_lookup_elem(&procs, &tgid);
	if (!p || p->exited)
		return 0;
	p->exited = 1;
	bpf_map_delete_elem(&py_procs, &tgid);
	send(MS_EV_EXIT, task, 0);
	return 0;
}
