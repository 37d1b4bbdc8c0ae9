/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Write a run's output files: folded stacks with their flame graphs, and the timeline. */
#ifndef MEMSPY_SINKS_H
#define MEMSPY_SINKS_H

#include <stddef.h>
#include <stdint.h>

#include "output/flamegraph.h"
#include "profile/stacktab.h"
#include "output/timeline.h"

/* Write <dir>/<base>.folded and <dir>/<base>.svg (drawn from the folded file), each
 * atomically. Reports errors on stderr. Returns 0 or -errno. */
int sinks_write_profile(const char *dir, const char *base, const struct stacktab *t,
			const uint32_t *ids, const uint64_t *values, size_t n,
			enum flame_colors colors, const char *title, const char *subtitle);
/* Write <dir>/timeline.svg atomically. Returns 0 or -errno. */
int sinks_write_timeline(const char *dir, const char *title, const struct timeline_series *series,
			 size_t n);

#endif
