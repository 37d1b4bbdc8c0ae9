/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Load the heap BPF programs and attach them to one process's allocator. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "probes/probe_common.h"
#include "memspy/events.h" /* before the skeleton: its rodata holds struct ms_python_offsets */
#include "probes/heap.skel.h"
#include "probes/heap_probes.h"
#include "probes/uprobe_set.h"
#include "base/sampling.h"

/* A ring's data pages are mapped twice into memspy (so records can wrap), so its
 * size counts twice in memspy's RSS. 16 MiB holds about a thousand sampled
 * allocations with 16 KiB stacks: half a second of a server allocating 1 GB/s at
 * the default mean, read every 1 MiB. Recording every allocation overflows any
 * ring on a busy target; it gets twice that. What does not fit is counted. */
#define HEAP_RING_BYTES (16u << 20)
#define HEAP_RING_BYTES_ALL (32u << 20)

struct heap_probes {
	struct heap *skel;
	struct uprobe_set *probes;
	int nr_cpus;
};

/* Attach prog to the entries of a that are frees (or that are not), as one group. */
static int attach_group(struct heap_probes *h, struct bpf_program *prog, bool retprobe, bool frees,
			pid_t pid, const struct allocator *a, char *err, size_t errlen)
{
	/* offsets, cookies, and the entry each came from */
	uint64_t *buf = calloc(3 * (a->n + 1), sizeof(*buf));
	uint64_t *offsets = buf, *cookies = buf + a->n + 1, *entry = buf + 2 * (a->n + 1);
	size_t n = 0, failed = 0;
	int e;

	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < a->n; i++) {
		if ((a->entries[i].fn == MS_FN_FREE) != frees)
			continue;
		offsets[n] = a->entries[i].file_offset;
		cookies[n] = a->entries[i].fn;
		entry[n++] = i;
	}
	e = uprobe_set__add(h->probes, prog, retprobe, pid, a->open_path, offsets, cookies, n,
			    &failed);
	if (e) {
		char what[256];
		snprintf(what, sizeof(what), "attach %s to %s in %s",
			 retprobe ? "return probes" : "uprobes",
			 failed < n ? a->entries[entry[failed]].symbol
				    : "the allocator's entry points",
			 a->module);
		probe_error_explain(what, e, err, errlen);
	}
	free(buf);
	return e;
}

struct heap_probes *heap_probes__open(const struct heap_probes_opts *o, const struct allocator *a,
				      char *err, size_t errlen)
{
	struct heap_probes *h = calloc(1, sizeof(*h));
	int e = 0;

	if (!h) {
		e = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	h->nr_cpus = libbpf_num_possible_cpus();
	h->skel = heap__open();
	if (!h->skel) {
		e = -errno;
		snprintf(err, errlen, "cannot open the heap BPF object: %s", strerror(-e));
		goto fail;
	}
	h->skel->rodata->target_tgid = (uint32_t)o->target.pid;
	h->skel->rodata->sample_all = o->sample_mean <= 1;
	h->skel->rodata->stack_bytes = o->target.stack_bytes;
	if (o->target.python)
		h->skel->rodata->py_off = *o->target.python;
	h->skel->rodata->follow_children = o->target.children;
	uprobe_set_prepare(h->skel->progs.uprobe_free);
	uprobe_set_prepare(h->skel->progs.uretprobe_alloc);
	uprobe_set_prepare(h->skel->progs.uprobe_alloc);
	e = probe_setup_procs_map(h->skel->maps.procs, h->skel->maps.py_procs, o->target.children,
				  o->target.procs_fd, o->target.py_procs_fd, err, errlen);
	if (e)
		goto fail;
	sampling_fill_countdowns((uint64_t *)h->skel->rodata->countdowns, MS_COUNTDOWN_SLOTS,
				 o->sample_mean, o->seed);
	bpf_map__set_max_entries(h->skel->maps.scratch, (uint32_t)h->nr_cpus);
	bpf_map__set_max_entries(h->skel->maps.scratch_busy, (uint32_t)h->nr_cpus);
	if (o->max_tracked)
		bpf_map__set_max_entries(h->skel->maps.allocs, o->max_tracked);
	bpf_map__set_max_entries(h->skel->maps.events, o->sample_mean <= 1 ? HEAP_RING_BYTES_ALL
									   : HEAP_RING_BYTES);
	e = heap__load(h->skel);
	if (e) {
		probe_error_explain("load the heap BPF programs", e, err, errlen);
		goto fail;
	}
	h->probes = uprobe_set__new(a->n * 2 + 1);
	if (!h->probes) {
		e = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/* --children: a forked child maps the same allocator file, and uprobes with a
	 * pid only fire in that process; probe every process that maps the file and
	 * let the BPF side keep the followed ones. */
	pid_t pid = o->target.children ? -1 : o->target.pid;
	/* Order matters while the target runs: frees first, so no block tracked
	 * during attach is freed unseen; return probes before entry probes, so no call
	 * is entered without its return being watched (a lost return would leave the
	 * thread inside an allocator call for the rest of the run). */
	e = attach_group(h, h->skel->progs.uprobe_free, false, true, pid, a, err, errlen);
	if (!e)
		e = attach_group(h, h->skel->progs.uretprobe_alloc, true, false, pid, a, err,
				 errlen);
	if (!e)
		e = attach_group(h, h->skel->progs.uprobe_alloc, false, false, pid, a, err, errlen);
	if (e)
		goto fail;
	return h;
fail:
	heap_probes__free(h);
	errno = -e;
	return NULL;
}

void heap_probes__detach(struct heap_probes *h)
{
	if (h->probes)
		uprobe_set__detach(h->probes);
}

void heap_probes__free(struct heap_probes *h)
{
	if (!h)
		return;
	/* Links first: the probes leave the target before the programs go away. */
	uprobe_set__free(h->probes);
	heap__destroy(h->skel);
	free(h);
}

int heap_probes__events_fd(const struct heap_probes *h)
{
	return bpf_map__fd(h->skel->maps.events);
}

int heap_probes__counters(const struct heap_probes *h, uint64_t out[MS_CNT_COUNT])
{
	return probe_sum_percpu_counters(bpf_map__fd(h->skel->maps.counters), h->nr_cpus, out,
				       MS_CNT_COUNT);
}

int heap_probes__sizes(const struct heap_probes *h, uint64_t out[MS_SIZE_BUCKETS])
{
	return probe_sum_percpu_counters(bpf_map__fd(h->skel->maps.sizes), h->nr_cpus, out,
				       MS_SIZE_BUCKETS);
}

size_t heap_probes__nr_links(const struct heap_probes *h)
{
	return uprobe_set__nr_probes(h->probes);
}
