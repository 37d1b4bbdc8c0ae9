/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Read which thread holds a CPython's GIL. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "python/python_gil.h"

/* 3.11: _PyRuntime.gilstate.tstate_current, the thread state that took the GIL;
 * the evaluator sets it to NULL before it drops the GIL (PyEval_SaveThread), so it
 * names the holder (offsetof in Debian's python3.11-dev, the same in every 3.11.x,
 * and what py-spy reads for 3.11). */
#define MS_PY311_TSTATE_CURRENT 576

int python_gil_holder(pid_t pid, const struct ms_python_offsets *off, uint64_t *tstate)
{
	char path[64];
	uint64_t v = 0;
	ssize_t n;
	int fd;

	*tstate = 0;
	if (!off || (off->version >> 16) != 0x030b)
		return -ENOTSUP;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, &v, sizeof(v), (off_t)(off->runtime + MS_PY311_TSTATE_CURRENT));
	close(fd);
	if (n != (ssize_t)sizeof(v))
		return n < 0 ? -errno : -EIO;
	*tstate = v;
	return 0;
}
