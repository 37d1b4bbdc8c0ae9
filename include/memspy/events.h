/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The records and settings the BPF programs and user space share: nothing else crosses. */
#ifndef MEMSPY_EVENTS_H
#define MEMSPY_EVENTS_H

#ifndef __bpf__
#include <linux/types.h>
#endif

/* x86_64 DWARF register numbers 0..16: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip */
#define MS_NR_REGS 17
#define MS_REG_BP 6
#define MS_REG_SP 7
#define MS_REG_IP 16

/* Largest user stack copy; --stack-bytes chooses up to this. Power of two so the
 * verifier can bound a masked length. */
#define MS_MAX_STACK_BYTES 32768
#define MS_DEFAULT_STACK_BYTES 16384
/* Exponential countdown draws precomputed in user space (BPF has no floats). */
#define MS_COUNTDOWN_SLOTS 4096
/* Allocations counted per power of two of their size: bucket k holds [2^k, 2^(k+1)),
 * bucket 0 also 0. */
#define MS_SIZE_BUCKETS 64
#define MS_MAX_KSTACK 64
/* x86_64's red zone: leaf code may keep data this far below sp. */
#define MS_RED_ZONE 128
/* Pending uretprobes of a sampled thread whose return addresses are mapped back. */
#define MS_MAX_RET_FIXUPS 8
/* Python frames read per event (issue 6); power of two for the verifier. */
#define MS_MAX_PY_FRAMES 64

enum ms_event_kind {
	MS_EV_ALLOC = 1, /* struct ms_alloc_event */
	MS_EV_FREE = 2,	 /* struct ms_free_event */
	MS_EV_CPU = 3,	 /* struct ms_cpu_event */
	MS_EV_RSS = 4,	 /* struct ms_cpu_event of a sampled page fault (rss.bpf.c) */
	MS_EV_RSS_RELEASE = 5, /* struct ms_rss_release: pages unmapped or moved
				* (made by user space only: fast-forward) */
	MS_EV_FORK = 6,	       /* struct ms_proc_event: a followed process forked tgid */
	MS_EV_EXEC = 7,	       /* struct ms_proc_event: tgid runs a new program */
	MS_EV_EXIT = 8,	       /* struct ms_proc_event: tgid's last thread exited */
	MS_EV_DUMP = 9,	       /* struct ms_dump_event: one thread read by memspy dump */
	MS_EV_OFFCPU = 10,     /* struct ms_cpu_event of a sampled off-CPU wait */
};

/* Why a thread left the CPU (offcpu.bpf.c), told from its state and the system
 * call it sleeps in. */
enum ms_off_reason {
	MS_OFF_OTHER,	  /* any other wait (wait4, a page fault, ...) */
	MS_OFF_SLEEP,	  /* nanosleep, clock_nanosleep, pause */
	MS_OFF_LOCK,	  /* futex: a mutex, condition variable or join */
	MS_OFF_IO,	  /* read, recv, accept, poll, select, epoll on a socket or pipe */
	MS_OFF_DISK,	  /* waiting for block I/O (the task's in_iowait) */
	MS_OFF_PREEMPTED, /* switched out while runnable: no CPU for it */
	MS_OFF_GIL,	  /* a futex wait on CPython's GIL (take_gil) */
	MS_OFF_REASONS,
};

/* Counters of the off-CPU program (its own per-CPU map). Every wait of a
 * followed thread is counted here exactly, sampled or not. */
enum ms_off_counter {
	MS_OFFC_WAIT_NS,			      /* time off CPU, by reason below */
	MS_OFFC_WAITS = MS_OFFC_WAIT_NS + MS_OFF_REASONS, /* waits, by reason below */
	MS_OFFC_SAMPLES = MS_OFFC_WAITS + MS_OFF_REASONS, /* samples sent with a stack */
	MS_OFFC_LOST,	    /* ring buffer full: sample dropped */
	MS_OFFC_MAP_FULL,   /* thread table full: a switch-out not timed */
	MS_OFFC_COUNT,
};

/* Counters of the RSS program (per CPU, in its .bss: struct rss_cpu). */
enum ms_rss_counter {
	MS_RSS_FAULTS,	     /* page-fault samples taken for the target */
	MS_RSS_ALL_FAULTS,   /* every page fault of the target, sampled or not */
	MS_RSS_NEW_PAGES,    /* faults that mapped a page not present before */
	MS_RSS_MERGED,	     /* samples the ring had no room for: their faults rode
			      * on the same CPU's next sample */
	MS_RSS_COUNT,
};

/* What the RSS program keeps for each CPU between faults, in one cache line of its
 * .bss that it addresses directly (no map lookup): a fault of the target touches
 * this line and nothing else unless it is sampled, and memspy reads the counts
 * without a syscall. Past MS_RSS_MAX_CPUS CPUs share slots, and a count may be
 * lost to a race; otherwise a slot has one writer (the page-fault tracepoints run
 * with interrupts off). */
#define MS_RSS_MAX_CPUS 256 /* a power of two */
/* A CPU takes MS_RSS_BURST_SAMPLES samples in a span of 2^MS_RSS_BURST_SHIFT ns
 * (8.4 ms) at the period; past them the gap to its next sample doubles with each
 * one in the span. A storm that starts while the period is still 1 (memspy
 * raises it within a tenth of a second) would otherwise copy the stack of every
 * fault: thousands of samples at ~15 us of the target's time each. */
#define MS_RSS_BURST_SAMPLES 16
#define MS_RSS_BURST_SHIFT 23
struct ms_rss_cpu {
	__s64 left; /* faults of the target until this CPU's next sample */
	/* The new pages since the last sample due, each counted at the scale it was
	 * traced at: the next sample stands for them. Not the count since times the
	 * scale now: a storm's first gap, traced throughout, can last past the start
	 * of the windows (the burst budget stretches it), and must not count 8 times. */
	__u64 pending;
	/* Faults of samples the ring had no room for: they ride on this CPU's next
	 * sample, so a burst of faults (a runtime growing its heap at start) keeps
	 * every page in rss.folded, charged to a nearby fault's stack. */
	__u64 carry;
	__u64 counts[MS_RSS_COUNT]; /* enum ms_rss_counter; user space sums them */
	__u32 scale;		    /* how many faults a fault stands for now: 1 while
				     * traced throughout, more in windows (rss_adapt.h);
				     * user space writes it before attaching */
	__u16 burst_span;	    /* the span of the samples counted in burst (its low
				     * bits: only compared with the next) */
	__u16 burst;		    /* samples due in it */
} __attribute__((aligned(64)));

/* Allocator entry points; also the uprobe cookie that tells the one entry program
 * how to read its arguments. */
enum ms_alloc_fn {
	MS_FN_MALLOC,	      /* (size) */
	MS_FN_CALLOC,	      /* (n, size) */
	MS_FN_REALLOC,	      /* (ptr, size) */
	MS_FN_REALLOCARRAY,   /* (ptr, n, size) */
	MS_FN_POSIX_MEMALIGN, /* (&ptr, align, size) -> int */
	MS_FN_ALIGNED_ALLOC,  /* (align, size) */
	MS_FN_MEMALIGN,	      /* (align, size) */
	MS_FN_VALLOC,	      /* (size) */
	MS_FN_PVALLOC,	      /* (size) */
	MS_FN_MALLOCX,	      /* jemalloc (size, flags) */
	MS_FN_RALLOCX,	      /* jemalloc (ptr, size, flags) */
	MS_FN_XALLOCX,	      /* jemalloc (ptr, size, extra, flags) -> usable size */
	MS_FN_NEW,	      /* C++ operator new / new[] (size, ...) */
	MS_FN_FREE,	      /* free(ptr) and every other (ptr, ...) release */
	MS_FN_COUNT,
};

/* Per-CPU counters the BPF side keeps; user space sums them. */
enum ms_counter {
	MS_CNT_ALLOC_CALLS,	/* outermost successful allocations seen */
	MS_CNT_ALLOC_BYTES,	/* their requested bytes */
	MS_CNT_FREE_CALLS,	/* outermost frees of non-NULL pointers */
	MS_CNT_SAMPLED,		/* allocations recorded with a stack */
	MS_CNT_LOST_ALLOC,	/* ring buffer full: sampled allocation dropped */
	MS_CNT_LOST_FREE,	/* ring buffer full: free of a tracked block dropped */
	MS_CNT_MAP_FULL,	/* tracked-address map full: allocation not tracked */
	MS_CNT_UNKNOWN_FREE,	/* free of a block never seen allocated (--sample-bytes 1) */
	MS_CNT_NO_THREAD_STATE, /* per-thread storage unavailable: call not seen */
	MS_CNT_CPU_SAMPLES,	/* CPU samples taken for the target */
	MS_CNT_LOST_CPU,	/* ring buffer full: CPU sample dropped */
	MS_CNT_COUNT,
};

/* Where CPython keeps what a profiler needs, for the detected interpreter: set by
 * user space (src/python/python_layout.c) before load. runtime == 0 turns Python off. */
struct ms_python_offsets {
	__u64 runtime;		   /* address of _PyRuntime in the target */
	__u32 version;		   /* PY_VERSION_HEX, e.g. 0x030b02f0 */
	__u32 layout;		   /* MS_PY_LAYOUT_*: how frames chain and mark evaluator calls */
	__u32 runtime_interp_head; /* _PyRuntimeState.interpreters.head */
	__u32 interp_next;	   /* PyInterpreterState.next */
	__u32 interp_threads_head; /* PyInterpreterState.threads.head */
	__u32 tstate_next;	   /* PyThreadState.next */
	__u32 tstate_native_tid;   /* PyThreadState.native_thread_id */
	__u32 tstate_frame;	   /* PyThreadState.cframe (3.11), .current_frame (3.13+) */
	__u32 cframe_current;	   /* _PyCFrame.current_frame (3.11 only) */
	__u32 frame_code;	   /* _PyInterpreterFrame.f_code (3.11), .f_executable (3.13+) */
	__u32 frame_previous;	   /* _PyInterpreterFrame.previous */
	__u32 frame_instr;	   /* _PyInterpreterFrame.prev_instr (3.11), .instr_ptr (3.13+) */
	__u32 frame_entry;	   /* _PyInterpreterFrame.is_entry (3.11), .owner (3.13+): a byte */
	__u32 shim_owner;	   /* owner of the frame each evaluator call pushes first (3.13+) */
};

/* 3.11: the thread state points at a _PyCFrame that points at the innermost frame,
 * and the first frame of each evaluator call has is_entry set. */
#define MS_PY_LAYOUT_CFRAME 1
/* 3.13+: the thread state points at the innermost frame, and each evaluator call
 * pushes a shim frame on the C stack first (owner == shim_owner) that runs no
 * Python code: user space drops it, and the frame read before it is that call's
 * first. */
#define MS_PY_LAYOUT_SHIM 2
/* 3.14+: the frame's code object is a _PyStackRef, a pointer whose low bits are
 * tags (Py_TAG_BITS): the BPF side clears them. */
#define MS_PY_LAYOUT_STACKREF 4
#define MS_PY_STACKREF_TAGS 3ULL

/* The Python frames of the sampled thread at the event, innermost first. */
struct ms_py_stack {
	__u64 code[MS_MAX_PY_FRAMES];  /* PyCodeObject * */
	__u64 instr[MS_MAX_PY_FRAMES]; /* the frame's instruction: frame_instr's value */
	__u64 entry;		       /* bit i: frame i is the first of an evaluator
					* call (3.11), or the shim an evaluator call
					* pushes first (MS_PY_LAYOUT_SHIM) */
	__u32 nr;		       /* frames in code[] and instr[] */
	__u32 flags;		       /* MS_PY_* */
};

#define MS_PY_TRUNCATED 0x1 /* more than MS_MAX_PY_FRAMES frames */
#define MS_PY_NO_THREAD 0x2 /* no PyThreadState for the thread */
#define MS_PY_READ_FAIL 0x4 /* a read of interpreter memory failed */

/* --children: processes followed at once (the procs map's size). */
#define MS_MAX_PROCS 8192

/* A followed process (--children), keyed by tgid in the procs map: its parent and
 * its own allocation counters. Exited processes stay, marked, until the run ends. */
struct ms_proc {
	__u64 alloc_calls;   /* outermost successful allocations */
	__u64 alloc_bytes;   /* their requested bytes */
	__u64 free_calls;    /* outermost frees of non-NULL pointers */
	__u64 unknown_frees; /* frees of blocks never seen allocated (--sample-bytes 1) */
	__u32 parent;	     /* tgid of the process that forked it; 0 for the first */
	__u32 exited;	     /* its group leader has exited */
};

/* Leads every record, so the reader can dispatch on kind. */
struct ms_event_header {
	__u64 ts_ns; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u32 kind;  /* enum ms_event_kind */
	__u32 tgid;  /* process */
	__u32 tid;   /* thread */
	__u32 fn;    /* enum ms_alloc_fn (heap events) */
};

/* The largest mean_shift of an allocation: a mean 64 times --sample-bytes (a
 * leak is judged against the noise of the widest mean a run used, so the mean
 * stops where that noise would hide all but the largest leaks). */
#define MS_MAX_MEAN_SHIFT 6

/* A sampled allocation with the registers and user stack at the caller's return point. */
struct ms_alloc_event {
	struct ms_event_header hdr;
	__u64 addr;		/* returned block */
	__u64 size;		/* requested bytes */
	__u64 regs[MS_NR_REGS]; /* DWARF order; regs[MS_REG_IP] is the return address */
	struct ms_py_stack py;	/* Python frames (nr 0 for other processes) */
	__u32 stack_len;	/* bytes valid in stack[] */
	__u32 flags;		/* MS_STACK_* */
	__u32 seq;		/* the thread's allocator calls so far, this one included */
	__u32 mean_shift;	/* sampled at the run's mean << mean_shift (in-process) */
	__u8 stack[MS_MAX_STACK_BYTES]; /* user memory from regs[MS_REG_SP] up */
};

#define MS_STACK_CLAMPED 0x1 /* copy stopped at --stack-bytes, not the stack's end */

/* A tracked block released (free, or moved by realloc). */
struct ms_free_event {
	struct ms_event_header hdr;
	__u64 addr;
	__u32 seq; /* the freeing thread's allocator calls so far, this one included:
		    * one more than the block's own seq when the thread made no other
		    * call in between (a temporary allocation) */
	__u32 reserved;
};

/* Pages of the target that leave their place, or move to new_start (new_len 0:
 * they are gone). No BPF program sends it: an attached run finds such pages in
 * /proc/<pid>/pagemap; the fast-forward test mode makes these records to give
 * pages back through the real ingestion. */
struct ms_rss_release {
	struct ms_event_header hdr;
	__u64 start, len;
	__u64 new_start, new_len;
};

/* --children: a followed process forked, exec()'d or exited (follow.bpf.c). The
 * name is taken then: a short-lived process is gone before /proc can be read. */
struct ms_proc_event {
	struct ms_event_header hdr; /* tid: the thread that forked, exec'd or exited */
	char comm[16];		    /* the process's name at the event (TASK_COMM_LEN) */
	__u32 parent;		    /* MS_EV_FORK: the forking process's tgid */
	__u32 reserved;
};

/* A CPU sample: user registers and stack, and kernel frames when asked for. */
struct ms_cpu_event {
	struct ms_event_header hdr;
	__u64 regs[MS_NR_REGS];
	__u64 kstack[MS_MAX_KSTACK]; /* kernel return addresses, innermost first */
	/* A pending uretprobe replaced the return address in the stack slot at
	 * ret_slots[i] with the [uprobes] trampoline; ret_addrs[i] is the real one. */
	__u64 ret_slots[MS_MAX_RET_FIXUPS];
	__u64 ret_addrs[MS_MAX_RET_FIXUPS];
	struct ms_py_stack py;	     /* Python frames (nr 0 for other processes) */
	__u64 stack_start;	     /* user address of stack[0]: sp minus the red zone */
	__u32 nr_ret_fixups;
	__u32 in_uprobe;	     /* the thread was in memspy's own [uprobes] page (a
				      * trampoline or an out-of-line step): probe overhead */
	__u32 nr_kstack;
	__u32 stack_len;
	__u32 flags;
	__u32 user_regs_valid; /* 0 for kernel threads or a failed read */
	__u32 weight;	       /* events this sample stands for (page faults: the period;
				* off-CPU: microseconds of waiting) */
	__u32 reason;	       /* off-CPU: enum ms_off_reason; 0 otherwise */
	__u64 addr;	       /* page faults: the page's address; off-CPU: the
				* nanoseconds really waited in the waits it stands for */
	__u8 stack[MS_MAX_STACK_BYTES];
};

/* memspy dump: one thread of the target as the task iterator found it. Its user
 * state is in cpu (hdr.kind MS_EV_DUMP), as a CPU sample carries it. */
struct ms_dump_event {
	__u64 tstate;	  /* its PyThreadState *, 0 when none was found */
	__s64 syscall;	  /* pt_regs orig_ax: the syscall it is in, -1 when none */
	__u64 switches;	  /* its context switches so far: a change between two reads
			   * says it ran in between */
	__u32 state;	  /* task __state (0: runnable) */
	__u32 on_cpu;	  /* MS_DUMP_*: on a CPU when the iterator read it (its saved
			   * registers are stale), or sampled while running */
	char comm[16];	  /* the thread's name (TASK_COMM_LEN) */
	struct ms_cpu_event cpu;
};

#define MS_DUMP_OFF_CPU 0 /* blocked or waiting for a CPU: its saved state is exact */
#define MS_DUMP_ON_CPU 1  /* running while the iterator read it: registers stale */
#define MS_DUMP_SAMPLED 2 /* read by a cpu-clock sample while it ran: exact */

#define MS_ALLOC_EVENT_HDR_SIZE ((unsigned long)&((struct ms_alloc_event *)0)->stack)
#define MS_CPU_EVENT_HDR_SIZE ((unsigned long)&((struct ms_cpu_event *)0)->stack)
#define MS_DUMP_EVENT_HDR_SIZE ((unsigned long)&((struct ms_dump_event *)0)->cpu.stack)

_Static_assert(sizeof(struct ms_event_header) == 24, "header layout");
_Static_assert(sizeof(struct ms_python_offsets) == 64, "python offsets layout");
_Static_assert(sizeof(struct ms_py_stack) == 16 * MS_MAX_PY_FRAMES + 16, "python stack layout");
_Static_assert(sizeof(struct ms_alloc_event) ==
		       24 + 16 + 8 * MS_NR_REGS + sizeof(struct ms_py_stack) + 16 + MS_MAX_STACK_BYTES,
	       "alloc event layout");
_Static_assert(sizeof(struct ms_free_event) == 40, "free event layout");
_Static_assert(sizeof(struct ms_proc) == 40, "proc layout");
_Static_assert(sizeof(struct ms_cpu_event) ==
		       24 + 8 * MS_NR_REGS + 8 * MS_MAX_KSTACK + 16 * MS_MAX_RET_FIXUPS +
			       sizeof(struct ms_py_stack) + 16 + 24 + 8 + MS_MAX_STACK_BYTES,
	       "cpu event layout");
_Static_assert(sizeof(struct ms_dump_event) == 48 + sizeof(struct ms_cpu_event), "dump event layout");
_Static_assert(sizeof(struct ms_rss_release) == 24 + 32, "rss release layout");
_Static_assert(sizeof(struct ms_proc_event) == 24 + 16 + 8, "proc event layout");

#endif
