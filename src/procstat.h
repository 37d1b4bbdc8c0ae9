/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small readings of a process from /proc: its command name and resident memory. */
#ifndef MEMSPY_PROCSTAT_H
#define MEMSPY_PROCSTAT_H

#include <stddef.h>
#include <sys/types.h>

/* Resident set size in bytes from /proc/<pid>/statm, or -1 when unreadable. */
double procstat_rss_bytes(pid_t pid);
/* /proc/<pid>/comm into buf ("" when unreadable). */
void procstat_comm(pid_t pid, char *buf, size_t size);

#endif
