/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared helpers of the probe modules: errors a user can act on, counters, the
 * --children map, per-CPU perf events. */
#ifndef MEMSPY_PROBE_COMMON_H
#define MEMSPY_PROBE_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "memspy/events.h"

/* What every sampling probe set (heap, cpu, rss) is told about its target. */
struct probe_target {
	pid_t pid;
	uint32_t stack_bytes;	/* user stack copied per sample */
	const struct ms_python_offsets *python; /* read Python frames; NULL: none */
	bool children;		/* --children: keep the processes of the procs map */
	int procs_fd;		/* the map of followed processes (follow_probes) */
	int py_procs_fd;	/* their CPython offsets (follow_probes) */
};

struct bpf_link;
struct bpf_map;
struct bpf_program;
struct perf_event_attr;

/* Write "cannot <what>: <reason and what to do>" for a libbpf error code. */
void probe_error_explain(const char *what, int err, char *buf, size_t size);
/* Check up front that this kernel and user can run memspy's probes; writes the
 * missing piece to buf and returns -errno when not. */
int probe_check_environment(char *buf, size_t size);
/* Sum a per-CPU array of u64 counters. Returns 0 or -errno. */
int probe_sum_percpu_counters(int map_fd, int nr_cpus, uint64_t *out, uint32_t n);
/* Before load: with children, make procs and py_procs the run's shared --children
 * maps (procs_fd, py_procs_fd); without, shrink the unused maps to one entry. 0 or
 * -errno, with the reason in err. */
int probe_setup_procs_map(struct bpf_map *procs, struct bpf_map *py_procs, bool children,
			  int procs_fd, int py_procs_fd, char *err, size_t errlen);
/* Open the perf event attr on every online CPU, system-wide on that CPU (a
 * per-process event cannot follow threads created later into a BPF program), and
 * attach prog to each. links (nr_cpus long) receive the links, which own the event
 * fds; *nr_links counts them. 0 or -errno, with "cannot <what>: ..." in err. */
int probe_attach_per_cpu(struct bpf_program *prog, struct perf_event_attr *attr, int nr_cpus,
		       struct bpf_link **links, int *nr_links, const char *what, char *err,
		       size_t errlen);
/* Route libbpf's messages: silent unless verbose. */
void probe_set_verbose(int verbose);
/* The version of the libbpf memspy runs with ("v1.1"), for --version. */
const char *probe_libbpf_version(void);

#endif
