/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The heap profile: live sampled blocks, per-site totals and per-site live bytes over time. */
#ifndef MEMSPY_PROFILE_H
#define MEMSPY_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile/series.h"

/* A site is one interned stack (stacktab id). */
struct site_stats {
	uint32_t stack_id;
	double live_bytes;	 /* estimated live bytes now */
	double live_count;	 /* estimated live blocks now */
	double alloc_bytes;	 /* estimated bytes allocated over the run */
	double alloc_count;	 /* estimated allocations over the run */
	uint64_t samples;	 /* sampled allocations recorded */
	uint64_t oldest_live_ns; /* timestamp of the oldest live block; 0 when none */
	double peak_bytes;	 /* estimated live bytes when the whole heap peaked */
	double temp_bytes;	 /* estimated bytes of temporary allocations */
	double temp_count;	 /* estimated temporary allocations */
};

/* Allocation sizes in powers of two: bucket k counts sizes in [2^k, 2^(k+1)),
 * bucket 0 also sizes 0 and 1 (the probes' buckets: memspy/events.h). */
#ifndef MS_SIZE_BUCKETS
#define MS_SIZE_BUCKETS 64
#endif

/* Live bytes of every site, the whole heap and the bytes allocated, once per tick
 * on one clock (struct series: profile/series.h). */
struct profile;

/* sample_mean is the Poisson mean in bytes; <= 1 means every allocation is
 * recorded and weights are exact. Returns NULL (errno ENOMEM) when out of memory.
 * Memory is bounded: the block table grows and shrinks with the number of live
 * sampled blocks, each series holds at most 512 points, and only a site with
 * live blocks keeps one (a site that empties loses its series; it starts again
 * at the first tick the site holds blocks again). See also profile__limit_sites. */
struct profile *profile__new(uint64_t sample_mean);
void profile__free(struct profile *p);
/* Bound the sites: each costs its stats and a series of up to 4 KiB, and a long
 * run keeps meeting new stacks. Past max_sites an allocation at a stack with no
 * site yet goes to the site of overflow_stack (the stack table's "[other
 * stacks]"), which always fits, and is counted (profile__folded). Sites are
 * never evicted, so a live block keeps its stack. The overflow site keeps no
 * series: its growth is that of many stacks, so it is never a leak suspect.
 * 0: no bound (the default). */
void profile__limit_sites(struct profile *p, size_t max_sites, uint32_t overflow_stack);
/* Sampled allocations folded into the overflow site so far, and the bound. */
uint64_t profile__folded(const struct profile *p, size_t *max_sites);
/* A sampled allocation. A block already live at addr is replaced (its free was
 * lost; the old block counts as freed). Returns 0 or -ENOMEM. */
int profile__alloc(struct profile *p, uint64_t addr, uint64_t size, uint32_t stack_id,
		   uint64_t ts_ns);
/* A tracked block released. Returns true if it was live. */
bool profile__free_block(struct profile *p, uint64_t addr, uint64_t ts_ns);
/* The same, knowing the threads: tid (non-zero) allocated the block at its seq-th
 * allocator call, and tid frees it at its seq-th. A block freed by the thread that
 * allocated it, with no other allocator call of that thread in between (free seq
 * = alloc seq + 1), was a temporary allocation: its site's temp_bytes and
 * temp_count grow. The block was sampled at the profile's mean << mean_shift
 * (at most MS_MAX_MEAN_SHIFT; a sampler that raised its mean in an allocation
 * storm), which its weight follows. */
int profile__alloc_by(struct profile *p, uint64_t addr, uint64_t size, uint32_t stack_id,
		      uint64_t ts_ns, uint32_t tid, uint32_t seq, unsigned mean_shift);
bool profile__free_by(struct profile *p, uint64_t addr, uint64_t ts_ns, uint32_t tid,
		      uint32_t seq);
/* Record one point of every site's live bytes (and the total) at ts_ns. */
void profile__tick(struct profile *p, uint64_t ts_ns);
/* Stats of every site ever seen, in no particular order; valid until the next call
 * that changes the profile. */
const struct site_stats *profile__sites(const struct profile *p, size_t *n);
/* Live-bytes series of a site (empty when it has none), and of the whole heap. */
const struct series *profile__site_series(const struct profile *p, uint32_t stack_id);
const struct series *profile__total_series(const struct profile *p);
/* The work the process did: bytes it allocated since the start, on the total's
 * grid. The probes' exact count when given (profile__set_allocated before each
 * tick), else the estimate from the samples, so an offline profile has one too. */
void profile__set_allocated(struct profile *p, double bytes);
const struct series *profile__allocated_series(const struct profile *p);
/* The high-water mark of the estimated live heap, followed at every allocation
 * and free: the sites' peak_bytes hold a snapshot taken whenever the total rose
 * 1% above the last one, and again at the top of each rise (the first free after
 * it), so the snapshot kept is the highest total seen. Returns that total; *ts_ns
 * gets its time (0 when nothing was ever live). Not const: a rise still under
 * way is settled first. */
double profile__peak(struct profile *p, uint64_t *ts_ns);
/* Allocations by size, MS_SIZE_BUCKETS entries: the probes' exact counts once
 * given (profile__set_size_hist), else estimated from the samples (exact too
 * with a sample mean <= 1). *exact says which. */
const double *profile__size_hist(const struct profile *p, bool *exact);
void profile__set_size_hist(struct profile *p, const uint64_t counts[MS_SIZE_BUCKETS]);
/* Totals over the run. */
double profile__live_bytes(const struct profile *p);
double profile__freed_bytes(const struct profile *p);
uint64_t profile__samples(const struct profile *p);
uint64_t profile__sample_mean(const struct profile *p);
/* The largest mean a sample was drawn at (the sample mean << the largest
 * mean_shift so far): what the noise of the estimates is judged by. */
uint64_t profile__widest_mean(const struct profile *p);
/* Sampled blocks live now, and the entries the block table holds room for (memory
 * accounting and tests). */
size_t profile__nr_live(const struct profile *p);
/* The addresses of up to max live sampled blocks, site by site (a process that
 * exits takes its blocks along: the caller frees them elsewhere). Returns how
 * many were written. */
size_t profile__live_addrs(const struct profile *p, uint64_t *out, size_t max);
size_t profile__block_capacity(const struct profile *p);

#endif
