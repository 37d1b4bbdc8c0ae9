/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of rss_sweep on a fake page map: pages no longer present leave,
 * pages whose frame shows up in a new mapping beside a neighbour move and stay
 * charged, frames freed and handed out again are not taken for moves, reads are
 * batched, and both the slice and the move search stay within their bounds; and
 * the same on this process's real page map (src/run/page_watch.c). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* mremap */
#endif
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check_suites.h"
#include "profile/rss_pages.h"
#include "profile/rss_sweep.h"
#include "run/page_watch.h"

#define PG	   MS_RSS_PAGE
#define FAKE_PAGES 8192
#define BASE	   0x7f0000000000ull

/* An address space of FAKE_PAGES pages from BASE; nothing mapped elsewhere. */
struct fake {
	uint64_t e[FAKE_PAGES];
	struct rss_range fresh[4];
	size_t nr_fresh;
	size_t reads, pages_read, fresh_calls;
	bool fail;
};

struct gone_log {
	size_t n;
	uint64_t weight;
};

static void on_gone(void *ctx, const struct rss_page *p)
{
	struct gone_log *g = ctx;

	g->n++;
	g->weight += p->weight;
}

static long fake_read(void *ctx, uint64_t vaddr, size_t n, uint64_t *out)
{
	struct fake *f = ctx;

	f->reads++;
	if (f->fail)
		return -EIO;
	for (size_t i = 0; i < n; i++) {
		uint64_t a = vaddr + i * PG;
		out[i] = a >= BASE && (a - BASE) / PG < FAKE_PAGES ? f->e[(a - BASE) / PG] : 0;
	}
	f->pages_read += n;
	return (long)n;
}

static size_t fake_fresh(void *ctx, const struct rss_range **out)
{
	struct fake *f = ctx;

	f->fresh_calls++;
	*out = f->fresh;
	return f->nr_fresh;
}

static uint64_t *entry(struct fake *f, size_t page)
{
	return &f->e[page];
}

static uint64_t present(uint64_t pfn)
{
	return MS_PM_PRESENT | pfn;
}

static void add(struct rss_pages *m, size_t page, uint64_t pfn, uint32_t stack)
{
	struct rss_page p = {.addr = BASE + page * PG, .pfn = pfn, .stack = stack, .weight = 1};
	struct gone_log g = {0};

	ck_assert_int_eq(rss_pages__add(m, &p, on_gone, &g), 0);
}

/* The page recorded at page, or NULL. */
static const struct rss_page *at(const struct rss_pages *m, size_t page)
{
	static struct rss_page all[FAKE_PAGES];
	size_t n = rss_pages__list(m, 0, FAKE_PAGES, all);

	for (size_t i = 0; i < n; i++)
		if (all[i].addr == BASE + page * PG)
			return &all[i];
	return NULL;
}

static struct rss_sweep sweep_of(struct fake *f)
{
	return (struct rss_sweep){.read = fake_read,
				  .fresh = fake_fresh,
				  .ctx = f,
				  .slice = 1 << 20,
				  .max_scan = 1 << 20};
}

START_TEST(test_gone_present_swapped)
{
	static struct fake f;
	struct rss_pages *m = rss_pages__new();
	struct rss_sweep s = sweep_of(&f);
	struct rss_sweep_stats st;
	struct gone_log g = {0};

	memset(&f, 0, sizeof(f));
	add(m, 0, 100, 1); /* still there */
	add(m, 1, 0, 1);   /* there, frame not known yet */
	add(m, 2, 0, 2);   /* unmapped before its frame was read */
	add(m, 3, 103, 2); /* swapped out */
	add(m, 4, 104, 2); /* unmapped: its frame is nowhere */
	add(m, 5, 105, 1); /* a new page at the same address */
	*entry(&f, 0) = present(100);
	*entry(&f, 1) = present(101);
	*entry(&f, 3) = MS_PM_SWAPPED | 0x1234; /* swap type and offset, no frame */
	*entry(&f, 5) = present(205);
	ck_assert_int_eq(rss_sweep_run(&s, m, true, on_gone, &g, &st), 0);
	ck_assert_uint_eq(g.n, 3);
	ck_assert_uint_eq(st.gone, 3);
	ck_assert_uint_eq(st.checked, 6);
	ck_assert_uint_eq(st.moved, 0);
	ck_assert_uint_eq(rss_pages__count(m), 3);
	ck_assert_uint_eq(at(m, 0)->pfn, 100);
	ck_assert_uint_eq(at(m, 1)->pfn, 101);
	ck_assert_uint_eq(at(m, 5)->pfn, 205);
	ck_assert_ptr_null(at(m, 2));
	/* the six pages are close together: one read */
	ck_assert_uint_eq(f.reads, 1);
	/* page 4 vanished with its frame known: the new mappings were asked for */
	ck_assert_uint_eq(f.fresh_calls, 1);
	rss_pages__free(m);
}
END_TEST

/* Map frames first..first+n-1 at pages page..page+n-1 of the fake. */
static void map_run(struct fake *f, size_t page, uint64_t first, size_t n)
{
	for (size_t i = 0; i < n; i++)
		*entry(f, page + i) = present(first + i);
}

static void unmap_run(struct fake *f, size_t page, size_t n)
{
	for (size_t i = 0; i < n; i++)
		*entry(f, page + i) = 0;
}

START_TEST(test_moved_pages_follow)
{
	static struct fake f;
	struct rss_pages *m = rss_pages__new();
	struct rss_sweep s = sweep_of(&f);
	struct rss_sweep_stats st;
	struct gone_log g = {0};

	memset(&f, 0, sizeof(f));
	for (size_t i = 0; i < 8; i++)
		add(m, i, 0, 7);
	map_run(&f, 0, 300, 8);
	/* two pages on one frame (the zero page, read before written) */
	add(m, 20, 0, 8);
	add(m, 21, 0, 8);
	*entry(&f, 20) = *entry(&f, 21) = present(999);
	/* two pages whose frames come back in reverse order, and four that come
	 * back one by one at new places: frames freed and handed out again */
	add(m, 30, 0, 9);
	add(m, 31, 0, 10);
	map_run(&f, 30, 500, 2);
	for (size_t i = 0; i < 4; i++)
		add(m, 40 + i * 2, 0, 11);
	map_run(&f, 40, 600, 8);
	/* the first sweep notes every page's frame and its neighbours' */
	ck_assert_int_eq(rss_sweep_run(&s, m, true, on_gone, &g, &st), 0);
	ck_assert_uint_eq(g.n, 0);
	ck_assert_uint_eq(at(m, 3)->pfn, 303);
	ck_assert_uint_eq(at(m, 3)->near[0], 302);
	ck_assert_uint_eq(at(m, 3)->near[1], 304);

	/* pages 0..3 moved to 1000..1003 (mremap), 4..7 unmapped */
	unmap_run(&f, 0, 8);
	map_run(&f, 1000, 300, 4);
	unmap_run(&f, 20, 2);
	*entry(&f, 2000) = *entry(&f, 2001) = present(999);
	unmap_run(&f, 30, 2);
	*entry(&f, 1011) = present(500);
	*entry(&f, 1010) = present(501);
	unmap_run(&f, 40, 8);
	for (size_t i = 0; i < 4; i++)
		*entry(&f, 3000 + i * 7) = present(600 + i * 2);
	f.fresh[0] = (struct rss_range){BASE + 1000 * PG, BASE + 1016 * PG};
	f.fresh[1] = (struct rss_range){BASE + 2000 * PG, BASE + 2002 * PG};
	f.fresh[2] = (struct rss_range){BASE + 3000 * PG, BASE + 3032 * PG};
	f.nr_fresh = 3;
	ck_assert_int_eq(rss_sweep_run(&s, m, true, on_gone, &g, &st), 0);
	ck_assert_uint_eq(st.moved, 4);
	ck_assert_uint_eq(st.gone, 12);
	ck_assert_uint_eq(g.n, 12);
	ck_assert_uint_eq(rss_pages__count(m), 4);
	for (size_t i = 0; i < 4; i++) {
		ck_assert_ptr_nonnull(at(m, 1000 + i));
		ck_assert_uint_eq(at(m, 1000 + i)->stack, 7);
		ck_assert_uint_eq(at(m, 1000 + i)->pfn, 300 + i);
		ck_assert_ptr_null(at(m, i));
	}
	/* nothing to look for next time: the new mappings are not asked for */
	ck_assert_int_eq(rss_sweep_run(&s, m, true, on_gone, &g, &st), 0);
	ck_assert_uint_eq(f.fresh_calls, 1);
	ck_assert_uint_eq(rss_pages__count(m), 4);
	rss_pages__free(m);
}
END_TEST

START_TEST(test_move_search_bounded)
{
	static struct fake f;
	struct rss_pages *m = rss_pages__new();
	struct rss_sweep s = sweep_of(&f);
	struct rss_sweep_stats st;
	struct gone_log g = {0};

	memset(&f, 0, sizeof(f));
	add(m, 0, 0, 1);
	add(m, 10, 0, 1);
	map_run(&f, 0, 400, 2);
	map_run(&f, 10, 410, 2);
	ck_assert_int_eq(rss_sweep_run(&s, m, true, on_gone, &g, &st), 0);
	unmap_run(&f, 0, 12);
	map_run(&f, 100, 400, 2);  /* within the first 64 pages of the new mapping */
	map_run(&f, 4000, 410, 2); /* past them: counted as given back */
	f.fresh[0] = (struct rss_range){BASE + 64 * PG, BASE + 8000 * PG};
	f.nr_fresh = 1;
	s.max_scan = 64;
	ck_assert_int_eq(rss_sweep_run(&s, m, true, on_gone, &g, &st), 0);
	ck_assert_uint_eq(st.scanned, 64);
	ck_assert_uint_eq(st.moved, 1);
	ck_assert_uint_eq(st.gone, 1);
	ck_assert_ptr_nonnull(at(m, 100));
	rss_pages__free(m);
}
END_TEST

START_TEST(test_slices_and_batches)
{
	static struct fake f;
	struct rss_pages *m = rss_pages__new();
	struct rss_sweep s = sweep_of(&f);
	struct rss_sweep_stats st;
	struct gone_log g = {0};
	size_t checked = 0;

	memset(&f, 0, sizeof(f));
	/* 10 clusters of 100 pages, every other page; clusters 700 pages apart */
	for (size_t c = 0; c < 10; c++)
		for (size_t i = 0; i < 100; i++) {
			size_t page = c * 700 + i * 2;
			add(m, page, 1 + page, 1);
			*entry(&f, page) = present(1 + page);
		}
	ck_assert_int_eq(rss_sweep_run(&s, m, true, on_gone, &g, &st), 0);
	ck_assert_uint_eq(st.checked, 1000);
	ck_assert_uint_eq(f.reads, 10);		   /* one pread per cluster */
	ck_assert_uint_eq(f.pages_read, 10 * 201); /* and a page on either side */
	/* a slice of 100 a sweep: ten sweeps check every page once */
	s.slice = 100;
	for (int i = 0; i < 10; i++) {
		ck_assert_int_eq(rss_sweep_run(&s, m, false, on_gone, &g, &st), 0);
		ck_assert_uint_eq(st.checked, 100);
		checked += st.checked;
	}
	ck_assert_uint_eq(checked, 1000);
	ck_assert_uint_eq(g.n, 0);
	/* a page map that cannot be read gives nothing back */
	f.fail = true;
	ck_assert_int_eq(rss_sweep_run(&s, m, true, on_gone, &g, &st), 0);
	ck_assert_uint_eq(st.unread, 1000);
	ck_assert_uint_eq(g.n, 0);
	/* the target unmaps one cluster */
	f.fail = false;
	for (size_t i = 0; i < 100; i++)
		*entry(&f, 700 * 3 + i * 2) = 0;
	ck_assert_int_eq(rss_sweep_run(&s, m, true, on_gone, &g, &st), 0);
	ck_assert_uint_eq(g.n, 100);
	ck_assert_uint_eq(rss_pages__count(m), 900);
	rss_pages__free(m);
}
END_TEST

static char *map_pages(size_t n)
{
	char *p = mmap(NULL, n * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	madvise(p, n * PG, MADV_NOHUGEPAGE); /* base pages: one frame a page */
	return p;
}

/* This process's real page map: of 32 sampled pages, 8 moved by mremap keep their
 * stacks at the new place, 8 unmapped and 8 discarded leave, 8 stay. */
START_TEST(test_page_watch_own_process)
{
	struct gone_log g = {0};
	struct rss_sweep_stats st;
	struct rss_pages *m;
	struct page_watch *w;
	char *a, *dest;

	if (geteuid()) {
		fprintf(stderr, "rss_sweep: own page map skipped, page frames need root\n");
		return;
	}
	a = map_pages(32);
	memset(a, 1, 32 * PG);
	w = page_watch__new(getpid());
	m = rss_pages__new();
	ck_assert_ptr_nonnull(w);
	for (uint32_t i = 0; i < 32; i++) {
		struct rss_page p = {
		    .addr = (uint64_t)(uintptr_t)a + i * PG, .stack = i, .weight = 1};

		page_watch__frames(w, &p);
		ck_assert_uint_ne(p.pfn, 0);
		ck_assert_int_eq(rss_pages__add(m, &p, on_gone, &g), 0);
	}
	dest = map_pages(8); /* a mapping new since the watch's first look */
	ck_assert_ptr_eq(mremap(a, 8 * PG, 8 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, dest), dest);
	munmap(a + 8 * PG, 8 * PG);
	madvise(a + 16 * PG, 8 * PG, MADV_DONTNEED);
	ck_assert_int_eq(page_watch__sweep(w, m, true, on_gone, &g, &st), 0);
	ck_assert_uint_eq(st.moved, 8);
	ck_assert_uint_eq(st.gone, 16);
	ck_assert_uint_eq(g.n, 16);
	ck_assert_uint_eq(rss_pages__count(m), 16);
	for (uint32_t i = 0; i < 8; i++) {
		struct rss_page p;

		ck_assert(rss_pages__take(m, (uint64_t)(uintptr_t)dest + i * PG, &p));
		ck_assert_uint_eq(p.stack, i);
		ck_assert(rss_pages__take(m, (uint64_t)(uintptr_t)a + (24 + i) * PG, &p));
		ck_assert_uint_eq(p.stack, 24 + i);
	}
	rss_pages__free(m);
	page_watch__free(w);
	munmap(dest, 8 * PG);
	munmap(a + 16 * PG, 16 * PG);
}
END_TEST

Suite *suite_rss_sweep(void)
{
	Suite *s = suite_create("rss_sweep");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_gone_present_swapped);
	tcase_add_test(tc, test_moved_pages_follow);
	tcase_add_test(tc, test_move_search_bounded);
	tcase_add_test(tc, test_slices_and_batches);
	tcase_add_test(tc, test_page_watch_own_process);
	suite_add_tcase(s, tc);
	return s;
}
