/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The call tree of a profile: folded stacks merged frame by frame as they are read. */
#ifndef MEMSPY_FLAME_TREE_H
#define MEMSPY_FLAME_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The merged call tree of a profile. In a differential tree every node has two
 * values: value (profile B, which gives the shape) and base (profile A). */
struct flame_tree;

struct flame_tree *flame_tree__new(void);
void flame_tree__free(struct flame_tree *t);
/* Bound the memory of a tree: when it holds more than max_nodes frames, frames
 * with less than about 1/(4 max_nodes) of the total so far (and never more than
 * 0.05%, half of what a graph merges anyway) are dropped, their values staying in
 * their callers; if that is not enough the limit grows. 0 keeps every frame,
 * exact (what diff --folded needs). The default is 2M frames, about 100 MB. */
void flame_tree__set_limit(struct flame_tree *t, size_t max_nodes);
/* Whether frames were dropped to stay under the limit. */
bool flame_tree__compacted(const struct flame_tree *t);
/* Add one stack, frames separated by ';', root first (not NUL-terminated: len
 * bytes). value goes to the tree's value, or to base when to_base is true.
 * Returns 0, -EINVAL for an empty stack, -EOVERFLOW or -ENOMEM. */
int flame_tree__add(struct flame_tree *t, const char *stack, size_t len, uint64_t value,
		    bool to_base);
/* Read folded lines ("a;b;c 123") from f and merge them; nothing but the tree is
 * kept, so memory grows with distinct frames, not lines. Blank lines and lines
 * starting with '#' are skipped; a fractional count is rounded. name labels
 * messages. On a malformed line returns -EINVAL with "name:LINE: why" in err;
 * -EIO (err set) when reading fails; -ENOMEM. */
/* Write the formatted reason into err (size bytes; err NULL: nowhere) and return ret:
 * how the readers of flame tree input (folded, pprof) fail. */
int flame_read_error(char *err, size_t size, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int flame_tree__read(struct flame_tree *t, FILE *f, const char *name, bool to_base, char *err,
		     size_t errsize);
/* flame_tree__read of the file at path, "-" meaning stdin; a failure to open or
 * read it is reported once through ms_err ("heap.folded:3: missing sample
 * count"). Returns 0 or the -errno of opening the file or of flame_tree__read. */
int flame_tree__read_file(struct flame_tree *t, const char *path, bool to_base);
/* Sum of every stack's value (base when of_base). */
uint64_t flame_tree__total(const struct flame_tree *t, bool of_base);
size_t flame_tree__nr_nodes(const struct flame_tree *t);
/* Call fn for every stack that ends at a node with its own (self) value or base,
 * children in name order, with the stack spelled "a;b;c". A non-zero return from
 * fn stops the walk and is returned; otherwise 0, or -ENOMEM. */
int flame_tree__foreach_stack(const struct flame_tree *t,
			      int (*fn)(void *arg, const char *stack, uint64_t value,
					uint64_t base),
			      void *arg);

#endif
