/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --children: which processes a run follows. Every BPF object includes this after
 * its target_tgid; with follow_children set, user space shares one procs map
 * between them (bpf_map__reuse_fd) and follow.bpf.c keeps it up to date. Without
 * it the filter stays one compare against target_tgid. */
#ifndef MEMSPY_FOLLOW_BPF_H
#define MEMSPY_FOLLOW_BPF_H

const volatile __u32 follow_children = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MS_MAX_PROCS);
	__type(key, __u32); /* tgid */
	__type(value, struct ms_proc);
} procs SEC(".maps");

/* The CPython offsets of each followed process that runs one, set by user space
 * once it has found the interpreter there, copied to a forked child and dropped
 * at exec by follow.bpf.c: a shell that execs python3 gets Python frames from
 * when its new program has been read. Without follow_children it holds nothing
 * and python.bpf.h reads the one target's offsets from py_off. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MS_MAX_PROCS);
	__type(key, __u32); /* tgid */
	__type(value, struct ms_python_offsets);
} py_procs SEC(".maps");

/* The entry of a followed, running process, or NULL. */
static __always_inline struct ms_proc *followed_proc(__u32 tgid)
{
	struct ms_proc *p = bpf_map_lookup_elem(&procs, &tgid);

	return p && !p->exited ? p : NULL;
}

static __always_inline bool is_followed(__u32 tgid)
{
	if (!follow_children)
		return tgid == target_tgid;
	return followed_proc(tgid) != NULL;
}

/* Whether the current process is followed, in one map lookup at most; *p gets its
 * entry for per-process counters (--children only; NULL otherwise). */
static __always_inline bool current_followed(struct ms_proc **p)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	*p = NULL;
	if (!follow_children)
		return tgid == target_tgid;
	*p = followed_proc(tgid);
	return *p != NULL;
}

#endif
