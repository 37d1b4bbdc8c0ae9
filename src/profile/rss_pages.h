/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pages of one process that sampled faults mapped during the run and that are
 * still in place: each with the stacks it is charged to and the pages it stands for,
 * so that a range the process unmaps leaves rss.folded and one it moves follows. */
#ifndef MEMSPY_RSS_PAGES_H
#define MEMSPY_RSS_PAGES_H

#include <stddef.h>
#include <stdint.h>

#define MS_RSS_PAGE 4096 /* bytes a fault maps (base pages; huge pages count as one) */

struct rss_page {
	uint64_t addr;	 /* page-aligned */
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
/* Pages recorded now. */
size_t rss_pages__count(const struct rss_pages *m);

#endif
