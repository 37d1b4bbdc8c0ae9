/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Running system calls and functions inside a running process through ptrace, on
 * one of its threads, so that the thread comes back exactly as it was even if
 * memspy dies (SIGKILL) at any instant of the session.
 *
 * How (README.md has the reasoning): one thread is seized and interrupted; an
 * rt_sigframe holding its own registers, signal mask, sigaltstack and extended
 * FPU state is written below its stack's red zone, as the kernel would for a
 * signal; the thread then runs an existing `syscall; ret` of its libc whose
 * return address is libc's __restore_rt. Every operation ends in that
 * rt_sigreturn, where memspy substitutes the next operation at the syscall-entry
 * stop. If memspy dies, the thread finishes the operation under way and
 * rt_sigreturn puts it back. At a normal end the registers go back through
 * ptrace at an interrupt stop instead, which keeps the kernel's restart of a
 * timed sleep exact.
 *
 * A session is used by the thread of memspy that began it (ptrace ties the
 * tracee to that thread); sessions on different processes are independent.
 * Everything here needs root (or CAP_SYS_PTRACE). */
#ifndef MEMSPY_INJECT_H
#define MEMSPY_INJECT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct inject;

struct inject_opts {
	const char *thread; /* only a thread of this name (comm); NULL: any */
	int wait_ms;	    /* how long to look for a safe thread; 0: 2000 */
};

/* Seize a thread of pid that can safely be borrowed: blocked in a system call
 * the kernel restarts transparently (read, futex, poll, nanosleep...), or in user
 * code; never one in epoll_wait or another wait that a ptrace interrupt would
 * end with EINTR. Retries while no thread qualifies, up to opts->wait_ms.
 * Refuses a process that is traced, stopped, under seccomp or with shadow
 * stacks. On success the thread is stopped, its state saved and the signal
 * frame in place. NULL on failure, with a one-line reason in why (meant for
 * "using uprobes instead: <why>"); nothing of the target was changed then, or
 * only harmlessly (see inject_end). opts may be NULL. */
struct inject *inject_begin(pid_t pid, const struct inject_opts *opts, char *why, size_t len);

/* Run system call nr with args in the target thread. *ret gets the raw result
 * (-errno on failure, as the kernel returns it). Returns 0 when the call ran,
 * -errno when the session broke (then only inject_end is allowed). */
int inject_syscall(struct inject *in, long nr, const long args[6], long *ret);

/* Call the function at address fn in the target as fn(arg) (System V ABI, one
 * argument in rdi), on the thread's stack below the signal frame, with every
 * signal blocked. Its return value is lost (__restore_rt overwrites rax): the
 * function must leave its result in memory memspy reads. A function that has
 * not returned after timeout_ms (0: 5000) is abandoned: the thread is put back
 * where it was and -ETIMEDOUT returned. A function that faults gives -EFAULT
 * (inject_end puts the thread back). 0 when it returned, -errno otherwise. */
int inject_call(struct inject *in, uint64_t fn, uint64_t arg, int timeout_ms);

/* Scratch memory in the target for small arguments (a path, a struct), inside
 * the session's frame: len bytes at the returned address, valid until
 * inject_end. At most INJECT_SCRATCH bytes. */
#define INJECT_SCRATCH 512
uint64_t inject_scratch(const struct inject *in);

/* The target's process and borrowed thread. */
pid_t inject_pid(const struct inject *in);
pid_t inject_tid(const struct inject *in);

/* What a session did, for messages and tests. */
struct inject_report {
	pid_t tid;	     /* the thread borrowed */
	long syscall;	     /* the system call it was in, -1: user code */
	const char *state;   /* "read", "futex", ..., "user" */
	const char *restart; /* how it resumed: "exact", "sigreturn", "none" */
	uint64_t stopped_ns; /* from its interrupt stop to its release */
	int resignaled;	     /* signals memspy stopped meanwhile and sent again */
};

/* Put the thread back and detach; frees in (NULL is fine). 0, or -errno when
 * it could not be put back through ptrace (the target exited, or the session
 * broke): the thread then resumes through its signal frame, which restores it
 * just as well, except that a timed sleep it was in (nanosleep, poll, futex
 * with a timeout) starts its timeout over. report may be NULL. What may stay
 * in the target whatever happens: the memory and descriptors the caller made
 * with inject_syscall. */
int inject_end(struct inject *in, struct inject_report *report);

#endif
