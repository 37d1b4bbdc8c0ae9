/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Opening files as a target process sees them (map_files, root directory). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "target/procroot.h"

int procroot_open_regular(int pathfd)
{
	char self[64];
	struct stat st;
	int fd;

	if (fstat(pathfd, &st))
		return -errno;
	/* O_PATH | O_NOFOLLOW opens a symlink itself. */
	if (S_ISLNK(st.st_mode))
		return -ELOOP;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	/* Reopening the O_PATH fd reads the very inode just checked: the name may
	 * have been swapped for something else since. */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", pathfd);
	fd = open(self, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* procroot_open, and with nofollow a symlink as the last component is -ELOOP. */
static int open_in_root(pid_t pid, const char *path, bool nofollow)
{
	char root[64];
	struct open_how how = {
	    /* O_PATH first: opening a FIFO would block and a device has effects of
	     * its own, so only a regular file is opened for reading. */
	    .flags = O_PATH | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0),
	    /* No magic links either: /proc/self/... inside the root would lead out. */
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int dfd, pfd, fd;

	if (!path || path[0] != '/')
		return -EINVAL;
	snprintf(root, sizeof(root), "/proc/%d/root", (int)pid);
	dfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	/* Relative to the root: a leading '/' is taken as the root itself anyway. */
	pfd = (int)syscall(SYS_openat2, dfd, path, &how, sizeof(how));
	fd = pfd < 0 ? -errno : procroot_open_regular(pfd);
	if (pfd >= 0)
		close(pfd);
	close(dfd);
	return fd;
}

int procroot_open(pid_t pid, const char *path)
{
	return open_in_root(pid, path, false);
}

int procroot_open_nofollow(pid_t pid, const char *path)
{
	return open_in_root(pid, path, true);
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
