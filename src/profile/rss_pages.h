/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pages of one process that sampled faults mapped during the run and that are
 * still in place: each with the stacks it is charged to, the pages it stands for
 * and the page frame it was last seen in, so that a page the process gives back
 * leaves rss.folded and one it moves follows (rss_sweep.h finds which). */
#ifndef MEMSPY_RSS_PAGES_H
#define MEMSPY_RSS_PAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MS_RSS_PAGE 4096 /* bytes a fault maps (base pages; huge pages count as one) */

struct rss_page {
	uint64_t addr;	 /* page-aligned */
	uint64_t pfn;	 /* page frame last seen mapped at addr; 0: not known */
	uint32_t near[2]; /* ... and the low 32 bits of those at addr - 4 KiB and
			   * addr + 4 KiB then (0: none), which tell a page that moved,
			   * with its neighbours, from a freed frame handed out again */
	uint32_t stack;	 /* stacktab id in the process's profile */
	uint32_t merged; /* ... and in the run's merged profile (--children) */
	uint32_t weight; /* faults the sample stands for */
};

struct rss_pages;

/* Called for each page that leaves; ctx is the caller's. */
typedef void rss_page_gone_fn(void *ctx, const struct rss_page *page);

/* NULL on ENOMEM. */
struct rss_pages *rss_pages__new(void);
/* Accepts NULL. */
void rss_pages__free(struct rss_pages *m);
/* A sampled fault at page->addr. A page already recorded there (its release was
 * not seen) leaves first, through gone. 0 or -ENOMEM. */
int rss_pages__add(struct rss_pages *m, const struct rss_page *page, rss_page_gone_fn *gone,
		   void *ctx);
/* [start, start + len) left its place; new_len bytes of it went to new_start
 * (mremap), the rest is gone. Page-rounded as the kernel does. Returns the pages
 * that left through gone; 0 when out of memory for a move (the pages stay). */
size_t rss_pages__release(struct rss_pages *m, uint64_t start, uint64_t len, uint64_t new_start,
			  uint64_t new_len, rss_page_gone_fn *gone, void *ctx);
/* Copy up to n pages into out, from the page numbered from on (wrapping around
 * to the first): a sweep that goes round them a slice at a time. Pages are
 * numbered in no order, and a removal renumbers one. Returns how many. */
size_t rss_pages__list(const struct rss_pages *m, size_t from, size_t n, struct rss_page *out);
/* Note the frames of the page at addr and of its neighbours (none there:
 * nothing happens). */
void rss_pages__set_frames(struct rss_pages *m, uint64_t addr, uint64_t pfn,
			   const uint32_t near[2]);
/* Take the page at addr out into *out, without calling anything: the caller
 * says whether it is gone or adds it again where it moved. false: none there. */
bool rss_pages__take(struct rss_pages *m, uint64_t addr, struct rss_page *out);
/* Pages recorded now. */
size_t rss_pages__count(const struct rss_pages *m);

#endif
