/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which thread holds a CPython's GIL, read from the target's memory now. */
#ifndef MEMSPY_PYTHON_GIL_H
#define MEMSPY_PYTHON_GIL_H

#include <stdint.h>
#include <sys/types.h>

#include "memspy/events.h"

/* The PyThreadState * of the thread that holds the GIL of pid's CPython (off from
 * python__offsets), 0 when none does. 0, -ENOTSUP (a version whose GIL memspy
 * does not read: only 3.11 so far), or -errno of the read. */
int python_gil_holder(pid_t pid, const struct ms_python_offsets *off, uint64_t *tstate);

#endif
