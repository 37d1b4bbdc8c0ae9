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

/* Read user memory of task, or of the current task when task is NULL (the
 * constant folds away in the programs that run in the target's context; only a
 * sleepable program, such as the dump iterator, may read another task's). */
static __always_inline long py_read(struct task_struct *task, void *dst, __u32 size, __u64 addr)
{
	if (task)
		return bpf_copy_from_user_task(dst, size, (void *)addr, task, 0);
	return bpf_probe_read_user(dst, size, (void *)addr);
}

static __always_inline __u64 py_read_u64(struct task_struct *task, __u64 addr, int *err)
{
	__u64 v = 0;

	if (py_read(task, &v, sizeof(v), addr))
		*err = 1;
	return v;
}

static __always_inline __u64 py_find_tstate(struct task_struct *task,
					     const volatile struct ms_python_offsets *off,
					     __u32 tid, __u32 *flags)
{
	__u64 *cached = bpf_map_lookup_elem(&py_tstates, &tid);
	__u64 interp, ts;
	int err = 0;

	/* A stale entry (the state freed, its memory gone) must not fail the walk. */
	if (cached && py_read_u64(task, *cached + off->tstate_native_tid, &err) == tid && !err)
		return *cached;
	err = 0;
	interp = py_read_u64(task, off->runtime + off->runtime_interp_head, &err);
	for (int i = 0; i < MS_PY_MAX_INTERPS && interp && !err; i++) {
		ts = py_read_u64(task, interp + off->interp_threads_head, &err);
		for (int j = 0; j < MS_PY_MAX_THREADS && ts && !err; j++) {
			if (py_read_u64(task, ts + off->tstate_native_tid, &err) == tid && !err) {
				bpf_map_update_elem(&py_tstates, &tid, &ts, BPF_ANY);
				return ts;
			}
			ts = py_read_u64(task, ts + off->tstate_next, &err);
		}
		interp = py_read_u64(task, interp + off->interp_next, &err);
	}
	*flags |= err ? MS_PY_READ_FAIL : MS_PY_NO_THREAD;
	return 0;
}

/* The innermost frame of thread state ts. */
static __always_inline __u64 py_top_frame(struct task_struct *task,
					   const volatile struct ms_python_offsets *off,
					   __u64 ts, int *err)
{
	__u64 p = py_read_u64(task, ts + off->tstate_frame, err);

	if (off->layout & MS_PY_LAYOUT_CFRAME)
		p = p ? py_read_u64(task, p + off->cframe_current, err) : 0;
	return p;
}

/*
 * The four fields of a frame the walk reads lie within a few words of each other
 * (3.11: bytes 0x20 to 0x44; 3.13+: 0 to 0x46), so a frame costs one read of
 * those words rather than four reads: a 40-frame Flask stack at each sample is
 * 40 helper calls, not 160. Word indices into the window, and whether the layout
 * fits one.
 */
#define MS_PY_WINDOW_WORDS 10
struct py_window {
	__u32 lo; /* the window's first byte in the frame */
	__u32 code, instr, previous, entry; /* word of each field */
	__u32 entry_shift;		    /* bits below the entry byte in its word */
	int ok;
};

static __always_inline void py_frame_window(const volatile struct ms_python_offsets *off,
					     struct py_window *win)
{
	__u32 code = off->frame_code, instr = off->frame_instr, prev = off->frame_previous,
	      entry = off->frame_entry, lo = code, hi;

	lo = instr < lo ? instr : lo;
	lo = prev < lo ? prev : lo;
	lo = (entry < lo ? entry : lo) & ~7u;
	hi = code > instr ? code : instr;
	hi = prev > hi ? prev : hi;
	hi = (entry & ~7u) > hi ? (entry & ~7u) : hi;
	win->lo = lo;
	win->ok = hi + 8 - lo <= 8 * MS_PY_WINDOW_WORDS && !(code & 7) && !(instr & 7) &&
		  !(prev & 7);
	win->code = (code - lo) / 8;
	win->instr = (instr - lo) / 8;
	win->previous = (prev - lo) / 8;
	win->entry = (entry - lo) / 8;
	win->entry_shift = ((entry - lo) & 7) * 8;
	if (!win->ok) /* the fallback's own words: distinct, in range */
		win->code = 0, win->instr = 1, win->previous = 2;
}

/* Fill out with the Python frames of thread tid of task's process (NULL: the
 * current one), innermost first, and return its thread state (0: none). Every
 * thread has its own frame chain, whether or not it holds the GIL. The 3.13
 * evaluator's shim frames are kept as read, marked in out->entry, and left to user
 * space: skipping them here would let the frame count drift from the loop's, and
 * the verifier would then follow every combination of the two. */
static __always_inline __u64 read_task_python_stack(struct ms_py_stack *out, __u32 tid,
						    struct task_struct *task)
{
	const volatile struct ms_python_offsets *off = python_offsets();
	bool shims;
	struct py_window win;
	__u64 ts, frame, tags, w[16] = {}; /* MS_PY_WINDOW_WORDS used, indices & 15 */
	__u8 entry;
	int err = 0;

	out->nr = 0;
	out->flags = 0;
	out->entry = 0;
	if (!off || !off->runtime)
		return 0;
	shims = off->layout & MS_PY_LAYOUT_SHIM;
	tags = off->layout & MS_PY_LAYOUT_STACKREF ? MS_PY_STACKREF_TAGS : 0;
	ts = py_find_tstate(task, off, tid, &out->flags);
	if (!ts)
		return 0;
	py_frame_window(off, &win);
	frame = py_top_frame(task, off, ts, &err);
	for (int i = 0; i < MS_MAX_PY_FRAMES; i++) {
		if (!frame || err)
			break;
		if (!win.ok || py_read(task, w, 8 * MS_PY_WINDOW_WORDS, frame + win.lo)) {
			/* a frame whose window runs past its mapping: field by field */
			w[win.code & 15] = py_read_u64(task, frame + off->frame_code, &err);
			w[win.instr & 15] = py_read_u64(task, frame + off->frame_instr, &err);
			entry = 0;
			if (py_read(task, &entry, 1, frame + off->frame_entry))
				err = 1;
			if (err)
				break;
			/* last: a frame whose link cannot be read is still whole */
			w[win.previous & 15] = py_read_u64(task, frame + off->frame_previous, &err);
		} else {
			entry = (__u8)(w[win.entry & 15] >> win.entry_shift);
		}
		/* a tagged reference's tag bits say how it is counted, not where */
		out->code[i] = w[win.code & 15] & ~tags;
		out->instr[i] = w[win.instr & 15];
		if (shims ? entry == off->shim_owner : entry != 0)
			out->entry |= 1ULL << i;
		out->nr = i + 1;
		frame = w[win.previous & 15];
	}
	if (err)
		out->flags |= MS_PY_READ_FAIL;
	else if (frame && out->nr == MS_MAX_PY_FRAMES)
		out->flags |= MS_PY_TRUNCATED;
	return ts;
}

/* The current thread's Python frames (the programs that run in the target). */
static __always_inline void read_python_stack(struct ms_py_stack *out, __u32 tid)
{
	read_task_python_stack(out, tid, NULL);
}

#endif
