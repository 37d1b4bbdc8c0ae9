/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which process an injection may enter and which of its threads it borrows,
 * from /proc alone (nothing is stopped or traced here). */
#ifndef MEMSPY_INJECT_PICK_H
#define MEMSPY_INJECT_PICK_H

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
 * after a ptrace stop (see pick_restartable) first, then one in user code.
 * Threads named other than name (when not NULL) are skipped. 0, -EAGAIN when
 * none qualifies at this instant (why says what they were in), -errno. */
int pick_thread(pid_t pid, const char *name, struct pick *out, char *why, size_t len);

/* The name of system call nr when a ptrace interrupt leaves it restartable
 * (read, futex, poll, nanosleep...), NULL when it would return EINTR to the
 * program (epoll_wait, pause, sigsuspend...) or is unknown here. */
const char *pick_restartable(long nr);

/* A short name of what a thread was in: "futex", "user", "syscall 232". */
const char *pick_state_name(long nr, char *buf, size_t len);

/* Parse one /proc/<pid>/task/<tid>/syscall line into nr (PICK_USER, PICK_RUNNING
 * or the call). 0 or -EINVAL. */
int pick_parse_syscall(const char *line, long *nr);

#endif
