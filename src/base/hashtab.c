/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one hash table of memspy: an index from hashes to the caller's entry numbers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/hashtab.h"

#define MS_HASHTAB_MIN_SLOTS 8
/* Slots are found by the top 32 bits of a hash, so more would never be reached. */
#define MS_HASHTAB_MAX_SLOTS ((size_t)1 << 32)

/* One 64x64->128-bit multiply, its halves folded (wyhash's mix): every bit of a
 * and b moves every bit of the result. */
static uint64_t mum(uint64_t a, uint64_t b)
{
	unsigned __int128 r =
	    (unsigned __int128)(a ^ 0xa0761d6478bd642full) * (b ^ 0xe7037ed1a0b428dbull);

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

uint64_t hash_bytes(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = mum(seed, len), w;

	/* A few cycles per 8 bytes, against FNV's few per byte. */
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h = mum(h ^ w, 0x8ebc6af09c88c6e3ull);
	}
	w = 0;
	if (len)
		memcpy(&w, p, len);
	return mum(h ^ w, 0x589965cc75374cc3ull);
}

/* All free. calloc: a big table comes as fresh zero pages, with no pass over it. */
static struct hashtab_slot *slots_new(size_t n)
{
	return calloc(n, sizeof(struct hashtab_slot));
}

/* n slots, a power of two. */
static void set_size(struct hashtab *t, size_t n)
{
	unsigned bits = 0;

	while (((size_t)1 << bits) < n)
		bits++;
	t->mask = n - 1;
	t->shift = 32 - bits;
}

int hashtab__init(struct hashtab *t, size_t entries, size_t max_entries)
{
	size_t n = MS_HASHTAB_MIN_SLOTS;

	while (n < MS_HASHTAB_MAX_SLOTS && n / 2 < entries)
		n *= 2;
	*t = (struct hashtab){.max_entries = max_entries};
	set_size(t, n);
	t->slots = slots_new(n);
	return t->slots ? 0 : -ENOMEM;
}

void hashtab__fini(struct hashtab *t)
{
	free(t->slots);
	t->slots = NULL;
	t->n = 0;
}

void hashtab__clear(struct hashtab *t)
{
	memset(t->slots, 0, (t->mask + 1) * sizeof(*t->slots));
	t->n = 0;
}

static void put(struct hashtab *t, struct hashtab_slot s)
{
	size_t i = s.hash >> t->shift;

	while (t->slots[i].entry)
		i = (i + 1) & t->mask;
	t->slots[i] = s;
}

static int grow(struct hashtab *t)
{
	size_t n = (t->mask + 1) * 2;
	struct hashtab_slot *old = t->slots, *ns = n <= MS_HASHTAB_MAX_SLOTS ? slots_new(n) : NULL;
	size_t old_n = t->mask + 1;

	if (!ns)
		return -ENOMEM;
	t->slots = ns;
	set_size(t, n);
	for (size_t i = 0; i < old_n; i++)
		if (old[i].entry)
			put(t, old[i]);
	free(old);
	return 0;
}

/* The slow path of hashtab__insert: room for one more entry, or why not. */
int hashtab__make_room_(struct hashtab *t)
{
	if (t->max_entries && t->n >= t->max_entries)
		return -ENOSPC;
	/* A probe ends at a free slot: one must always be left. */
	if ((t->n + 1) * 2 > t->mask + 1 && grow(t) && t->n + 1 > t->mask)
		return -ENOMEM;
	return 0;
}

void hashtab__remove_at(struct hashtab *t, size_t i)
{
	size_t mask = t->mask, j = i;

	for (;;) {
		j = (j + 1) & mask;
		if (!t->slots[j].entry)
			break;
		size_t home = t->slots[j].hash >> t->shift;
		/* Move j back into the hole at i unless its home lies cyclically in (i, j]:
		 * then a probe from its home would no longer pass through i. */
		if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i].entry = 0;
	t->n--;
}

/* The slot of entry idx under hash, or SIZE_MAX. */
static size_t slot_of(const struct hashtab *t, uint64_t hash, uint32_t idx)
{
	size_t pos;

	for (uint32_t i = hashtab__first(t, hash, &pos); i != MS_HASHTAB_NONE;
	     i = hashtab__next(t, hash, &pos))
		if (i == idx)
			return pos;
	return SIZE_MAX;
}

bool hashtab__remove(struct hashtab *t, uint64_t hash, uint32_t idx)
{
	size_t pos = slot_of(t, hash, idx);

	if (pos == SIZE_MAX)
		return false;
	hashtab__remove_at(t, pos);
	return true;
}

bool hashtab__renumber(struct hashtab *t, uint64_t hash, uint32_t from, uint32_t to)
{
	size_t pos = slot_of(t, hash, from);

	if (pos == SIZE_MAX)
		return false;
	t->slots[pos].entry = to + 1;
	return true;
}
