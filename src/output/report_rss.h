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

/* Page faults are sampled one in a period that follows the target's fault rate:
 * every fault while faults are rare (a slow leak shows fault by fault), about
 * MS_RSS_SAMPLES_PER_S samples a second in a fault storm, never rarer than one in
 * MS_RSS_MAX_PERIOD. */
#define MS_RSS_SAMPLES_PER_S 100
#define MS_RSS_MAX_PERIOD 4096

/* Write <dir>/rss.folded and rss.svg: bytes of new pages still mapped, per stack.
 * Returns 0 or -errno (reported). */
int report_rss_write_profile(const char *dir, const struct stacktab *t,
			     const struct cpu_profile *p, int pid, const char *comm,
			     uint32_t min_period, uint32_t max_period);
/* The sampling period for the next second after faults_per_s faults a second: a
 * power of two, 1 to MS_RSS_MAX_PERIOD. */
uint32_t rss_period_for(double faults_per_s);
/* The "== rss ==" section: sampled faults, estimated bytes of new pages (p holds
 * those still mapped, released_bytes those given back since), the memory
 * syscalls' totals (enum ms_rss_counter) and the top stacks, each titled by its
 * innermost Python frame or its first frame outside the allocator. */
void report_rss_write(FILE *f, const struct stacktab *t, const struct cpu_profile *p,
		      uint64_t released_bytes, const uint64_t *counters, uint32_t min_period,
		      uint32_t max_period);

#endif
