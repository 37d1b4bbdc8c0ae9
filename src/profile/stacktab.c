/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Interned frame names and stacks, so the profile keys everything by small ids. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "profile/stacktab.h"

#define MS_TAB_MIN_SLOTS 256u
#define MS_NO_ID UINT32_MAX

struct stack_rec {
	size_t off;	 /* first frame in the pool */
	uint32_t n;	 /* frames */
	uint32_t hash;	 /* of frames and the truncated flag, kept for rehashing */
	bool truncated;	 /* unwinding stopped early */
};

/* Open addressing with linear probing; slots hold ids, MS_NO_ID when empty. Nothing
 * is ever removed, so no tombstones are needed. */
struct idhash {
	uint32_t *slots;
	size_t mask; /* number of slots - 1 (a power of two) */
};

struct stacktab {
	char **names;	      /* frame id -> name */
	uint32_t *name_hash;  /* frame id -> hash of its name */
	size_t nr_frames, cap_frames, cap_hashes;
	struct idhash frame_ids;

	uint32_t *pool;	      /* frames of every stack, back to back */
	size_t pool_len, pool_cap;
	struct stack_rec *stacks;
	size_t nr_stacks, cap_stacks;
	struct idhash stack_ids;
};

/* FNV-1a then a finalizer: FNV alone leaves the low bits weak for power-of-two tables. */
static uint32_t hash_bytes(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ull ^ seed;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (uint32_t)h;
}

static int idhash_init(struct idhash *h, size_t nslots)
{
	h->slots = malloc(nslots * sizeof(*h->slots));
	if (!h->slots)
		return -ENOMEM;
	memset(h->slots, 0xff, nslots * sizeof(*h->slots));
	h->mask = nslots - 1;
	return 0;
}

static void idhash_put(struct idhash *h, uint32_t hash, uint32_t id)
{
	size_t i = hash & h->mask;

	while (h->slots[i] != MS_NO_ID)
		i = (i + 1) & h->mask;
	h->slots[i] = id;
}

/* Keep the load at most one half so probes stay short. */
static int idhash_reserve(struct idhash *h, size_t count, const uint32_t *hashes,
			  const struct stack_rec *recs)
{
	struct idhash bigger;

	if ((count + 1) * 2 <= h->mask + 1)
		return 0;
	if (idhash_init(&bigger, (h->mask + 1) * 2))
		return -ENOMEM;
	for (size_t id = 0; id < count; id++)
		idhash_put(&bigger, hashes ? hashes[id] : recs[id].hash, (uint32_t)id);
	free(h->slots);
	*h = bigger;
	return 0;
}

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
	if (idhash_init(&t->frame_ids, MS_TAB_MIN_SLOTS) ||
	    idhash_init(&t->stack_ids, MS_TAB_MIN_SLOTS)) {
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
	free(t->name_hash);
	free(t->frame_ids.slots);
	free(t->pool);
	free(t->stacks);
	free(t->stack_ids.slots);
	free(t);
}

uint32_t stacktab__frame(struct stacktab *t, const char *name)
{
	uint32_t h = hash_bytes(name, strlen(name), 0);
	size_t i;
	char *copy;

	for (i = h & t->frame_ids.mask; t->frame_ids.slots[i] != MS_NO_ID;
	     i = (i + 1) & t->frame_ids.mask) {
		uint32_t id = t->frame_ids.slots[i];

		if (t->name_hash[id] == h && !strcmp(t->names[id], name))
			return id;
	}
	if (t->nr_frames >= MS_NO_ID - 1)
		return MS_NO_ID;
	if (grow((void **)&t->names, &t->cap_frames, t->nr_frames + 1, sizeof(*t->names)) ||
	    grow((void **)&t->name_hash, &t->cap_hashes, t->nr_frames + 1, sizeof(*t->name_hash)) ||
	    idhash_reserve(&t->frame_ids, t->nr_frames, t->name_hash, NULL))
		return MS_NO_ID;
	copy = strdup(name);
	if (!copy)
		return MS_NO_ID;
	t->names[t->nr_frames] = copy;
	t->name_hash[t->nr_frames] = h;
	idhash_put(&t->frame_ids, h, (uint32_t)t->nr_frames);
	return (uint32_t)t->nr_frames++;
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

int stacktab__intern(struct stacktab *t, const uint32_t *frames, size_t n, bool truncated,
		     uint32_t *id)
{
	uint32_t h = hash_bytes(frames, n * sizeof(*frames), truncated ? 0x9e3779b9u : 0);
	struct stack_rec *rec;
	size_t i;

	for (i = h & t->stack_ids.mask; t->stack_ids.slots[i] != MS_NO_ID;
	     i = (i + 1) & t->stack_ids.mask) {
		const struct stack_rec *r = &t->stacks[t->stack_ids.slots[i]];

		if (r->hash == h && r->n == n && r->truncated == truncated &&
		    !memcmp(t->pool + r->off, frames, n * sizeof(*frames))) {
			*id = t->stack_ids.slots[i];
			return 0;
		}
	}
	if (n > UINT32_MAX || t->nr_stacks >= MS_NO_ID - 1)
		return -ENOMEM;
	if (grow((void **)&t->stacks, &t->cap_stacks, t->nr_stacks + 1, sizeof(*t->stacks)) ||
	    grow((void **)&t->pool, &t->pool_cap, t->pool_len + n, sizeof(*t->pool)) ||
	    idhash_reserve(&t->stack_ids, t->nr_stacks, NULL, t->stacks))
		return -ENOMEM;
	if (n)
		memcpy(t->pool + t->pool_len, frames, n * sizeof(*frames));
	rec = &t->stacks[t->nr_stacks];
	rec->off = t->pool_len;
	rec->n = (uint32_t)n;
	rec->hash = h;
	rec->truncated = truncated;
	t->pool_len += n;
	idhash_put(&t->stack_ids, h, (uint32_t)t->nr_stacks);
	*id = (uint32_t)t->nr_stacks++;
	return 0;
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
