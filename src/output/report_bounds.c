/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The report's section on memspy's own memory bounds: what they kept out. */
#include <inttypes.h>

#include "output/report_bounds.h"

void report_bounds_write(FILE *f, const struct bounds_report *b)
{
	if (!b->stacks_dropped && !b->frames_dropped && !b->sites_folded)
		return;
	fprintf(f, "\n== memspy's own memory ==\n"
		   "  bounded so that long runs stay within a fixed size; what did not fit is\n"
		   "  counted, and its samples are kept under a placeholder frame\n");
	if (b->stacks_dropped)
		fprintf(f, "  stacks            %zu kept (at most %zu, --max-stacks); %" PRIu64
			   " samples at newer stacks counted as [other stacks]\n",
			b->stacks, b->max_stacks, b->stacks_dropped);
	if (b->frames_dropped)
		fprintf(f, "  frame names       %zu kept (at most %zu); %" PRIu64
			   " newer names shown as [other frames]\n",
			b->frames, b->max_frames, b->frames_dropped);
	if (b->sites_folded)
		fprintf(f, "  heap sites        at most %zu; %" PRIu64
			   " sampled allocations at newer sites counted as [other stacks]\n",
			b->max_sites, b->sites_folded);
}
