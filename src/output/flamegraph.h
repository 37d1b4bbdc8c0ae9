/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Flame graphs: a flame tree (flame_tree.h) drawn as one interactive SVG. */
#ifndef MEMSPY_FLAMEGRAPH_H
#define MEMSPY_FLAMEGRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "output/flame_palette.h"
#include "output/flame_tree.h"

struct flame_options {
	const char *title;	  /* NULL: "Flame Graph" (or "Differential Flame Graph") */
	const char *subtitle;	  /* a second, smaller line under the title; NULL for none */
	enum flame_colors colors; /* units and palette */
	bool inverted;		  /* icicle: root at the top, callees below */
	unsigned int width;	  /* image width in pixels; 0: 1200 */
	double min_share;	  /* frames under this share of the total are merged; 0: 0.001 */
	bool allow_empty;	  /* an empty profile draws a "no samples" image, not -ENODATA */
};

/* Write the tree as one self-contained SVG (script and style inline). A tree
 * with any base value is drawn as a differential graph: widths from value, red
 * frames grew from base to value, blue ones shrank. Returns 0, -ENODATA when the
 * tree is empty and !opts->allow_empty, -EIO on a write error, -ENOMEM. */
int flame_tree__write_svg(const struct flame_tree *t, FILE *out, const struct flame_options *opts);
/* What attach calls after writing a folded file: read folded_path and write its
 * SVG to out. Reports a failure once through ms_err ("heap.folded:3: missing
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
