/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Opening files as a target process sees them: through /proc/<pid>/map_files and
 * /proc/<pid>/root, so a deleted or replaced binary, or one inside a chroot or
 * container, is read as the target mapped it and never as the host path names it. */
#ifndef MEMSPY_PROCROOT_H
#define MEMSPY_PROCROOT_H

#include <stdint.h>
#include <sys/types.h>

/* Open path (absolute, as the target names it) read-only inside the target's root
 * directory: symlinks and ".." resolve inside that root (openat2 RESOLVE_IN_ROOT),
 * never onto the host's files; only a regular file is opened (a FIFO or device
 * never is). A fd, or -errno (ENOENT, EACCES, EINVAL for a file that is not
 * regular, ESRCH once the target has exited, ENOSYS on kernels before 5.6). */
int procroot_open(pid_t pid, const char *path);

/* procroot_open, but a symlink as the last component of path is not followed:
 * -ELOOP (for files a user can plant where root will read them, /tmp). */
int procroot_open_nofollow(pid_t pid, const char *path);

/* Open for reading the file that pathfd (an O_PATH fd) names, if it is a regular
 * file: the very inode, whatever its name now leads to. A fd, or -errno (EINVAL
 * when not a regular file, ELOOP for a symlink). pathfd stays open. */
int procroot_open_regular(int pathfd);

/* Open the file behind the mapping [start, end) of pid: the very file the target
 * mapped, even when deleted or replaced since. Needs CAP_SYS_ADMIN (root). A fd
 * or -errno. */
int procroot_open_mapping(pid_t pid, uint64_t start, uint64_t end);

/* Copy path to out (size bytes; out may be path) without the " (deleted)" the kernel appends to
 * the name of a mapped file that was unlinked. 0, or -ENAMETOOLONG. */
int procroot_strip_deleted(const char *path, char *out, size_t size);

#endif
