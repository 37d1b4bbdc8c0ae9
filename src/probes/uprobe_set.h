/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The uprobes a probe module puts into one binary, attached and removed as a group
 * so that taking them all out costs the kernel one wait rather than one per probe. */
#ifndef MEMSPY_UPROBE_SET_H
#define MEMSPY_UPROBE_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct bpf_program;
struct uprobe_set;

/* Before the object is loaded: make prog attachable through one uprobe_multi link
 * per call to uprobe_set__add, when this kernel has them (Linux 6.6 and later, with
 * the per-process filter fixed); otherwise leave it for one link per probe. */
void uprobe_set_prepare(struct bpf_program *prog);
/* Room for max links (one per probe, in the worst case). NULL and errno on error. */
struct uprobe_set *uprobe_set__new(size_t max);
/* Attach prog at each of the n file offsets of the binary at path, with the
 * matching cookie, as return probes if retprobe, in processes of pid (-1: all).
 * Returns 0 or -errno; *failed is then the index of the offset that failed, or n
 * when the group failed as a whole. Probes attached before a failure stay, and
 * leave with the rest. */
int uprobe_set__add(struct uprobe_set *s, struct bpf_program *prog, bool retprobe, pid_t pid,
		    const char *path, const uint64_t *offsets, const uint64_t *cookies, size_t n,
		    size_t *failed);
/* Remove every probe, all links at once (their removals wait in parallel).
 * Idempotent. */
void uprobe_set__detach(struct uprobe_set *s);
/* Detach and free. Accepts NULL. */
void uprobe_set__free(struct uprobe_set *s);
/* Number of probes attached. */
size_t uprobe_set__nr_probes(const struct uprobe_set *s);

#endif
