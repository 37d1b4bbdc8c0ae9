/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What every libFuzzer target of memspy shares: a file holding the input (for
 * parsers that take a path or a FILE) and a log sink that keeps stderr quiet. */
#ifndef MEMSPY_FUZZ_COMMON_H
#define MEMSPY_FUZZ_COMMON_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/log.h"

static void fuzz_log_drop(enum ms_log_level level, const char *msg, void *ctx)
{
	(void)level, (void)msg, (void)ctx;
}

/* Messages are formatted (that code runs too) but not printed: a fuzzer printing a
 * warning per input spends its time writing to the terminal. */
static inline void fuzz_quiet(void)
{
	ms_log_set_sink(fuzz_log_drop, NULL);
}

/* path, per process, so parallel workers do not share it; in memory (/dev/shm)
 * when there is one: a file rewritten per input on a disk's /tmp costs more
 * than the parser. */
static char *fuzz_paths[4];

/* The input files go with the fuzzer (libFuzzer exits through exit()). */
static void fuzz_remove_paths(void)
{
	for (int i = 0; i < 4 && fuzz_paths[i]; i++)
		unlink(fuzz_paths[i]);
}

static inline void fuzz_path(char *buf, size_t size, const char *what)
{
	const char *dir = access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm";
	int i = 0;

	snprintf(buf, size, "%s/memspy-fuzz-%d.%s", dir, (int)getpid(), what);
	while (i < 4 && fuzz_paths[i])
		i++;
	if (i == 0)
		atexit(fuzz_remove_paths);
	if (i < 4)
		fuzz_paths[i] = buf;
}

static inline int fuzz_write_file(const char *path, const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	while (size) {
		ssize_t w = write(fd, data, size);
		if (w <= 0)
			break;
		data += w;
		size -= (size_t)w;
	}
	close(fd);
	return 0;
}

#endif
