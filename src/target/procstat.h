/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small readings of a process from /proc: command name, resident memory, CPU time
 * and parent. */
#ifndef MEMSPY_PROCSTAT_H
#define MEMSPY_PROCSTAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Resident set size in bytes from /proc/<pid>/statm, or -1 when unreadable. */
double procstat_rss_bytes(pid_t pid);
/* Anonymous resident memory in bytes (RssAnon: heap, stacks, anonymous mmap; not
 * files or shared memory), from /proc/<pid>/statm, or -1 when unreadable. */
double procstat_anon_bytes(pid_t pid);
/* /proc/<pid>/comm into buf ("" when unreadable). */
void procstat_comm(pid_t pid, char *buf, size_t size);
/* /proc/<pid>/task/<tid>/comm, a thread's name, into buf ("" when unreadable). */
void procstat_thread_comm(pid_t pid, pid_t tid, char *buf, size_t size);

/* utime + stime from /proc/<pid>/stat, in clock ticks. 0 or -errno. */
int procstat_cpu_ticks(pid_t pid, uint64_t *out);
/* Minor page faults of the process so far (/proc/<pid>/stat field 10: every
 * fault served without I/O, new pages and copies-on-write alike). 0 or -errno. */
int procstat_minor_faults(pid_t pid, uint64_t *out);
/* When pid started, in clock ticks since boot (/proc/<pid>/stat field 22): with
 * the pid, it names one process for good. 0 when unreadable. */
uint64_t procstat_start_time(pid_t pid);
/* The parent pid from /proc/<pid>/stat, or 0 when unreadable. */
pid_t procstat_parent(pid_t pid);

/* Who pid is, from /proc/<pid>/status: its pid inside its own pid namespace (the
 * last NSpid field; pid itself on kernels without it) and its real, effective,
 * saved and filesystem uids (Uid:). 0 or -errno (-ESRCH once it exited). */
int procstat_ids(pid_t pid, pid_t *ns_pid, uid_t uids[4]);

#endif
