/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Opening files as a target process sees them (map_files, root directory). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "target/procroot.h"

int procroot_open(pid_t pid, const char *path)
{
	char root[64];
	struct open_how how = {
	    .flags = O_RDONLY | O_CLOEXEC,
	    /* No magic links either: /proc/self/... inside the root would lead out. */
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int dfd, fd;

	if (!path || path[0] != '/')
		return -EINVAL;
	snprintf(root, sizeof(root), "/proc/%d/root", (int)pid);
	dfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	/* Relative to the root: a leading '/' is taken as the root itself anyway. */
	fd = (int)syscall(SYS_openat2, dfd, path, &how, sizeof(how));
	if (fd < 0)
		fd = -errno;
	close(dfd);
	return fd;
}

int procroot_open_mapping(pid_t pid, uint64_t start, uint64_t end)
{
	char path[96];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", (int)pid,
		 (unsigned long long)start, (unsigned long long)end);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int procroot_strip_deleted(const char *path, char *out, size_t size)
{
	static const char suffix[] = " (deleted)";
	size_t len = strlen(path), sl = sizeof(suffix) - 1;

	if (len >= sl && !strcmp(path + len - sl, suffix))
		len -= sl;
	if (len >= size)
		return -ENAMETOOLONG;
	memmove(out, path, len); /* out may be path itself */
	out[len] = '\0';
	return 0;
}
