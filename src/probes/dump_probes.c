/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Load and run memspy dump's task iterator and its one-shot running-thread samples. */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "probes/capture.h"
#include "memspy/events.h" /* before the skeleton: its rodata holds struct ms_python_offsets */
#include "probes/dump.skel.h"
#include "probes/dump_probes.h"

struct dump_probes {
	struct dump *skel;
	pid_t pid;
	struct bpf_link **samples; /* one per sampled thread, owning its perf event */
	size_t nr_samples;
};

struct dump_probes *dump_probes__open(const struct probe_target *o, char *err, size_t errlen)
{
	struct dump_probes *d = calloc(1, sizeof(*d));
	int e;

	if (!d) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	d->pid = o->pid;
	d->skel = dump__open();
	if (!d->skel) {
		e = -errno;
		snprintf(err, errlen, "cannot open the dump BPF object: %s", strerror(-e));
		goto fail;
	}
	d->skel->rodata->target_tgid = (uint32_t)o->pid;
	d->skel->rodata->stack_bytes = o->stack_bytes;
	if (o->python)
		d->skel->rodata->py_off = *o->python;
	e = probe_setup_procs_map(d->skel->maps.procs, d->skel->maps.py_procs, false, -1, -1, err,
				  errlen);
	if (e)
		goto fail;
	bpf_map__set_max_entries(d->skel->maps.sample_scratch,
				 (uint32_t)libbpf_num_possible_cpus());
	e = dump__load(d->skel);
	if (e) {
		probe_error_explain("load the dump BPF programs", e, err, errlen);
		goto fail;
	}
	return d;
fail:
	dump_probes__free(d);
	errno = -e;
	return NULL;
}

void dump_probes__free(struct dump_probes *d)
{
	if (!d)
		return;
	dump_probes__stop_sampling(d);
	free(d->samples);
	dump__destroy(d->skel);
	free(d);
}

int dump_probes__events_fd(const struct dump_probes *d)
{
	return bpf_map__fd(d->skel->maps.dump_events);
}

void dump_probes__switches_only(struct dump_probes *d, bool on)
{
	d->skel->bss->switches_only = on;
}

uint64_t dump_probes__lost(const struct dump_probes *d)
{
	return d->skel->bss->dump_lost;
}

/* The kernel walks only pid's threads (a task iterator with a pid filter); reading
 * the iterator's fd to its end runs the program once per thread. */
int dump_probes__iterate(struct dump_probes *d, struct capture *cap, char *err, size_t errlen)
{
	union bpf_iter_link_info linfo = {.task.pid = (__u32)d->pid};
	LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &linfo,
		    .link_info_len = sizeof(linfo));
	struct bpf_link *link;
	char buf[16]; /* one byte per thread walked */
	int fd, e = 0;
	ssize_t n;

	link = bpf_program__attach_iter(d->skel->progs.dump_task, &opts);
	if (!link) {
		e = -errno;
		if (e == -ESRCH || e == -ENOENT)
			snprintf(err, errlen, "process %d is gone", (int)d->pid);
		else
			probe_error_explain("start the thread iterator", e, err, errlen);
		return e;
	}
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		e = -errno;
		probe_error_explain("create the thread iterator", e, err, errlen);
		bpf_link__destroy(link);
		return e;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		capture__drain(cap);
	if (n < 0) {
		e = -errno;
		snprintf(err, errlen, "cannot walk the threads of %d: %s", (int)d->pid, strerror(-e));
	}
	close(fd);
	bpf_link__destroy(link);
	return e;
}

int dump_probes__sample(struct dump_probes *d, const pid_t *tids, size_t n, uint64_t period_ns,
			char *err, size_t errlen)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.sample_period = period_ns,
	};
	struct bpf_link **links;

	dump_probes__stop_sampling(d);
	links = realloc(d->samples, (n ? n : 1) * sizeof(*links));
	if (!links) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	d->samples = links;
	for (size_t i = 0; i < n; i++) {
		/* the event counts only tids[i]'s own CPU time, on whichever CPU */
		int fd = (int)syscall(SYS_perf_event_open, &attr, tids[i], -1, -1,
				      PERF_FLAG_FD_CLOEXEC);
		struct bpf_link *l;

		if (fd < 0) {
			if (errno == ESRCH)
				continue;
			int e = -errno;
			probe_error_explain("sample a running thread with cpu-clock", e, err,
					    errlen);
			return e;
		}
		l = bpf_program__attach_perf_event(d->skel->progs.on_dump_sample, fd);
		if (!l) {
			int e = -errno;
			close(fd);
			probe_error_explain("attach the running-thread sampler", e, err, errlen);
			return e;
		}
		d->samples[d->nr_samples++] = l;
	}
	return 0;
}

void dump_probes__stop_sampling(struct dump_probes *d)
{
	for (size_t i = 0; i < d->nr_samples; i++)
		bpf_link__destroy(d->samples[i]);
	d->nr_samples = 0;
}
