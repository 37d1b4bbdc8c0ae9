/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small readings of a process from /proc: command name, resident memory, CPU time
 * and parent. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "target/procstat.h"

double procstat_rss_bytes(pid_t pid)
{
	char path[64];
	unsigned long size, resident;
	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	int n = fscanf(f, "%lu %lu", &size, &resident);
	fclose(f);
	return n == 2 ? (double)resident * (double)sysconf(_SC_PAGESIZE) : -1;
}

double procstat_anon_bytes(pid_t pid)
{
	char path[64];
	unsigned long size, resident, shared;
	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	int n = fscanf(f, "%lu %lu %lu", &size, &resident, &shared);
	fclose(f);
	/* statm's shared is RssFile + RssShmem: what is left is RssAnon */
	if (n != 3 || shared > resident)
		return -1;
	return (double)(resident - shared) * (double)sysconf(_SC_PAGESIZE);
}

static void read_comm(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	buf[0] = '\0';
	if (f) {
		if (fgets(buf, (int)size, f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
}

void procstat_comm(pid_t pid, char *buf, size_t size)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	read_comm(path, buf, size);
}

void procstat_thread_comm(pid_t pid, pid_t tid, char *buf, size_t size)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", (int)pid, (int)tid);
	read_comm(path, buf, size);
}

/* The fields of /proc/<pid>/stat after the command name, which may hold spaces and
 * parentheses (they start after the last ')'), into buf. NULL when unreadable. */
static const char *stat_fields(pid_t pid, char *buf, size_t size)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	size_t n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	return p ? p + 1 : NULL;
}

int procstat_cpu_ticks(pid_t pid, uint64_t *out)
{
	char buf[1024];
	unsigned long long ut, st;
	const char *p = stat_fields(pid, buf, sizeof(buf));

	if (!p)
		return errno ? -errno : -EINVAL;
	/* state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime */
	if (sscanf(p, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -EINVAL;
	*out = ut + st;
	return 0;
}

int procstat_minor_faults(pid_t pid, uint64_t *out)
{
	char buf[1024];
	unsigned long long n;
	const char *p = stat_fields(pid, buf, sizeof(buf));

	if (!p)
		return errno ? -errno : -EINVAL;
	/* state ppid pgrp session tty_nr tpgid flags minflt */
	if (sscanf(p, " %*c %*d %*d %*d %*d %*d %*u %llu", &n) != 1)
		return -EINVAL;
	*out = n;
	return 0;
}

uint64_t procstat_start_time(pid_t pid)
{
	char buf[1024];
	unsigned long long t;
	const char *p = stat_fields(pid, buf, sizeof(buf));

	/* fields 3 to 21 skipped (state ... itrealvalue), then starttime */
	if (!p || sscanf(p, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
			    "%*d %*d %llu",
			 &t) != 1)
		return 0;
	return t;
}

pid_t procstat_parent(pid_t pid)
{
	char buf[1024];
	int ppid;
	const char *p = stat_fields(pid, buf, sizeof(buf));

	return p && sscanf(p, " %*c %d", &ppid) == 1 ? (pid_t)ppid : 0;
}

int procstat_ids(pid_t pid, pid_t *ns_pid, uid_t uids[4])
{
	char path[64], line[512];
	unsigned long u[4];
	bool have_uids = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	*ns_pid = pid;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "NSpid:", 6)) {
			/* One pid per nested namespace, the innermost last. */
			char *last = strrchr(line, '\t');
			if (last && atoi(last + 1) > 0)
				*ns_pid = (pid_t)atoi(last + 1);
		} else if (sscanf(line, "Uid: %lu %lu %lu %lu", &u[0], &u[1], &u[2], &u[3]) == 4) {
			for (int i = 0; i < 4; i++)
				uids[i] = (uid_t)u[i];
			have_uids = true;
		}
	}
	fclose(f);
	return have_uids ? 0 : -EIO;
}
