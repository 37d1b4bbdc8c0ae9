/* SPDX-License-Identifier: GPL-2.0-or-later */
/* alloc and peak flame graphs: the same sites as heap.folded, other figures. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/log.h"
#include "output/report.h"
#include "output/sinks.h"
#include "run/write_heap.h"

enum heap_view { VIEW_ALLOC, VIEW_PEAK };

static double view_value(const struct site_stats *st, enum heap_view v)
{
	return v == VIEW_ALLOC ? st->alloc_bytes : st->peak_bytes;
}

/* One view's folded file and SVG; sites with nothing in the view are left out. */
static int write_view(const char *dir, const char *base, const struct profile *heap,
		      const struct stacktab *t, enum heap_view v, const char *title,
		      const char *sub)
{
	size_t n, k = 0;
	const struct site_stats *sites = profile__sites(heap, &n);
	uint32_t *ids = calloc(n ? n : 1, sizeof(*ids));
	uint64_t *vals = calloc(n ? n : 1, sizeof(*vals));
	int err = -ENOMEM;

	if (ids && vals) {
		for (size_t i = 0; i < n; i++) {
			double x = view_value(&sites[i], v);

			if (x < 0.5)
				continue;
			ids[k] = sites[i].stack_id;
			vals[k++] = (uint64_t)(x + 0.5);
		}
		err = sinks_write_profile(dir, base, t, ids, vals, k, MS_FLAME_MEM, title, sub);
	} else {
		ms_err("out of memory writing %s.folded", base);
	}
	free(ids);
	free(vals);
	return err;
}

int write_heap_views(const char *dir, pid_t pid, const char *comm, struct profile *heap,
		     const struct stacktab *t, bool exact)
{
	const char *est = exact ? "" : " (estimated)";
	char sub[200], peak[32];
	uint64_t peak_ts;
	int status = 0;

	snprintf(sub, sizeof(sub), "bytes allocated by pid %d (%s) over the run, freed or not%s",
		 (int)pid, comm, est);
	if (write_view(dir, "alloc", heap, t, VIEW_ALLOC, "Allocated bytes", sub))
		status = -EIO;
	report_format_bytes(profile__peak(heap, &peak_ts), peak, sizeof(peak));
	snprintf(sub, sizeof(sub), "live heap of pid %d (%s) at its peak, %s%s", (int)pid, comm,
		 peak, est);
	if (write_view(dir, "peak", heap, t, VIEW_PEAK, "Peak heap", sub))
		status = -EIO;
	return status;
}
