/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Sample the target's page faults that map new pages. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "probes/probe_common.h"
#include "memspy/events.h" /* before the skeleton: its rodata holds struct ms_python_offsets */
#include "probes/rss.skel.h"
#include "probes/rss_probes.h"

struct rss_probes {
	struct rss *skel;
	struct bpf_link *links[2]; /* the two page-fault tracepoints, while attached */
	int nr_cpus;
	int nr_links;
	bool detached; /* for good */
};

/* raw_tp, not tracepoint/: tracefs may not be mounted */
static int attach_links(struct rss_probes *r, char *err, size_t errlen)
{
	struct {
		struct bpf_program *prog;
		const char *name;
	} tps[] = {
		{r->skel->progs.on_user_fault, "page_fault_user"},
		{r->skel->progs.on_kernel_fault, "page_fault_kernel"},
	};

	for (size_t i = 0; i < sizeof(tps) / sizeof(tps[0]); i++) {
		struct bpf_link *l = bpf_program__attach_raw_tracepoint(tps[i].prog, tps[i].name);

		if (!l) {
			char what[64];
			int e = -errno;

			snprintf(what, sizeof(what), "attach the %s tracepoint", tps[i].name);
			probe_error_explain(what, e, err, errlen);
			return e;
		}
		r->links[r->nr_links++] = l;
	}
	return 0;
}

static void destroy_links(struct rss_probes *r)
{
	for (int i = 0; i < r->nr_links; i++)
		bpf_link__destroy(r->links[i]);
	r->nr_links = 0;
}

struct rss_probes *rss_probes__open(const struct rss_probes_opts *o, char *err, size_t errlen)
{
	struct rss_probes *r = calloc(1, sizeof(*r));
	int e = 0;

	if (!r) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	r->nr_cpus = libbpf_num_possible_cpus();
	r->skel = rss__open();
	if (!r->skel) {
		e = -errno;
		snprintf(err, errlen, "cannot open the RSS BPF object: %s", strerror(-e));
		goto fail;
	}
	r->skel->rodata->target_tgid = (uint32_t)o->target.pid;
	r->skel->rodata->stack_bytes = o->target.stack_bytes;
	if (o->target.python)
		r->skel->rodata->py_off = *o->target.python;
	r->skel->rodata->follow_children = o->target.children;
	r->skel->data->rss_period = o->period ? o->period : 1;
	e = probe_setup_procs_map(r->skel->maps.procs, r->skel->maps.py_procs, o->target.children,
				  o->target.procs_fd, o->target.py_procs_fd, err, errlen);
	if (e)
		goto fail;
	bpf_map__set_max_entries(r->skel->maps.rss_scratch, (uint32_t)r->nr_cpus);
	/* Page faults come in bursts (a block touched page by page), but the period
	 * thins them and the reader wakes at every 1 MiB. Counted twice in memspy's
	 * RSS. */
	bpf_map__set_max_entries(r->skel->maps.rss_events, 4u << 20);
	e = rss__load(r->skel);
	if (e) {
		probe_error_explain("load the RSS BPF programs", e, err, errlen);
		goto fail;
	}
	rss_probes__set_scale(r, 1); /* .bss starts at 0: a fault must weigh 1 */
	e = attach_links(r, err, errlen);
	if (e)
		goto fail;
	return r;
fail:
	rss_probes__free(r);
	errno = -e;
	return NULL;
}

void rss_probes__detach(struct rss_probes *r)
{
	destroy_links(r);
	r->detached = true;
}

void rss_probes__pause(struct rss_probes *r)
{
	destroy_links(r);
}

int rss_probes__resume(struct rss_probes *r, char *err, size_t errlen)
{
	int e;

	if (r->detached || r->nr_links)
		return 0;
	e = attach_links(r, err, errlen);
	if (e)
		destroy_links(r); /* not one of the two without the other */
	return e;
}

void rss_probes__set_scale(struct rss_probes *r, uint32_t scale)
{
	int n = r->nr_cpus < MS_RSS_MAX_CPUS ? r->nr_cpus : MS_RSS_MAX_CPUS;

	/* each CPU's slot: a fault adds it to its CPU's pending weight */
	for (int cpu = 0; cpu < n; cpu++)
		__atomic_store_n(&r->skel->bss->rss_cpus[cpu].scale, scale ? scale : 1,
				 __ATOMIC_RELAXED);
}

void rss_probes__free(struct rss_probes *r)
{
	if (!r)
		return;
	rss_probes__detach(r);
	rss__destroy(r->skel);
	free(r);
}

void rss_probes__set_period(struct rss_probes *r, uint32_t period)
{
	int n = r->nr_cpus < MS_RSS_MAX_CPUS ? r->nr_cpus : MS_RSS_MAX_CPUS;

	if (!period)
		period = 1;
	/* .data is mapped into memspy: the next fault reads the new value */
	__atomic_store_n(&r->skel->data->rss_period, period, __ATOMIC_RELAXED);
	/* each CPU's countdown was drawn at the old period: a storm's would leave the
	 * next thousands of a slow leak's faults unsampled. Cut to the new one (a fault
	 * racing this store only moves one sample; a sample's weight is the new
	 * pages since the last at their scales, whatever its countdown was). */
	for (int cpu = 0; cpu < n; cpu++) {
		__s64 *left = &r->skel->bss->rss_cpus[cpu].left;

		if (__atomic_load_n(left, __ATOMIC_RELAXED) > (__s64)period)
			__atomic_store_n(left, (__s64)period, __ATOMIC_RELAXED);
	}
}

/* one cache line a CPU: a fault touches it and nothing else unless sampled */
_Static_assert(sizeof(struct ms_rss_cpu) == 64, "struct ms_rss_cpu is not one cache line");

uint32_t rss_period_for(double faults_per_s)
{
	uint32_t period = 1;

	while (period < MS_RSS_MAX_PERIOD && faults_per_s / period > MS_RSS_SAMPLES_PER_S)
		period *= 2;
	return period;
}

int rss_probes__events_fd(const struct rss_probes *r)
{
	return bpf_map__fd(r->skel->maps.rss_events);
}

int rss_probes__counters(const struct rss_probes *r, uint64_t out[MS_RSS_COUNT])
{
	/* .bss is mapped into memspy; each slot's counts only grow */
	int n = r->nr_cpus < MS_RSS_MAX_CPUS ? r->nr_cpus : MS_RSS_MAX_CPUS;

	memset(out, 0, MS_RSS_COUNT * sizeof(*out));
	for (int cpu = 0; cpu < n; cpu++)
		for (int i = 0; i < MS_RSS_COUNT; i++)
			out[i] += __atomic_load_n(&r->skel->bss->rss_cpus[cpu].counts[i],
						  __ATOMIC_RELAXED);
	return 0;
}
