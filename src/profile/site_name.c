/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Name an allocation site after the first frame that is not the allocator. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/alloc_names.h"
#include "profile/site_name.h"

/* Where a bare function name ends in a frame name: arguments, " (inlined)", a PLT
 * or version suffix, an offset, or GCC's .part/.isra/.constprop/.cold clones. */
static bool name_ends(char c)
{
	return !c || c == '(' || c == ' ' || c == '@' || c == '+' || c == '.';
}

bool site_name_is_alloc(const char *name)
{
	for (const struct alloc_name *a = alloc_names; a->name; a++) {
		size_t len = strlen(a->name);

		if (strncmp(name, a->name, len))
			continue;
		switch (a->how) {
		case MS_MATCH_NAME:
			if (name_ends(name[len]))
				return true;
			break;
		case MS_MATCH_PREFIX:
			return true;
		case MS_MATCH_ALLOC:
			for (const char *p = name + len; *p && !name_ends(*p); p++)
				if (!strncasecmp(p, "alloc", 5))
					return true;
			break;
		}
	}
	return false;
}

bool site_name_is_python(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	const char *open = name ? strstr(name, " (") : NULL;

	return open && n > 0 && name[n - 1] == ')' && strstr(open, ".py:");
}

/* A frame without a symbol: "[module+0xoffset]" (also [unknown], [truncated]). */
static bool unnamed(const char *name)
{
	return !name || name[0] == '[';
}

/* How many innermost frames are the allocator's own: frames with allocator
 * names, and frames without a name called from one (a static allocator
 * function of a stripped program: PostgreSQL's AllocSetAlloc under palloc). */
static size_t allocator_frames(const struct stacktab *t, const uint32_t *frames, size_t n)
{
	size_t inner = 0; /* frames known to be the allocator's so far */

	for (size_t i = n; i > 0; i--) {
		const char *name = stacktab__frame_name(t, frames[i - 1]);

		if (name && site_name_is_alloc(name))
			inner = n - i + 1; /* it and every unnamed frame below it */
		else if (!unnamed(name))
			break;
	}
	return inner;
}

uint32_t site_name_frame(const struct stacktab *t, uint32_t stack_id)
{
	const uint32_t *frames;
	size_t n = stacktab__stack(t, stack_id, &frames), skip;

	if (!n)
		return UINT32_MAX;
	/* a Python program's site is its innermost Python line, not interpreter code */
	for (size_t i = n; i > 0; i--)
		if (site_name_is_python(stacktab__frame_name(t, frames[i - 1])))
			return frames[i - 1];
	skip = allocator_frames(t, frames, n);
	for (size_t i = n - skip; i > 0; i--) {
		const char *name = stacktab__frame_name(t, frames[i - 1]);

		if (name && !site_name_is_alloc(name))
			return frames[i - 1];
	}
	return frames[n - 1];
}

const char *site_name(const struct stacktab *t, uint32_t stack_id)
{
	uint32_t id = site_name_frame(t, stack_id);
	const char *name = id == UINT32_MAX ? NULL : stacktab__frame_name(t, id);

	return name ? name : "[no frames]";
}

/* A stack around the frame that names it: callers at k > 0 steps out, callees
 * at k < 0 steps in. */
struct named_stack {
	const uint32_t *frames;
	size_t n, at; /* frames[at] names it */
	bool truncated;
};

static bool named_stack_get(const struct stacktab *t, uint32_t id, struct named_stack *s)
{
	uint32_t name = site_name_frame(t, id);

	s->n = stacktab__stack(t, id, &s->frames);
	s->truncated = stacktab__truncated(t, id);
	for (s->at = s->n; s->at > 0; s->at--)
		if (s->frames[s->at - 1] == name)
			break;
	if (!s->at)
		return false;
	s->at--;
	return true;
}

/* The frame k steps from the name; UINT32_MAX past either end. */
static uint32_t step(const struct named_stack *s, long k)
{
	if (k > 0)
		return (size_t)k <= s->at ? s->frames[s->at - (size_t)k] : UINT32_MAX;
	return s->at + (size_t)-k < s->n ? s->frames[s->at + (size_t)-k] : UINT32_MAX;
}

/* Where two stacks with one name first differ: k > 0 among the callers, k < 0
 * among the callees; 0 when they are alike up to truncation. */
static long first_difference(const struct named_stack *a, const struct named_stack *b)
{
	for (long k = 1;; k++) {
		uint32_t fa = step(a, k), fb = step(b, k);

		if (fa == fb && fa == UINT32_MAX)
			break;
		/* unwinding that stopped early says nothing about further callers */
		if ((fa == UINT32_MAX && a->truncated) || (fb == UINT32_MAX && b->truncated))
			break;
		if (fa != fb)
			return k;
	}
	for (long k = -1;; k--) {
		uint32_t fa = step(a, k), fb = step(b, k);

		if (fa != fb)
			return k;
		if (fa == UINT32_MAX)
			return 0;
	}
}

bool site_same_stack(const struct stacktab *t, uint32_t a, uint32_t b)
{
	struct named_stack sa, sb;

	if (a == b)
		return true;
	if (site_name_frame(t, a) != site_name_frame(t, b) || !named_stack_get(t, a, &sa) ||
	    !named_stack_get(t, b, &sb))
		return false;
	return first_difference(&sa, &sb) == 0;
}

/* Order of the places where stacks differ: every caller before any callee. */
static long depth_rank(long k)
{
	return k > 0 ? k : k < 0 ? 1000000 - k : 0;
}

/* The title of site i among the n listed: its name, told apart from the others
 * that share it by its frame where the farthest of them first differs. */
static void title_one(const struct stacktab *t, const uint32_t *ids, size_t n, size_t i,
		      char *out)
{
	uint32_t name = site_name_frame(t, ids[i]);
	struct named_stack si, sj;
	long far = 0;
	uint32_t frame;

	snprintf(out, MS_SITE_TITLE_MAX, "%s", site_name(t, ids[i]));
	if (!named_stack_get(t, ids[i], &si))
		return;
	for (size_t j = 0; j < n; j++) {
		long k;

		if (j == i || ids[j] == ids[i] || site_name_frame(t, ids[j]) != name ||
		    !named_stack_get(t, ids[j], &sj))
			continue;
		k = first_difference(&si, &sj);
		if (depth_rank(k) > depth_rank(far))
			far = k;
	}
	if (!far)
		return;
	/* past its own end: its outermost caller or its leaf tells it apart */
	while ((frame = step(&si, far)) == UINT32_MAX && far != 0)
		far += far > 0 ? -1 : 1;
	if (far && stacktab__frame_name(t, frame))
		snprintf(out, MS_SITE_TITLE_MAX, "%s (%s %s)", site_name(t, ids[i]),
			 far > 0 ? "via" : "calling", stacktab__frame_name(t, frame));
}

void site_titles(const struct stacktab *t, const uint32_t *stack_ids, size_t n,
		 char (*titles)[MS_SITE_TITLE_MAX])
{
	for (size_t i = 0; i < n; i++)
		title_one(t, stack_ids, n, i, titles[i]);
}
