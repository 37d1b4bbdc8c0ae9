/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Flame graph layout: where each frame of a flame tree goes, as boxes in value units. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "output/flame_layout.h"
#include "output/flame_tree_impl.h"

static int push_box(struct flame_layout *l, struct flame_box b)
{
	if (flame_grow((void **)&l->boxes, &l->cap, l->n + 1, sizeof(*l->boxes)))
		return -ENOMEM;
	l->boxes[l->n++] = b;
	if (b.depth > l->max_depth)
		l->max_depth = b.depth;
	if (b.depth) {
		double change = fabs((double)b.value - (double)b.base);
		if (change > l->max_change)
			l->max_change = change;
	}
	return 0;
}

int flame_layout__build(struct flame_layout *l, const struct flame_tree *t, double min_share)
{
	uint64_t total = t->nodes[0].value;
	double min_value = (double)total * min_share;
	struct flame_box *todo = NULL;
	size_t ntodo = 0, todo_cap = 0;
	uint32_t *kids = NULL;
	size_t kids_cap = 0;
	int ret = 0;

	memset(l, 0, sizeof(*l));
	if (!total)
		return 0;
	if (flame_grow((void **)&todo, &todo_cap, 1, sizeof(*todo)))
		return -ENOMEM;
	todo[ntodo++] = (struct flame_box){.value = total, .base = t->nodes[0].base, .node = 0};
	while (ntodo) {
		struct flame_box b = todo[--ntodo];
		if ((ret = push_box(l, b)))
			break;
		ssize_t k = flame_tree__sorted_children(t, b.node, &kids, &kids_cap);
		if (k < 0) {
			ret = -ENOMEM;
			break;
		}
		/* Lay children out left to right; push them right to left so the walk
		 * leaves boxes in x order at every depth. */
		uint64_t x = b.x;
		struct flame_box small = {.node = NO_NODE, .depth = b.depth + 1};
		size_t first = ntodo;
		for (ssize_t i = 0; i < k; i++) {
			const struct fnode *c = &t->nodes[kids[i]];
			if (!c->value)
				continue;
			if ((double)c->value < min_value) {
				small.value += c->value;
				small.base += c->base;
				small.merged++;
				continue;
			}
			if (flame_grow((void **)&todo, &todo_cap, ntodo + 1, sizeof(*todo))) {
				ret = -ENOMEM;
				goto out;
			}
			todo[ntodo++] = (struct flame_box){.x = x,
							   .value = c->value,
							   .base = c->base,
							   .node = kids[i],
							   .depth = b.depth + 1};
			x += c->value;
		}
		for (size_t i = first, j = ntodo; i + 1 < j; i++, j--) {
			struct flame_box tmp = todo[i];
			todo[i] = todo[j - 1];
			todo[j - 1] = tmp;
		}
		if (small.merged > 1 && (double)small.value >= min_value) {
			small.x = x;
			if ((ret = push_box(l, small)))
				goto out;
		}
	}
out:
	free(todo);
	free(kids);
	if (ret)
		flame_layout__clear(l);
	return ret;
}

void flame_layout__clear(struct flame_layout *l)
{
	free(l->boxes);
	memset(l, 0, sizeof(*l));
}
