/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small readings of a process from /proc: its command name and resident memory. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "procstat.h"

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

void procstat_comm(pid_t pid, char *buf, size_t size)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	FILE *f = fopen(path, "re");
	buf[0] = '\0';
	if (f) {
		if (fgets(buf, (int)size, f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
}
