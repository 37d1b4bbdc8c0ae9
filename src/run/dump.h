/* SPDX-License-Identifier: GPL-2.0-or-later */
/* memspy dump: read every thread of a process now, its stack unwound, merged with
 * its Python frames and named. */
#ifndef MEMSPY_DUMP_H
#define MEMSPY_DUMP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "profile/thread_dump.h"

struct dump_opts {
	pid_t pid;
	uint32_t stack_bytes; /* user stack copied per thread */
	bool consistent;      /* hold the running threads still for the read
			       * (src/target/freeze.h) */
	int verbose;
};

/* Read pid's threads. Without consistent nothing is stopped or signalled: blocked
 * threads are read from their saved state by a BPF task iterator, and threads
 * that were running get a cpu-clock sample each (up to about 100 ms of their CPU
 * time); those never sampled (they kept off the CPU and did not block either)
 * are listed without a stack. Returns 0 with *out (free with thread_dump__free),
 * or -errno once the reason was reported with ms_err. */
int dump_read(const struct dump_opts *o, struct thread_dump **out);

#endif
