/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Off-CPU sampling from the scheduler's switches (bpf/offcpu.bpf.c). */
#ifndef MEMSPY_OFFCPU_PROBES_H
#define MEMSPY_OFFCPU_PROBES_H

#include <stddef.h>
#include <stdint.h>

#include "memspy/events.h"
#include "probes/probe_common.h"

struct offcpu_probes_opts {
	struct probe_target target;
	uint64_t period_ns; /* one sample per this much of a thread's blocked time */
};

struct offcpu_probes;

/* Time every wait of the target's threads, present and future, and send
 * sampled waits (MS_EV_OFFCPU records) to the ring. NULL, errno and a one-line
 * reason in err on error. */
struct offcpu_probes *offcpu_probes__open(const struct offcpu_probes_opts *o, char *err,
					  size_t errlen);
/* Count only the parts of waits between start_ns and end_ns (CLOCK_MONOTONIC;
 * end_ns 0: open). Nothing is counted before the first call. */
void offcpu_probes__set_window(struct offcpu_probes *c, uint64_t start_ns, uint64_t end_ns);
/* Stop timing; maps stay readable. Idempotent. */
void offcpu_probes__detach(struct offcpu_probes *c);
void offcpu_probes__free(struct offcpu_probes *c);
int offcpu_probes__events_fd(const struct offcpu_probes *c);
/* Sum the per-CPU counters (enum ms_off_counter). 0 or -errno. */
int offcpu_probes__counters(const struct offcpu_probes *c, uint64_t out[MS_OFFC_COUNT]);

#endif
