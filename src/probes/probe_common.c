/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared helpers of the probe modules: errors a user can act on, counters, the
 * --children map, per-CPU perf events. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "base/log.h"
#include "probes/probe_common.h"

static int verbose_level;

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (verbose_level < 1 || (level == LIBBPF_DEBUG && verbose_level < 2))
		return 0;
	char msg[1024];
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);

	while (n > 0 && (size_t)n < sizeof(msg) && msg[n - 1] == '\n')
		msg[--n] = '\0';
	ms_info("libbpf: %s", msg);
	return 0;
}

void probe_set_verbose(int verbose)
{
	verbose_level = verbose;
	libbpf_set_print(print_libbpf);
}

void probe_error_explain(const char *what, int err, char *buf, size_t size)
{
	if (err > 0)
		err = -err;
	switch (err) {
	case -EPERM:
	case -EACCES:
		snprintf(buf, size,
			 "cannot %s: %s; run memspy as root (or with CAP_BPF, CAP_PERFMON and "
			 "CAP_SYS_PTRACE)",
			 what, strerror(-err));
		break;
	case -ENOENT:
		snprintf(buf, size, "cannot %s: %s (did the process exit, or is uprobe support missing?)",
			 what, strerror(-err));
		break;
	default:
		snprintf(buf, size, "cannot %s: %s (run with -v for libbpf's log)", what,
			 strerror(-err));
	}
}

int probe_check_environment(char *buf, size_t size)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		snprintf(buf, size,
			 "this kernel has no BTF (/sys/kernel/btf/vmlinux): memspy needs a kernel "
			 "built with CONFIG_DEBUG_INFO_BTF");
		return -ENOTSUP;
	}
	if (access("/sys/bus/event_source/devices/uprobe/type", R_OK)) {
		snprintf(buf, size,
			 "this kernel has no uprobes (/sys/bus/event_source/devices/uprobe): "
			 "memspy needs CONFIG_UPROBE_EVENTS");
		return -ENOTSUP;
	}
	if (geteuid() != 0) {
		snprintf(buf, size,
			 "memspy needs root to load BPF programs and read another process's "
			 "memory maps: run it with sudo");
		return -EPERM;
	}
	return 0;
}

int probe_sum_percpu_counters(int map_fd, int nr_cpus, uint64_t *out, uint32_t n)
{
	uint64_t *vals = calloc(nr_cpus, sizeof(*vals));

	if (!vals)
		return -ENOMEM;
	for (uint32_t k = 0; k < n; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(map_fd, &k, vals))
			continue;
		for (int c = 0; c < nr_cpus; c++)
			out[k] += vals[c];
	}
	free(vals);
	return 0;
}

int probe_setup_procs_map(struct bpf_map *procs, struct bpf_map *py_procs, bool children,
			  int procs_fd, int py_procs_fd, char *err, size_t errlen)
{
	int e;

	if (!children) {
		e = bpf_map__set_max_entries(procs, 1);
		return e ? e : bpf_map__set_max_entries(py_procs, 1);
	}
	e = bpf_map__reuse_fd(procs, procs_fd);
	if (!e)
		e = bpf_map__reuse_fd(py_procs, py_procs_fd);
	if (e)
		snprintf(err, errlen, "cannot share the --children maps: %s", strerror(-e));
	return e;
}

int probe_attach_per_cpu(struct bpf_program *prog, struct perf_event_attr *attr, int nr_cpus,
		       struct bpf_link **links, int *nr_links, const char *what, char *err,
		       size_t errlen)
{
	for (int cpu = 0; cpu < nr_cpus; cpu++) {
		int fd = (int)syscall(SYS_perf_event_open, attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0) {
			if (errno == ENODEV || errno == EINVAL)
				continue; /* possible but offline CPU */
			int e = -errno;
			probe_error_explain(what, e, err, errlen);
			return e;
		}
		struct bpf_link *l = bpf_program__attach_perf_event(prog, fd);
		if (!l) {
			int e = -errno;
			close(fd);
			probe_error_explain(what, e, err, errlen);
			return e;
		}
		links[(*nr_links)++] = l; /* owns the event fd from here on */
	}
	return 0;
}

const char *probe_libbpf_version(void)
{
	return libbpf_version_string();
}
