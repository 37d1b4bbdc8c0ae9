/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Flame graph layout: where each frame of a flame tree goes, as boxes in value units. */
#ifndef MEMSPY_FLAME_LAYOUT_H
#define MEMSPY_FLAME_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "output/flame_tree.h"

struct flame_box {
	uint64_t x;	/* offset from the left, in value units */
	uint64_t value; /* width, in value units */
	uint64_t base;
	uint32_t node; /* NO_NODE for frames merged because they were too narrow */
	uint32_t depth;
	uint32_t merged; /* how many frames a merged box stands for */
};

struct flame_layout {
	struct flame_box *boxes;
	size_t n, cap;
	uint32_t max_depth;
	double max_change; /* largest |value - base| of a frame other than the root */
};

/* Lay out every frame of t with a value: the root at depth 0 spans the total,
 * children left to right in name order; siblings narrower than min_share of the
 * total are merged into one box when they add up to at least that. Boxes come
 * depth first, in x order at every depth. Returns 0 or -ENOMEM (l then empty);
 * free with flame_layout__clear. */
int flame_layout__build(struct flame_layout *l, const struct flame_tree *t, double min_share);
void flame_layout__clear(struct flame_layout *l);

#endif
