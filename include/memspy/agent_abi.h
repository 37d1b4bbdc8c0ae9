/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What memspy and the in-process agent (src/agent/) share: the control block in the
 * agent's zero-filled RW segment, the hooks and the sample record the trap functions
 * receive. memspy writes the settings after mapping the agent; the agent keeps the
 * counters. Fixed-width fields, widest first, no pointers the agent would have to
 * relocate: every address is a plain __u64 of the target. */
#ifndef MEMSPY_AGENT_ABI_H
#define MEMSPY_AGENT_ABI_H

#include "memspy/events.h"

#define MS_AGENT_MAGIC 0x31544e4741594d53ULL /* "SMYAGNT1" */
#define MS_AGENT_ABI 7
/* Threads with a record of their own; later ones share the overflow record. */
#define MS_AGENT_THREADS 512
/* Sampled live blocks the agent remembers (power of two: open addressing). */
#define MS_AGENT_SET_SLOTS 16384
/* One byte per home of a block (its page, modulo): a release looks only at its
 * home's byte unless a sampled block lives in the same page. */
#define MS_AGENT_HOMES 65536
/* Pointer slots one install switches. */
#define MS_AGENT_MAX_SLOTS 1024

/*
 * The hooks: X(ID, hook symbol suffix, entry point symbol, enum ms_alloc_fn).
 * Release hooks first, then the reallocs, then the allocations: memspy lists slots
 * in this order, so frees are hooked before any sampled block can be handed out
 * (and unhooked after the last one). The agent's hook for ID is ms_hook_<suffix>.
 * The PY* hooks are CPython's mem and obj allocator domains (PyMemAllocatorEx:
 * ctx, malloc, calloc, realloc, free): their slots are the struct's function
 * fields, found from the interpreter (src/python/python_domains.c), never by a
 * relocation, so their names are ones no symbol has. They map onto the malloc
 * family's enum ms_alloc_fn: a sampled Python object is an allocation like any.
 */
#define MS_AGENT_HOOKS(X)                                                        \
	X(FREE, free, "free", MS_FN_FREE)                                        \
	X(CFREE, cfree, "cfree", MS_FN_FREE)                                     \
	X(DALLOCX, dallocx, "dallocx", MS_FN_FREE)                               \
	X(SDALLOCX, sdallocx, "sdallocx", MS_FN_FREE)                            \
	X(DELETE, delete, "_ZdlPv", MS_FN_FREE)                                  \
	X(DELETE_ARRAY, delete_array, "_ZdaPv", MS_FN_FREE)                      \
	X(DELETE_SIZED, delete_sized, "_ZdlPvm", MS_FN_FREE)                     \
	X(DELETE_ARRAY_SIZED, delete_array_sized, "_ZdaPvm", MS_FN_FREE)         \
	X(DELETE_NOTHROW, delete_nothrow, "_ZdlPvRKSt9nothrow_t", MS_FN_FREE)    \
	X(DELETE_ARRAY_NOTHROW, delete_array_nothrow, "_ZdaPvRKSt9nothrow_t",    \
	  MS_FN_FREE)                                                            \
	X(DELETE_ALIGNED, delete_aligned, "_ZdlPvSt11align_val_t", MS_FN_FREE)   \
	X(DELETE_ARRAY_ALIGNED, delete_array_aligned, "_ZdaPvSt11align_val_t",   \
	  MS_FN_FREE)                                                            \
	X(DELETE_SIZED_ALIGNED, delete_sized_aligned, "_ZdlPvmSt11align_val_t",  \
	  MS_FN_FREE)                                                            \
	X(DELETE_ARRAY_SIZED_ALIGNED, delete_array_sized_aligned,                \
	  "_ZdaPvmSt11align_val_t", MS_FN_FREE)                                  \
	X(PYMEM_FREE, pymem_free, "[python mem] free", MS_FN_FREE)               \
	X(PYOBJ_FREE, pyobj_free, "[python obj] free", MS_FN_FREE)               \
	X(REALLOC, realloc, "realloc", MS_FN_REALLOC)                            \
	X(REALLOCARRAY, reallocarray, "reallocarray", MS_FN_REALLOCARRAY)        \
	X(RALLOCX, rallocx, "rallocx", MS_FN_RALLOCX)                            \
	X(XALLOCX, xallocx, "xallocx", MS_FN_XALLOCX)                            \
	X(PYMEM_REALLOC, pymem_realloc, "[python mem] realloc", MS_FN_REALLOC)   \
	X(PYOBJ_REALLOC, pyobj_realloc, "[python obj] realloc", MS_FN_REALLOC)   \
	X(MALLOC, malloc, "malloc", MS_FN_MALLOC)                                \
	X(CALLOC, calloc, "calloc", MS_FN_CALLOC)                                \
	X(POSIX_MEMALIGN, posix_memalign, "posix_memalign", MS_FN_POSIX_MEMALIGN) \
	X(ALIGNED_ALLOC, aligned_alloc, "aligned_alloc", MS_FN_ALIGNED_ALLOC)    \
	X(MEMALIGN, memalign, "memalign", MS_FN_MEMALIGN)                        \
	X(VALLOC, valloc, "valloc", MS_FN_VALLOC)                                \
	X(PVALLOC, pvalloc, "pvalloc", MS_FN_PVALLOC)                            \
	X(MALLOCX, mallocx, "mallocx", MS_FN_MALLOCX)                            \
	X(NEW, new, "_Znwm", MS_FN_NEW)                                          \
	X(NEW_ARRAY, new_array, "_Znam", MS_FN_NEW)                              \
	X(NEW_NOTHROW, new_nothrow, "_ZnwmRKSt9nothrow_t", MS_FN_NEW)            \
	X(NEW_ARRAY_NOTHROW, new_array_nothrow, "_ZnamRKSt9nothrow_t", MS_FN_NEW) \
	X(NEW_ALIGNED, new_aligned, "_ZnwmSt11align_val_t", MS_FN_NEW)           \
	X(NEW_ARRAY_ALIGNED, new_array_aligned, "_ZnamSt11align_val_t", MS_FN_NEW) \
	X(NEW_ALIGNED_NOTHROW, new_aligned_nothrow,                              \
	  "_ZnwmSt11align_val_tRKSt9nothrow_t", MS_FN_NEW)                       \
	X(NEW_ARRAY_ALIGNED_NOTHROW, new_array_aligned_nothrow,                  \
	  "_ZnamSt11align_val_tRKSt9nothrow_t", MS_FN_NEW)                       \
	X(PYMEM_MALLOC, pymem_malloc, "[python mem] malloc", MS_FN_MALLOC)       \
	X(PYMEM_CALLOC, pymem_calloc, "[python mem] calloc", MS_FN_CALLOC)       \
	X(PYOBJ_MALLOC, pyobj_malloc, "[python obj] malloc", MS_FN_MALLOC)       \
	X(PYOBJ_CALLOC, pyobj_calloc, "[python obj] calloc", MS_FN_CALLOC)

#define MS_AGENT_HOOK_ENUM(id, suffix, sym, fn) MS_HOOK_##id,
enum ms_agent_hook { MS_AGENT_HOOKS(MS_AGENT_HOOK_ENUM) MS_HOOK_COUNT };
#undef MS_AGENT_HOOK_ENUM

/* ms_agent_ctl.py_window: a request's sequence number << 2 | what it asks */
#define MS_PY_WINDOW_OPEN 1  /* hook the domains' malloc and calloc fields */
#define MS_PY_WINDOW_CLOSE 2 /* give them back to what they held */
#define MS_PY_WINDOW_ASK 3
/* ms_agent_py.switching once ms_agent_remove took it: no more switches */
#define MS_PY_SWITCH_DONE (~0ull)

/* ms_agent_slot.state, written by the agent */
enum ms_agent_slot_state {
	MS_SLOT_PENDING,   /* not touched yet */
	MS_SLOT_HOOKED,	   /* holds the hook; old holds what it held */
	MS_SLOT_RESTORED,  /* old value put back by ms_agent_remove */
	MS_SLOT_CHANGED,   /* someone else rewrote it since: left alone on removal */
	MS_SLOT_FAILED,	   /* mprotect refused: never hooked */
};

/* One pointer slot to switch (a GOT entry, or allocator table data). */
struct ms_agent_slot {
	__u64 addr;  /* memspy: the slot's address, 8-byte aligned */
	__u64 hook;  /* memspy: the value to store, the agent's ms_hook_* address */
	__u64 old;   /* agent: the value it held when hooked */
	__u32 id;    /* memspy: enum ms_agent_hook */
	__u32 prot;  /* memspy: PROT_* of its page now; without PROT_WRITE the agent
		      * mprotects the page writable around its store */
	__u32 state; /* agent: enum ms_agent_slot_state */
	__s32 err;   /* agent: -errno of a failed mprotect */
};

/* Counters of one thread (or of every thread without a record). */
struct ms_agent_counts {
	__u64 alloc_calls;  /* outermost successful allocations */
	__u64 alloc_bytes;  /* their requested bytes */
	__u64 free_calls;   /* outermost releases of non-NULL pointers */
	__u64 sampled;	    /* allocations that reached ms_trap_alloc */
	__u64 size_buckets[MS_SIZE_BUCKETS]; /* allocations by power of two of size */
};

/* A thread's record, claimed by compare-and-swap of key; written only by its
 * thread afterwards (memspy reads it while it runs: aligned words never tear). */
struct ms_agent_thread {
	__u64 key;	 /* the thread pointer (%fs:0); 0: free record */
	__s64 countdown; /* bytes until the next sample */
	__u32 draws;	 /* countdowns drawn so far: the next index into the table */
	__u16 armed;	 /* countdown drawn once: a fresh record starts at 0 */
	__u16 mean_shift; /* ms_agent_ctl.mean_shift when the countdown was drawn */
	__u32 seq;	 /* allocator calls so far (frees included), as events.h's seq */
	__u32 depth;	 /* a hook of this thread under way: nested ones only forward */
	struct ms_agent_counts n;
};

/* The control block: at the start of the agent's RW segment, symbol ms_agent_ctl. */
/*
 * CPython's mem and obj domains are called holding the GIL, one call at a time,
 * so they share one record on the control block's first page instead of each
 * thread's own: a busy Python process makes millions of these calls a second, and
 * finding a thread's record in a table that the process's own pages push out of
 * the TLB cost a Flask worker most of the hooks' time (measured: the shared record
 * made the obj domain's malloc hook 7 times cheaper there). A call that finds
 * another thread inside one (sub-interpreters with a GIL each, an extension
 * calling without the GIL) counts on its thread's own record instead; two that
 * race past that check only make these counters approximate: nothing in the
 * record is a pointer the agent follows.
 */
struct ms_agent_py {
	/* thread pointer of the thread inside a domain call that pymalloc may hand
	 * on to malloc (not one it serves from its pools: small_max): its nested
	 * calls (pymalloc's forwards to malloc) only forward. Every allocator hook of
	 * every thread reads it, so it has its line to itself, apart from the
	 * counters the domain calls write. */
	__u64 owner __attribute__((aligned(64)));
	__u8 pad_owner[56];
	__s64 countdown; /* bytes until the next sampled Python allocation */
	__u32 draws;	 /* countdowns drawn so far */
	__u16 armed;	 /* countdown drawn once */
	__u16 mean_shift; /* ms_agent_ctl.mean_shift when the countdown was drawn */
	/* memspy: 1 when this attach did not hook the domains (refused, or no
	 * Python): calls that still reach the hooks through a wrapper that saved
	 * them (tracemalloc) are forwarded, never sampled, so no sampled block
	 * depends on free fields this attach does not hold */
	__u32 off;
	/* memspy: the largest request pymalloc serves from its own pools (512)
	 * when the domains are plain pymalloc and their free fields are left to
	 * pymalloc, 0 when every field is hooked. Requests up to it are forwarded
	 * without the owner set (pymalloc serves them itself: only its own
	 * bookkeeping, now and then, asks the raw domain for memory, which is then
	 * counted on the thread's record too), and a sampled one is asked for at
	 * small_max + 1 bytes: pymalloc hands that to malloc, whose free, hooked,
	 * sees it go. */
	__u32 small_max;
	/* With small_max set, the domains' malloc and calloc fields hold the hooks
	 * only in windows, 1/2^shift of the time (memspy opens and closes them:
	 * ms_agent_ctl.py_window), and hold pymalloc's functions between them, which
	 * PGO inlined into the interpreter: a Python process then runs at nearly its
	 * own speed most of the time. The realloc hooks stay, forwarding between
	 * windows (with the owner set: a realloc of up to small_max bytes is the
	 * record's in windows and out, uncounted out): a pure Python loop calls them
	 * (a list growing) where it calls nothing else of the agent's, and the first
	 * call after memspy asks opens the window. The countdown's draws are
	 * shifted right by shift, so that as many objects are sampled as if the
	 * fields were hooked all the time, and memspy scales the counts by the
	 * share of time hooked. Only requests pymalloc serves itself are the
	 * record's: larger ones go to malloc's hooks untouched, windows or not. */
	__u32 shift;	 /* memspy: 0: no windows, the fields hooked throughout */
	__u32 parked;	 /* agent: 1 between windows */
	__u32 windows;	 /* agent: windows opened */
	/* memspy: the longest window in microseconds: a sample taken later
	 * closes it (memspy, a process away, may be late) */
	__u32 window_us;
	/* agent: the process's CPU time (CLOCK_PROCESS_CPUTIME_ID) in the windows
	 * closed so far: the share is one of the work the process did, which an
	 * idle spell (no hook called to open a window) does not skew */
	__u64 hooked_cpu_ns;
	__u64 window_cpu;   /* agent: the process's CPU time when the open window
			     * opened; 0: none open */
	__u64 window_start; /* agent: CLOCK_MONOTONIC then, for window_us */
	/* agent: the thread CPU time the domains' samples took in windows (their
	 * slow path, the trap, the clock reads): sampling 2^shift times as densely
	 * there costs CPU time that does no work of the program's, which memspy
	 * takes out of the share */
	__u64 sample_cpu_ns;
	/* agent: the thread pointer of the thread switching the fields (one at a
	 * time, taken by compare-and-swap from 0, never waited for by a hook),
	 * MS_PY_SWITCH_DONE once removal took it for good */
	__u64 switching;
	/* agent: CPU time of windows that outlasted 3 window_us of wall time, past
	 * that: a window closes at a hook call, and a stretch without any (a full
	 * garbage collection of a big heap, a long C call) would otherwise count
	 * whole in the share, where the same stretch between windows counts no
	 * more than its 1/2^shift; memspy leaves it out of both sides */
	__u64 skipped_cpu_ns;
	/* The domain calls so far (n.alloc_calls + n.free_calls) are a sample's
	 * seq, added to its thread's. With the frees left to pymalloc only
	 * allocations count: a Python temporary is then a block freed before its
	 * thread's next allocation. */
	struct ms_agent_counts n;
};

struct ms_agent_ctl {
	/* settings, memspy */
	__u64 magic;			     /* MS_AGENT_MAGIC once memspy filled it */
	/* What every hook call reads, on the first page with nothing but the magic
	 * before it: a busy Python process makes millions of calls a second while
	 * its own pages push the agent's out of the TLB. */
	__u32 enabled;	/* agent: 1 between install and remove: hooks count and sample */
	/* memspy asks for a Python window to open or close here, writing nothing
	 * else; the next hook call that sees it differ from py_window_done takes
	 * py.switching, does what it asks if it is not so already, and copies it to
	 * py_window_done */
	__u32 py_window;
	__u32 py_window_done; /* agent */
	struct ms_agent_py py; /* agent: CPython's mem and obj domains */
	__u64 orig[MS_HOOK_COUNT];	     /* resolved original of each hook; 0: unused */
	__u64 countdowns[MS_COUNTDOWN_SLOTS]; /* exponential draws of the mean */
	__u64 mean;			     /* --sample-bytes, for the record */
	/* the memspy that installed the agent, so that a later one can tell it was
	 * killed (no such pid, or another process under it) and adopt the agent */
	__u64 owner_start;		     /* its start time, /proc/<pid>/stat field 22 */
	__u32 abi;			     /* MS_AGENT_ABI */
	__u32 nr_slots;			     /* entries used in slots[] */
	__u32 sample_all;		     /* every allocation reaches the trap */
	__u32 owner_pid;		     /* its pid (0: unknown) */
	struct ms_agent_slot slots[MS_AGENT_MAX_SLOTS];
	/* state, agent */
	__u32 installs;	    /* completed ms_agent_install calls */
	/* memspy: countdowns are drawn 2^mean_shift times longer than the table's
	 * (a mean raised while the target allocates faster than memspy keeps up
	 * with cheaply); each sample carries the shift its countdown was drawn
	 * with, which its weight needs: a countdown is memoryless, so the block
	 * that ends it was sampled at that mean, whenever the shift changed */
	__u32 mean_shift;
	__s32 install_result; /* slots hooked by the last install, or -errno */
	__s32 remove_result;  /* slots restored by the last remove, or -errno */
	__u64 sampled_frees;  /* frees of sampled blocks that reached ms_trap_free */
	__u64 set_full;	      /* sampled blocks the set had no room for */
	__u64 threads_full;   /* hook calls that went to the overflow record */
	__u64 overflow_countdown; /* the overflow record's shared countdown */
	__u32 overflow_mean_shift; /* mean_shift when it was drawn (threads racing
				    * there may pair a countdown with the shift
				    * of the one before: rare, and off by a draw) */
	__u32 pad2;
	struct ms_agent_counts overflow;
	/* a record's counters each on their own lines: a thread's hooks touch one
	 * record's first line and its size buckets, nothing another thread writes */
	struct ms_agent_thread threads[MS_AGENT_THREADS] __attribute__((aligned(64)));
	__u64 set[MS_AGENT_SET_SLOTS]; /* sampled live blocks; 0 empty, 1 deleted */
	/* blocks in set[] per home slot: a free looks at this byte, which stays in
	 * the cache, and probes set[] only when it is not 0 */
	__u8 homes[MS_AGENT_HOMES];
};

/* What the trap functions receive: the sampled call, and the caller's state at its
 * return point, so BPF builds the same event as a uretprobe on the allocator. */
struct ms_agent_sample {
	__u64 addr;	/* the block */
	__u64 size;	/* requested bytes (0 for a free) */
	__u64 ret;	/* return address into the caller: the caller's ip */
	__u64 sp;	/* caller's sp once returned: address of the return address + 8 */
	__u64 rbp;	/* caller's rbp (the hook's saved frame pointer) */
	__u32 fn;	/* enum ms_alloc_fn */
	__u32 seq;	/* the thread's allocator calls so far, this one included */
	__u32 mean_shift; /* allocations: sampled at the mean << mean_shift */
	__u32 pad;
};

_Static_assert(sizeof(struct ms_agent_slot) == 40, "agent slot layout");
_Static_assert(sizeof(struct ms_agent_sample) == 56, "agent sample layout");
_Static_assert(sizeof(struct ms_agent_counts) == 32 + 8 * MS_SIZE_BUCKETS, "agent counts layout");
_Static_assert(sizeof(struct ms_agent_thread) == 32 + sizeof(struct ms_agent_counts),
	       "agent thread layout");
_Static_assert(__builtin_offsetof(struct ms_agent_ctl, slots) ==
		       64 + sizeof(struct ms_agent_py) + 8 * (2 + MS_COUNTDOWN_SLOTS + MS_HOOK_COUNT) + 16,
	       "agent control block settings layout");
_Static_assert(sizeof(struct ms_agent_py) % 64 == 0 &&
		       __builtin_offsetof(struct ms_agent_py, countdown) == 64 &&
		       __builtin_offsetof(struct ms_agent_py, n) == 152,
	       "agent python record layout");
_Static_assert((MS_AGENT_SET_SLOTS & (MS_AGENT_SET_SLOTS - 1)) == 0, "set size power of two");

#endif
