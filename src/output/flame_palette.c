/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Flame graph colours: a frame's fill from its kind and name, or in a diff from its change. */
#include <math.h>
#include <stdio.h>

#include "output/flame_palette.h"
#include "output/flame_tree_impl.h"

static uint32_t name_hash(const char *s, size_t len)
{
	uint32_t h = flame_hash(s, len);
	h ^= h >> 15;
	h *= 0x2c1b3c6d;
	h ^= h >> 12;
	return h;
}

void flame_palette_frame(const char *name, size_t len, enum flame_kind kind,
			 enum flame_colors colors, char *buf, size_t size)
{
	uint32_t h = name_hash(name, len);
	double v1 = (h & 0xff) / 255.0, v2 = ((h >> 8) & 0xff) / 255.0,
	       v3 = ((h >> 16) & 0xff) / 255.0;
	int r, g, b;
	switch (kind) {
	case MS_FRAME_KERNEL: /* orange */
		r = 225 + 30 * v1, g = 135 + 50 * v2, b = 20 + 40 * v3;
		break;
	case MS_FRAME_INLINED: /* aqua */
		r = 40 + 60 * v1, g = 200 + 45 * v2, b = 200 + 45 * v2;
		break;
	case MS_FRAME_JIT: /* purple */
		r = 170 + 50 * v1, g = 120 + 40 * v2, b = 220 + 35 * v3;
		break;
	case MS_FRAME_PYTHON: /* blue */
		r = 90 + 50 * v1, g = 140 + 45 * v2, b = 225 + 30 * v3;
		break;
	default:
		if (colors == MS_FLAME_MEM) /* green */
			r = 50 + 70 * v1, g = 175 + 55 * v2, b = 50 + 60 * v3;
		else /* red */
			r = 205 + 50 * v1, g = 45 + 60 * v2, b = 40 + 35 * v3;
	}
	snprintf(buf, size, "rgb(%d,%d,%d)", r, g, b);
}

void flame_palette_diff(uint64_t value, uint64_t base, double max_change, char *buf, size_t size)
{
	double change = (double)value - (double)base;
	if (change == 0 || max_change <= 0) {
		snprintf(buf, size, "rgb(250,250,250)");
		return;
	}
	/* A square root keeps small changes visible next to one large change. */
	double ratio = sqrt(fmin(fabs(change) / max_change, 1.0));
	int pale = (int)lround(225 * (1 - ratio));
	if (change > 0)
		snprintf(buf, size, "rgb(255,%d,%d)", pale + 10, pale + 10);
	else
		snprintf(buf, size, "rgb(%d,%d,255)", pale + 10, pale + 10);
}
