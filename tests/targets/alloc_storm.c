// SPDX-License-Identifier: GPL-2.0-or-later
/* A target that allocates faster than memspy samples at its default mean: it
 * prints "ready <pid>", and after SIGUSR1, for <seconds> (default 6), every 10 ms
 * churn() mallocs and frees 16 MiB in 16 KiB blocks (1.6 GB a second, some 3,000
 * samples a second at a 512 KiB mean) and keep() mallocs 2 MiB in 64 KiB blocks
 * that it keeps. Then it prints "done <churned> <kept>" (bytes) and waits for
 * SIGTERM. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHURN_BLOCK (16 << 10)
#define CHURN_STEP (16 << 20)
#define KEEP_BLOCK (64 << 10)
#define KEEP_STEP (2 << 20)

static volatile sig_atomic_t go, quit;
static const struct timespec ms10 = {0, 10 * 1000 * 1000};
volatile unsigned long storm_sink;

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

static void on_term(int sig)
{
	(void)sig;
	quit = 1;
}

__attribute__((noinline)) static void churn(void)
{
	for (size_t n = 0; n < CHURN_STEP; n += CHURN_BLOCK) {
		char *p = malloc(CHURN_BLOCK);

		if (!p)
			abort();
		p[0] = (char)n;
		storm_sink += (unsigned char)p[0];
		free(p);
	}
}

__attribute__((noinline)) static void keep(char **kept, size_t *nr)
{
	for (size_t n = 0; n < KEEP_STEP; n += KEEP_BLOCK) {
		char *p = malloc(KEEP_BLOCK);

		if (!p)
			abort();
		memset(p, 1, 64);
		kept[(*nr)++] = p;
	}
}

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 6;
	size_t steps = (size_t)secs * 100, nr = 0;
	struct timespec next;
	char **kept = calloc(steps * (KEEP_STEP / KEEP_BLOCK), sizeof(*kept));

	if (!kept)
		return 1;
	signal(SIGUSR1, on_usr1);
	signal(SIGTERM, on_term);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	/* sleeps, not pause(): memspy's injector borrows a thread in a call it can
	 * restart, which pause() is not */
	while (!go && !quit)
		nanosleep(&ms10, NULL);
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (size_t s = 0; s < steps && !quit; s++) {
		churn();
		keep(kept, &nr);
		next.tv_nsec += 10 * 1000 * 1000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	printf("done %zu %zu\n", steps * (size_t)CHURN_STEP, nr * (size_t)KEEP_BLOCK);
	fflush(stdout);
	while (!quit)
		nanosleep(&ms10, NULL);
	return 0;
}
