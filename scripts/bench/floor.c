/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Attach empty uprobes (and uretprobes on allocations) to exactly the entry points
 * memspy would probe in a process, until SIGINT/SIGTERM: the benchmark's floor.
 * Built by scripts/bench/heap_overhead.sh against the build tree's libmemspy.a, so
 * the allocator is resolved by memspy's own code. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "target/allocator.h"
#include "floor.skel.h"
#include "memspy/events.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	struct allocator alloc = {0};
	struct bpf_link **links = NULL;
	struct floor *skel = NULL;
	size_t nr = 0;
	int status = 1, e;
	pid_t pid;

	if (argc != 2 || (pid = (pid_t)atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: floor PID\n");
		return 2;
	}
	/* Started in the background by a script: SIGINT arrives ignored; sigaction
	 * overrides that. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	e = allocator_resolve_pid(pid, &alloc);
	if (e) {
		fprintf(stderr, "floor: cannot resolve the allocator of pid %d: %s\n", (int)pid,
			strerror(-e));
		return 1;
	}
	skel = floor__open_and_load();
	if (!skel) {
		fprintf(stderr, "floor: cannot load the BPF object: %s\n", strerror(errno));
		goto out;
	}
	links = calloc(alloc.n * 2 + 1, sizeof(*links));
	if (!links)
		goto out;
	for (size_t i = 0; i < alloc.n; i++) {
		const struct alloc_entry *ae = &alloc.entries[i];
		bool is_free = ae->fn == MS_FN_FREE;
		LIBBPF_OPTS(bpf_uprobe_opts, entry, .bpf_cookie = ae->fn);
		LIBBPF_OPTS(bpf_uprobe_opts, ret, .retprobe = true, .bpf_cookie = ae->fn);

		links[nr] = bpf_program__attach_uprobe_opts(
			is_free ? skel->progs.floor_free : skel->progs.floor_entry, pid,
			alloc.open_path, ae->file_offset, &entry);
		if (!links[nr])
			goto attach_failed;
		nr++;
		if (is_free)
			continue;
		links[nr] = bpf_program__attach_uprobe_opts(skel->progs.floor_return, pid,
							    alloc.open_path, ae->file_offset, &ret);
		if (!links[nr])
			goto attach_failed;
		nr++;
		continue;
attach_failed:
		fprintf(stderr, "floor: cannot attach to %s in %s: %s\n", ae->symbol, alloc.module,
			strerror(errno));
		goto out;
	}
	fprintf(stderr, "floor: attached to pid %d: %zu probes on %s\n", (int)pid, nr,
		alloc.module);
	while (!stop && kill(pid, 0) == 0)
		usleep(100 * 1000);
	status = 0;
out:
	for (size_t i = 0; i < nr; i++)
		bpf_link__destroy(links[i]);
	free(links);
	floor__destroy(skel);
	allocator_release(&alloc);
	return status;
}
