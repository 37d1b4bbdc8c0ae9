/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --children: follow a process and every descendant, present and future, in one
 * map of followed processes that the heap, CPU and RSS programs filter on. */
#ifndef MEMSPY_FOLLOW_PROBES_H
#define MEMSPY_FOLLOW_PROBES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "memspy/events.h"

struct follow_probes;

/* Create the map of followed processes with root in it, attach the fork and exit
 * programs, then add root's descendants that already run (forks after that are
 * added by the fork program). NULL, errno and a one-line reason in err on error. */
struct follow_probes *follow_probes__open(pid_t root, char *err, size_t errlen);
/* The procs map's fd, for bpf_map__reuse_fd in the other objects before load. */
int follow_probes__map_fd(const struct follow_probes *f);
/* The map of the followed processes' CPython offsets, shared the same way. */
int follow_probes__py_procs_fd(const struct follow_probes *f);
/* The ring of fork, exec and exit records (struct ms_proc_event). */
int follow_probes__events_fd(const struct follow_probes *f);
/* Read Python frames of tgid with offsets py from now on (until it execs or
 * exits). 0 or -errno. */
int follow_probes__set_python(struct follow_probes *f, pid_t tgid,
			      const struct ms_python_offsets *py);
/* Every process in the map, running or exited: *tgids (malloc'ed, the caller
 * frees it) gets their ids. Returns their number, or -errno. */
long follow_probes__list(const struct follow_probes *f, uint32_t **tgids);
/* Records the ring had no room for (fork, exec or exit not seen). */
uint64_t follow_probes__lost(const struct follow_probes *f);
/* Stop following new processes; the map stays readable. Idempotent. */
void follow_probes__detach(struct follow_probes *f);
/* Detach and unload. Accepts NULL. */
void follow_probes__free(struct follow_probes *f);
/* The entry of tgid (counters, parent). 0, or -ENOENT when it was never followed. */
int follow_probes__lookup(const struct follow_probes *f, pid_t tgid, struct ms_proc *out);

#endif
