/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Profiles in pprof's format (gzipped protobuf), for go tool pprof and the tools
 * that read it, written from the same stacks and values as the folded files. */
#ifndef MEMSPY_PPROF_H
#define MEMSPY_PPROF_H

#include <stddef.h>
#include <stdint.h>

#include "profile/stacktab.h"

/* A sample type or the period's type: what is counted and in what unit. */
struct pprof_type {
	const char *type; /* "inuse_space", "samples", ... */
	const char *unit; /* "bytes", "count", "nanoseconds" */
};

struct pprof_desc {
	const struct pprof_type *types; /* every stack has one value of each */
	size_t nr_types;
	struct pprof_type period_type;
	int64_t period;		  /* a sample stands for this much of period_type */
	int64_t time_ns;	  /* when the profile starts, ns since the epoch; 0: unknown */
	int64_t duration_ns;	  /* 0: unknown */
	const char *default_type; /* the type pprof shows first; NULL: the last */
	const char *mapping_name; /* the target's name, for pprof's mapping; NULL: none */
};

/*
 * Frames become locations so pprof shows what the folded files show, inlined
 * calls included. A stack is root first (profile/stacktab.h); an inlined frame,
 * named "name_[i]" by the symbolizer, follows the frame of the function the code
 * was inlined into. So a frame without "_[i]" and the "_[i]" frames right after it
 * make one location, whose lines run innermost (the last "_[i]") first: one
 * address, several functions, as pprof models inlining. Python frames,
 * "func (file.py:LINE)", are functions named func in file.py, at LINE. Truncated
 * stacks start with a "[truncated]" frame and empty ones are "[unknown]", as in
 * the folded files. memspy keeps no addresses: locations have address 0 and one
 * mapping that says functions are resolved, so pprof does not try to symbolize.
 */

/* Encode stacks ids[0..n) with values[i * d->nr_types + k] (value k of stack i)
 * as one uncompressed Profile message; rows of zeros are left out. *buf is
 * malloc'd, the caller frees it. 0 or -ENOMEM. */
int pprof_encode(const struct stacktab *t, const uint32_t *ids, const int64_t *values,
		 size_t n, const struct pprof_desc *d, uint8_t **buf, size_t *len);
/* Write <dir>/<name> (say "heap.pb.gz"), the encoded profile gzipped, atomically.
 * Reports errors through ms_err. 0 or -errno. */
int pprof_write(const char *dir, const char *name, const struct stacktab *t,
		const uint32_t *ids, const int64_t *values, size_t n, const struct pprof_desc *d);

#endif
