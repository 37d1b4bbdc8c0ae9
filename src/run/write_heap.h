/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The heap's other views: bytes allocated over the run and live bytes at the peak.
 * Internal to src/run. */
#ifndef MEMSPY_WRITE_HEAP_H
#define MEMSPY_WRITE_HEAP_H

#include <stdbool.h>
#include <sys/types.h>

#include "profile/profile.h"
#include "profile/stacktab.h"

/* Write <dir>/alloc.folded/.svg (bytes allocated per stack, freed or not) and
 * <dir>/peak.folded/.svg (live bytes per stack when the heap peaked). exact: the
 * run recorded every allocation. Returns 0 or -EIO (each failure was reported). */
int write_heap_views(const char *dir, pid_t pid, const char *comm, struct profile *heap,
		     const struct stacktab *t, bool exact);

#endif
