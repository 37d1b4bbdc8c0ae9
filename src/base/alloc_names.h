/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one list of allocator function names: the entry points memspy probes and,
 * beside them, the internals and wrappers a report looks past to name a site. */
#ifndef MEMSPY_ALLOC_NAMES_H
#define MEMSPY_ALLOC_NAMES_H

#include <stdbool.h>
#include <stdint.h>

/* How an entry matches a frame's function name. */
enum ms_name_match {
	MS_MATCH_NAME,	 /* the whole function name */
	MS_MATCH_PREFIX, /* names starting with it */
	MS_MATCH_ALLOC,	 /* starting with it and containing "alloc" after it, any case */
};

struct alloc_name {
	const char *name;	 /* static string: a symbol, or the start of names */
	enum ms_name_match how; /* for naming sites */
	bool probed;		 /* memspy probes the symbol of exactly this name */
	uint8_t fn;		 /* then: its enum ms_alloc_fn, how to read its arguments */
};

/* Every entry, the probed ones in the order they are tried (the first name of an
 * address wins over its aliases); the table ends with a NULL name. */
extern const struct alloc_name alloc_names[];

#endif
