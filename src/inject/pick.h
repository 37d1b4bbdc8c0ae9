/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which process an injection may enter and which of its threads it borrows,
 * from /proc alone (nothing is stopped or traced here). */
#ifndef MEMSPY_INJECT_PICK_H
#define MEMSPY_INJECT_PICK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PICK_USER    (-1L) /* preempted in user code */
#define PICK_RUNNING (-2L) /* on a CPU (user code or kernel) */

struct pick {
	pid_t tid;
	long nr; /* the system call it is blocked in, or PICK_USER / PICK_RUNNING */
};

/* 0 when pid can be entered; -EPERM/-EBUSY/-ESRCH... with a one-line reason
 * otherwise: traced already, stopped, seccomp filters, shadow stacks. */
int pick_check_process(pid_t pid, char *why, size_t len);

/* The best thread to interrupt now: blocked in a system call the kernel restarts
 * after a ptrace stop (see pick_restartable), or in an epoll wait without a
 * timeout (pick_epoll_endless: memspy restarts it) first, then one in user code.
 * Threads named other than name (when not NULL) are skipped. A thread in user
 * code or running must keep a CPU busy over a short window, unless any_running:
 * then being seen running once is enough. 0, -EAGAIN when none qualifies at this
 * instant (why says what they were in), -errno. */
int pick_thread(pid_t pid, const char *name, bool any_running, struct pick *out, char *why,
		size_t len);

/* The name of system call nr when a ptrace interrupt leaves it restartable
 * (read, futex, poll, nanosleep...), NULL when it would return EINTR to the
 * program (epoll_wait, pause, sigsuspend...) or is unknown here. */
const char *pick_restartable(long nr);

/* A short name of what a thread was in: "futex", "user", "syscall 232". */
const char *pick_state_name(long nr, char *buf, size_t len);

/* Parse one /proc/<pid>/task/<tid>/syscall line into nr (PICK_USER, PICK_RUNNING
 * or the call). 0 or -EINVAL. */
int pick_parse_syscall(const char *line, long *nr);

/* Whether system call nr with these arguments is an epoll wait that memspy may
 * restart itself when a ptrace interrupt ends it with EINTR: epoll_wait, and
 * epoll_pwait / epoll_pwait2 without a signal mask (one would have to be put
 * back as the kernel does after a handler). */
int pick_epoll_restartable(long nr, const unsigned long long args[6]);

/* Whether that wait has no timeout (-1, or no timespec): restarted, it waits as
 * it would have, however long it had waited already. */
int pick_epoll_endless(long nr, const unsigned long long args[6]);

/* The arguments of a /proc/<pid>/task/<tid>/syscall line of a thread in a
 * system call. 0 or -EINVAL. */
int pick_parse_args(const char *line, unsigned long long args[6]);

#endif
