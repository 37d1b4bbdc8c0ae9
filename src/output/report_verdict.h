/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The report's last word, "== verdict ==": in a few sentences, what grew, by how
 * much, per unit of work, and where to look first. */
#ifndef MEMSPY_REPORT_VERDICT_H
#define MEMSPY_REPORT_VERDICT_H

#include <stddef.h>
#include <stdio.h>

#include "profile/leak.h"
#include "profile/stacktab.h"

struct verdict_input {
	const struct stacktab *stacks;
	const struct leak_work *work;		/* NULL: the heap was not tracked */
	const struct leak_suspect *suspects;	/* ranked, first the likeliest */
	size_t nr_suspects;
	const struct container_growth *growth;	/* growing Python containers, ranked */
	size_t nr_growth;
	const struct leak_work *rss_work;	/* what RSS growth was judged against;
						 * NULL: RSS not sampled */
	const struct leak_suspect *rss_suspects; /* stacks whose new pages grew, ranked */
	size_t nr_rss_suspects;
	double rss_start, rss_end;		/* RSS at the ends of the run; < 0: unknown */
	const char *load_status;		/* the load command's end; NULL: none */
};

/* One paragraph, wrapped at 80 columns. */
void report_verdict_write(FILE *f, const struct verdict_input *in);

#endif
