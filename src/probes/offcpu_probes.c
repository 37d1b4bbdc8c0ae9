/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Off-CPU sampling from the scheduler's switches (bpf/offcpu.bpf.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "probes/probe_common.h"
#include "memspy/events.h" /* before the skeleton: its rodata holds struct ms_python_offsets */
#include "probes/offcpu.skel.h"
#include "probes/offcpu_probes.h"

struct offcpu_probes {
	struct offcpu *skel;
	struct bpf_link *links[2]; /* sched_switch, rseq_update */
	int nr_cpus;
};

static int attach(struct offcpu_probes *c, char *err, size_t errlen)
{
	struct bpf_program *progs[2] = {c->skel->progs.on_sched_switch,
					c->skel->progs.on_rseq_update};

	for (int i = 0; i < 2; i++) {
		c->links[i] = bpf_program__attach(progs[i]);
		if (!c->links[i]) {
			int e = -errno;
			c->links[i] = NULL;
			probe_error_explain(i ? "attach to the rseq_update tracepoint"
					      : "attach to the sched_switch tracepoint",
					    e, err, errlen);
			return e;
		}
	}
	return 0;
}

struct offcpu_probes *offcpu_probes__open(const struct offcpu_probes_opts *o, char *err,
					  size_t errlen)
{
	struct offcpu_probes *c = calloc(1, sizeof(*c));
	int e = 0;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	c->nr_cpus = libbpf_num_possible_cpus();
	c->skel = offcpu__open();
	if (!c->skel) {
		e = -errno;
		snprintf(err, errlen, "cannot open the off-CPU BPF object: %s", strerror(-e));
		goto fail;
	}
	c->skel->rodata->target_tgid = (uint32_t)o->target.pid;
	c->skel->rodata->stack_bytes = o->target.stack_bytes;
	c->skel->rodata->period_ns = o->period_ns ? o->period_ns : 1;
	if (o->target.python)
		c->skel->rodata->py_off = *o->target.python;
	c->skel->rodata->follow_children = o->target.children;
	e = probe_setup_procs_map(c->skel->maps.procs, c->skel->maps.py_procs, o->target.children,
				  o->target.procs_fd, o->target.py_procs_fd, err, errlen);
	if (e)
		goto fail;
	bpf_map__set_max_entries(c->skel->maps.off_scratch, (uint32_t)c->nr_cpus);
	e = offcpu__load(c->skel);
	if (e) {
		probe_error_explain("load the off-CPU BPF program", e, err, errlen);
		goto fail;
	}
	e = attach(c, err, errlen);
	if (e)
		goto fail;
	return c;
fail:
	offcpu_probes__free(c);
	errno = -e;
	return NULL;
}

void offcpu_probes__set_window(struct offcpu_probes *c, uint64_t start_ns, uint64_t end_ns)
{
	/* end first: a start with a stale end would count nothing meanwhile */
	c->skel->bss->window_end_ns = end_ns;
	c->skel->bss->window_start_ns = start_ns;
}

void offcpu_probes__detach(struct offcpu_probes *c)
{
	for (int i = 0; i < 2; i++) {
		bpf_link__destroy(c->links[i]);
		c->links[i] = NULL;
	}
}

void offcpu_probes__free(struct offcpu_probes *c)
{
	if (!c)
		return;
	offcpu_probes__detach(c);
	offcpu__destroy(c->skel);
	free(c);
}

int offcpu_probes__events_fd(const struct offcpu_probes *c)
{
	return bpf_map__fd(c->skel->maps.off_events);
}

int offcpu_probes__counters(const struct offcpu_probes *c, uint64_t out[MS_OFFC_COUNT])
{
	return probe_sum_percpu_counters(bpf_map__fd(c->skel->maps.off_counters), c->nr_cpus,
					 out, MS_OFFC_COUNT);
}
