/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Module-level containers of a CPython process: the dicts, lists and sets that
 * modules keep in their globals, their lengths read from the target's memory once
 * per tick, and the line of Python that writes to each one. Whether a length grew
 * is for the profile to judge (leak_container_grows).
 *
 * This is how a leak of small Python objects gets a name. Page faults and malloc
 * probes cannot name it: pymalloc (inlined in Debian's python3) hands small objects
 * out of shared pools, so a page is first touched by whichever endpoint next needs a
 * fresh pool, not by the one that keeps its objects. A module-level
 * cache or registry that only grows is the common Python leak; its length says so
 * exactly, and the function that stores into it is found in its module's bytecode. */
#ifndef MEMSPY_PYTHON_GLOBALS_H
#define MEMSPY_PYTHON_GLOBALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "memspy/events.h"
#include "python/python_detect.h"

struct python_globals;

/* A watched container and the lengths read so far. */
struct python_container {
	char name[272];		    /* "module.global" */
	const char *type;	    /* static: "dict", "list" or "set" */
	double *lengths;	    /* one per reading (merged pairwise when many): read
				     * only, valid until the next tick */
	size_t n;
	uint64_t first_ns, last_ns; /* times of the first and the last reading */
};

/* Watch pid's module globals (CPython 3.11, 3.13, 3.14 or 3.15; NULL with errno ENOTSUP otherwise, or
 * another errno). Reads /proc/<pid>/mem only: the target is never written or stopped. */
struct python_globals *python_globals__new(pid_t pid, const struct ms_python_offsets *off,
					   const struct python_code_layout *code);
/* The same, reading the target's memory through fd (pread at the target's
 * addresses), which it takes over: closed on error too. */
struct python_globals *python_globals__new_fd(int fd, const struct ms_python_offsets *off,
					      const struct python_code_layout *code);
/* Accepts NULL. */
void python_globals__free(struct python_globals *g);
/* Read every watched container's length; look for new modules' globals now and
 * then. Bounded: at most a few thousand containers and reads per tick. */
void python_globals__tick(struct python_globals *g, uint64_t ts_ns);
/* The i-th watched container, i from 0; false past the last. Accepts NULL (false).
 * Judging the lengths is the profile's business (leak_container_grows). */
bool python_globals__container(struct python_globals *g, size_t i, struct python_container *out);
/* What a reader needs to know of the i-th container (one that grew): the function
 * or method of its module that stores into it, "function (file.py:LINE)", into
 * writer ("" when none does by name, or the container is gone), and an estimate of
 * the bytes one entry holds, its slot plus its newest element (0 when gone). Reads
 * bytecode from the target: meant for the few containers that grew. */
void python_globals__describe(struct python_globals *g, size_t i, char *writer, size_t size,
			      double *bytes_per_entry);

#endif
