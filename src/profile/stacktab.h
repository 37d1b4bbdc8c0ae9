/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Interned frame names and stacks: every stack gets a small stable id. */
#ifndef MEMSPY_STACKTAB_H
#define MEMSPY_STACKTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stacktab;

/* Returns NULL (errno ENOMEM) when out of memory. Ids are dense: frames and stacks
 * are numbered 0, 1, 2, ... in the order they were first interned. */
struct stacktab *stacktab__new(void);
void stacktab__free(struct stacktab *t);
/* Intern a frame name (copied). Returns its id, or UINT32_MAX when out of memory. */
uint32_t stacktab__frame(struct stacktab *t, const char *name);
/* NULL for an id never handed out. The string stays where it is until stacktab__free. */
const char *stacktab__frame_name(const struct stacktab *t, uint32_t frame_id);
size_t stacktab__nr_frames(const struct stacktab *t);
/* Intern a stack given root first (frames[0] is the outermost frame). truncated marks
 * a stack whose unwinding stopped early; it is part of the key. Sets *id; 0 or -ENOMEM. */
int stacktab__intern(struct stacktab *t, const uint32_t *frames, size_t n, bool truncated,
		     uint32_t *id);
/* Frames of a stack, root first; returns their number (0 and *frames NULL for an
 * unknown id). *frames stays valid until the next stacktab__intern. */
size_t stacktab__stack(const struct stacktab *t, uint32_t id, const uint32_t **frames);
bool stacktab__truncated(const struct stacktab *t, uint32_t id);
size_t stacktab__nr_stacks(const struct stacktab *t);

/* Memory: the table only grows (ids are stable and profiles key by them), so it is
 * bounded. By default it holds at most MS_STACKTAB_MAX_STACKS stacks and twice as
 * many frame names; stacktab__set_limits changes that. Past the bound a new stack
 * is interned as the one-frame stack "[other stacks]" and a new frame name as the
 * frame "[other frames]", each such hand-out counted: the samples still count, in
 * the folded files and the totals, under that name. Both placeholders are
 * interned when first needed, beyond the bound. */
#define MS_STACKTAB_MAX_STACKS 65536u

/* 0 for either: keep that bound. Bounds below what the table holds take effect
 * for what comes next. */
void stacktab__set_limits(struct stacktab *t, size_t max_stacks, size_t max_frames);
/* What the bounds kept out: interns of a new stack answered with "[other stacks]"
 * and of a new frame name answered with "[other frames]", and the bounds. */
struct stacktab_drops {
	uint64_t stacks;   /* samples whose stack did not fit */
	uint64_t frames;   /* frame names that did not fit */
	size_t max_stacks, max_frames;
};
void stacktab__drops(const struct stacktab *t, struct stacktab_drops *out);
/* The id of "[other stacks]", interning it (beyond the bound) when needed;
 * UINT32_MAX when out of memory. */
uint32_t stacktab__other_stack(struct stacktab *t);

/* The id of a frame name interned already; UINT32_MAX when it is not. */
uint32_t stacktab__find_frame(const struct stacktab *t, const char *name);

/* A frame to replace by n frames (root first), say one address's placeholder
 * name by the function and inlined calls its debug info gives. */
struct frame_expansion {
	uint32_t frame;
	const uint32_t *to;
	size_t n;
};

/* Replace each frame x[i].frame by x[i].to in every stack (a frame listed twice
 * takes the last). Stack ids stay: profiles keyed by them need no change. Two
 * stacks may become equal; both keep their ids and interning that stack again
 * finds one of them. 0, or -ENOMEM with nothing changed. */
int stacktab__expand_frames(struct stacktab *t, const struct frame_expansion *x, size_t n);

#endif
