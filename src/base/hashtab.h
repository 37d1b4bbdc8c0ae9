/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one hash table and the one hash function of memspy: an open-addressing index
 * from a key's hash to the number of the caller's entry, so each module keeps its
 * entries in its own array and compares keys itself, inline. */
#ifndef MEMSPY_HASHTAB_H
#define MEMSPY_HASHTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MS_HASHTAB_NONE UINT32_MAX /* no entry: an empty slot, or the end of a probe */

/* 8 bytes, so a probe mostly stays in one cache line and reads the caller's entry
 * only when the stored hash matches. */
struct hashtab_slot {
	uint32_t hash;	/* the top 32 bits of the key's hash */
	uint32_t entry; /* the caller's entry number + 1; 0 when free (calloc'd slots) */
};

/* Linear probing from the slot the hash's top bits name, at most half full,
 * deletion by shifting back (no tombstones, so endless inserts and removes keep
 * probes short). The table holds numbers, never keys: it hashes nothing itself and
 * grows from the hashes it stores. Embed it by value; its fields are private. Not
 * thread-safe. */
struct hashtab {
	struct hashtab_slot *slots;
	size_t mask;	    /* slots - 1; a power of two */
	unsigned shift;	    /* 32 - log2(slots): a slot's home is its hash >> shift */
	size_t n;	    /* entries */
	size_t max_entries; /* 0: no bound */
};

/* A 64-bit integer (an address, an id, two ids folded): Fibonacci hashing, whose
 * top bits, the ones a table takes, depend on every bit of x. Keys in arithmetic
 * progression (heap blocks of one size, pages, ids) land evenly spread, without the
 * collisions a random-looking mix would give them. */
static inline uint64_t hash_u64(uint64_t x)
{
	return x * 0x9e3779b97f4a7c15ull;
}

/* len bytes (a string, an array of frame ids), eight at a time; seed separates keys
 * that share bytes but not meaning (a truncated stack from a whole one). */
uint64_t hash_bytes(const void *data, size_t len, uint64_t seed);

/* An empty table with room for entries (more when it grows), holding at most
 * max_entries (0: no bound; else entries <= max_entries). 0 or -ENOMEM. */
int hashtab__init(struct hashtab *t, size_t entries, size_t max_entries);
/* Frees the slots; accepts a zeroed table. The table must be init again to be used. */
void hashtab__fini(struct hashtab *t);
/* Forget every entry, keeping the slots. */
void hashtab__clear(struct hashtab *t);

/* Private: the slow path of hashtab__insert. */
int hashtab__make_room_(struct hashtab *t);

/* Add entry idx (< MS_HASHTAB_NONE) under hash. The caller makes sure its key is not
 * in yet: the table cannot tell. Grows past half full. 0; -ENOSPC at max_entries;
 * -ENOMEM when it cannot grow and has one free slot left (till then it fills up
 * instead, slower, so a process short of memory keeps adding). On error the table
 * is unchanged. */
static inline int hashtab__insert(struct hashtab *t, uint64_t hash, uint32_t idx)
{
	size_t i;

	if ((t->n + 1) * 2 > t->mask + 1 || t->max_entries) {
		int err = hashtab__make_room_(t);

		if (err)
			return err;
	}
	for (i = (uint32_t)(hash >> 32) >> t->shift; t->slots[i].entry;)
		i = (i + 1) & t->mask;
	t->slots[i] = (struct hashtab_slot){.hash = (uint32_t)(hash >> 32), .entry = idx + 1};
	t->n++;
	return 0;
}

/* Private: walk from slot i to the next slot holding hash, or a free one. */
static inline uint32_t hashtab__scan_(const struct hashtab *t, uint32_t hash, size_t i, size_t *pos)
{
	for (;; i = (i + 1) & t->mask) {
		const struct hashtab_slot *s = &t->slots[i];

		if (!s->entry || s->hash == hash) {
			*pos = i;
			return s->entry - 1; /* MS_HASHTAB_NONE when free */
		}
	}
}

/* The entries stored under hash, in probe order: first, then next until
 * MS_HASHTAB_NONE. *pos is the candidate's slot (for hashtab__remove_at); after
 * MS_HASHTAB_NONE it is the free slot that ended the probe. Any insert or remove
 * ends the walk. Typical use, with the caller's inline key check:
 *
 *	for (i = hashtab__first(t, h, &pos); i != MS_HASHTAB_NONE; i = hashtab__next(t, h, &pos))
 *		if (entries[i].addr == addr)
 *			return i;
 */
static inline uint32_t hashtab__first(const struct hashtab *t, uint64_t hash, size_t *pos)
{
	return hashtab__scan_(t, (uint32_t)(hash >> 32), (uint32_t)(hash >> 32) >> t->shift, pos);
}

static inline uint32_t hashtab__next(const struct hashtab *t, uint64_t hash, size_t *pos)
{
	return hashtab__scan_(t, (uint32_t)(hash >> 32), (*pos + 1) & t->mask, pos);
}

/* Remove the entry in slot pos, as hashtab__first/next found it. Never fails, never
 * shrinks the table. */
void hashtab__remove_at(struct hashtab *t, size_t pos);
/* Remove entry idx stored under hash. false when it is not there. */
bool hashtab__remove(struct hashtab *t, uint64_t hash, uint32_t idx);
/* Entry from, stored under hash, is now numbered to (the caller moved it in its
 * array, say to fill the hole a removal left). false when from is not there. */
bool hashtab__renumber(struct hashtab *t, uint64_t hash, uint32_t from, uint32_t to);

static inline size_t hashtab__count(const struct hashtab *t)
{
	return t->n;
}

/* Bytes of slots the table holds (memory accounting and tests). */
static inline size_t hashtab__bytes(const struct hashtab *t)
{
	return t->slots ? (t->mask + 1) * sizeof(*t->slots) : 0;
}

#endif
