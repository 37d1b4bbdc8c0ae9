/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of rss_pages: sampled pages leave with munmap-like ranges, follow
 * mremap moves, and agree with a plain list after many random operations (both
 * ways of finding a range's pages, and deletions that shift probe chains). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "profile/rss_pages.h"

#define PG MS_RSS_PAGE

struct gone_log {
	size_t n;
	uint64_t weight;
	uint64_t last;
};

static void on_gone(void *ctx, const struct rss_page *p)
{
	struct gone_log *g = ctx;

	g->n++;
	g->weight += p->weight;
	g->last = p->addr;
}

static void add(struct rss_pages *m, uint64_t addr, uint32_t stack, uint32_t weight,
		struct gone_log *g)
{
	struct rss_page p = {.addr = addr, .stack = stack, .merged = stack + 1, .weight = weight};
	ck_assert_int_eq(rss_pages__add(m, &p, on_gone, g), 0);
}

START_TEST(test_release_and_move)
{
	struct rss_pages *m = rss_pages__new();
	struct gone_log g = {0};

	ck_assert_ptr_nonnull(m);
	for (uint64_t i = 0; i < 64; i++)
		add(m, 0x10000000 + i * PG, 7, 2, &g);
	ck_assert_uint_eq(rss_pages__count(m), 64);
	/* a page faulted again without its release seen replaces the old one */
	add(m, 0x10000000, 7, 2, &g);
	ck_assert_uint_eq(g.n, 1);
	ck_assert_uint_eq(rss_pages__count(m), 64);
	memset(&g, 0, sizeof(g));
	/* munmap of 4 pages from an unaligned start: rounded out as the kernel does */
	ck_assert_uint_eq(rss_pages__release(m, 0x10000000 + 10 * PG + 100, 3 * PG, 0, 0, on_gone,
					     &g),
			  4);
	ck_assert_uint_eq(g.weight, 8);
	ck_assert_uint_eq(rss_pages__count(m), 60);
	/* mremap of pages 20..29 to 0x20000000 shrinking to 6 pages: 6 move, 4 leave */
	memset(&g, 0, sizeof(g));
	ck_assert_uint_eq(rss_pages__release(m, 0x10000000 + 20 * PG, 10 * PG, 0x20000000, 6 * PG,
					     on_gone, &g),
			  4);
	ck_assert_uint_eq(rss_pages__count(m), 56);
	/* the moved pages are where mremap put them: releasing there finds them */
	memset(&g, 0, sizeof(g));
	ck_assert_uint_eq(rss_pages__release(m, 0x20000000, 6 * PG, 0, 0, on_gone, &g), 6);
	ck_assert_uint_eq(g.last >= 0x20000000 && g.last < 0x20000000 + 6 * PG, 1);
	/* a range far larger than the map is scanned, not walked page by page */
	memset(&g, 0, sizeof(g));
	ck_assert_uint_eq(rss_pages__release(m, 0, UINT64_MAX, 0, 0, on_gone, &g), 50);
	ck_assert_uint_eq(rss_pages__count(m), 0);
	rss_pages__free(m);
}
END_TEST

/* Pages of a naive list, to compare with. */
struct ref {
	uint64_t addr[4096];
	size_t n;
};

static void ref_release(struct ref *r, uint64_t lo, uint64_t hi, uint64_t to, uint64_t keep)
{
	size_t k = 0;
	uint64_t moved[4096];
	size_t nm = 0;

	for (size_t i = 0; i < r->n; i++) {
		uint64_t a = r->addr[i];
		if (a >= lo && a < hi) {
			if (keep && a - lo < keep)
				moved[nm++] = to + (a - lo);
			continue;
		}
		r->addr[k++] = a;
	}
	r->n = k;
	for (size_t i = 0; i < nm; i++) {
		bool dup = false;
		for (size_t j = 0; j < r->n; j++)
			dup |= r->addr[j] == moved[i];
		if (!dup)
			r->addr[r->n++] = moved[i];
	}
}

START_TEST(test_random_against_list)
{
	static struct ref r;
	struct rss_pages *m = rss_pages__new();
	struct gone_log g = {0};

	r.n = 0;
	srand(12345);
	for (int op = 0; op < 20000; op++) {
		/* 512 possible pages in a few clusters: many collisions of probe chains */
		uint64_t page = 0x7f0000000000ull + (uint64_t)(rand() % 512) * PG * 3;
		int what = rand() % 10;
		if (what < 6 && r.n < 4000) {
			bool known = false;
			for (size_t j = 0; j < r.n; j++)
				known |= r.addr[j] == page;
			if (!known)
				r.addr[r.n++] = page;
			add(m, page, 1, 1, &g);
		} else if (what < 9) {
			uint64_t len = (uint64_t)(1 + rand() % (what == 8 ? 2000 : 8)) * PG;
			rss_pages__release(m, page, len, 0, 0, on_gone, &g);
			ref_release(&r, page, page + len, 0, 0);
		} else {
			uint64_t len = (uint64_t)(1 + rand() % 16) * PG, to = 0x5000000000ull +
									      (uint64_t)(rand() % 64) * PG;
			uint64_t keep = (uint64_t)(rand() % 17) * PG;
			rss_pages__release(m, page, len, to, keep, on_gone, &g);
			ref_release(&r, page, page + len, to, keep < len ? keep : len);
		}
		ck_assert_uint_eq(rss_pages__count(m), r.n);
	}
	/* every page of the list is in the map, and nothing else */
	for (size_t i = 0; i < r.n; i++) {
		memset(&g, 0, sizeof(g));
		ck_assert_uint_eq(rss_pages__release(m, r.addr[i], PG, 0, 0, on_gone, &g), 1);
	}
	ck_assert_uint_eq(rss_pages__count(m), 0);
	rss_pages__free(m);
}
END_TEST

Suite *suite_rss_pages(void)
{
	Suite *s = suite_create("rss_pages");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_release_and_move);
	tcase_add_test(tc, test_random_against_list);
	suite_add_tcase(s, tc);
	return s;
}
