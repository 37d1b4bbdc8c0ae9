/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The heap profile: which sampled blocks are live, what each site holds, and how that moved. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/hashtab.h"
#include "profile/profile.h"
#include "base/sampling.h"
#include "memspy/events.h"

#define MS_NIL UINT32_MAX
/* Smallest block table; below this, shrinking saves nothing worth a rebuild. */
#define MS_MIN_BLOCKS 1024u

/* A live sampled block. Blocks of one site form a list in allocation order, so the
 * oldest live block of a site is always its head. */
struct block {
	uint64_t addr;
	uint64_t size : 56;	  /* no allocation reaches 2^56 bytes */
	uint64_t mean_shift : 8; /* sampled at sample_mean << mean_shift */
	uint32_t ts_ms; /* allocated at ts_base + ts_ms ms: 40 bytes a block, not 48,
			 * for a million live blocks with --sample-bytes 1 */
	uint32_t site;	/* index into sites */
	uint32_t prev;	/* older block of the same site, MS_NIL at the head */
	uint32_t next;	/* newer block of the same site; the free list when unused */
	uint32_t tid;	/* the allocating thread; 0: unknown */
	uint32_t seq;	/* that thread's allocator calls at the allocation */
};

struct site {
	uint32_t head, tail; /* oldest and newest live block */
	uint64_t live_blocks; /* exact number of live sampled blocks */
	bool dirty;	      /* live bytes moved since the last peak snapshot */
	struct tseries series;
};

struct profile {
	uint64_t sample_mean;
	unsigned top_shift; /* the largest mean_shift of a sample so far */

	struct block *blocks;
	size_t blocks_cap;   /* a power of two */
	size_t blocks_top;   /* blocks[top..cap) never used since the last rebuild */
	uint32_t free_head;  /* freed entries below top */
	size_t nr_live;
	struct hashtab by_addr; /* live blocks; sized for blocks_cap, so never grows */

	struct site *sites;
	struct site_stats *stats; /* parallel to sites, handed out as is */
	size_t nr_sites, sites_cap;
	struct hashtab by_stack; /* sites by stack id */
	size_t max_sites;	 /* 0: unbounded */
	uint32_t overflow_stack; /* where allocations at new stacks go past max_sites */
	uint64_t folded;	 /* allocations that went there */
	uint32_t *dirty;	 /* sites whose live bytes moved since the snapshot */
	size_t nr_dirty;

	uint64_t ts_base;	/* the first allocation's time, ns; blocks count from it */
	bool has_ts_base;
	double peak_total;	/* live bytes at the peak snapshot */
	uint64_t peak_ts, last_ts;
	double size_hist[MS_SIZE_BUCKETS];    /* estimated from the samples */
	double exact_sizes[MS_SIZE_BUCKETS];  /* as the probes counted them */
	bool has_exact_sizes;

	double live_bytes, freed_bytes;
	double allocated_est;	  /* estimated bytes allocated, from the samples */
	double allocated_exact;	  /* bytes allocated as the probes counted them */
	bool has_exact;		  /* allocated_exact was given: it is the work measure */
	uint64_t samples;

	struct tseries total;
	struct tseries allocated; /* bytes allocated since the start, per point */
	struct series_clock clock;
};

static const struct series empty_series;

/* The live block at addr, with its slot in by_addr; MS_NIL when none. */
static uint32_t block_find(const struct profile *p, uint64_t addr, size_t *pos)
{
	uint64_t h = hash_u64(addr);

	for (uint32_t i = hashtab__first(&p->by_addr, h, pos); i != MS_HASHTAB_NONE;
	     i = hashtab__next(&p->by_addr, h, pos))
		if (p->blocks[i].addr == addr)
			return i;
	return MS_NIL;
}

/* Lay the live blocks out again in a table of cap entries, site by site in
 * allocation order. Used to grow the address index and to shrink after a peak. */
static int rebuild(struct profile *p, size_t cap)
{
	struct block *nb = malloc(cap * sizeof(*nb));
	struct hashtab nt;
	uint32_t j = 0;

	if (!nb || hashtab__init(&nt, cap, 0)) {
		free(nb);
		return -ENOMEM;
	}
	for (size_t s = 0; s < p->nr_sites; s++) {
		struct site *site = &p->sites[s];
		uint32_t prev = MS_NIL;

		for (uint32_t i = site->head; i != MS_NIL; i = p->blocks[i].next) {
			nb[j] = p->blocks[i];
			nb[j].prev = prev;
			nb[j].next = MS_NIL;
			if (prev != MS_NIL)
				nb[prev].next = j;
			else
				site->head = j;
			prev = j++;
		}
		site->tail = prev;
		if (prev == MS_NIL)
			site->head = MS_NIL;
	}
	free(p->blocks);
	hashtab__fini(&p->by_addr);
	p->blocks = nb;
	p->blocks_cap = cap;
	p->blocks_top = j;
	p->free_head = MS_NIL;
	p->by_addr = nt;
	/* Sized for cap entries: these cannot fail. */
	for (uint32_t i = 0; i < j; i++)
		hashtab__insert(&p->by_addr, hash_u64(nb[i].addr), i);
	return 0;
}

static uint32_t block_get(struct profile *p)
{
	uint32_t idx;

	if (p->free_head != MS_NIL) {
		idx = p->free_head;
		p->free_head = p->blocks[idx].next;
		return idx;
	}
	if (p->blocks_top == p->blocks_cap) {
		if (p->blocks_cap >= (size_t)MS_NIL / 2 || rebuild(p, p->blocks_cap * 2))
			return MS_NIL;
	}
	return (uint32_t)p->blocks_top++;
}

struct profile *profile__new(uint64_t sample_mean)
{
	struct profile *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->sample_mean = sample_mean;
	p->blocks_cap = MS_MIN_BLOCKS;
	p->blocks = malloc(p->blocks_cap * sizeof(*p->blocks));
	p->free_head = MS_NIL;
	series_clock_start(&p->clock);
	if (!p->blocks || hashtab__init(&p->by_addr, p->blocks_cap, 0) ||
	    hashtab__init(&p->by_stack, 128, 0)) {
		profile__free(p);
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

void profile__free(struct profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nr_sites; i++)
		tseries_fini(&p->sites[i].series);
	tseries_fini(&p->total);
	tseries_fini(&p->allocated);
	free(p->sites);
	free(p->stats);
	free(p->dirty);
	hashtab__fini(&p->by_stack);
	free(p->blocks);
	hashtab__fini(&p->by_addr);
	free(p);
}

static uint32_t site_find(const struct profile *p, uint32_t stack_id)
{
	uint64_t h = hash_u64(stack_id);
	size_t pos;

	for (uint32_t i = hashtab__first(&p->by_stack, h, &pos); i != MS_HASHTAB_NONE;
	     i = hashtab__next(&p->by_stack, h, &pos))
		if (p->stats[i].stack_id == stack_id)
			return i;
	return MS_NIL;
}

static uint32_t site_get(struct profile *p, uint32_t stack_id)
{
	uint32_t s = site_find(p, stack_id);

	if (s != MS_NIL)
		return s;
	if (p->max_sites && p->nr_sites >= p->max_sites && stack_id != p->overflow_stack) {
		p->folded++;
		return site_get(p, p->overflow_stack);
	}
	if (p->nr_sites >= MS_NIL - 1)
		return MS_NIL;
	if (p->nr_sites == p->sites_cap) {
		size_t cap = p->sites_cap ? p->sites_cap * 2 : 64;
		struct site *ns = realloc(p->sites, cap * sizeof(*ns));

		if (!ns)
			return MS_NIL;
		p->sites = ns;
		struct site_stats *st = realloc(p->stats, cap * sizeof(*st));

		if (!st)
			return MS_NIL;
		p->stats = st;
		uint32_t *d = realloc(p->dirty, cap * sizeof(*d));

		if (!d)
			return MS_NIL;
		p->dirty = d;
		p->sites_cap = cap;
	}
	s = (uint32_t)p->nr_sites;
	if (hashtab__insert(&p->by_stack, hash_u64(stack_id), s))
		return MS_NIL;
	p->nr_sites++;
	memset(&p->sites[s], 0, sizeof(p->sites[s]));
	p->sites[s].head = p->sites[s].tail = MS_NIL;
	memset(&p->stats[s], 0, sizeof(p->stats[s]));
	p->stats[s].stack_id = stack_id;
	return s;
}

/* Blocks may arrive out of order (rings drained one after the other, or a run
 * fed offline): times count from an hour before the first one. */
#define MS_TS_BASE_MARGIN_NS (3600ULL * 1000000000ULL)

/* A block's time in ms from the profile's base: 49 days fit; a later block is
 * kept at the limit, an earlier one at the base. */
static uint32_t block_ms(struct profile *p, uint64_t ts_ns)
{
	uint64_t ms;

	if (!p->has_ts_base) {
		p->ts_base = ts_ns > MS_TS_BASE_MARGIN_NS ? ts_ns - MS_TS_BASE_MARGIN_NS : 0;
		p->has_ts_base = true;
	}
	ms = ts_ns > p->ts_base ? (ts_ns - p->ts_base) / 1000000 : 0;
	return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

/* Link a block into its site's list, keeping allocation order: events from several
 * CPUs can arrive slightly out of order, so walk back from the newest. */
static void site_link(struct profile *p, uint32_t idx)
{
	struct block *b = &p->blocks[idx];
	struct site *site = &p->sites[b->site];
	uint32_t after = site->tail;

	while (after != MS_NIL && p->blocks[after].ts_ms > b->ts_ms)
		after = p->blocks[after].prev;
	b->prev = after;
	b->next = after == MS_NIL ? site->head : p->blocks[after].next;
	if (b->next != MS_NIL)
		p->blocks[b->next].prev = idx;
	else
		site->tail = idx;
	if (after != MS_NIL)
		p->blocks[after].next = idx;
	else
		site->head = idx;
}

static void site_unlink(struct profile *p, uint32_t idx)
{
	struct block *b = &p->blocks[idx];
	struct site *site = &p->sites[b->site];

	if (b->prev != MS_NIL)
		p->blocks[b->prev].next = b->next;
	else
		site->head = b->next;
	if (b->next != MS_NIL)
		p->blocks[b->next].prev = b->prev;
	else
		site->tail = b->prev;
}

/* Only sites that moved are copied: a snapshot at the top of every rise then
 * costs what the events since the last one cost, not the number of sites. */
static void peak_snapshot(struct profile *p)
{
	for (size_t i = 0; i < p->nr_dirty; i++) {
		uint32_t s = p->dirty[i];

		p->stats[s].peak_bytes = p->stats[s].live_bytes;
		p->sites[s].dirty = false;
	}
	p->nr_dirty = 0;
	p->peak_total = p->live_bytes;
	p->peak_ts = p->last_ts;
}

static void mark_dirty(struct profile *p, uint32_t s)
{
	if (p->sites[s].dirty)
		return;
	p->sites[s].dirty = true;
	p->dirty[p->nr_dirty++] = s;
}

static void update_oldest(struct profile *p, uint32_t s)
{
	uint32_t head = p->sites[s].head;

	p->stats[s].oldest_live_ns =
		head == MS_NIL ? 0 : p->ts_base + (uint64_t)p->blocks[head].ts_ms * 1000000;
}

/* What a sampled block stands for: bytes and allocations. */
static double block_bytes(const struct profile *p, uint64_t size, unsigned mean_shift)
{
	return sampling_weight(size, p->sample_mean << mean_shift);
}

static double block_count(const struct profile *p, uint64_t size, unsigned mean_shift)
{
	return sampling_count_weight(size, p->sample_mean << mean_shift);
}

/* Block idx, in slot pos of by_addr, was freed. */
static void release(struct profile *p, uint32_t idx, size_t pos)
{
	struct block *b = &p->blocks[idx];
	uint32_t s = b->site;
	struct site_stats *st = &p->stats[s];
	double w = block_bytes(p, b->size, b->mean_shift);

	/* The heap is about to shrink: if it rose past the snapshot, this is the top. */
	if (p->live_bytes > p->peak_total)
		peak_snapshot(p);
	mark_dirty(p, s);
	st->live_bytes -= w;
	st->live_count -= block_count(p, b->size, b->mean_shift);
	/* Sums of doubles drift; an empty site or heap is exactly empty. */
	if (--p->sites[s].live_blocks == 0)
		st->live_bytes = st->live_count = 0;
	p->freed_bytes += w;
	p->live_bytes -= w;
	if (--p->nr_live == 0)
		p->live_bytes = 0;

	site_unlink(p, idx);
	update_oldest(p, s);
	hashtab__remove_at(&p->by_addr, pos);
	b->next = p->free_head;
	p->free_head = idx;
}

int profile__alloc(struct profile *p, uint64_t addr, uint64_t size, uint32_t stack_id,
		   uint64_t ts_ns)
{
	return profile__alloc_by(p, addr, size, stack_id, ts_ns, 0, 0, 0);
}

int profile__alloc_by(struct profile *p, uint64_t addr, uint64_t size, uint32_t stack_id,
		      uint64_t ts_ns, uint32_t tid, uint32_t seq, unsigned mean_shift)
{
	size_t pos;
	uint32_t s, idx = block_find(p, addr, &pos);
	struct block *b;
	double w, c;

	if (idx != MS_NIL)
		release(p, idx, pos);
	if (ts_ns > p->last_ts)
		p->last_ts = ts_ns;
	s = site_get(p, stack_id);
	if (s == MS_NIL)
		return -ENOMEM;
	idx = block_get(p);
	if (idx == MS_NIL)
		return -ENOMEM;
	b = &p->blocks[idx];
	b->addr = addr;
	if (mean_shift > MS_MAX_MEAN_SHIFT)
		mean_shift = 0; /* a malformed record: weighed at the run's mean */
	b->size = size;
	b->mean_shift = mean_shift;
	if (mean_shift > p->top_shift)
		p->top_shift = mean_shift;
	b->ts_ms = block_ms(p, ts_ns);
	b->site = s;
	b->tid = tid;
	b->seq = seq;
	/* Never fails: by_addr has a slot for every entry of blocks. */
	hashtab__insert(&p->by_addr, hash_u64(addr), idx);
	site_link(p, idx);
	p->nr_live++;

	w = block_bytes(p, b->size, mean_shift);
	c = block_count(p, b->size, mean_shift);
	p->stats[s].live_bytes += w;
	p->stats[s].live_count += c;
	p->stats[s].alloc_bytes += w;
	p->stats[s].alloc_count += c;
	p->stats[s].samples++;
	p->sites[s].live_blocks++;
	update_oldest(p, s);
	p->live_bytes += w;
	p->allocated_est += w;
	p->samples++;
	p->size_hist[size ? 63 - __builtin_clzll(size) : 0] += c;
	mark_dirty(p, s);
	if (p->live_bytes >= p->peak_total * 1.01 && p->live_bytes > p->peak_total)
		peak_snapshot(p);
	return 0;
}

bool profile__free_block(struct profile *p, uint64_t addr, uint64_t ts_ns)
{
	return profile__free_by(p, addr, ts_ns, 0, 0);
}

/* Freed by its own thread with no allocator call of that thread in between. */
static void count_temporary(struct profile *p, const struct block *b, uint32_t tid,
			    uint32_t seq)
{
	struct site_stats *st = &p->stats[b->site];

	if (!tid || tid != b->tid || seq != b->seq + 1)
		return;
	st->temp_bytes += block_bytes(p, b->size, b->mean_shift);
	st->temp_count += block_count(p, b->size, b->mean_shift);
}

bool profile__free_by(struct profile *p, uint64_t addr, uint64_t ts_ns, uint32_t tid,
		      uint32_t seq)
{
	size_t pos;
	uint32_t idx = block_find(p, addr, &pos);

	if (idx == MS_NIL)
		return false;
	count_temporary(p, &p->blocks[idx], tid, seq);
	release(p, idx, pos);
	if (ts_ns > p->last_ts)
		p->last_ts = ts_ns;
	/* Give memory back after a peak; the hysteresis (shrink to a quarter once an
	 * eighth is used) keeps a heap that oscillates from rebuilding every time. */
	if (p->blocks_cap > MS_MIN_BLOCKS && p->nr_live * 8 <= p->blocks_cap) {
		size_t cap = p->blocks_cap / 4;

		rebuild(p, cap < MS_MIN_BLOCKS ? MS_MIN_BLOCKS : cap);
	}
	return true;
}

/* The site of the stacks past the bounds: many stacks, so its growth is no
 * site's and it is never ranked (it keeps no series). */
static bool is_overflow(const struct profile *p, size_t s)
{
	return p->max_sites && p->stats[s].stack_id == p->overflow_stack;
}

void profile__tick(struct profile *p, uint64_t ts_ns)
{
	uint64_t halve;
	size_t point = series_clock_tick(&p->clock, ts_ns, &halve);

	if (halve) {
		tseries_halve(&p->total, halve);
		tseries_halve(&p->allocated, halve);
		for (size_t i = 0; i < p->nr_sites; i++)
			tseries_halve(&p->sites[i].series, halve);
	}
	tseries_add(&p->total, &p->clock, point, p->live_bytes);
	tseries_add(&p->allocated, &p->clock, point,
		    p->has_exact ? p->allocated_exact : p->allocated_est);
	for (size_t i = 0; i < p->nr_sites; i++) {
		/* A site with nothing live cannot be growing: its series goes (a long
		 * run meets sites by the thousand, most of them temporaries) and starts
		 * again when it holds blocks, so series memory follows live blocks.
		 * The overflow site is many stacks: none. */
		if (!p->sites[i].live_blocks || is_overflow(p, i)) {
			tseries_fini(&p->sites[i].series);
			continue;
		}
		tseries_add(&p->sites[i].series, &p->clock, point, p->stats[i].live_bytes);
	}
}

double profile__peak(struct profile *p, uint64_t *ts_ns)
{
	if (p->live_bytes > p->peak_total)
		peak_snapshot(p);
	*ts_ns = p->peak_ts;
	return p->peak_total;
}

const double *profile__size_hist(const struct profile *p, bool *exact)
{
	*exact = p->has_exact_sizes || p->sample_mean <= 1;
	return p->has_exact_sizes ? p->exact_sizes : p->size_hist;
}

void profile__set_size_hist(struct profile *p, const uint64_t counts[MS_SIZE_BUCKETS])
{
	for (int i = 0; i < MS_SIZE_BUCKETS; i++)
		p->exact_sizes[i] = (double)counts[i];
	p->has_exact_sizes = true;
}

const struct site_stats *profile__sites(const struct profile *p, size_t *n)
{
	*n = p->nr_sites;
	return p->stats;
}

const struct series *profile__site_series(const struct profile *p, uint32_t stack_id)
{
	uint32_t s = site_find(p, stack_id);

	return s == MS_NIL ? &empty_series : &p->sites[s].series.s;
}

const struct series *profile__total_series(const struct profile *p)
{
	return &p->total.s;
}

void profile__set_allocated(struct profile *p, double bytes)
{
	p->allocated_exact = bytes;
	p->has_exact = true;
}

const struct series *profile__allocated_series(const struct profile *p)
{
	return &p->allocated.s;
}

double profile__live_bytes(const struct profile *p)
{
	return p->live_bytes;
}

double profile__freed_bytes(const struct profile *p)
{
	return p->freed_bytes;
}

uint64_t profile__samples(const struct profile *p)
{
	return p->samples;
}

uint64_t profile__sample_mean(const struct profile *p)
{
	return p->sample_mean;
}

uint64_t profile__widest_mean(const struct profile *p)
{
	return p->sample_mean << p->top_shift;
}

size_t profile__nr_live(const struct profile *p)
{
	return p->nr_live;
}

size_t profile__live_addrs(const struct profile *p, uint64_t *out, size_t max)
{
	size_t k = 0;

	for (size_t s = 0; s < p->nr_sites; s++)
		for (uint32_t i = p->sites[s].head; i != MS_NIL && k < max; i = p->blocks[i].next)
			out[k++] = p->blocks[i].addr;
	return k;
}

void profile__limit_sites(struct profile *p, size_t max_sites, uint32_t overflow_stack)
{
	p->max_sites = max_sites;
	p->overflow_stack = overflow_stack;
}

uint64_t profile__folded(const struct profile *p, size_t *max_sites)
{
	*max_sites = p->max_sites;
	return p->folded;
}

size_t profile__block_capacity(const struct profile *p)
{
	return p->blocks_cap;
}
