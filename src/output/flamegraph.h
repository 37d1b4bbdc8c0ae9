/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Flame graphs: folded stacks merged into a tree as they are read, drawn as one interactive SVG. */
#ifndef MEMSPY_FLAMEGRAPH_H
#define MEMSPY_FLAMEGRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* What the values are: bytes (shown as KiB/MiB/GiB, native frames green) or CPU
 * samples (native frames red). */
enum flame_colors {
	MS_FLAME_MEM,
	MS_FLAME_CPU,
};

/* How a frame is coloured, found from its name the way perf and py-spy spell it. */
enum flame_kind {
	MS_FRAME_NATIVE,
	MS_FRAME_KERNEL,  /* "name_[k]" (perf script | stackcollapse-perf.pl --all) */
	MS_FRAME_INLINED, /* "name_[i]" */
	MS_FRAME_JIT,	  /* "name_[j]" */
	MS_FRAME_PYTHON,  /* "func (file.py:12)" (py-spy, memspy) or "name_[py]" */
};

struct flame_options {
	const char *title;	  /* NULL: "Flame Graph" (or "Differential Flame Graph") */
	const char *subtitle;	  /* a second, smaller line under the title; NULL for none */
	enum flame_colors colors; /* units and palette */
	bool inverted;		  /* icicle: root at the top, callees below */
	unsigned int width;	  /* image width in pixels; 0: 1200 */
	double min_share;	  /* frames under this share of the total are merged; 0: 0.001 */
	bool allow_empty;	  /* an empty profile draws a "no samples" image, not -ENODATA */
};

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
int flame_tree__read(struct flame_tree *t, FILE *f, const char *name, bool to_base, char *err,
		     size_t errsize);
/* flame_tree__read of the file at path, "-" meaning stdin; a failure to open or
 * read it is reported once on stderr ("memspy: heap.folded:3: missing sample
 * count"). Returns 0 or the -errno of opening the file or of flame_tree__read. */
int flame_tree__read_file(struct flame_tree *t, const char *path, bool to_base);
/* Sum of every stack's value (base when of_base). */
uint64_t flame_tree__total(const struct flame_tree *t, bool of_base);
size_t flame_tree__nr_nodes(const struct flame_tree *t);
/* Write the tree as one self-contained SVG (script and style inline). A tree
 * with any base value is drawn as a differential graph: widths from value, red
 * frames grew from base to value, blue ones shrank. Returns 0, -ENODATA when the
 * tree is empty and !opts->allow_empty, -EIO on a write error, -ENOMEM. */
int flame_tree__write_svg(const struct flame_tree *t, FILE *out, const struct flame_options *opts);
/* Call fn for every stack that ends at a node with its own (self) value or base,
 * children in name order, with the stack spelled "a;b;c". A non-zero return from
 * fn stops the walk and is returned; otherwise 0, or -ENOMEM. */
int flame_tree__foreach_stack(const struct flame_tree *t,
			      int (*fn)(void *arg, const char *stack, uint64_t value,
					uint64_t base),
			      void *arg);

/* What attach calls after writing a folded file: read folded_path and write its
 * SVG to out. Reports a failure once on stderr ("memspy: heap.folded:3: missing
 * sample count") and returns the -errno of flame_tree__read or
 * flame_tree__write_svg, or of opening the file. */
int flamegraph_render_file(const char *folded_path, FILE *out, const struct flame_options *opts);

/* The kind of a frame, from the way perf and py-spy spell its name. */
enum flame_kind flamegraph_frame_kind(const char *name);
/* Format a value in the units of a graph: "1.50 MiB" (MS_FLAME_MEM) or "1234
 * samples" (MS_FLAME_CPU); with signed_, a positive value gets a '+'. */
void flamegraph_format_value(char *buf, size_t size, double v, enum flame_colors units,
			     bool signed_);

#endif
