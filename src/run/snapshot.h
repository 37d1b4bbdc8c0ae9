/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a run recorded so far, analysed for display: leak suspects, and the heap
 * sites and CPU functions as memspy top lists them. The report and top both rank
 * suspects here. */
#ifndef MEMSPY_SNAPSHOT_H
#define MEMSPY_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "output/top_view.h"
#include "profile/leak.h"

struct cpu_profile;
struct profile;
struct run_opts;
struct stacktab;

/* The leak suspects of a heap profile recorded with sample_mean (leak_rank with the
 * noise of that sampling, against the bytes the process allocated), at most max,
 * steepest first. Returns their number. */
size_t heap_suspects(const struct profile *p, uint64_t sample_mean, struct leak_suspect *out,
		     size_t max);
/* The rows of memspy top from a heap profile recorded with o's sampling, and from
 * a CPU profile sampled at freq_hz: see run__heap_rows and run__cpu_rows. */
size_t snapshot_heap_rows(const struct profile *p, const struct stacktab *stacks,
			  const struct run_opts *o, struct top_row **rows, size_t *cap);
size_t snapshot_cpu_rows(const struct cpu_profile *c, const struct stacktab *stacks,
			 uint32_t freq_hz, struct top_row **rows, size_t *cap);

#endif
