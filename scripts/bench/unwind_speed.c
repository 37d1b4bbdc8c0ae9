/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Times target_dwfl__unwind on a captured copy of this process's own stack. */
/* Build: cc -O2 -g -Isrc -Iinclude scripts/bench/unwind_speed.c BUILD/libmemspy.a -ldw -lelf */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../tests/self_capture.h"
#include "memspy/events.h"
#include "symbolize/target_dwfl.h"

#define COPY_MAX   (64 * 1024)
#define MAX_FRAMES 128

static uint64_t regs[MS_NR_REGS];
static unsigned char stack_copy[COPY_MAX];
static size_t stack_len;

MS_KEEP_FRAME static int recurse(int depth)
{
	if (depth > 0) {
		int r = recurse(depth - 1);
		/* Opaque to GCC, which would otherwise turn the recursion into a loop. */
		__asm__ volatile("" : "+r"(r));
		return r + 1;
	}
	self_capture_regs(regs);
	stack_len = self_copy_stack(regs, stack_copy, COPY_MAX);
	return 0;
}

static double clock_us(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double now_us(void)
{
	return clock_us(CLOCK_MONOTONIC);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

#define ROUNDS 10

int main(int argc, char **argv)
{
	int depth = argc > 1 ? atoi(argv[1]) : 25;
	int iters = argc > 2 ? atoi(argv[2]) : 10000;
	uint64_t pcs[MAX_FRAMES];
	bool complete;

	recurse(depth);
	struct target_dwfl *t = target_dwfl__open(getpid());
	if (!t) {
		perror("target_dwfl__open");
		return 1;
	}
	/* The first unwind loads CFI and symbols: time it apart. */
	double t0 = now_us();
	size_t n = target_dwfl__unwind(t, getpid(), regs, stack_copy, stack_len, true, pcs,
				       MAX_FRAMES, &complete);
	double t1 = now_us();
	/* Shared machines are noisy: rounds give a minimum and a median, and CPU time
	 * leaves out the time other processes held the CPU. */
	double round_us[ROUNDS];
	double cpu0 = clock_us(CLOCK_THREAD_CPUTIME_ID);
	for (int r = 0; r < ROUNDS; r++) {
		double r0 = now_us();
		for (int i = 0; i < iters / ROUNDS; i++)
			target_dwfl__unwind(t, getpid(), regs, stack_copy, stack_len, true, pcs,
					    MAX_FRAMES, &complete);
		round_us[r] = (now_us() - r0) / (iters / ROUNDS);
	}
	double cpu = (clock_us(CLOCK_THREAD_CPUTIME_ID) - cpu0) / (iters / ROUNDS * ROUNDS);
	double t2 = now_us();
	qsort(round_us, ROUNDS, sizeof(round_us[0]), cmp_double);
	for (size_t i = 0; i < n; i++) {
		const char *names[8];
		size_t k = target_dwfl__symbolize(t, pcs[i], names, 8);
		for (size_t j = 0; j < k; j++)
			printf("  #%-2zu %#llx %s\n", i, (unsigned long long)pcs[i], names[j]);
	}
	double t3 = now_us();
	for (int i = 0; i < iters; i++)
		for (size_t j = 0; j < n; j++) {
			const char *names[8];
			target_dwfl__symbolize(t, pcs[j], names, 8);
		}
	double t4 = now_us();
	printf("%zu frames, complete %d, stack copy %zu bytes\n", n, complete, stack_len);
	printf("first unwind %.1f us; %d unwinds: wall min %.2f median %.2f us/unwind, "
	       "cpu %.2f us/unwind (%.3f us/frame)\n",
	       t1 - t0, iters / ROUNDS * ROUNDS, round_us[0], round_us[ROUNDS / 2], cpu,
	       cpu / (double)n);
	printf("first symbolization of the stack %.1f us; cached: %.3f us/stack\n", t3 - t2,
	       (t4 - t3) / iters);
	target_dwfl__free(t);
	return 0;
}
