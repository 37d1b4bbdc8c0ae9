/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One process's page map and anonymous mappings, for the sweep of its sampled pages. */
#include <errno.h>
#include <stdlib.h>

#include "run/page_watch.h"
#include "target/pagemap.h"
#include "target/procmaps.h"

struct page_watch {
	pid_t pid;
	struct pagemap *pm;
	struct rss_sweep sweep;
	struct rss_range *anon; /* writable anonymous mappings at the last look */
	size_t nr_anon;
	struct rss_range *fresh; /* ... of them, new or changed since the look before */
	size_t nr_fresh;
	bool have_anon; /* anon was read once: else every mapping is new */
};

static long read_pagemap(void *ctx, uint64_t vaddr, size_t n, uint64_t *out)
{
	struct page_watch *w = ctx;

	return pagemap__read(w->pm, vaddr, n, out);
}

/* Where moved pages can land: private memory that is not a file's (heap,
 * anonymous mmap, stacks). */
static bool is_anon(const struct map_entry *e)
{
	return !map_entry_is_file(e) && e->perms[1] == 'w';
}

static bool had(const struct page_watch *w, const struct rss_range *r)
{
	size_t lo = 0, hi = w->nr_anon;

	while (lo < hi) { /* maps lists mappings in address order */
		size_t mid = lo + (hi - lo) / 2;
		if (w->anon[mid].start < r->start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < w->nr_anon && w->anon[lo].start == r->start && w->anon[lo].end == r->end;
}

static int cmp_size(const void *a, const void *b)
{
	const struct rss_range *x = a, *y = b;
	uint64_t sx = x->end - x->start, sy = y->end - y->start;

	return sx < sy ? -1 : sx > sy;
}

/* Read the mappings; those whose bounds are not the same as at the last look go
 * into fresh, smallest first: an mremap'd block lands in a mapping of its own
 * size, while a grown heap is large and seldom where moved pages are, so the
 * search's bound is spent where they likely went. -errno when maps cannot be
 * read (the last look stays). */
static int look(struct page_watch *w)
{
	struct procmaps maps;
	struct rss_range *cur, *fresh;
	size_t n = 0, nf = 0;

	if (procmaps_read(w->pid, &maps))
		return -ESRCH;
	cur = malloc((maps.n ? maps.n : 1) * sizeof(*cur));
	fresh = malloc((maps.n ? maps.n : 1) * sizeof(*fresh));
	if (!cur || !fresh) {
		free(cur);
		free(fresh);
		procmaps_release(&maps);
		return -ENOMEM;
	}
	for (size_t i = 0; i < maps.n; i++) {
		if (!is_anon(&maps.entries[i]))
			continue;
		cur[n] = (struct rss_range){maps.entries[i].start, maps.entries[i].end};
		if (!w->have_anon || !had(w, &cur[n]))
			fresh[nf++] = cur[n];
		n++;
	}
	procmaps_release(&maps);
	qsort(fresh, nf, sizeof(*fresh), cmp_size);
	free(w->anon);
	free(w->fresh);
	w->anon = cur;
	w->nr_anon = n;
	w->fresh = fresh;
	w->nr_fresh = nf;
	w->have_anon = true;
	return 0;
}

static size_t fresh_mappings(void *ctx, const struct rss_range **out)
{
	struct page_watch *w = ctx;

	if (look(w)) {
		*out = NULL;
		return 0; /* maps unreadable: the process is going, moves are not looked for */
	}
	*out = w->fresh;
	return w->nr_fresh;
}

struct page_watch *page_watch__new(pid_t pid)
{
	struct page_watch *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->pid = pid;
	w->pm = pagemap__open(pid);
	if (!w->pm) {
		int e = errno;

		free(w);
		errno = e;
		return NULL;
	}
	w->sweep = (struct rss_sweep){.read = read_pagemap,
				      .fresh = fresh_mappings,
				      .ctx = w,
				      .slice = MS_SWEEP_SLICE,
				      .max_scan = MS_SWEEP_MAX_SCAN};
	look(w); /* unreadable: the first sweep takes every mapping as new */
	return w;
}

void page_watch__free(struct page_watch *w)
{
	if (!w)
		return;
	pagemap__close(w->pm);
	free(w->anon);
	free(w->fresh);
	free(w);
}

void page_watch__frames(struct page_watch *w, struct rss_page *page)
{
	uint64_t e[3] = {0};

	if (page->addr < MS_RSS_PAGE || pagemap__read(w->pm, page->addr - MS_RSS_PAGE, 3, e) < 2)
		return;
	page->pfn = rss_pm_frame(e[1]);
	page->near[0] = rss_pm_near(e[0]);
	page->near[1] = rss_pm_near(e[2]);
}

int page_watch__sweep(struct page_watch *w, struct rss_pages *m, bool full, rss_page_gone_fn *gone,
		      void *ctx, struct rss_sweep_stats *stats)
{
	return rss_sweep_run(&w->sweep, m, full, gone, ctx, stats);
}
