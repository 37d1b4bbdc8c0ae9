/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The memory-over-time chart (timeline.svg): named series of byte counts drawn as lines. */
#ifndef MEMSPY_TIMELINE_H
#define MEMSPY_TIMELINE_H

#include <stddef.h>
#include <stdio.h>

/* One line of the chart: values[i] is the value at start_s + i * interval_s
 * seconds from the start of the run. A NaN value is a gap (no data then, such as a
 * leak suspect's stack before it was first seen). The pointers are borrowed for
 * the duration of the call. */
struct timeline_series {
	const char *label;    /* legend text, e.g. "RSS" or a leak suspect's stack */
	const double *values; /* bytes */
	size_t n;	      /* number of values */
	double start_s;	      /* time of values[0], seconds since the run started */
	double interval_s;    /* seconds between points; <= 0 is taken as 1 */
};

/* Write a self-contained SVG line chart of n series of byte counts: time in
 * seconds on the x axis, bytes on the y axis (ticks in B/KiB/MiB/GiB), one colour
 * per series in the order given (the first is drawn thickest: put the RSS first),
 * and a legend with each series' label, last and peak value. Every point carries a
 * tooltip. Series with no values are listed in the legend as "no data"; with no
 * data at all the chart says so. title may be NULL ("Memory over time").
 * Returns 0, -EINVAL when series is NULL with n > 0, or -EIO on a write error. */
int timeline_write_svg(FILE *f, const char *title, const struct timeline_series *series, size_t n);

#endif
