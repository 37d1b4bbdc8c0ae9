/* SPDX-License-Identifier: GPL-2.0-or-later */
/* How memspy traces the target's page faults, from the rate it maps new pages:
 * the sampling period, and whether the tracepoints stay attached or come in
 * windows. A traced fault costs the faulting thread ~150 ns however rarely it
 * is sampled (the tracepoint and its program, out of cache on a busy server):
 * 3.5% of a Flask worker that grows 300 MB a second (README, Performance). Once
 * the target maps more than MS_RSS_WINDOWS_ABOVE new pages a second for
 * MS_RSS_WINDOWS_AFTER_NS running, the tracepoints are attached for
 * MS_RSS_WINDOW_NS in every MS_RSS_WINDOW_SCALE times that, and each sample
 * and count stands for MS_RSS_WINDOW_SCALE times as many faults; when a window sees the rate fall
 * below half that, tracing goes back to throughout. A slow leak is traced fault
 * by fault as before. Pure logic: the run applies each step to the probes. */
#ifndef MEMSPY_RSS_ADAPT_H
#define MEMSPY_RSS_ADAPT_H

#include <stdbool.h>
#include <stdint.h>

#include "memspy/events.h"

#define MS_RSS_WINDOWS_ABOVE 16384 /* new pages a second: 64 MiB/s */
/* a storm is traced throughout for this long: half a second at that 3.5% */
#define MS_RSS_WINDOWS_AFTER_NS (500 * 1000000ull)
#define MS_RSS_WINDOW_NS (100 * 1000000ull)
#define MS_RSS_WINDOW_SCALE 8 /* an eighth of the time: 0.4% of that worker */
#define MS_RSS_RATE_NS (100 * 1000000ull) /* the period follows the rate of this long */

struct rss_adapt {
	uint32_t period, period_min, period_max; /* now, and over the run */
	uint32_t scale;		/* 1: traced throughout; MS_RSS_WINDOW_SCALE: in windows */
	bool traced;		/* the tracepoints attached now */
	uint64_t rate_ns;	/* start of the rate's measurement: a window's start in windows */
	uint64_t rate_new;	/* new-page faults counted then */
	uint64_t high_since;	/* 0, or since when the rate has stayed above the mark */
	uint64_t cycle_ns;	/* in windows: when the current window was due, or the next is */
	uint64_t win_open, win_close; /* the last window's attach and detach (0: open) */
	uint64_t win_counts[2];	      /* its faults, all and on new pages, as counted */
	uint64_t windowed_since, windowed_ns; /* in windows since; in windows over the run */
	uint64_t seen[MS_RSS_COUNT];	      /* the probes' counts at the last step */
	uint64_t total[MS_RSS_COUNT];	      /* with the faults between windows estimated */
};

/* What the run must do to the probes: each field 0 (or trace -1) for nothing. The
 * scale is set before a window's attach, the period at once. */
struct rss_adapt_step {
	uint32_t period;
	uint32_t scale;
	int trace; /* 1: attach the tracepoints, 0: detach them, -1: as they are */
};

/* The probes' first period: one sample a new-page fault, unless attach_rate, the
 * target's minor faults a second while memspy attached (0: unknown), was a
 * storm's: then one in that rate's period. Minor faults count every fault
 * without I/O (copies-on-write, page-cache pages, the agent's own mapping), not
 * only new pages, so a lower rate says too little; a storm's is at worst a
 * period too long until the first rate is measured. */
uint32_t rss_adapt__first_period(double attach_rate);
/* Traced throughout, one sample in period new-page faults (the probes' first),
 * from now (the probes' counts at 0). */
void rss_adapt__init(struct rss_adapt *a, uint64_t now, uint32_t period);
/* The probes' counts read at now: totals updated, and what to change. */
struct rss_adapt_step rss_adapt__step(struct rss_adapt *a, uint64_t now,
				      const uint64_t counts[MS_RSS_COUNT]);
/* Totals updated from the last counts (at the end, after the final detach, and for
 * a snapshot) into out: the last window's faults stand only for the part of its
 * cycle that has passed. */
void rss_adapt__finish(struct rss_adapt *a, uint64_t now, const uint64_t counts[MS_RSS_COUNT],
		       uint64_t out[MS_RSS_COUNT]);
/* The tracepoints could not be attached again: nothing is traced from now on. */
void rss_adapt__failed(struct rss_adapt *a, uint64_t now, const uint64_t counts[MS_RSS_COUNT]);
/* Milliseconds until the next step is due, at most max_ms. */
int rss_adapt__wait_ms(const struct rss_adapt *a, uint64_t now, int max_ms);

#endif
