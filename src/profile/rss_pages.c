/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Sampled pages still in place: a dense array of pages, indexed by address. */
#include <errno.h>
#include <stdlib.h>

#include "base/hashtab.h"
#include "profile/rss_pages.h"

#define MIN_PAGES 512

struct rss_pages {
	struct rss_page *pages; /* dense: a removal moves the last page into the hole */
	size_t n, cap;
	struct hashtab by_addr;
};

static uint64_t page_hash(uint64_t addr)
{
	return hash_u64(addr);
}

/* The page at addr, with its slot in by_addr; MS_HASHTAB_NONE when none. */
static uint32_t find(const struct rss_pages *m, uint64_t addr, size_t *pos)
{
	uint64_t h = page_hash(addr);

	for (uint32_t i = hashtab__first(&m->by_addr, h, pos); i != MS_HASHTAB_NONE;
	     i = hashtab__next(&m->by_addr, h, pos))
		if (m->pages[i].addr == addr)
			return i;
	return MS_HASHTAB_NONE;
}

/* Remove page i, in slot pos of by_addr. */
static void remove_at(struct rss_pages *m, uint32_t i, size_t pos)
{
	hashtab__remove_at(&m->by_addr, pos);
	if (i != --m->n) {
		m->pages[i] = m->pages[m->n];
		hashtab__renumber(&m->by_addr, page_hash(m->pages[i].addr), (uint32_t)m->n, i);
	}
}

struct rss_pages *rss_pages__new(void)
{
	struct rss_pages *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->cap = MIN_PAGES;
	m->pages = malloc(m->cap * sizeof(*m->pages));
	if (!m->pages || hashtab__init(&m->by_addr, m->cap, 0)) {
		rss_pages__free(m);
		return NULL;
	}
	return m;
}

void rss_pages__free(struct rss_pages *m)
{
	if (!m)
		return;
	free(m->pages);
	hashtab__fini(&m->by_addr);
	free(m);
}

int rss_pages__add(struct rss_pages *m, const struct rss_page *page, rss_page_gone_fn *gone,
		   void *ctx)
{
	size_t pos;
	uint32_t i;

	if (!page->addr)
		return 0;
	i = find(m, page->addr, &pos);
	if (i != MS_HASHTAB_NONE) {
		gone(ctx, &m->pages[i]);
		m->pages[i] = *page;
		return 0;
	}
	if (m->n == m->cap) {
		struct rss_page *np =
		    m->n < MS_HASHTAB_NONE / 2 ? realloc(m->pages, m->cap * 2 * sizeof(*np)) : NULL;

		if (!np)
			return -ENOMEM;
		m->pages = np;
		m->cap *= 2;
	}
	if (hashtab__insert(&m->by_addr, page_hash(page->addr), (uint32_t)m->n))
		return -ENOMEM;
	m->pages[m->n++] = *page;
	return 0;
}

static bool in_range(const struct rss_page *p, uint64_t lo, uint64_t hi)
{
	return p->addr >= lo && p->addr < hi;
}

/* The pages of [lo, hi) into out, looked up page by page. */
static size_t take_by_address(struct rss_pages *m, uint64_t lo, uint64_t hi, struct rss_page *out)
{
	size_t k = 0, pos;

	for (uint64_t a = lo; a < hi; a += MS_RSS_PAGE) {
		uint32_t i = find(m, a, &pos);
		if (i != MS_HASHTAB_NONE) {
			out[k++] = m->pages[i];
			remove_at(m, i, pos);
		}
	}
	return k;
}

/* The pages of [lo, hi) into out, found by a scan and removed one by one. */
static size_t take_few(struct rss_pages *m, uint64_t lo, uint64_t hi, struct rss_page *out)
{
	size_t k = 0, pos;

	for (size_t i = 0; i < m->n;) {
		if (in_range(&m->pages[i], lo, hi)) {
			find(m, m->pages[i].addr, &pos);
			out[k++] = m->pages[i];
			remove_at(m, (uint32_t)i, pos); /* the last page moved into i */
		} else {
			i++;
		}
	}
	return k;
}

/* The pages of [lo, hi) into out when many leave (a whole arena unmapped): the
 * rest stay in place and are indexed again, cheaper than taking the leaving ones
 * out of the index one by one. */
static size_t take_many(struct rss_pages *m, uint64_t lo, uint64_t hi, struct rss_page *out)
{
	size_t k = 0, kept = 0;

	for (size_t i = 0; i < m->n; i++) {
		if (in_range(&m->pages[i], lo, hi))
			out[k++] = m->pages[i];
		else
			m->pages[kept++] = m->pages[i];
	}
	m->n = kept;
	hashtab__clear(&m->by_addr);
	for (size_t i = 0; i < kept; i++) /* fewer than it held: cannot fail */
		hashtab__insert(&m->by_addr, page_hash(m->pages[i].addr), (uint32_t)i);
	return k;
}

/* Take the pages of [lo, hi) out into out (room for the fewer of m->n and the
 * range's pages): by address when the range has fewer pages than the map holds,
 * else by a scan of the pages held. */
static size_t take_range(struct rss_pages *m, uint64_t lo, uint64_t hi, struct rss_page *out)
{
	size_t n = 0;

	if (hi <= lo || !m->n)
		return 0;
	if ((hi - lo) / MS_RSS_PAGE <= m->n)
		return take_by_address(m, lo, hi, out);
	for (size_t i = 0; i < m->n; i++)
		n += in_range(&m->pages[i], lo, hi);
	return n < m->n / 4 ? take_few(m, lo, hi, out) : take_many(m, lo, hi, out);
}

size_t rss_pages__release(struct rss_pages *m, uint64_t start, uint64_t len, uint64_t new_start,
			  uint64_t new_len, rss_page_gone_fn *gone, void *ctx)
{
	const uint64_t mask = ~(uint64_t)(MS_RSS_PAGE - 1);
	uint64_t lo = start & mask, hi;

	/* the end rounded up to a page, or the last page for a range past the top */
	if (__builtin_add_overflow(start, len, &hi) || __builtin_add_overflow(hi, MS_RSS_PAGE - 1, &hi))
		hi = UINT64_MAX & mask;
	else
		hi &= mask;
	uint64_t kept = new_len < len ? new_len : len;
	size_t ngone = 0;

	if (!m->n || hi <= lo)
		return 0;
	uint64_t span = (hi - lo) / MS_RSS_PAGE;
	struct rss_page *taken = malloc((span < m->n ? span : m->n) * sizeof(*taken));
	if (!taken)
		return 0;
	size_t k = take_range(m, lo, hi, taken);
	for (size_t i = 0; i < k; i++) {
		uint64_t off = taken[i].addr - lo;
		if (new_len && off < kept) { /* moved by mremap, charged as before */
			taken[i].addr = (new_start & mask) + off;
			if (rss_pages__add(m, &taken[i], gone, ctx) == 0)
				continue;
		}
		gone(ctx, &taken[i]);
		ngone++;
	}
	free(taken);
	return ngone;
}

size_t rss_pages__list(const struct rss_pages *m, size_t from, size_t n, struct rss_page *out)
{
	size_t k = n < m->n ? n : m->n;

	for (size_t i = 0; i < k; i++)
		out[i] = m->pages[(from + i) % m->n];
	return k;
}

void rss_pages__set_frames(struct rss_pages *m, uint64_t addr, uint64_t pfn,
			   const uint32_t near[2])
{
	size_t pos;
	uint32_t i = find(m, addr, &pos);

	if (i != MS_HASHTAB_NONE) {
		m->pages[i].pfn = pfn;
		m->pages[i].near[0] = near[0];
		m->pages[i].near[1] = near[1];
	}
}

bool rss_pages__take(struct rss_pages *m, uint64_t addr, struct rss_page *out)
{
	size_t pos;
	uint32_t i = find(m, addr, &pos);

	if (i == MS_HASHTAB_NONE)
		return false;
	*out = m->pages[i];
	remove_at(m, i, pos);
	return true;
}

size_t rss_pages__count(const struct rss_pages *m)
{
	return m->n;
}
