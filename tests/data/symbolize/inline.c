/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Symbolization test target: two levels of inlining around a call, a static
 * function, an anonymous mapping for JIT names. Prints its addresses, then waits
 * for stdin to close. Lines marked MARK:name are looked up by the test. */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

void *volatile sym_sink;

__attribute__((noinline)) void probe_point(void)
{
	sym_sink = __builtin_return_address(0);
	__asm__ volatile("" ::: "memory");
}

static inline __attribute__((always_inline)) int sym_inner(int x)
{
	probe_point(); /* MARK:inner */
	return x * 3;
}

static inline __attribute__((always_inline)) int sym_outer(int x)
{
	return sym_inner(x + 1) + 2; /* MARK:outer */
}

__attribute__((noinline)) int sym_host(int x)
{
	return sym_outer(x) * 5; /* MARK:host */
}

__attribute__((noinline)) static int sym_static(int x)
{
	__asm__ volatile("" ::: "memory");
	return x * 7 + (int)(long)sym_sink;
}

int main(int argc, char **argv)
{
	int r = sym_host(argc);
	void *pc = sym_sink;
	int (*volatile fs)(int) = sym_static;
	void *anon = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char c;

	r += fs(argc);
	printf("pc %lx\nstatic %lx\nanon %lx\nready\n", (unsigned long)pc - 1,
	       (unsigned long)(void *)sym_static, (unsigned long)anon);
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	return r == 12345;
}
