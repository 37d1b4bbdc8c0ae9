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

struct run;
struct profile;

/* The leak suspects of a heap profile recorded with sample_mean (leak_rank with the
 * noise of that sampling), at most max, steepest first. Returns their number. */
size_t heap_suspects(const struct profile *p, uint64_t sample_mean, struct leak_suspect *out,
		     size_t max);
/* One row per heap site of the run: live bytes and blocks, recent growth, share,
 * bytes allocated, suspect slope and title. *rows (holding *cap rows) grows as
 * needed. Returns the number of rows; 0 when out of memory too. */
size_t run__heap_rows(const struct run *r, struct top_row **rows, size_t *cap);
/* One row per function of the run's CPU profile: own and total percent and
 * seconds. Same contract as run__heap_rows. */
size_t run__cpu_rows(const struct run *r, struct top_row **rows, size_t *cap);

#endif
