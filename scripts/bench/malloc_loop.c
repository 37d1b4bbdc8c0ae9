/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Malloc-heavy benchmark target: mixed-size malloc/free with a little work per
 * operation. Prints "ready", waits for SIGUSR1, runs SECONDS and prints its rate.
 * Built by heap_overhead.sh with cc -O2 -g. Usage: malloc_loop SECONDS */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 4096 /* blocks kept live: a steady heap of about 2 MiB */

static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	go = 1;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Sizes as a server sees them: mostly small, some medium, a few large. */
static size_t pick_size(uint64_t r)
{
	unsigned k = r & 1023;
	if (k < 800)
		return 16 + (r >> 10) % 240;
	if (k < 1000)
		return 256 + (r >> 10) % 3840;
	return 4096 + (r >> 10) % 61440;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_usr1};
	static void *slot[SLOTS];
	double secs = argc > 1 ? atof(argv[1]) : 3, t0, t;
	uint64_t seed = 88172645463325252ull, ops = 0, sum = 0;

	sigaction(SIGUSR1, &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	/* a short sleep rather than pause(): memspy's injector borrows a thread
	 * only where a ptrace interrupt is invisible to the program, and pause()
	 * would return on it */
	while (!go)
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	t0 = now();
	do {
		for (int i = 0; i < 1024; i++) {
			uint64_t r = xorshift(&seed);
			unsigned j = (r >> 40) % SLOTS;
			size_t n = pick_size(r);
			unsigned char *p;

			free(slot[j]);
			p = malloc(n);
			if (!p)
				abort();
			/* Some work per operation: write the block's head, hash it. */
			memset(p, (int)r, n < 64 ? n : 64);
			for (size_t k = 0; k < (n < 64 ? n : 64); k += 8)
				sum = sum * 31 + p[k];
			slot[j] = p;
		}
		ops += 1024;
		t = now();
	} while (t - t0 < secs);
	printf("ops_per_s %.0f (%llu malloc+free pairs in %.2f s; checksum %llu)\n",
	       ops / (t - t0), (unsigned long long)ops, t - t0, (unsigned long long)(sum & 0xff));
	fflush(stdout);
	return 0;
}
