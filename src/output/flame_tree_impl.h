/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inside a flame tree, for the files that build, lay out and draw it; others use flame_tree.h. */
#ifndef MEMSPY_FLAME_TREE_IMPL_H
#define MEMSPY_FLAME_TREE_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/hashtab.h"
#include "output/flame_tree.h"

#define NO_NODE UINT32_MAX

struct fnode {
	uint64_t value; /* inclusive: this frame and everything it called */
	uint64_t base;	/* the same in profile A of a diff */
	uint32_t name;	/* offset of the name in the pool; NO_NODE for the root */
	uint32_t parent;
	uint32_t child; /* first child, NO_NODE when none */
	uint32_t next;	/* next sibling */
};

struct flame_tree {
	struct fnode *nodes;
	size_t nr_nodes, cap_nodes;
	char *pool; /* NUL-terminated names, back to back */
	size_t pool_len, pool_cap;
	uint32_t *names; /* pool offset of each interned name */
	size_t nr_names, cap_names;
	struct hashtab names_by_str; /* entries of names, by hash_bytes of the name */
	struct hashtab kids;	     /* node indexes, by hash_u64 of (parent, name) */
	/* the previous stack read and its path, since sorted input repeats prefixes */
	char *prev;
	size_t prev_len, prev_cap;
	uint32_t *path; /* path[i]: node of frame i */
	size_t *ends;	/* ends[i]: offset in prev just after frame i */
	size_t path_len, path_cap, ends_cap;
	size_t limit;	      /* compact when there are more nodes than this; 0: never */
	uint64_t compactions; /* how often frames were dropped to stay under the limit */
};

/* Make *p (*cap elements of elem bytes) hold at least need elements, doubling
 * from 64. Returns 0 or -ENOMEM, *p left as it was. */
int flame_grow(void **p, size_t *cap, size_t need, size_t elem);
/* The frame name of node n; "all" for the root. */
const char *flame_tree__node_name(const struct flame_tree *t, uint32_t n);
/* Children of node n in name order, into *buf (*cap elements, grown as needed);
 * returns their number or -ENOMEM. */
ssize_t flame_tree__sorted_children(const struct flame_tree *t, uint32_t n, uint32_t **buf,
				    size_t *cap);

#endif
