/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Sampled pages still in place: open addressing on the page address, linear
 * probing, deletion by shifting back (no tombstones, so a long run with many
 * releases keeps short probe chains). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "profile/rss_pages.h"

#define MIN_SLOTS 1024

struct rss_pages {
	struct rss_page *slots; /* addr 0 marks a free slot: page 0 is never mapped */
	size_t cap;		/* a power of two */
	size_t n;
};

static size_t slot_of(const struct rss_pages *m, uint64_t addr)
{
	return (size_t)(((addr / MS_RSS_PAGE) * 0x9e3779b97f4a7c15ull) >> 20) & (m->cap - 1);
}

/* The slot holding addr, or the free slot where it would go. */
static size_t find(const struct rss_pages *m, uint64_t addr)
{
	size_t i = slot_of(m, addr);

	while (m->slots[i].addr && m->slots[i].addr != addr)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static int grow(struct rss_pages *m)
{
	struct rss_page *old = m->slots;
	size_t old_cap = m->cap;
	struct rss_page *ns = calloc(old_cap * 2, sizeof(*ns));

	if (!ns)
		return -ENOMEM;
	m->slots = ns;
	m->cap = old_cap * 2;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].addr)
			m->slots[find(m, old[i].addr)] = old[i];
	free(old);
	return 0;
}

/* Empty slot i and move later entries of its probe chain back into the hole. */
static void remove_at(struct rss_pages *m, size_t i)
{
	size_t mask = m->cap - 1, j = i;

	m->n--;
	for (;;) {
		m->slots[i].addr = 0;
		for (;;) {
			j = (j + 1) & mask;
			if (!m->slots[j].addr)
				return;
			size_t home = slot_of(m, m->slots[j].addr);
			/* j's entry may fill the hole unless its home lies in (i, j] */
			if (i <= j ? (home <= i || home > j) : (home <= i && home > j))
				break;
		}
		m->slots[i] = m->slots[j];
		i = j;
	}
}

struct rss_pages *rss_pages__new(void)
{
	struct rss_pages *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->cap = MIN_SLOTS;
	m->slots = calloc(m->cap, sizeof(*m->slots));
	if (!m->slots) {
		free(m);
		return NULL;
	}
	return m;
}

void rss_pages__free(struct rss_pages *m)
{
	if (!m)
		return;
	free(m->slots);
	free(m);
}

int rss_pages__add(struct rss_pages *m, const struct rss_page *page, rss_page_gone_fn *gone,
		   void *ctx)
{
	if (!page->addr)
		return 0;
	if ((m->n + 1) * 2 > m->cap && grow(m))
		return -ENOMEM;
	size_t i = find(m, page->addr);
	if (m->slots[i].addr)
		gone(ctx, &m->slots[i]);
	else
		m->n++;
	m->slots[i] = *page;
	return 0;
}

/* Take the pages of [lo, hi) out into out (room for the fewer of m->n and the
 * range's pages): by address when the range has fewer pages than the map holds,
 * else by a scan of the whole map. */
static size_t take_range(struct rss_pages *m, uint64_t lo, uint64_t hi, struct rss_page *out)
{
	size_t k = 0;

	if (hi <= lo || !m->n)
		return 0;
	if ((hi - lo) / MS_RSS_PAGE <= m->n) {
		for (uint64_t a = lo; a < hi; a += MS_RSS_PAGE) {
			size_t i = find(m, a);
			if (m->slots[i].addr) {
				out[k++] = m->slots[i];
				remove_at(m, i);
			}
		}
		return k;
	}
	for (size_t i = 0; i < m->cap;) {
		uint64_t a = m->slots[i].addr;
		if (a && a >= lo && a < hi) { /* 0: a free slot */
			out[k++] = m->slots[i];
			remove_at(m, i); /* a later entry may have shifted into i: look again */
		} else {
			i++;
		}
	}
	return k;
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

size_t rss_pages__count(const struct rss_pages *m)
{
	return m->n;
}
