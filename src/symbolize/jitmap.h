/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The JIT symbol map of one process: /tmp/perf-<pid>.map, as Python 3.12+ (-X perf),
 * node (--perf-basic-prof) and the JVM's perf-map-agent write it, read inside the
 * target's root directory. */
#ifndef MEMSPY_JITMAP_H
#define MEMSPY_JITMAP_H

#include <stdint.h>
#include <sys/types.h>

struct jitmap;

/* A map for pid; nothing is read until the first lookup. NULL on ENOMEM. */
struct jitmap *jitmap__new(pid_t pid);
/* Like jitmap__new, reading path on the host (for tests). */
struct jitmap *jitmap__new_path(const char *path);
void jitmap__free(struct jitmap *m);

/* The name of the JIT symbol holding addr, or NULL. Re-reads the file when it has
 * grown (or been replaced) since the last read, at most every 20 ms; lines are
 * "START SIZE name" with START and SIZE in hex (optional 0x), malformed lines are
 * skipped. When entries overlap, the latest line wins (code regions get reused).
 * The name carries the suffix "_[j]" of JIT frames in folded stacks. The string
 * stays valid until jitmap__free, also across re-reads. */
const char *jitmap__lookup(struct jitmap *m, uint64_t addr);

/* Number of entries read so far. */
size_t jitmap__count(const struct jitmap *m);

#endif
