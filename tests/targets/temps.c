/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A test target with a known number of temporary allocations: after SIGUSR1,
 * make_temps allocates N blocks of 1000 bytes, each freed at once (temporary), and
 * keep_pairs N/2 pairs of such blocks, each freed after the other was allocated
 * (not temporary). Prints "done" and waits for SIGTERM. Usage: temps [N] */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t go, quit;
static volatile unsigned long sink;

static void on_usr1(int sig)
{
	go = 1;
}

static void on_term(int sig)
{
	quit = 1;
}

static void pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

__attribute__((noinline)) static void make_temps(long n)
{
	for (long i = 0; i < n; i++) {
		char *p = malloc(1000);

		memset(p, 1, 16);
		sink += (unsigned long)p; /* escapes: the pair cannot be elided */
		free(p);
	}
}

__attribute__((noinline)) static void keep_pairs(long n)
{
	for (long i = 0; i < n; i++) {
		char *a = malloc(1000), *b = malloc(1000);

		memset(a, 1, 16);
		memset(b, 2, 16);
		sink += (unsigned long)a + (unsigned long)b;
		free(a);
		free(b);
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa = {0};
	long n = argc > 1 ? atol(argv[1]) : 1000000;

	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	while (!go && !quit)
		pause_ms(10);
	make_temps(n);
	keep_pairs(n / 2);
	printf("done\n");
	fflush(stdout);
	while (!quit)
		pause_ms(10);
	return 0;
}
