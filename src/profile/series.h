/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Values over time, one point per tick and bounded: the live bytes of heap sites,
 * the bytes of new pages of RSS stacks, the work the process did. */
#ifndef MEMSPY_SERIES_H
#define MEMSPY_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Points a series keeps before neighbours merge: at one tick a second, 512 points
 * cover eight and a half minutes at full resolution, and a series costs 4 KiB. */
#define MS_SERIES_CAP 512u

/* A value once per interval. Bounded: when the series would exceed its capacity
 * (MS_SERIES_CAP points), neighbouring points are merged (averaged) and the
 * interval doubles. A point is the mean of the ticks in its interval; the last
 * one may still be filling. The series of one clock share its time grid; one
 * starts at the first tick after its subject appeared. interval_ns is the mean
 * spacing of the ticks so far (1 s before the second tick). */
struct series {
	double *points;	 /* points[i] at start_ns + i * interval_ns */
	size_t n;
	uint64_t start_ns;
	uint64_t interval_ns;
};

/* The ticks that several series share. Zero it, then series_clock_start. */
struct series_clock {
	uint64_t ticks;		  /* ticks so far */
	uint64_t ticks_per_point; /* doubles each time the series merge */
	uint64_t first_tick_ns, last_tick_ns;
};

/* A series being recorded on a clock. Zeroed: empty. */
struct tseries {
	struct series s;
	size_t cap;	     /* points allocated */
	size_t first_point;  /* the clock's point index of s.points[0] */
	uint32_t last_ticks; /* ticks averaged into the last point */
	bool started;	     /* has seen a tick */
};

void series_clock_start(struct series_clock *c);
/* A tick at ts: returns the point index every series takes its value at. When
 * the series are full, *halve is set to the ticks per point they were recorded
 * with, and the caller halves each series of the clock (tseries_halve) before
 * adding; else *halve is 0. */
size_t series_clock_tick(struct series_clock *c, uint64_t ts, uint64_t *halve);
/* Merge neighbouring points pairwise on the clock's grid. */
void tseries_halve(struct tseries *t, uint64_t old_ticks_per_point);
/* The value v at point (series_clock_tick's), and the series' place in time. A
 * point lost to ENOMEM is filled by the next one. */
void tseries_add(struct tseries *t, const struct series_clock *c, size_t point, double v);
/* Frees the points; accepts a zeroed series. */
void tseries_fini(struct tseries *t);

#endif
