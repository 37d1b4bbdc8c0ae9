/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Growing module-level containers of a CPython process: the dicts, lists and sets
 * that modules keep in their globals, their lengths read from the target's memory
 * once per tick, and the line of Python that writes to each one.
 *
 * This is how a leak of small Python objects gets a name. Page faults and malloc
 * probes cannot name it: pymalloc (inlined in Debian's python3) hands small objects
 * out of shared pools, so a page is first touched by whichever endpoint next needs a
 * fresh pool, not by the one that keeps its objects. A module-level
 * cache or registry that only grows is the common Python leak; its length says so
 * exactly, and the function that stores into it is found in its module's bytecode. */
#ifndef MEMSPY_PYTHON_GLOBALS_H
#define MEMSPY_PYTHON_GLOBALS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "memspy/events.h"
#include "python/python_detect.h"

struct python_globals;

/* A container whose length grew steadily over the run. */
struct python_growth {
	char name[272];	       /* "module.global" */
	char writer[320];      /* "function (file.py:LINE)" storing into it; "" when not found */
	const char *type;      /* "dict", "list" or "set" */
	int64_t len_start, len_end;
	double entries_per_s;  /* least-squares slope of the length */
	double bytes_per_entry; /* estimate: its slot plus its newest element */
	double span_s;	       /* time from the first reading to the last */
};

/* Watch pid's module globals (CPython 3.11 or 3.13; NULL with errno ENOTSUP otherwise, or
 * another errno). Reads /proc/<pid>/mem only: the target is never written or stopped. */
struct python_globals *python_globals__new(pid_t pid, const struct ms_python_offsets *off,
					   const struct python_code_layout *code);
/* Accepts NULL. */
void python_globals__free(struct python_globals *g);
/* Read every watched container's length; look for new modules' globals now and
 * then. Bounded: at most a few thousand containers and reads per tick. */
void python_globals__tick(struct python_globals *g, uint64_t ts_ns);
/* Containers whose length rose steadily (the test of leak_is_suspect on the length
 * series), ranked by estimated bytes per second, largest first. Fills at most max;
 * returns their number. Accepts NULL (0). */
size_t python_globals__growing(struct python_globals *g, struct python_growth *out, size_t max);

#endif
