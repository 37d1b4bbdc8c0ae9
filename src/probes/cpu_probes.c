/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Sample the CPU with the perf cpu-clock event on every CPU, keeping the target's threads. */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "probes/probe_common.h"
#include "memspy/events.h" /* before the skeleton: its rodata holds struct ms_python_offsets */
#include "probes/cpu.skel.h"
#include "probes/cpu_probes.h"

struct cpu_probes {
	struct cpu *skel;
	struct bpf_link **links;
	int nr_cpus;
	int nr_links;
};

struct cpu_probes *cpu_probes__open(const struct cpu_probes_opts *o, char *err, size_t errlen)
{
	struct cpu_probes *c = calloc(1, sizeof(*c));
	int e = 0;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	c->nr_cpus = libbpf_num_possible_cpus();
	c->skel = cpu__open();
	if (!c->skel) {
		e = -errno;
		snprintf(err, errlen, "cannot open the CPU BPF object: %s", strerror(-e));
		goto fail;
	}
	c->skel->rodata->target_tgid = (uint32_t)o->target.pid;
	c->skel->rodata->stack_bytes = o->target.stack_bytes;
	c->skel->rodata->want_kernel = o->kernel;
	if (o->target.python)
		c->skel->rodata->py_off = *o->target.python;
	c->skel->rodata->follow_children = o->target.children;
	e = probe_setup_procs_map(c->skel->maps.procs, c->skel->maps.py_procs, o->target.children,
				  o->target.procs_fd, o->target.py_procs_fd, err, errlen);
	if (e)
		goto fail;
	bpf_map__set_max_entries(c->skel->maps.cpu_scratch, (uint32_t)c->nr_cpus);
	/* A sample is at most ~17 KiB and comes at freq_hz per busy CPU: 99 Hz on 64
	 * CPUs fill 4 MiB in about 0.04 s only if every sample carries a full stack
	 * copy, and the reader wakes at every 1 MiB. Counted twice in memspy's RSS. */
	bpf_map__set_max_entries(c->skel->maps.cpu_events, 4u << 20);
	e = cpu__load(c->skel);
	if (e) {
		probe_error_explain("load the CPU sampling BPF program", e, err, errlen);
		goto fail;
	}
	c->links = calloc((size_t)c->nr_cpus, sizeof(*c->links));
	if (!c->links) {
		e = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.freq = 1,
		.sample_freq = o->freq_hz,
	};
	e = probe_attach_per_cpu(c->skel->progs.on_cpu_sample, &attr, c->nr_cpus, c->links,
			       &c->nr_links, "sample the CPU with cpu-clock events", err, errlen);
	if (e)
		goto fail;
	return c;
fail:
	cpu_probes__free(c);
	errno = -e;
	return NULL;
}

void cpu_probes__detach(struct cpu_probes *c)
{
	for (int i = 0; i < c->nr_links; i++)
		bpf_link__destroy(c->links[i]);
	c->nr_links = 0;
}

void cpu_probes__free(struct cpu_probes *c)
{
	if (!c)
		return;
	cpu_probes__detach(c);
	free(c->links);
	cpu__destroy(c->skel);
	free(c);
}

int cpu_probes__events_fd(const struct cpu_probes *c)
{
	return bpf_map__fd(c->skel->maps.cpu_events);
}

int cpu_probes__counters(const struct cpu_probes *c, uint64_t out[MS_CNT_COUNT])
{
	return probe_sum_percpu_counters(bpf_map__fd(c->skel->maps.cpu_counters), c->nr_cpus, out,
				       MS_CNT_COUNT);
}
