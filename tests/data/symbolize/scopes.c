/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Second compile unit of the "multi" test binary (with inline.c): inlined calls
 * nested three deep and inside lexical blocks and loops, the same inline
 * function inlined at several call sites, and a function split into hot and
 * cold parts (DW_AT_ranges), for comparing the scope index with dwarf_getscopes
 * at every address. */
extern void *volatile sym_sink;

static inline __attribute__((always_inline)) long sc_leaf(long x)
{
	sym_sink = (void *)x;
	__asm__ volatile("" ::: "memory");
	return x ^ 0x5a;
}

static inline __attribute__((always_inline)) long sc_mid(long x)
{
	long r = 0;
	for (long i = 0; i < x; i++) {
		long t = sc_leaf(i * 3);
		r += t;
	}
	return r + sc_leaf(x);
}

static inline __attribute__((always_inline)) long sc_top(long x)
{
	if (x > 3) {
		long y = sc_mid(x - 1);
		return y * sc_leaf(y);
	}
	return sc_mid(x);
}

__attribute__((cold, noinline)) static long sc_fail(long x)
{
	sym_sink = (void *)(x + 1);
	return -x;
}

__attribute__((noinline)) long sc_host(long x)
{
	long r = sc_top(x);
	if (__builtin_expect(r == 42, 0)) {
		r += sc_fail(r);
		r += sc_leaf(r);
	}
	return r + sc_top(r & 7);
}
