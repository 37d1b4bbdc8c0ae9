/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Pages given back, seen from user space: each process's sampled pages are
 * checked against its /proc/<pid>/pagemap (profile/rss_sweep.h), a slice about
 * once a second and all of them right before outputs are written, so no system
 * call of any process pays for it. Internal to src/run. */
#ifndef MEMSPY_PAGE_WATCH_H
#define MEMSPY_PAGE_WATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "profile/rss_pages.h"
#include "profile/rss_sweep.h"

/* Sampled pages a bounded sweep checks: at one pread each when they are far
 * apart, a few milliseconds of memspy's time a second. */
#define MS_SWEEP_SLICE 4096
/* Pages of new mappings read a sweep looking for moved pages (1 GiB of address
 * space, 2 MiB of entries). */
#define MS_SWEEP_MAX_SCAN (1u << 18)

struct page_watch;

/* Open pid's page map and note its anonymous mappings now, the baseline the
 * next sweep's new mappings are told from. NULL with errno set. */
struct page_watch *page_watch__new(pid_t pid);
/* Accepts NULL. */
void page_watch__free(struct page_watch *w);
/* Note in page the frames mapped now at page->addr and on either side (left 0
 * when none or unreadable). */
void page_watch__frames(struct page_watch *w, struct rss_page *page);
/* rss_sweep_run on m with this process's page map and mappings. */
int page_watch__sweep(struct page_watch *w, struct rss_pages *m, bool full, rss_page_gone_fn *gone,
		      void *ctx, struct rss_sweep_stats *stats);

#endif
