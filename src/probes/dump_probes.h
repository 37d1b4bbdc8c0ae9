/* SPDX-License-Identifier: GPL-2.0-or-later */
/* memspy dump's kernel side: a sleepable task iterator that copies every thread of
 * the target (registers, user stack, Python frames) without stopping it, and
 * one-shot cpu-clock samples of the threads that were running meanwhile. */
#ifndef MEMSPY_DUMP_PROBES_H
#define MEMSPY_DUMP_PROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "probes/probe_common.h"

struct dump_probes;

/* Load the dump programs for o->pid (stack_bytes and python as in o; children is
 * ignored). NULL, errno and a one-line reason in err on error. */
struct dump_probes *dump_probes__open(const struct probe_target *o, char *err, size_t errlen);
void dump_probes__free(struct dump_probes *d);
/* The ring buffer the records (struct ms_dump_event) arrive in. */
int dump_probes__events_fd(const struct dump_probes *d);
struct capture;

/* Walk the target's threads once: one record per thread queued in the ring, which
 * cap (reading the ring) drains every 16 threads, so any number of threads fit.
 * 0, or -errno with the reason in err (-ESRCH: the process is gone). */
int dump_probes__iterate(struct dump_probes *d, struct capture *cap, char *err, size_t errlen);
/* Whether the next walks copy only each thread's identity, state and context
 * switches (no registers, stack or Python frames): a cheap check of which threads
 * ran since they were read. */
void dump_probes__switches_only(struct dump_probes *d, bool on);
/* Sample each of the n threads once while it runs: a cpu-clock event on each
 * (period_ns of its CPU time), whose records arrive in the ring until
 * dump_probes__stop_sampling. Threads that exited meanwhile are skipped. 0, or
 * -errno with the reason in err. */
int dump_probes__sample(struct dump_probes *d, const pid_t *tids, size_t n, uint64_t period_ns,
			char *err, size_t errlen);
/* Close every sampling event; idempotent. */
void dump_probes__stop_sampling(struct dump_probes *d);
/* Records that did not fit in the ring. */
uint64_t dump_probes__lost(const struct dump_probes *d);

#endif
