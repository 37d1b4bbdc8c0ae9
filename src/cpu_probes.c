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

#include "bpf_errors.h"
#include "memspy/events.h" /* before the skeleton: its rodata holds struct ms_python_offsets */
#include "cpu.skel.h"
#include "cpu_probes.h"

struct cpu_probes {
	struct cpu *skel;
	struct bpf_link **links;
	int *fds;
	int nr_cpus;
	int nr_links;
};

static int open_cpu_clock(int cpu, uint32_t freq)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.freq = 1,
		.sample_freq = freq,
	};
	/* System-wide on one CPU: a per-process event cannot follow threads created
	 * later into a BPF program (inherit is refused there); the program keeps only
	 * the target's threads. */
	return (int)syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

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
	c->skel->rodata->target_tgid = (uint32_t)o->pid;
	c->skel->rodata->stack_bytes = o->stack_bytes;
	c->skel->rodata->want_kernel = o->kernel;
	if (o->python)
		c->skel->rodata->py_off = *o->python;
	if (o->children) {
		c->skel->rodata->follow_children = 1;
		e = bpf_map__reuse_fd(c->skel->maps.procs, o->procs_fd);
		if (e) {
			snprintf(err, errlen, "cannot share the --children map: %s", strerror(-e));
			goto fail;
		}
	} else {
		bpf_map__set_max_entries(c->skel->maps.procs, 1);
	}
	bpf_map__set_max_entries(c->skel->maps.cpu_scratch, (uint32_t)c->nr_cpus);
	e = cpu__load(c->skel);
	if (e) {
		bpf_error_explain("load the CPU sampling BPF program", e, err, errlen);
		goto fail;
	}
	c->links = calloc((size_t)c->nr_cpus, sizeof(*c->links));
	c->fds = calloc((size_t)c->nr_cpus, sizeof(*c->fds));
	if (!c->links || !c->fds) {
		e = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (int cpu = 0; cpu < c->nr_cpus; cpu++) {
		int fd = open_cpu_clock(cpu, o->freq_hz);
		if (fd < 0) {
			if (errno == ENODEV || errno == EINVAL)
				continue; /* possible but offline CPU */
			e = -errno;
			bpf_error_explain("open a cpu-clock perf event", e, err, errlen);
			goto fail;
		}
		struct bpf_link *l = bpf_program__attach_perf_event(c->skel->progs.on_cpu_sample, fd);
		if (!l) {
			e = -errno;
			close(fd);
			bpf_error_explain("attach the CPU sampling program", e, err, errlen);
			goto fail;
		}
		/* The link owns the event fd from here on. */
		c->links[c->nr_links++] = l;
	}
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
	free(c->fds);
	cpu__destroy(c->skel);
	free(c);
}

int cpu_probes__events_fd(const struct cpu_probes *c)
{
	return bpf_map__fd(c->skel->maps.cpu_events);
}

int cpu_probes__counters(const struct cpu_probes *c, uint64_t out[MS_CNT_COUNT])
{
	return bpf_sum_percpu_counters(bpf_map__fd(c->skel->maps.cpu_counters), c->nr_cpus, out,
				       MS_CNT_COUNT);
}
