/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --children: follow a process and every descendant, present and future. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "probes/probe_common.h"
#include "probes/follow.skel.h"
#include "probes/follow_probes.h"
#include "target/procstat.h"

struct follow_probes {
	struct follow *skel;
};

/* Add every running process whose parent is followed, until a pass adds none:
 * processes are listed in pid order, so a grandchild may come before its parent. */
static void add_running_descendants(int fd)
{
	for (int pass = 0; pass < 64; pass++) {
		DIR *d = opendir("/proc");
		struct dirent *de;
		int added = 0;

		if (!d)
			return;
		while ((de = readdir(d))) {
			char *end;
			long pid = strtol(de->d_name, &end, 10);
			struct ms_proc p = {0};
			uint32_t key = (uint32_t)pid, parent;

			if (*end || pid <= 0 || bpf_map_lookup_elem(fd, &key, &p) == 0)
				continue;
			parent = (uint32_t)procstat_parent((pid_t)pid);
			if (!parent || bpf_map_lookup_elem(fd, &parent, &p) || p.exited)
				continue;
			memset(&p, 0, sizeof(p));
			p.parent = parent;
			if (bpf_map_update_elem(fd, &key, &p, BPF_NOEXIST) == 0)
				added++;
		}
		closedir(d);
		if (!added)
			return;
	}
}

struct follow_probes *follow_probes__open(pid_t root, char *err, size_t errlen)
{
	struct follow_probes *f = calloc(1, sizeof(*f));
	struct ms_proc p = {0};
	uint32_t key = (uint32_t)root;
	int e = 0;

	if (!f) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	f->skel = follow__open();
	if (!f->skel) {
		e = -errno;
		snprintf(err, errlen, "cannot open the --children BPF object: %s", strerror(-e));
		goto fail;
	}
	f->skel->rodata->target_tgid = (uint32_t)root;
	f->skel->rodata->follow_children = 1;
	e = follow__load(f->skel);
	if (e) {
		probe_error_explain("load the --children BPF programs", e, err, errlen);
		goto fail;
	}
	/* The root first, then the fork program, then the running descendants: a
	 * fork is either seen by the program or already in /proc when we look. */
	if (bpf_map_update_elem(bpf_map__fd(f->skel->maps.procs), &key, &p, BPF_ANY)) {
		e = -errno;
		probe_error_explain("add the process to the --children map", e, err, errlen);
		goto fail;
	}
	e = follow__attach(f->skel);
	if (e) {
		probe_error_explain("attach the fork and exit programs (--children)", e, err, errlen);
		goto fail;
	}
	add_running_descendants(bpf_map__fd(f->skel->maps.procs));
	return f;
fail:
	follow_probes__free(f);
	errno = -e;
	return NULL;
}

int follow_probes__map_fd(const struct follow_probes *f)
{
	return bpf_map__fd(f->skel->maps.procs);
}

int follow_probes__py_procs_fd(const struct follow_probes *f)
{
	return bpf_map__fd(f->skel->maps.py_procs);
}

int follow_probes__events_fd(const struct follow_probes *f)
{
	return bpf_map__fd(f->skel->maps.proc_events);
}

int follow_probes__set_python(struct follow_probes *f, pid_t tgid,
			      const struct ms_python_offsets *py)
{
	uint32_t key = (uint32_t)tgid;

	if (bpf_map_update_elem(follow_probes__py_procs_fd(f), &key, py, BPF_ANY))
		return -errno;
	return 0;
}

long follow_probes__list(const struct follow_probes *f, uint32_t **tgids)
{
	int fd = follow_probes__map_fd(f);
	uint32_t key, next, *ids = malloc(MS_MAX_PROCS * sizeof(*ids));
	long n = 0;
	void *prev = NULL;

	if (!ids)
		return -ENOMEM;
	while (n < MS_MAX_PROCS && bpf_map_get_next_key(fd, prev, &next) == 0) {
		ids[n++] = next;
		key = next;
		prev = &key;
	}
	*tgids = ids;
	return n;
}

uint64_t follow_probes__lost(const struct follow_probes *f)
{
	uint64_t c[1] = {0};

	probe_sum_percpu_counters(bpf_map__fd(f->skel->maps.lost_proc_events),
				  libbpf_num_possible_cpus(), c, 1);
	return c[0];
}

void follow_probes__detach(struct follow_probes *f)
{
	if (f)
		follow__detach(f->skel);
}

void follow_probes__free(struct follow_probes *f)
{
	if (!f)
		return;
	follow__destroy(f->skel);
	free(f);
}

int follow_probes__lookup(const struct follow_probes *f, pid_t tgid, struct ms_proc *out)
{
	uint32_t key = (uint32_t)tgid;

	return bpf_map_lookup_elem(follow_probes__map_fd(f), &key, out) ? -ENOENT : 0;
}
