/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Sweep sampled pages against the page map: gone, moved, or still there. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "profile/rss_sweep.h"

/* Pages read with one call: a run of sampled pages at most this long, gaps of at
 * most MAX_GAP pages between them (reading a few entries more is cheaper than a
 * system call more), and the page on either side. About 4 KiB of entries. */
#define RUN_PAGES 510
#define MAX_GAP	  64

/* A page that is no longer at its address but whose frame is known. */
struct vanished {
	uint64_t addr, pfn;
	uint32_t near[2]; /* its neighbours' frames (rss_page.near) */
	uint64_t to;	  /* where it was found; 0: not found */
	bool ambiguous;	  /* its frame is another vanished page's too (the zero page) */
};

static int cmp_addr(const void *a, const void *b)
{
	const struct rss_page *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int cmp_pfn(const void *a, const void *b)
{
	const struct vanished *x = a, *y = b;

	return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

/* The end (exclusive) of the run of pages that starts at sel[i]. */
static size_t run_end(const struct rss_page *sel, size_t n, size_t i)
{
	size_t j = i + 1;

	while (j < n && sel[j].addr - sel[j - 1].addr <= MAX_GAP * MS_RSS_PAGE &&
	       (sel[j].addr - sel[i].addr) / MS_RSS_PAGE < RUN_PAGES)
		j++;
	return j;
}

/* Pages that left their address with their frame known, as the sweep finds them. */
struct vanished_list {
	struct vanished *v;
	size_t n, cap;
};

static int push_vanished(struct vanished_list *l, const struct rss_page *p)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct vanished *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] =
	    (struct vanished){.addr = p->addr, .pfn = p->pfn, .near = {p->near[0], p->near[1]}};
	return 0;
}

/* Read the entries of sel[i..j) (a copy: m may change under it): frames noted,
 * pages gone out through gone, vanished ones with a known frame into l. */
static void check_run(struct rss_sweep *s, struct rss_pages *m, const struct rss_page *sel,
		      size_t i, size_t j, uint64_t *buf, rss_page_gone_fn *gone, void *ctx,
		      struct vanished_list *l, struct rss_sweep_stats *st)
{
	/* from the page before the first (user addresses never start at 0) */
	uint64_t lo = sel[i].addr - MS_RSS_PAGE;
	long got = s->read(s->ctx, lo, (size_t)((sel[j - 1].addr - lo) / MS_RSS_PAGE + 2), buf);
	struct rss_page page;

	for (size_t k = i; k < j; k++) {
		uint64_t off = (sel[k].addr - lo) / MS_RSS_PAGE, e;

		if (got < 0 || off >= (uint64_t)got) {
			st->unread++; /* no answer is not an answer: the page stays */
			continue;
		}
		st->checked++;
		e = buf[off];
		if (e & MS_PM_PRESENT) {
			/* A page unmapped and faulted in again at the same address reads
			 * as present too: the new page stands in for the old one, as a
			 * sample stands for the unsampled faults around it. */
			uint64_t pfn = rss_pm_frame(e);
			uint32_t near[2] = {rss_pm_near(buf[off - 1]),
					    off + 1 < (uint64_t)got ? rss_pm_near(buf[off + 1])
								    : 0};
			if (pfn && (pfn != sel[k].pfn || near[0] != sel[k].near[0] ||
				    near[1] != sel[k].near[1]))
				rss_pages__set_frames(m, sel[k].addr, pfn, near);
		} else if ((e & MS_PM_SWAPPED) || !sel[k].pfn) {
			if (rss_pages__take(m, sel[k].addr, &page)) {
				gone(ctx, &page);
				st->gone++;
			}
		} else if (push_vanished(l, &sel[k])) {
			st->unread++; /* out of memory: looked at again next sweep */
		}
	}
}

/* The vanished page whose frame is pfn and that is not found yet; NULL if none. */
static struct vanished *find_pfn(struct vanished *v, size_t n, uint64_t pfn)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].pfn < pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == n || v[lo].pfn != pfn || v[lo].ambiguous || v[lo].to)
		return NULL;
	return &v[lo];
}

/* Whether the page found at `to` with w's frame came there with a neighbour, as
 * mremap moves a range: at least one neighbour's frame is where it was next to
 * w. A frame the process freed and got again for a new page (the kernel hands
 * out the frames freed last first) comes without its old neighbours, or with
 * them in reverse order: that page is new, and the old one was given back. */
static bool moved_with_neighbour(struct rss_sweep *s, const struct vanished *w, uint64_t to)
{
	uint64_t e[3];

	if (s->read(s->ctx, to - MS_RSS_PAGE, 3, e) != 3)
		return false;
	return (w->near[0] && rss_pm_near(e[0]) == w->near[0]) ||
	       (w->near[1] && rss_pm_near(e[2]) == w->near[1]);
}

/* Look for the vanished pages' frames in the mappings that are new since the last
 * look. A page moved by mremap keeps its frame and its neighbours; a page that was
 * unmapped has none anywhere, or its frame went to a new page. A page without a
 * neighbour seen next to it is not followed: a move of a lone page counts as
 * given back. At most s->max_scan pages are read: past that, the vanished pages
 * not found yet count as given back too (a move into a large new mapping may be
 * missed, and its pages leave rss.folded). So does a move onto a mapping that
 * existed before with the very same bounds (mremap MREMAP_FIXED over it), which
 * /proc/<pid>/maps cannot tell from the old one. Returns how many were found. */
static size_t find_moves(struct rss_sweep *s, struct vanished *v, size_t nv, uint64_t *buf,
			 struct rss_sweep_stats *st)
{
	const struct rss_range *fresh;
	size_t nfresh, found = 0, budget = s->max_scan;

	if (!nv || !s->fresh)
		return 0;
	nfresh = s->fresh(s->ctx, &fresh);
	qsort(v, nv, sizeof(*v), cmp_pfn);
	for (size_t i = 1; i < nv; i++)
		if (v[i].pfn == v[i - 1].pfn)
			v[i].ambiguous = v[i - 1].ambiguous = true;
	for (size_t f = 0; f < nfresh && found < nv && budget; f++) {
		for (uint64_t a = fresh[f].start; a < fresh[f].end && found < nv && budget;) {
			size_t want = (size_t)((fresh[f].end - a) / MS_RSS_PAGE);
			if (want > RUN_PAGES)
				want = RUN_PAGES;
			if (want > budget)
				want = budget;
			long got = s->read(s->ctx, a, want, buf);
			if (got <= 0)
				break;
			budget -= (size_t)got;
			st->scanned += (size_t)got;
			for (long k = 0; k < got; k++) {
				struct vanished *w;
				if (!(buf[k] & MS_PM_PRESENT))
					continue;
				uint64_t to = a + (uint64_t)k * MS_RSS_PAGE;
				w = find_pfn(v, nv, buf[k] & MS_PM_PFN_MASK);
				if (w && moved_with_neighbour(s, w, to)) {
					w->to = to;
					found++;
				}
			}
			a += (uint64_t)got * MS_RSS_PAGE;
		}
	}
	return found;
}

/* The pages to check, sorted by address so that neighbours share a read. */
static struct rss_page *select_pages(struct rss_sweep *s, const struct rss_pages *m, bool full,
				     size_t *n)
{
	size_t total = rss_pages__count(m), k = full || s->slice >= total ? total : s->slice;
	struct rss_page *sel = malloc((k ? k : 1) * sizeof(*sel));

	if (!sel)
		return NULL;
	if (s->next >= total)
		s->next = 0;
	*n = rss_pages__list(m, full ? 0 : s->next, k, sel);
	s->next = full ? 0 : (s->next + *n) % (total ? total : 1);
	qsort(sel, *n, sizeof(*sel), cmp_addr);
	return sel;
}

/* Take the vanished pages out, then add back those found elsewhere: all leave
 * first, as a page may move to where another vanished page was. */
static void settle_vanished(struct rss_pages *m, const struct vanished_list *l,
			    rss_page_gone_fn *gone, void *ctx, struct rss_sweep_stats *st)
{
	struct rss_page *taken = malloc((l->n ? l->n : 1) * sizeof(*taken));
	uint64_t *to = malloc((l->n ? l->n : 1) * sizeof(*to));
	size_t nt = 0;

	if (!taken || !to) { /* looked at again next sweep */
		st->unread += l->n;
		free(taken);
		free(to);
		return;
	}
	for (size_t i = 0; i < l->n; i++)
		if (rss_pages__take(m, l->v[i].addr, &taken[nt]))
			to[nt++] = l->v[i].to;
	for (size_t i = 0; i < nt; i++) {
		if (to[i]) {
			taken[i].addr = to[i];
			if (!rss_pages__add(m, &taken[i], gone, ctx)) {
				st->moved++;
				continue;
			}
		}
		gone(ctx, &taken[i]);
		st->gone++;
	}
	free(taken);
	free(to);
}

int rss_sweep_run(struct rss_sweep *s, struct rss_pages *m, bool full, rss_page_gone_fn *gone,
		  void *ctx, struct rss_sweep_stats *stats)
{
	struct rss_sweep_stats st = {0};
	struct vanished_list l = {0};
	size_t n = 0;
	struct rss_page *sel = select_pages(s, m, full, &n);
	uint64_t *buf = malloc((RUN_PAGES + 2) * sizeof(*buf));
	int e = -ENOMEM;

	if (!sel || !buf)
		goto out;
	for (size_t i = 0, j; i < n; i = j) {
		j = run_end(sel, n, i);
		check_run(s, m, sel, i, j, buf, gone, ctx, &l, &st);
	}
	free(sel); /* before the search: the sweep holds one big array at a time */
	sel = NULL;
	find_moves(s, l.v, l.n, buf, &st);
	settle_vanished(m, &l, gone, ctx, &st);
	e = 0;
out:
	if (stats)
		*stats = st;
	free(sel);
	free(buf);
	free(l.v);
	return e;
}
