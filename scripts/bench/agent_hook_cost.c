/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the agent's hooks add to an allocator call: malloc+free pairs through this
 * program's GOT, bare and hooked (the agent mapped into this process as the
 * injector maps it, tests/agent_local.c), alternating, at the default 512 KiB
 * mean with no probe on the traps. Built and run by agent_hook_cost.sh.
 * Usage: agent_hook_cost AGENT.so [ROUNDS] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent_local.h"

#define PAIRS 2000000
#define LIVE 256

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* not the time other processes ran */
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ns per malloc+free pair, sizes 16..1024 with a few blocks kept live */
static double run(void)
{
	static void *volatile live[LIVE];
	uint64_t s = 88172645463325252ULL;
	double t0 = now();

	for (int i = 0; i < PAIRS; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		unsigned k = s % LIVE;
		free(live[k]);
		live[k] = malloc(16 + (s >> 32) % 1009);
	}
	return (now() - t0) * 1e9 / PAIRS;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	struct agent_local a;
	int rounds = argc > 2 ? atoi(argv[2]) : 8;
	double bare[64], hooked[64];

	if (argc < 2 || rounds < 1 || rounds > 64) {
		fprintf(stderr, "usage: agent_hook_cost AGENT.so [ROUNDS <= 64]\n");
		return 2;
	}
	if (agent_local_load(argv[1], 512 << 10, &a))
		return 1;
	run(); /* warm the heap */
	for (int r = 0; r < rounds; r++) {
		bare[r] = run();
		a.install(a.ctl);
		hooked[r] = run();
		a.remove(a.ctl);
	}
	qsort(bare, rounds, sizeof(double), cmp);
	qsort(hooked, rounds, sizeof(double), cmp);
	printf("%-10s %8s %8s %8s   (ns per malloc+free pair, %d rounds of %d)\n", "", "min",
	       "median", "max", rounds, PAIRS);
	printf("%-10s %8.2f %8.2f %8.2f\n", "bare", bare[0], bare[rounds / 2], bare[rounds - 1]);
	printf("%-10s %8.2f %8.2f %8.2f\n", "hooked", hooked[0], hooked[rounds / 2],
	       hooked[rounds - 1]);
	printf("added      %8.2f ns per pair (medians), %zu slots hooked\n",
	       hooked[rounds / 2] - bare[rounds / 2], a.slots.n);
	agent_local_unload(&a);
	return 0;
}
