/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Attach a program's uprobes in one binary as one uprobe_multi link, and remove a
 * set's links in parallel: the kernel waits for a grace period each time a link
 * goes (about 0.1 s here), which made one link per probe take seconds to detach. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "probes/uprobe_set.h"

/* Newer than the uapi headers of Debian 12 (Linux 6.1) and libbpf 1.1.2. */
#define MS_BPF_TRACE_UPROBE_MULTI 48
#define MS_BPF_F_UPROBE_MULTI_RETURN 1U

/* BPF_LINK_CREATE's attributes for uprobe_multi, as in Linux 6.6's union bpf_attr. */
struct uprobe_multi_attr {
	uint32_t prog_fd;
	uint32_t target_fd;
	uint32_t attach_type;
	uint32_t flags;
	uint64_t path;		  /* const char * */
	uint64_t offsets;	  /* const uint64_t *, file offsets */
	uint64_t ref_ctr_offsets; /* none: 0 */
	uint64_t cookies;	  /* const uint64_t *, one per offset */
	uint32_t cnt;
	uint32_t multi_flags;	  /* MS_BPF_F_UPROBE_MULTI_RETURN */
	uint32_t pid;		  /* 0: every process */
	uint32_t pad;
};
_Static_assert(sizeof(struct uprobe_multi_attr) == 64, "uprobe_multi attr layout");

struct uprobe_link {
	int fd;			/* a uprobe_multi link; -1 when link is used */
	struct bpf_link *link;	/* a single probe's perf-event link */
};

struct uprobe_set {
	struct uprobe_link *links;
	size_t nr_links, max_links;
	size_t nr_probes;
};

/* pid as the kernel takes it: 0 for every process. */
static int link_create_uprobe_multi(int prog_fd, bool retprobe, int32_t pid, const char *path,
				    const uint64_t *offsets, const uint64_t *cookies, size_t n)
{
	struct uprobe_multi_attr a = {
		.prog_fd = (uint32_t)prog_fd,
		.attach_type = MS_BPF_TRACE_UPROBE_MULTI,
		.path = (uintptr_t)path,
		.offsets = (uintptr_t)offsets,
		.cookies = (uintptr_t)cookies,
		.cnt = (uint32_t)n,
		.multi_flags = retprobe ? MS_BPF_F_UPROBE_MULTI_RETURN : 0,
		.pid = (uint32_t)pid,
	};
	int fd = (int)syscall(SYS_bpf, BPF_LINK_CREATE, &a, sizeof(a));

	return fd < 0 ? -errno : fd;
}

/* Like libbpf's own probe (1.4): a kernel with uprobe_multi fails a probe on the
 * directory "/" with EBADF; one that also filters by process, not by thread (fixed
 * after 6.6), rejects pid -1 with EINVAL. A kernel without them refuses earlier. */
static bool probe_uprobe_multi(void)
{
	const struct bpf_insn insns[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = (enum bpf_attach_type)MS_BPF_TRACE_UPROBE_MULTI);
	uint64_t offset = 0;
	bool ok = false;
	int prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, NULL, "GPL", insns, 2, &opts);

	if (prog < 0)
		return false;
	int e = link_create_uprobe_multi(prog, false, 0, "/", &offset, NULL, 1);
	if (e == -EBADF) {
		e = link_create_uprobe_multi(prog, false, -1, "/", &offset, NULL, 1);
		ok = e == -EINVAL;
	}
	if (e >= 0)
		close(e);
	close(prog);
	return ok;
}

void uprobe_set_prepare(struct bpf_program *prog)
{
	static int supported = -1; /* a property of the running kernel: probed once */

	if (supported < 0)
		supported = probe_uprobe_multi();
	if (supported)
		bpf_program__set_expected_attach_type(
			prog, (enum bpf_attach_type)MS_BPF_TRACE_UPROBE_MULTI);
}

struct uprobe_set *uprobe_set__new(size_t max)
{
	struct uprobe_set *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->links = calloc(max ? max : 1, sizeof(*s->links));
	if (!s->links) {
		free(s);
		return NULL;
	}
	s->max_links = max;
	return s;
}

static int add_one_by_one(struct uprobe_set *s, struct bpf_program *prog, bool retprobe,
			  pid_t pid, const char *path, const uint64_t *offsets,
			  const uint64_t *cookies, size_t n, size_t *failed)
{
	for (size_t i = 0; i < n; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = retprobe, .bpf_cookie = cookies[i]);
		struct bpf_link *l;

		if (s->nr_links == s->max_links) {
			*failed = i;
			return -ENOSPC;
		}
		l = bpf_program__attach_uprobe_opts(prog, pid, path, offsets[i], &opts);
		if (!l) {
			*failed = i;
			return -errno;
		}
		s->links[s->nr_links++] = (struct uprobe_link){.fd = -1, .link = l};
		s->nr_probes++;
	}
	return 0;
}

int uprobe_set__add(struct uprobe_set *s, struct bpf_program *prog, bool retprobe, pid_t pid,
		    const char *path, const uint64_t *offsets, const uint64_t *cookies, size_t n,
		    size_t *failed)
{
	if (bpf_program__expected_attach_type(prog) !=
	    (enum bpf_attach_type)MS_BPF_TRACE_UPROBE_MULTI)
		return add_one_by_one(s, prog, retprobe, pid, path, offsets, cookies, n, failed);
	*failed = n;
	if (!n)
		return 0;
	if (s->nr_links == s->max_links)
		return -ENOSPC;
	int fd = link_create_uprobe_multi(bpf_program__fd(prog), retprobe, pid > 0 ? pid : 0,
					  path, offsets, cookies, n);
	if (fd < 0)
		return fd;
	s->links[s->nr_links++] = (struct uprobe_link){.fd = fd, .link = NULL};
	s->nr_probes += n;
	return 0;
}

static void *uprobe_link_close(void *arg)
{
	struct uprobe_link *l = arg;

	if (l->fd >= 0)
		close(l->fd);
	else
		bpf_link__destroy(l->link);
	return NULL;
}

void uprobe_set__detach(struct uprobe_set *s)
{
	pthread_t *threads = calloc(s->nr_links, sizeof(*threads));
	size_t started = 0;

	/* Each link's removal ends in a wait for the probes' handlers to finish
	 * (synchronize_rcu_tasks_trace); waits that overlap share grace periods.
	 * Links no thread could take are closed here, one after the other. */
	for (size_t i = 0; threads && i < s->nr_links; i++, started++)
		if (pthread_create(&threads[i], NULL, uprobe_link_close, &s->links[i]))
			break;
	for (size_t i = started; i < s->nr_links; i++)
		uprobe_link_close(&s->links[i]);
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	s->nr_links = 0;
	s->nr_probes = 0;
}

void uprobe_set__free(struct uprobe_set *s)
{
	if (!s)
		return;
	uprobe_set__detach(s);
	free(s->links);
	free(s);
}

size_t uprobe_set__nr_probes(const struct uprobe_set *s)
{
	return s->nr_probes;
}
