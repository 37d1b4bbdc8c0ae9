/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What memspy dump read of a process: each thread's name, state and stack (native
 * and Python frames merged, innermost first), as plain data for the printers. */
#ifndef MEMSPY_THREAD_DUMP_H
#define MEMSPY_THREAD_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct dump_frame {
	char *function; /* never NULL ("[unknown]") */
	char *file;	/* source file, or NULL */
	char *module;	/* the ELF module's base name for native frames, or NULL */
	uint32_t line;	/* 0 when unknown */
	bool python;	/* a Python frame (function and file are Python's) */
	bool inlined;	/* a native call inlined into the frame after it */
};

enum dump_how {
	MS_DUMP_READ_BLOCKED, /* read while off CPU: its saved registers are exact */
	MS_DUMP_READ_SAMPLED, /* running: read by a sample taken while it ran */
	MS_DUMP_READ_STALE,   /* running, and no sample came: no stack */
	MS_DUMP_READ_STOPPED, /* running, and held stopped by --consistent for the read */
};

enum dump_gil {
	MS_DUMP_GIL_NONE,    /* not Python, or no GIL read */
	MS_DUMP_GIL_HOLDS,   /* this thread holds the GIL */
	MS_DUMP_GIL_WAITS,   /* a Python thread that does not hold it */
};

struct dump_thread {
	pid_t tid;
	char name[16];
	char state;	      /* 'R' running or runnable, 'S', 'D', 'T' ... */
	bool on_cpu;	      /* running on a CPU when read */
	long syscall;	      /* the syscall it is in, -1 when none */
	char syscall_name[32]; /* "" when none */
	enum dump_how how;
	enum dump_gil gil;
	bool complete;	      /* the native stack reached its root */
	struct dump_frame *frames; /* innermost first */
	size_t nr_frames;
};

struct thread_dump {
	pid_t pid;
	char comm[64];
	char python[64];      /* "CPython 3.11.2", or "" */
	bool gil_known;	      /* the GIL holder was read (Python threads' gil is set) */
	double stopped_ms;    /* --consistent: how long its running threads were held
			       * (0: none was running); < 0: nothing was stopped */
	struct dump_thread *threads; /* by tid, the main thread first */
	size_t nr_threads;
};

/* NULL on lack of memory. */
struct thread_dump *thread_dump__new(pid_t pid);
/* Accepts NULL. */
void thread_dump__free(struct thread_dump *d);
/* A new thread, zeroed but for tid, syscall -1 and gil NONE; NULL on lack of
 * memory. The pointer is valid until the next call. */
struct dump_thread *thread_dump__add_thread(struct thread_dump *d, pid_t tid);
/* Append a frame to t (strings copied; NULL file/module stay NULL). 0 or -ENOMEM. */
int dump_thread__add_frame(struct dump_thread *t, const char *function, const char *file,
			   uint32_t line, const char *module, bool python, bool inlined);
/* Reverse t's frames (they are built root first). */
void dump_thread__reverse(struct dump_thread *t);
/* Sort the threads by tid, the main thread (tid == pid) first. */
void thread_dump__sort(struct thread_dump *d);

#endif
