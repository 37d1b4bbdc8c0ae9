/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Flame graph colours: a frame's fill from its kind and name, or in a diff from its change. */
#ifndef MEMSPY_FLAME_PALETTE_H
#define MEMSPY_FLAME_PALETTE_H

#include <stddef.h>
#include <stdint.h>

/* What the values are: bytes (shown as KiB/MiB/GiB, native frames green), CPU
 * samples (native frames red) or microseconds of wall-clock time (off-CPU and
 * wall profiles, native frames steel blue). */
enum flame_colors {
	MS_FLAME_MEM,
	MS_FLAME_CPU,
	MS_FLAME_TIME,
};

/* How a frame is coloured, found from its name the way perf and py-spy spell it. */
enum flame_kind {
	MS_FRAME_NATIVE,
	MS_FRAME_KERNEL,  /* "name_[k]" (perf script | stackcollapse-perf.pl --all) */
	MS_FRAME_INLINED, /* "name_[i]" */
	MS_FRAME_JIT,	  /* "name_[j]" */
	MS_FRAME_PYTHON,  /* "func (file.py:12)" (py-spy, memspy) or "name_[py]" */
};

/* The fill of a frame named len bytes of name, "rgb(r,g,b)": a hue for its kind
 * (native frames green for memory, red for CPU), the shade from a hash of the
 * name, so that a function gets the same colour in every graph, like
 * flamegraph.pl --hash. */
void flame_palette_frame(const char *name, size_t len, enum flame_kind kind,
			 enum flame_colors colors, char *buf, size_t size);
/* The fill of a frame that went from base to value: red when it grew, blue when it
 * shrank, white when unchanged; the colour is deeper the closer |value - base| is to
 * max_change (the largest change of any frame drawn). */
void flame_palette_diff(uint64_t value, uint64_t base, double max_change, char *buf, size_t size);

#endif
