/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which sampled pages are still resident, read from the process's page map
 * (/proc/<pid>/pagemap, through the caller's reader): a page no longer present at
 * its address was unmapped, discarded (MADV_DONTNEED), cut off with the heap (brk)
 * or swapped out, and leaves rss.folded; one whose page frame shows up in a
 * mapping that is new since the last look moved there (mremap) and stays charged
 * as before. Nothing here watches a system call: the target's hot path pays
 * nothing for it. */
#ifndef MEMSPY_RSS_SWEEP_H
#define MEMSPY_RSS_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#include "profile/rss_pages.h"

/* One pagemap entry a page: present bit, swapped bit, page frame number. */
#define MS_PM_PRESENT  (1ull << 63)
#define MS_PM_SWAPPED  (1ull << 62)
#define MS_PM_PFN_MASK ((1ull << 55) - 1)

/* The frame of a pagemap entry, 0 when no page is present; and its low 32 bits,
 * as rss_page.near keeps them. */
static inline uint64_t rss_pm_frame(uint64_t entry)
{
	return (entry & MS_PM_PRESENT) ? entry & MS_PM_PFN_MASK : 0;
}

static inline uint32_t rss_pm_near(uint64_t entry)
{
	return (uint32_t)rss_pm_frame(entry);
}

struct rss_range {
	uint64_t start, end; /* [start, end), page-aligned */
};

/* Read the pagemap entries of the n pages from vaddr (page-aligned) on into out:
 * the number read (fewer when the address space ends or is gone), or -errno. */
typedef long rss_pagemap_fn(void *ctx, uint64_t vaddr, size_t n, uint64_t *out);
/* The anonymous mappings that are new or changed since the previous call (all of
 * them on the first): where a page that left its address may have gone. Points
 * *out at them (the caller's until its next call); returns how many. Called at
 * most once a sweep, only when a page vanished with its frame known. */
typedef size_t rss_fresh_fn(void *ctx, const struct rss_range **out);

struct rss_sweep {
	rss_pagemap_fn *read;
	rss_fresh_fn *fresh; /* NULL: moves are not looked for */
	void *ctx;
	size_t slice;	 /* pages a bounded sweep checks (rss_sweep_run, full false) */
	size_t max_scan; /* pages of fresh mappings read a sweep looking for moved pages */
	size_t next;	 /* where the next bounded sweep starts: kept between sweeps */
};

struct rss_sweep_stats {
	size_t checked; /* pages whose entry was read */
	size_t gone;	/* ... that left rss.folded */
	size_t moved;	/* ... found again at another address */
	size_t unread;	/* pages whose entry could not be read: kept as they were */
	size_t scanned; /* pages of fresh mappings read */
};

/* Check s->slice of m's pages from where the last bounded sweep stopped, or all
 * of them (full: right before outputs are written, so they are exact). Pages that
 * left go through gone; pages still present get their frame noted. stats may be
 * NULL. 0 or -ENOMEM (nothing changed). */
int rss_sweep_run(struct rss_sweep *s, struct rss_pages *m, bool full, rss_page_gone_fn *gone,
		  void *ctx, struct rss_sweep_stats *stats);

#endif
