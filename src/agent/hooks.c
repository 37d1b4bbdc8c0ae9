/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hooks the allocator's pointer slots are switched to: each calls the original
 * (ms_agent_ctl.orig, the resolved symbol), counts, and traps only when sampled. */
#include "agent/agent.h"

#define HOOK AGENT_EXPORT __attribute__((noinline))
#define ORIG(id, type) ((type)ms_agent_ctl.orig[MS_HOOK_##id])
#define FRAME() __builtin_frame_address(0)

typedef void *(*fn_p1)(void *, size_t);
typedef void *(*fn_p2)(void *, size_t, size_t);
typedef void *(*fn_p_sz_fl)(void *, size_t, int);
typedef size_t (*fn_xallocx)(void *, size_t, size_t, int);
typedef int (*fn_pm)(void **, size_t, size_t);
typedef void *(*fn_new_nothrow)(size_t, const void *);
typedef void *(*fn_new_al_nothrow)(size_t, size_t, const void *);

/* ---------------------------------------------------------------- releases */

/* The block leaves the set (and reaches the trap) before the allocator has it back:
 * once freed, another thread may be handed the same address. */
#define RELEASE_HOOK(id, suffix, params, args)                                  \
	HOOK void ms_hook_##suffix params                                       \
	{                                                                       \
		int overflow;                                                   \
		struct ms_agent_thread *t = agent_enter(&overflow);             \
									\
		agent_release(t, overflow, (__u64)ptr, 1, FRAME());            \
		agent_leave(t);                                                 \
		ORIG(id, void (*) params) args;                                 \
	}

RELEASE_HOOK(FREE, free, (void *ptr), (ptr))
RELEASE_HOOK(CFREE, cfree, (void *ptr), (ptr))
RELEASE_HOOK(DALLOCX, dallocx, (void *ptr, int flags), (ptr, flags))
RELEASE_HOOK(SDALLOCX, sdallocx, (void *ptr, size_t size, int flags), (ptr, size, flags))
RELEASE_HOOK(DELETE, delete, (void *ptr), (ptr))
RELEASE_HOOK(DELETE_ARRAY, delete_array, (void *ptr), (ptr))
RELEASE_HOOK(DELETE_SIZED, delete_sized, (void *ptr, size_t size), (ptr, size))
RELEASE_HOOK(DELETE_ARRAY_SIZED, delete_array_sized, (void *ptr, size_t size), (ptr, size))
RELEASE_HOOK(DELETE_NOTHROW, delete_nothrow, (void *ptr, const void *nt), (ptr, nt))
RELEASE_HOOK(DELETE_ARRAY_NOTHROW, delete_array_nothrow, (void *ptr, const void *nt), (ptr, nt))
RELEASE_HOOK(DELETE_ALIGNED, delete_aligned, (void *ptr, size_t al), (ptr, al))
RELEASE_HOOK(DELETE_ARRAY_ALIGNED, delete_array_aligned, (void *ptr, size_t al), (ptr, al))
RELEASE_HOOK(DELETE_SIZED_ALIGNED, delete_sized_aligned, (void *ptr, size_t size, size_t al),
	     (ptr, size, al))
RELEASE_HOOK(DELETE_ARRAY_SIZED_ALIGNED, delete_array_sized_aligned,
	     (void *ptr, size_t size, size_t al), (ptr, size, al))

/* ---------------------------------------------------------------- resizes */

/* realloc is a release of the old block and an allocation of the new one; a
 * realloc that fails leaves the old block live, but unsampled from now on. */
HOOK void *ms_hook_realloc(void *ptr, size_t size)
{
	int overflow;
	struct ms_agent_thread *t = agent_enter(&overflow);
	void *c = FRAME();

	agent_release(t, overflow, (__u64)ptr, 0, c);
	void *p = ORIG(REALLOC, fn_p1)(ptr, size);
	agent_leave_alloc(t, overflow, (__u64)p, size, MS_FN_REALLOC, c);
	return p;
}

HOOK void *ms_hook_reallocarray(void *ptr, size_t n, size_t size)
{
	int overflow;
	struct ms_agent_thread *t = agent_enter(&overflow);
	void *c = FRAME();

	agent_release(t, overflow, (__u64)ptr, 0, c);
	void *p = ORIG(REALLOCARRAY, fn_p2)(ptr, n, size);
	agent_leave_alloc(t, overflow, (__u64)p, n * size, MS_FN_REALLOCARRAY, c);
	return p;
}

HOOK void *ms_hook_rallocx(void *ptr, size_t size, int flags)
{
	int overflow;
	struct ms_agent_thread *t = agent_enter(&overflow);
	void *c = FRAME();

	agent_release(t, overflow, (__u64)ptr, 0, c);
	void *p = ORIG(RALLOCX, fn_p_sz_fl)(ptr, size, flags);
	agent_leave_alloc(t, overflow, (__u64)p, size, MS_FN_RALLOCX, c);
	return p;
}

/* resized in place: the block counts again at the size it now has */
HOOK size_t ms_hook_xallocx(void *ptr, size_t size, size_t extra, int flags)
{
	int overflow;
	struct ms_agent_thread *t = agent_enter(&overflow);
	void *c = FRAME();

	agent_release(t, overflow, (__u64)ptr, 0, c);
	size_t n = ORIG(XALLOCX, fn_xallocx)(ptr, size, extra, flags);
	agent_leave_alloc(t, overflow, n ? (__u64)ptr : 0, n, MS_FN_XALLOCX, c);
	return n;
}

/* ---------------------------------------------------------------- allocations */

#define ALLOC_HOOK(id, suffix, params, args, size, fn)                              \
	HOOK void *ms_hook_##suffix params                                      \
	{                                                                       \
		int overflow;                                                   \
		struct ms_agent_thread *t = agent_enter(&overflow);             \
		void *p = ORIG(id, void *(*) params) args;                      \
									\
		agent_leave_alloc(t, overflow, (__u64)p, size, fn, FRAME());        \
		return p;                                                       \
	}

ALLOC_HOOK(MALLOC, malloc, (size_t size), (size), size, MS_FN_MALLOC)
ALLOC_HOOK(CALLOC, calloc, (size_t n, size_t size), (n, size), n * size, MS_FN_CALLOC)
ALLOC_HOOK(ALIGNED_ALLOC, aligned_alloc, (size_t al, size_t size), (al, size), size, MS_FN_ALIGNED_ALLOC)
ALLOC_HOOK(MEMALIGN, memalign, (size_t al, size_t size), (al, size), size, MS_FN_MEMALIGN)
ALLOC_HOOK(VALLOC, valloc, (size_t size), (size), size, MS_FN_VALLOC)
ALLOC_HOOK(PVALLOC, pvalloc, (size_t size), (size), size, MS_FN_PVALLOC)
ALLOC_HOOK(MALLOCX, mallocx, (size_t size, int flags), (size, flags), size, MS_FN_MALLOCX)

HOOK int ms_hook_posix_memalign(void **out, size_t al, size_t size)
{
	int overflow;
	struct ms_agent_thread *t = agent_enter(&overflow);
	int err = ORIG(POSIX_MEMALIGN, fn_pm)(out, al, size);

	agent_leave_alloc(t, overflow, err ? 0 : (__u64)*out, size, MS_FN_POSIX_MEMALIGN,
			  FRAME());
	return err;
}

/* The nothrow operators return NULL instead of throwing: hooked like malloc. */
ALLOC_HOOK(NEW_NOTHROW, new_nothrow, (size_t size, const void *nt), (size, nt), size, MS_FN_NEW)
ALLOC_HOOK(NEW_ARRAY_NOTHROW, new_array_nothrow, (size_t size, const void *nt), (size, nt), size, MS_FN_NEW)
ALLOC_HOOK(NEW_ALIGNED_NOTHROW, new_aligned_nothrow, (size_t size, size_t al, const void *nt),
	   (size, al, nt), size, MS_FN_NEW)
ALLOC_HOOK(NEW_ARRAY_ALIGNED_NOTHROW, new_array_aligned_nothrow,
	   (size_t size, size_t al, const void *nt), (size, al, nt), size, MS_FN_NEW)

/*
 * The throwing operators. A bad_alloc thrown through one of our frames would end
 * the target (its unwinder has no unwind information for the agent), so no agent
 * frame may be live when the original runs: the entry stubs (new_hooks.S) call
 * agent_new, then return the block it gives or, with none, tail-jump to the
 * original. An unsampled call is counted here and goes to the original; a sampled
 * one asks the nothrow original, which does not throw, and falls back to the
 * throwing one only if that failed (it then throws, or its new_handler found
 * memory: that rare block goes uncounted).
 */
struct new_result {
	__u64 block; /* served here: the stub returns it */
	__u64 orig;  /* else: where the stub jumps */
};

AGENT_HIDDEN struct new_result agent_new(size_t size, size_t al, __u32 which, void *frame)
{
	static const __u32 ids[4][2] = {
		{MS_HOOK_NEW, MS_HOOK_NEW_NOTHROW},
		{MS_HOOK_NEW_ARRAY, MS_HOOK_NEW_ARRAY_NOTHROW},
		{MS_HOOK_NEW_ALIGNED, MS_HOOK_NEW_ALIGNED_NOTHROW},
		{MS_HOOK_NEW_ARRAY_ALIGNED, MS_HOOK_NEW_ARRAY_ALIGNED_NOTHROW},
	};
	static const char nt; /* std::nothrow is an empty struct: any address does */
	struct new_result r = {.orig = ms_agent_ctl.orig[ids[which & 3][0]]};
	__u64 nothrow = ms_agent_ctl.orig[ids[which & 3][1]];
	int overflow;
	struct ms_agent_thread *t = agent_enter(&overflow);
	void *p = NULL;

	if (!t && !overflow)
		return r;
	if (t)
		t->seq++;
	int sampled = agent_take_sample(t, overflow, size);

	if (sampled >= 0 && nothrow) {
		p = (which & 2) ? ((fn_new_al_nothrow)nothrow)(size, al, &nt)
				: ((fn_new_nothrow)nothrow)(size, &nt);
		if (p) {
			agent_count_alloc(t, overflow, size);
			agent_sample_alloc(t, (__u64)p, size, MS_FN_NEW, frame, (__u32)sampled);
		}
	} else {
		/* a sample with no nothrow original to take it is lost, the count is not */
		agent_count_alloc(t, overflow, size);
	}
	agent_leave(t);
	r.block = (__u64)p;
	return r;
}

/* ---------------------------------------------------------------- CPython's domains */

/*
 * CPython's mem and obj allocator domains: each field of a PyMemAllocatorEx takes
 * the domain's ctx first, which the hook passes through untouched to the function
 * the field held before (ms_agent_ctl.orig: pymalloc, tracemalloc's or the debug
 * hooks' wrapper). The calls are counted on the domains' shared record (the GIL
 * orders them: agent_abi.h). A call that pymalloc may hand on to malloc (over
 * small_max bytes, or any call when small_max is 0) names the calling thread as
 * the record's owner across it, so that malloc's hooks leave what it forwards
 * uncounted: it is counted once, here, where the Python line that asked for it is
 * on the stack. An unsampled call is counted before the call and forwarded,
 * requests pymalloc serves itself by a tail call (its arena bookkeeping, now and
 * then, still asks malloc: counted twice); a sample due, a nested call or
 * sampling off takes the slow path. frame is the hook's own frame, so the traps
 * see the caller whichever way the compiler makes the call. An allocation counted
 * before the call stays counted if it fails: pymalloc fails only when the system
 * has no memory left.
 *
 * With small_max set, memspy leaves the free fields to pymalloc (half the calls,
 * and PGO's inlined pymalloc in PyObject_Free stays in use): a sampled request of
 * up to small_max bytes is asked for at small_max + 1, which pymalloc hands to
 * malloc, so its free, whichever domain it goes through, ends in malloc's free
 * hook. What that costs the target: one malloc block of 513 bytes per sampled
 * small object (one per --sample-bytes allocated: 0.1% at the default). The
 * allocation fields then hold these hooks only in windows (agent_abi.h), pymalloc
 * itself between them.
 */
typedef void *(*fn_py_malloc)(void *, size_t);
typedef void *(*fn_py_calloc)(void *, size_t, size_t);
typedef void *(*fn_py_realloc)(void *, void *, size_t);
typedef void (*fn_py_free)(void *, void *);

#define PY (&ms_agent_ctl.py)
#define PY_ENABLED() __atomic_load_n(&ms_agent_ctl.enabled, __ATOMIC_RELAXED)
/* whether a sampled request of size goes to malloc at small_max + 1 bytes
 * (sampled: as agent_take_sample's) */
#define PY_BUMP(sampled, size) ((sampled) >= 0 && PY->small_max && (size) <= PY->small_max)
#define PY_UNPAREN(...) __VA_ARGS__
/* With windows (shift), a request pymalloc hands to malloc (over small_max
 * bytes, or 0, which it asks malloc for as 1) is malloc's hooks' to count and
 * sample, in windows and between them alike: forwarded untouched, so that the
 * domains' record, scaled by the windows' share, holds only what pymalloc
 * serves itself. */
#define PY_MALLOCS_OWN(size) AGENT_UNLIKELY((size_t)(size) - 1 >= PY->small_max && PY->shift)

/* Between windows, the reallocs only forward, opening the next window when
 * memspy asked: whether it is open now. */
static AGENT_COLD int py_window_open(void)
{
	if (agent_py_window_asked())
		agent_py_window();
	return !PY->parked;
}

/* The slow paths: sampling off (PY->off: the domains are not this attach's) or
 * a nested call of this thread only forwards; a call while another thread is
 * inside one (sub-interpreters with a GIL each, an extension calling without the
 * GIL: nothing orders them) goes on the thread's own record, as any allocator
 * call (with windows, on the shared record still: PY_THREAD_CALL); else the
 * shared record. */
#define PY_FREE_HOOK(id, suffix)                                                \
	static AGENT_COLD void slow_##suffix(void *ctx, void *ptr, void *frame)  \
	{                                                                       \
		__u64 tp = agent_tp();                                          \
		int overflow;                                                   \
		struct ms_agent_thread *t;                                      \
									\
		if (!PY_ENABLED() || PY->owner == tp || !ptr) {                 \
			ORIG(id, fn_py_free)(ctx, ptr);                         \
			return;                                                 \
		}                                                               \
		if (PY->owner) {                                                \
			t = agent_enter(&overflow);                             \
			agent_release(t, overflow, (__u64)ptr, 1, frame);      \
			ORIG(id, fn_py_free)(ctx, ptr);                         \
			agent_leave(t);                                         \
			return;                                                 \
		}                                                               \
		PY->n.free_calls++;                                             \
		agent_py_release_sampled((__u64)ptr, frame);                    \
		PY->owner = tp;                                                 \
		ORIG(id, fn_py_free)(ctx, ptr);                                 \
		PY->owner = 0;                                                  \
	}                                                                       \
	HOOK void ms_hook_##suffix(void *ctx, void *ptr)                        \
	{                                                                       \
		__u64 tp = agent_tp();                                          \
									\
		if (AGENT_UNLIKELY(!ptr || !PY_ENABLED() || PY->owner ||        \
				   ms_agent_ctl.homes[agent_home((__u64)ptr)])) { \
			slow_##suffix(ctx, ptr, FRAME());                       \
			return;                                                 \
		}                                                               \
		PY->n.free_calls++;                                             \
		PY->owner = tp;                                                 \
		ORIG(id, fn_py_free)(ctx, ptr);                                 \
		PY->owner = 0;                                                  \
	}

/* On the calling thread's record, whether to sample decided before the call (the
 * request grows when it is): reallocs, and calls made while another thread is
 * inside one. Its nested calls only forward (its depth is raised). With windows
 * (windowed) the count and the countdown are the shared record's all the same:
 * only it is scaled by the windows' share. */
#define PY_THREAD_CALL(id, fn_type, args, bumped_args, size, fn, frame, release)  \
	do {                                                                    \
		int overflow, sampled = -1;                                     \
		struct ms_agent_thread *t = agent_enter(&overflow);             \
		__u64 big = (__u64)PY->small_max + 1;                           \
		int windowed = PY->shift && !PY->off;                           \
		void *p;                                                        \
									\
		(void)big;                                                      \
		release;                                                        \
		if ((t || overflow) && !PY->off)                                \
			sampled = windowed ? agent_py_take_sample(size)         \
					   : agent_take_sample(t, overflow, size); \
		p = PY_BUMP(sampled, size) ? ORIG(id, fn_type)(ctx, PY_UNPAREN bumped_args) \
					   : ORIG(id, fn_type)(ctx, PY_UNPAREN args); \
		if (t)                                                          \
			t->seq++;                                               \
		if (p && (t || overflow)) {                                     \
			if (!windowed)                                          \
				agent_count_alloc(t, overflow, size);           \
			if (sampled >= 0)                                       \
				agent_sample_alloc(t, (__u64)p, size, fn, frame, \
						   (__u32)sampled);             \
		}                                                               \
		agent_leave(t);                                                 \
		return p;                                                       \
	} while (0)

/* Between windows a realloc of up to small_max bytes is the domains' record's
 * as in them, which counts it in windows only: its old block, if sampled, leaves
 * the set first, and the call is made with the owner set, so that malloc's hooks
 * leave a malloc block's realloc (pymalloc hands those on) uncounted. */
#define PY_REALLOC_HOOK(id, suffix)                                             \
	static void *between_##suffix(void *ctx, void *ptr, size_t size, void *frame) \
	{                                                                       \
		__u64 tp = agent_tp();                                          \
		void *p;                                                        \
									\
		if (ptr && __atomic_load_n(&ms_agent_ctl.homes[agent_home((__u64)ptr)], \
					   __ATOMIC_RELAXED))                   \
			agent_py_release_sampled((__u64)ptr, frame);            \
		if (!PY_ENABLED() || PY->owner)                                 \
			return ORIG(id, fn_py_realloc)(ctx, ptr, size);         \
		PY->owner = tp;                                                 \
		p = ORIG(id, fn_py_realloc)(ctx, ptr, size);                    \
		PY->owner = 0;                                                  \
		return p;                                                       \
	}                                                                       \
	HOOK void *ms_hook_##suffix(void *ctx, void *ptr, size_t size)          \
	{                                                                       \
		void *c = FRAME();                                              \
									\
		if (PY_MALLOCS_OWN(size))                                       \
			return ORIG(id, fn_py_realloc)(ctx, ptr, size);         \
		if (PY->parked && !py_window_open())                            \
			return between_##suffix(ctx, ptr, size, c);             \
		PY_THREAD_CALL(id, fn_py_realloc, (ptr, size), (ptr, big), size, \
			       MS_FN_REALLOC, c,                                \
			       agent_release(t, overflow, (__u64)ptr, 0, c));   \
	}

#define PY_ALLOC_HOOK(id, suffix, fn_type, params, args, bumped_args, size, fn) \
	static AGENT_COLD void *thread_##suffix(void *ctx, PY_UNPAREN params, void *frame) \
	{                                                                       \
		PY_THREAD_CALL(id, fn_type, args, bumped_args, size, fn, frame, (void)0); \
	}                                                                       \
	static AGENT_COLD void *slow_##suffix(void *ctx, PY_UNPAREN params, void *frame) \
	{                                                                       \
		__u64 tp = agent_tp(), big = (__u64)PY->small_max + 1;          \
		void *p;                                                        \
									\
		(void)big;                                                      \
		if (agent_py_window_asked())                                    \
			agent_py_window();                                      \
		if (!PY_ENABLED() || PY->owner == tp || PY->off)                \
			return ORIG(id, fn_type)(ctx, PY_UNPAREN args);         \
		if (PY->owner)                                                  \
			return thread_##suffix(ctx, PY_UNPAREN args, frame);    \
		int sampled = agent_py_take_sample(size);                       \
		PY->owner = tp;                                                 \
		p = PY_BUMP(sampled, size) ? ORIG(id, fn_type)(ctx, PY_UNPAREN bumped_args) \
					   : ORIG(id, fn_type)(ctx, PY_UNPAREN args); \
		PY->owner = 0;                                                  \
		if (sampled >= 0 && p)                                          \
			agent_py_sample((__u64)p, size, fn, frame, (__u32)sampled); \
		return p;                                                       \
	}                                                                       \
	HOOK void *ms_hook_##suffix(void *ctx, PY_UNPAREN params)               \
	{                                                                       \
		__s64 left = PY->countdown - (__s64)(size);                     \
									\
		if (PY_MALLOCS_OWN(size))                                       \
			return ORIG(id, fn_type)(ctx, PY_UNPAREN args);         \
									\
		if (AGENT_UNLIKELY(left <= 0 || (size) == 0 || !PY_ENABLED() || PY->owner || \
				   agent_py_window_asked()))                    \
			return slow_##suffix(ctx, PY_UNPAREN args, FRAME());    \
		PY->countdown = left;                                           \
		agent_py_count_alloc(size);                                     \
		/* pymalloc serves it from its pools, calling nothing: no owner */ \
		if ((size) <= PY->small_max)                                    \
			return ORIG(id, fn_type)(ctx, PY_UNPAREN args);         \
		PY->owner = agent_tp();                                         \
		void *p = ORIG(id, fn_type)(ctx, PY_UNPAREN args);              \
		PY->owner = 0;                                                  \
		return p;                                                       \
	}

PY_FREE_HOOK(PYMEM_FREE, pymem_free)
PY_FREE_HOOK(PYOBJ_FREE, pyobj_free)
PY_REALLOC_HOOK(PYMEM_REALLOC, pymem_realloc)
PY_REALLOC_HOOK(PYOBJ_REALLOC, pyobj_realloc)
PY_ALLOC_HOOK(PYMEM_MALLOC, pymem_malloc, fn_py_malloc, (size_t size), (size), (big), size,
	      MS_FN_MALLOC)
PY_ALLOC_HOOK(PYOBJ_MALLOC, pyobj_malloc, fn_py_malloc, (size_t size), (size), (big), size,
	      MS_FN_MALLOC)
PY_ALLOC_HOOK(PYMEM_CALLOC, pymem_calloc, fn_py_calloc, (size_t n, size_t size), (n, size),
	      (1, big), n * size, MS_FN_CALLOC)
PY_ALLOC_HOOK(PYOBJ_CALLOC, pyobj_calloc, fn_py_calloc, (size_t n, size_t size), (n, size),
	      (1, big), n * size, MS_FN_CALLOC)
