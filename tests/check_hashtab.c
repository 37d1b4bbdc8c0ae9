/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of hashtab: the hash functions spread keys, the table finds what was
 * put in, grows, keeps to its bound, and agrees with a plain array after many random
 * inserts and removes (with a good hash, and with one that makes long chains that
 * wrap around the end of the slots, so removal shifts entries back across it). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/hashtab.h"
#include "check_suites.h"

/* The caller's side, as the modules keep it: dense entries, a removal moves the
 * last entry into the hole. */
struct set {
	struct hashtab t;
	uint64_t *keys;
	size_t n;
	uint64_t (*hash)(uint64_t key);
};

static uint64_t good_hash(uint64_t key)
{
	return hash_u64(key);
}

/* 16 hashes, their homes all at the end of the slots (the table takes the top
 * bits): every probe chain is long and wraps. */
static uint64_t bad_hash(uint64_t key)
{
	return (uint64_t)(0xfffffff0u | (key & 15)) << 32;
}

static uint32_t set_find(const struct set *s, uint64_t key, size_t *pos)
{
	uint64_t h = s->hash(key);

	for (uint32_t i = hashtab__first(&s->t, h, pos); i != MS_HASHTAB_NONE;
	     i = hashtab__next(&s->t, h, pos))
		if (s->keys[i] == key)
			return i;
	return MS_HASHTAB_NONE;
}

static void set_add(struct set *s, uint64_t key)
{
	ck_assert_int_eq(hashtab__insert(&s->t, s->hash(key), (uint32_t)s->n), 0);
	s->keys[s->n++] = key;
}

static void set_remove(struct set *s, uint64_t key)
{
	size_t pos;
	uint32_t i = set_find(s, key, &pos);

	ck_assert_uint_ne(i, MS_HASHTAB_NONE);
	hashtab__remove_at(&s->t, pos);
	if (i != --s->n) {
		ck_assert(hashtab__renumber(&s->t, s->hash(s->keys[s->n]), (uint32_t)s->n, i));
		s->keys[i] = s->keys[s->n];
	}
}

START_TEST(test_hash_spread)
{
	enum { N = 1 << 16, BUCKETS = 1 << 12 };
	static unsigned count[BUCKETS];
	unsigned most = 0;

	/* 16-byte aligned heap addresses, pages, and keys that differ only high up:
	 * the top bits a table takes spread them all. */
	memset(count, 0, sizeof(count));
	for (uint64_t i = 0; i < N; i++) {
		count[hash_u64(0x55550000a000ull + i * 16) >> 52]++;
		count[hash_u64(0x7f0000000000ull + (i << 12)) >> 52]++;
		count[hash_u64(0x7f0000000000ull + (i << 32)) >> 52]++;
	}
	for (size_t b = 0; b < BUCKETS; b++)
		most = count[b] > most ? count[b] : most;
	/* 48 expected per bucket; a fair hash stays far below 2x that. */
	ck_assert_uint_lt(most, 96);

	const char a[] = "malloc\0\0\0\0\0\0\0\0\0\0";
	ck_assert_uint_ne(hash_bytes(a, 6, 0), hash_bytes(a, 7, 0));
	ck_assert_uint_ne(hash_bytes(a, 8, 0), hash_bytes(a, 9, 0));
	ck_assert_uint_ne(hash_bytes(a, 6, 0), hash_bytes(a, 6, 1));
	ck_assert_uint_eq(hash_bytes(a, 6, 0), hash_bytes("malloc", 6, 0));
	ck_assert_uint_ne(hash_bytes("", 0, 0), hash_bytes("", 0, 1));
	uint32_t f1[3] = {1, 2, 3}, f2[3] = {3, 2, 1};
	ck_assert_uint_ne(hash_bytes(f1, sizeof(f1), 0), hash_bytes(f2, sizeof(f2), 0));
}
END_TEST

START_TEST(test_grow_and_clear)
{
	struct set s = {.hash = good_hash, .keys = malloc(5000 * sizeof(uint64_t))};
	size_t pos;

	ck_assert_int_eq(hashtab__init(&s.t, 0, 0), 0);
	for (uint64_t k = 1; k <= 5000; k++)
		set_add(&s, k * 4096);
	ck_assert_uint_eq(hashtab__count(&s.t), 5000);
	/* at most half full */
	ck_assert_uint_ge(hashtab__bytes(&s.t), 2 * 5000 * sizeof(struct hashtab_slot));
	for (uint64_t k = 1; k <= 5000; k++)
		ck_assert_uint_eq(set_find(&s, k * 4096, &pos), k - 1);
	ck_assert_uint_eq(set_find(&s, 4095, &pos), MS_HASHTAB_NONE);
	ck_assert(!hashtab__remove(&s.t, hash_u64(4095), 0));
	ck_assert(hashtab__remove(&s.t, hash_u64(4096), 0));
	ck_assert_uint_eq(hashtab__count(&s.t), 4999);

	size_t bytes = hashtab__bytes(&s.t);
	hashtab__clear(&s.t);
	s.n = 0;
	ck_assert_uint_eq(hashtab__count(&s.t), 0);
	ck_assert_uint_eq(hashtab__bytes(&s.t), bytes);
	ck_assert_uint_eq(set_find(&s, 8192, &pos), MS_HASHTAB_NONE);
	set_add(&s, 8192);
	ck_assert_uint_eq(set_find(&s, 8192, &pos), 0);
	hashtab__fini(&s.t);
	hashtab__fini(&s.t); /* a finished table frees nothing twice */
	free(s.keys);
}
END_TEST

START_TEST(test_bounded)
{
	struct set s = {.hash = good_hash, .keys = malloc(100 * sizeof(uint64_t))};
	size_t pos;

	ck_assert_int_eq(hashtab__init(&s.t, 10, 100), 0);
	for (uint64_t k = 0; k < 100; k++)
		set_add(&s, k);
	size_t bytes = hashtab__bytes(&s.t);
	/* full: inserts fail, the table stays as it was and keeps answering */
	ck_assert_int_eq(hashtab__insert(&s.t, hash_u64(100), 100), -ENOSPC);
	ck_assert_uint_eq(hashtab__count(&s.t), 100);
	ck_assert_uint_eq(hashtab__bytes(&s.t), bytes);
	for (uint64_t k = 0; k < 100; k++)
		ck_assert_uint_eq(set_find(&s, k, &pos), k);
	ck_assert_uint_eq(set_find(&s, 100, &pos), MS_HASHTAB_NONE);
	/* room again after a removal */
	set_remove(&s, 42);
	set_add(&s, 100);
	ck_assert_uint_eq(set_find(&s, 100, &pos), 99);
	ck_assert_uint_eq(set_find(&s, 42, &pos), MS_HASHTAB_NONE);
	hashtab__fini(&s.t);
	free(s.keys);
}
END_TEST

/* Random inserts, removes and lookups over a small key space (so keys come back
 * after removal), checked against a plain array after every step. */
static void oracle_run(uint64_t (*hash)(uint64_t), unsigned seed, size_t steps)
{
	enum { KEYS = 3000 };
	static bool present[KEYS];
	struct set s = {.hash = hash, .keys = malloc(KEYS * sizeof(uint64_t))};
	size_t pos, live = 0;

	srand(seed);
	memset(present, 0, sizeof(present));
	ck_assert_int_eq(hashtab__init(&s.t, 4, 0), 0);
	for (size_t step = 0; step < steps; step++) {
		uint64_t k = (uint64_t)rand() % KEYS;
		uint64_t key = k * 0x10010 + 0x5555000000ull;
		int op = rand() % 8;

		if (op < 4 && !present[k]) {
			set_add(&s, key);
			present[k] = true;
			live++;
		} else if (op < 7 && present[k]) {
			set_remove(&s, key);
			present[k] = false;
			live--;
		}
		uint32_t i = set_find(&s, key, &pos);
		ck_assert_uint_eq(i != MS_HASHTAB_NONE, present[k]);
		if (present[k])
			ck_assert_uint_eq(s.keys[i], key);
		ck_assert_uint_eq(hashtab__count(&s.t), live);
		if (step % 1024 == 0) {
			for (size_t j = 0; j < KEYS; j++) {
				uint64_t kj = j * 0x10010 + 0x5555000000ull;
				ck_assert_uint_eq(set_find(&s, kj, &pos) != MS_HASHTAB_NONE,
						  present[j]);
			}
		}
	}
	hashtab__fini(&s.t);
	free(s.keys);
}

START_TEST(test_oracle_random)
{
	oracle_run(good_hash, 1, 200000);
}
END_TEST

START_TEST(test_oracle_collisions)
{
	oracle_run(bad_hash, 2, 30000);
}
END_TEST

Suite *suite_hashtab(void)
{
	Suite *s = suite_create("hashtab");
	TCase *tc = tcase_create("core");
	/* randomized runs of 200,000 steps: seconds on a loaded machine */
	tcase_set_timeout(tc, 60);

	tcase_add_test(tc, test_hash_spread);
	tcase_add_test(tc, test_grow_and_clear);
	tcase_add_test(tc, test_bounded);
	tcase_add_test(tc, test_oracle_random);
	tcase_add_test(tc, test_oracle_collisions);
	suite_add_tcase(s, tc);
	return s;
}
