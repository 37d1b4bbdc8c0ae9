/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Load the RSS-growth BPF programs: sampled page faults of one process that map
 * new pages. Nothing here sees pages given back: src/run reads pagemap for that. */
#ifndef MEMSPY_RSS_PROBES_H
#define MEMSPY_RSS_PROBES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "memspy/events.h"
#include "probes/probe_common.h"

/* Page faults are sampled one in a period that follows the target's fault rate:
 * every fault while faults are rare (a slow leak shows fault by fault), about
 * MS_RSS_SAMPLES_PER_S samples a second in a fault storm, never rarer than one in
 * MS_RSS_MAX_PERIOD. */
#define MS_RSS_SAMPLES_PER_S 100
#define MS_RSS_MAX_PERIOD 4096

struct rss_probes_opts {
	struct probe_target target;
	uint32_t period;      /* one sample every this many new-page faults, at first */
};

struct rss_probes;

/* On error returns NULL, sets errno and writes a one-line reason to err. */
struct rss_probes *rss_probes__open(const struct rss_probes_opts *o, char *err, size_t errlen);
/* Stop sampling for good; maps stay readable. Idempotent. */
void rss_probes__detach(struct rss_probes *r);
/* Detach the tracepoints until rss_probes__resume (src/run/rss_adapt.h's windows). */
void rss_probes__pause(struct rss_probes *r);
/* Attach them again, unless detached for good. 0, or -errno with err written. */
int rss_probes__resume(struct rss_probes *r, char *err, size_t errlen);
/* Each new page traced from now on stands for scale (its CPU's pending weight,
 * which the next sample there carries); the counts stay raw. */
void rss_probes__set_scale(struct rss_probes *r, uint32_t scale);
/* Accepts NULL. */
void rss_probes__free(struct rss_probes *r);
/* The ring buffer of MS_EV_RSS records, for capture. */
int rss_probes__events_fd(const struct rss_probes *r);
/* Sample one new-page fault in period from now on (at least 1). */
void rss_probes__set_period(struct rss_probes *r, uint32_t period);
/* The sampling period for the next second after faults_per_s faults a second: a
 * power of two, 1 to MS_RSS_MAX_PERIOD. */
uint32_t rss_period_for(double faults_per_s);
/* Sum the per-CPU counters (enum ms_rss_counter). 0 or -errno. */
int rss_probes__counters(const struct rss_probes *r, uint64_t out[MS_RSS_COUNT]);

#endif
