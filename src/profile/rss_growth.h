/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The RSS profile over time: for the stacks holding the most new pages, their bytes
 * still mapped once per tick, and the bytes of new pages the process faulted in,
 * so that RSS growth is judged by the same test as heap growth. */
#ifndef MEMSPY_RSS_GROWTH_H
#define MEMSPY_RSS_GROWTH_H

#include <stddef.h>
#include <stdint.h>

#include "profile/cpu_profile.h"
#include "profile/leak.h"
#include "profile/series.h"
#include "profile/stacktab.h"

/* Stacks with a series: at most 4 KiB each (MS_SERIES_CAP points), 1 MiB in all.
 * A leak holds more pages at every tick, so it is among them by the time it
 * matters. */
#define MS_RSS_TRACKED 256
/* Stacks that may take a tracked stack's place at one tick. */
#define MS_RSS_SWAPS 16

struct rss_growth;

/* NULL on ENOMEM. */
struct rss_growth *rss_growth__new(void);
/* Accepts NULL. */
void rss_growth__free(struct rss_growth *g);
/* A point of the new pages faulted in (rss's total plus released_bytes, the bytes
 * given back since the start) and of every tracked stack's bytes in rss. A stack
 * gets a series while fewer than MS_RSS_TRACKED have one; after that, one holding
 * more than twice the bytes of the smallest tracked stack takes its place (that
 * series is dropped), at most MS_RSS_SWAPS a tick. Out of memory, a point or a
 * stack is skipped. */
void rss_growth__tick(struct rss_growth *g, const struct cpu_profile *rss, uint64_t released_bytes,
		      uint64_t ts_ns);
/* Bytes of new pages faulted in since the start, one point per tick. */
const struct series *rss_growth__faulted_series(const struct rss_growth *g);
/* A stack's bytes of new pages still mapped; empty when it has no series. */
const struct series *rss_growth__stack_series(const struct rss_growth *g, uint32_t stack_id);
size_t rss_growth__nr_tracked(const struct rss_growth *g);
/* The leak suspects among the tracked stacks (leak_rank_series against w, one
 * sample standing for sample_mean bytes), at most max, steepest first. Stacks
 * sharing a title (site_name_frame) are judged as one, their series summed, as
 * rss's top list shows them; a suspect's stack_id is its title's stack holding
 * the most bytes now. Returns their number (0 when out of memory). */
size_t rss_growth__rank(const struct rss_growth *g, const struct stacktab *t,
			const struct leak_work *w, double sample_mean, struct leak_suspect *out,
			size_t max);

#endif
