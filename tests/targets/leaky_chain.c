// SPDX-License-Identifier: GPL-2.0-or-later
/* Allocation sites of the leaky test target, in their own file so calls into them
 * are real calls, as across files in real software. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "leaky.h"

volatile unsigned long leaky_sink;

/* Touch the block so the compiler cannot drop the allocation. */
static void touch(void *p, size_t n)
{
	if (p && n)
		memset(p, 0x5a, n < 64 ? n : 64);
	leaky_sink += (unsigned long)p;
}

__attribute__((noinline)) void *leak_d(size_t n)
{
	void *p = malloc(n);
	touch(p, n);
	return p;
}

/* Each level uses its callee's result afterwards, so none is a tail call. */
__attribute__((noinline)) void *leak_c(size_t n)
{
	void *p = leak_d(n);
	leaky_sink++;
	return p;
}

__attribute__((noinline)) void *leak_b(size_t n)
{
	void *p = leak_c(n);
	leaky_sink++;
	return p;
}

__attribute__((noinline)) void *leak_a(size_t n)
{
	void *p = leak_b(n);
	leaky_sink++;
	return p;
}

__attribute__((noinline)) void *grow_kept(size_t from, size_t to)
{
	void *p = malloc(from);
	touch(p, from);
	void *q = realloc(p, to);
	touch(q, to);
	return q;
}

/* Every allocator entry point, each block released again: none stays live. */
__attribute__((noinline)) void churn_all(size_t n)
{
	void *p;

	p = malloc(n);
	touch(p, n);
	free(p);
	p = calloc(4, n);
	touch(p, n);
	free(p);
	p = realloc(NULL, n);
	touch(p, n);
	p = realloc(p, 3 * n);
	touch(p, n);
	free(p);
	if (posix_memalign(&p, 64, n) == 0) {
		touch(p, n);
		free(p);
	}
	p = aligned_alloc(64, 64 * (n / 64 + 1));
	touch(p, n);
	free(p);
	p = memalign(128, n);
	touch(p, n);
	free(p);
	free(NULL);
}

__attribute__((noinline)) void *leak_steady(size_t n)
{
	void *p = malloc(n);
	touch(p, n);
	return p;
}

/* "cache" mode: a cache that fills early, then holds its level. */
__attribute__((noinline)) void *fill_cache(size_t n)
{
	void *p = malloc(n);
	touch(p, n);
	return p;
}

/* "fork" mode: the leak of every child process. */
__attribute__((noinline)) void *leak_in_child(size_t n)
{
	void *p = malloc(n);
	touch(p, n);
	return p;
}

__attribute__((noinline)) void *busy_transient(size_t n)
{
	void *p = malloc(n);
	touch(p, n);
	return p;
}
