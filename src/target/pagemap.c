/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Read /proc/<pid>/pagemap, one pread per run of pages. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "target/pagemap.h"

#define PAGE_SHIFT 12

struct pagemap {
	int fd;
};

struct pagemap *pagemap__open(pid_t pid)
{
	char path[64];
	struct pagemap *pm = malloc(sizeof(*pm));

	if (!pm)
		return NULL;
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	pm->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (pm->fd < 0) {
		int e = errno;

		free(pm);
		errno = e;
		return NULL;
	}
	return pm;
}

void pagemap__close(struct pagemap *pm)
{
	if (!pm)
		return;
	close(pm->fd);
	free(pm);
}

long pagemap__read(struct pagemap *pm, uint64_t vaddr, size_t n, uint64_t *out)
{
	uint64_t off = (vaddr >> PAGE_SHIFT) * sizeof(*out);
	size_t got = 0;

	/* The kernel walks the range in chunks and may hand back fewer bytes. */
	while (got < n) {
		ssize_t k = pread(pm->fd, (char *)out + got * sizeof(*out),
				  (n - got) * sizeof(*out), (off_t)(off + got * sizeof(*out)));
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return got ? (long)got : -errno;
		}
		if (k == 0)
			break;
		got += (size_t)k / sizeof(*out);
		if (k % (ssize_t)sizeof(*out))
			break;
	}
	return (long)got;
}
