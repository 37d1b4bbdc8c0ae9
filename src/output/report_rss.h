/* SPDX-License-Identifier: GPL-2.0-or-later */
/* RSS growth in the outputs: rss.folded/rss.svg and the report's "== rss ==" section. */
#ifndef MEMSPY_REPORT_RSS_H
#define MEMSPY_REPORT_RSS_H

#include <stdint.h>
#include <stdio.h>

#include "profile/cpu_profile.h"
#include "memspy/events.h"
#include "profile/rss_pages.h"
#include "profile/stacktab.h"

/* Write <dir>/rss.folded and rss.svg: bytes of new pages still mapped, per stack.
 * Returns 0 or -errno (reported). */
int report_rss_write_profile(const char *dir, const struct stacktab *t,
			     const struct cpu_profile *p, int pid, const char *comm,
			     uint32_t min_period, uint32_t max_period);
/* The "== rss ==" section: sampled faults, estimated bytes of new pages (p holds
 * those still mapped, released_bytes those given back since), the memory
 * syscalls' totals (enum ms_rss_counter) and the top stacks, each titled by its
 * innermost Python frame or its first frame outside the allocator. */
void report_rss_write(FILE *f, const struct stacktab *t, const struct cpu_profile *p,
		      uint64_t released_bytes, const uint64_t *counters, uint32_t min_period,
		      uint32_t max_period);

#endif
