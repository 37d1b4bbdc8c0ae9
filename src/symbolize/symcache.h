/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Symbolized addresses kept per module (by build-id) and offset, so every process of
 * a run that maps the same file shares them: an address is symbolized once per run,
 * not once per process. Plain storage, no libdw: the symbolizer (target_dwfl) fills
 * it. Not thread-safe: use it, and every session sharing it, from one thread. */
#ifndef MEMSPY_SYMCACHE_H
#define MEMSPY_SYMCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The source location of one level of an address. */
struct frame_loc {
	const char *name; /* as target_dwfl__symbolize names the level ("_[i]" suffix) */
	const char *file; /* source file as the DWARF gives it (often absolute), or NULL */
	uint32_t line;	  /* 0 when unknown */
	uint32_t column;  /* 0 when unknown */
	bool inlined;	  /* an inlined call, not the function holding the code */
};

/* One symbolized address. An entry never moves while the cache lives. */
struct symcache_entry {
	uint64_t offset;	/* the address in the module's file (pc minus load bias) */
	uint32_t module;	/* symcache__module id */
	uint32_t n;		/* levels: names[n], and locs[n] once located */
	const char **names;	/* outermost first; one allocation with the strings */
	struct frame_loc *locs; /* NULL until symcache__set_locs */
};

struct symcache;

/* NULL and errno ENOMEM. */
struct symcache *symcache__new(void);
/* Frees every entry and string: pointers handed out by the cache, or by a session
 * using it, are invalid after. Accepts NULL. */
void symcache__free(struct symcache *c);

/* The id of a module: the same for every call with the same build-id (compared in
 * full) and name, a fresh one for each call with no build-id (build_id NULL or
 * len 0), since nothing proves two such files the same. name is the module's
 * basename as unnamed addresses print it ("[name+0x10]"): a copy of a file under
 * another name keeps its own names. 0 or -ENOMEM. */
int symcache__module(struct symcache *c, const unsigned char *build_id, size_t len,
		     const char *name, uint32_t *id);
/* The entry of (module, offset), or NULL when nobody added it yet. A found entry
 * counts as a shared hit. */
struct symcache_entry *symcache__find(struct symcache *c, uint32_t module, uint64_t offset);
/* Add the entry of (module, offset), absent so far, with n names packed in one
 * allocation (names[] then the strings), which the cache takes over. NULL on
 * ENOMEM, names freed then. Counts as one address named. */
struct symcache_entry *symcache__add(struct symcache *c, uint32_t module, uint64_t offset,
				     const char **names, size_t n);
/* Give e its locations, e->n of them: the names are e's own, each file string is
 * copied into the cache (interned), so locs may point into memory that goes away
 * after the call (a libdw session). Does nothing when e has locations already.
 * 0 or -ENOMEM (e keeps none). */
int symcache__set_locs(struct symcache *c, struct symcache_entry *e, const struct frame_loc *locs);
/* Every entry, in the order added: how many, and the i-th (NULL past the end). */
size_t symcache__nr_entries(const struct symcache *c);
struct symcache_entry *symcache__entry(struct symcache *c, size_t i);

/* An entry named anew, and what it was named before. */
struct symcache_rename {
	const struct symcache_entry *e;
	const char **old_names; /* valid until symcache__free */
	size_t old_n;
};

/* Name e anew (a debug file arrived for its module) with n names packed as for
 * symcache__add, which the cache takes over; its locations are looked up again.
 * The old names and locations stay valid until symcache__free, and the change is
 * listed by symcache__renames. 0 or -ENOMEM (names freed, e unchanged). */
int symcache__rename(struct symcache *c, struct symcache_entry *e, const char **names, size_t n);
/* The entries renamed since the last symcache__clear_renames, in order. */
size_t symcache__renames(const struct symcache *c, const struct symcache_rename **out);
void symcache__clear_renames(struct symcache *c);

/* Addresses named (symcache__add) and entries found again (symcache__find). */
void symcache__stats(const struct symcache *c, size_t *named, size_t *shared_hits);

#endif
