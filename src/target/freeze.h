/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hold a process's threads still for a moment (memspy dump --consistent) without
 * interrupting a system call: a helper process ptrace-seizes every thread and
 * interrupts only those that are not blocked in the kernel. A blocked thread
 * cannot move while it stays blocked; interrupting it would make calls such as
 * epoll_wait return EINTR to the program (a group stop by SIGSTOP/SIGCONT does
 * the same: signal(7), checked on Linux 6.18). */
#ifndef MEMSPY_FREEZE_H
#define MEMSPY_FREEZE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct freeze;

/* Seize pid's threads and stop those running or runnable; returns once they are
 * stopped. NULL and errno on error, with a one-line reason in err (EPERM: the
 * process is traced already, by a debugger or strace, or ptrace is not
 * allowed). */
struct freeze *freeze__start(pid_t pid, char *err, size_t errlen);
/* Stop n more threads (they woke while held: they were blocked when the others
 * were stopped). 0 or -errno. */
int freeze__stop_more(struct freeze *f, const pid_t *tids, size_t n);
/* Let every thread go: the stopped ones resume, the others never noticed.
 * Returns how long the first thread was held, in ns (0 when none was stopped).
 * Frees f; accepts NULL. */
uint64_t freeze__end(struct freeze *f);

#endif
