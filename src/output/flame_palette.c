/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Flame graph colours: a frame's fill from its kind and name, or in a diff from its change. */
#include <math.h>
#include <stdio.h>

#include "output/flame_palette.h"

/* The shade of a name: FNV-1a, then mixed. Not a table's hash: it is kept as it
 * is so that a function keeps its colour from one memspy version to the next. */
static uint32_t name_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	h ^= h >> 15;
	h *= 0x2c1b3c6d;
	h ^= h >> 12;
	return h;
}

/* Each channel is base + span * a byte of the name's hash (0 to 1): v[0] shades
 * red, v[1] green, v[blue] blue (aqua shades blue as green, keeping it cyan). */
struct hue {
	uint8_t r, r_span, g, g_span, b, b_span;
	uint8_t blue; /* which byte of the hash shades blue */
};

enum { HUE_NATIVE_MEM = MS_FRAME_PYTHON + 1, HUE_NATIVE_CPU, HUE_NATIVE_TIME, NR_HUES };

static const struct hue hues[NR_HUES] = {
    [MS_FRAME_KERNEL] = {225, 30, 135, 50, 20, 40, 2},	/* orange */
    [MS_FRAME_INLINED] = {40, 60, 200, 45, 200, 45, 1}, /* aqua */
    [MS_FRAME_JIT] = {170, 50, 120, 40, 220, 35, 2},	/* purple */
    [MS_FRAME_PYTHON] = {90, 50, 140, 45, 225, 30, 2},	/* blue */
    [HUE_NATIVE_MEM] = {50, 70, 175, 55, 50, 60, 2},	/* green */
    [HUE_NATIVE_CPU] = {205, 50, 45, 60, 40, 35, 2},	/* red */
    [HUE_NATIVE_TIME] = {60, 50, 110, 50, 170, 50, 2},	/* steel blue */
};

void flame_palette_frame(const char *name, size_t len, enum flame_kind kind,
			 enum flame_colors colors, char *buf, size_t size)
{
	uint32_t h = name_hash(name, len);
	double v[3] = {(h & 0xff) / 255.0, ((h >> 8) & 0xff) / 255.0, ((h >> 16) & 0xff) / 255.0};
	size_t i = kind;
	if (kind == MS_FRAME_NATIVE)
		i = colors == MS_FLAME_MEM	 ? HUE_NATIVE_MEM
		    : colors == MS_FLAME_TIME ? HUE_NATIVE_TIME
					      : HUE_NATIVE_CPU;
	const struct hue *c = &hues[i];
	snprintf(buf, size, "rgb(%d,%d,%d)", (int)(c->r + c->r_span * v[0]),
		 (int)(c->g + c->g_span * v[1]), (int)(c->b + c->b_span * v[c->blue]));
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
