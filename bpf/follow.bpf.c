// SPDX-License-Identifier: GPL-2.0-or-later
/* --children: add every process a followed process forks to the procs map, and
 * mark a process exited when its group leader exits (its entry, with the counters
 * the other programs kept in it, stays for user space to read at the end). */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "memspy/events.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 target_tgid = 0;

#include "follow.bpf.h"

/* tp_btf, not tracepoint/: tracefs is not mounted on the machines memspy targets,
 * and kprobes may be missing; BTF tracepoints need neither. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	struct ms_proc p = {};

	if (ptgid == ctgid || !followed_proc(ptgid))
		return 0; /* a new thread, or not a process we follow */
	p.parent = ptgid;
	/* A reused pid replaces the entry of the exited process that had it. */
	bpf_map_update_elem(&procs, &ctgid, &p, BPF_ANY);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *task)
{
	__u32 tgid = task->tgid;
	struct ms_proc *p;

	if (task->pid != tgid)
		return 0; /* a thread; the process goes on */
	p = bpf_map_lookup_elem(&procs, &tgid);
	if (p)
		p->exited = 1;
	return 0;
}
