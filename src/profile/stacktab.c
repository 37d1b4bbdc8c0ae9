/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Interned frame names and stacks, so the profile keys everything by small ids. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/hashtab.h"
#include "profile/stacktab.h"

#define MS_TAB_MIN_IDS	  128u
#define MS_NO_ID	  UINT32_MAX
#define MS_TRUNCATED_SEED 0x9e3779b9u /* hash_bytes seed of a truncated stack */

struct stack_rec {
	size_t off;	/* first frame in the pool */
	uint32_t n;	/* frames */
	bool truncated; /* unwinding stopped early */
};

struct stacktab {
	char **names; /* frame id -> name */
	size_t nr_frames, cap_frames;
	struct hashtab frame_ids; /* names, by hash_bytes of the string */

	uint32_t *pool; /* frames of every stack, back to back */
	size_t pool_len, pool_cap;
	struct stack_rec *stacks;
	size_t nr_stacks, cap_stacks;
	struct hashtab stack_ids; /* stacks, by hash_bytes of the frames */

	size_t max_stacks, max_frames;	  /* the bounds (stacktab.h) */
	uint32_t other_stack, other_frame; /* the placeholders past them; MS_NO_ID: none yet */
	uint64_t dropped_stacks, dropped_frames;
};

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 64;
	void *p;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

struct stacktab *stacktab__new(void)
{
	struct stacktab *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->max_stacks = MS_STACKTAB_MAX_STACKS;
	t->max_frames = 2 * (size_t)MS_STACKTAB_MAX_STACKS;
	t->other_stack = t->other_frame = MS_NO_ID;
	if (hashtab__init(&t->frame_ids, MS_TAB_MIN_IDS, 0) ||
	    hashtab__init(&t->stack_ids, MS_TAB_MIN_IDS, 0)) {
		stacktab__free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

void stacktab__free(struct stacktab *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nr_frames; i++)
		free(t->names[i]);
	free(t->names);
	hashtab__fini(&t->frame_ids);
	free(t->pool);
	free(t->stacks);
	hashtab__fini(&t->stack_ids);
	free(t);
}

/* Intern a name with no regard to the bound. */
static uint32_t add_frame(struct stacktab *t, const char *name, uint64_t h)
{
	char *copy;

	if (t->nr_frames >= MS_NO_ID - 1)
		return MS_NO_ID;
	if (grow((void **)&t->names, &t->cap_frames, t->nr_frames + 1, sizeof(*t->names)))
		return MS_NO_ID;
	copy = strdup(name);
	if (!copy)
		return MS_NO_ID;
	if (hashtab__insert(&t->frame_ids, h, (uint32_t)t->nr_frames)) {
		free(copy);
		return MS_NO_ID;
	}
	t->names[t->nr_frames] = copy;
	return (uint32_t)t->nr_frames++;
}

uint32_t stacktab__frame(struct stacktab *t, const char *name)
{
	uint32_t id = stacktab__find_frame(t, name);

	if (id != MS_NO_ID)
		return id;
	if (t->nr_frames < t->max_frames)
		return add_frame(t, name, hash_bytes(name, strlen(name), 0));
	t->dropped_frames++;
	if (t->other_frame == MS_NO_ID) {
		const char *other = "[other frames]";
		t->other_frame = add_frame(t, other, hash_bytes(other, strlen(other), 0));
	}
	return t->other_frame;
}

const char *stacktab__frame_name(const struct stacktab *t, uint32_t frame_id)
{
	if (frame_id >= t->nr_frames)
		return NULL;
	return t->names[frame_id];
}

size_t stacktab__nr_frames(const struct stacktab *t)
{
	return t->nr_frames;
}

/* The stack equal to frames, or MS_NO_ID; h is its hash. */
static uint32_t find_stack(const struct stacktab *t, const uint32_t *frames, size_t n,
			   bool truncated, uint64_t h)
{
	size_t pos;

	for (uint32_t i = hashtab__first(&t->stack_ids, h, &pos); i != MS_HASHTAB_NONE;
	     i = hashtab__next(&t->stack_ids, h, &pos)) {
		const struct stack_rec *r = &t->stacks[i];

		if (r->n == n && r->truncated == truncated &&
		    !memcmp(t->pool + r->off, frames, n * sizeof(*frames)))
			return i;
	}
	return MS_NO_ID;
}

/* Add a stack with no regard to the bound. */
static int add_stack(struct stacktab *t, const uint32_t *frames, size_t n, bool truncated,
		     uint64_t h, uint32_t *id)
{
	struct stack_rec *rec;

	if (n > UINT32_MAX || t->nr_stacks >= MS_NO_ID - 1)
		return -ENOMEM;
	if (grow((void **)&t->stacks, &t->cap_stacks, t->nr_stacks + 1, sizeof(*t->stacks)) ||
	    grow((void **)&t->pool, &t->pool_cap, t->pool_len + n, sizeof(*t->pool)) ||
	    hashtab__insert(&t->stack_ids, h, (uint32_t)t->nr_stacks))
		return -ENOMEM;
	if (n)
		memcpy(t->pool + t->pool_len, frames, n * sizeof(*frames));
	rec = &t->stacks[t->nr_stacks];
	rec->off = t->pool_len;
	rec->n = (uint32_t)n;
	rec->truncated = truncated;
	t->pool_len += n;
	*id = (uint32_t)t->nr_stacks++;
	return 0;
}

static uint64_t stack_hash(const uint32_t *frames, size_t n, bool truncated)
{
	return hash_bytes(frames, n * sizeof(*frames), truncated ? MS_TRUNCATED_SEED : 0);
}

uint32_t stacktab__other_stack(struct stacktab *t)
{
	const char *name = "[other stacks]";
	uint32_t frame, id;

	if (t->other_stack != MS_NO_ID)
		return t->other_stack;
	frame = stacktab__find_frame(t, name);
	if (frame == MS_NO_ID)
		frame = add_frame(t, name, hash_bytes(name, strlen(name), 0));
	if (frame == MS_NO_ID)
		return MS_NO_ID;
	id = find_stack(t, &frame, 1, false, stack_hash(&frame, 1, false));
	if (id == MS_NO_ID && add_stack(t, &frame, 1, false, stack_hash(&frame, 1, false), &id))
		return MS_NO_ID;
	t->other_stack = id;
	return id;
}

int stacktab__intern(struct stacktab *t, const uint32_t *frames, size_t n, bool truncated,
		     uint32_t *id)
{
	uint64_t h = stack_hash(frames, n, truncated);
	uint32_t i = find_stack(t, frames, n, truncated, h);

	if (i != MS_NO_ID) {
		*id = i;
		return 0;
	}
	if (t->nr_stacks < t->max_stacks)
		return add_stack(t, frames, n, truncated, h, id);
	i = stacktab__other_stack(t);
	if (i == MS_NO_ID)
		return -ENOMEM;
	t->dropped_stacks++;
	*id = i;
	return 0;
}

void stacktab__set_limits(struct stacktab *t, size_t max_stacks, size_t max_frames)
{
	if (max_stacks)
		t->max_stacks = max_stacks;
	if (max_frames)
		t->max_frames = max_frames;
}

void stacktab__drops(const struct stacktab *t, struct stacktab_drops *out)
{
	*out = (struct stacktab_drops){
		.stacks = t->dropped_stacks,
		.frames = t->dropped_frames,
		.max_stacks = t->max_stacks,
		.max_frames = t->max_frames,
	};
}

size_t stacktab__stack(const struct stacktab *t, uint32_t id, const uint32_t **frames)
{
	if (id >= t->nr_stacks) {
		*frames = NULL;
		return 0;
	}
	*frames = t->pool + t->stacks[id].off;
	return t->stacks[id].n;
}

bool stacktab__truncated(const struct stacktab *t, uint32_t id)
{
	return id < t->nr_stacks && t->stacks[id].truncated;
}

size_t stacktab__nr_stacks(const struct stacktab *t)
{
	return t->nr_stacks;
}

uint32_t stacktab__find_frame(const struct stacktab *t, const char *name)
{
	uint64_t h = hash_bytes(name, strlen(name), 0);
	size_t pos;

	for (uint32_t id = hashtab__first(&t->frame_ids, h, &pos); id != MS_HASHTAB_NONE;
	     id = hashtab__next(&t->frame_ids, h, &pos))
		if (!strcmp(t->names[id], name))
			return id;
	return MS_NO_ID;
}

/* Per frame id, the index of its expansion in x, or MS_NO_ID. NULL on ENOMEM. */
static uint32_t *expansion_index(const struct stacktab *t, const struct frame_expansion *x,
				 size_t n)
{
	uint32_t *idx = malloc((t->nr_frames ? t->nr_frames : 1) * sizeof(*idx));

	if (!idx)
		return NULL;
	memset(idx, 0xff, t->nr_frames * sizeof(*idx));
	for (size_t i = 0; i < n; i++)
		if (x[i].frame < t->nr_frames)
			idx[x[i].frame] = (uint32_t)i;
	return idx;
}

/* The pool with every expanded frame replaced; NULL on ENOMEM. Sets *len and
 * each stack's offset and length into it (in news). */
static uint32_t *expanded_pool(const struct stacktab *t, const struct frame_expansion *x,
			       const uint32_t *idx, struct stack_rec *news, size_t *len)
{
	size_t cap = t->pool_len, k = 0;
	uint32_t *pool = malloc((cap ? cap : 1) * sizeof(*pool));

	for (size_t s = 0; pool && s < t->nr_stacks; s++) {
		const struct stack_rec *r = &t->stacks[s];
		news[s] = (struct stack_rec){.off = k, .truncated = r->truncated};
		for (uint32_t f = 0; pool && f < r->n; f++) {
			uint32_t id = t->pool[r->off + f], e = idx[id];
			size_t add = e == MS_NO_ID ? 1 : x[e].n;
			if (k + add > cap && grow((void **)&pool, &cap, k + add, sizeof(*pool))) {
				free(pool);
				pool = NULL;
				break;
			}
			if (e == MS_NO_ID)
				pool[k] = id;
			else
				memcpy(pool + k, x[e].to, add * sizeof(*pool));
			k += add;
		}
		news[s].n = pool ? (uint32_t)(k - news[s].off) : 0;
	}
	*len = k;
	return pool;
}

int stacktab__expand_frames(struct stacktab *t, const struct frame_expansion *x, size_t n)
{
	uint32_t *idx = expansion_index(t, x, n);
	struct stack_rec *news = malloc((t->nr_stacks ? t->nr_stacks : 1) * sizeof(*news));
	struct hashtab ids;
	size_t len = 0, cap;
	uint32_t *pool = idx && news ? expanded_pool(t, x, idx, news, &len) : NULL;
	int err = -ENOMEM;

	if (!pool || hashtab__init(&ids, t->nr_stacks ? t->nr_stacks : MS_TAB_MIN_IDS, 0))
		goto out;
	for (size_t s = 0; s < t->nr_stacks; s++) {
		uint64_t h = hash_bytes(pool + news[s].off, news[s].n * sizeof(*pool),
					news[s].truncated ? MS_TRUNCATED_SEED : 0);
		if (hashtab__insert(&ids, h, (uint32_t)s)) {
			hashtab__fini(&ids);
			goto out;
		}
	}
	hashtab__fini(&t->stack_ids);
	t->stack_ids = ids;
	cap = len;
	free(t->pool);
	t->pool = pool;
	t->pool_len = len;
	t->pool_cap = cap;
	memcpy(t->stacks, news, t->nr_stacks * sizeof(*news));
	pool = NULL;
	err = 0;
out:
	free(pool);
	free(news);
	free(idx);
	return err;
}
