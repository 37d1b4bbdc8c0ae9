/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Read the current thread's Python frames (CPython 3.11 and 3.13+ layouts, offsets
 * from user space) at the moment of an event: frames are reused as soon as a
 * function returns, so they cannot be read later. Shared by the heap and CPU programs. */
#ifndef MEMSPY_PYTHON_BPF_H
#define MEMSPY_PYTHON_BPF_H

/* Include after follow.bpf.h: with follow_children, each process has its own
 * offsets in py_procs. */

/* Set by user space before load; py_off.runtime == 0 leaves Python frames off. */
const volatile struct ms_python_offsets py_off = {};

/* The offsets of the current process's CPython, or NULL when it runs none. A
 * plain run reads the constants of py_off (the verifier knows their values);
 * --children looks the process up, as a shell may exec python3 at any time. */
static __always_inline const volatile struct ms_python_offsets *python_offsets(void)
{
	__u32 tgid;

	if (!follow_children)
		return py_off.runtime ? &py_off : NULL;
	tgid = bpf_get_current_pid_tgid() >> 32;
	return bpf_map_lookup_elem(&py_procs, &tgid);
}

#define MS_PY_MAX_INTERPS 4
#define MS_PY_MAX_THREADS 256

/* tid -> PyThreadState *, so the thread list is walked once per thread; an entry
 * is trusted only while the state it names still carries the tid. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u64);
} py_tstates SEC(".maps");

static __always_inline __u64 py_read_u64(__u64 addr, int *err)
{
	__u64 v = 0;

	if (bpf_probe_read_user(&v, sizeof(v), (void *)addr))
		*err = 1;
	return v;
}

static __always_inline __u64 py_find_tstate(const volatile struct ms_python_offsets *off,
					     __u32 tid, __u32 *flags)
{
	__u64 *cached = bpf_map_lookup_elem(&py_tstates, &tid);
	__u64 interp, ts;
	int err = 0;

	/* A stale entry (the state freed, its memory gone) must not fail the walk. */
	if (cached && py_read_u64(*cached + off->tstate_native_tid, &err) == tid && !err)
		return *cached;
	err = 0;
	interp = py_read_u64(off->runtime + off->runtime_interp_head, &err);
	for (int i = 0; i < MS_PY_MAX_INTERPS && interp && !err; i++) {
		ts = py_read_u64(interp + off->interp_threads_head, &err);
		for (int j = 0; j < MS_PY_MAX_THREADS && ts && !err; j++) {
			if (py_read_u64(ts + off->tstate_native_tid, &err) == tid && !err) {
				bpf_map_update_elem(&py_tstates, &tid, &ts, BPF_ANY);
				return ts;
			}
			ts = py_read_u64(ts + off->tstate_next, &err);
		}
		interp = py_read_u64(interp + off->interp_next, &err);
	}
	*flags |= err ? MS_PY_READ_FAIL : MS_PY_NO_THREAD;
	return 0;
}

/* The innermost frame of thread state ts. */
static __always_inline __u64 py_top_frame(const volatile struct ms_python_offsets *off,
					   __u64 ts, int *err)
{
	__u64 p = py_read_u64(ts + off->tstate_frame, err);

	if (off->layout & MS_PY_LAYOUT_CFRAME)
		p = p ? py_read_u64(p + off->cframe_current, err) : 0;
	return p;
}

/* Fill out with the Python frames of thread tid, innermost first. Every thread has
 * its own frame chain, whether or not it holds the GIL. The 3.13 evaluator's shim
 * frames are kept as read, marked in out->entry, and left to user space: skipping
 * them here would let the frame count drift from the loop's, and the verifier
 * would then follow every combination of the two. */
static __always_inline void read_python_stack(struct ms_py_stack *out, __u32 tid)
{
	const volatile struct ms_python_offsets *off = python_offsets();
	bool shims;
	__u64 ts, frame, tags;
	__u8 entry;
	int err = 0;

	out->nr = 0;
	out->flags = 0;
	out->entry = 0;
	if (!off || !off->runtime)
		return;
	shims = off->layout & MS_PY_LAYOUT_SHIM;
	tags = off->layout & MS_PY_LAYOUT_STACKREF ? MS_PY_STACKREF_TAGS : 0;
	ts = py_find_tstate(off, tid, &out->flags);
	if (!ts)
		return;
	frame = py_top_frame(off, ts, &err);
	for (int i = 0; i < MS_MAX_PY_FRAMES; i++) {
		if (!frame || err)
			break;
		/* a tagged reference's tag bits say how it is counted, not where */
		out->code[i] = py_read_u64(frame + off->frame_code, &err) & ~tags;
		out->instr[i] = py_read_u64(frame + off->frame_instr, &err);
		entry = 0;
		if (bpf_probe_read_user(&entry, 1, (void *)(frame + off->frame_entry)))
			err = 1;
		if (err)
			break;
		if (shims ? entry == off->shim_owner : entry != 0)
			out->entry |= 1ULL << i;
		out->nr = i + 1;
		frame = py_read_u64(frame + off->frame_previous, &err);
	}
	if (err)
		out->flags |= MS_PY_READ_FAIL;
	else if (frame && out->nr == MS_MAX_PY_FRAMES)
		out->flags |= MS_PY_TRUNCATED;
}

#endif
